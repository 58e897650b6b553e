//! `POST /webhooks/elevenlabs`: ElevenLabs' post-call webhooks, run by
//! `telephony::post_call`.
//!
//! The raw body's `ElevenLabs-Signature` is checked before anything is parsed. Answers: 200
//! `{"status":"ok"}` for every accepted event, a redelivery and an unknown type included (only
//! a 200 counts for ElevenLabs, and repeated failures disable the webhook); 401 for a
//! missing, malformed, stale, future or wrong signature; 400 for a signed body that is not an
//! ElevenLabs event; 413 above [`MAX_BODY_BYTES`] or for post-call audio above
//! `post_call_audio::MAX_AUDIO_BYTES`; 503/500 when storing failed.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::error::ApiError;
use crate::telephony::post_call::{PostCallError, PostCallWebhooks};
use crate::telephony::post_call_audio;
use crate::wire::elevenlabs::webhook_signature::SIGNATURE_HEADER;

/// The largest body accepted: post-call audio of the largest size kept
/// ([`post_call_audio::MAX_AUDIO_BYTES`], as base64) and 1 MiB for the rest of the event (a
/// transcript of a long call is a few hundred KiB).
pub const MAX_BODY_BYTES: usize = post_call_audio::MAX_AUDIO_BASE64_CHARS + 1024 * 1024;

/// What the route needs.
#[derive(Debug, Clone)]
pub struct ElevenLabsWebhookState {
    pub webhooks: PostCallWebhooks,
}

pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    ElevenLabsWebhookState: axum::extract::FromRef<S>,
{
    Router::new()
        .route("/webhooks/elevenlabs", post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

async fn receive(
    State(state): State<ElevenLabsWebhookState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return ApiError::too_large(MAX_BODY_BYTES).into_response();
        }
        Err(rejection) => return ApiError::new(rejection.status(), rejection.body_text()).into_response(),
    };
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok());
    let now = jiff::Timestamp::now().as_second();
    match state.webhooks.receive(signature, &body, now).await {
        Ok(_) => axum::Json(serde_json::json!({ "status": "ok" })).into_response(),
        Err(PostCallError::Signature(why)) => {
            tracing::warn!(%why, "ElevenLabs webhook refused");
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                format!("Invalid ElevenLabs signature: {why}."),
            )
            .into_response()
        }
        Err(PostCallError::Malformed(why)) => {
            tracing::warn!(%why, "signed ElevenLabs webhook body not understood");
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("The body is not an ElevenLabs event: {why}."),
            )
            .into_response()
        }
        Err(PostCallError::TooLarge(why)) => {
            tracing::warn!(%why, "ElevenLabs post-call audio refused");
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The post-call audio is refused: {why}."),
            )
            .into_response()
        }
        Err(PostCallError::Store(error)) => {
            tracing::error!(%error, "post-call report not stored");
            let status = if error.is_retryable() {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            ApiError::new(status, "The report could not be stored; try again.").into_response()
        }
    }
}
