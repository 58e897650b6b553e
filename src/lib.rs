//! switchboard: a real-time media bridge between Twilio phone numbers and ElevenLabs
//! Conversational AI agents, with the booking tools an AI receptionist needs in-process.
//!
//! The layers and the path of a call are drawn in docs/ARCHITECTURE.md: `cli` starts things
//! and `app` wires every service once; `http` only translates, for Twilio and the webhook
//! tools; `telephony` is a call's life outside its session (routing, attach, records,
//! observers); `call` (a sans-IO session and its driver) relays each call, with `upstream`
//! connecting the agent; `tools` answers the booking tools with the use cases of `booking`,
//! over the rules of `availability` and the `store`; `wire` and `audio` are the formats; `sim`
//! and `loadtest` are the stand-ins and the load generator; `config`, `metrics`, `shutdown` and
//! `tls` serve them all.

pub mod app;
pub mod audio;
pub mod availability;
pub mod backoff;
pub mod booking;
pub mod calendar_sources;
pub mod call;
pub mod cli;
pub mod config;
pub mod email;
pub mod greeting;
pub mod hours;
pub mod http;
pub mod ics;
pub mod loadtest;
pub mod manage;
pub mod messaging;
pub mod metrics;
pub mod provision;
pub mod shutdown;
pub mod sim;
pub mod store;
pub mod telephony;
pub mod timezone;
pub mod tls;
pub mod tools;
pub mod upstream;
pub mod vendor_api;
pub mod webhooks;
pub mod wire;
