//! ElevenLabs Conversational AI (Agents) WebSocket messages, both ways.
//!
//! Client → server messages carry a `type`, except audio, which is the bare object
//! `{"user_audio_chunk": "<base64>"}`. Server → client messages are
//! `{"type": T, "<event key>": {...}}` where the key differs per type. Field names follow the
//! AsyncAPI spec in `elevenlabs/packages` (`agent.asyncapi.yaml`) and the Python SDK's
//! `conversation.py`.
//!
//! As for Twilio, parsing goes through a flat envelope (see `twilio.rs`) so audio frames are
//! read without buffering and the base64 payload is borrowed from the frame text.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Client → server
// ---------------------------------------------------------------------------------------------

/// A message from a conversation client (the bridge, an SDK) to the agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage<'a> {
    /// First message of a conversation: overrides and dynamic variables.
    ConversationInitiationClientData(InitiationClientData),
    /// Answer to a `ping`, echoing its `event_id`.
    Pong { event_id: u64 },
    /// Result of a `client_tool_call`. All four fields are required by the server.
    ClientToolResult {
        tool_call_id: Cow<'a, str>,
        result: Cow<'a, str>,
        is_error: bool,
    },
    /// Background information for the agent; does not interrupt it.
    ContextualUpdate {
        text: Cow<'a, str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        context_id: Option<Cow<'a, str>>,
    },
    /// A user turn given as text.
    UserMessage { text: Cow<'a, str> },
    /// Resets the agent's turn timeout.
    UserActivity,
    /// Like or dislike of an agent response.
    Feedback {
        event_id: u64,
        score: Option<Cow<'a, str>>,
    },
    /// Answer to an MCP tool awaiting approval.
    McpToolApprovalResult {
        tool_call_id: Cow<'a, str>,
        is_approved: bool,
    },
    /// Text plus a file reference; kept as JSON, the bridge never sends it.
    MultimodalMessage {
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        file: Option<Value>,
    },
    /// A `type` this version does not know. Counted and ignored; serializes as `{"type": name}`.
    #[serde(skip)]
    Unknown(Cow<'a, str>),
    /// Caller audio in the agent's `user_input_audio_format`, base64. Has no `type`.
    #[serde(untagged)]
    UserAudioChunk {
        #[serde(borrow)]
        user_audio_chunk: Cow<'a, str>,
    },
}

/// `conversation_initiation_client_data`. Every field is flat at the top level.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct InitiationClientData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_config_override: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_llm_extra_body: Option<Value>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dynamic_variables: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_info: Option<Value>,
}

#[derive(Deserialize)]
struct ClientEnvelope<'a> {
    #[serde(rename = "type", borrow, default, deserialize_with = "super::borrow_opt")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "super::borrow_opt")]
    user_audio_chunk: Option<Cow<'a, str>>,
    event_id: Option<u64>,
    #[serde(borrow, default, deserialize_with = "super::borrow_opt")]
    tool_call_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    result: Option<ToolResultText<'a>>,
    is_error: Option<bool>,
    is_approved: Option<bool>,
    text: Option<Value>,
    #[serde(borrow, default, deserialize_with = "super::borrow_opt")]
    context_id: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "present")]
    score: Option<Option<Cow<'a, str>>>,
    file: Option<Value>,
    conversation_config_override: Option<Value>,
    custom_llm_extra_body: Option<Value>,
    dynamic_variables: Option<BTreeMap<String, Value>>,
    user_id: Option<String>,
    source_info: Option<Value>,
}

/// Tool results are strings in the spec, but the Python SDK sends whatever the handler
/// returned; a non-string result is kept as its JSON text.
#[derive(Deserialize)]
#[serde(untagged)]
enum ToolResultText<'a> {
    Text(#[serde(borrow)] Cow<'a, str>),
    Other(Value),
}

/// Distinguishes a key that is present with `null` from a missing key.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

