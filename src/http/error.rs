//! Errors of the HTTP layer, turned into responses in one place: a status and a sentence,
//! answered as `{"error": sentence}`.
//!
//! Twilio's webhooks are the exception that proves the rule: they answer TwiML even when
//! something fails on our side (see `twilio.rs`), and only a bad signature ends up here.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store::StoreError;
use crate::tools::ToolError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// A Twilio request or stream handshake without a valid `X-Twilio-Signature`.
    pub fn bad_signature() -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "Invalid Twilio signature.")
    }

    pub fn too_large(limit_bytes: usize) -> Self {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The request body is larger than {} KiB.", limit_bytes / 1024),
        )
    }
}

impl From<&ToolError> for ApiError {
    fn from(failure: &ToolError) -> Self {
        let status = match failure {
            ToolError::BadInput(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ToolError::NotFound(_) | ToolError::UnknownTool(_) => StatusCode::NOT_FOUND,
            ToolError::Refused(_) => StatusCode::CONFLICT,
            ToolError::Store(store) if store.is_retryable() => StatusCode::SERVICE_UNAVAILABLE,
            ToolError::Store(StoreError::Unavailable { .. }) => StatusCode::SERVICE_UNAVAILABLE,
            ToolError::Store(_) | ToolError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, failure.sentence())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({ "error": self.message }))).into_response()
    }
}

/// A TwiML document as a response.
pub struct Twiml(pub String);

impl IntoResponse for Twiml {
    fn into_response(self) -> Response {
        (
            [(axum::http::header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            self.0,
        )
            .into_response()
    }
}
