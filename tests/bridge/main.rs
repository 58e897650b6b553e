//! A bridge's parts over real sockets on loopback: the webhooks and the stream handshake,
//! whole calls with the simulators, socket lifetimes against a hand-written agent, pre-warmed
//! agent connections, the application layer's services, the drain, and short load tests.

mod attach;
mod crash;
mod drain;
mod e2e;
mod loadtest;
mod prewarm;
mod reception;
mod replays;
mod sockets;
mod support;
mod webhooks;
