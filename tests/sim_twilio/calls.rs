//! Calls the stand-in places: its callbacks and the TwiML it fetches, signed; a
//! `<Connect><Stream>` answered by the simulated callee streaming into a real bridge; calls
//! hung up, paged and refused.

use std::time::Duration;

use serde_json::Value;
use switchboard::audio::AudioFormat;
use switchboard::audio::fixtures::FixtureDir;
use switchboard::sim::twilio::{CalleeScript, SimTwilioConfig};

use crate::bridge_support::{TestBridge, echo_agent};
use crate::support::{ACCOUNT_SID, AUTH_TOKEN, PATIENCE, Receiver, Twilio, assert_error};

const OURS: &str = "+14155550100";

fn owning(auth_token: &str) -> SimTwilioConfig {
    let mut setup = SimTwilioConfig::new(ACCOUNT_SID, auth_token);
    setup.numbers = vec![OURS.into()];
    setup
}

/// A callee who says one clip, then hangs up a second later.
fn one_line_callee() -> CalleeScript {
    CalleeScript {
        clips: vec![FixtureDir::bundled().caller("book").unwrap()],
        max_duration: Duration::from_secs(60),
        linger: Duration::from_secs(1),
    }
}

async fn call_ended(twilio: &Twilio, sid: &str) -> switchboard::sim::twilio::Call {
    let wait = twilio.sim.wait_for(|ledger| {
        ledger
            .calls
            .iter()
            .find(|c| c.sid == sid && c.status == "completed")
            .cloned()
    });
    tokio::time::timeout(PATIENCE, wait).await.expect("the call ends")
}

#[tokio::test]
async fn a_call_to_the_bridge_is_answered_by_the_callee_over_a_stream() {
    let agent = echo_agent(AudioFormat::Ulaw8000).await;
    let bridge = TestBridge::start(&agent).await;
    let receiver = Receiver::start(&bridge.auth_token, &[]).await;
    let mut setup = owning(&bridge.auth_token);
    setup.callee = one_line_callee();
    let twilio = Twilio::start_with_token(setup, &bridge.auth_token).await;

    // The bridge routes by the number called, so the callee here is the agent's number.
    let voice = bridge.url("/twilio/voice");
    let status_url = receiver.url("/status");
    let (status, placed) = twilio
        .post(
            "Calls.json",
            &[
                ("To", bridge.number()),
                ("From", OURS),
                ("Url", &voice),
                ("StatusCallback", &status_url),
                ("StatusCallbackEvent", "initiated"),
                ("StatusCallbackEvent", "ringing"),
                ("StatusCallbackEvent", "answered"),
                ("StatusCallbackEvent", "completed"),
            ],
        )
        .await;
    assert_eq!(status, 201, "{placed}");
    assert_eq!(placed["status"], "queued");
    assert_eq!(placed["direction"], "outbound-api");
    let sid = placed["sid"].as_str().unwrap().to_owned();

    let ended = call_ended(&twilio, &sid).await;
    let callee = ended.callee.clone().expect("the callee streamed");
    assert_eq!(callee.error, None);
    assert!(callee.stream_sid.starts_with("MZ"), "{callee:?}");
    assert_eq!(callee.turns_spoken, 1);
    assert!(
        callee.heard_ms > 0,
        "the echo agent's audio reached the callee: {callee:?}"
    );

    let state = twilio.sim.state();
    let fetch = state
        .webhooks
        .iter()
        .find(|w| w.url == voice)
        .expect("the TwiML was fetched");
    assert_eq!(fetch.status, Some(200));
    assert_eq!(fetch.params.get("Direction"), Some("outbound-api"));
    assert_eq!(fetch.params.get("CallSid"), Some(sid.as_str()));
    assert_eq!(fetch.params.get("CallStatus"), Some("in-progress"));

    let callbacks = receiver.wait_for("/status", 4).await;
    let statuses: Vec<&str> = callbacks.iter().map(|c| c.get("CallStatus").unwrap()).collect();
    assert_eq!(statuses, ["initiated", "ringing", "in-progress", "completed"]);
    assert!(callbacks.iter().all(|c| c.signed), "{callbacks:?}");
    let sequence: Vec<&str> = callbacks
        .iter()
        .map(|c| c.get("SequenceNumber").unwrap())
        .collect();
    assert_eq!(sequence, ["0", "1", "2", "3"]);
    let last = &callbacks[3];
    assert_eq!(last.get("CallSid"), Some(sid.as_str()));
    assert_eq!(last.get("CallDuration"), ended.duration.as_deref());

    let (_, fetched) = twilio.get(&format!("Calls/{sid}.json"), &[]).await;
    assert_eq!(fetched["status"], "completed");
    assert!(fetched["duration"].is_string(), "{fetched}");
    assert!(
        fetched["start_time"].is_string() && fetched["end_time"].is_string(),
        "{fetched}"
    );
}

