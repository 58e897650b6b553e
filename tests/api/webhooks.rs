//! Outgoing webhooks over real HTTP, on both databases: an endpoint made through the API (its
//! secret shown once) and a loopback receiver that answers 500 twice and then 200 gets exactly
//! one delivered `booking.created` for a booking made through the API, three attempts on the
//! backoff's schedule (rounds driven with explicit instants), each signed so that the receiver
//! verifies it with the secret and refuses it tampered; the delivery log shows the attempts.
//! With the worker on, a booking cancelled by the agent's tool, a booking moved through the
//! API and a text to the agent's number each reach the receiver at once after their enqueue.
//! The endpoints' CRUD and refusals, and a delivery given up after its last attempt.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};
use switchboard::config::Secret;
use switchboard::store::NewDelivery;
use switchboard::store::testing::{self, TestStore};
use switchboard::webhooks::retry::{Backoff, DELIVERY_BACKOFF};
use switchboard::webhooks::{Attempted, Sender};
use switchboard::wire::signature::RequestValidator;
use switchboard::wire::webhook_signature::{DEFAULT_TOLERANCE_SECS, VerifyError, verify};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::business::{CALLER, business};
use crate::support::{TestApi, on_each_backend};

const PATIENCE: Duration = Duration::from_secs(30);
const TOOL_SECRET: &str = "tool-secret-webhooks";

/// One request the receiver got.
#[derive(Debug)]
pub struct Received {
    headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).unwrap().to_str().unwrap()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

struct Receiver {
    /// Requests answered 500 before the first 200.
    failures: usize,
    seen: AtomicUsize,
    requests: mpsc::UnboundedSender<Received>,
}

