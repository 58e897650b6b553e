//! `[email]`: the SMTP server that sends confirmations, host notices and call summaries.
//!
//! Email is off unless `host` and `from` are set. The password is a secret: from
//! `SWITCHBOARD_SMTP_PASSWORD`, or read from `password_file`; never in the file itself, never
//! printed (`Secret`'s `Debug`).

use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, Secret};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (refused if the server does not offer it);
    /// port 587 by default.
    #[default]
    Starttls,
    /// TLS from the first byte (SMTPS); port 465 by default.
    Tls,
    /// No TLS at all: only to a loopback host, and only with `allow_plain_loopback`.
    None,
}

/// The `[email]` table as written in the file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailConfig {
    /// The SMTP server's host name; email is off without it.
    pub host: Option<String>,
    /// 0: the TLS mode's usual port (587, 465, or 25 for `none`).
    pub port: u16,
    pub tls: SmtpTls,
    /// For SMTP AUTH; none: no authentication.
    pub username: Option<String>,
    /// Read from `SWITCHBOARD_SMTP_PASSWORD` or `password_file`, never from this file.
    #[serde(skip)]
    pub password: Option<Secret>,
    /// A file holding the password (its surrounding whitespace ignored).
    pub password_file: Option<String>,
    /// The sender, e.g. `Bookings <bookings@example.com>`; email is off without it.
    pub from: Option<String>,
    pub reply_to: Option<String>,
    /// Take `tls = "none"` to a loopback host (tests, a local relay). Default off.
    pub allow_plain_loopback: bool,
    /// The longest one SMTP exchange may take, in seconds (at least 1).
    pub timeout_secs: u64,
    /// How often the outbox is looked at when nothing was enqueued, in seconds; 0 runs no
    /// worker (a test drives the rounds itself).
    pub send_every_secs: u64,
}

impl Default for EmailConfig {
    fn default() -> Self {
        EmailConfig {
            host: None,
            port: 0,
            tls: SmtpTls::default(),
            username: None,
            password: None,
            password_file: None,
            from: None,
            reply_to: None,
            allow_plain_loopback: false,
            timeout_secs: 30,
            send_every_secs: 10,
        }
    }
}

/// The password's environment variable.
pub const PASSWORD_VAR: &str = "SWITCHBOARD_SMTP_PASSWORD";

impl EmailConfig {
    /// Whether email is configured (a server and a sender).
    pub fn is_on(&self) -> bool {
        self.host.as_deref().is_some_and(|h| !h.trim().is_empty())
            && self.from.as_deref().is_some_and(|f| !f.trim().is_empty())
    }

    /// The port to connect to.
    pub fn port(&self) -> u16 {
        match (self.port, self.tls) {
            (0, SmtpTls::Starttls) => 587,
            (0, SmtpTls::Tls) => 465,
            (0, SmtpTls::None) => 25,
            (port, _) => port,
        }
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs.max(1))
    }

    /// The worker's interval; `None` when it is off.
    pub fn send_every(&self) -> Option<Duration> {
        (self.send_every_secs > 0).then(|| Duration::from_secs(self.send_every_secs))
    }

    /// The password from the environment (over) or the file, and the table's checks.
    pub(super) fn with_env(
        mut self,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<EmailConfig, ConfigError> {
        self.password = match env(PASSWORD_VAR).filter(|v| !v.is_empty()) {
            Some(password) => Some(Secret::new(password)),
            None => match &self.password_file {
                Some(path) => {
                    let text = std::fs::read_to_string(path).map_err(|e| {
                        super::invalid(
                            "email.password_file",
                            path.clone(),
                            format!("cannot be read: {e}"),
                        )
                    })?;
                    Some(Secret::new(text.trim()))
                }
                None => None,
            },
        };
        if self.is_on() && self.tls == SmtpTls::None {
            let host = self.host.clone().unwrap_or_default();
            if !self.allow_plain_loopback {
                return Err(super::invalid(
                    "email.tls",
                    "none".to_owned(),
                    "a connection without TLS needs email.allow_plain_loopback (tests, a local relay)",
                ));
            }
            if !is_loopback(&host) {
                return Err(super::invalid(
                    "email.host",
                    host,
                    "a connection without TLS is only taken to a loopback host",
                ));
            }
        }
        Ok(self)
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(tls: SmtpTls, host: &str) -> EmailConfig {
        EmailConfig {
            host: Some(host.into()),
            from: Some("bookings@example.com".into()),
            tls,
            ..EmailConfig::default()
        }
    }

    #[test]
    fn email_is_off_without_a_server_and_a_sender() {
        assert!(!EmailConfig::default().is_on());
        assert!(on(SmtpTls::Starttls, "smtp.example.com").is_on());
        let no_sender = EmailConfig {
            from: None,
            ..on(SmtpTls::Tls, "smtp.example.com")
        };
        assert!(!no_sender.is_on());
    }

    #[test]
    fn the_port_follows_the_tls_mode_unless_given() {
        assert_eq!(on(SmtpTls::Starttls, "h").port(), 587);
        assert_eq!(on(SmtpTls::Tls, "h").port(), 465);
        let given = EmailConfig {
            port: 2525,
            ..on(SmtpTls::Tls, "h")
        };
        assert_eq!(given.port(), 2525);
    }

    #[test]
    fn plain_smtp_only_to_loopback_and_only_when_allowed() {
        let none = |_: &str| None;
        assert!(on(SmtpTls::None, "127.0.0.1").with_env(&none).is_err());
        let allowed = |host: &str| EmailConfig {
            allow_plain_loopback: true,
            ..on(SmtpTls::None, host)
        };
        assert!(allowed("127.0.0.1").with_env(&none).is_ok());
        assert!(allowed("localhost").with_env(&none).is_ok());
        assert!(allowed("[::1]").with_env(&none).is_ok());
        let refused = allowed("smtp.example.com").with_env(&none).unwrap_err();
        assert!(refused.to_string().contains("email.host"), "{refused}");
    }

    #[test]
    fn the_password_comes_from_the_environment_or_a_file_and_is_never_shown() {
        let from_env = on(SmtpTls::Tls, "h")
            .with_env(&|name: &str| (name == PASSWORD_VAR).then(|| "hunter2".into()))
            .unwrap();
        assert_eq!(from_env.password.as_ref().unwrap().expose(), "hunter2");
        assert!(!format!("{from_env:?}").contains("hunter2"));

        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "from-file\n").unwrap();
        let from_file = EmailConfig {
            password_file: Some(file.path().display().to_string()),
            ..on(SmtpTls::Tls, "h")
        }
        .with_env(&|_: &str| None)
        .unwrap();
        assert_eq!(from_file.password.unwrap().expose(), "from-file");
    }
}
