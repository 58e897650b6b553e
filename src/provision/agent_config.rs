//! The configuration of an agent's ElevenLabs agent, built from the switchboard agent: pure,
//! JSON out, the shapes of `POST /v1/convai/agents/create` and `PATCH /v1/convai/agents/{id}`
//! (ElevenLabs' `ConversationalConfigAPIModel` and `AgentPlatformSettingsRequestModel`).
//!
//! What it sets, and why:
//! - audio: μ-law 8 kHz both ways (`asr.user_input_audio_format`,
//!   `tts.agent_output_audio_format`), Twilio's own format, so the bridge relays without
//!   transcoding (ElevenLabs' default is `pcm_16000`);
//! - the first message (the greeting with the AI disclosure, `greeting::first_message`), the
//!   language, the voice, and a prompt from the business context that says the agent is an AI;
//! - `conversation.client_events`: every event the call session reads, `client_tool_call`
//!   among them, and `max_duration_seconds` at the bridge's own limit (ElevenLabs' default
//!   of 600 would end calls at ten minutes);
//! - overrides enabled for exactly what the bridge sends per call: the first message
//!   (`telephony::initiation`; dynamic variables need none), the rest switched off;
//! - `auth.enable_auth`: the agent is reached only by signed URLs, as the bridge does with a key;
//! - `call_limits.bursting_enabled` and `privacy.{record_voice, retention_days}` as the
//!   operator chose (`[elevenlabs]`);
//! - `prompt.tool_ids`: the whole list, since a PATCH replaces arrays;
//! - `tags`: `switchboard`, the account, and the run's marker (so a run's agent is found again);
//! - `platform_settings.workspace_overrides.webhooks` ([`with_post_call_webhook`]): the
//!   workspace webhook provisioning keeps, for the `transcript` event only, as JSON (the
//!   SDK's `ConvAiWebhooks`). No `audio`: switchboard records calls itself from Twilio's
//!   media (`telephony::recordings`) and drops ElevenLabs' audio, so asking for it would only
//!   send megabytes of base64 MP3 per call to be thrown away.

use serde_json::{Map, Value, json};

use crate::greeting::{self, Opening};

/// Audio format of both directions: Twilio's.
pub const AUDIO_FORMAT: &str = "ulaw_8000";
/// The tag every agent switchboard provisions carries.
pub const SWITCHBOARD_TAG: &str = "switchboard";
/// ElevenLabs' TTS model for agents that speak another language than English (its default,
/// `eleven_flash_v2`, speaks English only).
pub const MULTILINGUAL_TTS_MODEL: &str = "eleven_flash_v2_5";
/// The post-call events an agent's conversations are reported with.
pub const POST_CALL_EVENTS: [&str; 1] = ["transcript"];
/// The events the call session reads from the agent.
pub const CLIENT_EVENTS: [&str; 8] = [
    "conversation_initiation_metadata",
    "audio",
    "interruption",
    "agent_response",
    "agent_response_correction",
    "user_transcript",
    "ping",
    "client_tool_call",
];

/// What of the switchboard agent its ElevenLabs agent carries. A change to any of these is
/// sent to ElevenLabs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentProfile {
    /// The account's name.
    pub business_name: String,
    pub agent_name: String,
    pub greeting: Option<String>,
    pub business_context: Option<String>,
    /// `None` keeps the ElevenLabs agent's voice.
    pub voice_id: Option<String>,
    pub language: String,
}

/// The operator's choices (`[elevenlabs]`, `[call] max_call_secs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentSettings {
    pub bursting: bool,
    pub record_voice: bool,
    pub retention_days: i32,
    pub max_duration_secs: u64,
}

/// `tags`: switchboard's, the account's, and the run's marker.
pub fn tags(account_id: &str, marker: &str) -> Vec<String> {
    vec![
        SWITCHBOARD_TAG.to_owned(),
        format!("account:{account_id}"),
        marker.to_owned(),
    ]
}

/// The agent's name at ElevenLabs: `Business / Agent`.
pub fn display_name(profile: &AgentProfile) -> String {
    format!("{} / {}", profile.business_name.trim(), profile.agent_name.trim())
}

