//! `conversation_config` of an ElevenLabs agent (`ConversationalConfigAPIModel-Input` in the
//! OpenAPI document `tryAGI/ElevenLabs` `src/libs/ElevenLabs/openapi.json`, API version 1.0 as
//! of 2026-07), with ElevenLabs' defaults for everything a request leaves out.
//!
//! The fields switchboard and the official SDK send are typed and checked (formats, ranges,
//! enums, unknown fields); the deeper objects nobody here sends (`rag`, `background_sound`,
//! a built-in tool's `params`, …) are kept as given, unchecked.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};

use super::validation::{bounded, not_one_of, one_of};
use crate::audio::AudioFormat;

/// One of the seven audio formats the API accepts for input and output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiAudioFormat(pub AudioFormat);

impl Default for ApiAudioFormat {
    fn default() -> Self {
        ApiAudioFormat(AudioFormat::DEFAULT)
    }
}

impl Serialize for ApiAudioFormat {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ApiAudioFormat {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const NAMES: [&str; 7] = [
            "pcm_8000",
            "pcm_16000",
            "pcm_22050",
            "pcm_24000",
            "pcm_44100",
            "pcm_48000",
            "ulaw_8000",
        ];
        let name = String::deserialize(deserializer)?;
        name.parse().map(ApiAudioFormat).map_err(|_| not_one_of(&NAMES))
    }
}

