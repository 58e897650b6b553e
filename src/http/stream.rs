//! `GET /twilio/stream`: Twilio's media-stream WebSocket, and how a started stream finds its
//! agent.
//!
//! The handshake must carry a valid `X-Twilio-Signature` over the `wss://` URL, or it is
//! refused before the upgrade. Once Twilio's `start` arrives, its one-time token (issued by
//! the voice webhook) is redeemed and the pre-warmed agent connection claimed; if there is
//! none (it expired, or the webhook ran on another instance) a new one is opened.

use std::time::Instant;

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use tracing::Instrument;

use super::AppState;
use super::error::ApiError;
use super::signed::{signature, signed_url};
use super::stream_token::TokenError;
use super::twilio::{initiation_data, websocket_base};
use crate::call::Started;
use crate::call::ToolContext;
use crate::call::driver::{self, Attach, Attached};
use crate::metrics::ErrorKind;
use crate::store::{AgentId, StoreError};
use crate::upstream::{UpstreamError, Warm};

/// Largest frame accepted from Twilio. Media frames are ~300 bytes; the session applies a
/// tighter cap of its own and counts what it ignores, this one only protects the process.
const MAX_TWILIO_MESSAGE: usize = 1 << 20;
/// Read buffer per stream. tungstenite zero-fills its whole read buffer before every read
/// (snapview/tungstenite-rs#547); at the default 128 KiB that memset was over a quarter of
/// the bridge's CPU under load, and kept 128 KiB resident per socket. Media frames are a few
/// hundred bytes, and larger messages still arrive whole, in more reads.
const READ_BUFFER: usize = 8 * 1024;

pub async fn upgrade(
    State(app): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    ws: WebSocketUpgrade,
) -> Response {
    // Twilio signs the URL it connected to: the public wss:// URL (query included, if any).
    let url = signed_url(&websocket_base(&app.config.public_url), &uri);
    let valid = signature(&headers).is_some_and(|sig| app.validator.validate_websocket(&url, sig));
    if !valid {
        app.metrics.error(ErrorKind::BadSignature);
        tracing::warn!(%url, "media stream handshake with a missing or wrong signature refused");
        return ApiError::bad_signature().into_response();
    }
    ws.max_message_size(MAX_TWILIO_MESSAGE)
        .max_frame_size(MAX_TWILIO_MESSAGE)
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| {
            let span = tracing::info_span!("call", sid = tracing::field::Empty);
            async move {
                let attach = StreamAttach {
                    app: app.clone(),
                    span: tracing::Span::current(),
                };
                driver::run(socket, attach, &app.driver).await;
            }
            .instrument(span)
        })
}

struct StreamAttach {
    app: AppState,
    span: tracing::Span,
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

impl Attach for StreamAttach {
    type Error = AttachError;

    async fn attach(&mut self, started: &Started) -> Result<Attached, AttachError> {
        self.span.record("sid", started.call_sid.as_str());
        let attached = self.find_agent(started).await;
        if let Err(e) = &attached
            && let Some(kind) = e.metric()
        {
            self.app.metrics.error(kind);
        }
        attached
    }
}

impl StreamAttach {
    async fn find_agent(&self, started: &Started) -> Result<Attached, AttachError> {
        let app = &self.app;
        let claims = app.tokens.redeem(
            started.parameters.get("token").map(String::as_str),
            &started.call_sid,
        )?;
        let agent_id = AgentId::from(claims.agent_id.clone());
        let agent = app
            .store
            .agent_by_id(&agent_id)
            .await?
            .ok_or_else(|| AttachError::AgentGone(claims.agent_id.clone()))?;
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
        let warm = match app.prewarm.claim(&claims.nonce).await {
            Some(result) => {
                app.metrics.prewarm(true);
                result?
            }
            None => {
                app.metrics.prewarm(false);
                tracing::info!("no pre-warmed agent connection; opening one now");
                let account = app.store.account(&agent.account_id).await?;
                let init = initiation_data(
                    &agent,
                    &account,
                    &started.call_sid,
                    from.as_deref().unwrap_or("anonymous"),
                    to.as_deref().unwrap_or_default(),
                    Timestamp::now(),
                );
                let (socket, connect_time) =
                    app.elevenlabs.connect(&agent.elevenlabs_agent_id, &init).await?;
                Warm {
                    socket,
                    held: Vec::new(),
                    connect_time,
                }
            }
        };
        app.metrics.upstream_connect.record(warm.connect_time);
        tracing::info!(
            agent = %agent.name,
            connect_ms = warm.connect_time.as_millis() as u64,
            waited_ms = began.elapsed().as_millis() as u64,
            held = warm.held.len(),
            "agent attached"
        );
        Ok(Attached {
            socket: warm.socket,
            held: warm.held,
            tool_context,
        })
    }
}
