//! Pre-warmed agent connections, opened while Twilio is still fetching our TwiML.
//!
//! Answering the voice webhook and Twilio opening the media stream are a few hundred
//! milliseconds apart. The bridge uses that time to fetch the signed URL, open the agent's
//! WebSocket and send the initiation data, so the agent is ready (often already speaking its
//! greeting) when the stream starts. The stream claims the connection by its key.
//!
//! Until it is claimed, a holder task owns the socket and keeps every frame that arrives, in
//! order, with the instant it arrived; the claimer gets the socket plus those frames and
//! relays them first, so nothing the agent said early is lost. The hold has a budget in frames
//! and in bytes: what comes beyond it is dropped and counted (a greeting is far smaller; only
//! a misbehaving peer reaches it), an ending is always kept. A connection nobody claims within its time to live is closed, and
//! so is every held connection when its shutdown group stops.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use std::time::Instant as StdInstant;

use futures::StreamExt;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tracing::Instrument;

use super::client::{AgentSocket, UpstreamError};
use crate::shutdown::Shutdown;

/// What arrived on a pre-warmed socket before it was claimed.
#[derive(Debug, Clone, PartialEq)]
pub enum Held {
    /// A message, as it came (a close message included), and when it arrived.
    Message(Message, StdInstant),
    /// The connection failed or dropped without a close message: why.
    Ended(String),
}

/// A claimed connection: the socket and what it received so far.
pub struct Warm {
    pub socket: AgentSocket,
    pub held: Vec<Held>,
    /// Messages dropped over the hold's budget.
    pub dropped: u64,
    pub connect_time: Duration,
}

type Reply = oneshot::Sender<Result<Warm, UpstreamError>>;

/// Frames held per connection before later ones are dropped (and counted). A greeting is a
/// few dozen audio frames; this only bounds a misbehaving peer.
const MAX_HELD: usize = 4096;
/// Bytes of messages held per connection before later ones are dropped (and counted): a
/// minute of 48 kHz PCM in base64, many minutes of the μ-law a phone agent speaks.
const MAX_HELD_BYTES: usize = 8 << 20;

/// What a pre-warmed connection received, within its budget.
#[derive(Debug)]
struct Hold {
    items: Vec<Held>,
    bytes: usize,
    dropped: u64,
    max_items: usize,
    max_bytes: usize,
}

impl Hold {
    fn new(max_items: usize, max_bytes: usize) -> Self {
        Hold {
            items: Vec::new(),
            bytes: 0,
            dropped: 0,
            max_items,
            max_bytes,
        }
    }

    /// Keeps `item` if the budget allows, or counts it dropped. An ending (a close message,
    /// an error) is always kept: the claimer must learn that the connection is over.
    fn keep(&mut self, item: Held) {
        let (size, ending) = match &item {
            Held::Message(message, _) => (message.len(), matches!(message, Message::Close(_))),
            Held::Ended(_) => (0, true),
        };
        let fits = self.items.len() < self.max_items && self.bytes + size <= self.max_bytes;
        if !fits && !ending {
            if self.dropped == 0 {
                tracing::warn!(
                    max_messages = self.max_items,
                    max_bytes = self.max_bytes,
                    "pre-warmed agent connection sent too much before its stream started; dropping the rest"
                );
            }
            self.dropped += 1;
            return;
        }
        self.bytes += size;
        self.items.push(item);
    }
}

/// The registry of connections waiting to be claimed.
#[derive(Clone, Default)]
pub struct Prewarm {
    waiting: Arc<Mutex<HashMap<String, oneshot::Sender<Reply>>>>,
    /// The holder tasks' group: they are counted in its drain and close when it stops.
    tasks: Shutdown,
}

impl Prewarm {
    /// A registry whose holder tasks belong to `tasks`.
    pub fn new(tasks: Shutdown) -> Self {
        Prewarm {
            waiting: Arc::default(),
            tasks,
        }
    }

