//! `[[agents]]`: agents listed in the config file, created in the store at start.

use serde::Deserialize;

/// An agent listed in the config file: created in the store at start if its number is new.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    /// The business (account) the agent answers for.
    pub business: String,
    pub name: String,
    /// The Twilio number, E.164.
    pub phone_number: String,
    pub elevenlabs_agent_id: String,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    pub first_message: Option<String>,
    /// `message`, `voicemail` or `dial` (which needs `fallback_number`); any other word is
    /// an error when the file is read, not a silent voicemail.
    #[serde(default = "default_fallback")]
    pub fallback: AgentFallback,
    pub fallback_number: Option<String>,
}

/// What a caller gets when the agent cannot take the call, as the config file spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentFallback {
    /// Say a message and hang up.
    Message,
    /// Record a voicemail.
    Voicemail,
    /// Forward the call to `fallback_number`.
    Dial,
}

fn default_timezone() -> String {
    "UTC".into()
}

fn default_fallback() -> AgentFallback {
    AgentFallback::Voicemail
}