impl<'de: 'a, 'a> Deserialize<'de> for ClientMessage<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        fn need<T, E: Error>(v: Option<T>, field: &'static str) -> Result<T, E> {
            v.ok_or_else(|| E::missing_field(field))
        }
        let e = ClientEnvelope::deserialize(deserializer)?;
        let Some(kind) = e.kind else {
            let chunk = need(e.user_audio_chunk, "type")?;
            return Ok(ClientMessage::UserAudioChunk {
                user_audio_chunk: chunk,
            });
        };
        let text = |v: Option<Value>| -> Result<Cow<'a, str>, D::Error> {
            match need(v, "text")? {
                Value::String(s) => Ok(Cow::Owned(s)),
                _ => Err(D::Error::custom("`text` must be a string")),
            }
        };
        Ok(match kind.as_ref() {
            "conversation_initiation_client_data" => {
                ClientMessage::ConversationInitiationClientData(InitiationClientData {
                    conversation_config_override: e.conversation_config_override,
                    custom_llm_extra_body: e.custom_llm_extra_body,
                    dynamic_variables: e.dynamic_variables.unwrap_or_default(),
                    user_id: e.user_id,
                    source_info: e.source_info,
                })
            }
            "pong" => ClientMessage::Pong {
                event_id: need(e.event_id, "event_id")?,
            },
            "client_tool_result" => ClientMessage::ClientToolResult {
                tool_call_id: need(e.tool_call_id, "tool_call_id")?,
                result: match need(e.result, "result")? {
                    ToolResultText::Text(t) => t,
                    ToolResultText::Other(v) => Cow::Owned(v.to_string()),
                },
                is_error: e.is_error.unwrap_or(false),
            },
            "contextual_update" => ClientMessage::ContextualUpdate {
                text: text(e.text)?,
                context_id: e.context_id,
            },
            "user_message" => ClientMessage::UserMessage { text: text(e.text)? },
            "user_activity" => ClientMessage::UserActivity,
            "feedback" => ClientMessage::Feedback {
                event_id: need(e.event_id, "event_id")?,
                score: e.score.flatten(),
            },
            "mcp_tool_approval_result" => ClientMessage::McpToolApprovalResult {
                tool_call_id: need(e.tool_call_id, "tool_call_id")?,
                is_approved: need(e.is_approved, "is_approved")?,
            },
            "multimodal_message" => ClientMessage::MultimodalMessage {
                text: e.text,
                file: e.file,
            },
            _ => ClientMessage::Unknown(kind),
        })
    }
}

impl<'a> ClientMessage<'a> {
    pub fn parse(text: &'a str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn to_json(&self) -> String {
        match self {
            ClientMessage::Unknown(kind) => serde_json::json!({ "type": kind }).to_string(),
            known => serde_json::to_string(known).expect("client messages always serialize"),
        }
    }
}

/// `{"user_audio_chunk":"<base64>"}` with the audio encoded straight into the message.
pub fn user_audio_chunk_json(audio: &[u8]) -> String {
    use base64::Engine;
    const PREFIX: &str = r#"{"user_audio_chunk":""#;
    const SUFFIX: &str = r#""}"#;
    let b64_len = base64::encoded_len(audio.len(), true).unwrap_or(0);
    let mut out = String::with_capacity(PREFIX.len() + b64_len + SUFFIX.len());
    out.push_str(PREFIX);
    base64::engine::general_purpose::STANDARD.encode_string(audio, &mut out);
    out.push_str(SUFFIX);
    out
}

/// `{"user_audio_chunk":"<base64>"}` around base64 that is already encoded and valid.
pub fn user_audio_chunk_json_b64(base64: &str) -> String {
    const PREFIX: &str = r#"{"user_audio_chunk":""#;
    const SUFFIX: &str = r#""}"#;
    let mut out = String::with_capacity(PREFIX.len() + base64.len() + SUFFIX.len());
    out.push_str(PREFIX);
    out.push_str(base64);
    out.push_str(SUFFIX);
    out
}

// ---------------------------------------------------------------------------------------------
// Server → client
// ---------------------------------------------------------------------------------------------

