//! Everything a user can configure, in one place: environment variables over an optional TOML
//! file over defaults that let `switchboard demo` run on a fresh machine.
//!
//! | env | TOML | default |
//! |---|---|---|
//! | `SWITCHBOARD_LISTEN` | `listen` | `0.0.0.0:8080` |
//! | `SWITCHBOARD_PUBLIC_URL` | `public_url` | `http://<listen>` (loopback only; Twilio needs https) |
//! | `SWITCHBOARD_DATABASE_URL` | `database_url` | `sqlite://switchboard.db` |
//! | `SWITCHBOARD_DATABASE_CREATE` | `database.create` | `false` (`serve` refuses a missing SQLite file; `--create-database`) |
//! | `SWITCHBOARD_DATABASE_MAX_CONNECTIONS` | `database.max_connections` | `8` |
//! | `SWITCHBOARD_DATABASE_RECORD_CONNECTIONS` | `database.record_connections` | `2` (the call records' own pool; 0 shares) |
//! | `SWITCHBOARD_DATABASE_ACQUIRE_TIMEOUT_SECS` | `database.acquire_timeout_secs` | `10` |
//! | `SWITCHBOARD_DATABASE_CONNECT_TIMEOUT_SECS` | `database.connect_timeout_secs` | `10` |
//! | `SWITCHBOARD_DATABASE_BUSY_TIMEOUT_MS` | `database.busy_timeout_ms` | `5000` (SQLite's wait for the write lock) |
//! | `SWITCHBOARD_DATABASE_MAX_LIFETIME_SECS` | `database.max_lifetime_secs` | `1800` (0: connections live on) |
//! | `SWITCHBOARD_DATABASE_PROBE_INTERVAL_MS` | `database.probe_interval_ms` | `1000` (`/readyz`'s write probe) |
//! | `SWITCHBOARD_AGENT_CACHE_TTL_SECS` | `database.agent_cache_ttl_secs` | `5` (0: no cache) |
//! | `SWITCHBOARD_AGENT_CACHE_CAPACITY` | `database.agent_cache_capacity` | `10000` |
//! | `SWITCHBOARD_TOOL_SECRET` | `tool_secret` | none (HTTP tools disabled) |
//! | `TWILIO_ACCOUNT_SID` | `twilio.account_sid` | none |
//! | `TWILIO_AUTH_TOKEN` | `twilio.auth_token` | none (required by `serve`) |
//! | `TWILIO_API_BASE` | `twilio.api_base` | `https://api.twilio.com` |
//! | `ELEVENLABS_API_KEY` | `elevenlabs.api_key` | none (public agents only) |
//! | `ELEVENLABS_API_BASE` | `elevenlabs.api_base` | `https://api.elevenlabs.io` |
//! | `ELEVENLABS_WEBHOOK_SECRET` | `elevenlabs.webhook_secret` | none (post-call webhooks refused) |
//! | `ELEVENLABS_PROVISION_AGENTS`, … | `elevenlabs.provision_agents`, … | see `elevenlabs` |
//! | `SWITCHBOARD_HTTP_MAX_CONNECTIONS` | `http.max_connections` | 0: from the file-descriptor limit |
//! | `SWITCHBOARD_HTTP_MAX_CONNECTIONS_PER_ADDRESS` | `http.max_connections_per_address` | 0: none (set it when clients connect directly) |
//! | `SWITCHBOARD_HTTP_HEADER_READ_TIMEOUT_SECS` | `http.header_read_timeout_secs` | 10 |
//! | `SWITCHBOARD_HTTP_IDLE_TIMEOUT_SECS` | `http.idle_timeout_secs` | 60 |
//! | `SWITCHBOARD_HTTP_REQUEST_TIMEOUT_SECS` | `http.request_timeout_secs` | 30 |
//! | `SWITCHBOARD_HTTP_TRUSTED_PROXIES` | `http.trusted_proxies` | none (comma-separated addresses or networks whose `X-Forwarded-For` names the client) |
//! | `SWITCHBOARD_MAX_CALLS` | `call.max_calls` | 1000 (0: no limit) |
//! | `SWITCHBOARD_OVERLOAD_LATENESS_MS` | `call.overload_lateness_ms` | 10 (new calls turned away while the scheduler runs later; 0: off) |
//! | `SWITCHBOARD_OVERLOAD_DATABASE_MS` | `call.overload_database_ms` | 250 (new calls turned away while the database answers slower; 0: off) |
//! | `SWITCHBOARD_PRICE_PER_MINUTE_USD` | `call.price_per_minute_usd` | 0.0885 (a call's cost estimate per started minute) |
//! | `SWITCHBOARD_WEBHOOKS_ALLOW_HTTP_LOOPBACK` | `webhooks.allow_http_loopback` | `false` (endpoints must be https; see `webhooks`) |
//! | `SWITCHBOARD_SECRETS_KEY` | `calendars.secrets_key` | none (a key file, `calendars.secrets_key_file` or `switchboard-secrets.key` in the working directory) |
//! | `SWITCHBOARD_CALENDARS_ALLOW_HTTP_LOOPBACK` | `calendars.allow_http_loopback` | `false` (calendar URLs must be https) |
//! | `SWITCHBOARD_SMTP_PASSWORD` | `email.password_file` | none; `[email]` `host` and `from` switch email on (see `email`) |
//!
//! The file is named by `--config` or `SWITCHBOARD_CONFIG`. Agents (until they are managed
//! through the API) are listed in it as `[[agents]]` tables.

