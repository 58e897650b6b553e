//! What one conversation runs with. An agent made over the REST API brings its own formats,
//! maximum duration, first message (per language, from `language_presets`), client tools
//! (the `tool_ids` attached to it, by name) and the overrides a client may send; any other
//! agent id runs with the sim's own configuration, as it always has. Pure.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::Value;

use super::config::SimAgentConfig;
use super::rest::{AgentRecord, OverrideFlags, ToolConfig, Workspace};
use crate::audio::AudioFormat;

/// The settings of one conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub input: AudioFormat,
    pub output: AudioFormat,
    pub max_duration: Option<Duration>,
    /// Set for agents made over the REST API.
    pub agent: Option<AgentRules>,
}

/// The rules of an agent made over the REST API.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRules {
    pub first_message: String,
    pub language: String,
    /// `language_presets`: a language's `first_message_translation`.
    pub translations: BTreeMap<String, String>,
    /// The names of the client tools attached by `tool_ids`.
    pub client_tools: BTreeSet<String>,
    pub overrides: OverrideFlags,
}

/// A `conversation_config_override` field the agent does not let clients set, by its path
/// (`agent.first_message`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideRefused(pub String);

impl OverrideRefused {
    /// What ElevenLabs says as it closes the socket.
    pub fn message(&self) -> String {
        format!("Override for field '{}' is not allowed by config.", self.0)
    }
}

impl Profile {
    /// The profile of a conversation with `agent_id`.
    pub fn for_agent(config: &SimAgentConfig, workspace: &Workspace, agent_id: &str) -> Profile {
        match workspace.agent(agent_id) {
            Some(record) => Profile::of_record(&record, workspace),
            None => Profile {
                input: config.input_format,
                output: config.output_format,
                max_duration: config.max_duration,
                agent: None,
            },
        }
    }

    fn of_record(record: &AgentRecord, workspace: &Workspace) -> Profile {
        let config = &record.conversation_config;
        let client_tools = config
            .agent
            .prompt
            .tool_ids
            .iter()
            .filter_map(|id| workspace.tool(id))
            .filter_map(|tool| match tool.tool_config {
                ToolConfig::Client(client) => Some(client.name),
                _ => None,
            })
            .collect();
        let translations = config
            .language_presets
            .iter()
            .filter_map(|(language, preset)| {
                let text = preset.first_message_translation.as_ref()?.get("text")?.as_str()?;
                Some((language.clone(), text.to_owned()))
            })
            .collect();
        let seconds = config.conversation.max_duration_seconds;
        Profile {
            input: config.asr.user_input_audio_format.0,
            output: config.tts.agent_output_audio_format.0,
            max_duration: (seconds > 0).then(|| Duration::from_secs(seconds as u64)),
            agent: Some(AgentRules {
                first_message: config.agent.first_message.clone(),
                language: config.agent.language.clone(),
                translations,
                client_tools,
                overrides: record
                    .platform_settings
                    .overrides
                    .conversation_config_override
                    .clone(),
            }),
        }
    }

    /// Applies a client's `conversation_config_override`: refused whole if it sets a field
    /// the agent does not enable; otherwise the first message, language and maximum duration
    /// it sets are used. Agents not made over REST take any override and ignore it.
    pub fn apply_override(&mut self, overrides: &Value) -> Result<(), OverrideRefused> {
        let Some(rules) = &mut self.agent else {
            return Ok(());
        };
        let flags = serde_json::to_value(&rules.overrides).expect("flags serialize to JSON");
        if let Some(field) = first_forbidden(overrides, &flags, "") {
            return Err(OverrideRefused(field));
        }
        let agent = &overrides["agent"];
        if let Some(first_message) = agent["first_message"].as_str() {
            rules.first_message = first_message.to_owned();
            // Said as given, in whatever language.
            rules.translations.clear();
        }
        if let Some(language) = agent["language"].as_str() {
            rules.language = language.to_owned();
        }
        if let Some(seconds) = overrides["conversation"]["max_duration_seconds"].as_u64() {
            self.max_duration = (seconds > 0).then(|| Duration::from_secs(seconds));
        }
        Ok(())
    }
}

