//! The conversation driven without sockets: caller fixtures fed on the audio clock, tool
//! results given by hand, wall time passed by hand.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::*;
use crate::audio::FixtureDir;

fn voice() -> Arc<Voice> {
    static VOICE: OnceLock<Arc<Voice>> = OnceLock::new();
    VOICE
        .get_or_init(|| Arc::new(Voice::load(&FixtureDir::bundled(), AudioFormat::Ulaw8000).unwrap()))
        .clone()
}

/// A conversation and its wall clock, which moves 20 ms per 20 ms of audio fed.
struct Harness {
    conversation: Conversation,
    now: Instant,
    /// Outputs seen so far, summarised as `kind: detail`.
    log: Vec<String>,
    /// Tool calls not yet answered: (id, name, parameters).
    calls: Vec<(String, String, Value)>,
}

impl Harness {
    fn new(timing: ScriptTiming) -> Self {
        let now = Instant::now();
        let conversation = Conversation::new(voice(), timing, AudioFormat::Ulaw8000, now);
        let mut harness = Harness {
            conversation,
            now,
            log: Vec::new(),
            calls: Vec::new(),
        };
        harness.drain();
        harness
    }

    fn feed(&mut self, audio: &[u8]) {
        for frame in audio.chunks(160) {
            self.now += Duration::from_millis(20);
            self.conversation.on_caller_audio(frame, self.now);
            self.conversation.on_tick(self.now);
        }
        self.drain();
    }

    fn silence(&mut self, ms: usize) {
        self.feed(&vec![0xFF; ms * 8]);
    }

    fn say(&mut self, line: &str) {
        let audio = FixtureDir::bundled().caller(line).unwrap();
        self.feed(&audio);
        self.silence(1000);
    }

    fn answer(&mut self, result: &str, is_error: bool) -> (String, Value) {
        let (id, name, params) = self.calls.remove(0);
        assert!(self.conversation.on_tool_result(&id, result, is_error, self.now));
        self.drain();
        (name, params)
    }

    fn drain(&mut self) {
        while let Some(output) = self.conversation.poll_output() {
            let entry = match output {
                Output::Message(json) => {
                    let value: Value = serde_json::from_str(&json).unwrap();
                    match value["type"].as_str().unwrap() {
                        "agent_response" => {
                            format!(
                                "agent: {}",
                                value["agent_response_event"]["agent_response"].as_str().unwrap()
                            )
                        }
                        "user_transcript" => format!(
                            "caller: {}",
                            value["user_transcription_event"]["user_transcript"]
                                .as_str()
                                .unwrap()
                        ),
                        "client_tool_call" => {
                            let call = &value["client_tool_call"];
                            let name = call["tool_name"].as_str().unwrap().to_owned();
                            let id = call["tool_call_id"].as_str().unwrap().to_owned();
                            self.calls.push((id, name.clone(), call["parameters"].clone()));
                            format!("tool: {name}")
                        }
                        other => panic!("unexpected message {other}"),
                    }
                }
                Output::Speech { event_id, audio } => {
                    assert!(!audio.is_empty());
                    format!("speech: {event_id}")
                }
                Output::Interrupt { event_id } => format!("interrupt: {event_id}"),
                Output::Close { code, .. } => format!("close: {code}"),
            };
            self.log.push(entry);
        }
    }

    fn take_log(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }
}

fn agent(text: &str) -> String {
    format!("agent: {text}")
}

fn caller(line: usize) -> String {
    format!("caller: {}", CALLER_SCRIPT[line].1)
}

