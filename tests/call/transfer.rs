//! A transfer to a person as the session ends it: like `end_call`, after the agent's last words
//! have played and it has gone quiet, but as `transferred`, so the connect action dials.

use std::time::Duration;

use crate::support::*;
use serde_json::json;
use switchboard::call::{EndReason, Event, ToolOutcome};

fn reason(h: &Harness) -> &EndReason {
    match h.ended() {
        Some(Event::Ended { reason, .. }) => reason,
        other => panic!("not ended: {other:?}"),
    }
}

#[test]
fn a_transfer_waits_for_the_agents_words_to_play_then_ends_as_transferred() {
    let mut h = Harness::live("ulaw_8000", "ulaw_8000");
    h.agent(&tool_call(
        "t1",
        "transfer_call",
        json!({"reason": "billing question"}),
    ));
    h.tool_result("t1", ToolOutcome::transfer("transferring"));
    // "Let me put you through" arrives after the tool's answer.
    h.agent(&agent_audio(9, &[5; 1600]));
    h.advance(Duration::from_secs(2));
    assert!(
        h.ended().is_none(),
        "the agent's last words have not been played yet"
    );
    h.echo_marks();
    h.advance(Duration::from_millis(10));
    assert_eq!(*reason(&h), EndReason::Transferred);
    assert!(!reason(&h).wants_fallback(), "a transfer is not a failure");
    assert_eq!(reason(&h).label(), "transferred");
}

#[test]
fn a_transfer_waits_for_the_agent_to_go_quiet_before_ending() {
    let mut h = Harness::live("ulaw_8000", "ulaw_8000");
    h.agent(&tool_call("t1", "transfer_call", json!({"reason": "a person"})));
    h.tool_result("t1", ToolOutcome::transfer("transferring"));
    // Nothing is played yet; the agent may still speak, so the session waits a little.
    h.advance(Duration::from_millis(10));
    assert!(h.ended().is_none(), "the agent may still say it is transferring");
    h.advance(Duration::from_secs(3));
    assert_eq!(*reason(&h), EndReason::Transferred);
}

#[test]
fn a_transfer_the_tool_refused_leaves_the_call_going() {
    let mut h = Harness::live("ulaw_8000", "ulaw_8000");
    h.agent(&tool_call("t1", "transfer_call", json!({"reason": "a person"})));
    h.tool_result("t1", ToolOutcome::error("No one can take the call right now."));
    h.advance(Duration::from_secs(30));
    assert!(h.ended().is_none(), "the call goes on after a refused transfer");
    h.twilio(&stop());
    assert_eq!(*reason(&h), EndReason::CallerHungUp);
}

#[test]
fn a_transfer_whose_playback_is_never_confirmed_still_ends_transferred() {
    let mut h = Harness::live("ulaw_8000", "ulaw_8000");
    h.agent(&agent_audio(1, &[5; 1600]));
    h.agent(&tool_call("t1", "transfer_call", json!({"reason": "a person"})));
    h.tool_result("t1", ToolOutcome::transfer("transferring"));
    h.advance(Duration::from_secs(14));
    assert!(h.ended().is_none());
    h.advance(Duration::from_secs(2));
    assert_eq!(*reason(&h), EndReason::Transferred);
}