impl AgentRules {
    /// What the agent says first, with `{{variables}}` filled in; `None` when it says
    /// nothing and waits for the caller. The conversation's language's translation is used
    /// when the first message was not overridden for this conversation.
    pub fn greeting(&self, variables: &BTreeMap<String, Value>) -> Option<String> {
        let text = self
            .translations
            .get(&self.language)
            .unwrap_or(&self.first_message);
        (!text.is_empty()).then(|| fill_variables(text, variables))
    }
}

/// The path of the first field set in `overrides` whose flag in `flags` is not `true`.
/// A `null` sets nothing.
fn first_forbidden(overrides: &Value, flags: &Value, path: &str) -> Option<String> {
    let Value::Object(fields) = overrides else {
        return None;
    };
    fields.iter().find_map(|(key, value)| {
        let here = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        match (value, &flags[key.as_str()]) {
            (Value::Null, _) | (_, Value::Bool(true)) => None,
            (Value::Object(_), nested @ Value::Object(_)) => first_forbidden(value, nested, &here),
            _ => Some(here),
        }
    })
}

/// `{{name}}` replaced by the variable's value; unknown names are left as written.
fn fill_variables(text: &str, variables: &BTreeMap<String, Value>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(length) = rest[start + 2..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let name = rest[start + 2..start + 2 + length].trim();
        match variables.get(name) {
            Some(Value::String(value)) => out.push_str(value),
            Some(other) => out.push_str(&other.to_string()),
            None => out.push_str(&rest[start..start + 4 + length]),
        }
        rest = &rest[start + 4 + length..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules() -> AgentRules {
        let mut overrides = OverrideFlags::default();
        overrides.agent.first_message = true;
        AgentRules {
            first_message: "Hi, {{business_name}} here. {{ unknown }}".into(),
            language: "en".into(),
            translations: BTreeMap::from([("es".to_owned(), "Hola".to_owned())]),
            client_tools: BTreeSet::from(["end_call".to_owned()]),
            overrides,
        }
    }

    fn profile() -> Profile {
        Profile {
            input: AudioFormat::Ulaw8000,
            output: AudioFormat::Ulaw8000,
            max_duration: None,
            agent: Some(rules()),
        }
    }

    #[test]
    fn only_enabled_fields_may_be_overridden() {
        let mut profile = profile();
        assert_eq!(
            profile.apply_override(&json!({"agent": {"first_message": "Hello", "language": "es"}})),
            Err(OverrideRefused("agent.language".into()))
        );
        assert_eq!(
            profile.apply_override(&json!({"tts": {"voice_id": "v"}})),
            Err(OverrideRefused("tts.voice_id".into()))
        );
        assert_eq!(
            profile.apply_override(&json!({"agent": {"prompt": {"prompt": "x"}}})),
            Err(OverrideRefused("agent.prompt.prompt".into()))
        );
        assert_eq!(
            profile.apply_override(&json!({"agent": {"first_message": "Hello", "language": null}})),
            Ok(())
        );
        assert_eq!(profile.agent.unwrap().first_message, "Hello");
    }

    #[test]
    fn any_override_is_taken_by_an_agent_not_made_over_rest() {
        let mut profile = Profile {
            agent: None,
            ..profile()
        };
        assert_eq!(profile.apply_override(&json!({"tts": {"voice_id": "v"}})), Ok(()));
    }

    #[test]
    fn the_greeting_fills_variables_and_follows_the_language() {
        let mut rules = rules();
        let variables = BTreeMap::from([("business_name".to_owned(), json!("Acme"))]);
        assert_eq!(
            rules.greeting(&variables).as_deref(),
            Some("Hi, Acme here. {{ unknown }}")
        );
        rules.language = "es".into();
        assert_eq!(rules.greeting(&variables).as_deref(), Some("Hola"));
        rules.first_message.clear();
        rules.language = "en".into();
        assert_eq!(
            rules.greeting(&variables),
            None,
            "an empty first message waits for the caller"
        );
    }
}
