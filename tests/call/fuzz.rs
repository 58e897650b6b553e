//! Property-based fuzzing of everything that reads peer input: the wire parsers, the TwiML
//! reader, the signature checks and the call session itself. Whatever arrives, nothing
//! panics, and the session only ever sends well-formed JSON.
//!
//! Inputs are both raw noise and JSON built from the protocol's own keys and values, so the
//! generator reaches deep into the parsers instead of failing at the first byte.

use std::time::{Duration, Instant};

use crate::support::*;
use proptest::prelude::*;
use serde_json::{Map, Value};
use switchboard::call::{Frame, Session, SessionConfig, Transmit};
use switchboard::wire::elevenlabs::{AgentMessage, ClientMessage};
use switchboard::wire::signature::RequestValidator;
use switchboard::wire::twilio::StreamMessage;
use switchboard::wire::twiml;

const KEYS: &[&str] = &[
    "event",
    "type",
    "streamSid",
    "sequenceNumber",
    "media",
    "payload",
    "track",
    "chunk",
    "timestamp",
    "start",
    "callSid",
    "accountSid",
    "customParameters",
    "mediaFormat",
    "mark",
    "name",
    "dtmf",
    "digit",
    "stop",
    "protocol",
    "version",
    "audio_event",
    "audio_base_64",
    "event_id",
    "interruption_event",
    "ping_event",
    "ping_ms",
    "client_tool_call",
    "tool_name",
    "tool_call_id",
    "parameters",
    "user_audio_chunk",
    "conversation_initiation_metadata_event",
    "conversation_id",
    "agent_output_audio_format",
    "user_input_audio_format",
    "agent_response_event",
    "agent_response",
    "user_transcription_event",
    "user_transcript",
    "error_event",
    "code",
    "message",
    "result",
    "is_error",
    "text",
];

const WORDS: &[&str] = &[
    "media",
    "start",
    "stop",
    "mark",
    "dtmf",
    "clear",
    "connected",
    "audio",
    "interruption",
    "ping",
    "pong",
    "client_tool_call",
    "conversation_initiation_metadata",
    "agent_response",
    "user_transcript",
    "error",
    "MZ00000000000000000000000000000001",
    "ulaw_8000",
    "pcm_16000",
    "pcm_7",
    "AAEC",
    "////",
    "=",
    "sb0.0",
    "sb1.5",
    "end_call",
    "*",
    "",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(WORDS).prop_map(|w| Value::String(w.to_owned())),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|pairs| {
                Value::Object(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

/// A real message of either peer, possibly damaged: a byte changed, cut short, or intact.
fn real_message() -> impl Strategy<Value = String> {
    let messages = vec![
        media(2, &[0x55; 160]),
        mark_echo("sb0.0"),
        mark_echo("sb1.0"),
        dtmf("*"),
        stop(),
        start(),
        agent_audio(1, &[0x10; 320]),
        agent_audio(7, &[0x10; 7]),
        interruption(1),
        ping(3),
        tool_call("t1", "end_call", serde_json::json!({})),
        metadata("pcm_16000", "ulaw_8000"),
    ];
    (
        prop::sample::select(messages),
        any::<prop::sample::Index>(),
        any::<u8>(),
        0u8..3,
    )
        .prop_map(|(message, at, byte, damage)| {
            let mut bytes = message.into_bytes();
            let i = at.index(bytes.len().max(1)).min(bytes.len().saturating_sub(1));
            match damage {
                0 => {}
                1 => bytes[i] = byte,
                _ => bytes.truncate(i),
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
}

/// Noise, a JSON document made of the protocol's vocabulary, or a real message, damaged.
fn frame_text() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => ".{0,64}",
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        3 => json_value().prop_map(|v| v.to_string()),
        3 => real_message(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn wire_parsers_never_panic(text in frame_text()) {
        let _ = StreamMessage::parse(&text);
        let _ = AgentMessage::parse(&text);
        let _ = ClientMessage::parse(&text);
        let _ = twiml::parse_connect(&text);
    }

    #[test]
    fn parsed_messages_serialize_back_to_what_parses_the_same(text in frame_text()) {
        if let Ok(message) = StreamMessage::parse(&text) {
            let again = message.to_json();
            prop_assert_eq!(StreamMessage::parse(&again).unwrap(), message);
        }
        if let Ok(message) = AgentMessage::parse(&text) {
            let again = message.to_json();
            prop_assert_eq!(AgentMessage::parse(&again).unwrap(), message);
        }
    }

    #[test]
    fn signature_checks_never_panic(
        url in ".{0,40}",
        params in prop::collection::vec((".{0,8}", ".{0,8}"), 0..4),
        signature in ".{0,40}",
        body in prop::collection::vec(any::<u8>(), 0..32),
    ) {
        let validator = RequestValidator::new("token");
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let _ = validator.validate(&url, &pairs, &signature);
        let _ = validator.validate_body(&url, &body, &signature);
        let _ = validator.validate_websocket(&url, &signature);
        // And what we sign, we accept.
        let signed = validator.sign(&url, &pairs);
        prop_assert!(validator.validate(&url, &pairs, &signed));
    }
}

#[derive(Debug, Clone)]
enum Input {
    Twilio(String),
    TwilioBinary(Vec<u8>),
    Agent(String),
    Wait(u16),
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        4 => frame_text().prop_map(Input::Twilio),
        1 => prop::collection::vec(any::<u8>(), 0..16).prop_map(Input::TwilioBinary),
        4 => frame_text().prop_map(Input::Agent),
        1 => (1u16..2000).prop_map(Input::Wait),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// A live call fed anything at all: no panic, every frame it sends is JSON of the
    /// peer's protocol, and time always moves it forward (no deadline in the past left
    /// standing after a tick).
    #[test]
    fn the_session_survives_anything(inputs in prop::collection::vec(input(), 0..60), formats in prop::sample::select(&["ulaw_8000", "pcm_16000", "pcm_44100"][..])) {
        let mut now = Instant::now();
        let mut session = Session::new(SessionConfig::default(), now);
        session.on_caller(now, Frame::Text(&start()));
        session.on_agent(now, Frame::Text(&metadata(formats, formats)));
        for input in inputs {
            match &input {
                Input::Twilio(text) => { session.on_caller(now, Frame::Text(text)); }
                Input::TwilioBinary(bytes) => { session.on_caller(now, Frame::Binary(bytes)); }
                Input::Agent(text) => { session.on_agent(now, Frame::Text(text)); }
                Input::Wait(ms) => {
                    now += Duration::from_millis(*ms as u64);
                    session.on_tick(now);
                    if let Some(next) = session.poll_timeout() {
                        prop_assert!(next > now, "a deadline at or before now survived a tick");
                    }
                }
            }
            while let Some(transmit) = session.poll_transmit() {
                match transmit {
                    Transmit::Caller(text) => prop_assert!(StreamMessage::parse(&text).is_ok(), "bad frame to Twilio: {}", text),
                    Transmit::Agent(text) => prop_assert!(ClientMessage::parse(&text).is_ok(), "bad frame to the agent: {}", text),
                }
            }
            while session.poll_event().is_some() {}
        }
    }
}
