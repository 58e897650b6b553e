//! `[calendars]`: how hosts' own calendars are read, and the key their passwords are sealed with.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, Secret};

/// The calendar sources' poller and the secrets key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarsConfig {
    /// Take `http://` source URLs to a loopback host, for tests and local development;
    /// otherwise only `https://`. Default off.
    pub allow_http_loopback: bool,
    /// How often each source is fetched, in seconds (at least 30; default 300).
    pub poll_every_secs: u64,
    /// How often the poller looks for due sources, in seconds; 0 runs no poller (a test drives
    /// the rounds itself, or uses "sync now").
    pub check_every_secs: u64,
    /// The longest one request to a calendar may take, in seconds (at least 1).
    pub fetch_timeout_secs: u64,
    /// How many days ahead events are expanded and kept.
    pub horizon_days: u32,
    /// The key calendar passwords are sealed with, 32 bytes in base64
    /// (`SWITCHBOARD_SECRETS_KEY`).
    pub secrets_key: Option<Secret>,
    /// Where the key is kept when `secrets_key` is not set; created (0600) on first use.
    pub secrets_key_file: Option<PathBuf>,
}

impl Default for CalendarsConfig {
    fn default() -> Self {
        CalendarsConfig {
            allow_http_loopback: false,
            poll_every_secs: 300,
            check_every_secs: 15,
            fetch_timeout_secs: 20,
            horizon_days: 120,
            secrets_key: None,
            secrets_key_file: None,
        }
    }
}

impl CalendarsConfig {
    pub fn poll_every(&self) -> Duration {
        Duration::from_secs(self.poll_every_secs.max(30))
    }

    pub fn check_every(&self) -> Option<Duration> {
        (self.check_every_secs > 0).then(|| Duration::from_secs(self.check_every_secs))
    }

    pub fn fetch_timeout(&self) -> Duration {
        Duration::from_secs(self.fetch_timeout_secs.max(1))
    }

    /// The environment over `self` (the file's values).
    pub(super) fn with_env(
        mut self,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<CalendarsConfig, ConfigError> {
        if let Some(key) = env("SWITCHBOARD_SECRETS_KEY").filter(|v| !v.trim().is_empty()) {
            self.secrets_key = Some(Secret(key.trim().to_owned()));
        }
        const LOOPBACK: &str = "SWITCHBOARD_CALENDARS_ALLOW_HTTP_LOOPBACK";
        if let Some(value) = env(LOOPBACK).filter(|v| !v.trim().is_empty()) {
            self.allow_http_loopback = match value.trim() {
                "1" | "true" => true,
                "0" | "false" => false,
                _ => return Err(super::invalid(LOOPBACK, value, "must be true or false")),
            };
        }
        Ok(self)
    }
}
