//! A bridge's parts over real sockets on loopback: the webhooks and the stream handshake,
//! whole calls with the simulators, socket lifetimes against a hand-written agent, pre-warmed
//! agent connections, the application layer's services, the drain, the HTTP front door's
//! limits, short load tests, and what the bridge writes out (TwiML, logs) when callers send
//! hostile values.

mod account_limits;
mod attach;
mod bench_scripts;
mod cli;
mod crash;
mod drain;
mod e2e;
mod front_door;
mod greeting;
mod health;
mod loadtest;
mod menu;
mod output;
mod prewarm;
mod reception;
mod recording;
mod replays;
mod routing;
mod serve_cli;
mod sockets;
mod support;
mod token_instances;
mod transfer;
mod webhooks;