/// A message from the agent to the conversation client.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentMessage<'a> {
    /// Always first: the conversation id and both audio formats.
    ConversationInitiationMetadata {
        conversation_initiation_metadata_event: InitiationMetadata,
    },
    /// A chunk of agent speech in `agent_output_audio_format`.
    Audio {
        #[serde(borrow)]
        audio_event: AudioEvent<'a>,
    },
    /// What the agent says; arrives with the first audio chunk of a response.
    AgentResponse {
        agent_response_event: AgentResponseEvent,
    },
    AgentResponseCorrection {
        agent_response_correction_event: AgentResponseCorrectionEvent,
    },
    UserTranscript {
        user_transcription_event: UserTranscriptEvent,
    },
    TentativeUserTranscript {
        tentative_user_transcription_event: UserTranscriptEvent,
    },
    /// The caller spoke over the agent: audio up to `event_id` is stale.
    Interruption {
        interruption_event: EventId,
    },
    /// Keepalive; answer with `pong` and the same `event_id`.
    Ping {
        ping_event: PingEvent,
    },
    /// The agent wants a client tool run.
    ClientToolCall {
        client_tool_call: ClientToolCall,
    },
    VadScore {
        vad_score_event: VadScoreEvent,
    },
    InternalTentativeAgentResponse {
        tentative_agent_response_internal_event: TentativeAgentResponse,
    },
    AgentToolRequest {
        agent_tool_request: Value,
    },
    AgentToolResponse {
        agent_tool_response: Value,
    },
    McpToolCall {
        mcp_tool_call: Value,
    },
    McpConnectionStatus {
        mcp_connection_status: Value,
    },
    AgentChatResponsePart {
        text_response_part: Value,
    },
    /// Sent before the server closes the socket with an error code.
    Error {
        error_event: ErrorEvent,
    },
    /// A `type` this version does not know. Counted and ignored; serializes as `{"type": name}`.
    #[serde(skip)]
    Unknown(Cow<'a, str>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InitiationMetadata {
    pub conversation_id: String,
    /// `ulaw_8000` or `pcm_<rate>`.
    pub agent_output_audio_format: String,
    pub user_input_audio_format: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AudioEvent<'a> {
    #[serde(borrow)]
    pub audio_base_64: Cow<'a, str>,
    pub event_id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alignment: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentResponseEvent {
    pub agent_response: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentResponseCorrectionEvent {
    pub original_agent_response: String,
    pub corrected_agent_response: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserTranscriptEvent {
    pub user_transcript: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EventId {
    pub event_id: u64,
}

/// `ping_ms` is always present on the wire, `null` when unknown: the Python SDK reads it by key.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PingEvent {
    pub event_id: u64,
    #[serde(default)]
    pub ping_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientToolCall {
    pub tool_name: String,
    pub tool_call_id: String,
    #[serde(default)]
    pub parameters: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VadScoreEvent {
    pub vad_score: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TentativeAgentResponse {
    pub tentative_agent_response: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ErrorEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debug_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

#[derive(Deserialize)]
struct AgentEnvelope<'a> {
    #[serde(rename = "type", borrow, default, deserialize_with = "super::borrow_opt")]
    kind: Option<Cow<'a, str>>,
    conversation_initiation_metadata_event: Option<InitiationMetadata>,
    #[serde(borrow)]
    audio_event: Option<AudioEvent<'a>>,
    agent_response_event: Option<AgentResponseEvent>,
    agent_response_correction_event: Option<AgentResponseCorrectionEvent>,
    user_transcription_event: Option<UserTranscriptEvent>,
    tentative_user_transcription_event: Option<UserTranscriptEvent>,
    interruption_event: Option<EventId>,
    ping_event: Option<PingEvent>,
    client_tool_call: Option<ClientToolCall>,
    vad_score_event: Option<VadScoreEvent>,
    tentative_agent_response_internal_event: Option<TentativeAgentResponse>,
    agent_tool_request: Option<Value>,
    agent_tool_response: Option<Value>,
    mcp_tool_call: Option<Value>,
    mcp_connection_status: Option<Value>,
    text_response_part: Option<Value>,
    error_event: Option<ErrorEvent>,
}

impl<'de: 'a, 'a> Deserialize<'de> for AgentMessage<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        fn need<T, E: Error>(v: Option<T>, field: &'static str) -> Result<T, E> {
            v.ok_or_else(|| E::missing_field(field))
        }
        let e = AgentEnvelope::deserialize(deserializer)?;
        let kind = need(e.kind, "type")?;
        Ok(match kind.as_ref() {
            "conversation_initiation_metadata" => AgentMessage::ConversationInitiationMetadata {
                conversation_initiation_metadata_event: need(
                    e.conversation_initiation_metadata_event,
                    "conversation_initiation_metadata_event",
                )?,
            },
            "audio" => AgentMessage::Audio {
                audio_event: need(e.audio_event, "audio_event")?,
            },
            "agent_response" => AgentMessage::AgentResponse {
                agent_response_event: need(e.agent_response_event, "agent_response_event")?,
            },
            "agent_response_correction" => AgentMessage::AgentResponseCorrection {
                agent_response_correction_event: need(
                    e.agent_response_correction_event,
                    "agent_response_correction_event",
                )?,
            },
            "user_transcript" => AgentMessage::UserTranscript {
                user_transcription_event: need(e.user_transcription_event, "user_transcription_event")?,
            },
            "tentative_user_transcript" => AgentMessage::TentativeUserTranscript {
                tentative_user_transcription_event: need(
                    e.tentative_user_transcription_event,
                    "tentative_user_transcription_event",
                )?,
            },
            "interruption" => AgentMessage::Interruption {
                interruption_event: need(e.interruption_event, "interruption_event")?,
            },
            "ping" => AgentMessage::Ping {
                ping_event: need(e.ping_event, "ping_event")?,
            },
            "client_tool_call" => AgentMessage::ClientToolCall {
                client_tool_call: need(e.client_tool_call, "client_tool_call")?,
            },
            "vad_score" => AgentMessage::VadScore {
                vad_score_event: need(e.vad_score_event, "vad_score_event")?,
            },
            "internal_tentative_agent_response" => AgentMessage::InternalTentativeAgentResponse {
                tentative_agent_response_internal_event: need(
                    e.tentative_agent_response_internal_event,
                    "tentative_agent_response_internal_event",
                )?,
            },
            "agent_tool_request" => AgentMessage::AgentToolRequest {
                agent_tool_request: need(e.agent_tool_request, "agent_tool_request")?,
            },
            "agent_tool_response" => AgentMessage::AgentToolResponse {
                agent_tool_response: need(e.agent_tool_response, "agent_tool_response")?,
            },
            "mcp_tool_call" => AgentMessage::McpToolCall {
                mcp_tool_call: need(e.mcp_tool_call, "mcp_tool_call")?,
            },
            "mcp_connection_status" => AgentMessage::McpConnectionStatus {
                mcp_connection_status: need(e.mcp_connection_status, "mcp_connection_status")?,
            },
            "agent_chat_response_part" => AgentMessage::AgentChatResponsePart {
                text_response_part: need(e.text_response_part, "text_response_part")?,
            },
            "error" => AgentMessage::Error {
                error_event: e.error_event.unwrap_or_default(),
            },
            _ => AgentMessage::Unknown(kind),
        })
    }
}

impl<'a> AgentMessage<'a> {
    pub fn parse(text: &'a str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn to_json(&self) -> String {
        match self {
            AgentMessage::Unknown(kind) => serde_json::json!({ "type": kind }).to_string(),
            known => serde_json::to_string(known).expect("agent messages always serialize"),
        }
    }

    /// The `type` name, for logs and counters.
    pub fn type_name(&self) -> &str {
        match self {
            AgentMessage::ConversationInitiationMetadata { .. } => "conversation_initiation_metadata",
            AgentMessage::Audio { .. } => "audio",
            AgentMessage::AgentResponse { .. } => "agent_response",
            AgentMessage::AgentResponseCorrection { .. } => "agent_response_correction",
            AgentMessage::UserTranscript { .. } => "user_transcript",
            AgentMessage::TentativeUserTranscript { .. } => "tentative_user_transcript",
            AgentMessage::Interruption { .. } => "interruption",
            AgentMessage::Ping { .. } => "ping",
            AgentMessage::ClientToolCall { .. } => "client_tool_call",
            AgentMessage::VadScore { .. } => "vad_score",
            AgentMessage::InternalTentativeAgentResponse { .. } => "internal_tentative_agent_response",
            AgentMessage::AgentToolRequest { .. } => "agent_tool_request",
            AgentMessage::AgentToolResponse { .. } => "agent_tool_response",
            AgentMessage::McpToolCall { .. } => "mcp_tool_call",
            AgentMessage::McpConnectionStatus { .. } => "mcp_connection_status",
            AgentMessage::AgentChatResponsePart { .. } => "agent_chat_response_part",
            AgentMessage::Error { .. } => "error",
            AgentMessage::Unknown(name) => name,
        }
    }
}

/// `GET /v1/convai/conversation/get-signed-url` response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedUrl {
    pub signed_url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let ClientMessage::UserAudioChunk { user_audio_chunk } = ClientMessage::parse(CLIENT[0]).unwrap()
        else {
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
}
