//! Script mode over sockets: the booking conversation with a scripted caller, fed faster than
//! real time except in one test.

use std::time::Duration;

use serde_json::json;
use switchboard::audio::{AudioFormat, FixtureDir};
use switchboard::sim::agent::{AGENT_SENTENCES, CALLER_SCRIPT, ScriptTiming, SimAgentConfig};

use super::caller::{Caller, Heard, OnEndCall, Transcript, booking_tools, new_york_today, no_tools};
use super::client::{Client, Sim};

fn sentence(clip: &str) -> &'static str {
    AGENT_SENTENCES.iter().find(|(name, _)| *name == clip).unwrap().1
}

fn both(first: &str, second: &str) -> String {
    format!("{} {}", sentence(first), sentence(second))
}

fn fast(input: AudioFormat, output: AudioFormat) -> SimAgentConfig {
    SimAgentConfig {
        input_format: input,
        output_format: output,
        script: ScriptTiming {
            send_speedup: f64::INFINITY,
            ..ScriptTiming::default()
        },
        ..SimAgentConfig::default()
    }
}

async fn converse(config: SimAgentConfig, caller: Caller) -> Transcript {
    let sim = Sim::start(config).await;
    let mut client = Client::connect(&sim.public_url("agent_1")).await;
    caller.converse(&mut client).await
}

const OFFER: &str = "The next opening is tomorrow at 9:30 AM. Shall I book that for you?";

/// The whole booking, as the bridge would hold it.
fn assert_booked(t: &Transcript, input: AudioFormat, output: AudioFormat) {
    let confirmed = both("confirmed", "anything_else");
    assert_eq!(
        t.agent_texts(),
        [
            sentence("greeting"),
            sentence("checking"),
            OFFER,
            sentence("ask_name"),
            &confirmed,
            sentence("goodbye")
        ],
        "{input} → {output}"
    );
    let script: Vec<&str> = CALLER_SCRIPT.iter().map(|(_, text)| *text).collect();
    assert_eq!(t.caller_texts(), script);
    let today = new_york_today();
    let tools = t.tools();
    let names: Vec<&str> = tools.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        names,
        [
            "list_event_types",
            "get_available_slots",
            "create_booking",
            "end_call"
        ]
    );
    assert_eq!(*tools[0].1, json!({}));
    assert_eq!(
        *tools[1].1,
        json!({"event_type_slug": "cleaning", "date_from": today.to_string(),
               "date_to": today.checked_add(jiff::Span::new().days(7)).unwrap().to_string(),
               "timezone": "America/New_York"})
    );
    assert_eq!(tools[2].1["event_type_slug"], "cleaning");
    assert_eq!(
        tools[2].1["start_time"],
        super::caller::tomorrow_at_930_new_york()
    );
    assert_eq!(tools[2].1["invitee_name"], "Jane Doe");
    assert_eq!(tools[2].1["invitee_phone"], "+15551230000");
    assert_eq!(*tools[3].1, json!({}));
    assert!(
        !t.heard.iter().any(|h| matches!(h, Heard::Interruption { .. })),
        "{t:#?}"
    );

    // Every agent turn has a new, larger id, shared by its text, its audio and its tool call.
    let turn_ids: Vec<u64> = t
        .heard
        .iter()
        .filter_map(|h| match h {
            Heard::Agent { event_id, .. } => Some(*event_id),
            _ => None,
        })
        .collect();
    assert!(turn_ids.windows(2).all(|w| w[0] < w[1]), "{turn_ids:?}");
    assert_eq!(t.audio_order, turn_ids);
    // The greeting arrives whole: exactly as long as its recording.
    let greeting_ms =
        AudioFormat::Ulaw8000.bytes_to_ms(FixtureDir::bundled().agent("greeting").unwrap().len());
    assert!(
        output.bytes_to_ms(t.audio[&turn_ids[0]]).abs_diff(greeting_ms) <= 1,
        "{t:#?}"
    );
    assert_eq!(t.closed_by_agent, None, "the caller hung up first");
}