async fn receive(State(receiver): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let n = receiver.seen.fetch_add(1, Ordering::SeqCst);
    let _ = receiver.requests.send(Received { headers, body });
    if n < receiver.failures {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

/// A receiver on loopback answering 500 `failures` times, then 200: its URL and its requests.
pub async fn receiver(failures: usize) -> (String, mpsc::UnboundedReceiver<Received>) {
    let (requests, seen) = mpsc::unbounded_channel();
    let state = Arc::new(Receiver {
        failures,
        seen: AtomicUsize::new(0),
        requests,
    });
    let router = axum::Router::new()
        .route("/hooks", axum::routing::post(receive))
        .with_state(state);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, seen)
}

async fn start(store: TestStore, worker: bool) -> TestApi {
    TestApi::start_with(store, move |config| {
        config.webhooks.allow_http_loopback = true;
        // Off: the test drives the rounds with explicit instants. On: a round an hour apart,
        // so only the wake-up after an enqueue sends in time.
        config.webhooks.deliver_every_secs = if worker { 3600 } else { 0 };
        config.tool_secret = Some(Secret::new(TOOL_SECRET));
    })
    .await
}

async fn on_each_database(worker: bool, scenario: impl AsyncFn(TestApi)) {
    scenario(start(testing::sqlite().await, worker).await).await;
    if let Some(store) = testing::postgres().await {
        scenario(start(store, worker).await).await;
    }
}

pub async fn endpoint(api: &TestApi, key: &str, url: &str, events: &[&str]) -> Value {
    api.post(
        "/webhook-endpoints",
        key,
        json!({"url": url, "events": events, "description": "CRM"}),
    )
    .await
    .expect(201)
}

fn cleaning(event_type: &str, start: &str) -> Value {
    json!({"event_type_id": event_type, "start": start, "invitee_name": "Bo Berg",
           "invitee_phone": "+4930222222"})
}

#[tokio::test]
async fn a_booking_made_over_the_api_is_delivered_once_after_two_failures_signed_with_its_secret() {
    on_each_database(false, async |api| {
        let business = business(&api).await;
        let (url, mut requests) = receiver(2).await;
        let made = endpoint(&api, &business.key, &url, &["booking.created"]).await;
        let secret = made["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("whsec_"), "{made}");
        let id = made["id"].as_str().unwrap().to_owned();
        let read = api
            .get(&format!("/webhook-endpoints/{id}"), &business.key)
            .await
            .expect(200);
        assert!(read.get("secret").is_none(), "the secret is shown once: {read}");

        let start = business.free_cleanings(&api).await.remove(0);
        let cleaning_id = business.demo.cleaning_id.to_string();
        let booking = api
            .post("/bookings", &business.key, cleaning(&cleaning_id, &start))
            .await
            .expect(201);

        let sender = Sender::new(api.store.store(), DELIVERY_BACKOFF, Duration::from_secs(10));
        // Whole milliseconds, as the store keeps instants.
        let t0 = Timestamp::from_millisecond(Timestamp::now().as_millisecond()).unwrap();
        let at = |secs: i64| t0 + SignedDuration::from_secs(secs);
        let mut rounds = Vec::new();
        for (now, expected) in [
            (at(0), 1),
            (at(29), 0),
            (at(30), 1),
            (at(89), 0),
            (at(90), 1),
            (at(86_400), 0),
        ] {
            let attempted = sender.run_due(now).await.unwrap();
            assert_eq!(attempted.len(), expected, "round at {now}: {attempted:?}");
            rounds.extend(attempted.into_iter().map(|(_, attempted)| (now, attempted)));
        }
        assert!(
            matches!(&rounds[0].1, Attempted::Retrying { at: next, .. } if *next == at(30)),
            "{rounds:?}"
        );
        assert!(
            matches!(&rounds[1].1, Attempted::Retrying { at: next, .. } if *next == at(90)),
            "{rounds:?}"
        );
        assert_eq!(rounds[2].1, Attempted::Delivered { status: 200 });

        let mut got = Vec::new();
        while let Ok(request) = requests.try_recv() {
            got.push(request);
        }
        assert_eq!(got.len(), 3, "two failures, then the delivery");
        let delivery_id = got[0].header("switchboard-delivery").to_owned();
        for ((now, _), request) in rounds.iter().zip(&got) {
            assert_eq!(request.body, got[0].body, "every attempt sends the same body");
            assert_eq!(request.header("switchboard-delivery"), delivery_id);
            assert_eq!(request.header("switchboard-event"), "booking.created");
            assert_eq!(request.header("content-type"), "application/json");
            let signature = request.header("switchboard-signature");
            assert_eq!(
                verify(
                    secret.as_bytes(),
                    signature,
                    &request.body,
                    now.as_second(),
                    DEFAULT_TOLERANCE_SECS
                ),
                Ok(now.as_second())
            );
            let mut tampered = request.body.to_vec();
            let last = tampered.len() - 2;
            tampered[last] ^= 1;
            assert_eq!(
                verify(
                    secret.as_bytes(),
                    signature,
                    &tampered,
                    now.as_second(),
                    DEFAULT_TOLERANCE_SECS
                ),
                Err(VerifyError::Mismatch)
            );
            assert_eq!(
                verify(
                    b"whsec_another",
                    signature,
                    &request.body,
                    now.as_second(),
                    DEFAULT_TOLERANCE_SECS
                ),
                Err(VerifyError::Mismatch)
            );
        }
        let event = got[2].json();
        assert_eq!(event["type"], "booking.created");
        assert!(event["id"].as_str().unwrap().starts_with("evt_"), "{event}");
        assert_eq!(event["account_id"], business.demo.account_id.to_string());
        assert_eq!(event["data"]["booking"]["id"], booking["id"]);
        assert_eq!(event["data"]["booking"]["reference"], booking["reference"]);
        assert_eq!(event["data"]["booking"]["event_type"]["slug"], "cleaning");
        assert_eq!(event["data"]["booking"]["invitee"]["name"], "Bo Berg");
        assert_eq!(event["data"]["agent_id"], Value::Null, "made by the team");

        let log = api
            .get(&format!("/webhook-endpoints/{id}/deliveries"), &business.key)
            .await
            .expect(200);
        let deliveries = log["data"].as_array().unwrap();
        assert_eq!(deliveries.len(), 1, "{log}");
        let delivery = &deliveries[0];
        assert_eq!(delivery["id"], delivery_id.as_str());
        assert_eq!(delivery["event_id"], event["id"]);
        assert_eq!(delivery["status"], "delivered");
        assert_eq!(delivery["attempts"], 3);
        assert_eq!(delivery["last_status_code"], 200);
        assert_eq!(delivery["last_error"], Value::Null);
        assert_eq!(delivery["delivered_at"], at(90).to_string());
        assert_eq!(delivery["last_attempt_at"], at(90).to_string());
        assert_eq!(delivery["next_attempt_at"], Value::Null);

        // The same event for the same endpoint again enqueues nothing.
        let again = NewDelivery {
            account_id: business.demo.account_id.clone(),
            endpoint_id: id.clone(),
            event_id: event["id"].as_str().unwrap().to_owned(),
            event_type: "booking.created".into(),
            payload: String::from_utf8(got[2].body.to_vec()).unwrap(),
        };
        assert_eq!(
            api.store
                .store()
                .enqueue_webhook_deliveries(&[again], at(100))
                .await
                .unwrap(),
            0
        );
        assert!(sender.run_due(at(200_000)).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn the_worker_sends_each_event_at_once_from_the_tools_the_api_and_a_text() {
    on_each_database(true, async |api| {
        let business = business(&api).await;
        let (url, mut requests) = receiver(0).await;
        endpoint(
            &api,
            &business.key,
            &url,
            &["booking.cancelled", "booking.rescheduled", "sms.received"],
        )
        .await;
        let next = async |requests: &mut mpsc::UnboundedReceiver<Received>| {
            tokio::time::timeout(PATIENCE, requests.recv())
                .await
                .expect("a delivery")
                .unwrap()
        };
        let starts = business.free_cleanings(&api).await;
        let cleaning_id = business.demo.cleaning_id.to_string();

        // Made through the API: no endpoint takes `booking.created`. Moved through the API.
        let made = api
            .post("/bookings", &business.key, cleaning(&cleaning_id, &starts[0]))
            .await
            .expect(201);
        let moved = api
            .post(
                &format!("/bookings/{}/reschedule", made["id"].as_str().unwrap()),
                &business.key,
                json!({"start": starts[3]}),
            )
            .await
            .expect(201);
        let request = next(&mut requests).await;
        assert_eq!(request.header("switchboard-event"), "booking.rescheduled");
        let event = request.json();
        assert_eq!(event["data"]["booking"]["id"], moved["id"]);
        assert_eq!(event["data"]["booking"]["rescheduled_from"], made["id"]);

        // Cancelled by the agent's tool, over the tools' HTTP endpoint of the same server.
        let cancelled = reqwest::Client::new()
            .post(format!("{}/tools/update_booking", api.base_url))
            .header("X-Voice-Secret", TOOL_SECRET)
            .json(
                &json!({"agent_id": business.demo.agent_id.to_string(), "caller_number": CALLER,
                          "booking_id": moved["reference"], "cancel": true}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            cancelled.status().as_u16(),
            200,
            "{}",
            cancelled.text().await.unwrap()
        );
        let request = next(&mut requests).await;
        assert_eq!(request.header("switchboard-event"), "booking.cancelled");
        let event = request.json();
        assert_eq!(event["data"]["booking"]["id"], moved["id"]);
        assert_eq!(event["data"]["booking"]["status"], "cancelled");
        assert_eq!(event["data"]["agent_id"], business.demo.agent_id.to_string());

        // A caller's text to the agent's number, through Twilio's signed webhook.
        let number = business.ctx.called_number.clone().unwrap();
        let form = [
            ("MessageSid", "SM00000000000000000000000000000001"),
            ("From", CALLER),
            ("To", number.as_str()),
            ("Body", "Running ten minutes late"),
        ];
        let url = format!("{}/twilio/sms", api.base_url);
        let signature = RequestValidator::new("token-api-tests").sign(&url, &form);
        for _ in 0..2 {
            let answer = reqwest::Client::new()
                .post(&url)
                .header("X-Twilio-Signature", &signature)
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status().as_u16(), 200);
        }
        let request = next(&mut requests).await;
        assert_eq!(request.header("switchboard-event"), "sms.received");
        let event = request.json();
        assert_eq!(event["data"]["message"]["body"], "Running ten minutes late");
        assert_eq!(event["data"]["message"]["from"], CALLER);

        // The text delivered twice by Twilio is one event; nothing else was sent.
        let endpoints = api.get("/webhook-endpoints", &business.key).await.expect(200);
        let id = endpoints["data"][0]["id"].as_str().unwrap();
        let log = api
            .get(&format!("/webhook-endpoints/{id}/deliveries"), &business.key)
            .await
            .expect(200);
        let kinds: Vec<&str> = log["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["event_type"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            ["sms.received", "booking.cancelled", "booking.rescheduled"],
            "{log}"
        );
        assert!(requests.try_recv().is_err(), "one request per event");
    })
    .await;
}

#[tokio::test]
async fn a_delivery_that_never_succeeds_fails_after_its_last_attempt_with_its_reason() {
    on_each_database(false, async |api| {
        let business = business(&api).await;
        let (url, _requests) = receiver(usize::MAX).await;
        let made = endpoint(&api, &business.key, &url, &["booking.created"]).await;
        // An endpoint nothing listens on: no answer at all.
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let closed_url = format!("http://{}/hooks", closed.local_addr().unwrap());
        drop(closed);
        let dead = endpoint(&api, &business.key, &closed_url, &["booking.created"]).await;
        let start = business.free_cleanings(&api).await.remove(0);
        let cleaning_id = business.demo.cleaning_id.to_string();
        api.post("/bookings", &business.key, cleaning(&cleaning_id, &start))
            .await
            .expect(201);

        let backoff = Backoff {
            max_attempts: 2,
            ..DELIVERY_BACKOFF
        };
        let sender = Sender::new(api.store.store(), backoff, Duration::from_secs(10));
        let t0 = Timestamp::now();
        assert_eq!(sender.run_due(t0).await.unwrap().len(), 2);
        let last = sender.run_due(t0 + SignedDuration::from_secs(30)).await.unwrap();
        assert_eq!(last.len(), 2);
        assert!(
            last.iter()
                .all(|(_, attempted)| matches!(attempted, Attempted::Failed { .. })),
            "{last:?}"
        );
        assert!(
            sender
                .run_due(t0 + SignedDuration::from_secs(86_400))
                .await
                .unwrap()
                .is_empty()
        );

        let log = |id: &Value| format!("/webhook-endpoints/{}/deliveries", id.as_str().unwrap());
        let answered = api.get(&log(&made["id"]), &business.key).await.expect(200);
        let delivery = &answered["data"][0];
        assert_eq!(delivery["status"], "failed");
        assert_eq!(delivery["attempts"], 2);
        assert_eq!(delivery["last_status_code"], 500);
        assert_eq!(
            delivery["last_error"],
            "the endpoint answered HTTP 500 after 2 attempts"
        );
        let unanswered = api.get(&log(&dead["id"]), &business.key).await.expect(200);
        let delivery = &unanswered["data"][0];
        assert_eq!(delivery["status"], "failed");
        assert_eq!(delivery["last_status_code"], Value::Null);
        assert!(
            delivery["last_error"].as_str().unwrap().starts_with("no answer"),
            "{delivery}"
        );
    })
    .await;
}

#[tokio::test]
async fn endpoints_are_made_read_changed_rotated_and_deleted_and_bad_input_is_refused_by_field() {
    on_each_backend(|api| async move {
        let business = business(&api).await;
        let key = &business.key;
        let refused = |body: Value| {
            let api = &api;
            async move { api.post("/webhook-endpoints", key, body).await.error(422) }
        };
        let https = "https://crm.example.com/hooks/switchboard";
        // Plain http is refused unless the server allows it for loopback; this one does not.
        for url in ["http://crm.example.com/hooks", "http://127.0.0.1:9/hooks", "ftp://crm.example.com", "hooks"] {
            let error = refused(json!({"url": url, "events": ["call.ended"]})).await;
            assert_eq!(error["field"], "url", "{url}: {error}");
        }
        let error = refused(json!({"url": https, "events": ["booking.created", "booking.made"]})).await;
        assert_eq!(error["field"], "events[1]", "{error}");
        assert!(error["message"].as_str().unwrap().contains("booking.made"), "{error}");
        assert_eq!(refused(json!({"url": https})).await["field"], "events");
        assert_eq!(refused(json!({"url": https, "events": []})).await["field"], "events");
        assert_eq!(refused(json!({"events": ["call.ended"]})).await["field"], "url");
        let unknown = api
            .post("/webhook-endpoints", key, json!({"url": https, "events": ["call.ended"], "colour": "red"}))
            .await;
        assert!(unknown.status.is_client_error(), "{:?}", unknown.body);

        let made = api
            .post(
                "/webhook-endpoints",
                key,
                json!({"url": https, "events": ["sms.received", "call.ended", "booking.created"], "enabled": false}),
            )
            .await
            .expect(201);
        let id = made["id"].as_str().unwrap().to_owned();
        assert_eq!(made["events"], json!(["booking.created", "call.ended", "sms.received"]));
        assert_eq!(made["enabled"], false);
        assert_eq!(made["description"], "");
        let path = format!("/webhook-endpoints/{id}");

        let changed = api
            .patch(&path, key, json!({"events": ["booking.cancelled"], "enabled": true, "description": "Zapier"}))
            .await
            .expect(200);
        assert_eq!(changed["events"], json!(["booking.cancelled"]));
        assert_eq!(changed["enabled"], true);
        assert_eq!(changed["description"], "Zapier");
        assert_eq!(changed["url"], https);
        assert_eq!(api.patch(&path, key, json!({"url": "http://crm.example.com"})).await.error(422)["field"], "url");
        assert_eq!(api.patch(&path, key, json!({"events": ["nope"]})).await.error(422)["field"], "events[0]");

        let listed = api.get("/webhook-endpoints", key).await.expect(200);
        assert_eq!(listed["data"].as_array().unwrap().len(), 1);
        assert_eq!(listed["data"][0]["id"], id.as_str());
        assert!(!listed.to_string().contains("whsec_"), "no secret in a list: {listed}");

        let rotated = api
            .call(Method::POST, &format!("{path}/rotate-secret"), Some(key), None)
            .await
            .expect(200);
        let secret = rotated["secret"].as_str().unwrap();
        assert!(secret.starts_with("whsec_") && secret != made["secret"].as_str().unwrap());

        let log = api.get(&format!("{path}/deliveries"), key).await.expect(200);
        assert_eq!(log, json!({"data": [], "next_cursor": null}));

        assert_eq!(api.delete(&path, key).await.status.as_u16(), 204);
        api.get(&path, key).await.error(404);
        api.get(&format!("{path}/deliveries"), key).await.error(404);
        api.delete(&path, key).await.error(404);
    })
    .await;
}
