//! `[database]`: the pools, their timeouts, the readiness probe and the agent cache.

use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, invalid};

/// The database's pools, timeouts and the agent cache (`[database]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// Create a missing SQLite file (`serve --create-database` sets it too).
    pub create: bool,
    /// The main pool: webhooks, streams, tools.
    pub max_connections: u32,
    /// The call records' own pool, so their writes never hold the call path's connections;
    /// 0 shares the main pool.
    pub record_connections: u32,
    /// How long a query waits for a free pooled connection.
    pub acquire_timeout_secs: u64,
    /// How long opening the database (at start, and for the readiness probe) may take.
    pub connect_timeout_secs: u64,
    /// How long a SQLite statement waits for another connection's write lock.
    pub busy_timeout_ms: u64,
    /// Pooled connections are replaced at this age; 0 keeps them.
    pub max_lifetime_secs: u64,
    /// `/readyz` writes to the database at most once per interval.
    pub probe_interval_ms: u64,
    /// How long an agent lookup is reused (changes made through this instance are seen at
    /// once); 0 turns the cache off.
    pub agent_cache_ttl_secs: u64,
    /// The most agent lookups kept.
    pub agent_cache_capacity: usize,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            create: false,
            max_connections: 8,
            record_connections: 2,
            acquire_timeout_secs: 10,
            connect_timeout_secs: 10,
            busy_timeout_ms: 5000,
            max_lifetime_secs: 1800,
            probe_interval_ms: 1000,
            agent_cache_ttl_secs: 5,
            agent_cache_capacity: 10_000,
        }
    }
}

impl DatabaseConfig {
    /// The `SWITCHBOARD_DATABASE_*` and `SWITCHBOARD_AGENT_CACHE_*` variables over the file.
    pub(super) fn override_from(&mut self, env: &impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let value = |name: &'static str| env(name).filter(|v| !v.is_empty()).map(|v| (name, v));
        if let Some((name, text)) = value("SWITCHBOARD_DATABASE_CREATE") {
            self.create = match text.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" => false,
                _ => return Err(invalid(name, text, "must be true or false")),
            };
        }
        for (name, field) in [
            ("SWITCHBOARD_DATABASE_MAX_CONNECTIONS", &mut self.max_connections),
            (
                "SWITCHBOARD_DATABASE_RECORD_CONNECTIONS",
                &mut self.record_connections,
            ),
        ] {
            if let Some((name, text)) = value(name) {
                *field = text.parse().map_err(|e| invalid(name, text, e))?;
            }
        }
        for (name, field) in [
            (
                "SWITCHBOARD_DATABASE_ACQUIRE_TIMEOUT_SECS",
                &mut self.acquire_timeout_secs,
            ),
            (
                "SWITCHBOARD_DATABASE_CONNECT_TIMEOUT_SECS",
                &mut self.connect_timeout_secs,
            ),
            ("SWITCHBOARD_DATABASE_BUSY_TIMEOUT_MS", &mut self.busy_timeout_ms),
            (
                "SWITCHBOARD_DATABASE_MAX_LIFETIME_SECS",
                &mut self.max_lifetime_secs,
            ),
            (
                "SWITCHBOARD_DATABASE_PROBE_INTERVAL_MS",
                &mut self.probe_interval_ms,
            ),
            ("SWITCHBOARD_AGENT_CACHE_TTL_SECS", &mut self.agent_cache_ttl_secs),
        ] {
            if let Some((name, text)) = value(name) {
                *field = text.parse().map_err(|e| invalid(name, text, e))?;
            }
        }
        if let Some((name, text)) = value("SWITCHBOARD_AGENT_CACHE_CAPACITY") {
            self.agent_cache_capacity = text.parse().map_err(|e| invalid(name, text, e))?;
        }
        if self.max_connections == 0 {
            return Err(invalid(
                "database.max_connections",
                "0".into(),
                "the pool needs a connection",
            ));
        }
        Ok(())
    }

    pub fn acquire_timeout(&self) -> Duration {
        Duration::from_secs(self.acquire_timeout_secs.max(1))
    }

    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs.max(1))
    }

    pub fn busy_timeout(&self) -> Duration {
        Duration::from_millis(self.busy_timeout_ms)
    }

    pub fn max_lifetime(&self) -> Option<Duration> {
        (self.max_lifetime_secs > 0).then(|| Duration::from_secs(self.max_lifetime_secs))
    }

    pub fn probe_interval(&self) -> Duration {
        Duration::from_millis(self.probe_interval_ms)
    }

    pub fn agent_cache_ttl(&self) -> Duration {
        Duration::from_secs(self.agent_cache_ttl_secs)
    }
}
