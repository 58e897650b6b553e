//! The application layer for calls: everything about one call's life outside its session.
//!
//! | service | what |
//! |---|---|
//! | [`Reception`] | Twilio's voice webhooks: inbound routing ([`route`], a pure decision: active hours at the call's instant, the account's minute pool, the server's capacity), the account's calls at once (kept by the database with the call's record, `account_gates`), the stream token, the pre-warmed agent; the fallback after a stream; voicemail; a number's menu ([`menu`], pure rules) |
//! | [`MinutePools`] | what is left of each account's minute pool, read briefly cached |
//! | [`Streams`] | runs an accepted media stream to its end: the session, the agent attached when the stream starts ([`attach`]), the call counted for the drain |
//! | [`Directory`] | which agent a number, a stream's token or a webhook tool's reference names; the call path's lookups cached briefly |
//! | [`CallRecorder`] | the call records, written by one worker through a pool of their own (progress while a call runs, its end retried); how each call ended, for its connect action; at the end the call's record ([`call_end`]: transcript ([`transcript`], [`redact`]), outcome ([`outcome`], pure), contact, CRM activity) and the [`AfterCall`] listeners |
//! | [`recovery`] | closes the records of calls whose instance stopped, from their last progress |
//! | [`Observers`] | the fan-out of a call's events: log lines, the recorder, the live feed |
//! | [`StreamTokens`] | the one-time tokens that tie a media stream to its webhook; their redemptions shared by every instance through the store ([`redemptions`]) |
//! | [`Admission`] | whether new calls are taken (not while draining, nor while [`overload`], a pure rule, finds the scheduler running late), and the answers under way a drain waits for |
//! | [`Metrics`] | the process's metrics, the calls' own included |
//!
//! Answers are data ([`Answer`], [`Fallback`]); `http` renders them. The services are built
//! once, by `app`.

mod account_gates;
mod admission;
mod agent_cache;
pub mod answer;
pub mod attach;
pub mod call_end;
pub mod call_facts;
pub mod callback_fields;
pub mod directory;
pub mod fallback;
#[cfg(test)]
mod fixtures;
pub use crate::greeting;
pub mod initiation;
pub mod initiation_failure;
pub mod menu;
mod menu_calls;
pub mod metrics;
pub mod minute_pool;
pub mod observers;
pub mod outcome;
pub mod overload;
pub mod post_call;
pub mod post_call_audio;
pub mod post_call_reconciler;
pub mod reception;
mod record_writer;
pub mod recorder;
pub mod recording_encoders;
pub mod recording_mix;
pub mod recordings;
pub mod recovery;
pub mod redact;
pub mod redemptions;
pub mod route;
pub mod streams;
mod timeline_entries;
pub mod tokens;
pub mod transcript;
pub mod transfer;

pub use admission::{Admission, Admitted};
pub use answer::{AfterStream, Answer, Connect, Destination, Handover, MenuAnswer, MenuPrompt, Whisper};
pub use attach::{AgentConnections, Attacher};
pub use call_end::{AfterCall, AfterCallListeners, RecordedCall};
pub use callback_fields::BadField;
pub use directory::{Directory, Line, ResolveError};
pub use fallback::{Fallback, Then};
pub use metrics::{CallRefusal, ConnectionRefusal, ErrorKind, Metrics};
pub use minute_pool::MinutePools;
pub use observers::{LiveEvent, LiveFeed, LogLines, Observers};
pub use overload::Overload;
pub use reception::{CallStatus, Reception};
pub use recorder::CallRecorder;
pub use route::InboundCall;
pub use streams::Streams;
pub use tokens::{Outstanding, StreamTokens};
pub use transfer::DialReport;
