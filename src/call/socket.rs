//! The seam between the driver and the network: each of a call's two sockets is any
//! `Stream` of received messages and `Sink` of messages to send, of any WebSocket library, or
//! an in-memory channel in a test.
//!
//! The driver is generic over both (static dispatch: no boxing, no dynamic call per frame) and
//! reads a message through [`Message::read`], which borrows its text, so switching libraries
//! costs no copy. The implementations for the libraries switchboard uses live with the code
//! that owns those sockets (`http` for Twilio's, the application layer for the agent's).

use std::fmt::Display;

use futures::{Sink, Stream};

/// One data frame as it came off a WebSocket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    Text(&'a str),
    Binary(&'a [u8]),
}

/// A WebSocket message, as the driver reads and writes it.
pub trait Message: Sized + Send {
    /// A text message to send.
    fn text(text: String) -> Self;

    /// A close message to send: a normal close (1000), with no reason.
    fn close() -> Self;

    /// What the message is, borrowing its payload.
    fn read(&self) -> Received<'_>;
}

/// A received message, as the driver acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received<'a> {
    /// A data frame for the session.
    Frame(Frame<'a>),
    /// The peer closed the connection (its close code, if it sent one, and reason).
    Closed { code: Option<u16>, reason: &'a str },
    /// Ping, pong and the like: handled by the WebSocket library.
    Control,
}

/// One of a call's sockets: any `Stream` of received messages and `Sink` of messages to send.
/// Every such pair of a [`Message`] type is a socket.
pub trait Socket:
    Stream<Item = Result<<Self as Socket>::Message, <Self as Socket>::Error>>
    + Sink<<Self as Socket>::Message, Error = <Self as Socket>::Error>
    + Unpin
    + Send
{
    type Message: Message;
    type Error: Display + Send;
}

impl<S, M, E> Socket for S
where
    S: Stream<Item = Result<M, E>> + Sink<M, Error = E> + Unpin + Send,
    M: Message,
    E: Display + Send,
{
    type Message = M;
    type Error = E;
}
