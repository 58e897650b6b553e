//! The delivery worker's round: claim the due deliveries, POST each one's body to its
//! endpoint signed (`Switchboard-Signature`, with `Switchboard-Event` and
//! `Switchboard-Delivery`), and write what came of it by `retry`'s rules.
//!
//! Each request is bounded by a timeout and follows no redirect. A delivery whose endpoint was
//! disabled since it was enqueued fails without a request.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::retry::{self, AttemptResult, Backoff, Verdict};
use crate::store::{Store, StoreError, StoreResult, WebhookDelivery};
use crate::wire::webhook_signature::{self, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER};

/// Deliveries claimed per round.
const ROUND_SIZE: u32 = 20;

/// The default bound on one request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempted {
    Delivered { status: u16 },
    Retrying { at: Timestamp, reason: String },
    Failed { reason: String },
}

/// Sends the due deliveries.
#[derive(Debug, Clone)]
pub struct Sender {
    store: Store,
    http: reqwest::Client,
    backoff: Backoff,
    /// How long a claim holds before another worker may take the delivery again: longer
    /// than a request may take.
    lease: Duration,
}

impl Sender {
    /// A sender whose requests each take at most `timeout`.
    pub fn new(store: Store, backoff: Backoff, timeout: Duration) -> Sender {
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("switchboard-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client with default TLS settings builds");
        Sender {
            store,
            http,
            backoff,
            lease: timeout + Duration::from_secs(60),
        }
    }

    /// One round at `now`: every claimed delivery attempted once, with what came of it.
    pub async fn run_due(&self, now: Timestamp) -> StoreResult<Vec<(String, Attempted)>> {
        let lease = SignedDuration::try_from(self.lease).unwrap_or_default();
        let lease_until = now.saturating_add(lease).unwrap_or(now);
        let deliveries = self
            .store
            .claim_due_webhook_deliveries(now, lease_until, ROUND_SIZE)
            .await?;
        let mut done = Vec::with_capacity(deliveries.len());
        for delivery in deliveries {
            let attempted = self.attempt(&delivery, now).await?;
            done.push((delivery.id, attempted));
        }
        Ok(done)
    }

    async fn attempt(&self, delivery: &WebhookDelivery, now: Timestamp) -> StoreResult<Attempted> {
        let endpoint = match self
            .store
            .webhook_endpoint(&delivery.account_id, &delivery.endpoint_id)
            .await
        {
            Ok(endpoint) if endpoint.enabled => endpoint,
            Ok(_) | Err(StoreError::NotFound { .. }) => {
                let reason = "the endpoint was disabled or deleted".to_owned();
                self.store
                    .fail_webhook_delivery(&delivery.id, None, &reason, now)
                    .await?;
                return Ok(Attempted::Failed { reason });
            }
            Err(error) => return Err(error),
        };
        let signature = webhook_signature::sign(
            endpoint.secret.as_bytes(),
            now.as_second(),
            delivery.payload.as_bytes(),
        );
        let sent = self
            .http
            .post(&endpoint.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .header(EVENT_HEADER, &delivery.event_type)
            .header(DELIVERY_HEADER, &delivery.id)
            .body(delivery.payload.clone())
            .send()
            .await;
        let result = match sent {
            Ok(response) => AttemptResult::Answered(response.status().as_u16()),
            Err(error) => AttemptResult::NoAnswer(describe(error)),
        };
        match retry::after(&self.backoff, delivery.attempts, &result, now) {
            Verdict::Delivered => {
                let status = result.status_code().unwrap_or(200);
                self.store
                    .mark_webhook_delivered(&delivery.id, status, now)
                    .await?;
                Ok(Attempted::Delivered { status })
            }
            Verdict::RetryAt(at) => {
                let reason = result.reason();
                self.store
                    .retry_webhook_delivery_at(&delivery.id, at, result.status_code(), &reason, now)
                    .await?;
                Ok(Attempted::Retrying { at, reason })
            }
            Verdict::GiveUp => {
                let reason = format!("{} after {} attempts", result.reason(), delivery.attempts);
                self.store
                    .fail_webhook_delivery(&delivery.id, result.status_code(), &reason, now)
                    .await?;
                Ok(Attempted::Failed { reason })
            }
        }
    }
}

/// A failed request in words, without its URL (which may carry a token of the business's).
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else if error.is_redirect() {
        "redirects are not followed".to_owned()
    } else {
        error.to_string()
    }
}
