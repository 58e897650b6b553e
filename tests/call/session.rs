//! The call session driven with no sockets and a virtual clock.

use std::time::{Duration, Instant};

use crate::support::*;
use proptest::prelude::*;
use serde_json::json;
use switchboard::call::{BadInput, EndReason, Event, SessionConfig, ToolOutcome};
use switchboard::wire::elevenlabs::ClientMessage;

const FRAME: Duration = Duration::from_millis(20);

fn frame(n: u64) -> Vec<u8> {
    (0..160)
        .map(|i| (n as u8).wrapping_mul(31).wrapping_add(i as u8))
        .collect()
}

#[test]
fn a_five_minute_call_runs_faster_than_real_time() {
    let wall = Instant::now();
    let mut h = Harness::live("ulaw_8000", "ulaw_8000");
    let mut sent_caller = Vec::new();
    let mut sent_agent = Vec::new();
    let mut turn = 0u64;
    // 5 minutes of caller frames; the agent answers with a 2-second reply every 10 seconds
    // and pings every 5.
    for n in 0..(5 * 60 * 50u64) {
        let f = frame(n);
        h.twilio(&media(n + 2, &f));
        sent_caller.extend_from_slice(&f);
        if n % 500 == 0 {
            turn += 1;
            for c in 0..20u64 {
                let chunk = frame(n * 1000 + c).repeat(5);
                h.agent(&agent_audio(turn, &chunk));
                sent_agent.extend_from_slice(&chunk);
            }
        }
        if n % 250 == 0 {
            h.agent(&ping(n));
        }
        h.advance(FRAME);
        if n % 50 == 0 {
            h.echo_marks();
        }
    }
    h.twilio(&stop());
    let elapsed = wall.elapsed();
    println!("simulated 300 s of call in {elapsed:?}");

    assert_eq!(
        h.agent_audio_bytes(),
        sent_caller,
        "caller audio reaches the agent once, in order"
    );
    assert_eq!(
        h.twilio_audio(),
        sent_agent,
        "agent audio reaches Twilio once, in order"
    );
    let pongs = h
        .to_agent
        .iter()
        .filter(|t| t.contains(r#""type":"pong""#))
        .count();
    assert_eq!(pongs, 60);
    let Some(Event::Ended {
        reason,
        duration,
        stats,
    }) = h.ended()
    else {
        panic!("not ended")
    };
    assert_eq!(*reason, EndReason::CallerHungUp);
    assert_eq!(duration.as_secs(), 300);
    assert_eq!(stats.caller_frames, 15_000);
    assert_eq!(stats.bad_inputs, 0);
    let metered: Vec<u64> = h
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Metered { seconds } => Some(*seconds),
            _ => None,
        })
        .collect();
    assert_eq!(metered, vec![60, 120, 180, 240, 300]);
}

/// A driver that ticks late (a stalled runtime) gets one catch-up report, not a burst, and
/// the next report is due after the late tick, never before it.
#[test]
fn a_late_tick_meters_once_and_leaves_no_deadline_in_the_past() {
    let mut h = Harness::live("ulaw_8000", "ulaw_8000");
    let started = h.now;
    h.now = started + Duration::from_millis(59_367);
    h.session.on_tick(h.now);
    h.now = started + Duration::from_millis(181_405);
    h.session.on_tick(h.now);
    let metered: Vec<u64> = std::iter::from_fn(|| h.session.poll_event())
        .filter_map(|e| match e {
            Event::Metered { seconds } => Some(seconds),
            _ => None,
        })
        .collect();
    assert_eq!(metered, vec![181], "one report with the running total");
    let next = h.session.poll_timeout().expect("metering goes on");
    assert_eq!(
        next,
        started + Duration::from_secs(240),
        "the next whole interval"
    );
}

