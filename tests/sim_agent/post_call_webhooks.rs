//! Post-call webhooks from the sim: signed as ElevenLabs signs, the same body as `GET
//! /v1/convai/conversations/{id}`, sent again on demand, lost or retried as ElevenLabs does.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use switchboard::sim::agent::SimAgentConfig;
use switchboard::sim::failures::FailureRule;
use switchboard::wire::elevenlabs::webhook::WebhookEvent;
use switchboard::wire::elevenlabs::webhook_signature;
use tokio::sync::mpsc;

use super::client::Sim;
use super::conversations::{booking_agent, fast_private, hold_conversation, when_done};
use super::rest::call;

/// One request the receiver took.
#[derive(Debug)]
pub struct Delivery {
    pub signature: Option<String>,
    pub team: Option<String>,
    pub body: String,
}

/// A loopback receiver answering the statuses queued in `answers` (then 200).
pub struct Receiver {
    pub url: String,
    pub answers: Arc<Mutex<VecDeque<u16>>>,
    pub deliveries: mpsc::UnboundedReceiver<Delivery>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/el/post-call", listener.local_addr().unwrap());
        let answers: Arc<Mutex<VecDeque<u16>>> = Arc::default();
        let (sender, deliveries) = mpsc::unbounded_channel();
        let queued = answers.clone();
        let app = axum::Router::new().route(
            "/el/post-call",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let status = queued.lock().unwrap().pop_front().unwrap_or(200);
                let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
                let _ = sender.send(Delivery {
                    signature: header("elevenlabs-signature"),
                    team: header("x-team"),
                    body,
                });
                async move { StatusCode::from_u16(status).unwrap() }
            }),
        );
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver {
            url,
            answers,
            deliveries,
            task,
        }
    }

    pub async fn next(&mut self) -> Delivery {
        tokio::time::timeout(Duration::from_secs(30), self.deliveries.recv())
            .await
            .expect("a delivery arrives")
            .expect("the receiver runs")
    }
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A webhook at `url`; its id and secret.
pub async fn webhook(sim: &Sim, url: &str) -> (String, String) {
    let body = json!({"settings": {"auth_type": "hmac", "name": "calls", "webhook_url": url,
        "request_headers": {"X-Team": "front-desk"}}});
    let (status, created) = call(sim, "POST", "/v1/workspace/webhooks", Some(body)).await;
    assert_eq!(status, 200, "{created}");
    let text = |field: &str| created[field].as_str().unwrap().to_owned();
    (text("webhook_id"), text("webhook_secret"))
}

pub fn sending_transcripts_to(webhook_id: &str) -> Value {
    json!({"workspace_overrides": {"webhooks": {"post_call_webhook_id": webhook_id,
        "events": ["transcript"], "transcript_format": "json"}}})
}

/// The delivery's data, once its signature checked out with `secret`.
fn verified(delivery: &Delivery, secret: &str) -> Value {
    let signed_at = webhook_signature::verify(
        &[secret.as_bytes()],
        delivery.signature.as_deref(),
        delivery.body.as_bytes(),
        now(),
    )
    .unwrap_or_else(|error| panic!("{error}: {delivery:?}"));
    assert!(signed_at <= now());
    let Ok(WebhookEvent::PostCallTranscription { data, .. }) = WebhookEvent::parse(delivery.body.as_bytes())
    else {
        panic!("not a post_call_transcription: {}", delivery.body);
    };
    let body: Value = serde_json::from_str(&delivery.body).unwrap();
    assert_eq!(body["data"]["conversation_id"], data.conversation_id.as_str());
    body["data"].clone()
}

async fn redeliver(sim: &Sim, conversation_id: &str, count: u32) -> (u16, Value) {
    let path = format!("/sim/conversations/{conversation_id}/deliver-webhook");
    call(sim, "POST", &path, Some(json!({"count": count}))).await
}

