//! `[webhooks]`: the outgoing webhooks' delivery settings.

use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;

/// How deliveries are made, and which endpoint URLs are taken.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    /// Take `http://` endpoint URLs to a loopback host (127.0.0.0/8, ::1, `localhost`), for
    /// tests and local development; otherwise only `https://`. Default off.
    pub allow_http_loopback: bool,
    /// The longest one delivery request may take, in seconds (at least 1).
    pub timeout_secs: u64,
    /// How often the delivery worker looks for due retries when nothing was enqueued, in
    /// seconds; 0 runs no worker (a test drives the rounds itself).
    pub deliver_every_secs: u64,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        WebhooksConfig {
            allow_http_loopback: false,
            timeout_secs: 10,
            deliver_every_secs: 10,
        }
    }
}

impl WebhooksConfig {
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs.max(1))
    }

    /// The worker's interval; `None` when it is off.
    pub fn deliver_every(&self) -> Option<Duration> {
        (self.deliver_every_secs > 0).then(|| Duration::from_secs(self.deliver_every_secs))
    }

    /// `SWITCHBOARD_WEBHOOKS_ALLOW_HTTP_LOOPBACK` over `self` (the file's values).
    pub(super) fn with_env(
        mut self,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<WebhooksConfig, ConfigError> {
        const NAME: &str = "SWITCHBOARD_WEBHOOKS_ALLOW_HTTP_LOOPBACK";
        if let Some(value) = env(NAME).filter(|v| !v.trim().is_empty()) {
            self.allow_http_loopback = match value.trim() {
                "1" | "true" => true,
                "0" | "false" => false,
                _ => return Err(super::invalid(NAME, value, "must be true or false")),
            };
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_http_is_off_unless_asked_for() {
        assert!(!WebhooksConfig::default().allow_http_loopback);
        let on = WebhooksConfig::default()
            .with_env(&|name: &str| {
                (name == "SWITCHBOARD_WEBHOOKS_ALLOW_HTTP_LOOPBACK").then(|| "true".into())
            })
            .unwrap();
        assert!(on.allow_http_loopback);
        assert!(
            WebhooksConfig::default()
                .with_env(&|_: &str| Some("yes".into()))
                .is_err()
        );
    }
}
