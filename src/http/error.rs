//! Errors of the HTTP layer, turned into responses in one place.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A Twilio request without a valid `X-Twilio-Signature`.
    #[error("invalid Twilio signature")]
    BadSignature,
    #[error("{0}")]
    BadRequest(String),
    #[error("request body too large")]
    TooLarge,
    #[error("{0}")]
    Unavailable(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::BadSignature => StatusCode::FORBIDDEN,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        (status, self.to_string()).into_response()
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