#[test]
fn interruption_sends_clear_at_once_and_gates_stale_audio() {
    let mut h = Harness::live("ulaw_8000", "ulaw_8000");
    h.agent(&agent_audio(3, &[1; 800]));
    h.agent(&agent_audio(3, &[2; 800]));
    let before = h.to_twilio.len();
    h.agent(&interruption(3));
    assert!(
        is_clear(&h.to_twilio[before]),
        "the clear is the very next frame to Twilio"
    );
    // Late audio of the interrupted turn is dropped, the next turn plays.
    h.agent(&agent_audio(3, &[3; 800]));
    h.agent(&agent_audio(4, &[4; 800]));
    let after_clear: Vec<u8> = h.to_twilio[before..]
        .iter()
        .filter_map(|t| media_payload(t))
        .flatten()
        .collect();
    assert_eq!(after_clear, vec![4; 800]);
    assert_eq!(h.session.stats().stale_agent_chunks, 1);
    assert!(
        h.events
            .iter()
            .any(|e| matches!(e, Event::Interrupted { event_id: 3, .. }))
    );
}

#[test]
fn marks_echoed_after_a_clear_do_not_count_as_heard() {
    let mut h = Harness::live("ulaw_8000", "ulaw_8000");
    h.agent(&agent_audio(1, &[1; 8000])); // one second: a mark goes out at once
    h.echo_marks();
    assert_eq!(h.session.stats().heard_ms, 1000);
    h.agent(&agent_audio(2, &[2; 8000]));
    let pending: Vec<String> = h.to_twilio.iter().filter_map(|t| mark_name(t)).collect();
    h.agent(&interruption(2));
    for name in pending {
        h.twilio(&mark_echo(&name)); // Twilio echoes the cleared marks
    }
    assert_eq!(
        h.session.stats().heard_ms,
        1000,
        "the cleared second was not heard"
    );
}

