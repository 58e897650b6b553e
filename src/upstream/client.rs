//! The ElevenLabs Conversational AI client: signed URLs and the conversation WebSocket.
//!
//! A private agent needs a signed URL: `GET /v1/convai/conversation/get-signed-url?agent_id=`
//! with the `xi-api-key` header returns `{"signed_url": "wss://…"}`, valid for 15 minutes.
//! Without an API key the agent is treated as public and the bridge connects to
//! `/v1/convai/conversation?agent_id=` directly. The first frame the bridge sends is
//! `conversation_initiation_client_data`. (ElevenLabs docs, `customization/authentication`,
//! and the AsyncAPI spec in `elevenlabs/packages`.)

use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::wire::elevenlabs::{ClientMessage, InitiationClientData, SignedUrl};

/// The agent's side of a call.
pub type AgentSocket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Largest frame accepted from the agent: ElevenLabs' own limit. Its answers exceed 1 MiB at
/// times, and its SDKs raised their limits to match 16 MiB (elevenlabs-python PR #482,
/// pipecat PR #1107). A larger message breaks the connection, and the call falls back.
pub const MAX_AGENT_MESSAGE: usize = 16 << 20;
/// Bytes written to the agent's socket are gathered up to this before a write (tungstenite's
/// default); the driver flushes after every step, so this is only the most one step sends.
const WRITE_BUFFER: usize = 128 * 1024;
/// The most ever queued toward the agent's socket inside the bridge: the write buffer and one
/// message to the agent (a caller frame is a few KiB, a tool result well under this). A peer
/// that stops reading makes the driver's write wait, which is bounded in time; this bounds
/// the bytes, so a full queue fails the write instead of growing.
const MAX_WRITE_QUEUE: usize = WRITE_BUFFER + (1 << 20);
/// Read buffer per agent socket: small, because tungstenite zero-fills all of it before
/// every read (snapview/tungstenite-rs#547); see `http::stream`. Larger messages still
/// arrive whole.
const READ_BUFFER: usize = 8 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("ElevenLabs refused the API key (HTTP {0})")]
    Unauthorized(u16),
    #[error("ElevenLabs does not know agent {0}")]
    UnknownAgent(String),
    #[error("signed URL request failed: {0}")]
    SignedUrl(String),
    #[error("could not open the agent WebSocket: {0}")]
    Connect(String),
    #[error("the agent did not answer within {0:?}")]
    Timeout(Duration),
}

/// Talks to ElevenLabs (or anything that serves the same API, such as `switchboard sim agent`).
#[derive(Clone)]
pub struct ElevenLabsClient {
    http: reqwest::Client,
    api_base: String,
    api_key: Option<String>,
    timeout: Duration,
}

impl std::fmt::Debug for ElevenLabsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElevenLabsClient")
            .field("api_base", &self.api_base)
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl ElevenLabsClient {
    /// `api_base` is e.g. `https://api.elevenlabs.io`; `timeout` bounds each of the signed-URL
    /// request and the WebSocket handshake.
    pub fn new(api_base: &str, api_key: Option<String>, timeout: Duration) -> Self {
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .tcp_nodelay(true)
            .build()
            .expect("an HTTP client with default TLS settings builds");
        ElevenLabsClient {
            http,
            api_base: api_base.trim_end_matches('/').to_owned(),
            api_key,
            timeout,
        }
    }

    pub fn api_base(&self) -> &str {
        &self.api_base
    }

    /// The public conversation URL of an agent.
    pub fn conversation_url(&self, agent_id: &str) -> String {
        let ws_base = if let Some(rest) = self.api_base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = self.api_base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            self.api_base.clone()
        };
        format!(
            "{ws_base}/v1/convai/conversation?agent_id={}",
            urlencode(agent_id)
        )
    }

    /// The URL to open a conversation at: a signed URL when an API key is configured (a
    /// private agent), else the public conversation URL.
    pub async fn conversation_ws_url(&self, agent_id: &str) -> Result<String, UpstreamError> {
        let Some(key) = &self.api_key else {
            return Ok(self.conversation_url(agent_id));
        };
        let url = format!("{}/v1/convai/conversation/get-signed-url", self.api_base);
        let response = self
            .http
            .get(url)
            .query(&[("agent_id", agent_id)])
            .header("xi-api-key", key)
            .send()
            .await
            .map_err(|e| UpstreamError::SignedUrl(without_url(e)))?;
        let status = response.status();
        match status.as_u16() {
            200..=299 => {}
            401 | 403 => return Err(UpstreamError::Unauthorized(status.as_u16())),
            404 => return Err(UpstreamError::UnknownAgent(agent_id.to_owned())),
            code => return Err(UpstreamError::SignedUrl(format!("HTTP {code}"))),
        }
        let body: SignedUrl = response
            .json()
            .await
            .map_err(|e| UpstreamError::SignedUrl(without_url(e)))?;
        Ok(body.signed_url)
    }

    /// Opens a conversation with `agent_id` and sends `init` as its first frame. Returns the
    /// socket and how long it took.
    pub async fn connect(
        &self,
        agent_id: &str,
        init: &InitiationClientData,
    ) -> Result<(AgentSocket, Duration), UpstreamError> {
        use futures::SinkExt;
        let began = Instant::now();
        let url = self.conversation_ws_url(agent_id).await?;
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_AGENT_MESSAGE))
            .max_frame_size(Some(MAX_AGENT_MESSAGE))
            .read_buffer_size(READ_BUFFER)
            .write_buffer_size(WRITE_BUFFER)
            .max_write_buffer_size(MAX_WRITE_QUEUE);
        let handshake = tokio_tungstenite::connect_async_with_config(url.as_str(), Some(config), true);
        let (mut socket, _) = tokio::time::timeout(self.timeout, handshake)
            .await
            .map_err(|_| UpstreamError::Timeout(self.timeout))?
            .map_err(|e| UpstreamError::Connect(e.to_string()))?;
        let init = ClientMessage::ConversationInitiationClientData(init.clone()).to_json();
        socket
            .send(init.into())
            .await
            .map_err(|e| UpstreamError::Connect(e.to_string()))?;
        Ok((socket, began.elapsed()))
    }
}

/// reqwest errors print the URL, and a signed URL is a credential.
fn without_url(e: reqwest::Error) -> String {
    e.without_url().to_string()
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
