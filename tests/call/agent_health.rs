//! A dead or confused agent, as the session sees it with a virtual clock: the deadlines for its
//! metadata and for its signs of life end the call for the fallback, a live agent that only
//! pings is never cut, and protocol errors (a second metadata, absurd event ids, oversized
//! caller media) are counted and change nothing.

use std::time::Duration;

use crate::support::*;
use switchboard::call::{BadInput, EndReason, Event, SessionConfig};

fn end_reason(h: &Harness) -> Option<&EndReason> {
    match h.ended()? {
        Event::Ended { reason, .. } => Some(reason),
        _ => None,
    }
}

fn protocol_errors(h: &Harness) -> usize {
    h.events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::BadInput {
                    kind: BadInput::AgentProtocol,
                    ..
                }
            )
        })
        .count()
}

fn pongs(h: &Harness) -> usize {
    h.to_agent
        .iter()
        .filter(|t| t.contains(r#""type":"pong""#))
        .count()
}

/// A session whose stream started and whose agent was just attached.
fn attached(config: SessionConfig) -> Harness {
    let mut h = Harness::new(config);
    h.twilio(&start());
    h.attach();
    h
}

#[test]
fn an_agent_that_never_announces_its_conversation_is_given_up_for_the_fallback() {
    let mut h = attached(SessionConfig::default());
    // It may ping, but without its formats the call cannot go anywhere.
    h.advance(Duration::from_secs(5));
    h.agent(&ping(1));
    h.advance(Duration::from_millis(4_999));
    assert!(h.ended().is_none(), "10 s are allowed");
    h.advance(Duration::from_millis(2));
    let reason = end_reason(&h).expect("given up");
    assert!(reason.wants_fallback(), "{reason:?}");
    assert!(
        matches!(reason, EndReason::UpstreamFailed { reason, .. } if reason.contains("metadata")),
        "{reason:?}"
    );
    assert_eq!(h.session.poll_timeout(), None);
    // Whatever it says now is not listened to.
    h.agent(&metadata("ulaw_8000", "ulaw_8000"));
    assert!(
        !h.events
            .iter()
            .any(|e| matches!(e, Event::ConversationStarted { .. }))
    );
}

#[test]
fn an_agent_silent_past_the_inactivity_deadline_is_given_up_for_the_fallback() {
    let mut h = attached(SessionConfig::default());
    h.agent(&metadata("ulaw_8000", "ulaw_8000"));
    h.agent(&agent_audio(1, &[5; 800]));
    h.advance(Duration::from_millis(200));
    h.echo_marks();
    let last_heard = h.now - Duration::from_millis(200);
    // The caller goes on talking; the agent says nothing more.
    for n in 0..2000u64 {
        h.twilio(&media(n + 2, &[1; 160]));
        h.advance(Duration::from_millis(20));
        if h.ended().is_some() {
            break;
        }
    }
    let Some(Event::Ended { reason, duration, .. }) = h.ended() else {
        panic!("not ended")
    };
    assert!(reason.wants_fallback(), "{reason:?}");
    assert!(
        matches!(reason, EndReason::UpstreamFailed { reason, .. } if reason.contains("nothing from the agent")),
        "{reason:?}"
    );
    let silent_for = h.now - last_heard;
    assert!(
        silent_for >= Duration::from_secs(20) && silent_for < Duration::from_millis(20_040),
        "ended {silent_for:?} after the agent was last heard (call lasted {duration:?})"
    );
}

#[test]
fn a_live_agent_that_only_pings_is_never_cut() {
    let mut h = attached(SessionConfig::default());
    h.agent(&metadata("ulaw_8000", "ulaw_8000"));
    // Ten minutes of a caller talking to an agent that says nothing but its pings, every 10 s
    // as the simulator does, with a late one now and then (19.9 s apart).
    let mut since_ping = Duration::ZERO;
    let mut late = false;
    let mut id = 0;
    for n in 0..(10 * 60 * 50u64) {
        h.twilio(&media(n + 2, &[1; 160]));
        h.advance(Duration::from_millis(20));
        since_ping += Duration::from_millis(20);
        let due = if late {
            Duration::from_millis(19_900)
        } else {
            Duration::from_secs(10)
        };
        if since_ping >= due {
            id += 1;
            h.agent(&ping(id));
            since_ping = Duration::ZERO;
            late = !late;
        }
    }
    assert!(h.ended().is_none(), "{:?}", h.ended());
    assert_eq!(pongs(&h), id as usize);
    assert_eq!(protocol_errors(&h), 0);
}

#[test]
fn the_deadlines_can_be_turned_off() {
    let config = SessionConfig {
        agent_metadata_timeout: None,
        agent_inactivity_timeout: None,
        ..SessionConfig::default()
    };
    let mut h = attached(config);
    h.advance(Duration::from_secs(3600));
    assert!(h.ended().is_none());
}

#[test]
fn a_second_metadata_is_counted_and_changes_nothing() {
    let mut h = attached(SessionConfig::default());
    h.agent(&metadata("ulaw_8000", "ulaw_8000"));
    h.agent(&metadata("pcm_16000", "pcm_16000"));
    // Still the μ-law pass-through the first one set up, both ways.
    h.twilio(&media(2, &[7; 160]));
    h.agent(&agent_audio(1, &[9; 160]));
    assert_eq!(h.agent_audio_bytes(), vec![7; 160]);
    assert_eq!(h.twilio_audio(), vec![9; 160]);
    let started = h
        .events
        .iter()
        .filter(|e| matches!(e, Event::ConversationStarted { .. }))
        .count();
    assert_eq!(started, 1);
    assert_eq!(protocol_errors(&h), 1);
    assert!(h.ended().is_none());
}

#[test]
fn absurd_interruptions_are_counted_and_clear_nothing() {
    let mut h = attached(SessionConfig::default());
    h.agent(&metadata("ulaw_8000", "ulaw_8000"));
    h.agent(&agent_audio(5, &[1; 160]));
    // Far beyond anything the agent said: taken at its word, every later turn would be muted.
    h.agent(&interruption(5 + 1_000_001));
    h.agent(&interruption(u64::MAX));
    assert!(!h.to_twilio.iter().any(|t| is_clear(t)));
    h.agent(&agent_audio(6, &[2; 160]));
    // A real one, then one that goes backwards: the turn playing now is not cut for it.
    h.agent(&interruption(6));
    let clears = h.to_twilio.iter().filter(|t| is_clear(t)).count();
    assert_eq!(clears, 1);
    h.agent(&agent_audio(7, &[3; 160]));
    h.agent(&interruption(4));
    h.agent(&agent_audio(7, &[4; 160]));
    assert_eq!(h.to_twilio.iter().filter(|t| is_clear(t)).count(), 1);
    assert_eq!(
        h.twilio_audio(),
        [[1; 160], [2; 160], [3; 160], [4; 160]].concat()
    );
    // A negative id does not parse at all.
    h.agent(r#"{"type":"interruption","interruption_event":{"event_id":-1}}"#);
    assert_eq!(h.to_twilio.iter().filter(|t| is_clear(t)).count(), 1);
    assert!(h.events.iter().any(|e| matches!(
        e,
        Event::BadInput {
            kind: BadInput::AgentMalformed,
            ..
        }
    )));
    assert_eq!(protocol_errors(&h), 3);
    assert_eq!(h.session.stats().interruptions, 1);
    assert!(h.ended().is_none());
}

#[test]
fn absurd_ping_ids_are_counted_and_still_answered() {
    let mut h = attached(SessionConfig::default());
    h.agent(&metadata("ulaw_8000", "ulaw_8000"));
    h.agent(&ping(10));
    h.agent(&ping(9)); // backwards
    h.agent(&ping(10 + 1_000_001)); // far ahead
    h.agent(&ping(11));
    assert_eq!(pongs(&h), 4);
    assert_eq!(protocol_errors(&h), 2);
}

#[test]
fn oversized_caller_media_is_counted_and_the_call_goes_on() {
    let mut h = attached(SessionConfig::default());
    h.agent(&metadata("ulaw_8000", "ulaw_8000"));
    // Twilio sends 20 ms (160 bytes) a frame; a second's worth in one is out of protocol.
    h.twilio(&media(2, &[1; 8000]));
    h.twilio(&media(3, &[2; 800])); // 100 ms: still taken
    h.twilio(&media(4, &[3; 160]));
    assert_eq!(h.agent_audio_bytes(), [vec![2; 800], vec![3; 160]].concat());
    let oversized = h
        .events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::BadInput {
                    kind: BadInput::TwilioOversized,
                    ..
                }
            )
        })
        .count();
    assert_eq!(oversized, 1);
    assert!(h.ended().is_none());
}
