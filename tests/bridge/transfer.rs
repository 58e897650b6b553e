//! Whole calls handed from the agent to a person: the caller simulator follows the `<Dial>` as
//! Twilio would (the whisper as the person's leg, then the dial's action with the status it is
//! told to simulate), the agent simulator in script mode calls `transfer_call`.

use std::time::Duration;

use serde_json::Value;
use switchboard::audio::{AudioFormat, FixtureDir};
use switchboard::sim::agent::{SimAgentConfig, SimMode};
use switchboard::sim::caller::{CallReport, CallerConfig, TransferAnswer, place_call};
use switchboard::store::{AgentChanges, CallEvent, CallEventKind, CallRecord, NewContact};
use tokio::net::TcpListener;

use crate::support::{PATIENCE, TestBridge};

const ESCALATION: &str = "+15550100999";
const REASON: &str = "a question about an invoice";
const CALLER: &str = "+15005550006";

/// `sim agent` in script mode, asking for a person after the caller's first turn.
async fn transferring_agent() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let config = SimAgentConfig {
        mode: SimMode::Script,
        input_format: AudioFormat::Ulaw8000,
        output_format: AudioFormat::Ulaw8000,
        api_key: Some("xi-test-key".into()),
        transfer_reason: Some(REASON.into()),
        ..SimAgentConfig::default()
    };
    tokio::spawn(switchboard::sim::agent::serve(listener, config));
    url
}

async fn bridge(escalation: Option<&str>) -> TestBridge {
    let bridge = TestBridge::start(&transferring_agent().await).await;
    let business = &bridge.business;
    bridge
        .store
        .update_agent(
            &business.account.id,
            &business.agent.id,
            AgentChanges {
                fallback_number: Some(escalation.map(str::to_owned)),
                ..AgentChanges::default()
            },
        )
        .await
        .unwrap();
    bridge
}

fn caller(bridge: &TestBridge, says: &[&str], answer: TransferAnswer) -> CallerConfig {
    let fixtures = FixtureDir::bundled();
    let mut config = CallerConfig::new(bridge.url("/twilio/voice"), &bridge.auth_token, bridge.number());
    config.from = CALLER.into();
    config.utterances = says.iter().map(|clip| fixtures.caller(clip).unwrap()).collect();
    // Long enough for the agent's answer and goodbye: the bridge ends a transferred call.
    config.linger = Duration::from_secs(20);
    config.transfer_answer = answer;
    config
}

