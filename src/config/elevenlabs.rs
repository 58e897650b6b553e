//! `[elevenlabs]`: how switchboard provisions the ElevenLabs agents of the agents it manages.
//!
//! | env | TOML | default |
//! |---|---|---|
//! | `ELEVENLABS_PROVISION_AGENTS` | `elevenlabs.provision_agents` | on when an API key is set |
//! | `ELEVENLABS_BURSTING` | `elevenlabs.bursting` | `false` (calls above the plan's concurrency are refused, not billed at twice the rate) |
//! | `ELEVENLABS_RECORD_VOICE` | `elevenlabs.record_voice` | `false` (ElevenLabs keeps no recording of the caller) |
//! | `ELEVENLABS_RETENTION_DAYS` | `elevenlabs.retention_days` | `30` (ElevenLabs deletes a conversation's transcript after it; -1 keeps it) |
//! | `ELEVENLABS_REGISTER_WEBHOOK` | `elevenlabs.register_webhook` | `true` (provisioning creates the workspace webhook for `{public_url}/webhooks/elevenlabs` and every agent reports to it) |
//! | `ELEVENLABS_RECONCILE_EVERY_SECS` | `elevenlabs.reconcile_every_secs` | `180` (with a key: how often post-call reports that never came are fetched; 0 never) |

use serde::Deserialize;

use super::{ConfigError, invalid};

/// What an agent's ElevenLabs configuration takes from the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentProvisioning {
    /// Creating, changing and deleting an agent does the same at ElevenLabs.
    pub provision_agents: bool,
    /// ElevenLabs' burst pricing: calls above the plan's concurrency taken at 2× the price.
    pub bursting: bool,
    /// Whether ElevenLabs records the conversation's audio.
    pub record_voice: bool,
    /// Days ElevenLabs keeps a conversation; -1 forever.
    pub retention_days: i32,
    /// Provisioning registers the workspace webhook post-call reports come to.
    pub register_webhook: bool,
    /// Seconds between the rounds that fetch missing post-call reports; 0 never.
    pub reconcile_every_secs: u64,
}

pub const DEFAULT_RETENTION_DAYS: i32 = 30;
pub const DEFAULT_RECONCILE_EVERY_SECS: u64 = 180;

/// The `[elevenlabs]` keys of the file that belong here.
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct FileProvisioning {
    pub provision_agents: Option<bool>,
    pub bursting: Option<bool>,
    pub record_voice: Option<bool>,
    pub retention_days: Option<i32>,
    pub register_webhook: Option<bool>,
    pub reconcile_every_secs: Option<u64>,
}

