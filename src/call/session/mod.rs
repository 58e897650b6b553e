//! The call session: everything one call does, as a state machine with no IO.
//!
//! A [`Session`] is fed what arrives (a Twilio frame, an agent frame, a tool outcome, the
//! passing of time) with the current instant as an argument, and queues what should happen:
//! frames to send each way ([`Transmit`]) and events for the driver ([`Event`]). It never
//! touches a socket, a clock or a database, so a whole call can be driven in a test faster
//! than real time. (The shape follows str0m's `Rtc` and quinn-proto's `Connection`: input and
//! time in, transmits and events out, `poll_timeout` for the next deadline.)
//!
//! The relay itself is in [`Session::on_twilio`] and [`Session::on_agent`]; with `ulaw_8000`
//! on both agent legs the audio is never decoded beyond a base64 check, and each frame costs
//! one allocation: the outgoing message.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use base64::Engine;

use crate::audio::{AudioFormat, Transcoder};
use crate::wire::elevenlabs::{self, AgentMessage, ClientMessage};
use crate::wire::twilio::{self, StreamMessage, StreamWriter};

use super::event::{BadInput, EndReason, Event, SessionStats, Transmit};
use super::playback::{MarkEcho, Playback};
use super::tools::{ToolCall, ToolOutcome};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

mod agent;
mod caller;
mod config;
mod tool_calls;

pub use config::SessionConfig;

/// One frame as it came off a WebSocket.
#[derive(Debug, Clone, Copy)]
pub enum Frame<'a> {
    Text(&'a str),
    Binary(&'a [u8]),
}

/// What a frame turned into, for the driver's latency measurements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relayed {
    /// No audio was relayed.
    Nothing,
    /// Audio was queued for the other side.
    Audio,
    /// A barge-in: a `clear` was queued for Twilio.
    Clear,
}

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    AwaitingStart,
    Live,
    /// Waiting for the agent's last words to play before hanging up. `agent_may_speak` is set
    /// when the agent asked to end (its goodbye may still be on the way).
    Ending {
        since: Instant,
        reason: EndReason,
        agent_may_speak: bool,
    },
    Ended,
}

struct Stream {
    stream_sid: String,
    writer: StreamWriter,
}

struct Agent {
    transcoder: Option<Transcoder>,
    passthrough: bool,
    /// Agent audio with an `event_id` at or below this belongs to an interrupted turn.
    interrupted_up_to: Option<u64>,
    last_audio_at: Option<Instant>,
    /// Audio was sent since the last pause was handled (flush + mark due at the next pause).
    burst_open: bool,
    /// The agent's socket has closed.
    closed: bool,
}

struct PendingTool {
    id: String,
    name: String,
    started: Instant,
    deadline: Instant,
}

/// The state machine of one call. See the module documentation.
pub struct Session {
    config: SessionConfig,
    phase: Phase,
    created_at: Instant,
    started_at: Option<Instant>,
    stream: Option<Stream>,
    agent: Agent,
    playback: Playback,
    tools: Vec<PendingTool>,
    held_caller: VecDeque<String>,
    held_agent: VecDeque<String>,
    next_meter_at: Option<Instant>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    stats: SessionStats,
    reported: u32,
    /// Decoded audio of the frame in hand; reused so a frame costs no allocation here.
    scratch: Vec<u8>,
    /// Converted audio of the frame in hand.
    converted: Vec<u8>,
}

