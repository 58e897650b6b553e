//! A whole call's record, read back over HTTP: a caller (Twilio's side, simulated) books a
//! cleaning with the scripted agent (ElevenLabs' side, simulated) through switchboard, and
//! `GET /calls/{id}` then shows the transcript as the bridge saw it, the `create_booking` call
//! with its arguments and answer, the outcome `booking_created` with the booking's id, and the
//! cost estimate; the caller is a contact with the call's CRM activity. The record is awaited
//! through the app's after-call listeners, the way the demo and the follow-ups hear of it.
//! An endpoint subscribed to `call.ended` gets the call's end, outcome and booking, signed.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::Value;
use switchboard::audio::{AudioFormat, FixtureDir};
use switchboard::manage::Keys;
use switchboard::sim::agent::{SimAgentConfig, SimMode};
use switchboard::sim::caller::{CallerConfig, place_call};
use switchboard::store::ActivityKind;
use switchboard::store::testing::{self, TestStore, unique_phone_number};
use switchboard::telephony::{AfterCall, RecordedCall};
use switchboard::tools::seed::seed_demo_business;
use switchboard::wire::webhook_signature::{DEFAULT_TOLERANCE_SECS, verify};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::support::TestApi;

pub const CALLER: &str = "+15005550006";
pub const AGENT: &str = "agent_harbor_dental_ava";
/// What the caller says, one clip per turn: the scripted agent's booking conversation.
pub const SCRIPT: [&str; 5] = ["book", "when", "yes", "name", "bye"];
/// Long enough for any loaded machine.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// Hands each recorded call to the test.
pub struct Recorded(pub mpsc::UnboundedSender<RecordedCall>);

impl AfterCall for Recorded {
    fn call_recorded(&self, call: &RecordedCall) {
        let _ = self.0.send(call.clone());
    }
}

pub async fn scripted_agent() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let config = SimAgentConfig {
        mode: SimMode::Script,
        input_format: AudioFormat::Ulaw8000,
        output_format: AudioFormat::Ulaw8000,
        api_key: Some("xi-test-key".into()),
        ..SimAgentConfig::default()
    };
    tokio::spawn(switchboard::sim::agent::serve(listener, config));
    url
}

#[tokio::test]
async fn a_booking_calls_transcript_tool_call_outcome_contact_and_activity_are_read_back() {
    a_booking_call_is_recorded(testing::sqlite().await).await;
    if let Some(store) = testing::postgres().await {
        a_booking_call_is_recorded(store).await;
    }
}

