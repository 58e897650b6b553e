//! The JSON the simulated agent sends, built from the typed messages in
//! [`crate::wire::elevenlabs`], except `audio`, which is written straight into its message.
//!
//! Every message carries `type`, and every `audio` event an `event_id`: the Python SDK reads
//! both by key and ends the session on a `KeyError`.

use std::fmt::Write;

use base64::Engine;
use serde_json::Value;

use crate::audio::AudioFormat;
use crate::wire::elevenlabs::{
    AgentMessage, AgentResponseEvent, ClientToolCall, ErrorEvent, EventId, InitiationMetadata, PingEvent,
    UserTranscriptEvent,
};

const AUDIO_PREFIX: &str = r#"{"type":"audio","audio_event":{"audio_base_64":""#;
const AUDIO_MIDDLE: &str = r#"","event_id":"#;
const AUDIO_SUFFIX: &str = "}}";
/// Room for the digits of any `u64`.
const EVENT_ID_DIGITS: usize = 20;

/// An `audio` event around base64 that is already encoded and valid.
pub fn audio_b64(base64: &str, event_id: u64) -> String {
    let mut out = audio_message(base64.len());
    out.push_str(base64);
    finish_audio(out, event_id)
}

/// An `audio` event with `audio` encoded into it.
pub fn audio(audio: &[u8], event_id: u64) -> String {
    let mut out = audio_message(base64::encoded_len(audio.len(), true).unwrap_or(0));
    base64::engine::general_purpose::STANDARD.encode_string(audio, &mut out);
    finish_audio(out, event_id)
}

fn audio_message(base64_len: usize) -> String {
    let len = AUDIO_PREFIX.len() + base64_len + AUDIO_MIDDLE.len() + EVENT_ID_DIGITS + AUDIO_SUFFIX.len();
    let mut out = String::with_capacity(len);
    out.push_str(AUDIO_PREFIX);
    out
}

fn finish_audio(mut out: String, event_id: u64) -> String {
    out.push_str(AUDIO_MIDDLE);
    write!(out, "{event_id}").expect("writing to a String cannot fail");
    out.push_str(AUDIO_SUFFIX);
    out
}

pub fn metadata(conversation_id: &str, input: AudioFormat, output: AudioFormat) -> String {
    AgentMessage::ConversationInitiationMetadata {
        conversation_initiation_metadata_event: InitiationMetadata {
            conversation_id: conversation_id.to_owned(),
            agent_output_audio_format: output.to_string(),
            user_input_audio_format: input.to_string(),
        },
    }
    .to_json()
}

pub fn agent_response(text: &str, event_id: u64) -> String {
    AgentMessage::AgentResponse {
        agent_response_event: AgentResponseEvent {
            agent_response: text.to_owned(),
            event_id: Some(event_id),
        },
    }
    .to_json()
}

pub fn user_transcript(text: &str, event_id: u64) -> String {
    AgentMessage::UserTranscript {
        user_transcription_event: UserTranscriptEvent {
            user_transcript: text.to_owned(),
            event_id: Some(event_id),
        },
    }
    .to_json()
}

pub fn interruption(event_id: u64) -> String {
    AgentMessage::Interruption {
        interruption_event: EventId { event_id },
    }
    .to_json()
}

pub fn ping(event_id: u64, ping_ms: Option<u64>) -> String {
    AgentMessage::Ping {
        ping_event: PingEvent { event_id, ping_ms },
    }
    .to_json()
}

pub fn client_tool_call(tool_name: &str, tool_call_id: &str, parameters: Value, event_id: u64) -> String {
    AgentMessage::ClientToolCall {
        client_tool_call: ClientToolCall {
            tool_name: tool_name.to_owned(),
            tool_call_id: tool_call_id.to_owned(),
            parameters,
            event_id: Some(event_id),
        },
    }
    .to_json()
}

/// The `error` event sent before closing with an error code. `error_type` is one of the
/// values of `ErrorType` in the AsyncAPI spec (`elevenlabs/packages`, `agent.asyncapi.yaml`).
pub fn error(code: u16, error_type: &str, message: &str, debug_message: Option<String>) -> String {
    AgentMessage::Error {
        error_event: ErrorEvent {
            code: Some(code),
            message: Some(message.to_owned()),
            error_type: Some(error_type.to_owned()),
            reason: Some(message.to_owned()),
            debug_message,
            details: None,
        },
    }
    .to_json()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::elevenlabs::AudioEvent;

    #[test]
    fn audio_writers_match_the_typed_message() {
        for (bytes, event_id) in [(&[][..], 0), (&[0, 1, 2, 255][..], 7), (&[9; 1601][..], u64::MAX)] {
            let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
            let typed = AgentMessage::Audio {
                audio_event: AudioEvent {
                    audio_base_64: b64.as_str().into(),
                    event_id,
                    alignment: None,
                },
            }
            .to_json();
            let written = audio(bytes, event_id);
            assert_eq!(written, typed);
            assert_eq!(audio_b64(&b64, event_id), typed);
            assert!(
                written.capacity() >= written.len() && written.capacity() <= written.len() + EVENT_ID_DIGITS
            );
        }
    }

    #[test]
    fn every_message_parses_back_with_its_type() {
        let messages = [
            metadata("conv_1", AudioFormat::Ulaw8000, AudioFormat::Pcm { rate: 16000 }),
            agent_response("Hello", 1),
            user_transcript("Hi", 2),
            interruption(3),
            ping(4, None),
            client_tool_call("end_call", "call_1", serde_json::json!({}), 5),
            error(
                1008,
                "invalid_message",
                "Invalid message received",
                Some("eof".into()),
            ),
        ];
        let types = [
            "conversation_initiation_metadata",
            "agent_response",
            "user_transcript",
            "interruption",
            "ping",
            "client_tool_call",
            "error",
        ];
        for (json, kind) in messages.iter().zip(types) {
            let parsed = AgentMessage::parse(json).unwrap();
            assert_eq!(parsed.type_name(), kind, "{json}");
        }
        assert!(messages[0].contains(r#""user_input_audio_format":"ulaw_8000""#));
        assert!(messages[0].contains(r#""agent_output_audio_format":"pcm_16000""#));
        assert!(messages[4].contains(r#""ping_ms":null"#));
    }
}
