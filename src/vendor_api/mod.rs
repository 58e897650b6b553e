//! The vendors' REST APIs that provisioning calls: a client per vendor, speaking its wire
//! shapes and saying in words what the vendor answered when it refuses. A layer beside
//! `upstream` (which holds the conversation's own connection); it knows nothing of runs,
//! accounts or the store.

pub mod elevenlabs;
pub mod elevenlabs_webhooks;
pub mod twilio;