impl Session {
    pub fn new(config: SessionConfig, now: Instant) -> Self {
        Session {
            config,
            phase: Phase::AwaitingStart,
            created_at: now,
            started_at: None,
            stream: None,
            agent: Agent {
                transcoder: None,
                passthrough: false,
                interrupted_up_to: None,
                last_audio_at: None,
                burst_open: false,
                closed: false,
            },
            playback: Playback::default(),
            tools: Vec::new(),
            held_caller: VecDeque::new(),
            held_agent: VecDeque::new(),
            next_meter_at: None,
            transmits: VecDeque::with_capacity(8),
            events: VecDeque::with_capacity(4),
            stats: SessionStats::default(),
            reported: 0,
            scratch: Vec::with_capacity(4096),
            converted: Vec::with_capacity(4096),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Inputs
    // -----------------------------------------------------------------------------------------

    /// A frame from Twilio's media stream.
    pub fn on_twilio(&mut self, now: Instant, frame: Frame<'_>) -> Relayed {
        if self.phase == Phase::Ended {
            return Relayed::Nothing;
        }
        let text = match frame {
            Frame::Text(text) if text.len() > self.config.max_twilio_frame => {
                self.bad(BadInput::TwilioOversized, || format!("{} bytes", text.len()));
                return Relayed::Nothing;
            }
            Frame::Text(text) => text,
            Frame::Binary(bytes) => {
                self.bad(BadInput::TwilioBinary, || format!("{} bytes", bytes.len()));
                return Relayed::Nothing;
            }
        };
        let message = match StreamMessage::parse(text) {
            Ok(message) => message,
            Err(e) => {
                self.bad(BadInput::TwilioMalformed, || e.to_string());
                return Relayed::Nothing;
            }
        };
        if let Some(sid) = message.stream_sid()
            && let Some(stream) = &self.stream
            && sid != stream.stream_sid
        {
            self.bad(BadInput::WrongStreamSid, || {
                format!("{} on a `{}`", sid, message.event_name())
            });
            return Relayed::Nothing;
        }
        match message {
            StreamMessage::Connected { .. } => Relayed::Nothing,
            StreamMessage::Start {
                start, stream_sid, ..
            } => {
                self.on_start(now, start, stream_sid.into_owned());
                Relayed::Nothing
            }
            StreamMessage::Media { media, .. } => {
                if self.stream.is_none() {
                    self.bad(BadInput::MediaBeforeStart, || "media".into());
                    return Relayed::Nothing;
                }
                self.caller_audio(&media.payload)
            }
            StreamMessage::Dtmf { dtmf, .. } => {
                if self.stream.is_none() {
                    self.bad(BadInput::MediaBeforeStart, || "dtmf".into());
                } else {
                    self.caller_digit(&dtmf.digit);
                }
                Relayed::Nothing
            }
            StreamMessage::Mark { mark, .. } => {
                if self.playback.on_echo(&mark.name) == MarkEcho::Played {
                    self.stats.heard_ms = self.playback.played_ms();
                }
                self.check_ending(now);
                Relayed::Nothing
            }
            StreamMessage::Stop { .. } => {
                self.finish(now, EndReason::CallerHungUp);
                Relayed::Nothing
            }
            StreamMessage::Clear { .. } => {
                // Only we send `clear`; from Twilio it is meaningless.
                self.bad(BadInput::TwilioUnknownEvent, || "clear".into());
                Relayed::Nothing
            }
            StreamMessage::Unknown(event) => {
                self.bad(BadInput::TwilioUnknownEvent, move || event.into_owned());
                Relayed::Nothing
            }
        }
    }

    /// A frame from the agent's WebSocket.
    pub fn on_agent(&mut self, now: Instant, frame: Frame<'_>) -> Relayed {
        if self.phase == Phase::Ended {
            return Relayed::Nothing;
        }
        let text = match frame {
            Frame::Text(text) if text.len() > self.config.max_agent_frame => {
                self.bad(BadInput::AgentOversized, || format!("{} bytes", text.len()));
                return Relayed::Nothing;
            }
            Frame::Text(text) => text,
            Frame::Binary(bytes) => {
                self.bad(BadInput::AgentBinary, || format!("{} bytes", bytes.len()));
                return Relayed::Nothing;
            }
        };
        if self.stream.is_none() {
            // Pre-warmed audio (the greeting) can arrive before Twilio's `start`: hold it.
            if self.held_agent.len() >= self.config.max_held_agent_messages {
                self.bad(BadInput::HoldOverflow, || "agent message before start".into());
            } else {
                self.held_agent.push_back(text.to_owned());
            }
            return Relayed::Nothing;
        }
        self.agent_text(now, text)
    }

    /// The outcome of a tool the driver ran for an [`Event::ToolCall`].
    pub fn on_tool_result(&mut self, now: Instant, id: &str, outcome: ToolOutcome) {
        let Some(index) = self.tools.iter().position(|t| t.id == id) else {
            self.bad(BadInput::LateToolResult, || id.to_owned());
            return;
        };
        let pending = self.tools.swap_remove(index);
        self.answer_tool(now, pending, &outcome.result, outcome.is_error, false);
        if outcome.end_call {
            self.begin_ending(now, EndReason::AgentEnded);
        }
    }

    /// Twilio's socket closed (with or without a `stop` first).
    pub fn on_twilio_closed(&mut self, now: Instant) {
        self.finish(now, EndReason::CallerHungUp);
    }

    /// The agent's socket closed. A normal close (1000) ends the call once the agent's last
    /// words are played; anything else is a failure and leads to the fallback.
    pub fn on_agent_closed(&mut self, now: Instant, code: Option<u16>, reason: &str) {
        let end = match code {
            Some(1000) => EndReason::AgentEnded,
            _ => EndReason::UpstreamFailed {
                code,
                reason: reason.to_owned(),
            },
        };
        // Nothing more will come from the agent, so there is no pause to wait for.
        self.agent.last_audio_at = None;
        self.agent.closed = true;
        self.end_agent_burst_if_paused(now);
        self.begin_ending(now, end);
    }

    /// Ends the call on the server's initiative (shutdown, policy, a refused stream).
    pub fn hang_up(&mut self, now: Instant, reason: EndReason) {
        self.begin_ending(now, reason);
    }

    /// Time passed. Call at [`Session::poll_timeout`] (calling more often is harmless).
    pub fn on_tick(&mut self, now: Instant) {
        if self.phase == Phase::Ended {
            return;
        }
        if self.phase == Phase::AwaitingStart && now >= self.created_at + self.config.start_timeout {
            self.finish(now, EndReason::NoStart);
            return;
        }
        self.end_agent_burst_if_paused(now);
        self.expire_tools(now);
        if let Some(at) = self.next_meter_at
            && now >= at
        {
            let seconds = self.connected_for(now).as_secs();
            self.events.push_back(Event::Metered { seconds });
            // One event covers any intervals a late tick missed (it carries the running
            // total), and the next falls after `now`, so no deadline is left in the past.
            let interval = self.config.metering_interval.max(Duration::from_millis(1));
            let missed = (now - at).as_nanos() / interval.as_nanos();
            let missed = u32::try_from(missed).unwrap_or(u32::MAX - 1);
            self.next_meter_at = at.checked_add(interval * (missed + 1));
        }
        if let (Some(max), Some(started)) = (self.config.max_duration, self.started_at)
            && now >= started + max
        {
            self.begin_ending(now, EndReason::TimeLimit);
        }
        self.check_ending(now);
    }

    // -----------------------------------------------------------------------------------------
    // Outputs
    // -----------------------------------------------------------------------------------------

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next instant at which [`Session::on_tick`] has something to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.phase == Phase::Ended {
            return None;
        }
        let mut next: Option<Instant> = None;
        let mut consider = |t: Instant| next = Some(next.map_or(t, |n| n.min(t)));
        if self.phase == Phase::AwaitingStart {
            consider(self.created_at + self.config.start_timeout);
        }
        if self.agent.burst_open
            && let Some(last) = self.agent.last_audio_at
        {
            consider(last + self.config.agent_pause);
        }
        for tool in &self.tools {
            consider(tool.deadline);
        }
        if let Some(at) = self.next_meter_at {
            consider(at);
        }
        if let (Some(max), Some(started), Phase::Live) =
            (self.config.max_duration, self.started_at, &self.phase)
        {
            consider(started + max);
        }
        if let Phase::Ending { since, .. } = &self.phase {
            consider(*since + self.config.hangup_max_wait);
            // While audio is still playing, the next step comes from a mark echo, not time.
            if self.playback.is_idle()
                && !self.agent.burst_open
                && let Some(at) = self.quiet_deadline()
            {
                consider(at);
            }
        }
        next
    }

    pub fn is_ended(&self) -> bool {
        self.phase == Phase::Ended
    }

    pub fn stats(&self) -> &SessionStats {
        &self.stats
    }

    pub fn stream_sid(&self) -> Option<&str> {
        self.stream.as_ref().map(|s| s.stream_sid.as_str())
    }

    // -----------------------------------------------------------------------------------------
    // Ending
    // -----------------------------------------------------------------------------------------

    fn begin_ending(&mut self, now: Instant, reason: EndReason) {
        match self.phase {
            Phase::Live => {
                let agent_may_speak = reason == EndReason::AgentEnded && !self.agent.closed;
                self.phase = Phase::Ending {
                    since: now,
                    reason,
                    agent_may_speak,
                };
                self.check_ending(now);
            }
            // Nothing was ever played; there is nothing to wait for.
            Phase::AwaitingStart => self.finish(now, reason),
            Phase::Ending { .. } | Phase::Ended => {}
        }
    }

    fn check_ending(&mut self, now: Instant) {
        let Phase::Ending { since, reason, .. } = &self.phase else {
            return;
        };
        let quiet = self.quiet_deadline().is_none_or(|at| now >= at);
        let played = self.playback.is_idle() && !self.agent.burst_open;
        if (quiet && played) || now >= *since + self.config.hangup_max_wait {
            let reason = reason.clone();
            self.finish(now, reason);
        }
    }

    /// When the agent will have been quiet long enough to hang up, if it can still speak.
    fn quiet_deadline(&self) -> Option<Instant> {
        let asked_at = match &self.phase {
            Phase::Ending {
                since,
                agent_may_speak: true,
                ..
            } => Some(*since),
            _ => None,
        };
        let last = self.agent.last_audio_at.max(asked_at)?;
        Some(last + self.config.hangup_quiet)
    }

    fn finish(&mut self, now: Instant, reason: EndReason) {
        if self.phase == Phase::Ended {
            return;
        }
        self.phase = Phase::Ended;
        self.stats.heard_ms = self.playback.played_ms();
        let duration = self.connected_for(now);
        self.events.push_back(Event::Ended {
            reason,
            duration,
            stats: self.stats,
        });
    }

    fn connected_for(&self, now: Instant) -> Duration {
        self.started_at
            .map_or(Duration::ZERO, |s| now.saturating_duration_since(s))
    }

    /// Counts bad input. `detail` is only built for the first of its kind in the call, the
    /// one that is logged, so a peer sending a stream of bad frames costs no strings.
    fn bad(&mut self, kind: BadInput, detail: impl FnOnce() -> String) {
        self.stats.bad_inputs += 1;
        let first = self.reported & kind.bit() == 0;
        self.reported |= kind.bit();
        let detail = if first { detail() } else { String::new() };
        self.events.push_back(Event::BadInput { kind, first, detail });
    }
}
