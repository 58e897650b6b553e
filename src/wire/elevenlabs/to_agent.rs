//! Messages from a conversation client (the bridge, an SDK) to the agent.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::wire::{AudioPayload, audio_message, need};

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
    #[serde(
        rename = "type",
        borrow,
        default,
        deserialize_with = "crate::wire::borrow_opt"
    )]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::wire::borrow_opt")]
    user_audio_chunk: Option<Cow<'a, str>>,
    event_id: Option<u64>,
    #[serde(borrow, default, deserialize_with = "crate::wire::borrow_opt")]
    tool_call_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    result: Option<ToolResultText<'a>>,
    is_error: Option<bool>,
    is_approved: Option<bool>,
    text: Option<Value>,
    #[serde(borrow, default, deserialize_with = "crate::wire::borrow_opt")]
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

const AUDIO_CHUNK_PREFIX: &str = r#"{"user_audio_chunk":""#;
const AUDIO_CHUNK_SUFFIX: &str = r#""}"#;

/// `{"user_audio_chunk":"<base64>"}` with the audio encoded straight into the message.
pub fn user_audio_chunk_json(audio: &[u8]) -> String {
    audio_message(AUDIO_CHUNK_PREFIX, AudioPayload::Raw(audio), AUDIO_CHUNK_SUFFIX)
}

/// `{"user_audio_chunk":"<base64>"}` around base64 that is already encoded and valid.
pub fn user_audio_chunk_json_b64(base64: &str) -> String {
    audio_message(
        AUDIO_CHUNK_PREFIX,
        AudioPayload::Base64(base64),
        AUDIO_CHUNK_SUFFIX,
    )
}
