//! The agent side of a call: the ElevenLabs client and connections pre-warmed for calls that
//! are about to start.

pub mod client;
pub mod prewarm;

pub use client::{AgentSocket, ElevenLabsClient, UpstreamError};
pub use prewarm::{Held, Prewarm, Warm};