/// The call's record once its end is written, with its timeline.
async fn finished(bridge: &TestBridge, report: &CallReport) -> (CallRecord, Vec<CallEvent>) {
    let ended = async {
        loop {
            let call = bridge.store.call_by_sid(&report.call_sid).await.unwrap();
            if let Some(call) = call.filter(|call| call.end_reason.is_some()) {
                return call;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let call = tokio::time::timeout(PATIENCE, ended)
        .await
        .expect("the call's end is written");
    let timeline = bridge
        .store
        .call_timeline(&bridge.business.account.id, &call.id)
        .await
        .unwrap();
    (call, timeline.events)
}

fn of_kind(events: &[CallEvent], kind: CallEventKind) -> Vec<&Value> {
    events
        .iter()
        .filter(|event| event.kind == kind)
        .map(|event| &event.detail)
        .collect()
}

/// The dial's action posted again, as Twilio redelivers it.
async fn redeliver(bridge: &TestBridge, report: &CallReport, status: &str) -> String {
    let params = [
        ("CallSid", report.call_sid.as_str()),
        ("AccountSid", "AC00000000000000000000000000000000"),
        ("From", CALLER),
        ("To", bridge.number()),
        ("CallStatus", "in-progress"),
        ("DialCallStatus", status),
        ("DialCallSid", "CA11111111111111111111111111111111"),
        ("DialCallDuration", "0"),
    ];
    bridge
        .hooks
        .post(&bridge.url("/twilio/transfer-action"), &params)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_transfer_a_person_answers_hears_who_and_why_and_the_call_ends_transferred() {
    let bridge = bridge(Some(ESCALATION)).await;
    bridge
        .store
        .insert_contact(
            &bridge.business.account.id,
            NewContact {
                phone: CALLER.into(),
                name: Some("Jane Doe".into()),
                email: None,
            },
        )
        .await
        .unwrap();
    let report = place_call(&caller(&bridge, &["book"], TransferAnswer::Answered), None)
        .await
        .unwrap();

    assert!(
        report.ended_by_bridge,
        "the bridge ended the stream for the transfer"
    );
    let transfer = report.transfer.clone().unwrap_or_else(|| {
        panic!(
            "the connect action dialled no one: ended by the bridge {}, {} turns, action {:?}",
            report.ended_by_bridge, report.turns_spoken, report.action
        )
    });
    assert_eq!(transfer.number, ESCALATION);
    assert_eq!(
        transfer.caller_id.as_deref(),
        Some(bridge.number()),
        "the line's own number"
    );
    assert_eq!(transfer.timeout.as_deref(), Some("25"));
    assert_eq!(
        transfer.whisper_said,
        [
            "Call from Jane Doe, transferred by the receptionist.".to_owned(),
            format!("Reason: {REASON}."),
            "Connecting you now.".to_owned(),
        ],
        "{:?}",
        transfer.whisper
    );
    assert!(
        !transfer.whisper.unwrap().contains("Hangup"),
        "the whisper connects the parties"
    );
    assert_eq!(transfer.dial_status, "completed");
    assert!(
        transfer.after_dial.contains("<Hangup />"),
        "{}",
        transfer.after_dial
    );
    assert_eq!(transfer.voicemail, None);

    let (call, events) = finished(&bridge, &report).await;
    assert_eq!(call.end_reason.as_deref(), Some("transferred"));
    let requested = of_kind(&events, CallEventKind::TransferRequested);
    assert_eq!(requested.len(), 1);
    assert_eq!(requested[0]["reason"], REASON);
    // A redelivered action answers the same and logs nothing more.
    assert_eq!(
        redeliver(&bridge, &report, "completed").await,
        transfer.after_dial
    );
    let (_, events) = finished(&bridge, &report).await;
    let transferred = of_kind(&events, CallEventKind::Transferred);
    assert_eq!(transferred.len(), 1, "{events:?}");
    assert_eq!(transferred[0]["answered"], true);
    assert_eq!(transferred[0]["reason"], REASON);
    assert_eq!(transferred[0]["dial_status"], "completed");
    let metrics = bridge.server.app.metrics.render(0);
    assert!(
        metrics.contains("switchboard_calls_ended_total{reason=\"transferred\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_transfer_nobody_answers_reaches_the_voicemail_and_the_message_is_kept() {
    let bridge = bridge(Some(ESCALATION)).await;
    let report = place_call(&caller(&bridge, &["book"], TransferAnswer::NoAnswer), None)
        .await
        .unwrap();

    let transfer = report.transfer.clone().unwrap_or_else(|| {
        panic!(
            "the connect action dialled no one: ended by the bridge {}, {} turns, action {:?}",
            report.ended_by_bridge, report.turns_spoken, report.action
        )
    });
    assert_eq!(
        transfer.whisper, None,
        "nobody answered, so nobody was whispered to"
    );
    assert_eq!(transfer.dial_status, "no-answer");
    assert!(
        transfer
            .after_dial
            .contains(&format!("<Record action=\"{}\"", bridge.url("/twilio/voicemail"))),
        "{}",
        transfer.after_dial
    );
    let voicemail = transfer.voicemail.expect("the caller left a message");
    assert!(voicemail.contains("Thank you. Goodbye."), "{voicemail}");

    let (call, events) = finished(&bridge, &report).await;
    assert_eq!(call.end_reason.as_deref(), Some("transferred"));
    assert!(call.voicemail_url.is_some(), "the message is kept on the call");
    assert_eq!(of_kind(&events, CallEventKind::Voicemail).len(), 1);
    // Redelivered, with another status even: the first outcome stands.
    assert_eq!(redeliver(&bridge, &report, "busy").await, transfer.after_dial);
    let (_, events) = finished(&bridge, &report).await;
    let transferred = of_kind(&events, CallEventKind::Transferred);
    assert_eq!(transferred.len(), 1, "{events:?}");
    assert_eq!(transferred[0]["answered"], false);
    assert_eq!(transferred[0]["dial_status"], "no-answer");
}

#[tokio::test]
async fn an_agent_without_an_escalation_number_is_refused_and_the_call_goes_on() {
    let bridge = bridge(None).await;
    let mut config = caller(&bridge, &["book", "when"], TransferAnswer::Answered);
    // Nothing ends this call but the caller, once the agent has gone on with the booking.
    config.linger = Duration::from_secs(4);
    let report = place_call(&config, None).await.unwrap();

    assert_eq!(report.transfer, None, "nobody was dialled");
    assert!(report.turns_spoken >= 2, "the caller went on talking");
    let (call, events) = finished(&bridge, &report).await;
    assert_ne!(call.end_reason.as_deref(), Some("transferred"));
    assert!(of_kind(&events, CallEventKind::TransferRequested).is_empty());
    let tools: Vec<(&str, &str)> = of_kind(&events, CallEventKind::ToolCall)
        .into_iter()
        .map(|detail| {
            (
                detail["name"].as_str().unwrap(),
                detail["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(tools[0], ("transfer_call", "error"), "{tools:?}");
    assert_eq!(
        tools.get(1).copied(),
        Some(("list_event_types", "ok")),
        "the agent went on with the booking: {tools:?}"
    );
}

/// A call this instance never streamed: its row, and the transfer the agent asked for on the
/// instance that did.
async fn call_streamed_elsewhere(bridge: &TestBridge, call_sid: &str) {
    let business = &bridge.business;
    bridge
        .store
        .insert_call(
            &business.account.id,
            switchboard::store::NewCallRecord {
                agent_id: business.agent.id.clone(),
                call_sid: call_sid.into(),
                direction: switchboard::store::CallDirection::Inbound,
                from_number: CALLER.into(),
                to_number: bridge.number().into(),
                started_at: jiff::Timestamp::now(),
            },
        )
        .await
        .unwrap()
        .unwrap();
    let asked = switchboard::store::NewCallEvent {
        at: jiff::Timestamp::now(),
        kind: CallEventKind::TransferRequested,
        detail: serde_json::json!({"reason": REASON}),
    };
    assert!(bridge.store.insert_call_event(call_sid, &asked).await.unwrap());
}

async fn connect_action(bridge: &TestBridge, call_sid: &str) -> String {
    let params = [
        ("CallSid", call_sid),
        ("AccountSid", "AC00000000000000000000000000000000"),
        ("From", CALLER),
        ("To", bridge.number()),
        ("CallStatus", "in-progress"),
    ];
    bridge
        .hooks
        .post(&bridge.url("/twilio/connect-action"), &params)
        .await
        .unwrap()
}

#[tokio::test]
async fn any_instance_dials_and_whispers_from_what_the_store_holds() {
    let bridge = TestBridge::start(crate::support::DEAD_UPSTREAM).await;
    let business = &bridge.business;
    bridge
        .store
        .update_agent(
            &business.account.id,
            &business.agent.id,
            AgentChanges {
                fallback_number: Some(Some(ESCALATION.into())),
                ..AgentChanges::default()
            },
        )
        .await
        .unwrap();
    let sid = "CA22222222222222222222222222222222";
    call_streamed_elsewhere(&bridge, sid).await;
    let whisper_url = bridge.url(&format!("/twilio/whisper?call={sid}"));
    let dial = format!(
        "<Dial action=\"{}\" callerId=\"{}\" timeout=\"25\"><Number url=\"{whisper_url}\">{ESCALATION}</Number></Dial>",
        bridge.url("/twilio/transfer-action"),
        bridge.number()
    );
    // The stream's instance has not written the call's end yet: the request logged before the
    // agent was told says it is a transfer.
    let answer = connect_action(&bridge, sid).await;
    assert!(answer.contains(&dial), "{answer}");
    // Once it has, the end says so.
    bridge
        .store
        .finish_call(
            sid,
            jiff::Timestamp::now(),
            "transferred",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    assert!(connect_action(&bridge, sid).await.contains(&dial));

    let leg = [
        ("CallSid", "CA33333333333333333333333333333333"),
        ("AccountSid", "AC00000000000000000000000000000000"),
        ("From", bridge.number()),
        ("To", ESCALATION),
        ("Direction", "outbound-dial"),
        ("ParentCallSid", sid),
    ];
    let whisper = bridge.hooks.post(&whisper_url, &leg).await.unwrap();
    let said = switchboard::sim::caller::transfer::says(&whisper).unwrap();
    assert_eq!(
        said,
        [
            "Call from plus 1 5 0 0 5 5 5 0 0 0 6, transferred by the receptionist.".to_owned(),
            format!("Reason: {REASON}."),
            "Connecting you now.".to_owned(),
        ]
    );
    // Signed like every webhook: an unsigned or tampered request is refused.
    let unsigned = reqwest::Client::new()
        .post(&whisper_url)
        .form(&leg)
        .send()
        .await
        .unwrap();
    assert!(unsigned.status().is_client_error(), "{}", unsigned.status());
    let signature = bridge.hooks.sign(&whisper_url, &leg);
    let other_call = bridge.url("/twilio/whisper?call=CA44444444444444444444444444444444");
    let tampered = reqwest::Client::new()
        .post(&other_call)
        .header("X-Twilio-Signature", signature)
        .form(&leg)
        .send()
        .await
        .unwrap();
    assert!(tampered.status().is_client_error(), "{}", tampered.status());
    // A status Twilio does not send is refused, and logs nothing.
    let mut params = leg.to_vec();
    params[0] = ("CallSid", sid);
    params.push(("DialCallStatus", "ringing"));
    let refused = bridge
        .hooks
        .post(&bridge.url("/twilio/transfer-action"), &params)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("DialCallStatus"), "{refused}");
}

#[tokio::test]
async fn a_call_that_ended_without_a_transfer_is_not_dialled() {
    let bridge = bridge(Some(ESCALATION)).await;
    let sid = "CA55555555555555555555555555555555";
    call_streamed_elsewhere(&bridge, sid).await;
    // The transfer was asked for, but the call ended otherwise (the caller hung up first).
    bridge
        .store
        .finish_call(
            sid,
            jiff::Timestamp::now(),
            "caller_hung_up",
            Duration::from_secs(9),
        )
        .await
        .unwrap();
    let answer = connect_action(&bridge, sid).await;
    assert!(!answer.contains("<Dial"), "{answer}");
    assert!(answer.contains("<Hangup />"), "{answer}");
}