/// The body that creates the agent, or that a PATCH sends to make an agent switchboard's:
/// `{name, tags, conversation_config, platform_settings}`.
pub fn agent_body(
    profile: &AgentProfile,
    settings: AgentSettings,
    tool_ids: &[String],
    tags: &[String],
) -> Value {
    json!({
        "name": display_name(profile),
        "tags": tags,
        "conversation_config": conversation_config(profile, settings, tool_ids),
        "platform_settings": platform_settings(settings),
    })
}

/// `conversation_config`.
pub fn conversation_config(profile: &AgentProfile, settings: AgentSettings, tool_ids: &[String]) -> Value {
    let mut tts = Map::new();
    tts.insert("agent_output_audio_format".into(), json!(AUDIO_FORMAT));
    if let Some(voice) = &profile.voice_id {
        tts.insert("voice_id".into(), json!(voice));
    }
    let language = elevenlabs_language(&profile.language);
    if language != "en" {
        tts.insert("model_id".into(), json!(MULTILINGUAL_TTS_MODEL));
    }
    json!({
        "asr": {"user_input_audio_format": AUDIO_FORMAT},
        "tts": tts,
        "conversation": {
            "client_events": CLIENT_EVENTS,
            "max_duration_seconds": settings.max_duration_secs,
        },
        "agent": {
            "first_message": first_message(profile),
            "language": language,
            "prompt": {
                "prompt": prompt(profile),
                "tool_ids": tool_ids,
            },
        },
    })
}

/// `platform_settings`.
pub fn platform_settings(settings: AgentSettings) -> Value {
    json!({
        "auth": {"enable_auth": true},
        "overrides": {
            "conversation_config_override": {
                "agent": {
                    "first_message": true,
                    "language": false,
                    "prompt": {"prompt": false, "llm": false, "tool_ids": false},
                },
                "tts": {"voice_id": false},
                "conversation": {"text_only": false, "max_duration_seconds": false},
            },
        },
        "call_limits": {"bursting_enabled": settings.bursting},
        "privacy": {
            "record_voice": settings.record_voice,
            "retention_days": settings.retention_days,
        },
    })
}

/// `body` (an [`agent_body`]) whose conversations are reported to the workspace webhook
/// `webhook_id`: `platform_settings.workspace_overrides.webhooks`.
pub fn with_post_call_webhook(mut body: Value, webhook_id: &str) -> Value {
    body["platform_settings"]["workspace_overrides"] = json!({
        "webhooks": {
            "post_call_webhook_id": webhook_id,
            "events": POST_CALL_EVENTS,
            "transcript_format": "json",
        },
    });
    body
}

/// The agent's own first message: the greeting with the AI disclosure (each call replaces it
/// with one that may also greet the caller by name and ask for recording consent).
pub fn first_message(profile: &AgentProfile) -> String {
    greeting::first_message(Opening {
        greeting: profile.greeting.as_deref(),
        business_name: &profile.business_name,
        caller_name: None,
        ask_recording_consent: false,
    })
}

/// ElevenLabs' language code: lower case (`pt-BR` is `pt-br`).
pub fn elevenlabs_language(tag: &str) -> String {
    tag.to_ascii_lowercase()
}

/// The system prompt: who the agent is (an AI, and it says so), how it books, and what the
/// business told it. The prompt reads the call's dynamic variables (`{{today}}`,
/// `{{timezone}}`, `{{caller_name}}`), which the bridge sends on every call.
pub fn prompt(profile: &AgentProfile) -> String {
    let business = profile.business_name.trim();
    let mut prompt = format!(
        "You are {agent}, the receptionist of {business} on the phone. You are an AI assistant: \
         say so whenever a caller asks whether they are talking to a person, and never claim \
         to be human.\n\
         Today is {{{{today}}}} in the time zone {{{{timezone}}}}. The caller's name, if the \
         business knows it: {{{{caller_name}}}}.\n\
         Find meeting types, open times and bookings only with your tools, and never promise a \
         time a tool has not confirmed. When the caller wants to speak to a person, use \
         transfer_call. When the conversation is over, say goodbye, then use end_call.",
        agent = profile.agent_name.trim(),
    );
    if let Some(context) = profile
        .business_context
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        prompt.push_str("\n\nAbout the business:\n");
        prompt.push_str(&without_variables(context));
    }
    prompt
}

