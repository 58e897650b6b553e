//! Who is calling: the `Authorization: Bearer` key checked (`manage::Keys`), failed attempts
//! limited per client address, and the extractors handlers take: [`AccountKey`] (the account's
//! `Scope`) and [`OperatorKey`].
//!
//! Failures are limited before a key is checked, so an address that keeps guessing gets 429s
//! without its guesses being tried. The limiter is a token bucket per address; it is written
//! here rather than taken from `governor` because it must look at an address's state without
//! spending from it (only failures spend), which governor's keyed limiter does not offer.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;

use super::ApiState;
use super::client::client_address;
use super::error::ApiFailure;
use crate::manage::{Caller, Scope};

/// Failed attempts an address may make at once.
const FAILURE_BURST: f64 = 10.0;
/// Failed attempts an address earns back per second (one every 6 s: 10 a minute).
const FAILURES_PER_SECOND: f64 = 1.0 / 6.0;
/// Addresses remembered; past this, those whose buckets are full again are forgotten.
const MAX_ADDRESSES: usize = 10_000;

/// Failed authentications per client address.
#[derive(Debug, Default)]
pub struct AuthFailures {
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn at(self, now: Instant) -> Bucket {
        let earned = now.saturating_duration_since(self.at).as_secs_f64() * FAILURES_PER_SECOND;
        Bucket {
            tokens: (self.tokens + earned).min(FAILURE_BURST),
            at: now,
        }
    }
}

impl AuthFailures {
    /// How long `address` must wait before its next attempt is checked; `None` if it may try.
    pub fn wait(&self, address: IpAddr, now: Instant) -> Option<Duration> {
        let buckets = self.buckets.lock().expect("auth failures lock");
        let bucket = buckets.get(&address)?.at(now);
        (bucket.tokens < 1.0).then(|| Duration::from_secs_f64((1.0 - bucket.tokens) / FAILURES_PER_SECOND))
    }

    /// Notes a failed attempt from `address`.
    pub fn failed(&self, address: IpAddr, now: Instant) {
        let mut buckets = self.buckets.lock().expect("auth failures lock");
        if buckets.len() >= MAX_ADDRESSES && !buckets.contains_key(&address) {
            buckets.retain(|_, bucket| bucket.at(now).tokens < FAILURE_BURST);
        }
        let bucket = buckets.get(&address).map_or(
            Bucket {
                tokens: FAILURE_BURST,
                at: now,
            },
            |bucket| bucket.at(now),
        );
        buckets.insert(
            address,
            Bucket {
                tokens: (bucket.tokens - 1.0).max(0.0),
                at: now,
            },
        );
    }
}

/// A request made with an account's key: the account it acts for.
#[derive(Debug, Clone)]
pub struct AccountKey(pub Scope);

/// A request made with an operator's key.
#[derive(Debug, Clone)]
pub struct OperatorKey;

/// A request made with any valid key, an account's or an operator's.
#[derive(Debug, Clone)]
pub struct AnyKey(pub Caller);

/// A refused key: 401, or 429 with `Retry-After` for an address that failed too often.
#[derive(Debug)]
pub enum AuthRejection {
    Failure(ApiFailure),
    TooMany(Duration),
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self {
            AuthRejection::Failure(failure) => failure.into_response(),
            AuthRejection::TooMany(wait) => {
                let seconds = wait.as_secs().max(1);
                let failure = ApiFailure::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_failures",
                    format!(
                        "Too many requests with a bad API key from this address; try again in {seconds} s."
                    ),
                );
                ([(RETRY_AFTER, seconds.to_string())], failure).into_response()
            }
        }
    }
}

impl From<ApiFailure> for AuthRejection {
    fn from(failure: ApiFailure) -> Self {
        AuthRejection::Failure(failure)
    }
}

/// The caller of a request, checked once per request (the idempotency layer may have done it).
pub async fn caller(parts: &mut Parts, state: &ApiState) -> Result<Caller, AuthRejection> {
    if let Some(caller) = parts.extensions.get::<Caller>() {
        return Ok(caller.clone());
    }
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    let forwarded_for = parts
        .headers
        .get("x-forwarded-for")
        .and_then(|value| value.to_str().ok());
    let address = client_address(peer, forwarded_for, &state.trusted_proxies);
    let now = Instant::now();
    if let Some(wait) = state.auth_failures.wait(address, now) {
        return Err(AuthRejection::TooMany(wait));
    }
    let presented = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(presented) = presented else {
        state.auth_failures.failed(address, now);
        return Err(ApiFailure::unauthorized().into());
    };
    match state.keys.authenticate(presented, Timestamp::now()).await {
        Ok(Ok(caller)) => {
            parts.extensions.insert(caller.clone());
            Ok(caller)
        }
        Ok(Err(rejection)) => {
            tracing::info!(client = %address, ?rejection, "API request with a bad key");
            state.auth_failures.failed(address, now);
            Err(ApiFailure::unauthorized().into())
        }
        Err(error) => Err(ApiFailure::from(error).into()),
    }
}

impl FromRequestParts<ApiState> for AccountKey {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, AuthRejection> {
        match caller(parts, state).await? {
            Caller::Account { scope, .. } => Ok(AccountKey(scope)),
            Caller::Operator { .. } => Err(ApiFailure::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "This is an operator's key; this endpoint needs an account's key.",
            )
            .into()),
        }
    }
}

impl FromRequestParts<ApiState> for OperatorKey {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, AuthRejection> {
        match caller(parts, state).await? {
            Caller::Operator { .. } => Ok(OperatorKey),
            Caller::Account { .. } => Err(ApiFailure::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "This endpoint needs an operator's key (`switchboard admin keys create --operator`).",
            )
            .into()),
        }
    }
}

impl FromRequestParts<ApiState> for AnyKey {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, AuthRejection> {
        caller(parts, state).await.map(AnyKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_held_after_its_burst_of_failures_and_earns_tries_back() {
        let failures = AuthFailures::default();
        let address: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        let start = Instant::now();
        for _ in 0..10 {
            assert_eq!(failures.wait(address, start), None);
            failures.failed(address, start);
        }
        let wait = failures.wait(address, start).expect("held after ten failures");
        assert_eq!(wait, Duration::from_secs(6));
        assert_eq!(failures.wait(other, start), None, "another address is not held");
        assert_eq!(failures.wait(address, start + Duration::from_secs(6)), None);
    }
}
