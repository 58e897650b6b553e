//! Twilio's callbacks replayed or redelivered, over real HTTP: a call is answered once (a
//! replayed voice webhook gets no token and opens no agent connection), a voicemail and a
//! status are kept once, a connect action changes nothing, and values Twilio never sends are
//! refused with a clear error.

use switchboard::sim::caller::webhook::WebhookError;
use switchboard::store::{CARRIER_END_REASON, CallRecord};
use switchboard::telephony::ErrorKind;
use switchboard::wire::twiml;

use crate::support::{DEAD_UPSTREAM, TestBridge, voice_params};

const RECORDING: &str = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE0123";

async fn record(bridge: &TestBridge, call_sid: &str) -> CallRecord {
    bridge
        .store
        .call_by_sid(call_sid)
        .await
        .unwrap()
        .expect("the call's record")
}

/// Answers `call_sid` through the voice webhook, as Twilio would.
async fn answered(bridge: &TestBridge, call_sid: &str) {
    bridge.answer_webhook(call_sid).await;
}

fn refusal(result: Result<String, WebhookError>) -> (u16, String) {
    match result {
        Err(WebhookError::Status { status, body, .. }) => (status, body),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_replayed_voice_webhook_gets_no_token_and_opens_no_agent_connection() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let app = &bridge.server.app;
    let url = bridge.url("/twilio/voice");
    let params = voice_params("CAreplayed", bridge.number());
    let mut connects = 0;
    for _ in 0..20 {
        // The same signed request each time, as a captured one would be replayed.
        let answer = bridge.hooks.post(&url, &params).await.unwrap();
        match twiml::parse_connect(&answer).unwrap() {
            Some(_) => connects += 1,
            None => assert!(
                answer.contains("<Hangup />") && !answer.contains("token"),
                "{answer}"
            ),
        }
    }
    assert_eq!(connects, 1, "one token, for the first answer only");
    assert_eq!(app.connections.waiting(), 1, "one agent connection pre-warmed");
    assert_eq!(app.metrics.error_count(ErrorKind::Replayed), 19);
    let metrics = reqwest::get(bridge.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("switchboard_errors_total{kind=\"replayed\"} 19\n"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_redelivered_voicemail_or_connect_action_changes_nothing_in_the_store() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let app = &bridge.server.app;
    answered(&bridge, "CAvoicemail").await;
    let mut params = voice_params("CAvoicemail", bridge.number());
    params.extend([("RecordingUrl", RECORDING), ("RecordingDuration", "12")]);
    let action = bridge.url("/twilio/connect-action");
    bridge.hooks.post(&action, &params).await.unwrap();
    let voicemail = bridge.url("/twilio/voicemail");
    let goodbye = bridge.hooks.post(&voicemail, &params).await.unwrap();
    assert!(goodbye.contains("Thank you"), "{goodbye}");
    let kept = record(&bridge, "CAvoicemail").await;
    assert_eq!(kept.voicemail_url.as_deref(), Some(RECORDING));

    let again = bridge.hooks.post(&voicemail, &params).await.unwrap();
    assert_eq!(again, goodbye, "the caller hears the same");
    bridge.hooks.post(&action, &params).await.unwrap();
    assert_eq!(record(&bridge, "CAvoicemail").await, kept, "nothing changed");
    assert_eq!(app.metrics.error_count(ErrorKind::Replayed), 1);
}

#[tokio::test]
async fn a_recording_elsewhere_or_a_length_that_is_not_whole_seconds_is_refused() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    answered(&bridge, "CAbad").await;
    let voicemail = bridge.url("/twilio/voicemail");
    for (url, seconds, says) in [
        (
            "https://evil.example/recording.mp3",
            "12",
            "RecordingUrl must be an https URL on api.twilio.com",
        ),
        (
            "http://api.twilio.com/2010-04-01/Recordings/RE1",
            "12",
            "RecordingUrl",
        ),
        (
            RECORDING,
            "-3",
            "RecordingDuration must be a whole number of seconds",
        ),
        (RECORDING, "1e9", "RecordingDuration"),
        (RECORDING, "999999", "RecordingDuration"),
    ] {
        let mut params = voice_params("CAbad", bridge.number());
        params.extend([("RecordingUrl", url), ("RecordingDuration", seconds)]);
        let (status, body) = refusal(bridge.hooks.post(&voicemail, &params).await);
        assert_eq!(status, 400, "{url} {seconds}: {body}");
        assert!(body.contains(says), "{url} {seconds}: {body}");
    }
    let status_url = bridge.url("/twilio/call-status");
    for duration in ["-1", "ten", "86401"] {
        let mut params = voice_params("CAbad", bridge.number());
        params.extend([("CallStatus", "completed"), ("CallDuration", duration)]);
        params.retain(|(k, v)| *k != "CallStatus" || *v == "completed");
        let (status, body) = refusal(bridge.hooks.post(&status_url, &params).await);
        assert_eq!(status, 400, "{duration}: {body}");
        assert!(body.contains("CallDuration"), "{body}");
    }
    let untouched = record(&bridge, "CAbad").await;
    assert_eq!(
        (
            untouched.voicemail_url,
            untouched.carrier_duration,
            untouched.ended_at
        ),
        (None, None, None)
    );
}

#[tokio::test]
async fn twilios_status_callback_closes_an_open_call_with_its_length_once() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    answered(&bridge, "CAstatus").await;
    let url = bridge.url("/twilio/call-status");
    let completed = |seconds| {
        let mut params = voice_params("CAstatus", bridge.number());
        params.retain(|(k, _)| *k != "CallStatus");
        params.extend([("CallStatus", "completed"), ("CallDuration", seconds)]);
        params
    };
    // Before the end: nothing to record.
    let mut ringing = voice_params("CAstatus", bridge.number());
    ringing.push(("CallDuration", "1"));
    bridge.hooks.post(&url, &ringing).await.unwrap();
    assert_eq!(record(&bridge, "CAstatus").await.ended_at, None);

    bridge.hooks.post(&url, &completed("42")).await.unwrap();
    let closed = record(&bridge, "CAstatus").await;
    assert_eq!(closed.duration, Some(std::time::Duration::from_secs(42)));
    assert_eq!(closed.carrier_duration, Some(std::time::Duration::from_secs(42)));
    assert_eq!(closed.end_reason.as_deref(), Some(CARRIER_END_REASON));
    bridge.hooks.post(&url, &completed("99")).await.unwrap();
    assert_eq!(
        record(&bridge, "CAstatus").await,
        closed,
        "a repeat changes nothing"
    );
    assert_eq!(bridge.server.app.metrics.error_count(ErrorKind::Replayed), 1);
}
