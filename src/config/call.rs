//! `[call]`: how each call behaves (its time limits, the agent's deadlines, what a caller
//! hears when no agent can talk, and how many calls this server takes at once).

use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, invalid};

/// The longest `progress_secs` the loader takes. A crash loses what a call ran since its last
/// progress write landed: less than one interval, plus how late the tick fired and how long its
/// write took. 8 s leaves 2 s of those within the promise that a crash loses at most 10 s of a
/// call's minutes; 10 s would break it by any delay at all. The default, 5 s, keeps a wide
/// margin for a busy database at one small batched UPDATE per call every 5 s.
pub const MAX_PROGRESS_SECS: u64 = 8;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CallConfig {
    /// A tool slower than this is answered as failed (the agent then apologises).
    pub tool_timeout_secs: u64,
    /// Longest call; 0 for no limit.
    pub max_call_secs: u64,
    /// How long a pre-warmed agent connection waits for its media stream.
    pub stream_token_ttl_secs: u64,
    /// Bound on the signed-URL request and the agent WebSocket handshake.
    pub upstream_timeout_secs: u64,
    /// Longest a write to Twilio's or the agent's socket may block before that side counts
    /// as gone and the call ends (with the fallback, if it was the agent).
    pub write_timeout_secs: u64,
    /// How often a call's connected time is written to its record while it runs: what a call
    /// can lose if its instance dies. 5 s by default, at most [`MAX_PROGRESS_SECS`] (see there).
    pub progress_secs: u64,
    /// Said before the fallback when the agent cannot continue a call.
    pub apology: String,
    /// Said when a number is not served here.
    pub not_in_service: String,
    /// How long an attached agent may take to announce its conversation
    /// (`conversation_initiation_metadata`) before the caller gets the fallback; 0 waits forever.
    pub agent_metadata_timeout_secs: u64,
    /// How long an agent may send nothing during a call before the caller gets the fallback;
    /// 0 waits forever. ElevenLabs pings throughout a conversation (the simulator every 10 s),
    /// so keep this above twice the ping interval.
    pub agent_inactivity_timeout_secs: u64,
    /// Calls taken at once (streaming, or answered and about to stream); a call beyond them
    /// hears `busy`, then its line's fallback. 0 for no limit. 1,000 is what two cores were
    /// measured to carry (BENCHMARKS.md).
    pub max_calls: usize,
    /// New calls are turned away (`busy`, then the line's fallback) while the server's
    /// scheduler runs more than this many milliseconds late at the median of a second
    /// (`telephony::overload`): past what its cores carry that day, calls in flight keep
    /// running well instead of every call degrading. 0 switches the check off.
    pub overload_lateness_ms: u64,
    /// New calls are turned away the same way while the database takes more than this many
    /// milliseconds for a connection and a round trip, at the median of a second (a probe
    /// asks every 100 ms): what the next call's row and its stream's token would wait. 0
    /// switches the check off.
    pub overload_database_ms: u64,
    /// Said before the line's fallback when every call this server may take is taken.
    pub busy: String,
    /// What a minute of a call costs, in US dollars, for each call's cost estimate (started
    /// minutes times this).
    pub price_per_minute_usd: f64,
}

impl Default for CallConfig {
    fn default() -> Self {
        CallConfig {
            tool_timeout_secs: 10,
            max_call_secs: 3600,
            stream_token_ttl_secs: 30,
            upstream_timeout_secs: 10,
            write_timeout_secs: 5,
            progress_secs: 5,
            apology: "Sorry, our assistant is having trouble right now.".into(),
            not_in_service: "Sorry, this number is not in service. Goodbye.".into(),
            agent_metadata_timeout_secs: 10,
            agent_inactivity_timeout_secs: 20,
            max_calls: 1000,
            overload_lateness_ms: 10,
            overload_database_ms: 250,
            busy: "Sorry, all our lines are busy right now.".into(),
            // ElevenLabs Agents' example rate, about $0.08 a minute (platform-2026.md §4.1),
            // plus Twilio's US local inbound voice list price, $0.0085 a minute (§4 has no
            // Twilio row; twilio.com/en-us/voice/pricing/us).
            price_per_minute_usd: 0.0885,
        }
    }
}

