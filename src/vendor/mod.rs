//! The vendors' REST APIs that provisioning calls: a client per vendor, speaking its wire
//! shapes and saying in words what the vendor answered when it refuses.

pub mod twilio;
