//! The booking tools as the agent calls them: in-process through the Toolbox, and over HTTP
//! as ElevenLabs webhook tools, on both backends; what the agent is told, word for word.

mod booking;
mod catalog;
mod changes;
mod consent;
mod http;
mod latency;
mod support;
mod team;
mod transfer;
