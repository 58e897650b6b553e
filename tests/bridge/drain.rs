//! The drain: calls in flight run on until the deadline; one still up then hangs up through
//! its normal close, so its record is finished and the caller hears the fallback; a drain
//! whose calls end by themselves finishes without waiting for the deadline.

use std::time::Duration;

use switchboard::audio::AudioFormat;
use switchboard::sim::caller::{CallReport, CallerConfig, place_call};

use crate::support::{PATIENCE, TestBridge, echo_agent, until_an_agent_speaks};

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
