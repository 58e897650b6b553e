//! `platform_settings` of an ElevenLabs agent (`AgentPlatformSettingsRequestModel` in the
//! OpenAPI document `tryAGI/ElevenLabs` `src/libs/ElevenLabs/openapi.json`, API version 1.0 as
//! of 2026-07), with ElevenLabs' defaults, and the override flags a conversation is held to.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlatformSettings {
    pub evaluation: Value,
    pub widget: Option<Value>,
    pub data_collection: Map<String, Value>,
    pub data_collection_scopes: Map<String, Value>,
    pub analysis_items: Option<Value>,
    pub overrides: Overrides,
    pub workspace_overrides: WorkspaceOverrides,
    pub testing: Option<Value>,
    pub archived: bool,
    pub guardrails: Option<Value>,
    pub summary_language: Option<String>,
    pub auto_translate_transcript_to_app_language: Option<bool>,
    pub auth: Auth,
    pub call_limits: CallLimits,
    pub privacy: Privacy,
    pub trust_context: String,
    pub analysis_llm: String,
    pub topic_discovery: Option<Value>,
    pub sentiment_analysis: Option<Value>,
    pub alerting: Option<Value>,
}

impl Default for PlatformSettings {
    fn default() -> Self {
        PlatformSettings {
            evaluation: json!({"criteria": []}),
            widget: None,
            data_collection: Map::new(),
            data_collection_scopes: Map::new(),
            analysis_items: None,
            overrides: Overrides::default(),
            workspace_overrides: WorkspaceOverrides::default(),
            testing: None,
            archived: false,
            guardrails: None,
            summary_language: None,
            auto_translate_transcript_to_app_language: None,
            auth: Auth::default(),
            call_limits: CallLimits::default(),
            privacy: Privacy::default(),
            trust_context: "unknown".into(),
            analysis_llm: "gemini-2.5-flash".into(),
            topic_discovery: None,
            sentiment_analysis: None,
            alerting: None,
        }
    }
}

/// `ConversationInitiationClientDataConfig-Input`: what a client may set as it opens a
/// conversation. Everything is off unless the agent turns it on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Overrides {
    pub conversation_config_override: OverrideFlags,
    pub custom_llm_extra_body: bool,
    pub enable_conversation_initiation_client_data_from_webhook: bool,
    pub enable_starting_workflow_node_id_from_client: bool,
    pub enable_procedure_ids_from_client: bool,
}

/// `ConversationConfigClientOverrideConfig-Input`: one flag per field a client may override.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OverrideFlags {
    pub asr: AsrOverrideFlags,
    pub turn: TurnOverrideFlags,
    pub tts: TtsOverrideFlags,
    pub conversation: ConversationOverrideFlags,
    pub agent: AgentOverrideFlags,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AsrOverrideFlags {
    pub keywords: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TurnOverrideFlags {
    pub soft_timeout_config: SoftTimeoutOverrideFlags,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SoftTimeoutOverrideFlags {
    pub message: bool,
    pub additional_soft_timeout_messages: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TtsOverrideFlags {
    pub model_id: bool,
    pub voice_id: bool,
    pub stability: bool,
    pub speed: bool,
    pub similarity_boost: bool,
    pub pronunciation_dictionary_locators: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConversationOverrideFlags {
    pub text_only: bool,
    pub max_duration_seconds: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentOverrideFlags {
    pub first_message: bool,
    pub language: bool,
    pub max_conversation_duration_message: bool,
    pub prompt: PromptOverrideFlags,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PromptOverrideFlags {
    pub prompt: bool,
    pub llm: bool,
    pub tool_ids: bool,
    pub native_mcp_server_ids: bool,
    pub knowledge_base: bool,
}

/// `AgentWorkspaceOverrides-Input`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkspaceOverrides {
    pub conversation_initiation_client_data_webhook: Option<Value>,
    pub webhooks: Webhooks,
}

/// `ConvAIWebhooks`. A `post_call_webhook_id` naming no workspace webhook is kept as given:
/// the API's model is a plain optional string, and such an agent's events go nowhere.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Webhooks {
    pub post_call_webhook_id: Option<String>,
    pub events: Vec<WebhookEventName>,
    pub transcript_format: TranscriptFormat,
    pub send_audio: Option<bool>,
}

impl Default for Webhooks {
    fn default() -> Self {
        Webhooks {
            post_call_webhook_id: None,
            events: Vec::new(),
            transcript_format: TranscriptFormat("json".into()),
            send_audio: None,
        }
    }
}

/// One of `WebhookEventType`: what an agent's post-call webhook is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct WebhookEventName(pub String);

impl<'de> Deserialize<'de> for WebhookEventName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const NAMES: [&str; 6] = [
            "transcript",
            "audio",
            "call_initiation_failure",
            "answering_machine_detection",
            "unredacted_transcript",
            "unredacted_audio",
        ];
        let name = String::deserialize(deserializer)?;
        if NAMES.contains(&name.as_str()) {
            Ok(WebhookEventName(name))
        } else {
            Err(super::validation::not_one_of(&NAMES))
        }
    }
}

/// `WebhookTranscriptFormat`: `json` or `opentelemetry`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TranscriptFormat(pub String);

impl<'de> Deserialize<'de> for TranscriptFormat {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const NAMES: [&str; 2] = ["json", "opentelemetry"];
        let name = String::deserialize(deserializer)?;
        if NAMES.contains(&name.as_str()) {
            Ok(TranscriptFormat(name))
        } else {
            Err(super::validation::not_one_of(&NAMES))
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Auth {
    pub enable_auth: bool,
    pub allowlist: Vec<Value>,
    pub require_origin_header: bool,
    pub shareable_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CallLimits {
    pub agent_concurrency_limit: i64,
    pub daily_limit: i64,
    pub bursting_enabled: bool,
}

impl Default for CallLimits {
    fn default() -> Self {
        CallLimits {
            agent_concurrency_limit: -1,
            daily_limit: 100_000,
            bursting_enabled: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Privacy {
    pub record_voice: bool,
    pub retention_days: i64,
    pub delete_transcript_and_pii: bool,
    pub delete_audio: bool,
    pub apply_to_existing_conversations: bool,
    pub zero_retention_mode: bool,
    pub conversation_history_redaction: Option<Value>,
}

impl Default for Privacy {
    fn default() -> Self {
        Privacy {
            record_voice: true,
            retention_days: -1,
            delete_transcript_and_pii: false,
            delete_audio: false,
            apply_to_existing_conversations: false,
            zero_retention_mode: false,
            conversation_history_redaction: None,
        }
    }
}
