//! Post-call webhooks: when a conversation ends, its `post_call_transcription` event (the
//! envelope `{type, event_timestamp, data}`, `data` being the body of `GET
//! /v1/convai/conversations/{id}`) is POSTed to the agent's workspace webhook, signed as
//! ElevenLabs signs (`ElevenLabs-Signature: t=…,v0=…`, HMAC-SHA256 of `"{t}.{body}"` with the
//! webhook's secret; the Python SDK's `webhooks_custom.py` checks it the same way).
//!
//! An event is sent when the agent's `platform_settings.workspace_overrides.webhooks` names
//! a webhook (`post_call_webhook_id`) that exists and is enabled, and its `events` include
//! `transcript`. Only a 200 counts as delivered. Without `retry_enabled` a failed delivery is
//! lost, as at ElevenLabs; with it, 5xx, 429, timeouts and failed connections are retried
//! [`RETRIES`] times, waiting `webhook_retry_after` and doubling. Each failure is noted on
//! the webhook (`most_recent_failure_*`).
//!
//! Deliveries run as their own tasks, so a conversation never waits on one; at most
//! [`MAX_IN_FLIGHT`] run at once and further ones are dropped with a warning. They stop with
//! the stand-in's [`Shutdown`].
//!
//! Failure injection: before each attempt the plan of `sim::failures` is asked about `POST
//! /sim/webhook-deliveries/{webhook_id}`; a matching rule fails the attempt with its status
//! without sending anything, as if the receiver had answered it (so a lost webhook is one
//! rule, and a transient one with `retry_enabled` is retried).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::rest::{ConversationRecord, WebhookRecord, Workspace};
use crate::shutdown::Shutdown;
use crate::sim::failures::FailurePlan;
use crate::wire::elevenlabs::webhook_signature;

/// Retries of a delivery with `retry_enabled`.
pub const RETRIES: u32 = 3;
/// Deliveries under way at once; more are dropped.
pub const MAX_IN_FLIGHT: usize = 256;
/// How long one attempt may take. ElevenLabs does not document its own timeout.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a delivery was not queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotQueued {
    #[error("no conversation {0}")]
    UnknownConversation(String),
    #[error("the conversation's agent has no post-call webhook")]
    NoWebhook,
    #[error("too many deliveries under way")]
    Busy,
}

/// Sends post-call events; shared by every conversation of one stand-in.
#[derive(Debug, Clone)]
pub struct PostCallDelivery {
    http: reqwest::Client,
    failures: FailurePlan,
    shutdown: Shutdown,
    retry_after: Duration,
    in_flight: Arc<AtomicUsize>,
}

/// Whether an attempt's outcome is worth another try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attempt {
    Delivered,
    /// The status answered, or 0 when none came.
    Failed {
        status: u16,
        transient: bool,
    },
}

