//! One call: the sans-IO [`Session`] and the tokio driver that owns its two sockets.
//!
//! The session decides everything (what to relay, when to clear, when to hang up); the driver
//! only moves frames between the sockets and the session and runs the tools it asks for.

pub mod driver;
pub mod event;
pub mod leg;
pub mod session;
pub mod tools;

pub use event::{BadInput, EndReason, Event, SessionStats, Started, Transmit};
pub use leg::{CallerInput, CallerLeg, Twilio};
pub use session::{Frame, Outbox, Relayed, Session, SessionConfig};
pub use tools::{CallControl, ToolCall, ToolContext, ToolOutcome, ToolRegistry};
