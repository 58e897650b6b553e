//! A running sim agent and a plain WebSocket client for it, checking on the way that every
//! server message is one the typed parser accepts (it has `type`, audio has `event_id`).

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use switchboard::sim::agent::{SimAgent, SimAgentConfig, SimMode};
use switchboard::wire::elevenlabs::AgentMessage;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any single expected message may take.
pub const PATIENCE: Duration = Duration::from_secs(5);

pub fn unb64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("valid base64")
}

pub fn echo_config() -> SimAgentConfig {
    SimAgentConfig {
        mode: SimMode::Echo,
        ..SimAgentConfig::default()
    }
}

/// A sim agent served on a loopback port for as long as this lives.
pub struct Sim {
    pub addr: SocketAddr,
    /// The running sim, to read its workspace.
    pub agent: SimAgent,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Sim {
    pub async fn start(config: SimAgentConfig) -> Sim {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let agent = SimAgent::new(config).expect("the sim agent starts");
        let app = agent.router();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Sim { addr, agent, task }
    }

    pub fn http(&self, path_and_query: &str) -> String {
        format!("http://{}{path_and_query}", self.addr)
    }

    pub fn public_url(&self, agent_id: &str) -> String {
        format!(
            "ws://{}/v1/convai/conversation?agent_id={agent_id}&source=python_sdk&version=2.78.0",
            self.addr
        )
    }
}

pub fn http_client() -> reqwest::Client {
    switchboard::tls::install_crypto_provider();
    reqwest::Client::new()
}

/// Something the server sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Message(Value),
    Closed { code: u16, reason: String },
}

impl Incoming {
    pub fn kind(&self) -> &str {
        match self {
            Incoming::Message(value) => value["type"].as_str().expect("every message has a type"),
            Incoming::Closed { .. } => "<closed>",
        }
    }

    pub fn json(&self) -> &Value {
        match self {
            Incoming::Message(value) => value,
            Incoming::Closed { code, reason } => {
                panic!("expected a message, the socket closed: {code} {reason}")
            }
        }
    }
}

pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    pub async fn connect(url: &str) -> Client {
        let config = WebSocketConfig::default()
            .max_message_size(Some(16 << 20))
            .max_frame_size(Some(16 << 20));
        let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
            .await
            .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
        Client { ws }
    }

    pub async fn send_text(&mut self, text: impl Into<String>) {
        self.ws.send(Message::text(text.into())).await.unwrap();
    }

    pub async fn send_json(&mut self, value: Value) {
        self.send_text(value.to_string()).await;
    }

    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        self.ws.send(Message::binary(bytes)).await.unwrap();
    }

    pub async fn send_audio(&mut self, audio: &[u8]) {
        self.send_text(switchboard::wire::elevenlabs::user_audio_chunk_json(audio))
            .await;
    }

    pub async fn close(&mut self) {
        let _ = self.ws.close(None).await;
    }

    /// The next message or close; panics after [`PATIENCE`].
    pub async fn next(&mut self) -> Incoming {
        self.next_within(PATIENCE)
            .await
            .expect("the server sent nothing in time")
    }

    /// The next message or close, if one arrives within `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Incoming> {
        loop {
            let frame = match tokio::time::timeout(wait, self.ws.next()).await {
                Err(_) => return None,
                Ok(None) => panic!("the socket ended without a close frame"),
                Ok(Some(Err(e))) => panic!("socket error: {e}"),
                Ok(Some(Ok(frame))) => frame,
            };
            match frame {
                Message::Text(text) => {
                    let typed = AgentMessage::parse(text.as_str());
                    assert!(typed.is_ok(), "not a valid agent message: {text}");
                    return Some(Incoming::Message(serde_json::from_str(text.as_str()).unwrap()));
                }
                Message::Close(frame) => {
                    let (code, reason) = frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((1005, String::new()));
                    return Some(Incoming::Closed { code, reason });
                }
                Message::Binary(_) => panic!("the agent sent a binary frame"),
                _ => continue,
            }
        }
    }

    /// The next message of type `kind`, skipping others (such as pings).
    pub async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let incoming = self.next().await;
            if incoming.kind() == kind {
                return incoming.json().clone();
            }
            assert!(
                !matches!(incoming, Incoming::Closed { .. }),
                "closed while waiting for {kind}: {incoming:?}"
            );
        }
    }

    /// Everything that arrives within `wait`.
    pub async fn collect_for(&mut self, wait: Duration) -> Vec<Incoming> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut all = Vec::new();
        while let Some(incoming) = self.next_within(deadline - tokio::time::Instant::now()).await {
            let closed = matches!(incoming, Incoming::Closed { .. });
            all.push(incoming);
            if closed || tokio::time::Instant::now() >= deadline {
                break;
            }
        }
        all
    }

    /// Expects an `error` event with `code` and `error_type`, then a close with `code`.
    pub async fn expect_refusal(&mut self, code: u16, error_type: &str) -> Value {
        let error = self.next_of("error").await;
        assert_eq!(error["error_event"]["code"], code, "{error}");
        assert_eq!(error["error_event"]["error_type"], error_type, "{error}");
        match self.next().await {
            Incoming::Closed { code: closed, .. } => assert_eq!(closed, code),
            other => panic!("expected a close after the error, got {other:?}"),
        }
        error
    }
}
