//! The HTTP side: the signed-URL endpoint and the upgrade to a conversation socket, with
//! ElevenLabs' paths, headers and error bodies.
//!
//! Error bodies follow the API's FastAPI shapes: `{"detail": {"status", "message"}}` for a
//! missing or wrong `xi-api-key` (as ElevenLabs answers, e.g. `invalid_api_key` /
//! "Invalid API key"), a list of `{"type", "loc", "msg"}` for a missing query parameter, and
//! `{"detail": "Not Found"}` for unknown paths.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use subtle::ConstantTimeEq;

use super::connection::{self, Refusal, Shared};
use crate::wire::elevenlabs::SignedUrl;

/// Largest client message accepted, as large as the Python SDK's own limit.
const MAX_MESSAGE: usize = 16 << 20;
/// Read buffer per conversation socket. tungstenite zero-fills all of it before every read
/// (snapview/tungstenite-rs#547), so the 128 KiB default costs a large memset per audio
/// chunk; chunks are small and larger messages still arrive whole.
const READ_BUFFER: usize = 8 * 1024;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/convai/conversation", get(conversation))
        .route("/v1/convai/conversation/get-signed-url", get(signed_url))
        // The deprecated spelling, still used by ElevenLabs' own Twilio examples.
        .route("/v1/convai/conversation/get_signed_url", get(signed_url))
        .route(
            "/sim/conversations/{conversation_id}/deliver-webhook",
            post(deliver_webhook),
        )
        .fallback(not_found)
        .with_state(shared)
}

async fn signed_url(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if let Some(refusal) = api_key_refusal(shared.config.api_key.as_deref(), &headers) {
        return refusal;
    }
    let Some(agent_id) = query.get("agent_id").filter(|id| !id.is_empty()) else {
        return missing_query_parameter("agent_id");
    };
    let signature = shared.signatures.issue(agent_id, Instant::now());
    let scheme = match headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) {
        Some("https") => "wss",
        _ => "ws",
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| uri.authority().map(|a| a.to_string()))
        .unwrap_or_else(|| "localhost".to_owned());
    let signed_url = format!(
        "{scheme}://{host}/v1/convai/conversation?agent_id={}&conversation_signature={signature}",
        encode_query_value(agent_id)
    );
    Json(SignedUrl { signed_url }).into_response()
}

async fn conversation(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let admission = admit(&shared, &query);
    upgrade
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| connection::run(socket, shared, admission))
}

/// Whether a socket may hold a conversation, and with which agent. The refusal is told over
/// the socket, as ElevenLabs closes with 1008 rather than failing the upgrade. The spec's
/// `ErrorType` has no value for authorization; `http_exception` is our choice for a bad
/// signature.
fn admit(shared: &Shared, query: &HashMap<String, String>) -> Result<String, Refusal> {
    let Some(agent_id) = query.get("agent_id").filter(|id| !id.is_empty()) else {
        return Err(Refusal {
            error_type: "missing_fields",
            message: "Missing required query parameter: agent_id".into(),
        });
    };
    let admitted = match query.get("conversation_signature") {
        Some(signature) => shared
            .signatures
            .redeem(signature, agent_id, Instant::now())
            .map_err(|refusal| Refusal {
                error_type: "http_exception",
                message: format!("Could not authorize the conversation: {refusal}"),
            }),
        None if shared.config.api_key.is_some() => Err(Refusal {
            error_type: "http_exception",
            message: "This agent is private: open the conversation with a signed URL".into(),
        }),
        None => Ok(()),
    };
    admitted.map(|()| agent_id.clone())
}

/// `{"count"}` of `POST /sim/conversations/{id}/deliver-webhook`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Redelivery {
    #[serde(default = "one")]
    count: u32,
}

fn one() -> u32 {
    1
}

/// A control endpoint of the stand-in (not ElevenLabs'): sends a hosted conversation's
/// post-call event `count` (1 to 100) more times. 202 once queued.
async fn deliver_webhook(
    State(shared): State<Arc<Shared>>,
    Path(conversation_id): Path<String>,
    body: Option<Json<Redelivery>>,
) -> Response {
    use super::post_call::NotQueued;
    let count = body.map_or(1, |Json(body)| body.count);
    if !(1..=100).contains(&count) {
        let body = json!({"error": "count must be from 1 to 100"});
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    }
    match shared
        .post_call
        .redeliver(&shared.workspace, &conversation_id, count)
    {
        Ok(()) => (StatusCode::ACCEPTED, Json(json!({"queued": count}))).into_response(),
        Err(refused) => {
            let status = match refused {
                NotQueued::UnknownConversation(_) => StatusCode::NOT_FOUND,
                NotQueued::NoWebhook => StatusCode::CONFLICT,
                NotQueued::Busy => StatusCode::SERVICE_UNAVAILABLE,
            };
            (status, Json(json!({"error": refused.to_string()}))).into_response()
        }
    }
}

/// The 401 for a request without the configured `xi-api-key` (`expected`), if it lacks it.
pub(in crate::sim::agent) fn api_key_refusal(
    expected: Option<&str>,
    headers: &HeaderMap,
) -> Option<Response> {
    let expected = expected?;
    let Some(given) = headers.get("xi-api-key") else {
        return Some(unauthorized(
            "needs_authorization",
            "Neither authorization header nor xi-api-key received, please provide one.",
        ));
    };
    let matches = bool::from(given.as_bytes().ct_eq(expected.as_bytes()));
    (!matches).then(|| unauthorized("invalid_api_key", "Invalid API key"))
}

fn unauthorized(status: &str, message: &str) -> Response {
    let body = json!({"detail": {"status": status, "message": message}});
    (StatusCode::UNAUTHORIZED, Json(body)).into_response()
}

fn missing_query_parameter(name: &str) -> Response {
    let body = json!({"detail": [{"type": "missing", "loc": ["query", name], "msg": "Field required", "input": null}]});
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"detail": "Not Found"}))).into_response()
}

/// Everything but RFC 3986's unreserved characters is escaped.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn encode_query_value(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, QUERY_VALUE).to_string()
}