/// The business's own text with `{{` and `}}` broken apart, so ElevenLabs never reads a
/// dynamic variable in it (a variable the bridge does not send refuses the call).
fn without_variables(text: &str) -> String {
    text.replace("{{", "{ {").replace("}}", "} }")
}

/// What `agent` held at each place `patch` writes: the PATCH that undoes `patch`. A place the
/// agent did not have is left out (ElevenLabs keeps the value the patch wrote there).
pub fn restoring_patch(agent: &Value, patch: &Value) -> Value {
    match (agent, patch) {
        (Value::Object(held), Value::Object(written)) => {
            let mut restored = Map::new();
            for (key, written_value) in written {
                let Some(held_value) = held.get(key).filter(|v| !v.is_null()) else {
                    continue;
                };
                let value = if written_value.is_object() && held_value.is_object() {
                    restoring_patch(held_value, written_value)
                } else {
                    held_value.clone()
                };
                if !matches!(&value, Value::Object(map) if map.is_empty()) {
                    restored.insert(key.clone(), value);
                }
            }
            Value::Object(restored)
        }
        (held, _) => held.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> AgentProfile {
        AgentProfile {
            business_name: "Harbor Dental".into(),
            agent_name: "Ava".into(),
            greeting: Some("Hello, Harbor Dental, Ava speaking. How can I help?".into()),
            business_context: Some("Open weekdays. Ask for {{insurance}}.".into()),
            voice_id: Some("21m00Tcm4TlvDq8ikWAM".into()),
            language: "pt-BR".into(),
        }
    }

    fn settings() -> AgentSettings {
        AgentSettings {
            bursting: false,
            record_voice: false,
            retention_days: 30,
            max_duration_secs: 3600,
        }
    }

    fn tool_ids() -> Vec<String> {
        vec!["tool_a".into(), "tool_b".into()]
    }

    #[test]
    fn the_agent_speaks_mu_law_both_ways_and_reads_every_event_the_bridge_needs() {
        let body = agent_body(&profile(), settings(), &tool_ids(), &tags("acc-1", "sb-run-1"));
        let config = &body["conversation_config"];
        assert_eq!(config["asr"]["user_input_audio_format"], "ulaw_8000");
        assert_eq!(config["tts"]["agent_output_audio_format"], "ulaw_8000");
        let events = config["conversation"]["client_events"].as_array().unwrap();
        assert!(events.contains(&json!("client_tool_call")));
        assert!(events.contains(&json!("audio")));
        assert_eq!(config["conversation"]["max_duration_seconds"], 3600);
        assert_eq!(config["agent"]["prompt"]["tool_ids"], json!(["tool_a", "tool_b"]));
        assert_eq!(config["tts"]["voice_id"], "21m00Tcm4TlvDq8ikWAM");
        assert_eq!(config["agent"]["language"], "pt-br");
        assert_eq!(config["tts"]["model_id"], MULTILINGUAL_TTS_MODEL);
        assert_eq!(body["name"], "Harbor Dental / Ava");
        assert_eq!(body["tags"], json!(["switchboard", "account:acc-1", "sb-run-1"]));
    }

    #[test]
    fn the_agent_reports_its_transcripts_to_the_kept_workspace_webhook() {
        let body = agent_body(&profile(), settings(), &tool_ids(), &tags("acc-1", "sb-run-1"));
        assert!(body["platform_settings"].get("workspace_overrides").is_none());
        let body = with_post_call_webhook(body, "wh_123");
        assert_eq!(
            body["platform_settings"]["workspace_overrides"],
            json!({"webhooks": {
                "post_call_webhook_id": "wh_123",
                "events": ["transcript"],
                "transcript_format": "json",
            }})
        );
        assert_eq!(
            body["platform_settings"]["auth"]["enable_auth"], true,
            "the rest of the platform settings stay"
        );
    }

    #[test]
    fn the_first_message_and_the_prompt_disclose_the_ai_and_carry_the_business() {
        let config = conversation_config(&profile(), settings(), &tool_ids());
        assert_eq!(
            config["agent"]["first_message"],
            "Hello, Harbor Dental, Ava speaking. I'm an AI assistant. How can I help?"
        );
        let prompt = config["agent"]["prompt"]["prompt"].as_str().unwrap();
        assert!(prompt.contains("You are an AI assistant"), "{prompt}");
        assert!(
            prompt.contains("You are Ava, the receptionist of Harbor Dental"),
            "{prompt}"
        );
        assert!(
            prompt.contains("{{today}}") && prompt.contains("{{timezone}}"),
            "{prompt}"
        );
        assert!(
            prompt.ends_with("About the business:\nOpen weekdays. Ask for { {insurance} }."),
            "the business's braces are no variable: {prompt}"
        );
        let mut plain = profile();
        plain.greeting = None;
        plain.business_context = None;
        plain.voice_id = None;
        plain.language = "en".into();
        let config = conversation_config(&plain, settings(), &[]);
        assert_eq!(
            config["agent"]["first_message"],
            "Thank you for calling Harbor Dental. I'm an AI assistant. How can I help you today?"
        );
        assert!(
            config["tts"].get("voice_id").is_none(),
            "the agent's voice is kept"
        );
        assert!(
            config["tts"].get("model_id").is_none(),
            "English keeps the default model"
        );
        assert!(
            !config["agent"]["prompt"]["prompt"]
                .as_str()
                .unwrap()
                .contains("About")
        );
    }

    #[test]
    fn only_the_first_message_may_be_overridden_and_the_costly_defaults_are_off() {
        let platform = platform_settings(settings());
        let overrides = &platform["overrides"]["conversation_config_override"];
        assert_eq!(overrides["agent"]["first_message"], true);
        let mut enabled = Vec::new();
        fn walk(path: &str, value: &Value, enabled: &mut Vec<String>) {
            match value {
                Value::Object(map) => map
                    .iter()
                    .for_each(|(k, v)| walk(&format!("{path}.{k}"), v, enabled)),
                Value::Bool(true) => enabled.push(path.to_owned()),
                _ => {}
            }
        }
        walk("", overrides, &mut enabled);
        assert_eq!(enabled, [".agent.first_message"]);
        assert_eq!(platform["call_limits"]["bursting_enabled"], false);
        assert_eq!(platform["privacy"]["record_voice"], false);
        assert_eq!(platform["privacy"]["retention_days"], 30);
        assert_eq!(platform["auth"]["enable_auth"], true);
        let chosen = platform_settings(AgentSettings {
            bursting: true,
            record_voice: true,
            retention_days: -1,
            ..settings()
        });
        assert_eq!(chosen["call_limits"]["bursting_enabled"], true);
        assert_eq!(chosen["privacy"]["record_voice"], true);
        assert_eq!(chosen["privacy"]["retention_days"], -1);
    }

    #[test]
    fn the_restoring_patch_writes_back_what_the_agent_held_where_the_patch_wrote() {
        let agent = json!({
            "name": "Front desk",
            "tags": ["theirs"],
            "conversation_config": {
                "asr": {"user_input_audio_format": "pcm_16000", "quality": "high"},
                "tts": {"agent_output_audio_format": "pcm_16000", "voice_id": "v-old"},
                "agent": {"first_message": "Hi", "language": "en",
                          "prompt": {"prompt": "Be kind", "tool_ids": ["tool_x"], "llm": "gpt"}},
            },
            "platform_settings": {"privacy": {"record_voice": true}},
        });
        let patch = agent_body(&profile(), settings(), &tool_ids(), &tags("acc-1", "sb-1"));
        let restore = restoring_patch(&agent, &patch);
        assert_eq!(
            restore,
            json!({
                "name": "Front desk",
                "tags": ["theirs"],
                "conversation_config": {
                    "asr": {"user_input_audio_format": "pcm_16000"},
                    "tts": {"agent_output_audio_format": "pcm_16000", "voice_id": "v-old"},
                    "agent": {"first_message": "Hi", "language": "en",
                              "prompt": {"prompt": "Be kind", "tool_ids": ["tool_x"]}},
                },
                "platform_settings": {"privacy": {"record_voice": true}},
            })
        );
    }
}