bounded!(Stability, f64, 0.0, 1.0, 0.5);
bounded!(SimilarityBoost, f64, 0.0, 1.0, 0.8);
bounded!(Speed, f64, 0.7, 1.2, 1.0);
bounded!(StreamingLatency, u8, 0, 4, 3);
bounded!(CascadeTimeout, f64, 2.0, 15.0, 4.0);
one_of!(AsrQuality, "high", ["high"]);
one_of!(TurnMode, "turn", ["silence", "turn"]);
one_of!(TurnEagerness, "normal", ["patient", "normal", "eager"]);
one_of!(
    ClientEvent,
    "conversation_initiation_metadata",
    [
        "conversation_initiation_metadata",
        "asr_initiation_metadata",
        "ping",
        "audio",
        "interruption",
        "user_transcript",
        "tentative_user_transcript",
        "agent_response",
        "agent_response_correction",
        "client_tool_call",
        "mcp_tool_call",
        "mcp_connection_status",
        "agent_tool_request",
        "agent_tool_response",
        "agent_tool_response_full_payload",
        "agent_response_metadata",
        "vad_score",
        "agent_chat_response_part",
        "client_error",
        "guardrail_triggered",
        "dtmf_request",
        "agent_response_complete",
        "context_usage",
        "internal_turn_probability",
        "internal_tentative_agent_response",
    ]
);

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConversationConfig {
    pub asr: Asr,
    pub turn: Turn,
    pub tts: Tts,
    pub conversation: Conversation,
    pub language_presets: BTreeMap<String, LanguagePreset>,
    pub vad: Vad,
    pub agent: AgentSettings,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Asr {
    pub quality: AsrQuality,
    pub provider: String,
    pub user_input_audio_format: ApiAudioFormat,
    pub keywords: Vec<String>,
}

impl Default for Asr {
    fn default() -> Self {
        Asr {
            quality: AsrQuality::default(),
            provider: "scribe_realtime".into(),
            user_input_audio_format: ApiAudioFormat::default(),
            keywords: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Tts {
    pub model_id: String,
    pub voice_id: String,
    pub supported_voices: Vec<Value>,
    pub expressive_mode: bool,
    pub suggested_audio_tags: Vec<Value>,
    pub agent_output_audio_format: ApiAudioFormat,
    pub optimize_streaming_latency: StreamingLatency,
    pub stability: Stability,
    pub speed: Speed,
    pub similarity_boost: SimilarityBoost,
    pub text_normalisation_type: String,
    pub pronunciation_dictionary_locators: Vec<Value>,
    pub enable_phoneme_tags: bool,
}

impl Default for Tts {
    fn default() -> Self {
        Tts {
            model_id: "eleven_flash_v2".into(),
            voice_id: "cjVigY5qzO86Huf0OWal".into(),
            supported_voices: Vec::new(),
            expressive_mode: true,
            suggested_audio_tags: Vec::new(),
            agent_output_audio_format: ApiAudioFormat::default(),
            optimize_streaming_latency: StreamingLatency::default(),
            stability: Stability::default(),
            speed: Speed::default(),
            similarity_boost: SimilarityBoost::default(),
            text_normalisation_type: "system_prompt".into(),
            pronunciation_dictionary_locators: Vec::new(),
            enable_phoneme_tags: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Turn {
    pub turn_timeout: f64,
    pub initial_wait_time: Option<f64>,
    pub silence_end_call_timeout: f64,
    pub mode: TurnMode,
    pub turn_eagerness: TurnEagerness,
    pub spelling_patience: String,
    pub speculative_turn: bool,
    pub retranscribe_on_turn_timeout: bool,
    pub turn_model: String,
    pub interruption_ignore_terms: Vec<String>,
    pub interruption_ignore_term_languages: Vec<String>,
    pub merge_with_default_ignore_terms: bool,
    pub transcribe_on_disabled_interruptions: bool,
    pub soft_timeout_config: Value,
}

impl Default for Turn {
    fn default() -> Self {
        Turn {
            turn_timeout: 7.0,
            initial_wait_time: None,
            silence_end_call_timeout: -1.0,
            mode: TurnMode::default(),
            turn_eagerness: TurnEagerness::default(),
            spelling_patience: "auto".into(),
            speculative_turn: false,
            retranscribe_on_turn_timeout: false,
            turn_model: "turn_v3".into(),
            interruption_ignore_terms: Vec::new(),
            interruption_ignore_term_languages: Vec::new(),
            merge_with_default_ignore_terms: false,
            transcribe_on_disabled_interruptions: false,
            soft_timeout_config: json!({
                "timeout_seconds": -1.0,
                "message": "Hhmmmm...yeah.",
                "additional_soft_timeout_messages": [],
                "use_llm_generated_message": false,
                "randomize_fillers": false,
                "max_soft_timeouts_per_generation": 1,
                "llm_generated_message_prompt_override": null,
                "disable_until_first_user_message": false,
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Conversation {
    pub text_only: bool,
    pub max_duration_seconds: i64,
    pub client_events: Vec<ClientEvent>,
    pub file_input: Option<Value>,
    pub monitoring_enabled: bool,
    pub monitoring_events: Vec<ClientEvent>,
    pub background_sound: Option<Value>,
    pub source_attribution: bool,
}

impl Default for Conversation {
    fn default() -> Self {
        // The spec gives no default; these are the events a freshly made agent has ticked.
        let events = [
            "audio",
            "interruption",
            "user_transcript",
            "agent_response",
            "agent_response_correction",
        ];
        Conversation {
            text_only: false,
            max_duration_seconds: 600,
            client_events: events.iter().map(|e| ClientEvent((*e).to_owned())).collect(),
            file_input: None,
            monitoring_enabled: false,
            monitoring_events: Vec::new(),
            background_sound: None,
            source_attribution: false,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Vad {
    pub background_voice_detection: bool,
}

/// `LanguagePreset-Input`: `overrides` is required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguagePreset {
    pub overrides: Map<String, Value>,
    #[serde(default)]
    pub first_message_translation: Option<Value>,
    #[serde(default)]
    pub soft_timeout_translation: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentSettings {
    pub first_message: String,
    pub language: String,
    pub hinglish_mode: bool,
    pub dynamic_variables: DynamicVariables,
    pub disable_first_message_interruptions: bool,
    pub max_conversation_duration_message: String,
    pub text_behavior_overrides: Option<Value>,
    pub prompt: Prompt,
}

impl Default for AgentSettings {
    fn default() -> Self {
        AgentSettings {
            first_message: String::new(),
            language: "en".into(),
            hinglish_mode: false,
            dynamic_variables: DynamicVariables::default(),
            disable_first_message_interruptions: false,
            max_conversation_duration_message: String::new(),
            text_behavior_overrides: None,
            prompt: Prompt::default(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DynamicVariables {
    pub dynamic_variable_placeholders: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Prompt {
    pub prompt: String,
    pub llm: String,
    pub reasoning_effort: Option<String>,
    pub thinking_budget: Option<i64>,
    pub enable_reasoning_summary: bool,
    pub temperature: Option<f64>,
    pub max_tokens: i64,
    pub tool_ids: Vec<String>,
    pub built_in_tools: BuiltInTools,
    pub mcp_server_ids: Vec<String>,
    pub native_mcp_server_ids: Vec<String>,
    pub knowledge_base: Vec<Value>,
    pub custom_llm: Option<Value>,
    pub ignore_default_personality: Option<bool>,
    pub rag: Option<Value>,
    pub timezone: Option<String>,
    pub backup_llm_config: Option<Value>,
    pub cascade_timeout_seconds: CascadeTimeout,
    /// Deprecated in the API in favour of `tool_ids`; kept as given.
    pub tools: Vec<Value>,
}

impl Default for Prompt {
    fn default() -> Self {
        Prompt {
            prompt: String::new(),
            llm: "gemini-2.5-flash".into(),
            reasoning_effort: None,
            thinking_budget: None,
            enable_reasoning_summary: false,
            temperature: Some(0.0),
            max_tokens: -1,
            tool_ids: Vec::new(),
            built_in_tools: BuiltInTools::default(),
            mcp_server_ids: Vec::new(),
            native_mcp_server_ids: Vec::new(),
            knowledge_base: Vec::new(),
            custom_llm: None,
            ignore_default_personality: Some(true),
            rag: None,
            timezone: None,
            backup_llm_config: None,
            cascade_timeout_seconds: CascadeTimeout::default(),
            tools: Vec::new(),
        }
    }
}

/// `BuiltInTools-Input`: each system tool is either off (`null`) or its `SystemToolConfig`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BuiltInTools {
    pub transfer_to_agent: Option<Value>,
    pub end_call: Option<Value>,
    pub language_detection: Option<Value>,
    pub transfer_to_number: Option<Value>,
    pub skip_turn: Option<Value>,
    pub play_keypad_touch_tone: Option<Value>,
    pub voicemail_detection: Option<Value>,
}
