//! Stand-ins for the remote ends of a call, shipped as product features so that no one needs
//! a Twilio or ElevenLabs account to run, demo or load-test switchboard: the caller (Twilio's
//! side), the agent (ElevenLabs' side) and Twilio's REST API (`twilio`).

pub mod agent;
pub mod caller;
pub mod failures;
pub mod smtp;
pub mod twilio;
