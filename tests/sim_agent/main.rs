//! `switchboard sim agent` over real sockets: the signed-URL flow, the conversation
//! protocol, echo mode and script mode, driven by a tokio-tungstenite client.

mod auth;
mod caller;
mod client;
mod echo;
mod protocol;
mod script;
