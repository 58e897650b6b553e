//! The call layer: the session driven with no sockets and a virtual clock, its allocation
//! budget, the parsers and the session fed noise, and the driver running whole calls over
//! in-memory sockets.

mod agent_health;
mod alloc;
mod driver;
mod fuzz;
mod holds;
mod session;
mod support;
mod transfer;
