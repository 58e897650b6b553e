//! ElevenLabs Conversational AI (Agents) WebSocket messages, both ways.
//!
//! Client → server messages carry a `type`, except audio, which is the bare object
//! `{"user_audio_chunk": "<base64>"}`. Server → client messages are
//! `{"type": T, "<event key>": {...}}` where the key differs per type. Field names follow the
//! AsyncAPI spec in `elevenlabs/packages` (`agent.asyncapi.yaml`) and the Python SDK's
//! `conversation.py`.
//!
//! As for Twilio, parsing goes through a flat envelope (see `twilio.rs`) so audio frames are
//! read without buffering and the base64 payload is borrowed from the frame text.
//! `to_agent.rs` holds what a client (the bridge) sends the agent, `from_agent.rs` what the agent
//! sends back. (The ElevenLabs client that opens the socket is `upstream`.)

mod from_agent;
#[cfg(test)]
mod tests;
mod to_agent;
pub mod webhook;
pub mod webhook_signature;

pub use from_agent::*;
pub use to_agent::*;

use serde::{Deserialize, Serialize};

/// `GET /v1/convai/conversation/get-signed-url` response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedUrl {
    pub signed_url: String,
}
