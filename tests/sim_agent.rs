//! `switchboard sim agent` over real sockets: the signed-URL flow, the conversation
//! protocol, echo mode and script mode, driven by a tokio-tungstenite client.

mod sim_agent {
    pub mod auth;
    pub mod caller;
    pub mod client;
    pub mod echo;
    pub mod protocol;
    pub mod script;
}