use std::net::SocketAddr;
use std::path::Path;

use serde::Deserialize;

mod agents;
mod calendars;
mod call;
mod database;
mod elevenlabs;
mod email;
mod http;
mod webhooks;

pub use agents::{AgentConfig, AgentFallback};
pub use calendars::CalendarsConfig;
pub use call::CallConfig;
pub use database::DatabaseConfig;
pub use elevenlabs::AgentProvisioning;
pub use email::{EmailConfig, SmtpTls};
pub use http::HttpConfig;
pub use webhooks::WebhooksConfig;

/// A secret value: usable, but never printed by `Debug` or `Display`.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "<empty>"
        } else {
            "<redacted>"
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("the config file {path} is not valid TOML: {source}")]
    Parse {
        path: String,
        source: Box<toml::de::Error>,
    },
    #[error("{name} = {value:?} is not valid: {why}")]
    Invalid {
        name: &'static str,
        value: String,
        why: String,
    },
    #[error("{0} must be set")]
    Missing(&'static str),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// How Twilio reaches this server, e.g. `https://bridge.example.com` (no trailing slash).
    /// Twilio signs the URLs it requests under this base, so it must match exactly.
    pub public_url: String,
    pub database_url: String,
    pub tool_secret: Option<Secret>,
    pub twilio: TwilioConfig,
    pub elevenlabs: ElevenLabsConfig,
    pub call: CallConfig,
    pub http: HttpConfig,
    pub database: DatabaseConfig,
    pub agents: Vec<AgentConfig>,
    pub webhooks: WebhooksConfig,
    pub calendars: CalendarsConfig,
    /// `[email]`: the SMTP server for confirmations and notices; off when unconfigured.
    pub email: EmailConfig,
}

#[derive(Debug, Clone)]
pub struct TwilioConfig {
    pub account_sid: Option<String>,
    pub auth_token: Secret,
    pub api_base: String,
}

#[derive(Debug, Clone)]
pub struct ElevenLabsConfig {
    pub api_key: Option<Secret>,
    pub api_base: String,
    /// Whether and how agents are provisioned at ElevenLabs.
    pub provisioning: AgentProvisioning,
    /// The secret of a post-call webhook set up by hand (`ELEVENLABS_WEBHOOK_SECRET`).
    pub webhook_secret: Option<Secret>,
}

/// Per-call behaviour.
pub(crate) fn invalid(name: &'static str, value: String, why: impl std::fmt::Display) -> ConfigError {
    ConfigError::Invalid {
        name,
        value,
        why: why.to_string(),
    }
}

