//! The REST API's errors, turned into responses in one place: a status and
//! `{"error": {"code", "message", "field"?}}`, where `code` is stable for programs, `message` a
//! sentence a person can act on and `field` the input at fault.
//!
//! Every bad input is a 4xx; a 500 means a bug or a database failure of ours, and its message
//! says only that (the details go to the log).

use axum::body::to_bytes;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::manage::ManageError;
use crate::store::StoreError;

/// An error answer of the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// What can be asked for instead (a refused booking's next free starts, RFC 3339).
    pub alternatives: Option<Vec<String>>,
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, for programs: `invalid`, `not_found`, `unauthorized`, `plan_limit`, ...
    pub code: String,
    /// For people: what went wrong and what to do.
    pub message: String,
    /// The request field at fault, as the client spelled it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// A refused booking's next free starts (RFC 3339 with the offset of the zone asked in),
    /// to offer instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternatives: Option<Vec<String>>,
}

impl ApiFailure {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiFailure {
        ApiFailure {
            status,
            code,
            message: message.into(),
            field: None,
            alternatives: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> ApiFailure {
        self.field = Some(field.into());
        self
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiFailure {
        ApiFailure::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message).with_field(field)
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiFailure {
        ApiFailure::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(what: &str) -> ApiFailure {
        ApiFailure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("No {what} with this id in your account."),
        )
    }

    pub fn unauthorized() -> ApiFailure {
        ApiFailure::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Send a valid API key as `Authorization: Bearer sbk_...`.",
        )
    }

    pub fn internal() -> ApiFailure {
        ApiFailure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something failed on our side; it is logged. Try again later.",
        )
    }
}

impl From<ManageError> for ApiFailure {
    fn from(error: ManageError) -> ApiFailure {
        let code = error.code();
        match error {
            ManageError::Invalid { field, message } => ApiFailure::invalid(field, message),
            ManageError::NotFound { what } => ApiFailure::not_found(what),
            ManageError::Conflict { message, .. } => ApiFailure::new(StatusCode::CONFLICT, code, message),
            ManageError::PlanLimit { message } => ApiFailure::new(StatusCode::FORBIDDEN, code, message),
            ManageError::Forbidden { message } => ApiFailure::new(StatusCode::FORBIDDEN, code, message),
            ManageError::Store(store) => ApiFailure::from(store),
            ManageError::Refused {
                message,
                alternatives,
                ..
            } => ApiFailure {
                alternatives: Some(alternatives.iter().map(super::rfc3339_zoned).collect()),
                ..ApiFailure::new(StatusCode::CONFLICT, code, message)
            },
            ManageError::ProvisioningFailed { message } => {
                tracing::warn!(%message, "API request: provisioning at a vendor failed");
                ApiFailure::new(StatusCode::BAD_GATEWAY, code, message)
            }
            // A 4xx: the request cannot succeed on this server until it is configured.
            ManageError::NotConfigured { message } => ApiFailure::new(StatusCode::CONFLICT, code, message),
            ManageError::Internal(message) => {
                tracing::error!(%message, "API request failed on stored data");
                ApiFailure::internal()
            }
        }
    }
}

impl From<StoreError> for ApiFailure {
    fn from(error: StoreError) -> ApiFailure {
        match error {
            StoreError::Unavailable { .. } | StoreError::Busy { .. } => {
                tracing::warn!(error = %error, "API request: the database is unavailable");
                ApiFailure::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "The database is unavailable or busy; try again shortly.",
                )
            }
            StoreError::Invalid { .. } | StoreError::NotFound { .. } | StoreError::Conflict { .. } => {
                ApiFailure::from(ManageError::from(error))
            }
            other => {
                tracing::error!(error = %other, "API request failed in the store");
                ApiFailure::internal()
            }
        }
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                field: self.field,
                alternatives: self.alternatives,
            },
        };
        (self.status, axum::Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiFailure>;

/// The largest body of one of axum's own error answers that is read to carry its message.
const MAX_PLAIN_ERROR_BYTES: usize = 4 * 1024;

/// Puts an error answer given before a handler ran (axum's own: a path segment it could not
/// decode, a method the path does not take) in the API's error shape, its headers (`Allow`)
/// kept; an answer that is already JSON passes untouched.
pub async fn in_error_shape(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = to_bytes(body, MAX_PLAIN_ERROR_BYTES)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
        .unwrap_or_default();
    let failure = match status {
        StatusCode::NOT_FOUND => ApiFailure::new(status, "not_found", "No such endpoint in this API."),
        StatusCode::METHOD_NOT_ALLOWED => ApiFailure::new(
            status,
            "method_not_allowed",
            "This path does not take this method; `Allow` lists those it takes.",
        ),
        _ if status.is_server_error() => ApiFailure::internal(),
        _ if text.is_empty() => ApiFailure::new(status, "bad_request", "The request is not acceptable."),
        _ => ApiFailure::new(status, "bad_request", format!("{}.", text.trim_end_matches('.'))),
    };
    let mut shaped = failure.into_response();
    parts.headers.remove(CONTENT_LENGTH);
    parts.headers.remove(CONTENT_TYPE);
    shaped.headers_mut().extend(parts.headers);
    shaped
}

/// Any path under the API that is no endpoint.
pub async fn no_such_endpoint() -> ApiFailure {
    ApiFailure::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "No such endpoint in this API.",
    )
}