#[tokio::test]
async fn the_event_is_signed_as_elevenlabs_signs_it_and_can_be_sent_again() {
    let sim = Sim::start(fast_private()).await;
    let mut receiver = Receiver::start().await;
    let (webhook_id, secret) = webhook(&sim, &receiver.url).await;
    let agent_id = booking_agent(&sim, sending_transcripts_to(&webhook_id)).await;
    let conversation_id = hold_conversation(&sim, &agent_id).await;

    let first = receiver.next().await;
    assert_eq!(first.team.as_deref(), Some("front-desk"));
    let data = verified(&first, &secret);
    let read = when_done(&sim, &conversation_id).await;
    assert_eq!(data, read, "the webhook carries what GET answers");
    assert_eq!(data["agent_id"], agent_id.as_str());
    let envelope: Value = serde_json::from_str(&first.body).unwrap();
    assert_eq!(envelope["type"], "post_call_transcription");
    assert!(
        envelope["event_timestamp"].as_i64().unwrap()
            >= data["metadata"]["start_time_unix_secs"].as_i64().unwrap()
    );
    let tampered = first.body.replacen("success", "failure", 1);
    assert_ne!(tampered, first.body);
    let refused = webhook_signature::verify(
        &[secret.as_bytes()],
        first.signature.as_deref(),
        tampered.as_bytes(),
        now(),
    );
    assert!(refused.is_err());

    assert_eq!(
        redeliver(&sim, &conversation_id, 3).await,
        (202, json!({"queued": 3}))
    );
    for _ in 0..3 {
        assert_eq!(verified(&receiver.next().await, &secret), read);
    }
    assert_eq!(redeliver(&sim, "conv_unknown", 1).await.0, 404);
    assert_eq!(redeliver(&sim, &conversation_id, 0).await.0, 400);

    // An agent whose events leave out `transcript` sends nothing.
    let patch = json!({"platform_settings": {"workspace_overrides": {"webhooks": {"events": ["audio"]}}}});
    let (status, _) = call(
        &sim,
        "PATCH",
        &format!("/v1/convai/agents/{agent_id}"),
        Some(patch),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(redeliver(&sim, &conversation_id, 1).await.0, 409);
}

/// Waits until the webhook's most recent failure is `status`.
async fn failure_noted(sim: &Sim, webhook_id: &str, status: i64) {
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let webhook = sim.agent.workspace().webhooks().get(webhook_id).unwrap();
            if webhook.most_recent_failure_error_code == Some(status) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the failure is noted on the webhook");
}

async fn set_retry(sim: &Sim, webhook_id: &str, retry_enabled: bool) {
    let patch = json!({"is_disabled": false, "name": "calls", "retry_enabled": retry_enabled});
    let (status, _) = call(
        sim,
        "PATCH",
        &format!("/v1/workspace/webhooks/{webhook_id}"),
        Some(patch),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_failed_delivery_is_lost_unless_retries_are_enabled() {
    let sim = Sim::start(SimAgentConfig {
        webhook_retry_after: Duration::from_millis(10),
        ..fast_private()
    })
    .await;
    let mut receiver = Receiver::start().await;
    let (webhook_id, secret) = webhook(&sim, &receiver.url).await;
    let agent_id = booking_agent(&sim, sending_transcripts_to(&webhook_id)).await;

    // An injected failure: the conversation's event never leaves the sim.
    let rule: FailureRule = "POST /sim/webhook-deliveries/*".parse().unwrap();
    sim.agent.failures().add(rule);
    let conversation_id = hold_conversation(&sim, &agent_id).await;
    failure_noted(&sim, &webhook_id, 500).await;
    assert_eq!(sim.agent.failures().pending(), 0);
    assert!(
        receiver.deliveries.try_recv().is_err(),
        "a dropped event is not retried"
    );

    // The receiver fails it: without retries, one request only.
    receiver.answers.lock().unwrap().push_back(502);
    assert_eq!(redeliver(&sim, &conversation_id, 1).await.0, 202);
    verified(&receiver.next().await, &secret);
    failure_noted(&sim, &webhook_id, 502).await;
    assert!(receiver.deliveries.try_recv().is_err());

    // With retries, 5xx and 429 are tried again until the 200.
    set_retry(&sim, &webhook_id, true).await;
    receiver.answers.lock().unwrap().extend([503, 429]);
    assert_eq!(redeliver(&sim, &conversation_id, 1).await.0, 202);
    for _ in 0..3 {
        verified(&receiver.next().await, &secret);
    }
    failure_noted(&sim, &webhook_id, 429).await;
    assert!(receiver.answers.lock().unwrap().is_empty());

    // An injected 503 is retried too; a 400 is not.
    sim.agent
        .failures()
        .add("POST /sim/webhook-deliveries/*=2:503".parse().unwrap());
    assert_eq!(redeliver(&sim, &conversation_id, 1).await.0, 202);
    verified(&receiver.next().await, &secret);
    receiver.answers.lock().unwrap().push_back(400);
    assert_eq!(redeliver(&sim, &conversation_id, 1).await.0, 202);
    verified(&receiver.next().await, &secret);
    failure_noted(&sim, &webhook_id, 400).await;
    assert!(
        receiver.deliveries.try_recv().is_err(),
        "a 4xx other than 429 is final"
    );

    // A disabled webhook gets nothing.
    let patch = json!({"is_disabled": true, "name": "calls"});
    call(
        &sim,
        "PATCH",
        &format!("/v1/workspace/webhooks/{webhook_id}"),
        Some(patch),
    )
    .await;
    assert_eq!(redeliver(&sim, &conversation_id, 1).await.0, 409);
}

#[tokio::test]
async fn a_delivery_waiting_to_retry_ends_with_the_stand_ins_shutdown() {
    let sim = Sim::start(SimAgentConfig {
        webhook_retry_after: Duration::from_secs(3600),
        ..fast_private()
    })
    .await;
    let mut receiver = Receiver::start().await;
    let (webhook_id, secret) = webhook(&sim, &receiver.url).await;
    set_retry(&sim, &webhook_id, true).await;
    let agent_id = booking_agent(&sim, sending_transcripts_to(&webhook_id)).await;
    receiver.answers.lock().unwrap().push_back(503);
    hold_conversation(&sim, &agent_id).await;
    verified(&receiver.next().await, &secret);
    failure_noted(&sim, &webhook_id, 503).await;
    // The delivery now waits an hour to retry; stopping ends it.
    let shutdown = sim.agent.shutdown().clone();
    assert_eq!(shutdown.running(), 1);
    shutdown.stop();
    tokio::time::timeout(Duration::from_secs(30), shutdown.finished())
        .await
        .expect("the delivery stops at shutdown, long before its retry");
    assert!(receiver.deliveries.try_recv().is_err());
}