#[tokio::test]
async fn the_booking_conversation_runs_end_to_end() {
    let config = fast(AudioFormat::Ulaw8000, AudioFormat::Ulaw8000);
    let t = converse(config, Caller::fast(booking_tools, OnEndCall::HangUp)).await;
    assert_booked(&t, AudioFormat::Ulaw8000, AudioFormat::Ulaw8000);
}

#[tokio::test]
async fn the_booking_conversation_works_in_pcm_formats_too() {
    let (input, output) = (AudioFormat::Pcm { rate: 16000 }, AudioFormat::Pcm { rate: 24000 });
    let caller = Caller {
        input,
        output,
        ..Caller::fast(booking_tools, OnEndCall::HangUp)
    };
    let t = converse(fast(input, output), caller).await;
    assert_booked(&t, input, output);
}

#[tokio::test]
async fn without_tools_the_agent_wraps_up_and_ends_the_call_itself() {
    let config = fast(AudioFormat::Ulaw8000, AudioFormat::Ulaw8000);
    let t = converse(config, Caller::fast(no_tools, OnEndCall::Refuse)).await;
    let wrap_up = both("no_openings", "anything_else");
    assert_eq!(
        t.agent_texts(),
        [
            sentence("greeting"),
            sentence("checking"),
            wrap_up.as_str(),
            sentence("goodbye")
        ]
    );
    assert_eq!(
        t.caller_texts(),
        [CALLER_SCRIPT[0].1, CALLER_SCRIPT[1].1, CALLER_SCRIPT[2].1]
    );
    let names: Vec<&str> = t.tools().iter().map(|(name, _)| *name).collect();
    assert_eq!(names, ["list_event_types", "end_call"]);
    assert_eq!(t.closed_by_agent, Some(1000));
}

#[tokio::test]
async fn talking_over_the_greeting_interrupts_it() {
    // Paced sending (five times real time) against a caller at ten times real time: the
    // greeting is still being sent when the caller talks over it.
    let config = SimAgentConfig::default();
    let caller = Caller {
        barge_in_after_ms: Some(1000),
        ..Caller::fast(booking_tools, OnEndCall::HangUp)
    };
    let t = converse(config, caller).await;
    assert_eq!(t.heard[1], Heard::Interruption { event_id: 1 }, "{t:#?}");
    let greeting_bytes = FixtureDir::bundled().agent("greeting").unwrap().len();
    assert!(
        t.audio[&1] < greeting_bytes,
        "the rest of the greeting was still sent"
    );
    assert_eq!(
        t.stale_audio_chunks, 0,
        "audio of the interrupted turn came after the interruption"
    );
    // The interruption took the first turn; the conversation goes on from there.
    assert_eq!(t.caller_texts()[0], CALLER_SCRIPT[0].1);
    assert!(
        matches!(&t.heard[3], Heard::Agent { text, event_id } if text == sentence("checking") && *event_id > 1)
    );
    assert_eq!(t.agent_texts().last(), Some(&sentence("goodbye")));
}

/// The one conversation in real time: about 30 seconds.
#[tokio::test]
async fn the_booking_conversation_in_real_time() {
    let caller = Caller {
        frame_interval: Duration::from_millis(20),
        ..Caller::fast(booking_tools, OnEndCall::HangUp)
    };
    // Each turn's audio is sent at once. Paced on the agent's wall clock, a turn still on its
    // way when a busy machine stalls the agent would look finished to a caller whose audio
    // clock runs on, and the caller would talk over its end: an interruption this test is not
    // about.
    let started = std::time::Instant::now();
    let t = converse(fast(AudioFormat::Ulaw8000, AudioFormat::Ulaw8000), caller).await;
    assert_booked(&t, AudioFormat::Ulaw8000, AudioFormat::Ulaw8000);
    let wall = started.elapsed();
    let audio = Duration::from_millis(t.audio_ms_sent);
    println!("real-time conversation: {audio:?} of caller audio in {wall:?}");
    assert!(
        wall + Duration::from_secs(1) >= audio,
        "faster than real time: {wall:?} for {audio:?}"
    );
}
