//! How a started stream finds its agent: the one-time token from its webhook is redeemed, the
//! agent looked up, and the agent connection pre-warmed during the webhook claimed; if there
//! is none (it expired, or the webhook ran on another instance) a new one is opened.
//!
//! The agent's socket is tokio-tungstenite's, so its message type is read here as the call
//! driver reads every socket ([`call::Message`](crate::call::Message)).

use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::call::driver::{Attach, AttachFailure, Attached, Closed};
use crate::call::{Frame, Message, Received, Started, ToolContext};
use crate::store::{Agent, AgentId, StoreError};
use crate::upstream::{AgentSocket, ElevenLabsClient, Held, Prewarm, UpstreamError, Warm};
use crate::wire::elevenlabs::InitiationClientData;

use super::directory::Directory;
use super::initiation::look_up_and_build;
use super::metrics::{ErrorKind, Metrics};
use super::recording_encoders::RecordingEncoders;
use super::redemptions::{SharedRedemptionError, SharedRedemptions};
use super::tokens::{StreamTokens, TokenError};

/// Opens agent connections: ahead of the stream (pre-warmed during the voice webhook), or when
/// the stream starts.
#[derive(Clone)]
pub struct AgentConnections {
    elevenlabs: ElevenLabsClient,
    prewarm: Prewarm,
    /// How long a pre-warmed connection waits for its stream.
    hold_for: Duration,
}

impl AgentConnections {
    pub fn new(elevenlabs: ElevenLabsClient, prewarm: Prewarm, hold_for: Duration) -> Self {
        AgentConnections {
            elevenlabs,
            prewarm,
            hold_for,
        }
    }

    /// Starts connecting `agent` in the background, held under `key` for the stream to claim;
    /// what the agent is told is made by `init` first, in the same task.
    pub fn prewarm(
        &self,
        key: String,
        agent: &Agent,
        init: impl Future<Output = InitiationClientData> + Send + 'static,
    ) {
        let client = self.elevenlabs.clone();
        let agent_id = agent.elevenlabs_agent_id.clone();
        self.prewarm.open(
            key,
            async move { client.connect(&agent_id, &init.await).await },
            self.hold_for,
        );
    }

    /// Connections waiting for their stream.
    pub fn waiting(&self) -> usize {
        self.prewarm.waiting()
    }
}