impl CallConfig {
    /// Refuses the settings no call can run well with.
    pub fn check(&self) -> Result<(), ConfigError> {
        if !(self.price_per_minute_usd.is_finite() && self.price_per_minute_usd >= 0.0) {
            return Err(invalid(
                "call.price_per_minute_usd",
                self.price_per_minute_usd.to_string(),
                "must be a price of zero or more US dollars",
            ));
        }
        if self.progress_secs > MAX_PROGRESS_SECS {
            return Err(invalid(
                "call.progress_secs",
                self.progress_secs.to_string(),
                format!(
                    "must be at most {MAX_PROGRESS_SECS} seconds: a call's connected time is written this often, \
                     and a crash may lose up to this much of it (and at most 10 s is allowed)"
                ),
            ));
        }
        Ok(())
    }

    pub fn tool_timeout(&self) -> Duration {
        Duration::from_secs(self.tool_timeout_secs)
    }

    pub fn max_call(&self) -> Option<Duration> {
        (self.max_call_secs > 0).then(|| Duration::from_secs(self.max_call_secs))
    }

    pub fn stream_token_ttl(&self) -> Duration {
        Duration::from_secs(self.stream_token_ttl_secs)
    }

    pub fn upstream_timeout(&self) -> Duration {
        Duration::from_secs(self.upstream_timeout_secs)
    }

    pub fn write_timeout(&self) -> Duration {
        Duration::from_secs(self.write_timeout_secs.max(1))
    }

    pub fn progress_every(&self) -> Duration {
        Duration::from_secs(self.progress_secs.max(1))
    }

    pub fn agent_metadata_timeout(&self) -> Option<Duration> {
        (self.agent_metadata_timeout_secs > 0).then(|| Duration::from_secs(self.agent_metadata_timeout_secs))
    }

    /// The scheduler lateness past which new calls are turned away; `None` when switched off.
    pub fn overload_lateness(&self) -> Option<Duration> {
        (self.overload_lateness_ms > 0).then(|| Duration::from_millis(self.overload_lateness_ms))
    }

    /// The database round trip past which new calls are turned away; `None` when switched off.
    pub fn overload_database(&self) -> Option<Duration> {
        (self.overload_database_ms > 0).then(|| Duration::from_millis(self.overload_database_ms))
    }

    pub fn agent_inactivity_timeout(&self) -> Option<Duration> {
        (self.agent_inactivity_timeout_secs > 0)
            .then(|| Duration::from_secs(self.agent_inactivity_timeout_secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn load(file_text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("call.toml");
        std::fs::write(&path, file_text).unwrap();
        Config::load(Some(&path), |_| None)
    }

    #[test]
    fn progress_is_written_every_five_seconds_by_default_and_never_less_often_than_eight() {
        let default = Config::load(None, |_| None).unwrap();
        assert_eq!(default.call.progress_every(), Duration::from_secs(5));
        let most = load(&format!("[call]\nprogress_secs = {MAX_PROGRESS_SECS}\n")).unwrap();
        assert_eq!(most.call.progress_every(), Duration::from_secs(MAX_PROGRESS_SECS));
        for refused in [MAX_PROGRESS_SECS + 1, 10, 15, 60] {
            let e = load(&format!("[call]\nprogress_secs = {refused}\n")).unwrap_err();
            assert!(
                matches!(
                    e,
                    ConfigError::Invalid {
                        name: "call.progress_secs",
                        ..
                    }
                ),
                "{e}"
            );
            let message = e.to_string();
            assert!(message.contains("call.progress_secs"), "{message}");
            assert!(
                message.contains(&format!("at most {MAX_PROGRESS_SECS} seconds")),
                "{message}"
            );
        }
    }
}