/// The TOML file's shape: every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    public_url: Option<String>,
    database_url: Option<String>,
    tool_secret: Option<Secret>,
    twilio: FileTwilio,
    elevenlabs: FileElevenLabs,
    call: CallConfig,
    http: HttpConfig,
    database: DatabaseConfig,
    agents: Vec<AgentConfig>,
    webhooks: WebhooksConfig,
    calendars: CalendarsConfig,
    email: EmailConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileTwilio {
    account_sid: Option<String>,
    auth_token: Option<Secret>,
    api_base: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileElevenLabs {
    api_key: Option<Secret>,
    api_base: Option<String>,
    provision_agents: Option<bool>,
    bursting: Option<bool>,
    record_voice: Option<bool>,
    retention_days: Option<i32>,
    webhook_secret: Option<Secret>,
    register_webhook: Option<bool>,
    reconcile_every_secs: Option<u64>,
}

impl Config {
    /// Reads the optional file, then the environment (`env` is a lookup so tests need not
    /// touch the process environment).
    pub fn load(file: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let file = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                toml::from_str::<FileConfig>(&text).map_err(|source| ConfigError::Parse {
                    path: path.display().to_string(),
                    source: Box::new(source),
                })?
            }
            None => FileConfig::default(),
        };
        let pick = |name: &str, from_file: Option<String>| env(name).filter(|v| !v.is_empty()).or(from_file);
        // Where a value came from, for its error: the variable, or the file's key.
        let source = |variable: &'static str, key: &'static str| match env(variable) {
            Some(v) if !v.is_empty() => variable,
            _ => key,
        };

        let listen_source = source("SWITCHBOARD_LISTEN", "listen (in the config file)");
        let listen_text = pick("SWITCHBOARD_LISTEN", file.listen).unwrap_or_else(|| "0.0.0.0:8080".into());
        let listen: SocketAddr =
            listen_text
                .parse()
                .map_err(|e: std::net::AddrParseError| ConfigError::Invalid {
                    name: listen_source,
                    value: listen_text.clone(),
                    why: e.to_string(),
                })?;
        let public_url_source = source("SWITCHBOARD_PUBLIC_URL", "public_url (in the config file)");
        let public_url = pick("SWITCHBOARD_PUBLIC_URL", file.public_url)
            .unwrap_or_else(|| format!("http://{listen}"))
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("https://") || public_url.starts_with("http://")) {
            return Err(ConfigError::Invalid {
                name: public_url_source,
                value: public_url,
                why: "must start with https:// (or http:// for local testing)".into(),
            });
        }
        let database_url = pick("SWITCHBOARD_DATABASE_URL", file.database_url)
            .unwrap_or_else(|| "sqlite://switchboard.db".into());
        let mut database = file.database;
        database.override_from(&env)?;
        let tool_secret = env("SWITCHBOARD_TOOL_SECRET")
            .filter(|v| !v.is_empty())
            .map(Secret)
            .or(file.tool_secret);
        let twilio = TwilioConfig {
            account_sid: pick("TWILIO_ACCOUNT_SID", file.twilio.account_sid),
            auth_token: env("TWILIO_AUTH_TOKEN")
                .filter(|v| !v.is_empty())
                .map(Secret)
                .or(file.twilio.auth_token)
                .unwrap_or_default(),
            api_base: pick("TWILIO_API_BASE", file.twilio.api_base)
                .unwrap_or_else(|| "https://api.twilio.com".into())
                .trim_end_matches('/')
                .to_owned(),
        };
        let elevenlabs_key = env("ELEVENLABS_API_KEY")
            .filter(|v| !v.is_empty())
            .map(Secret)
            .or(file.elevenlabs.api_key);
        let provisioning = AgentProvisioning::load(
            elevenlabs::FileProvisioning {
                provision_agents: file.elevenlabs.provision_agents,
                bursting: file.elevenlabs.bursting,
                record_voice: file.elevenlabs.record_voice,
                retention_days: file.elevenlabs.retention_days,
                register_webhook: file.elevenlabs.register_webhook,
                reconcile_every_secs: file.elevenlabs.reconcile_every_secs,
            },
            elevenlabs_key.as_ref().is_some_and(|key| !key.is_empty()),
            &env,
        )?;
        let elevenlabs = ElevenLabsConfig {
            api_key: elevenlabs_key,
            api_base: pick("ELEVENLABS_API_BASE", file.elevenlabs.api_base)
                .unwrap_or_else(|| "https://api.elevenlabs.io".into())
                .trim_end_matches('/')
                .to_owned(),
            provisioning,
            webhook_secret: env("ELEVENLABS_WEBHOOK_SECRET")
                .filter(|secret| !secret.is_empty())
                .map(Secret)
                .or(file.elevenlabs.webhook_secret),
        };
        let http = file.http.with_env(&env)?;
        let webhooks = file.webhooks.with_env(&env)?;
        let calendars = file.calendars.with_env(&env)?;
        let email = file.email.with_env(&env)?;
        let mut call = file.call;
        call.check()?;
        if let Some(text) = env("SWITCHBOARD_MAX_CALLS").filter(|v| !v.is_empty()) {
            call.max_calls = text
                .trim()
                .parse()
                .map_err(|e: std::num::ParseIntError| invalid("SWITCHBOARD_MAX_CALLS", text.clone(), e))?;
        }
        if let Some(text) = env("SWITCHBOARD_OVERLOAD_LATENESS_MS").filter(|v| !v.is_empty()) {
            call.overload_lateness_ms = text.trim().parse().map_err(|e: std::num::ParseIntError| {
                invalid("SWITCHBOARD_OVERLOAD_LATENESS_MS", text.clone(), e)
            })?;
        }
        if let Some(text) = env("SWITCHBOARD_OVERLOAD_DATABASE_MS").filter(|v| !v.is_empty()) {
            call.overload_database_ms = text.trim().parse().map_err(|e: std::num::ParseIntError| {
                invalid("SWITCHBOARD_OVERLOAD_DATABASE_MS", text.clone(), e)
            })?;
        }
        if let Some(text) = env("SWITCHBOARD_PRICE_PER_MINUTE_USD").filter(|v| !v.is_empty()) {
            call.price_per_minute_usd = text.trim().parse().map_err(|e: std::num::ParseFloatError| {
                invalid("SWITCHBOARD_PRICE_PER_MINUTE_USD", text.clone(), e)
            })?;
            call.check()?;
        }
        if let Some(agent) = file
            .agents
            .iter()
            .find(|agent| agent.fallback == AgentFallback::Dial && agent.fallback_number.is_none())
        {
            return Err(ConfigError::Invalid {
                name: "agents.fallback",
                value: "dial".into(),
                why: format!("agent {:?} dials out but has no fallback_number", agent.name),
            });
        }
        if let Some((agent, refused)) = file
            .agents
            .iter()
            .find_map(|agent| crate::timezone::zone(&agent.timezone).err().map(|e| (agent, e)))
        {
            return Err(ConfigError::Invalid {
                name: "agents.timezone",
                value: agent.timezone.clone(),
                why: format!("agent {:?}: {refused}", agent.name),
            });
        }
        Ok(Config {
            listen,
            public_url,
            database_url,
            tool_secret,
            twilio,
            elevenlabs,
            call,
            http,
            database,
            agents: file.agents,
            webhooks,
            calendars,
            email,
        })
    }

    /// Reads the file named by `path` or `SWITCHBOARD_CONFIG`, then the process environment.
    pub fn from_env(path: Option<&Path>) -> Result<Config, ConfigError> {
        let from_env = std::env::var("SWITCHBOARD_CONFIG").ok().filter(|p| !p.is_empty());
        let path = path.map(Path::to_path_buf).or(from_env.map(Into::into));
        Config::load(path.as_deref(), |name| std::env::var(name).ok())
    }

    /// What `serve` cannot run without.
    pub fn check_serve(&self) -> Result<(), ConfigError> {
        if self.twilio.auth_token.is_empty() {
            return Err(ConfigError::Missing(
                "TWILIO_AUTH_TOKEN (or twilio.auth_token in the config file; every Twilio request is signature-checked)",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_run_on_a_fresh_machine() {
        let c = Config::load(None, env(&[])).unwrap();
        assert_eq!(c.listen.to_string(), "0.0.0.0:8080");
        assert_eq!(c.public_url, "http://0.0.0.0:8080");
        assert!(c.database_url.starts_with("sqlite://"));
        assert_eq!(c.elevenlabs.api_base, "https://api.elevenlabs.io");
        assert!(c.check_serve().is_err(), "serve needs the Twilio auth token");
    }

    #[test]
    fn environment_wins_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("switchboard.toml");
        std::fs::write(
            &path,
            r#"
            public_url = "https://file.example/"
            database_url = "postgres://file"
            [twilio]
            auth_token = "from-file"
            [call]
            tool_timeout_secs = 5
            [[agents]]
            business = "Harbor Dental"
            name = "Ava"
            phone_number = "+15550100001"
            elevenlabs_agent_id = "agent_1"
            timezone = "America/New_York"
            "#,
        )
        .unwrap();
        let c = Config::load(
            Some(&path),
            env(&[("SWITCHBOARD_PUBLIC_URL", "https://env.example")]),
        )
        .unwrap();
        assert_eq!(c.public_url, "https://env.example");
        assert_eq!(c.database_url, "postgres://file");
        assert_eq!(c.twilio.auth_token.expose(), "from-file");
        assert_eq!(c.call.tool_timeout(), Duration::from_secs(5));
        assert_eq!(
            c.call.max_call_secs, 3600,
            "unset call fields keep their defaults"
        );
        assert_eq!(c.agents.len(), 1);
        assert_eq!(c.agents[0].fallback, AgentFallback::Voicemail);
        assert!(c.check_serve().is_ok());
    }

    #[test]
    fn agent_deadlines_default_to_ten_and_twenty_seconds_and_zero_turns_them_off() {
        let c = Config::load(None, env(&[])).unwrap();
        assert_eq!(c.call.agent_metadata_timeout(), Some(Duration::from_secs(10)));
        assert_eq!(c.call.agent_inactivity_timeout(), Some(Duration::from_secs(20)));
        let off = CallConfig {
            agent_metadata_timeout_secs: 0,
            agent_inactivity_timeout_secs: 0,
            ..CallConfig::default()
        };
        assert_eq!(
            (off.agent_metadata_timeout(), off.agent_inactivity_timeout()),
            (None, None)
        );
    }

    #[test]
    fn secrets_never_print() {
        let c = Config::load(
            None,
            env(&[
                ("TWILIO_AUTH_TOKEN", "tok-123"),
                ("ELEVENLABS_API_KEY", "xi-456"),
                ("SWITCHBOARD_TOOL_SECRET", "s-789"),
            ]),
        )
        .unwrap();
        let shown = format!("{c:?}");
        for secret in ["tok-123", "xi-456", "s-789"] {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
    }

    #[test]
    fn bad_values_are_named() {
        let e = Config::load(None, env(&[("SWITCHBOARD_LISTEN", "nope")])).unwrap_err();
        assert!(e.to_string().contains("SWITCHBOARD_LISTEN"), "{e}");
        let e = Config::load(None, env(&[("SWITCHBOARD_PUBLIC_URL", "bridge.example")])).unwrap_err();
        assert!(e.to_string().contains("https://"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("listen.toml");
        std::fs::write(&path, "listen = \"nope\"").unwrap();
        let e = Config::load(Some(&path), env(&[])).unwrap_err().to_string();
        assert!(
            e.starts_with("listen (in the config file)"),
            "a file's value is named by its key: {e}"
        );
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "listen = 5\nunknown_key = 1").unwrap();
        assert!(matches!(
            Config::load(Some(&path), env(&[])),
            Err(ConfigError::Parse { .. })
        ));
    }

    #[test]
    fn http_limits_come_from_the_file_and_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("http.toml");
        std::fs::write(&path, "[http]\nmax_connections = 500\nidle_timeout_secs = 20\n").unwrap();
        let c = Config::load(
            Some(&path),
            env(&[("SWITCHBOARD_HTTP_MAX_CONNECTIONS_PER_ADDRESS", "7")]),
        )
        .unwrap();
        assert_eq!(c.http.max_connections, 500);
        assert_eq!(c.http.idle_timeout(), Duration::from_secs(20));
        assert_eq!(c.http.max_connections_per_address, 7);
        assert_eq!(c.http.header_read_timeout(), Duration::from_secs(10));
        let e = Config::load(None, env(&[("SWITCHBOARD_HTTP_HEADER_READ_TIMEOUT_SECS", "ten")])).unwrap_err();
        assert!(
            e.to_string()
                .contains("SWITCHBOARD_HTTP_HEADER_READ_TIMEOUT_SECS"),
            "{e}"
        );
    }

    #[test]
    fn database_settings_come_from_the_file_and_the_environment() {
        let c = Config::load(None, env(&[])).unwrap();
        assert_eq!(c.database, DatabaseConfig::default());
        assert!(
            !c.database.create,
            "a missing database is not created unless asked"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.toml");
        std::fs::write(
            &path,
            "[database]\ncreate = true\nmax_connections = 3\nbusy_timeout_ms = 250\n",
        )
        .unwrap();
        let c = Config::load(
            Some(&path),
            env(&[
                ("SWITCHBOARD_DATABASE_MAX_CONNECTIONS", "12"),
                ("SWITCHBOARD_DATABASE_RECORD_CONNECTIONS", "0"),
                ("SWITCHBOARD_AGENT_CACHE_TTL_SECS", "0"),
            ]),
        )
        .unwrap();
        assert!(c.database.create);
        assert_eq!(c.database.max_connections, 12, "the environment wins");
        assert_eq!(c.database.record_connections, 0);
        assert_eq!(c.database.busy_timeout(), Duration::from_millis(250));
        assert_eq!(c.database.agent_cache_ttl(), Duration::ZERO);
        assert_eq!(c.database.max_lifetime(), Some(Duration::from_secs(1800)));
        let e = Config::load(None, env(&[("SWITCHBOARD_DATABASE_CREATE", "maybe")])).unwrap_err();
        assert!(e.to_string().contains("SWITCHBOARD_DATABASE_CREATE"), "{e}");
        let e = Config::load(None, env(&[("SWITCHBOARD_DATABASE_MAX_CONNECTIONS", "0")])).unwrap_err();
        assert!(e.to_string().contains("max_connections"), "{e}");
    }

    #[test]
    fn the_call_limit_comes_from_the_file_or_the_environment() {
        assert_eq!(Config::load(None, env(&[])).unwrap().call.max_calls, 1000);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("calls.toml");
        std::fs::write(&path, "[call]\nmax_calls = 40\n").unwrap();
        assert_eq!(Config::load(Some(&path), env(&[])).unwrap().call.max_calls, 40);
        let c = Config::load(Some(&path), env(&[("SWITCHBOARD_MAX_CALLS", "0")])).unwrap();
        assert_eq!(c.call.max_calls, 0, "the environment wins; 0 is no limit");
        assert_eq!(
            c.call.overload_lateness(),
            Some(std::time::Duration::from_millis(10))
        );
        let c = Config::load(None, env(&[("SWITCHBOARD_OVERLOAD_LATENESS_MS", "0")])).unwrap();
        assert_eq!(
            c.call.overload_lateness(),
            None,
            "0 switches the overload check off"
        );
        assert_eq!(
            c.call.overload_database(),
            Some(std::time::Duration::from_millis(250))
        );
        let c = Config::load(None, env(&[("SWITCHBOARD_OVERLOAD_DATABASE_MS", "0")])).unwrap();
        assert_eq!(c.call.overload_database(), None);
        let e = Config::load(None, env(&[("SWITCHBOARD_OVERLOAD_LATENESS_MS", "soon")])).unwrap_err();
        assert!(e.to_string().contains("SWITCHBOARD_OVERLOAD_LATENESS_MS"), "{e}");
        let e = Config::load(None, env(&[("SWITCHBOARD_MAX_CALLS", "lots")])).unwrap_err();
        assert!(e.to_string().contains("SWITCHBOARD_MAX_CALLS"), "{e}");
    }

    #[test]
    fn a_fallback_must_be_one_we_know_and_dial_needs_a_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agents.toml");
        let agent = |fallback: &str| {
            format!(
                "[[agents]]\nbusiness = \"B\"\nname = \"Ava\"\nphone_number = \"+15550100001\"\n\
                 elevenlabs_agent_id = \"agent_1\"\n{fallback}\n"
            )
        };
        std::fs::write(&path, agent("fallback = \"voicemial\"")).unwrap();
        let e = Config::load(Some(&path), env(&[])).unwrap_err();
        assert!(matches!(e, ConfigError::Parse { .. }), "a typo is refused: {e}");
        assert!(e.to_string().contains("voicemial"), "{e}");

        std::fs::write(&path, agent("fallback = \"dial\"")).unwrap();
        let e = Config::load(Some(&path), env(&[])).unwrap_err();
        assert!(e.to_string().contains("fallback_number"), "{e}");

        std::fs::write(
            &path,
            agent("fallback = \"dial\"\nfallback_number = \"+15550100002\""),
        )
        .unwrap();
        let c = Config::load(Some(&path), env(&[])).unwrap();
        assert_eq!(c.agents[0].fallback, AgentFallback::Dial);
        std::fs::write(&path, agent("timezone = \"EST\"")).unwrap();
        let e = Config::load(Some(&path), env(&[])).unwrap_err().to_string();
        assert!(
            e.contains("agents.timezone") && e.contains("America/New_York"),
            "the key is named and the likely zone suggested: {e}"
        );
        std::fs::write(&path, agent("fallback = \"message\"")).unwrap();
        assert_eq!(
            Config::load(Some(&path), env(&[])).unwrap().agents[0].fallback,
            AgentFallback::Message
        );
    }
}