impl AgentProvisioning {
    /// The file's values under the environment's; provisioning defaults to on with a key.
    pub(super) fn load(
        file: FileProvisioning,
        has_api_key: bool,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<AgentProvisioning, ConfigError> {
        let value = |name: &'static str| env(name).filter(|v| !v.trim().is_empty()).map(|v| (name, v));
        let flag = |name: &'static str, from_file: Option<bool>| -> Result<Option<bool>, ConfigError> {
            match value(name) {
                Some((name, text)) => match text.trim() {
                    "1" | "true" | "yes" => Ok(Some(true)),
                    "0" | "false" | "no" => Ok(Some(false)),
                    _ => Err(invalid(name, text, "must be true or false")),
                },
                None => Ok(from_file),
            }
        };
        let retention_days = match value("ELEVENLABS_RETENTION_DAYS") {
            Some((name, text)) => text
                .trim()
                .parse()
                .map_err(|e: std::num::ParseIntError| invalid(name, text.clone(), e))?,
            None => file.retention_days.unwrap_or(DEFAULT_RETENTION_DAYS),
        };
        if retention_days < -1 {
            return Err(invalid(
                "elevenlabs.retention_days",
                retention_days.to_string(),
                "must be a number of days, or -1 to keep conversations",
            ));
        }
        let reconcile_every_secs = match value("ELEVENLABS_RECONCILE_EVERY_SECS") {
            Some((name, text)) => text
                .trim()
                .parse()
                .map_err(|e: std::num::ParseIntError| invalid(name, text.clone(), e))?,
            None => file.reconcile_every_secs.unwrap_or(DEFAULT_RECONCILE_EVERY_SECS),
        };
        let provision_agents = flag("ELEVENLABS_PROVISION_AGENTS", file.provision_agents)?;
        if provision_agents == Some(true) && !has_api_key {
            return Err(invalid(
                "elevenlabs.provision_agents",
                "true".into(),
                "provisioning agents needs ELEVENLABS_API_KEY (or elevenlabs.api_key in the config file)",
            ));
        }
        Ok(AgentProvisioning {
            provision_agents: provision_agents.unwrap_or(has_api_key),
            bursting: flag("ELEVENLABS_BURSTING", file.bursting)?.unwrap_or(false),
            record_voice: flag("ELEVENLABS_RECORD_VOICE", file.record_voice)?.unwrap_or(false),
            retention_days,
            register_webhook: flag("ELEVENLABS_REGISTER_WEBHOOK", file.register_webhook)?.unwrap_or(true),
            reconcile_every_secs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn provisioning_is_on_with_a_key_and_the_costly_choices_are_off() {
        let with_key = AgentProvisioning::load(FileProvisioning::default(), true, &none).unwrap();
        assert_eq!(
            with_key,
            AgentProvisioning {
                provision_agents: true,
                bursting: false,
                record_voice: false,
                retention_days: DEFAULT_RETENTION_DAYS,
                register_webhook: true,
                reconcile_every_secs: DEFAULT_RECONCILE_EVERY_SECS,
            }
        );
        let without = AgentProvisioning::load(FileProvisioning::default(), false, &none).unwrap();
        assert!(!without.provision_agents);
        let asked = FileProvisioning {
            provision_agents: Some(true),
            ..FileProvisioning::default()
        };
        let e = AgentProvisioning::load(asked, false, &none).unwrap_err();
        assert!(
            e.to_string().contains("ELEVENLABS_API_KEY"),
            "asked for without a key: {e}"
        );
    }

    #[test]
    fn the_environment_wins_and_bad_values_are_named() {
        let file = FileProvisioning {
            provision_agents: Some(true),
            bursting: Some(true),
            record_voice: None,
            retention_days: Some(7),
            register_webhook: Some(false),
            reconcile_every_secs: None,
        };
        let env = |name: &str| match name {
            "ELEVENLABS_PROVISION_AGENTS" => Some("false".to_owned()),
            "ELEVENLABS_RETENTION_DAYS" => Some("-1".to_owned()),
            "ELEVENLABS_RECONCILE_EVERY_SECS" => Some("60".to_owned()),
            _ => None,
        };
        let loaded = AgentProvisioning::load(file.clone(), true, &env).unwrap();
        assert!(!loaded.register_webhook, "the file's choice stays");
        assert_eq!(loaded.reconcile_every_secs, 60);
        assert!(!loaded.provision_agents);
        assert!(loaded.bursting, "the file's value stays");
        assert_eq!(loaded.retention_days, -1);
        let bad = |name: &'static str, value: &'static str| {
            move |asked: &str| (asked == name).then(|| value.to_owned())
        };
        let e =
            AgentProvisioning::load(file.clone(), true, &bad("ELEVENLABS_BURSTING", "maybe")).unwrap_err();
        assert!(e.to_string().contains("ELEVENLABS_BURSTING"), "{e}");
        let e = AgentProvisioning::load(
            file.clone(),
            true,
            &bad("ELEVENLABS_RECONCILE_EVERY_SECS", "soon"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("ELEVENLABS_RECONCILE_EVERY_SECS"), "{e}");
        let e = AgentProvisioning::load(file, true, &bad("ELEVENLABS_RETENTION_DAYS", "-5")).unwrap_err();
        assert!(e.to_string().contains("retention_days"), "{e}");
    }
}
