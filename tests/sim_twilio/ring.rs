//! Inbound calls the stand-in rings into a number's `VoiceUrl`: a number attached to the
//! bridge reaches its agent, in process and over `POST /sim/calls/inbound`.

use std::time::Duration;

use serde_json::Value;
use switchboard::audio::AudioFormat;
use switchboard::audio::fixtures::FixtureDir;
use switchboard::sim::twilio::{InboundRing, RingError, SimTwilioConfig};

use crate::bridge_support::{TestBridge, echo_agent};
use crate::support::{ACCOUNT_SID, PATIENCE, Twilio};

#[tokio::test]
async fn an_inbound_call_to_a_provisioned_number_reaches_the_agent() {
    let agent = echo_agent(AudioFormat::Ulaw8000).await;
    let bridge = TestBridge::start(&agent).await;
    let mut setup = SimTwilioConfig::new(ACCOUNT_SID, bridge.auth_token.clone());
    setup.numbers = vec![bridge.number().to_owned()];
    let twilio = Twilio::start_with_token(setup, &bridge.auth_token).await;

    let mut ring = InboundRing::new(bridge.number(), "+15005550006");
    match twilio.sim.ring(ring.clone()).await {
        Err(RingError::NoVoiceUrl(number)) => assert_eq!(number, bridge.number()),
        other => panic!("a number with no VoiceUrl rings nowhere: {other:?}"),
    }
    assert!(matches!(
        twilio
            .sim
            .ring(InboundRing::new("+14155550111", "+15005550006"))
            .await,
        Err(RingError::NotOurs(_))
    ));

    // Attach the number to the bridge as provisioning does, then ring it.
    let (_, listed) = twilio
        .get("IncomingPhoneNumbers.json", &[("PhoneNumber", bridge.number())])
        .await;
    let pn = listed["incoming_phone_numbers"][0]["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = twilio
        .post(
            &format!("IncomingPhoneNumbers/{pn}.json"),
            &[
                ("VoiceUrl", &bridge.url("/twilio/voice")),
                ("StatusCallback", &bridge.url("/twilio/call-status")),
            ],
        )
        .await;
    assert_eq!(status, 200);
    // The second clip is said only once the agent (the echo of the first) has been heard.
    let fixtures = FixtureDir::bundled();
    ring.caller.utterances = vec![fixtures.caller("book").unwrap(), fixtures.caller("bye").unwrap()];
    ring.caller.agent_speaks_first = false;
    ring.caller.linger = Duration::from_secs(1);
    let report = tokio::time::timeout(PATIENCE, twilio.sim.ring(ring))
        .await
        .unwrap()
        .expect("the call goes through");
    assert!(report.stream_sid.starts_with("MZ"), "{}", report.answer);
    assert_eq!(report.turns_spoken, 2);
    assert!(report.heard > Duration::ZERO, "the agent's audio came back");

    let state = twilio.sim.state();
    let call = state
        .calls
        .iter()
        .find(|c| c.sid == report.call_sid)
        .expect("the call is kept");
    assert_eq!((call.direction, call.status), ("inbound", "completed"));
    assert_eq!(call.phone_number_sid.as_deref(), Some(pn.as_str()));
    let status_callback = state
        .webhooks
        .iter()
        .find(|w| w.url.ends_with("/twilio/call-status"))
        .expect("the number's StatusCallback was posted");
    assert_eq!(
        status_callback.params.get("CallSid"),
        Some(report.call_sid.as_str())
    );
    assert_eq!(status_callback.params.get("CallStatus"), Some("completed"));
    assert!(
        status_callback.status.is_some_and(|s| (200..300).contains(&s)),
        "the bridge took the signed callback: {status_callback:?}"
    );
}

#[tokio::test]
async fn the_control_endpoint_rings_a_number() {
    let agent = echo_agent(AudioFormat::Ulaw8000).await;
    let bridge = TestBridge::start(&agent).await;
    let mut setup = SimTwilioConfig::new(ACCOUNT_SID, bridge.auth_token.clone());
    setup.numbers = vec![bridge.number().to_owned()];
    let twilio = Twilio::start_with_token(setup, &bridge.auth_token).await;
    let pn = twilio.sim.state().numbers[0].sid.clone();
    twilio
        .post(
            &format!("IncomingPhoneNumbers/{pn}.json"),
            &[("VoiceUrl", &bridge.url("/twilio/voice"))],
        )
        .await;
    let http = reqwest::Client::new();
    let refused = http
        .post(format!("{}/sim/calls/inbound", twilio.base))
        .json(&serde_json::json!({"to": "+14155550111"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    let bad = http
        .post(format!("{}/sim/calls/inbound", twilio.base))
        .json(&serde_json::json!({"to": bridge.number(), "say": ["no-such-clip"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    // The echo agent says nothing first, and the caller says nothing and does not wait for it:
    // the bridge answers, the stream opens, and the caller hangs up after its linger.
    let rung = http
        .post(format!("{}/sim/calls/inbound", twilio.base))
        .json(&serde_json::json!({
            "to": bridge.number(),
            "from": "+15005550006",
            "agent_speaks_first": false,
            "linger_ms": 500,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(rung.status(), 200);
    let body: Value = rung.json().await.unwrap();
    assert!(body["stream_sid"].as_str().unwrap().starts_with("MZ"), "{body}");
    assert!(body["answer"].as_str().unwrap().contains("<Stream"), "{body}");
}
