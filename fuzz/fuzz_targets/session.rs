//! A live call fed anything: frames from either peer (hostile or real), binary frames, tool
//! results, closes and the passing of time. The session must not panic, must only ever send
//! well-formed messages of each peer's protocol, and must leave no deadline in the past after
//! a tick.
#![no_main]

use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use switchboard::call::{Event, Frame, Session, SessionConfig, ToolOutcome, Transmit};
use switchboard::wire::elevenlabs::ClientMessage;
use switchboard::wire::twilio::StreamMessage;

/// Real openings, so that the fuzzer starts inside a live call rather than at its door.
const START: &str = r#"{"event":"start","sequenceNumber":"1","streamSid":"MZ1","start":{"accountSid":"AC1","streamSid":"MZ1","callSid":"CA1","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":{"token":"t"}}}"#;
const FORMATS: [&str; 4] = ["ulaw_8000", "pcm_16000", "pcm_44100", "pcm_8000"];

#[derive(Debug, Arbitrary)]
enum Input<'a> {
    Twilio(&'a str),
    TwilioBinary(&'a [u8]),
    Agent(&'a str),
    AgentBinary(&'a [u8]),
    /// Answers the oldest tool call still waiting, if any.
    ToolResult {
        is_error: bool,
        end_call: bool,
        result: &'a str,
        /// With `end_call`: a transfer to a person.
        transfer: bool,
    },
    TwilioClosed,
    AgentClosed(Option<u16>),
    Wait(u16),
}

#[derive(Debug, Arbitrary)]
struct Call<'a> {
    input_format: u8,
    output_format: u8,
    inputs: Vec<Input<'a>>,
}

fuzz_target!(|call: Call<'_>| {
    let mut now = Instant::now();
    let mut session = Session::new(SessionConfig::default(), now);
    let input = FORMATS[usize::from(call.input_format) % FORMATS.len()];
    let output = FORMATS[usize::from(call.output_format) % FORMATS.len()];
    session.on_caller(now, Frame::Text(START));
    let metadata = format!(
        r#"{{"type":"conversation_initiation_metadata","conversation_initiation_metadata_event":{{"conversation_id":"c1","agent_output_audio_format":"{output}","user_input_audio_format":"{input}"}}}}"#
    );
    session.on_agent(now, Frame::Text(&metadata));
    let mut waiting_tools: std::collections::VecDeque<String> = std::collections::VecDeque::new();
    for input in call.inputs {
        match input {
            Input::Twilio(text) => drop(session.on_caller(now, Frame::Text(text))),
            Input::TwilioBinary(bytes) => drop(session.on_caller(now, Frame::Binary(bytes))),
            Input::Agent(text) => drop(session.on_agent(now, Frame::Text(text))),
            Input::AgentBinary(bytes) => drop(session.on_agent(now, Frame::Binary(bytes))),
            Input::ToolResult {
                is_error,
                end_call,
                result,
                transfer,
            } => {
                if let Some(id) = waiting_tools.pop_front() {
                    let outcome = ToolOutcome {
                        result: result.to_owned(),
                        is_error,
                        end_call,
                        transfer,
                    };
                    session.on_tool_result(now, &id, outcome);
                }
            }
            Input::TwilioClosed => session.on_caller_closed(now),
            Input::AgentClosed(code) => session.on_agent_closed(now, code, "closed"),
            Input::Wait(ms) => {
                now += Duration::from_millis(u64::from(ms));
                session.on_tick(now);
                if let Some(next) = session.poll_timeout() {
                    assert!(next > now, "a deadline at or before now survived a tick");
                }
            }
        }
        while let Some(transmit) = session.poll_transmit() {
            match transmit {
                Transmit::Caller(text) => {
                    assert!(StreamMessage::parse(&text).is_ok(), "bad frame to Twilio: {text}")
                }
                Transmit::Agent(text) => {
                    assert!(
                        ClientMessage::parse(&text).is_ok(),
                        "bad frame to the agent: {text}"
                    )
                }
            }
        }
        while let Some(event) = session.poll_event() {
            if let Event::ToolCall(call) = event {
                waiting_tools.push_back(call.id);
            }
        }
    }
});
