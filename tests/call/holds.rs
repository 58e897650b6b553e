//! The session's holds: caller audio kept until the agent announces its formats, agent
//! messages kept until the caller's stream starts. Each has a budget in frames and in bytes
//! (what goes over it is dropped and counted), and what it releases is handed to the driver
//! with the instant each frame arrived, so the frames that waited longest are counted and
//! timed like every other.

use std::time::Duration;

use crate::support::*;
use switchboard::call::metrics::Direction;
use switchboard::call::{BadInput, Event, SessionConfig};

fn overflows(h: &Harness) -> usize {
    h.events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::BadInput {
                    kind: BadInput::HoldOverflow,
                    ..
                }
            )
        })
        .count()
}

#[test]
fn held_caller_frames_are_released_with_the_instant_each_arrived() {
    let mut h = Harness::new(SessionConfig::default());
    h.twilio(&start());
    h.attach();
    for n in 0..3u8 {
        h.twilio(&media(u64::from(n) + 2, &[n; 160]));
        h.advance(Duration::from_millis(20));
    }
    h.advance(Duration::from_millis(40));
    assert!(
        h.released.is_empty(),
        "nothing is released before the agent is ready"
    );
    h.agent(&metadata("ulaw_8000", "ulaw_8000"));
    assert_eq!(h.agent_audio_bytes(), [[0; 160], [1; 160], [2; 160]].concat());
    let waited: Vec<(Direction, Duration)> = h
        .released
        .iter()
        .map(|(direction, received)| (*direction, h.now - *received))
        .collect();
    assert_eq!(
        waited,
        [100, 80, 60].map(|ms| (Direction::CallerToAgent, Duration::from_millis(ms)))
    );
    assert_eq!(h.session.stats().caller_frames, 3);
    // Frames after the metadata are relayed at once, not released.
    h.twilio(&media(9, &[9; 160]));
    assert_eq!(h.released.len(), 3);
}

#[test]
fn held_agent_audio_is_released_with_the_instant_it_arrived() {
    let mut h = Harness::new(SessionConfig::default());
    let first = h.now;
    h.agent(&metadata("ulaw_8000", "ulaw_8000"));
    h.agent(&agent_audio(1, &[1; 160]));
    h.advance(Duration::from_millis(300));
    h.agent(&agent_audio(1, &[2; 160]));
    h.advance(Duration::from_millis(200));
    h.twilio(&start());
    assert_eq!(h.twilio_audio(), [[1; 160], [2; 160]].concat());
    assert_eq!(
        h.released,
        [
            (Direction::AgentToCaller, first),
            (Direction::AgentToCaller, first + Duration::from_millis(300)),
        ]
    );
}

#[test]
fn a_caller_hold_over_its_byte_budget_drops_the_oldest_frames_and_counts_them() {
    // 20 ms frames are 216 base64 characters: the budget holds three.
    let config = SessionConfig {
        max_held_caller_bytes: 3 * 216,
        ..SessionConfig::default()
    };
    let mut h = Harness::new(config);
    h.twilio(&start());
    for n in 0..5u8 {
        h.twilio(&media(u64::from(n) + 2, &[n; 160]));
    }
    assert_eq!(overflows(&h), 2);
    h.agent(&metadata("ulaw_8000", "ulaw_8000"));
    assert_eq!(
        h.agent_audio_bytes(),
        [[2; 160], [3; 160], [4; 160]].concat(),
        "the newest frames are kept"
    );
    assert_eq!(h.released.len(), 3);
    assert!(h.ended().is_none());
}

#[test]
fn an_agent_hold_over_its_byte_budget_counts_what_it_drops_and_keeps_the_order() {
    let greeting: Vec<String> = (1..=4u8).map(|n| agent_audio(u64::from(n), &[n; 1600])).collect();
    let config = SessionConfig {
        max_held_agent_bytes: metadata("ulaw_8000", "ulaw_8000").len() + 2 * greeting[0].len(),
        ..SessionConfig::default()
    };
    let mut h = Harness::new(config);
    h.agent(&metadata("ulaw_8000", "ulaw_8000"));
    for chunk in &greeting {
        h.agent(chunk);
    }
    assert_eq!(overflows(&h), 2);
    h.twilio(&start());
    assert_eq!(h.twilio_audio(), [[1; 1600], [2; 1600]].concat());
    assert!(h.ended().is_none());
}

#[test]
fn messages_a_prewarmed_hold_dropped_are_counted_when_the_agent_is_attached() {
    let mut h = Harness::new(SessionConfig::default());
    h.twilio(&start());
    h.session.on_agent_attached(h.now, 3);
    h.advance(Duration::ZERO);
    assert_eq!(overflows(&h), 3);
    assert_eq!(h.session.stats().bad_inputs, 3);
}
