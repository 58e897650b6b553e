//! A bridge's parts over real sockets on loopback: the webhooks and the stream handshake,
//! whole calls with the simulators, socket lifetimes against a hand-written agent, pre-warmed
//! agent connections, the application layer's services, the drain, and short load tests.

mod attach;
mod drain;
mod e2e;
mod health;
mod loadtest;
mod prewarm;
mod reception;
mod serve_cli;
mod sockets;
mod support;
mod webhooks;
