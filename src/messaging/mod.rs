//! SMS after a call: the follow-up text chosen by the call's outcome (`follow_ups`, whose
//! `FollowUps::call_ended` the app calls at a call's end), the outbox that sends it
//! through Twilio's Messages API, and the callers who answered STOP.
//!
//! Below `app`/`http`, above `store`/`vendor_api`. The rules are pure and take `now`:
//! `templates` (the kinds, their built-in texts and the `{{variable}}` renderer), `keywords`
//! (what an inbound text's body means, as Twilio's Advanced Opt-Out reads it), `opt_outs`
//! (whether the account may text or call a number), `sender` (the outbox worker's round) and `retry`
//! (when an outbox job is due, its backoff, and which send failures are worth another try).

pub mod delivery;
pub mod follow_ups;
pub mod inbound;
pub mod keywords;
pub mod opt_outs;
pub mod retry;
pub mod sender;
pub mod templates;

pub use follow_ups::FollowUps;
pub use inbound::{InboundTexts, IncomingText, Received};
pub use keywords::{Keyword, classify};
pub use opt_outs::OptOuts;
pub use retry::{Backoff, SendFailure, TEXT_BACKOFF, Verdict};
pub use sender::{Attempted, Sender};
pub use templates::{FollowUpKind, RenderError, Template, TemplateError};