    /// Starts `connect` in the background and holds its socket under `key` for `ttl`.
    pub fn open<F>(&self, key: String, connect: F, ttl: Duration)
    where
        F: Future<Output = Result<(AgentSocket, Duration), UpstreamError>> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.waiting
            .lock()
            .expect("prewarm registry")
            .insert(key.clone(), tx);
        let waiting = self.waiting.clone();
        let tasks = self.tasks.clone();
        // In the caller's span (the call's), so what the holder logs names the call.
        let holder = async move {
            let expired = tokio::select! {
                expired = hold(connect, rx, Instant::now() + ttl) => expired,
                // Dropping the holder drops the connection it holds.
                () = tasks.stopping() => None,
            };
            // Out of the registry before the socket closes, so that no claim can find a
            // connection that is closing.
            waiting.lock().expect("prewarm registry").remove(&key);
            if let Some(mut socket) = expired {
                let _ = socket.close(None).await;
            }
        };
        self.tasks.spawn(holder.in_current_span());
    }

    /// Takes the connection held under `key`, waiting for it to finish connecting if needed.
    /// `None` if there is none (never opened, expired, or already claimed).
    pub async fn claim(&self, key: &str) -> Option<Result<Warm, UpstreamError>> {
        let request = self.waiting.lock().expect("prewarm registry").remove(key)?;
        let (reply_tx, reply_rx) = oneshot::channel();
        request.send(reply_tx).ok()?;
        reply_rx.await.ok()
    }

    /// Connections currently waiting to be claimed.
    pub fn waiting(&self) -> usize {
        self.waiting.lock().expect("prewarm registry").len()
    }
}

/// Connects, then holds the socket and what arrives on it until it is claimed. Returns the
/// socket if nobody claimed it by `deadline`, for the caller to close.
async fn hold<F>(connect: F, mut claims: oneshot::Receiver<Reply>, deadline: Instant) -> Option<AgentSocket>
where
    F: Future<Output = Result<(AgentSocket, Duration), UpstreamError>>,
{
    tokio::pin!(connect);
    let mut claimer: Option<Reply> = None;
    // Connecting: a claim may arrive before the socket is ready; it then waits for it.
    let connected = loop {
        tokio::select! {
            result = &mut connect => break result,
            claim = &mut claims, if claimer.is_none() => match claim {
                Ok(reply) => claimer = Some(reply),
                Err(_) => return None,
            },
            _ = tokio::time::sleep_until(deadline), if claimer.is_none() => return None,
        }
    };
    let (mut socket, connect_time) = match connected {
        Ok(ok) => ok,
        Err(error) => {
            // Keep the error for the claimer, so the call fails over at once.
            let reply = match claimer {
                Some(reply) => reply,
                None => tokio::select! {
                    claim = claims => match claim { Ok(reply) => reply, Err(_) => return None },
                    _ = tokio::time::sleep_until(deadline) => return None,
                },
            };
            let _ = reply.send(Err(error));
            return None;
        }
    };
    if let Some(reply) = claimer {
        let _ = reply.send(Ok(Warm {
            socket,
            held: Vec::new(),
            dropped: 0,
            connect_time,
        }));
        return None;
    }
    let mut hold = Hold::new(MAX_HELD, MAX_HELD_BYTES);
    let mut open = true;
    loop {
        tokio::select! {
            frame = socket.next(), if open => {
                let item = match frame {
                    Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                        Held::Message(message, StdInstant::now())
                    }
                    Some(Ok(message @ Message::Close(_))) => {
                        open = false;
                        Held::Message(message, StdInstant::now())
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        open = false;
                        Held::Ended(e.to_string())
                    }
                    None => {
                        open = false;
                        Held::Ended("connection closed".into())
                    }
                };
                hold.keep(item);
            }
            claim = &mut claims => {
                if let Ok(reply) = claim {
                    let Hold { items: held, dropped, .. } = hold;
                    let _ = reply.send(Ok(Warm { socket, held, dropped, connect_time }));
                }
                return None;
            }
            _ = tokio::time::sleep_until(deadline) => return Some(socket),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(size: usize) -> Held {
        Held::Message(Message::text("x".repeat(size)), StdInstant::now())
    }

    #[test]
    fn a_hold_keeps_what_fits_its_budget_counts_the_rest_and_always_keeps_the_end() {
        let mut hold = Hold::new(10, 1000);
        hold.keep(text(600));
        hold.keep(text(300));
        hold.keep(text(200)); // over the bytes
        hold.keep(text(100));
        hold.keep(text(1)); // over the bytes again
        hold.keep(Held::Message(Message::Close(None), StdInstant::now()));
        hold.keep(Held::Ended("connection closed".into()));
        assert_eq!(hold.dropped, 2);
        assert_eq!(hold.bytes, 1000);
        let sizes: Vec<usize> = hold
            .items
            .iter()
            .map(|item| match item {
                Held::Message(message, _) => message.len(),
                Held::Ended(_) => usize::MAX,
            })
            .collect();
        assert_eq!(sizes, [600, 300, 100, 0, usize::MAX]);
    }

    #[test]
    fn a_hold_is_bounded_in_messages_too() {
        let mut hold = Hold::new(2, 1 << 20);
        for _ in 0..5 {
            hold.keep(text(1));
        }
        assert_eq!((hold.items.len(), hold.dropped), (2, 3));
    }
}
