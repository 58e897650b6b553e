//! The drain: calls in flight run on until the deadline; one still up then hangs up through
//! its normal close, so its record is finished and the caller hears the fallback; a drain
//! whose calls end by themselves finishes without waiting for the deadline; a call being
//! answered as the drain begins is waited for, and its stream still taken.

use std::time::Duration;

use futures::SinkExt;
use jiff::Timestamp;
use switchboard::audio::AudioFormat;
use switchboard::sim::caller::stream::{self, CallerMessages};
use switchboard::sim::caller::{CallReport, CallerConfig, place_call};
use switchboard::store::testing::hold_main_connections;
use switchboard::telephony::{Answer, InboundCall};
use switchboard::wire::twiml;

use crate::support::{PATIENCE, TestBridge, echo_agent, until_an_agent_speaks, voice_params};

/// A call the caller keeps up for up to `max_duration`, placed in the background; returns once
/// the bridge has attached its agent.
async fn call_in_progress(
    bridge: &TestBridge,
    max_duration: Duration,
) -> tokio::task::JoinHandle<CallReport> {
    let mut live = bridge.server.app.live.subscribe();
    let mut config = CallerConfig::new(bridge.url("/twilio/voice"), &bridge.auth_token, bridge.number());
    config.agent_speaks_first = false;
    config.max_duration = max_duration;
    let caller = tokio::spawn(async move { place_call(&config, None).await.unwrap() });
    until_an_agent_speaks(&mut live).await;
    caller
}

#[tokio::test]
async fn a_call_still_up_at_the_deadline_ends_in_its_fallback_with_its_record_finished() {
    let bridge = TestBridge::start(&echo_agent(AudioFormat::Ulaw8000).await).await;
    let caller = call_in_progress(&bridge, Duration::from_secs(120)).await;
    let TestBridge { server, store, .. } = bridge;
    tokio::time::timeout(PATIENCE, server.shutdown(Duration::from_millis(50)))
        .await
        .expect("the drain ends")
        .unwrap();
    let report = tokio::time::timeout(PATIENCE, caller)
        .await
        .expect("the caller saw the call end")
        .unwrap();
    assert!(report.ended_by_bridge, "the bridge hung up, not the caller");
    let action = report
        .action
        .expect("Twilio's connect action was answered during the drain");
    // The seeded agent's fallback: the apology, then voicemail.
    assert!(
        action.contains("Sorry, our assistant is having trouble") && action.contains("<Record"),
        "{action}"
    );
    let record = store
        .call_by_sid(&report.call_sid)
        .await
        .unwrap()
        .expect("the call's record");
    assert_eq!(record.end_reason.as_deref(), Some("server"));
    assert!(record.ended_at.is_some(), "{record:?}");
}

#[tokio::test]
async fn a_drain_whose_calls_end_by_themselves_does_not_wait_for_the_deadline() {
    let bridge = TestBridge::start(&echo_agent(AudioFormat::Ulaw8000).await).await;
    let caller = call_in_progress(&bridge, Duration::from_secs(1)).await;
    let TestBridge { server, store, .. } = bridge;
    // Ten minutes of deadline: only a drain that waits for the calls, not for the clock, ends
    // within the test's patience.
    tokio::time::timeout(PATIENCE, server.shutdown(Duration::from_secs(600)))
        .await
        .expect("the drain ended when the call did")
        .unwrap();
    let report = caller.await.unwrap();
    assert!(!report.ended_by_bridge, "the caller hung up");
    let record = store.call_by_sid(&report.call_sid).await.unwrap().unwrap();
    assert_eq!(record.end_reason.as_deref(), Some("caller_hung_up"));
}

#[tokio::test]
async fn a_call_answered_as_the_drain_begins_streams_during_it_and_runs_to_its_end() {
    let bridge = TestBridge::start(&echo_agent(AudioFormat::Ulaw8000).await).await;
    let mut live = bridge.server.app.live.subscribe();
    let reception = bridge.server.app.reception.clone();
    let admission = bridge.server.app.admission.clone();
    let stream_url = format!("ws://{}/twilio/stream", bridge.server.local_addr);
    let voice = bridge.url("/twilio/voice");
    let number = bridge.number().to_owned();
    let TestBridge {
        server, store, hooks, ..
    } = bridge;

    // The voice webhook is being answered (admitted, its agent being looked up) when SIGTERM
    // comes: the drain begins, then the answer is given. The database's connections are held
    // meanwhile, so the lookup is certainly still waiting when the drain begins, however fast
    // the machine.
    let held = hold_main_connections(&store).await;
    let call = InboundCall::from_fields(Some("CAanswered"), Some("+15005550006"), Some(&number));
    let mut answering = Box::pin(reception.answer(call, Timestamp::now()));
    assert!(
        futures::poll!(answering.as_mut()).is_pending(),
        "looking the number up"
    );
    let mut drain = Box::pin(server.shutdown(Duration::from_secs(600)));
    assert!(futures::poll!(drain.as_mut()).is_pending());
    assert!(admission.is_draining());
    let drain = tokio::spawn(drain);
    drop(held);
    let Answer::Connect(connect) = answering.await else {
        panic!("a call admitted before the drain is connected");
    };

    let refused = hooks.post(&voice, &voice_params("CAnew", &number)).await.unwrap();
    assert!(
        twiml::parse_connect(&refused).unwrap().is_none(),
        "a new call is turned away: {refused}"
    );

    let mut twilio = stream::open(&hooks, &stream_url, None)
        .await
        .expect("the answered call's stream is accepted during the drain");
    let mut messages = CallerMessages::new("MZanswered");
    twilio.send(CallerMessages::connected().into()).await.unwrap();
    let parameters = [
        ("token".to_owned(), connect.token),
        ("from".to_owned(), connect.from),
        ("to".to_owned(), connect.to),
    ];
    let start = messages.start("AC1", "CAanswered", &parameters);
    twilio.send(start.into()).await.unwrap();
    until_an_agent_speaks(&mut live).await;
    assert!(!drain.is_finished(), "the drain waits for the call");

    let stop = messages.stop("AC1", "CAanswered");
    twilio.send(stop.into()).await.unwrap();
    tokio::time::timeout(PATIENCE, drain)
        .await
        .expect("the drain ended once the call did")
        .unwrap()
        .unwrap();
    let record = store
        .call_by_sid("CAanswered")
        .await
        .unwrap()
        .expect("the call's record");
    assert_eq!(
        record.end_reason.as_deref(),
        Some("caller_hung_up"),
        "the call ran to its end, not cut: {record:?}"
    );
}