impl PostCallDelivery {
    pub fn new(failures: FailurePlan, shutdown: Shutdown, retry_after: Duration) -> Self {
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .build()
            .expect("an HTTP client with default settings builds");
        PostCallDelivery {
            http,
            failures,
            shutdown,
            retry_after,
            in_flight: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The webhook an ended conversation's `post_call_transcription` goes to, if any.
    fn webhook_for(workspace: &Workspace, record: &ConversationRecord) -> Option<WebhookRecord> {
        let agent = workspace.agent(&record.agent_id)?;
        let settings = agent.platform_settings.workspace_overrides.webhooks;
        if !settings.events.iter().any(|event| event.0 == "transcript") {
            return None;
        }
        let webhook = workspace
            .webhooks()
            .get(settings.post_call_webhook_id.as_deref()?)?;
        (!webhook.is_disabled).then_some(webhook)
    }

    /// Queues the event of a conversation that just ended, if its agent asks for one.
    pub fn conversation_ended(&self, workspace: &Workspace, record: &ConversationRecord) {
        if let Some(webhook) = Self::webhook_for(workspace, record) {
            let _ = self.queue(workspace, record, webhook);
        }
    }

    /// Queues `count` deliveries of a stored conversation's event (for tests of receivers
    /// that must take the same event more than once).
    pub fn redeliver(
        &self,
        workspace: &Workspace,
        conversation_id: &str,
        count: u32,
    ) -> Result<(), NotQueued> {
        let record = workspace
            .conversations()
            .get(conversation_id)
            .ok_or_else(|| NotQueued::UnknownConversation(conversation_id.to_owned()))?;
        let webhook = Self::webhook_for(workspace, &record).ok_or(NotQueued::NoWebhook)?;
        for _ in 0..count {
            self.queue(workspace, &record, webhook.clone())?;
        }
        Ok(())
    }

    fn queue(
        &self,
        workspace: &Workspace,
        record: &ConversationRecord,
        webhook: WebhookRecord,
    ) -> Result<(), NotQueued> {
        if self.in_flight.fetch_add(1, Ordering::AcqRel) >= MAX_IN_FLIGHT {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            tracing::warn!(conversation_id = %record.conversation_id, "post-call webhook dropped: too many under way");
            return Err(NotQueued::Busy);
        }
        let body = json!({
            "type": "post_call_transcription",
            "event_timestamp": unix_now(),
            "data": record.render(),
        })
        .to_string();
        let delivery = self.clone();
        let workspace = workspace.clone();
        let conversation_id = record.conversation_id.clone();
        self.shutdown.spawn(async move {
            tokio::select! {
                () = delivery.deliver(&workspace, &webhook, &conversation_id, body) => {}
                () = delivery.shutdown.stopping() => {
                    tracing::info!(%conversation_id, "post-call webhook abandoned at shutdown");
                }
            }
            delivery.in_flight.fetch_sub(1, Ordering::AcqRel);
        });
        Ok(())
    }

    async fn deliver(
        &self,
        workspace: &Workspace,
        webhook: &WebhookRecord,
        conversation_id: &str,
        body: String,
    ) {
        let retries = if webhook.retry_enabled { RETRIES } else { 0 };
        let mut wait = self.retry_after;
        for attempt in 0..=retries {
            match self.attempt(webhook, &body).await {
                Attempt::Delivered => {
                    workspace.webhooks().record_delivery(&webhook.webhook_id);
                    tracing::info!(%conversation_id, webhook_id = %webhook.webhook_id, attempt, "post-call webhook delivered");
                    return;
                }
                Attempt::Failed { status, transient } => {
                    workspace
                        .webhooks()
                        .record_failure(&webhook.webhook_id, status, unix_now());
                    tracing::warn!(%conversation_id, webhook_id = %webhook.webhook_id, attempt, status, "post-call webhook failed");
                    if !transient || attempt == retries {
                        return;
                    }
                }
            }
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
        }
    }

    async fn attempt(&self, webhook: &WebhookRecord, body: &str) -> Attempt {
        let path = format!("/sim/webhook-deliveries/{}", webhook.webhook_id);
        if let Some(status) = self.failures.take(&Method::POST, &path) {
            tracing::info!(webhook_id = %webhook.webhook_id, status = status.as_u16(), "failing a post-call webhook as told");
            return failed(status);
        }
        let signature = webhook_signature::sign(webhook.secret.as_bytes(), unix_now(), body.as_bytes());
        let mut request = self
            .http
            .post(&webhook.webhook_url)
            .header("content-type", "application/json")
            .header("ElevenLabs-Signature", signature);
        for (name, value) in &webhook.request_headers {
            if let Some(value) = value {
                request = request.header(name.as_str(), value.as_str());
            }
        }
        match request.body(body.to_owned()).send().await {
            Ok(response) if response.status() == StatusCode::OK => Attempt::Delivered,
            Ok(response) => failed(response.status()),
            Err(_) => Attempt::Failed {
                status: 0,
                transient: true,
            },
        }
    }
}

fn failed(status: StatusCode) -> Attempt {
    Attempt::Failed {
        status: status.as_u16(),
        transient: status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS,
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}
