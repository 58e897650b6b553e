//! `POST /tools/{name}`: the booking tools for ElevenLabs webhook tools (server tools), the same
//! [`Toolbox`] the call session uses in-process.
//!
//! The JSON body is the tool's parameters plus the call context ElevenLabs fills from system
//! dynamic variables (see `tools::schema::CONTEXT_FIELDS`): `agent_id` (required; switchboard's
//! agent id or the ElevenLabs agent id), `caller_number`, `called_number`, `call_sid`. When one
//! ElevenLabs agent serves several numbers, `called_number` picks the line.
//!
//! Headers: `X-Voice-Secret` must equal `SWITCHBOARD_TOOL_SECRET` (compared in constant time);
//! without a configured secret every request is refused with 503, the endpoint is never open.
//! `Idempotency-Key` plays the role of the client tool's `tool_call_id` (a random one without).
//!
//! Answers: 200 with the tool's JSON reply; `{"error": sentence}` otherwise, with 401 (secret
//! missing or wrong), 400 (body not a JSON object, bad header), 404 (unknown tool, agent,
//! booking or meeting type), 409 (refused: the time was taken, …; or an ambiguous agent),
//! 413 (body over [`MAX_BODY_BYTES`]), 422 (parameters missing or malformed), 500/503
//! (storage). ElevenLabs only shows a failed webhook's body to the agent when the tool's
//! `tool_error_handling_mode` is `passthrough`, which the generated tool definitions set.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRef, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::ApiError;
use crate::call::ToolCall;
use crate::telephony::directory::WebhookCaller;
use crate::telephony::{Directory, ResolveError};
use crate::tools::{ToolError, ToolName, Toolbox};

/// The environment variable holding the shared secret.
pub const SECRET_ENV: &str = "SWITCHBOARD_TOOL_SECRET";
/// The largest request body accepted; tool parameters are a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
const SECRET_HEADER: &str = "x-voice-secret";
const IDEMPOTENCY_HEADER: &str = "idempotency-key";
const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// What the routes need: the tools, the agents they may work for, and the secret's digest
/// (hashing both sides first makes the comparison constant-time in the secret's length too).
#[derive(Clone)]
pub struct ToolsState {
    toolbox: Toolbox,
    directory: Directory,
    secret_digest: Option<Arc<[u8; 32]>>,
}

impl std::fmt::Debug for ToolsState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolsState")
            .field("toolbox", &self.toolbox)
            .field("secret_configured", &self.secret_digest.is_some())
            .finish()
    }
}

impl ToolsState {
    /// `secret`: the value webhook requests must present; `None` or blank refuses them all.
    pub fn new(toolbox: Toolbox, secret: Option<&str>) -> Self {
        let secret_digest = secret
            .filter(|secret| !secret.trim().is_empty())
            .map(|secret| Arc::new(digest(secret.as_bytes())));
        ToolsState {
            directory: Directory::new(toolbox.store().clone()),
            toolbox,
            secret_digest,
        }
    }

    fn authorize(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(expected) = &self.secret_digest else {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("Webhook tools are disabled: set {SECRET_ENV} to enable them."),
            ));
        };
        let presented = headers.get(SECRET_HEADER).map(HeaderValue::as_bytes);
        let matches = presented.is_some_and(|presented| bool::from(digest(presented).ct_eq(&expected[..])));
        if matches {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Missing or wrong X-Voice-Secret header.",
            ))
        }
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The tool routes, for any app state the [`ToolsState`] can be taken from.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    ToolsState: FromRef<S>,
{
    Router::new()
        .route("/tools/{name}", post(call_tool))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// The tool routes on their own.
pub fn router(state: ToolsState) -> Router {
    routes().with_state(state)
}

async fn call_tool(
    State(state): State<ToolsState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    state.authorize(&headers)?;
    let (caller, call) = read_request(name, &headers, body)?;
    let ctx = state
        .directory
        .tool_context(caller)
        .await
        .map_err(resolve_error)?;
    match state.toolbox.run(&ctx, &call).await {
        Ok(reply) => Ok(([(header::CONTENT_TYPE, "application/json")], reply).into_response()),
        Err(failure) => {
            if failure.is_internal() {
                tracing::warn!(tool = %call.name, error = %failure, "webhook tool failed");
            }
            Err(ApiError::from(&failure))
        }
    }
}

/// The request as a tool call: the call context fields are taken out of the body, so only
/// the tool's parameters remain.
fn read_request(
    name: String,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(WebhookCaller, ToolCall), ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(MAX_BODY_BYTES)
        } else {
            ApiError::new(rejection.status(), "The request body could not be read.")
        }
    })?;
    if ToolName::parse(&name).is_none() {
        return Err(ApiError::from(&ToolError::UnknownTool(name)));
    }
    let Ok(Value::Object(mut fields)) = serde_json::from_slice::<Value>(&body) else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "The request body must be a JSON object of the tool's parameters.",
        ));
    };
    let id = idempotency_key(headers)?;
    let mut take = |key: &str| match fields.remove(key) {
        Some(Value::String(text)) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        _ => None,
    };
    let Some(agent) = take("agent_id") else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "I need agent_id: switchboard's agent id or the ElevenLabs agent id.",
        ));
    };
    let caller = WebhookCaller {
        agent,
        caller_number: take("caller_number"),
        called_number: take("called_number"),
        call_sid: take("call_sid"),
    };
    let call = ToolCall {
        id,
        name,
        parameters: Value::Object(fields),
    };
    Ok((caller, call))
}

fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    match headers.get(IDEMPOTENCY_HEADER) {
        None => Ok(uuid::Uuid::new_v4().to_string()),
        Some(value) => match value.to_str() {
            Ok(key) if !key.trim().is_empty() && key.len() <= MAX_IDEMPOTENCY_KEY_LEN => {
                Ok(key.trim().to_owned())
            }
            _ => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters."),
            )),
        },
    }
}

/// Why no single agent answers: unknown (404), ambiguous (409), or the store failed.
fn resolve_error(error: ResolveError) -> ApiError {
    match error {
        ResolveError::Unknown(_) => ApiError::new(StatusCode::NOT_FOUND, error.to_string()),
        ResolveError::Ambiguous(_) => ApiError::new(StatusCode::CONFLICT, error.to_string()),
        ResolveError::Store(error) => {
            tracing::warn!(%error, "agent lookup failed");
            ApiError::from(&ToolError::Store(error))
        }
    }
}
