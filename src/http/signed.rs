//! The extractor that admits only requests Twilio signed, and the check of a signed media
//! stream handshake.
//!
//! Twilio signs the full URL it requested, which behind a proxy is not what this server sees,
//! so the URL is rebuilt from the configured public URL plus the request's path and query.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::HeaderMap;

use super::error::ApiError;
use crate::telephony::{ErrorKind, Metrics};
use crate::wire::signature::RequestValidator;

/// What checking Twilio's signatures needs.
#[derive(Clone)]
pub struct TwilioAuth {
    pub validator: Arc<RequestValidator>,
    /// The base of the URLs Twilio signs.
    pub public_url: Arc<str>,
    pub metrics: Arc<Metrics>,
}

impl TwilioAuth {
    /// Whether a WebSocket handshake to `url` (as Twilio connected to it) carries a valid
    /// signature; a refusal is counted and logged.
    pub fn check_handshake(&self, url: &str, headers: &HeaderMap) -> bool {
        let valid = signature(headers).is_some_and(|sig| self.validator.validate_websocket(url, sig));
        if !valid {
            self.metrics.error(ErrorKind::BadSignature);
            tracing::warn!(%url, "media stream handshake with a missing or wrong signature refused");
        }
        valid
    }
}

/// Largest webhook body accepted; Twilio's voice webhooks are a couple of KiB.
pub const MAX_WEBHOOK_BODY: usize = 64 * 1024;

/// The form parameters of a request whose Twilio signature checked out.
#[derive(Debug, Clone)]
pub struct SignedForm {
    pub params: Vec<(String, String)>,
}

impl SignedForm {
    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The URL Twilio requested, as it signed it.
pub fn signed_url(public_url: &str, uri: &axum::http::Uri) -> String {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    format!("{public_url}{path}")
}

pub fn signature(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-twilio-signature").and_then(|v| v.to_str().ok())
}

impl<S> FromRequest<S> for SignedForm
where
    S: Send + Sync,
    TwilioAuth: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let state = TwilioAuth::from_ref(state);
        let url = signed_url(&state.public_url, req.uri());
        // An unsigned request is refused before its body is read.
        let Some(signature) = signature(req.headers()).map(str::to_owned) else {
            state.metrics.error(ErrorKind::BadSignature);
            tracing::warn!(%url, "Twilio request without a signature refused");
            return Err(ApiError::bad_signature());
        };
        let body = axum::body::to_bytes(req.into_body(), MAX_WEBHOOK_BODY)
            .await
            .map_err(|_| {
                tracing::warn!(%url, "Twilio request with an oversized or broken body refused");
                ApiError::too_large(MAX_WEBHOOK_BODY)
            })?;
        let params = parse_form(&body);
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        if !state.validator.validate(&url, &pairs, &signature) {
            state.metrics.error(ErrorKind::BadSignature);
            tracing::warn!(%url, "Twilio request with a wrong signature refused (is SWITCHBOARD_PUBLIC_URL right?)");
            return Err(ApiError::bad_signature());
        }
        Ok(SignedForm { params })
    }
}

fn parse_form(body: &Bytes) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}
