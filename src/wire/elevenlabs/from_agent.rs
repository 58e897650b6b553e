//! Messages from the agent to the conversation client: `{"type": T, "<event key>": {...}}`.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::wire::{RawJson, need};

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
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub alignment: Option<Alignment<'a>>,
}

/// Character timings of the text spoken in an audio chunk. It rides on every chunk and the
/// bridge has no use for it, so each list stays as its JSON text: parsed, it would cost an
/// allocation per character; kept whole as one raw value, serde_json would still allocate
/// to skip over the nested lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alignment<'a> {
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub chars: Option<RawJson<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub char_start_times_ms: Option<RawJson<'a>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub char_durations_ms: Option<RawJson<'a>>,
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
    #[serde(
        rename = "type",
        borrow,
        default,
        deserialize_with = "crate::wire::borrow_opt"
    )]
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
