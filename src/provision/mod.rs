//! Provisioning at the vendors.

pub mod agent_config;
pub mod elevenlabs_agents;
pub mod elevenlabs_tools;
pub mod elevenlabs_undo;
mod shim;
pub use shim::*;