#[tokio::test]
async fn twiml_without_a_stream_ends_the_call_and_the_default_callback_is_completed() {
    let receiver = Receiver::start(
        AUTH_TOKEN,
        &[(
            "/say",
            "<Response><Say>Your table is ready.</Say><Hangup/></Response>",
        )],
    )
    .await;
    let twilio = Twilio::start(owning(AUTH_TOKEN)).await;
    let status_url = receiver.url("/status");
    let (status, fetched) = twilio
        .post(
            "Calls.json",
            &[
                ("To", "+14155550199"),
                ("From", OURS),
                ("Url", &receiver.url("/say")),
                ("Method", "GET"),
                ("StatusCallback", &status_url),
            ],
        )
        .await;
    assert_eq!(status, 201, "{fetched}");
    let sid = fetched["sid"].as_str().unwrap().to_owned();
    let ended = call_ended(&twilio, &sid).await;
    assert!(ended.callee.is_none());
    let twiml = receiver.wait_for("/say", 1).await;
    assert_eq!(twiml[0].method, "GET");
    assert!(twiml[0].signed, "the GET is signed over its URL with the query");
    assert_eq!(twiml[0].get("Direction"), Some("outbound-api"));
    let callbacks = receiver.wait_for("/status", 1).await;
    assert_eq!(callbacks.len(), 1, "only `completed` unless asked");
    assert_eq!(callbacks[0].get("CallStatus"), Some("completed"));
    assert!(callbacks[0].signed);

    // Inline TwiML needs no URL at all.
    let (status, inline) = twilio
        .post(
            "Calls.json",
            &[
                ("To", "+14155550199"),
                ("From", OURS),
                ("Twiml", "<Response><Hangup/></Response>"),
            ],
        )
        .await;
    assert_eq!(status, 201);
    call_ended(&twilio, inline["sid"].as_str().unwrap()).await;
}

#[tokio::test]
async fn a_call_in_progress_is_hung_up_by_an_update() {
    let (bridge, twilio, voice) = a_long_call().await;
    let (_, placed) = twilio
        .post(
            "Calls.json",
            &[("To", bridge.number()), ("From", OURS), ("Url", &voice)],
        )
        .await;
    let sid = placed["sid"].as_str().unwrap().to_owned();
    let fetched = twilio
        .sim
        .wait_for(|ledger| ledger.webhooks.iter().any(|w| w.url == voice).then_some(()));
    tokio::time::timeout(PATIENCE, fetched).await.unwrap();

    let file = format!("Calls/{sid}.json");
    // `canceled` leaves a call in progress as it is.
    let (status, unchanged) = twilio.post(&file, &[("Status", "canceled")]).await;
    assert_eq!(status, 200);
    assert_eq!(unchanged["status"], "in-progress");
    let (status, _) = twilio.post(&file, &[("Status", "completed")]).await;
    assert_eq!(status, 200);
    let ended = call_ended(&twilio, &sid).await;
    assert!(
        ended.callee.is_none(),
        "hung up before the callee was done: {:?}",
        ended.callee
    );
    assert_error(
        &twilio
            .post(&file, &[("Twiml", "<Response><Hangup/></Response>")])
            .await,
        400,
        21220,
    );
    assert_error(&twilio.post(&file, &[("Status", "busy")]).await, 400, 21218);
}