/// Why a started stream found no agent.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error("stream token refused: {0}")]
    Token(#[from] TokenError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("agent {0} no longer exists")]
    AgentGone(String),
    #[error("agent connection failed: {0}")]
    Upstream(#[from] UpstreamError),
}

/// A token another instance (or this one) redeemed is reused; a redemption the database could
/// not record refuses the stream (fail closed).
impl From<SharedRedemptionError> for AttachError {
    fn from(error: SharedRedemptionError) -> Self {
        match error {
            SharedRedemptionError::Reused => AttachError::Token(TokenError::Reused),
            SharedRedemptionError::Unrecorded(error) => {
                tracing::error!(%error, "could not record the stream token's redemption; the stream is refused");
                AttachError::Store(error)
            }
        }
    }
}

impl AttachFailure for AttachError {
    fn is_agents_side(&self) -> bool {
        matches!(self, AttachError::Upstream(_))
    }
}

impl AttachError {
    fn metric(&self) -> Option<ErrorKind> {
        match self {
            AttachError::Token(_) => Some(ErrorKind::BadStreamToken),
            AttachError::Store(_) => Some(ErrorKind::Store),
            AttachError::AgentGone(_) => None,
            AttachError::Upstream(_) => Some(ErrorKind::UpstreamConnect),
        }
    }
}

/// What every stream's attach needs.
#[derive(Clone)]
pub struct Attacher {
    pub directory: Directory,
    pub tokens: Arc<StreamTokens>,
    pub connections: AgentConnections,
    pub metrics: Arc<Metrics>,
    /// The tokens redeemed by every instance: checked after this instance's own ledger.
    pub redemptions: SharedRedemptions,
    /// Starts the recording of a call on an account that records calls.
    pub recordings: RecordingEncoders,
}

/// The attach of one stream; records the call's sid in `span` once the stream names it.
pub struct StreamAttach {
    attacher: Attacher,
    span: tracing::Span,
}

impl StreamAttach {
    pub fn new(attacher: Attacher, span: tracing::Span) -> Self {
        StreamAttach { attacher, span }
    }
}

impl Attach for StreamAttach {
    type Agent = AgentSocket;
    type Error = AttachError;

    async fn attach(&mut self, started: &Started) -> Result<Attached<AgentSocket>, AttachError> {
        self.span.record("sid", started.call_sid.as_str());
        let attached = self.attacher.find_agent(started, Timestamp::now()).await;
        if let Err(e) = &attached
            && let Some(kind) = e.metric()
        {
            self.attacher.metrics.error(kind);
        }
        attached
    }
}

impl Attacher {
    async fn find_agent(
        &self,
        started: &Started,
        now: Timestamp,
    ) -> Result<Attached<AgentSocket>, AttachError> {
        let token = started.parameters.get("token").map(String::as_str);
        let claims = self.tokens.redeem(token, &started.call_sid, now)?;
        self.redemptions.redeem(&claims, now).await?;
        let line = self
            .directory
            .line_of_agent(&AgentId::from(claims.agent_id.clone()))
            .await?
            .ok_or_else(|| AttachError::AgentGone(claims.agent_id.clone()))?;
        let agent = &line.agent;
        let from = started.parameters.get("from").cloned();
        let to = started.parameters.get("to").cloned();
        let tool_context = ToolContext {
            account_id: agent.account_id.to_string(),
            agent_id: agent.id.to_string(),
            call_sid: started.call_sid.clone(),
            caller_number: from.clone(),
            called_number: to.clone(),
        };

        let began = Instant::now();
        let warm = match self.connections.prewarm.claim(&claims.nonce).await {
            Some(result) => {
                self.metrics.prewarm(true);
                result?
            }
            None => {
                self.metrics.prewarm(false);
                tracing::info!("no pre-warmed agent connection; opening one now");
                let from = from.clone().unwrap_or_else(|| "anonymous".to_owned());
                let to = to.clone().unwrap_or_default();
                let store = self.directory.store().clone();
                let call_sid = started.call_sid.clone();
                let init = look_up_and_build(store, line.clone(), call_sid, from, to, now).await;
                let (socket, connect_time) = self
                    .connections
                    .elevenlabs
                    .connect(&agent.elevenlabs_agent_id, &init)
                    .await?;
                Warm {
                    socket,
                    held: Vec::new(),
                    dropped: 0,
                    connect_time,
                }
            }
        };
        self.metrics.upstream_connect.record(warm.connect_time);
        tracing::info!(
            agent = %agent.name,
            connect_ms = warm.connect_time.as_millis() as u64,
            waited_ms = began.elapsed().as_millis() as u64,
            held = warm.held.len(),
            "agent attached"
        );
        let (held, closed) = held_messages(warm.held);
        Ok(Attached {
            socket: warm.socket,
            held,
            dropped: warm.dropped,
            closed,
            tool_context,
            // Only a call on an account that records calls has a tap; consent is checked at
            // its end (see `telephony::recordings`).
            recording: line
                .account
                .record_calls
                .then(|| self.recordings.start(started.call_sid.clone())),
        })
    }
}

/// What a pre-warmed connection received, as the driver replays it: messages with when they
/// arrived, and how the socket ended if it ended without a close message.
fn held_messages(held: Vec<Held>) -> (Vec<(Instant, WsMessage)>, Option<Closed>) {
    let mut messages = Vec::with_capacity(held.len());
    let mut closed = None;
    for item in held {
        match item {
            Held::Message(message, received) => messages.push((received, message)),
            Held::Ended(reason) => closed = Some(Closed { code: None, reason }),
        }
    }
    (messages, closed)
}

impl Message for WsMessage {
    fn text(text: String) -> Self {
        WsMessage::Text(text.into())
    }

    fn close() -> Self {
        WsMessage::Close(None)
    }

    fn read(&self) -> Received<'_> {
        match self {
            WsMessage::Text(text) => Received::Frame(Frame::Text(text.as_str())),
            WsMessage::Binary(bytes) => Received::Frame(Frame::Binary(bytes)),
            WsMessage::Close(frame) => Received::Closed {
                code: frame.as_ref().map(|f| f.code.into()),
                reason: frame.as_ref().map_or("", |f| f.reason.as_str()),
            },
            WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_) => Received::Control,
        }
    }
}
