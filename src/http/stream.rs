//! `GET /twilio/stream`: Twilio's media-stream WebSocket.
//!
//! The handshake must carry a valid `X-Twilio-Signature` over the `wss://` URL, or it is
//! refused before the upgrade. The accepted socket is handed to `telephony::Streams`, which
//! runs the call; axum's WebSocket is a call socket as it stands ([`crate::call::Socket`]).

use std::sync::Arc;

use axum::Router;
use axum::extract::ws::{self, WebSocketUpgrade};
use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::error::ApiError;
use super::render::websocket_base;
use super::signed::{TwilioAuth, signed_url};
use crate::call::{Frame, Message, Received};
use crate::telephony::Streams;

/// Largest frame accepted from Twilio: twice the session's cap (64 KiB, the size of the largest
/// TwiML document, which bounds a `start` and its parameters; media frames are ~300 bytes).
/// Frames up to the session's cap are read and counted as oversized by it while the call
/// goes on; one beyond this breaks the stream.
const MAX_TWILIO_MESSAGE: usize = 128 * 1024;
/// Bytes written to Twilio are gathered up to this before a write (tungstenite's default).
const WRITE_BUFFER: usize = 128 * 1024;
/// The most ever queued toward Twilio inside the bridge: the write buffer and one message (an
/// agent audio chunk as it came, which the session caps at 4 MiB). A full queue fails the
/// write, which ends the call, rather than growing.
const MAX_WRITE_QUEUE: usize = WRITE_BUFFER + (4 << 20) + 64 * 1024;
/// Read buffer per stream. tungstenite zero-fills its whole read buffer before every read,
/// even one that finds nothing to read (snapview/tungstenite-rs#547); at the default 128 KiB
/// that memset was over a quarter of the bridge's CPU under load, and kept 128 KiB resident
/// per socket. Twilio's frames are a few hundred bytes (a `media` message is 376), so 2 KiB
/// still takes several in one read; a larger message (a `start` with many parameters) arrives
/// whole, in more reads. Against 8 KiB it takes a frame 5.6 k instead of 13.3 k instructions
/// on this side of the socket (`benches/websocket_libraries.rs` under callgrind).
const READ_BUFFER: usize = 2 * 1024;

/// What the media-stream route needs besides the signature check.
#[derive(Clone)]
pub struct StreamState {
    pub streams: Arc<Streams>,
}

pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    StreamState: FromRef<S>,
    TwilioAuth: FromRef<S>,
{
    Router::new().route("/twilio/stream", get(upgrade))
}

async fn upgrade(
    State(auth): State<TwilioAuth>,
    State(state): State<StreamState>,
    headers: HeaderMap,
    uri: Uri,
    ws: WebSocketUpgrade,
) -> Response {
    // Twilio signs the URL it connected to: the public wss:// URL (query included, if any).
    let url = signed_url(&websocket_base(&auth.public_url), &uri);
    if !auth.check_handshake(&url, &headers) {
        return ApiError::bad_signature().into_response();
    }
    ws.max_message_size(MAX_TWILIO_MESSAGE)
        .max_frame_size(MAX_TWILIO_MESSAGE)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(MAX_WRITE_QUEUE)
        .on_upgrade(move |socket| async move {
            state.streams.run_twilio(socket).await;
        })
}

impl Message for ws::Message {
    fn text(text: String) -> Self {
        ws::Message::Text(text.into())
    }

    fn close() -> Self {
        ws::Message::Close(None)
    }

    fn read(&self) -> Received<'_> {
        match self {
            ws::Message::Text(text) => Received::Frame(Frame::Text(text.as_str())),
            ws::Message::Binary(bytes) => Received::Frame(Frame::Binary(bytes)),
            ws::Message::Close(frame) => Received::Closed {
                code: frame.as_ref().map(|f| f.code),
                reason: frame.as_ref().map_or("", |f| f.reason.as_str()),
            },
            ws::Message::Ping(_) | ws::Message::Pong(_) => Received::Control,
        }
    }
}