#[tokio::test]
async fn calls_are_listed_by_page_and_bad_ones_refused() {
    let twilio = Twilio::start(owning(AUTH_TOKEN)).await;
    let twiml = ("Twiml", "<Response><Hangup/></Response>");
    for to in ["+14155550101", "+14155550102", "+14155550101"] {
        let (status, _) = twilio
            .post("Calls.json", &[("To", to), ("From", OURS), twiml])
            .await;
        assert_eq!(status, 201);
    }
    let (_, page) = twilio
        .get("Calls.json", &[("To", "+14155550101"), ("PageSize", "1")])
        .await;
    assert_eq!(page["calls"].as_array().unwrap().len(), 1);
    let (_, next) = twilio.follow(page["next_page_uri"].as_str().unwrap()).await;
    assert_eq!(next["calls"].as_array().unwrap().len(), 1);
    assert_eq!(next["next_page_uri"], Value::Null);
    assert_ne!(page["calls"][0]["sid"], next["calls"][0]["sid"]);

    assert_error(
        &twilio
            .post(
                "Calls.json",
                &[("To", "+14155550101"), ("From", "+14155550999"), twiml],
            )
            .await,
        400,
        21210,
    );
    assert_error(
        &twilio
            .post("Calls.json", &[("To", "14155"), ("From", OURS), twiml])
            .await,
        400,
        21211,
    );
    assert_error(
        &twilio
            .post("Calls.json", &[("To", "+14155550101"), ("From", OURS)])
            .await,
        400,
        21205,
    );
    assert_error(
        &twilio
            .get("Calls/CA00000000000000000000000000000000.json", &[])
            .await,
        404,
        20404,
    );
}

/// A bridge with the echo agent, and a stand-in whose callee would stay on the line.
async fn a_long_call() -> (TestBridge, Twilio, String) {
    let agent = echo_agent(AudioFormat::Ulaw8000).await;
    let bridge = TestBridge::start(&agent).await;
    let mut setup = owning(&bridge.auth_token);
    setup.callee = CalleeScript {
        clips: Vec::new(),
        max_duration: Duration::from_secs(600),
        linger: Duration::from_secs(600),
    };
    let twilio = Twilio::start_with_token(setup, &bridge.auth_token).await;
    let voice = bridge.url("/twilio/voice");
    (bridge, twilio, voice)
}

#[tokio::test]
async fn a_call_in_progress_is_redirected_to_new_twiml() {
    let (bridge, twilio, voice) = a_long_call().await;
    let receiver = Receiver::start(
        &bridge.auth_token,
        &[("/next", "<Response><Say>Goodbye.</Say></Response>")],
    )
    .await;
    let (_, placed) = twilio
        .post(
            "Calls.json",
            &[("To", bridge.number()), ("From", OURS), ("Url", &voice)],
        )
        .await;
    let sid = placed["sid"].as_str().unwrap().to_owned();
    let fetched = twilio
        .sim
        .wait_for(|ledger| ledger.webhooks.iter().any(|w| w.url == voice).then_some(()));
    tokio::time::timeout(PATIENCE, fetched).await.unwrap();

    let (status, _) = twilio
        .post(&format!("Calls/{sid}.json"), &[("Url", &receiver.url("/next"))])
        .await;
    assert_eq!(status, 200);
    let next = receiver.wait_for("/next", 1).await;
    assert!(next[0].signed);
    assert_eq!(next[0].get("CallSid"), Some(sid.as_str()));
    assert_eq!(next[0].get("Direction"), Some("outbound-api"));
    let ended = call_ended(&twilio, &sid).await;
    assert!(ended.callee.is_none(), "{:?}", ended.callee);
}

#[tokio::test]
async fn a_call_ends_at_its_time_limit() {
    let (bridge, twilio, voice) = a_long_call().await;
    let (status, placed) = twilio
        .post(
            "Calls.json",
            &[
                ("To", bridge.number()),
                ("From", OURS),
                ("Url", &voice),
                ("TimeLimit", "1"),
            ],
        )
        .await;
    assert_eq!(status, 201, "{placed}");
    let ended = call_ended(&twilio, placed["sid"].as_str().unwrap()).await;
    assert!(ended.callee.is_none(), "cut off at the limit: {:?}", ended.callee);
}
