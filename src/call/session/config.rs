//! Tunables of one call.

use std::time::Duration;

/// Tunables of one call. The defaults suit a production call.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// How long a tool may take before the agent is told it failed. ElevenLabs waits 20 s by
    /// default for a client tool, so this must be shorter for the agent to hear why.
    pub tool_timeout: Duration,
    /// After the call is asked to end, how long the agent must have been quiet (and all its
    /// audio played) before hanging up, so a goodbye that follows `end_call` is not cut off.
    pub hangup_quiet: Duration,
    /// Upper bound on waiting for playback to finish before hanging up anyway.
    pub hangup_max_wait: Duration,
    /// Pause in agent audio after which held-back audio is flushed and a mark is sent.
    pub agent_pause: Duration,
    /// A mark is also sent once this much unmarked audio has been sent.
    pub mark_every: Duration,
    /// Longest call, if limited (plan minutes, policy).
    pub max_duration: Option<Duration>,
    /// How often [`Event::Metered`] reports connected time.
    pub metering_interval: Duration,
    /// Twilio sends `start` right after `connected`; a stream without one is ended.
    pub start_timeout: Duration,
    /// Caller frames kept while the agent's formats are not yet known.
    pub max_held_caller_frames: usize,
    /// Agent messages kept while the Twilio stream has not started.
    pub max_held_agent_messages: usize,
    /// Largest text frame handled from the caller's side; a Twilio media frame is ~300 bytes.
    pub max_caller_frame: usize,
    /// Largest agent text frame handled; a few seconds of 48 kHz PCM is well under this.
    pub max_agent_frame: usize,
    /// Bytes of caller audio (as it came, base64) kept while the agent's formats are not yet
    /// known; the oldest frames go first.
    pub max_held_caller_bytes: usize,
    /// Bytes of agent messages kept while the Twilio stream has not started.
    pub max_held_agent_bytes: usize,
    /// Longest caller media payload handled, in base64 characters. Twilio sends 20 ms of
    /// μ-law per frame (160 bytes, 216 characters); this allows 100 ms.
    pub max_caller_media: usize,
    /// How long an attached agent may take to send `conversation_initiation_metadata`
    /// before the call is given up for the fallback; `None` waits forever.
    pub agent_metadata_timeout: Option<Duration>,
    /// How long an attached agent may send nothing before the call is given up for the
    /// fallback; `None` waits forever. ElevenLabs pings throughout a conversation (the
    /// simulator every 10 s), so a live agent is never silent this long.
    pub agent_inactivity_timeout: Option<Duration>,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            tool_timeout: Duration::from_secs(10),
            hangup_quiet: Duration::from_millis(700),
            hangup_max_wait: Duration::from_secs(15),
            agent_pause: Duration::from_millis(60),
            mark_every: Duration::from_millis(500),
            max_duration: None,
            metering_interval: Duration::from_secs(60),
            start_timeout: Duration::from_secs(10),
            max_held_caller_frames: 250,
            max_held_agent_messages: 4096,
            max_caller_frame: 64 * 1024,
            max_agent_frame: 4 * 1024 * 1024,
            max_held_caller_bytes: 64 * 1024,
            max_held_agent_bytes: 8 * 1024 * 1024,
            max_caller_media: 1068,
            agent_metadata_timeout: Some(Duration::from_secs(10)),
            agent_inactivity_timeout: Some(Duration::from_secs(20)),
        }
    }
}
