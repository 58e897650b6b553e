//! Round trips of every message shape in the protocol reference.

use super::*;
use serde_json::Value;
use std::borrow::Cow;

fn value(s: &str) -> Value {
    serde_json::from_str(s).unwrap()
}

// Client → server samples, shapes from the protocol reference §2.
const CLIENT: &[&str] = &[
    r#"{"user_audio_chunk":"AAEC"}"#,
    r#"{"type":"pong","event_id":12}"#,
    r#"{"type":"conversation_initiation_client_data","conversation_config_override":{"agent":{"prompt":{"prompt":"Be brief"},"first_message":"Hi","language":"en"},"tts":{"voice_id":"v1"}},"custom_llm_extra_body":{},"dynamic_variables":{"caller_number":"+15551230000","vip":true,"visits":3},"user_id":"u1","source_info":{"source":"python_sdk","version":"2.78.0"}}"#,
    r#"{"type":"client_tool_result","tool_call_id":"call_1","result":"ok","is_error":false}"#,
    r#"{"type":"contextual_update","text":"The caller pressed 5"}"#,
    r#"{"type":"contextual_update","text":"x","context_id":"c1"}"#,
    r#"{"type":"user_message","text":"hello"}"#,
    r#"{"type":"user_activity"}"#,
    r#"{"type":"feedback","event_id":3,"score":"like"}"#,
    r#"{"type":"feedback","event_id":3,"score":null}"#,
    r#"{"type":"mcp_tool_approval_result","tool_call_id":"t1","is_approved":true}"#,
    r#"{"type":"multimodal_message","text":{"type":"user_message","text":"see file"},"file":{"type":"file_input","file_id":"f1"}}"#,
];

// Server → client samples, shapes from the protocol reference §3.
const AGENT: &[&str] = &[
    r#"{"type":"conversation_initiation_metadata","conversation_initiation_metadata_event":{"conversation_id":"conv_1","agent_output_audio_format":"ulaw_8000","user_input_audio_format":"ulaw_8000"}}"#,
    r#"{"type":"audio","audio_event":{"audio_base_64":"AAEC","event_id":1}}"#,
    r#"{"type":"audio","audio_event":{"audio_base_64":"AAEC","event_id":2,"alignment":{"chars":["H","i"],"char_start_times_ms":[0,50],"char_durations_ms":[50,50]}}}"#,
    r#"{"type":"agent_response","agent_response_event":{"agent_response":"Hello!","event_id":1}}"#,
    r#"{"type":"agent_response_correction","agent_response_correction_event":{"original_agent_response":"Hello there, how","corrected_agent_response":"Hello there","event_id":2}}"#,
    r#"{"type":"user_transcript","user_transcription_event":{"user_transcript":"I'd like to book","event_id":3}}"#,
    r#"{"type":"tentative_user_transcript","tentative_user_transcription_event":{"user_transcript":"I'd like","event_id":3}}"#,
    r#"{"type":"interruption","interruption_event":{"event_id":4}}"#,
    r#"{"type":"ping","ping_event":{"event_id":5,"ping_ms":null}}"#,
    r#"{"type":"ping","ping_event":{"event_id":6,"ping_ms":42}}"#,
    r#"{"type":"client_tool_call","client_tool_call":{"tool_name":"end_call","tool_call_id":"call_1","parameters":{"reason":"done"},"event_id":7}}"#,
    r#"{"type":"vad_score","vad_score_event":{"vad_score":0.95}}"#,
    r#"{"type":"internal_tentative_agent_response","tentative_agent_response_internal_event":{"tentative_agent_response":"Let me"}}"#,
    r#"{"type":"agent_tool_request","agent_tool_request":{"tool_name":"lookup","tool_call_id":"t9","tool_type":"webhook","event_id":8}}"#,
    r#"{"type":"agent_tool_response","agent_tool_response":{"tool_name":"lookup","tool_call_id":"t9","tool_type":"webhook","is_error":false,"is_called":true,"event_id":8}}"#,
    r#"{"type":"mcp_tool_call","mcp_tool_call":{"service_id":"s","tool_call_id":"m1","tool_name":"x","parameters":{},"timestamp":"2026-01-01T00:00:00Z","state":"loading"}}"#,
    r#"{"type":"mcp_connection_status","mcp_connection_status":{"integrations":[{"integration_id":"i","integration_type":"mcp","is_connected":true,"tool_count":2}]}}"#,
    r#"{"type":"agent_chat_response_part","text_response_part":{"text":"Hi","type":"delta","event_id":9}}"#,
    r#"{"type":"error","error_event":{"code":1008,"message":"Missing dynamic variable","error_type":"missing_dynamic_variable"}}"#,
];

