//! `switchboard loadtest`: many simulated Twilio calls at once against a bridge, timing what
//! a caller would notice.
//!
//! Each call is a Twilio stand-in: signed voice webhook, signed media-stream handshake,
//! `connected` and `start` with the TwiML's `<Parameter>`s, a recorded caller fixture looped
//! in real-time 20 ms frames, and a Twilio-like playout that echoes marks and honours
//! `clear`. Nothing in it depends on switchboard: any bridge that speaks Twilio Media
//! Streams can be driven. Put an echo agent behind the bridge (`switchboard sim agent --mode
//! echo`) and every frame comes back, so each frame's round trip through the bridge is
//! measured (matched by a tag written into the payload on the μ-law pass-through path, by
//! order where transcoding changes the bytes; see [`matcher`]), along with lost, reordered
//! and duplicated frames, the webhook's answer time, time to first audio, and the time from
//! a DTMF `*` to the `clear` it causes. Where the bridge is switchboard, its `/metrics` adds
//! its inside view (interruption → clear in the bridge, upstream connect, relay time); the
//! bridge's CPU and memory come from `/proc`.
//!
//! The load generator shares the machine with what it measures, so it is kept lean: one
//! task per call, no lock and no allocation per frame sent ([`message`]), per-call
//! histograms merged at the end ([`stats`]), shared counters touched in batches ([`live`]).

pub mod audio;
pub mod bridge_metrics;
pub mod call;
pub mod echo;
pub mod harness_check;
pub mod live;
pub mod machine_speed;
pub mod matcher;
pub mod message;
pub mod procfs;
pub mod progress;
pub mod prometheus;
pub mod report;
pub mod run;
pub mod sampler;
pub mod stats;
pub mod summary;
pub mod tag;
pub mod timeline;

pub use audio::{ALL_CLIPS, CallerAudio, FixtureError};
pub use matcher::Matching;
pub use report::LoadReport;
pub use run::{LoadTestConfig, LoadTestError, run};
