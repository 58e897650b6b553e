//! One call: the sans-IO [`Session`] and the tokio driver that owns its two sockets.
//!
//! The session decides everything (what to relay, when to clear, when to hang up); the driver
//! only moves frames between the sockets and the session and runs the tools it asks for.

pub mod driver;
pub mod event;
pub mod leg;
pub mod metrics;
pub mod outbox;
pub mod recording_tap;
pub mod session;
pub mod socket;
pub mod tools;

pub use event::{BadInput, EndReason, Event, SessionStats, Started, Transmit};
pub use leg::{CallerInput, CallerLeg, Twilio};
pub use outbox::Outbox;
pub use session::{Relayed, Session, SessionConfig};
pub use socket::{Frame, Message, Received, Socket};
pub use tools::{CallControl, ToolCall, ToolContext, ToolOutcome, ToolRegistry};
