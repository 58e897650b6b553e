//! Settings of the simulated agent server: a plain struct, so any front end (the CLI's flags,
//! a test, the demo) can fill it in without pulling in an argument parser.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::audio_clock::AudioClock;
use crate::audio::{AudioFormat, FixtureDir};
use crate::sim::failures::FailurePlan;

/// How the simulated agent answers the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SimMode {
    /// Sends every caller audio chunk straight back as agent audio: for latency measurement.
    Echo,
    /// Holds the scripted booking conversation of the demo business.
    #[default]
    Script,
}

impl FromStr for SimMode {
    type Err = UnknownMode;

    fn from_str(name: &str) -> Result<Self, UnknownMode> {
        match name {
            "echo" => Ok(SimMode::Echo),
            "script" => Ok(SimMode::Script),
            other => Err(UnknownMode(other.to_owned())),
        }
    }
}

impl fmt::Display for SimMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SimMode::Echo => "echo",
            SimMode::Script => "script",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown sim agent mode {0:?}: expected `echo` or `script`")]
pub struct UnknownMode(pub String);

/// Everything `switchboard sim agent` can be told.
#[derive(Debug, Clone)]
pub struct SimAgentConfig {
    pub mode: SimMode,
    /// `user_input_audio_format`: what the caller's `user_audio_chunk`s carry.
    pub input_format: AudioFormat,
    /// `agent_output_audio_format`: what the agent's `audio` events carry.
    pub output_format: AudioFormat,
    /// When set, the agent is private: `get-signed-url` wants this `xi-api-key` and the
    /// conversation socket wants a signature from it. When unset, the agent is public.
    pub api_key: Option<String>,
    /// Where the agent's recorded lines are (`agent/*.wav`); used in script mode.
    pub fixtures: FixtureDir,
    /// How often the server pings; `None` never pings.
    pub ping_interval: Option<Duration>,
    /// How long a signed URL stays usable. ElevenLabs documents 15 minutes.
    pub signed_url_ttl: Duration,
    /// Longest conversation; ElevenLabs' default `max_duration_seconds` is 600.
    pub max_duration: Option<Duration>,
    pub script: ScriptTiming,
    /// Script mode: the caller's first request is for a person; the agent calls
    /// `transfer_call` with this reason (and goes on with the booking if it is refused).
    pub transfer_reason: Option<String>,
    /// With `transfer_reason`: the ElevenLabs agent ids whose conversations ask for a person;
    /// empty for every agent (one stand-in can serve a receptionist and a front desk).
    pub transfer_agents: Vec<String>,
    /// Requests to fail instead of answering (`--fail`); shared, so whoever made the config
    /// can add rules while the server runs.
    pub failures: FailurePlan,
    /// Post-call webhooks with `retry_enabled`: the wait before the first retry, doubled
    /// before each next one.
    pub webhook_retry_after: Duration,
    /// The clock echo mode times caller audio by, to check it against its declared format;
    /// tests move a manual one.
    pub audio_clock: AudioClock,
}

impl SimAgentConfig {
    /// The reason a conversation with `agent_id` asks for a person, if it does.
    pub fn transfer_reason_for(&self, agent_id: &str) -> Option<String> {
        let chosen = self.transfer_agents.is_empty() || self.transfer_agents.iter().any(|id| id == agent_id);
        self.transfer_reason.clone().filter(|_| chosen)
    }
}

impl Default for SimAgentConfig {
    fn default() -> Self {
        SimAgentConfig {
            mode: SimMode::default(),
            input_format: AudioFormat::Ulaw8000,
            output_format: AudioFormat::Ulaw8000,
            api_key: None,
            fixtures: FixtureDir::bundled(),
            ping_interval: Some(Duration::from_secs(10)),
            signed_url_ttl: Duration::from_secs(15 * 60),
            max_duration: Some(Duration::from_secs(600)),
            script: ScriptTiming::default(),
            transfer_reason: None,
            transfer_agents: Vec::new(),
            failures: FailurePlan::default(),
            webhook_retry_after: Duration::from_secs(1),
            audio_clock: AudioClock::default(),
        }
    }
}

