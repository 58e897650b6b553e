//! A scripted caller for script mode: it streams audio frames like a phone (silence between
//! its lines), listens like a person (waits until the agent's audio would have finished
//! playing), answers tool calls, and writes down what it heard.
//!
//! Its clock is the audio it has sent. With `frame_interval` at 20 ms it runs in real time;
//! shorter intervals run the same conversation faster, which the sim agent allows because its
//! turn-taking also runs on the audio clock.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use switchboard::audio::FormatConverter;
use switchboard::audio::{AudioFormat, FixtureDir};

use super::client::{Client, Incoming, unb64};

/// What the caller does when the agent asks to end the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnEndCall {
    /// Answers success and hangs up once the goodbye has played, as the bridge does.
    HangUp,
    /// Answers with an error (as the Python SDK does for tools it lacks) and waits.
    Refuse,
}

pub type ToolAnswer = fn(&str, &Value) -> Option<(String, bool)>;

pub struct Caller {
    pub input: AudioFormat,
    pub output: AudioFormat,
    /// Wall time per 20 ms frame sent.
    pub frame_interval: Duration,
    /// Silence after the agent's audio ends before the caller speaks.
    pub gap_ms: u64,
    /// Speak the first line this long after the greeting starts, over it.
    pub barge_in_after_ms: Option<u64>,
    pub tools: ToolAnswer,
    pub on_end_call: OnEndCall,
    pub variables: Value,
    /// Sent as `conversation_config_override` when not null.
    pub overrides: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Heard {
    Agent {
        text: String,
        event_id: u64,
    },
    Caller {
        text: String,
    },
    Tool {
        name: String,
        params: Value,
        event_id: u64,
    },
    Interruption {
        event_id: u64,
    },
}

#[derive(Debug, Default)]
pub struct Transcript {
    pub heard: Vec<Heard>,
    /// Audio bytes received per `event_id`, in arrival order of first chunk.
    pub audio: BTreeMap<u64, usize>,
    pub audio_order: Vec<u64>,
    /// Audio that arrived for an event id at or below an interruption already received.
    pub stale_audio_chunks: usize,
    pub closed_by_agent: Option<u16>,
    pub audio_ms_sent: u64,
}

impl Transcript {
    pub fn agent_texts(&self) -> Vec<&str> {
        self.heard
            .iter()
            .filter_map(|h| match h {
                Heard::Agent { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    pub fn caller_texts(&self) -> Vec<&str> {
        self.heard
            .iter()
            .filter_map(|h| match h {
                Heard::Caller { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    pub fn tools(&self) -> Vec<(&str, &Value)> {
        self.heard
            .iter()
            .filter_map(|h| match h {
                Heard::Tool { name, params, .. } => Some((name.as_str(), params)),
                _ => None,
            })
            .collect()
    }
}

/// Answers the booking tools the way the bridge's tools would, with one slot tomorrow at
/// 9:30 in New York.
pub fn booking_tools(name: &str, _params: &Value) -> Option<(String, bool)> {
    let result = match name {
        "list_event_types" => json!({"event_types": [
            {"slug": "cleaning", "name": "Cleaning", "duration_minutes": 30, "description": "Teeth cleaning"},
            {"slug": "exam", "name": "Exam", "duration_minutes": 45, "description": "Check-up"}
        ]})
        .to_string(),
        "get_available_slots" => {
            let start = tomorrow_at_930_new_york();
            json!({"slots": [{"time": "9:30 AM", "start_time": start}], "date": start[..10]}).to_string()
        }
        "create_booking" => json!({"confirmation_message": "Booked for tomorrow at 9:30 AM."}).to_string(),
        _ => "ok".to_owned(),
    };
    Some((result, false))
}

pub fn no_tools(name: &str, _params: &Value) -> Option<(String, bool)> {
    Some((format!("Tool '{name}' is not registered"), true))
}

/// New York's date, read once per test run: the agent is told it as the call's `today` and
/// the stand-in tools offer the day after it, so a run crossing midnight must not read the
/// clock twice (it offered "Wednesday" against a `today` of Monday).
pub fn new_york_today() -> jiff::civil::Date {
    static TODAY: std::sync::OnceLock<jiff::civil::Date> = std::sync::OnceLock::new();
    *TODAY.get_or_init(|| jiff::Timestamp::now().in_tz("America/New_York").unwrap().date())
}

pub fn tomorrow_at_930_new_york() -> String {
    let tomorrow = new_york_today().tomorrow().unwrap();
    let zoned = tomorrow.at(9, 30, 0, 0).in_tz("America/New_York").unwrap();
    zoned.timestamp().to_string()
}

pub fn bridge_variables() -> Value {
    json!({
        "caller_number": "+15551230000", "called_number": "+15557654321",
        "call_sid": "CA00000000000000000000000000000001", "agent_name": "Ava",
        "business_name": "Harbor Dental", "timezone": "America/New_York",
        "today": new_york_today().to_string()
    })
}

const LINES: [&str; 5] = ["book", "when", "yes", "name", "bye"];
/// A conversation longer than this (in audio) has gone wrong.
const MAX_AUDIO_MS: u64 = 90_000;

impl Caller {
    pub fn fast(tools: ToolAnswer, on_end_call: OnEndCall) -> Caller {
        Caller {
            input: AudioFormat::Ulaw8000,
            output: AudioFormat::Ulaw8000,
            frame_interval: Duration::from_millis(2),
            gap_ms: 700,
            barge_in_after_ms: None,
            tools,
            on_end_call,
            variables: bridge_variables(),
            overrides: Value::Null,
        }
    }

    pub async fn converse(&self, client: &mut Client) -> Transcript {
        let fixtures = FixtureDir::bundled();
        let lines: Vec<Vec<u8>> = LINES
            .iter()
            .map(|name| self.in_input_format(&fixtures.caller(name).unwrap()))
            .collect();
        let frame_bytes = self.input.bytes_per_frame();
        let silence = self.in_input_format(&[0xFF; 160]);
        let mut initiation =
            json!({"type": "conversation_initiation_client_data", "dynamic_variables": self.variables});
        if !self.overrides.is_null() {
            initiation["conversation_config_override"] = self.overrides.clone();
        }
        client.send_json(initiation).await;

        let mut t = Transcript::default();
        let mut clock_ms = 0u64;
        let mut playback_end_ms = 0u64;
        let mut greeting_started_ms = None;
        let mut responses = 0usize;
        let mut latest_response = None;
        let mut responses_at_last_line = 0usize;
        let mut next_line = 0usize;
        let mut speaking: Option<(usize, usize)> = None;
        let mut last_interruption = 0u64;
        let mut hang_up_at_ms = None;
        let mut ticker = tokio::time::interval(self.frame_interval);
        // A late tick moves the clock on by one frame, never by a burst of them sent before
        // the agent's answers to the first could be read.
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            // Decide whether to start the next line.
            if speaking.is_none() && next_line < lines.len() {
                let barge = next_line == 0
                    && self
                        .barge_in_after_ms
                        .zip(greeting_started_ms)
                        .is_some_and(|(after, started)| clock_ms >= started + after);
                // Answered once a new response has begun to play: its text arrives before its
                // audio, and deciding in between would talk over it.
                let answered = responses > responses_at_last_line
                    && latest_response.is_some_and(|id| t.audio.contains_key(&id));
                if barge || (answered && clock_ms >= playback_end_ms + self.gap_ms) {
                    speaking = Some((next_line, 0));
                    responses_at_last_line = responses;
                    next_line += 1;
                }
            }
            let frame = match &mut speaking {
                Some((line, offset)) => {
                    let audio = &lines[*line];
                    let end = (*offset + frame_bytes).min(audio.len());
                    let frame = audio[*offset..end].to_vec();
                    *offset = end;
                    if end == audio.len() {
                        speaking = None;
                    }
                    frame
                }
                None => silence.clone(),
            };
            client.send_audio(&frame).await;
            clock_ms += self.input.bytes_to_ms(frame.len());

            if hang_up_at_ms.is_some_and(|at| clock_ms >= at) {
                client.close().await;
                break;
            }
            assert!(clock_ms < MAX_AUDIO_MS, "the conversation did not end: {t:#?}");

            while let Some(incoming) = client.next_within(Duration::ZERO).await {
                let message = match incoming {
                    Incoming::Closed { code, .. } => {
                        t.closed_by_agent = Some(code);
                        t.audio_ms_sent = clock_ms;
                        return t;
                    }
                    Incoming::Message(message) => message,
                };
                match message["type"].as_str().unwrap() {
                    "agent_response" => {
                        responses += 1;
                        let event = &message["agent_response_event"];
                        latest_response = event["event_id"].as_u64();
                        t.heard.push(Heard::Agent {
                            text: event["agent_response"].as_str().unwrap().to_owned(),
                            event_id: event["event_id"].as_u64().unwrap(),
                        });
                    }
                    "user_transcript" => t.heard.push(Heard::Caller {
                        text: message["user_transcription_event"]["user_transcript"]
                            .as_str()
                            .unwrap()
                            .to_owned(),
                    }),
                    "audio" => {
                        let event = &message["audio_event"];
                        let event_id = event["event_id"].as_u64().unwrap();
                        let bytes = unb64(event["audio_base_64"].as_str().unwrap()).len();
                        if event_id <= last_interruption {
                            t.stale_audio_chunks += 1;
                            continue;
                        }
                        greeting_started_ms.get_or_insert(clock_ms);
                        if !t.audio.contains_key(&event_id) {
                            t.audio_order.push(event_id);
                        }
                        *t.audio.entry(event_id).or_default() += bytes;
                        playback_end_ms = playback_end_ms.max(clock_ms) + self.output.bytes_to_ms(bytes);
                    }
                    "interruption" => {
                        last_interruption = message["interruption_event"]["event_id"].as_u64().unwrap();
                        t.heard.push(Heard::Interruption {
                            event_id: last_interruption,
                        });
                        playback_end_ms = clock_ms;
                    }
                    "client_tool_call" => {
                        let call = &message["client_tool_call"];
                        let name = call["tool_name"].as_str().unwrap().to_owned();
                        let params = call["parameters"].clone();
                        let id = call["tool_call_id"].as_str().unwrap().to_owned();
                        let answer = if name == "end_call" {
                            match self.on_end_call {
                                OnEndCall::HangUp => {
                                    hang_up_at_ms = Some(playback_end_ms.max(clock_ms) + 300);
                                    Some(("The call will end.".to_owned(), false))
                                }
                                OnEndCall::Refuse => {
                                    Some(("Tool 'end_call' is not registered".to_owned(), true))
                                }
                            }
                        } else {
                            (self.tools)(&name, &params)
                        };
                        if let Some((result, is_error)) = answer {
                            client
                                .send_json(json!({"type": "client_tool_result", "tool_call_id": id,
                                                  "result": result, "is_error": is_error}))
                                .await;
                        }
                        t.heard.push(Heard::Tool {
                            name,
                            params,
                            event_id: call["event_id"].as_u64().unwrap(),
                        });
                    }
                    "ping" => {
                        let id = message["ping_event"]["event_id"].clone();
                        client.send_json(json!({"type": "pong", "event_id": id})).await;
                    }
                    "conversation_initiation_metadata" => {}
                    other => panic!("unexpected message type {other}: {message}"),
                }
            }
        }
        t.audio_ms_sent = clock_ms;
        t
    }

    fn in_input_format(&self, ulaw: &[u8]) -> Vec<u8> {
        let mut converter = FormatConverter::new(AudioFormat::Ulaw8000, self.input).unwrap();
        let mut out = Vec::new();
        converter.convert(ulaw, &mut out);
        converter.flush(&mut out);
        out
    }
}