#[test]
fn the_whole_booking_with_tools_answered() {
    let mut h = Harness::new(ScriptTiming::default());
    assert_eq!(h.take_log(), [agent(sentence("greeting")), "speech: 1".into()]);
    h.silence(5000);

    h.say("book");
    assert_eq!(
        h.take_log(),
        [
            caller(0),
            agent(sentence("checking")),
            "speech: 3".into(),
            "tool: list_event_types".into()
        ]
    );
    let (_, params) = h.answer(
        r#"{"event_types":[{"slug":"cleaning","name":"Cleaning"}]}"#,
        false,
    );
    assert_eq!(params, json!({}));
    h.silence(2500);

    h.conversation.set_variables(
        serde_json::from_value(
            json!({"caller_number": "+15551230000", "timezone": "America/New_York",
                                      "today": "2026-02-09"}),
        )
        .unwrap(),
    );
    h.say("when");
    assert_eq!(h.take_log(), [caller(1), "tool: get_available_slots".into()]);
    let (_, params) = h.answer(
        r#"{"slots":[{"time":"9:30 AM","start_time":"2026-02-10T14:30:00Z"}],"date":"2026-02-10"}"#,
        false,
    );
    assert_eq!(
        params,
        json!({"event_type_slug": "cleaning", "date_from": "2026-02-09", "date_to": "2026-02-16",
               "timezone": "America/New_York"})
    );
    assert_eq!(
        h.take_log(),
        [
            agent("The next opening is tomorrow at 9:30 AM. Shall I book that for you?"),
            "speech: 6".into()
        ]
    );
    h.silence(5500);

    h.say("yes");
    assert_eq!(
        h.take_log(),
        [caller(2), agent(sentence("ask_name")), "speech: 8".into()]
    );
    h.silence(3000);
    h.say("name");
    assert_eq!(h.take_log(), [caller(3), "tool: create_booking".into()]);
    let (_, params) = h.answer(r#"{"confirmation_message":"Booked."}"#, false);
    assert_eq!(params["start_time"], "2026-02-10T14:30:00Z");
    assert_eq!(params["invitee_phone"], "+15551230000");
    let confirmed = format!("{} {}", sentence("confirmed"), sentence("anything_else"));
    assert_eq!(h.take_log(), [agent(&confirmed), "speech: 11".into()]);
    h.silence(7000);

    h.say("bye");
    assert_eq!(
        h.take_log(),
        [
            caller(4),
            agent(sentence("goodbye")),
            "speech: 13".into(),
            "tool: end_call".into()
        ]
    );
    h.answer("ok", false);
    // The client hangs up; were it not to, the agent closes after the grace period.
    h.silence(9000);
    assert!(h.take_log().is_empty());
    h.silence(3000);
    assert_eq!(h.take_log(), ["close: 1000"]);
    assert!(h.conversation.is_closed());
    let stats = h.conversation.stats();
    assert_eq!(
        (
            stats.caller_turns,
            stats.tool_calls,
            stats.tool_failures,
            stats.barge_ins
        ),
        (5, 4, 0, 0)
    );
}

#[test]
fn without_tools_the_script_still_reaches_its_end() {
    let mut h = Harness::new(ScriptTiming::default());
    h.silence(5000);
    h.say("book");
    h.answer("Tool 'list_event_types' is not registered", true);
    h.silence(2500);
    h.take_log();
    h.say("when");
    let wrap_up = format!("{} {}", sentence("no_openings"), sentence("anything_else"));
    assert_eq!(h.take_log(), [caller(1), agent(&wrap_up), "speech: 5".into()]);
    h.silence(6000);
    h.say("yes");
    assert_eq!(
        h.take_log(),
        [
            caller(2),
            agent(sentence("goodbye")),
            "speech: 7".into(),
            "tool: end_call".into()
        ]
    );
    h.answer("Tool 'end_call' is not registered", true);
    // The goodbye (2.13 s) started when the turn ended, 600 ms into the second of silence
    // after it, and the agent closes 300 ms after it has played.
    h.silence(1900);
    assert!(h.take_log().is_empty());
    h.silence(200);
    assert_eq!(h.take_log(), ["close: 1000"]);
    assert_eq!(h.conversation.stats().tool_failures, 2);
}

#[test]
fn speaking_over_the_agent_interrupts_it_and_takes_the_turn() {
    let mut h = Harness::new(ScriptTiming::default());
    h.take_log();
    h.silence(1000);
    h.say("interrupt");
    assert_eq!(
        h.take_log(),
        [
            "interrupt: 1".to_owned(),
            caller(0),
            agent(sentence("checking")),
            "speech: 3".into(),
            "tool: list_event_types".into()
        ]
    );
    assert_eq!(h.conversation.stats().barge_ins, 1);
}

#[test]
fn a_silent_tool_times_out_and_the_conversation_goes_on() {
    let timing = ScriptTiming {
        tool_timeout: Duration::from_secs(2),
        ..ScriptTiming::default()
    };
    let mut h = Harness::new(timing);
    h.silence(5000);
    h.say("book");
    h.answer(r#"{"event_types":[{"slug":"cleaning"}]}"#, false);
    h.silence(2500);
    h.say("when");
    h.take_log();
    assert!(h.conversation.poll_timeout().is_some());
    h.silence(1800);
    let wrap_up = format!("{} {}", sentence("no_openings"), sentence("anything_else"));
    assert_eq!(h.take_log(), [agent(&wrap_up), "speech: 6".into()]);
    // A late answer to the abandoned call is ignored.
    let (id, ..) = h.calls.remove(0);
    assert!(!h.conversation.on_tool_result(&id, "{}", false, h.now));
}

#[test]
fn a_turn_while_a_tool_is_pending_is_asked_for_again() {
    let mut h = Harness::new(ScriptTiming::default());
    h.silence(5000);
    h.say("book");
    h.silence(2500);
    h.take_log();
    h.say("when");
    assert_eq!(
        h.take_log(),
        [caller(1), agent(sentence("sorry")), "speech: 5".into()]
    );
    h.answer(r#"{"event_types":[{"slug":"cleaning"}]}"#, false);
    h.silence(4000);
    h.say("when");
    assert_eq!(h.take_log(), [caller(1), "tool: get_available_slots".into()]);
}

#[test]
fn wall_time_without_audio_counts_as_silence() {
    let mut h = Harness::new(ScriptTiming::default());
    h.silence(5000);
    h.take_log();
    h.feed(&FixtureDir::bundled().caller("book").unwrap());
    assert!(h.take_log().is_empty());
    let deadline = h.conversation.poll_timeout().expect("a turn is open");
    assert_eq!(deadline, h.now + Duration::from_secs(1));
    // Idle time is not counted before the gap, then all of it at once.
    h.conversation.on_tick(h.now + Duration::from_millis(900));
    h.drain();
    assert!(h.take_log().is_empty());
    h.conversation.on_tick(h.now + Duration::from_millis(1000));
    h.drain();
    assert_eq!(h.take_log()[0], caller(0));
}

#[test]
fn a_text_turn_interrupts_and_advances_without_a_transcript() {
    let mut h = Harness::new(ScriptTiming::default());
    h.take_log();
    h.silence(500);
    h.conversation.on_user_message(h.now);
    h.drain();
    assert_eq!(
        h.take_log(),
        [
            "interrupt: 1".to_owned(),
            agent(sentence("checking")),
            "speech: 2".into(),
            "tool: list_event_types".into()
        ]
    );
}

#[test]
fn a_client_that_stops_streaming_is_still_hung_up_on_and_stalls_shift_nothing() {
    let mut h = Harness::new(ScriptTiming::default());
    h.silence(5000);
    h.say("book");
    h.answer("no", true);
    // A stall while no turn is open is not counted: the audio clock stays where it was.
    let clock = h.conversation.vad.now_ms();
    h.now += Duration::from_secs(3);
    h.conversation.on_tick(h.now);
    assert_eq!(h.conversation.vad.now_ms(), clock);
    h.silence(2500);
    h.say("when");
    h.silence(6000);
    h.say("yes");
    h.take_log();
    h.answer("no", true);
    // The goodbye has 2.13 s to play from the end of the turn (600 ms ago); the client sends
    // nothing more, and the wall clock ends the call.
    let deadline = h.conversation.poll_timeout().unwrap();
    let expected = h.now + Duration::from_millis(2130 - 400 + 300);
    let off = deadline.max(expected) - deadline.min(expected);
    assert!(off <= Duration::from_millis(40), "{off:?} from the goodbye's end");
    h.conversation.on_tick(deadline - Duration::from_millis(1));
    h.drain();
    assert!(h.take_log().is_empty());
    h.conversation.on_tick(deadline);
    h.drain();
    assert_eq!(h.take_log(), ["close: 1000"]);
}

#[test]
fn asked_to_transfer_the_agent_calls_transfer_call_and_says_goodbye_when_it_is_under_way() {
    let mut h = Harness::new(ScriptTiming::default());
    h.conversation = Conversation::new(voice(), ScriptTiming::default(), AudioFormat::Ulaw8000, h.now)
        .with_transfer(Some("an invoice".into()));
    h.take_log();
    h.drain();
    h.take_log();
    h.silence(5000);
    h.say("book");
    assert_eq!(
        h.take_log(),
        [
            caller(0),
            agent(sentence("checking")),
            "speech: 3".into(),
            "tool: transfer_call".into()
        ]
    );
    let (_, params) = h.answer(r#"{"transferring":true}"#, false);
    assert_eq!(params["reason"], "an invoice");
    assert_eq!(h.take_log(), [agent(sentence("goodbye")), "speech: 4".into()]);
    // The client ends the stream; were it not to, the agent closes after the grace period.
    h.silence(20000);
    assert_eq!(h.take_log(), ["close: 1000".to_owned()]);
}

#[test]
fn a_refused_transfer_goes_on_with_the_booking() {
    let mut h = Harness::new(ScriptTiming::default());
    h.conversation = Conversation::new(voice(), ScriptTiming::default(), AudioFormat::Ulaw8000, h.now)
        .with_transfer(Some("an invoice".into()));
    h.drain();
    h.take_log();
    h.silence(5000);
    h.say("book");
    h.take_log();
    h.answer("No one can take the call right now.", true);
    assert_eq!(h.take_log(), ["tool: list_event_types".to_owned()]);
    assert_eq!(h.conversation.stats().tool_failures, 1);
}
