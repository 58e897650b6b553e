//! switchboard: a real-time media bridge between Twilio phone numbers and ElevenLabs
//! Conversational AI agents, with the booking tools an AI receptionist needs in-process.
//!
//! Layers, top to bottom (arrows only point down; see docs/ARCHITECTURE.md):
//! `cli` → `http` → `call` / `upstream` → `tools`, `booking` → `store`; `wire`, `audio` and
//! `sim` sit beside them as leaves.

pub mod audio;
pub mod booking;
pub mod call;
pub mod cli;
pub mod config;
pub mod http;
pub mod loadtest;
pub mod metrics;
pub mod server;
pub mod sim;
pub mod store;
pub mod tls;
pub mod tools;
pub mod upstream;
pub mod wire;
