//! `switchboard sim agent` over real sockets: the signed-URL flow, the conversation
//! protocol, echo mode and script mode, the REST API for agents and tools, driven by a tokio-tungstenite client.

mod auth;
mod caller;
mod client;
mod configured;
mod conversations;
mod echo;
mod failures;
mod post_call_webhooks;
mod protocol;
mod rest;
mod script;
mod workspace_webhooks;