/// The timing knobs of script mode. The defaults behave like a live agent; tests shorten
/// them or send audio all at once.
#[derive(Debug, Clone)]
pub struct ScriptTiming {
    /// Audio per `audio` event; rounded to whole 20 ms frames.
    pub chunk: Duration,
    /// How much faster than real time a turn's audio is sent (ElevenLabs streams speech
    /// ahead of playback too). `f64::INFINITY` sends a whole turn at once.
    pub send_speedup: f64,
    /// How long a client tool may take before the agent gives up on it.
    pub tool_timeout: Duration,
    /// After the goodbye has played and `end_call` succeeded, how long the client has to
    /// hang up before the agent closes the conversation itself.
    pub hangup_grace: Duration,
    pub vad: VadConfig,
}

impl Default for ScriptTiming {
    fn default() -> Self {
        ScriptTiming {
            chunk: Duration::from_millis(200),
            // 200 ms of audio every 40 ms: well inside the bridge's 60 ms pause detection,
            // so a turn reaches the caller as one burst.
            send_speedup: 5.0,
            tool_timeout: Duration::from_secs(15),
            hangup_grace: Duration::from_secs(10),
            vad: VadConfig::default(),
        }
    }
}

/// The energy-based voice activity detector that finds the caller's turns (see `vad.rs`).
#[derive(Debug, Clone)]
pub struct VadConfig {
    /// A 20 ms frame whose RMS level is at least this loud (dB relative to full scale) is
    /// speech. The caller fixtures' syllables sit between -35 and -10 dBFS; line noise on a
    /// phone call is usually below -55 dBFS.
    pub threshold_dbfs: f64,
    /// Speech needed before a turn counts (and before it can interrupt the agent).
    pub min_speech: Duration,
    /// Silence that ends a turn. The longest pause inside a caller fixture is 440 ms.
    pub end_silence: Duration,
    /// Wall time without any caller audio, in the middle of a turn, after which the missing
    /// time counts as silence, so a client that stops streaming still ends its turn.
    pub idle_gap: Duration,
}

impl Default for VadConfig {
    fn default() -> Self {
        VadConfig {
            threshold_dbfs: -40.0,
            min_speech: Duration::from_millis(200),
            end_silence: Duration::from_millis(600),
            idle_gap: Duration::from_secs(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_print_their_flag_names() {
        for mode in [SimMode::Echo, SimMode::Script] {
            assert_eq!(mode.to_string().parse::<SimMode>().unwrap(), mode);
        }
        let err = "loud".parse::<SimMode>().unwrap_err();
        assert!(err.to_string().contains("\"loud\""), "{err}");
    }

    #[test]
    fn a_transfer_is_asked_for_by_the_agents_named_or_by_every_agent() {
        let mut config = SimAgentConfig::default();
        assert_eq!(
            config.transfer_reason_for("agent_a"),
            None,
            "no reason, no transfer"
        );
        config.transfer_reason = Some("a person".into());
        assert_eq!(config.transfer_reason_for("agent_a").as_deref(), Some("a person"));
        config.transfer_agents = vec!["agent_b".into()];
        assert_eq!(config.transfer_reason_for("agent_a"), None);
        assert_eq!(config.transfer_reason_for("agent_b").as_deref(), Some("a person"));
    }

    #[test]
    fn defaults_are_a_public_ulaw_agent_that_pings_every_ten_seconds() {
        let config = SimAgentConfig::default();
        assert_eq!(config.mode, SimMode::Script);
        assert_eq!(config.input_format, AudioFormat::Ulaw8000);
        assert_eq!(config.output_format, AudioFormat::Ulaw8000);
        assert!(config.api_key.is_none());
        assert_eq!(config.ping_interval, Some(Duration::from_secs(10)));
        assert_eq!(config.signed_url_ttl, Duration::from_secs(900));
    }
}
