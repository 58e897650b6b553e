//! `Idempotency-Key` on every POST: the request is carried out once per account and key, and a
//! repeat gets the first answer, marked `Idempotent-Replayed: true`. A repeat while the first is
//! still running is 409; the same key with a different request is 422. An answer of ours that
//! failed (5xx) is not kept, so a retry is carried out. Keys are kept a day.
//!
//! A layer rather than a handler's concern, so every POST behaves alike; it authenticates the
//! request itself (the key names the account), and hands the caller on to the extractors.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header::CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use sha2::{Digest, Sha256};

use super::ApiState;
use super::auth;
use super::error::ApiFailure;
use crate::manage::Caller;
use crate::store::{AccountId, IdempotentStart};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
const MAX_KEY_LEN: usize = 255;
/// The largest request or answer body kept for a key.
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The owner of an operator key's idempotency keys (operators have no account).
const OPERATOR_OWNER: &str = "operator";

pub async fn layer(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let Some(key) = request.headers().get(HEADER) else {
        return next.run(request).await;
    };
    let key = match key.to_str() {
        Ok(key)
            if !key.is_empty() && key.len() <= MAX_KEY_LEN && key.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            key.to_owned()
        }
        _ => {
            return ApiFailure::bad_request(
                "bad_idempotency_key",
                format!("`Idempotency-Key` must be 1 to {MAX_KEY_LEN} visible ASCII characters."),
            )
            .with_field("Idempotency-Key")
            .into_response();
        }
    };
    let (mut parts, body) = request.into_parts();
    let owner = match auth::caller(&mut parts, &state).await {
        Ok(Caller::Account { scope, .. }) => scope.account_id,
        Ok(Caller::Operator { .. }) => AccountId::from(OPERATOR_OWNER),
        Err(rejection) => return rejection.into_response(),
    };
    let Ok(body) = to_bytes(body, MAX_BODY_BYTES).await else {
        return ApiFailure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("The request body is larger than {} KiB.", MAX_BODY_BYTES / 1024),
        )
        .into_response();
    };
    let fingerprint = fingerprint(
        &parts.method,
        parts.uri.path_and_query().map_or("", |pq| pq.as_str()),
        &body,
    );
    let start = match state
        .store
        .begin_idempotent(&owner, &key, &fingerprint, Timestamp::now())
        .await
    {
        Ok(start) => start,
        Err(error) => return ApiFailure::from(error).into_response(),
    };
    match start {
        IdempotentStart::New => {}
        IdempotentStart::Replay { status, body } => return replayed(status, body),
        IdempotentStart::InProgress => {
            return ApiFailure::new(
                StatusCode::CONFLICT,
                "idempotency_in_progress",
                "A request with this `Idempotency-Key` is still being carried out; retry in a moment.",
            )
            .into_response();
        }
        IdempotentStart::Mismatch => {
            return ApiFailure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "This `Idempotency-Key` was used for a different request; use a new key.",
            )
            .with_field("Idempotency-Key")
            .into_response();
        }
    }
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    let status = response.status();
    if status.is_server_error() {
        forget(&state, &owner, &key).await;
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY_BYTES).await else {
        forget(&state, &owner, &key).await;
        return ApiFailure::internal().into_response();
    };
    let text = String::from_utf8_lossy(&body);
    if let Err(error) = state
        .store
        .finish_idempotent(&owner, &key, status.as_u16(), &text)
        .await
    {
        // The work is done and its answer goes back; only a repeat will find no answer kept.
        tracing::warn!(error = %error, "could not keep an idempotent answer");
        forget(&state, &owner, &key).await;
    }
    Response::from_parts(parts, Body::from(body))
}

async fn forget(state: &ApiState, owner: &AccountId, key: &str) {
    if let Err(error) = state.store.forget_idempotent(owner, key).await {
        tracing::warn!(error = %error, "could not release an idempotency key");
    }
}

fn replayed(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    response
}

fn fingerprint(method: &Method, path_and_query: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(method.as_str().as_bytes());
    hash.update([0]);
    hash.update(path_and_query.as_bytes());
    hash.update([0]);
    hash.update(body);
    hash.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}
