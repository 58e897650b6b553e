//! Stand-ins for the two remote ends, shipped as product features: the caller (Twilio's
//! side) and the agent (ElevenLabs' side).

pub mod caller;