#[test]
fn ping_gets_a_pong_with_its_event_id() {
    let mut h = Harness::live("ulaw_8000", "ulaw_8000");
    h.agent(&ping(42));
    assert_eq!(h.to_agent.last().unwrap(), r#"{"type":"pong","event_id":42}"#);
}

#[test]
fn dtmf_reaches_the_agent_as_a_contextual_update() {
    let mut h = Harness::live("ulaw_8000", "ulaw_8000");
    h.twilio(&dtmf("7"));
    let ClientMessage::ContextualUpdate { text, .. } =
        ClientMessage::parse(h.to_agent.last().unwrap()).unwrap()
    else {
        panic!("not a contextual update")
    };
    assert!(text.contains("\"7\""), "{text}");
}

fn tool_results(h: &Harness) -> Vec<(String, String, bool)> {
    h.to_agent
        .iter()
        .filter_map(|t| match ClientMessage::parse(t).ok()? {
            ClientMessage::ClientToolResult {
                tool_call_id,
                result,
                is_error,
            } => Some((tool_call_id.into_owned(), result.into_owned(), is_error)),
            _ => None,
        })
        .collect()
}

#[test]
fn tool_calls_are_answered_with_the_same_id() {
    let mut h = Harness::live("ulaw_8000", "ulaw_8000");
    h.agent(&tool_call("call_1", "list_event_types", json!({})));
    let Some(Event::ToolCall(call)) = h.events.iter().find(|e| matches!(e, Event::ToolCall(_))) else {
        panic!("no tool call event")
    };
    assert_eq!(
        (call.id.as_str(), call.name.as_str()),
        ("call_1", "list_event_types")
    );
    h.tool_result("call_1", ToolOutcome::ok(r#"{"event_types":[]}"#));
    h.agent(&tool_call(
        "call_2",
        "create_booking",
        json!({"start_time": "nope"}),
    ));
    h.tool_result("call_2", ToolOutcome::error("That time is not valid."));
    assert_eq!(
        tool_results(&h),
        vec![
            ("call_1".into(), r#"{"event_types":[]}"#.into(), false),
            ("call_2".into(), "That time is not valid.".into(), true)
        ]
    );
}

#[test]
fn a_slow_tool_times_out_as_an_error_and_its_late_result_is_ignored() {
    let mut h = Harness::live("ulaw_8000", "ulaw_8000");
    h.agent(&tool_call("slow", "get_available_slots", json!({})));
    h.advance(Duration::from_secs(9));
    assert!(tool_results(&h).is_empty());
    h.advance(Duration::from_secs(2));
    let results = tool_results(&h);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].0, "slow");
    assert!(results[0].2, "a timeout is an error");
    h.tool_result("slow", ToolOutcome::ok("too late"));
    assert_eq!(tool_results(&h).len(), 1, "nothing more is sent");
    assert!(h.events.iter().any(|e| matches!(
        e,
        Event::BadInput {
            kind: BadInput::LateToolResult,
            ..
        }
    )));
    assert!(
        h.events
            .iter()
            .any(|e| matches!(e, Event::ToolFinished { timed_out: true, .. }))
    );
}

#[test]
fn end_call_waits_for_the_goodbye_to_play() {
    let mut h = Harness::live("ulaw_8000", "ulaw_8000");
    h.agent(&tool_call("bye", "end_call", json!({})));
    h.tool_result(
        "bye",
        ToolOutcome {
            result: "ok".into(),
            is_error: false,
            end_call: true,
            transfer: false,
        },
    );
    // The goodbye arrives after the tool result.
    h.agent(&agent_audio(9, &[5; 1600]));
    h.advance(Duration::from_secs(2));
    assert!(h.ended().is_none(), "the goodbye has not been played yet");
    h.echo_marks();
    h.advance(Duration::from_millis(10));
    let Some(Event::Ended { reason, .. }) = h.ended() else {
        panic!("not ended")
    };
    assert_eq!(*reason, EndReason::AgentEnded);
}

#[test]
fn end_call_hangs_up_anyway_if_playback_is_never_confirmed() {
    let mut h = Harness::live("ulaw_8000", "ulaw_8000");
    h.agent(&agent_audio(1, &[5; 1600]));
    h.agent(&tool_call("bye", "end_call", json!({})));
    h.tool_result(
        "bye",
        ToolOutcome {
            result: "ok".into(),
            is_error: false,
            end_call: true,
            transfer: false,
        },
    );
    h.advance(Duration::from_secs(14));
    assert!(h.ended().is_none());
    h.advance(Duration::from_secs(2));
    assert!(h.ended().is_some());
}

#[test]
fn twilio_stop_ends_the_call_at_once() {
    let mut h = Harness::live("ulaw_8000", "ulaw_8000");
    h.agent(&agent_audio(1, &[5; 1600]));
    h.twilio(&stop());
    let Some(Event::Ended { reason, .. }) = h.ended() else {
        panic!("not ended")
    };
    assert_eq!(*reason, EndReason::CallerHungUp);
    assert!(h.session.is_ended());
    assert_eq!(h.session.poll_timeout(), None);
}

#[test]
fn an_agent_failure_ends_the_call_for_the_fallback() {
    let mut h = Harness::live("ulaw_8000", "ulaw_8000");
    h.agent(&agent_audio(1, &[5; 800]));
    h.agent_closed(Some(1011));
    h.advance(Duration::from_millis(100));
    assert!(h.ended().is_none(), "queued audio plays first");
    h.echo_marks();
    let Some(Event::Ended { reason, .. }) = h.ended() else {
        panic!("not ended")
    };
    assert!(reason.wants_fallback(), "{reason:?}");
}

#[test]
fn a_normal_agent_close_is_a_plain_hang_up() {
    let mut h = Harness::live("ulaw_8000", "ulaw_8000");
    h.agent_closed(Some(1000));
    let Some(Event::Ended { reason, .. }) = h.ended() else {
        panic!("not ended")
    };
    assert_eq!(*reason, EndReason::AgentEnded);
    assert!(!reason.wants_fallback());
}

#[test]
fn agent_audio_before_start_is_held_and_flushed_in_order() {
    let mut h = Harness::new(SessionConfig::default());
    h.agent(&metadata("ulaw_8000", "ulaw_8000"));
    h.agent(&agent_audio(1, &[1; 400]));
    h.agent(&agent_audio(1, &[2; 400]));
    assert!(h.to_twilio.is_empty());
    h.twilio(&start());
    let mut expected = vec![1; 400];
    expected.extend([2; 400]);
    assert_eq!(h.twilio_audio(), expected);
}

#[test]
fn caller_audio_before_the_agent_is_ready_is_held() {
    let mut h = Harness::new(SessionConfig::default());
    h.twilio(&start());
    h.twilio(&media(2, &[7; 160]));
    h.twilio(&media(3, &[8; 160]));
    assert!(h.to_agent.is_empty());
    h.agent(&metadata("ulaw_8000", "ulaw_8000"));
    let mut expected = vec![7; 160];
    expected.extend([8; 160]);
    assert_eq!(h.agent_audio_bytes(), expected);
}

#[test]
fn a_stream_without_start_is_ended() {
    let mut h = Harness::new(SessionConfig::default());
    h.advance(Duration::from_secs(11));
    let Some(Event::Ended { reason, .. }) = h.ended() else {
        panic!("not ended")
    };
    assert_eq!(*reason, EndReason::NoStart);
}

#[test]
fn the_time_limit_ends_the_call() {
    let config = SessionConfig {
        max_duration: Some(Duration::from_secs(30)),
        ..SessionConfig::default()
    };
    let mut h = Harness::new(config);
    h.twilio(&start());
    h.agent(&metadata("ulaw_8000", "ulaw_8000"));
    h.advance(Duration::from_secs(29));
    assert!(h.ended().is_none());
    h.advance(Duration::from_secs(2));
    let Some(Event::Ended { reason, .. }) = h.ended() else {
        panic!("not ended")
    };
    assert_eq!(*reason, EndReason::TimeLimit);
}

fn bad_kinds(h: &Harness) -> Vec<(BadInput, bool)> {
    h.events
        .iter()
        .filter_map(|e| match e {
            Event::BadInput { kind, first, .. } => Some((*kind, *first)),
            _ => None,
        })
        .collect()
}

#[test]
fn bad_twilio_input_is_counted_reported_once_and_the_call_goes_on() {
    let mut h = Harness::new(SessionConfig::default());
    h.twilio(&media(1, &[1; 160])); // media before start
    h.twilio(&start());
    h.agent(&metadata("ulaw_8000", "ulaw_8000"));
    h.twilio("{not json");
    h.twilio("{not json either");
    h.twilio(r#"{"event":"media","streamSid":"MZ00000000000000000000000000000001"}"#);
    h.twilio_binary(&[0, 1, 2]);
    h.twilio(&"x".repeat(70 * 1024));
    h.twilio(&media(2, &[1; 160]).replace(STREAM, "MZother"));
    h.twilio(
        r#"{"event":"media","streamSid":"MZ00000000000000000000000000000001","media":{"payload":"!!!"}}"#,
    );
    h.twilio(r#"{"event":"wobble","streamSid":"MZ00000000000000000000000000000001"}"#);
    h.twilio(&media(3, &[9; 160]));
    assert_eq!(
        h.agent_audio_bytes(),
        vec![9; 160],
        "the good frame still goes through"
    );
    assert_eq!(
        bad_kinds(&h),
        vec![
            (BadInput::MediaBeforeStart, true),
            (BadInput::TwilioMalformed, true),
            (BadInput::TwilioMalformed, false),
            (BadInput::TwilioMalformed, false),
            (BadInput::TwilioBinary, true),
            (BadInput::TwilioOversized, true),
            (BadInput::WrongStreamSid, true),
            (BadInput::InvalidBase64, true),
            (BadInput::TwilioUnknownEvent, true),
        ]
    );
    assert_eq!(h.session.stats().bad_inputs, 9);
    assert!(h.ended().is_none());
}

#[test]
fn bad_agent_input_is_counted_and_the_call_goes_on() {
    let mut h = Harness::live("ulaw_8000", "ulaw_8000");
    h.agent("]");
    h.agent(r#"{"type":"audio","audio_event":{"audio_base_64":"%%%","event_id":1}}"#);
    h.agent(r#"{"type":"brand_new_event","x":1}"#);
    h.session
        .on_agent(h.now, switchboard::call::Frame::Binary(&[1, 2]));
    h.agent(&agent_audio(2, &[4; 160]));
    assert_eq!(h.twilio_audio(), vec![4; 160]);
    let kinds: Vec<BadInput> = bad_kinds(&h).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        kinds,
        vec![
            BadInput::AgentMalformed,
            BadInput::InvalidBase64,
            BadInput::AgentUnknownType,
            BadInput::AgentBinary
        ]
    );
}

fn bad_details(h: &Harness) -> Vec<(BadInput, bool, bool)> {
    h.events
        .iter()
        .filter_map(|e| match e {
            Event::BadInput { kind, first, detail } => Some((*kind, *first, !detail.is_empty())),
            _ => None,
        })
        .collect()
}

#[test]
fn early_repeated_and_overflowing_twilio_input_is_counted_and_only_the_first_is_described() {
    let config = SessionConfig {
        max_held_caller_frames: 2,
        ..SessionConfig::default()
    };
    let mut h = Harness::new(config);
    h.twilio(&dtmf("1")); // before start
    h.twilio(&start());
    h.twilio(&start());
    for n in 0..4u8 {
        h.twilio(&media(u64::from(n) + 2, &[n; 160]));
    }
    h.agent(&metadata("ulaw_8000", "ulaw_8000"));
    h.twilio(&media(9, &[9; 160]));
    assert_eq!(
        h.agent_audio_bytes(),
        [[2; 160], [3; 160], [9; 160]].concat(),
        "the newest held frames are kept, and the call goes on"
    );
    assert_eq!(
        bad_details(&h),
        vec![
            (BadInput::MediaBeforeStart, true, true),
            (BadInput::DuplicateStart, true, true),
            (BadInput::HoldOverflow, true, true),
            (BadInput::HoldOverflow, false, false),
        ]
    );
    assert_eq!(h.session.stream_sid(), Some(STREAM));
    assert!(h.ended().is_none());
}

#[test]
fn overflowing_and_oversized_agent_input_is_counted_and_the_call_goes_on() {
    let config = SessionConfig {
        max_held_agent_messages: 2,
        max_agent_frame: 1024,
        ..SessionConfig::default()
    };
    let mut h = Harness::new(config);
    h.agent(&metadata("ulaw_8000", "ulaw_8000"));
    h.agent(&agent_audio(1, &[1; 160]));
    h.agent(&agent_audio(1, &[2; 160])); // over the hold
    h.twilio(&start());
    h.agent(&agent_audio(2, &[3; 1000])); // over the frame cap
    h.agent(&agent_audio(2, &[4; 160]));
    assert_eq!(h.twilio_audio(), [[1; 160], [4; 160]].concat());
    assert_eq!(
        bad_kinds(&h),
        vec![(BadInput::HoldOverflow, true), (BadInput::AgentOversized, true)]
    );
    assert!(h.ended().is_none());
}

#[test]
fn an_unknown_agent_audio_format_ends_the_call_with_the_fallback() {
    let mut h = Harness::new(SessionConfig::default());
    h.twilio(&start());
    h.agent(&metadata("opus_48000", "ulaw_8000"));
    h.advance(Duration::from_millis(1));
    let Some(Event::Ended { reason, .. }) = h.ended() else {
        panic!("not ended")
    };
    assert!(reason.wants_fallback());
}

// ---------------------------------------------------------------------------------------------
// Properties of the relay under barge-in
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Step {
    /// An agent audio chunk of the current turn.
    Audio(u16),
    /// The agent starts a new turn (a higher event id).
    NewTurn,
    /// The agent reports an interruption of the current turn.
    Interrupt,
    /// Twilio plays everything sent so far and echoes the marks.
    Echo,
    /// Time passes.
    Wait(u16),
    /// A caller frame.
    Caller,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (1u16..2000).prop_map(Step::Audio),
        2 => Just(Step::NewTurn),
        1 => Just(Step::Interrupt),
        1 => Just(Step::Echo),
        1 => (1u16..300).prop_map(Step::Wait),
        2 => Just(Step::Caller),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every agent audio byte not gated by an interruption reaches Twilio exactly once and in
    /// order, and nothing of an interrupted turn reaches Twilio after its `clear`.
    #[test]
    fn agent_audio_is_relayed_once_in_order_and_never_after_its_clear(steps in prop::collection::vec(step(), 1..120)) {
        let mut h = Harness::live("ulaw_8000", "ulaw_8000");
        let mut turn = 1u64;
        let mut cut = 0u64;
        let mut expected = Vec::new();
        let mut counter = 0u32;
        // For each byte value, the turn that sent it (bytes are tagged by a running counter).
        let mut turn_of_chunk = std::collections::HashMap::new();
        for s in steps {
            match s {
                Step::Audio(len) => {
                    counter += 1;
                    let tag = (counter % 251) as u8;
                    let bytes = vec![tag; len as usize];
                    turn_of_chunk.insert(tag, turn);
                    h.agent(&agent_audio(turn, &bytes));
                    if turn > cut {
                        expected.extend_from_slice(&bytes);
                    }
                }
                Step::NewTurn => turn += 1,
                Step::Interrupt => {
                    h.agent(&interruption(turn));
                    cut = turn;
                }
                Step::Echo => h.echo_marks(),
                Step::Wait(ms) => h.advance(Duration::from_millis(ms as u64)),
                Step::Caller => h.twilio(&media(1, &[0xFF; 160])),
            }
        }
        prop_assert_eq!(h.twilio_audio(), expected);

        // After each clear, no audio of a turn at or below that interruption's id.
        let mut cleared_up_to = 0u64;
        let mut interrupt_ids = h.events.iter().filter_map(|e| match e {
            Event::Interrupted { event_id, .. } => Some(*event_id),
            _ => None,
        });
        for text in &h.to_twilio {
            if is_clear(text) {
                cleared_up_to = cleared_up_to.max(interrupt_ids.next().unwrap());
            } else if let Some(bytes) = media_payload(text) {
                let chunk_turn = turn_of_chunk[&bytes[0]];
                prop_assert!(chunk_turn > cleared_up_to, "turn {} audio after clear up to {}", chunk_turn, cleared_up_to);
            }
        }
    }
}

/// A 1 kHz tone as 16-bit samples at `rate`.
fn tone(rate: u32, samples: usize) -> Vec<i16> {
    (0..samples)
        .map(|n| (8000.0 * (2.0 * std::f64::consts::PI * 1000.0 * n as f64 / rate as f64).sin()) as i16)
        .collect()
}

#[test]
fn every_pcm_format_is_converted_both_ways_with_state_kept_across_frames() {
    use switchboard::audio::ulaw;
    for rate in [8000u32, 16000, 22050, 24000, 44100, 48000] {
        let format = format!("pcm_{rate}");
        let mut h = Harness::live(&format, &format);
        // One second of caller tone in 20 ms μ-law frames.
        let caller: Vec<u8> = tone(8000, 8000).iter().map(|&s| ulaw::encode(s)).collect();
        for (n, frame) in caller.chunks(160).enumerate() {
            h.twilio(&media(n as u64 + 2, frame));
        }
        let to_agent = h.agent_audio_bytes();
        let seconds = to_agent.len() as f64 / (2.0 * rate as f64);
        assert!(
            (0.95..=1.0).contains(&seconds),
            "{format}: {seconds} s reached the agent"
        );

        // One second of agent tone at its rate, in 100 ms messages, then a pause.
        let agent: Vec<u8> = tone(rate, rate as usize)
            .iter()
            .flat_map(|s| s.to_le_bytes())
            .collect();
        for chunk in agent.chunks(rate as usize / 5) {
            h.agent(&agent_audio(1, chunk));
        }
        h.advance(Duration::from_millis(200));
        let heard = h.twilio_audio();
        assert!(
            (8000..=8160).contains(&heard.len()),
            "{format}: {} μ-law bytes from one second",
            heard.len()
        );
        let samples: Vec<f64> = heard[800..7200].iter().map(|&c| ulaw::decode(c) as f64).collect();
        let rms = (samples.iter().map(|s| s * s).sum::<f64>() / samples.len() as f64).sqrt();
        let expected = 8000.0 / 2f64.sqrt();
        assert!(
            (rms / expected - 1.0).abs() < 0.1,
            "{format}: level {rms:.0} instead of {expected:.0}"
        );
    }
}
