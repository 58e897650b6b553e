//! `switchboard sim twilio` over real HTTP: Twilio's REST API for numbers, messages and
//! calls, its authentication, errors and pages, the requests it keeps and the failures it
//! is told to answer; calls it places answered by its simulated callee through a real
//! bridge, and calls it rings into a number.

#[path = "../bridge/support.rs"]
#[allow(dead_code)] // the bridge's helpers are shared with the bridge binary
mod bridge_support;
mod calls;
mod cli;
mod failures;
mod messages;
mod numbers;
mod outbox;
mod rest;
mod ring;
mod support;
mod texts;
