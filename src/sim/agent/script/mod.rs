//! Script mode: the demo business's booking conversation, driven by the caller's speech.
//!
//! The agent is Ava, the receptionist of Harbor Dental. It greets, finds the caller's turns
//! with a voice activity detector, "transcribes" the N-th turn as the N-th line of the caller
//! script, and answers with recorded lines, calling the bridge's booking tools on the way:
//! `list_event_types`, `get_available_slots`, `create_booking`, then `end_call`. Told to, it
//! asks for a person instead after the caller's first turn (`transfer_call`), and goes on with
//! the booking if the bridge refuses.

mod conversation;
mod lines;
mod offer;
mod tools;
mod vars;
mod voice;

pub use conversation::{Conversation, Output};
pub use lines::{AGENT_SENTENCES, CALLER_SCRIPT};
pub use voice::{Voice, VoiceError};