#[test]
fn client_samples_round_trip() {
    for sample in CLIENT {
        let msg = ClientMessage::parse(sample).unwrap();
        assert!(!matches!(msg, ClientMessage::Unknown(_)), "{sample}");
        assert_eq!(value(&msg.to_json()), value(sample), "{sample}");
    }
}

#[test]
fn agent_samples_round_trip() {
    for sample in AGENT {
        let msg = AgentMessage::parse(sample).unwrap();
        assert!(!matches!(msg, AgentMessage::Unknown(_)), "{sample}");
        assert_eq!(value(&msg.to_json()), value(sample), "{sample}");
    }
}

#[test]
fn audio_is_borrowed() {
    let AgentMessage::Audio { audio_event } = AgentMessage::parse(AGENT[1]).unwrap() else {
        panic!("not audio")
    };
    assert!(matches!(audio_event.audio_base_64, Cow::Borrowed(_)));
    let ClientMessage::UserAudioChunk { user_audio_chunk } = ClientMessage::parse(CLIENT[0]).unwrap() else {
        panic!("not audio")
    };
    assert!(matches!(user_audio_chunk, Cow::Borrowed(_)));
}

#[test]
fn ping_serializes_a_null_ping_ms() {
    let ping = AgentMessage::Ping {
        ping_event: PingEvent {
            event_id: 1,
            ping_ms: None,
        },
    };
    assert_eq!(
        ping.to_json(),
        r#"{"type":"ping","ping_event":{"event_id":1,"ping_ms":null}}"#
    );
}

#[test]
fn unknown_types_are_not_errors() {
    assert_eq!(
        AgentMessage::parse(r#"{"type":"guardrail_triggered","x":1}"#).unwrap(),
        AgentMessage::Unknown("guardrail_triggered".into())
    );
    assert_eq!(
        ClientMessage::parse(r#"{"type":"enclave_setup_config"}"#).unwrap(),
        ClientMessage::Unknown("enclave_setup_config".into())
    );
}

#[test]
fn malformed_messages_are_errors() {
    for bad in [
        r#"{"type":"audio"}"#,
        r#"{"type":"audio","audio_event":{"audio_base_64":"AA"}}"#,
        r#"{"type":"ping","ping_event":{}}"#,
        r#"{"no_type":1}"#,
        r#""audio""#,
    ] {
        assert!(AgentMessage::parse(bad).is_err(), "{bad}");
    }
    assert!(ClientMessage::parse(r#"{"type":"pong"}"#).is_err());
    assert!(ClientMessage::parse(r#"{"foo":"bar"}"#).is_err());
}

#[test]
fn a_non_string_tool_result_is_kept_as_json_text() {
    let msg = ClientMessage::parse(
        r#"{"type":"client_tool_result","tool_call_id":"c","result":{"a":1},"is_error":false}"#,
    )
    .unwrap();
    let ClientMessage::ClientToolResult { result, .. } = msg else {
        panic!()
    };
    assert_eq!(result, r#"{"a":1}"#);
}

#[test]
fn audio_chunk_writers_match_the_typed_message() {
    let typed = ClientMessage::UserAudioChunk {
        user_audio_chunk: "AAEC".into(),
    }
    .to_json();
    assert_eq!(user_audio_chunk_json(&[0, 1, 2]), typed);
    assert_eq!(user_audio_chunk_json_b64("AAEC"), typed);
}