async fn a_booking_call_is_recorded(store: TestStore) {
    let agent_url = scripted_agent().await;
    let api = TestApi::start_with(store, move |config| {
        config.elevenlabs.api_base = agent_url;
        config.webhooks.allow_http_loopback = true;
        // Rounds an hour apart: only the wake-up after the enqueue sends in time.
        config.webhooks.deliver_every_secs = 3600;
    })
    .await;
    let number = unique_phone_number();
    let business = seed_demo_business(&api.store.store(), &number, AGENT, "America/New_York")
        .await
        .unwrap();
    let key = Keys::new(api.store.store())
        .issue(Some(&business.account_id), "record")
        .await
        .unwrap()
        .secret;
    let (hook_url, mut hooks) = crate::webhooks::receiver(0).await;
    let made = crate::webhooks::endpoint(&api, &key, &hook_url, &["call.ended"]).await;
    let secret = made["secret"].as_str().unwrap().to_owned();
    let (recorded, mut records) = mpsc::unbounded_channel();
    api.server
        .app
        .recorder
        .after_call()
        .register(Arc::new(Recorded(recorded)));

    let fixtures = FixtureDir::bundled();
    let mut caller = CallerConfig::new(
        format!("{}/twilio/voice", api.base_url),
        "token-api-tests",
        &number,
    );
    caller.from = CALLER.into();
    caller.max_duration = Duration::from_secs(150);
    for clip in SCRIPT {
        caller.utterances.push(fixtures.caller(clip).unwrap());
    }
    let report = tokio::time::timeout(PATIENCE, place_call(&caller, None))
        .await
        .expect("the call ends")
        .expect("the call is answered");
    let heard = tokio::time::timeout(PATIENCE, records.recv())
        .await
        .expect("the call's record is written")
        .expect("a recorded call");
    assert_eq!(heard.call.call_sid, report.call_sid);
    assert!(
        heard.summary.starts_with("Booked Cleaning on "),
        "{}",
        heard.summary
    );

    let path = format!("/calls/{}", heard.call.id);
    let read = api.get(&path, &key).await.expect(200);
    let call = &read["call"];
    assert_eq!(call["outcome"], "booking_created", "{read:#}");
    let booking_id = call["booking_id"].as_str().expect("the booking's id").to_owned();

    let hook = tokio::time::timeout(PATIENCE, hooks.recv())
        .await
        .expect("call.ended is delivered")
        .expect("a delivery");
    assert_eq!(hook.header("switchboard-event"), "call.ended");
    let signed_at = verify(
        secret.as_bytes(),
        hook.header("switchboard-signature"),
        &hook.body,
        Timestamp::now().as_second(),
        DEFAULT_TOLERANCE_SECS,
    )
    .expect("signed with the endpoint's secret");
    assert!(signed_at > 0);
    let event = hook.json();
    assert_eq!(event["type"], "call.ended", "{event:#}");
    assert_eq!(event["data"]["call"]["id"], heard.call.id.as_str(), "{event:#}");
    assert_eq!(event["data"]["call"]["outcome"], "booking_created", "{event:#}");
    assert_eq!(
        event["data"]["call"]["booking_id"],
        booking_id.as_str(),
        "{event:#}"
    );
    assert_eq!(event["data"]["call"]["from_number"], CALLER, "{event:#}");
    let booking = api
        .get(&format!("/bookings/{booking_id}"), &key)
        .await
        .expect(200);
    assert_eq!(booking["invitee_name"], "Jane Doe", "{booking:#}");

    let transcript = read["transcript"].as_array().unwrap();
    let said = |role: &str| -> Vec<&str> {
        transcript
            .iter()
            .filter(|turn| turn["role"] == role)
            .map(|turn| turn["text"].as_str().unwrap())
            .collect()
    };
    assert_eq!(
        said("caller").first().copied(),
        Some("Hi, I'd like to book a cleaning."),
        "{transcript:#?}"
    );
    assert!(said("agent").len() >= 2, "{transcript:#?}");
    let times: Vec<u64> = transcript
        .iter()
        .map(|turn| turn["at_ms"].as_u64().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|pair| pair[0] <= pair[1]),
        "in order: {times:?}"
    );

    let tool_calls = read["tool_calls"].as_array().unwrap();
    let names: Vec<&str> = tool_calls
        .iter()
        .map(|tool| tool["name"].as_str().unwrap())
        .collect();
    assert!(
        names.starts_with(&["list_event_types", "get_available_slots", "create_booking"]),
        "{names:?}"
    );
    let booked = tool_calls
        .iter()
        .find(|tool| tool["name"] == "create_booking")
        .unwrap();
    assert_eq!(booked["arguments"]["invitee_name"], "Jane Doe");
    assert_eq!(booked["is_error"], false);
    assert_eq!(booked["timed_out"], false);
    let reply: Value = serde_json::from_str(booked["result"].as_str().unwrap()).unwrap();
    assert_eq!(reply["event_name"], "Cleaning");

    let cost = &read["cost_estimate"];
    assert_eq!(cost["per_minute_usd"], 0.0885);
    let minutes = cost["minutes"].as_u64().unwrap();
    assert!(minutes >= 1, "{cost}");
    assert_eq!(
        cost["total_usd"].as_f64().unwrap(),
        (minutes as f64 * 0.0885 * 10_000.0).round() / 10_000.0
    );
    let listed = api.get("/calls", &key).await.expect(200);
    assert_eq!(listed["data"][0]["outcome"], "booking_created");

    let store = api.store.store();
    let account = business.account_id.clone();
    let contact = store
        .contact_by_phone(&account, CALLER)
        .await
        .unwrap()
        .expect("the caller is a contact");
    assert_eq!(contact.name.as_deref(), Some("Jane Doe"));
    let activities = store
        .activities_for_contact(&account, &contact.id, 10)
        .await
        .unwrap();
    let logged = activities
        .iter()
        .find(|activity| activity.kind == ActivityKind::Call)
        .expect("the call's activity");
    assert_eq!(logged.summary, heard.summary);
    let detail = logged.detail.as_ref().unwrap();
    assert_eq!(detail["disposition"], "booking_created");
    assert_eq!(detail["booking_id"], booking_id.as_str());
    assert_eq!(detail["booking_reference"], reply["booking_id"]);

    let stranger = api.account("Elsewhere", "free").await;
    api.get(&path, &stranger.key).await.expect(404);
}
