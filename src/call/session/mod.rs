//! The call session: everything one call does, as a state machine with no IO.
//!
//! A [`Session`] is fed what arrives (a frame from the caller's side, a frame from the agent,
//! a tool outcome, the passing of time) with the current instant as an argument, and queues
//! what should happen: frames to send each way ([`Transmit`]) and events for the driver
//! ([`Event`]). It never touches a socket, a clock or a database, so a whole call can be
//! driven in a test faster than real time. (The shape follows str0m's `Rtc` and quinn-proto's
//! `Connection`: input and time in, transmits and events out, `poll_timeout` for the next
//! deadline.)
//!
//! The core here holds the call's phase and coordinates its parts, each a type that owns its
//! state: the caller leg (the caller's protocol and playback, [`crate::call::leg`]), the agent
//! side ([`agent`]), the tool calls in flight ([`tool_calls`]), the deadlines ([`timers`]) and
//! the output ([`Outbox`](crate::call::Outbox)).
//!
//! An agent that stops answering is noticed here too: once the driver has attached it, its
//! `conversation_initiation_metadata` is due within `agent_metadata_timeout` and some message
//! (ElevenLabs pings throughout) within every `agent_inactivity_timeout`; missing either ends
//! the call as an upstream failure, so the caller hears the fallback. With `ulaw_8000` on both agent legs the audio is never decoded
//! beyond a base64 check, and each relayed frame costs one allocation: the outgoing message.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::wire::elevenlabs::{AgentMessage, ClientMessage};

use super::event::{BadInput, EndReason, Event, SessionStats, Started, Transmit};
use super::leg::{CallerInput, CallerLeg, Twilio};
use super::metrics::Direction;
use super::outbox::Outbox;
use super::socket::Frame;
use super::tools::ToolOutcome;

mod agent;
mod config;
mod event_ids;
mod timers;
mod tool_calls;

pub use config::SessionConfig;

use agent::AgentSide;
use timers::{Timer, TimerTable};
use tool_calls::ToolCalls;

/// What a frame turned into, for the driver's latency measurements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relayed {
    /// No audio was relayed.
    Nothing,
    /// Audio was queued for the other side.
    Audio,
    /// A barge-in: a `clear` was queued for the caller's side.
    Clear,
}

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    AwaitingStart,
    Live,
    Ending(Ending),
    Ended,
}

/// Waiting for the agent's last words to play before hanging up.
#[derive(Debug, Clone, PartialEq)]
struct Ending {
    since: Instant,
    reason: EndReason,
    /// The agent asked to end, and its goodbye may still be on the way.
    agent_may_speak: bool,
}

/// The state machine of one call, with the caller on leg `L`. See the module documentation.
pub struct Session<L = Twilio> {
    config: SessionConfig,
    phase: Phase,
    started_at: Option<Instant>,
    leg: L,
    agent: AgentSide,
    tools: ToolCalls,
    /// Agent messages that arrived before the caller's stream started (a pre-warmed greeting),
    /// with the instant each arrived.
    held_agent: VecDeque<(Instant, String)>,
    /// Bytes of `held_agent`'s messages.
    held_agent_bytes: usize,
    timers: TimerTable,
    out: Outbox,
}

impl Session<Twilio> {
    /// A session for a Twilio media stream.
    pub fn new(config: SessionConfig, now: Instant) -> Self {
        let leg = Twilio::new(config.max_caller_frame, config.max_caller_media);
        Session::with_leg(config, leg, now)
    }

    /// The stream's `streamSid`, once it started.
    pub fn stream_sid(&self) -> Option<&str> {
        self.leg.stream_sid()
    }
}

impl<L: CallerLeg> Session<L> {
    /// A session whose caller is on `leg`.
    pub fn with_leg(config: SessionConfig, leg: L, now: Instant) -> Self {
        let mut timers = TimerTable::default();
        timers.set(Timer::Start, now + config.start_timeout);
        Session {
            agent: AgentSide::new(config.max_held_caller_frames, config.max_held_caller_bytes),
            config,
            phase: Phase::AwaitingStart,
            started_at: None,
            leg,
            tools: ToolCalls::default(),
            held_agent: VecDeque::new(),
            held_agent_bytes: 0,
            timers,
            out: Outbox::default(),
        }
    }

    /// Copies the call's audio from now on into `tap`: the caller's frames and the agent's
    /// audio as the caller is sent it, and each barge-in's clear.
    pub fn record_to(&mut self, tap: crate::call::recording_tap::RecordingTap) {
        self.out.tap = Some(tap);
    }

    // -----------------------------------------------------------------------------------------
    // Inputs
    // -----------------------------------------------------------------------------------------

    /// A frame from the caller's socket.
    pub fn on_caller(&mut self, now: Instant, frame: Frame<'_>) -> Relayed {
        if self.phase == Phase::Ended {
            return Relayed::Nothing;
        }
        match self.leg.read(frame, &mut self.out) {
            CallerInput::Nothing => Relayed::Nothing,
            CallerInput::Start(started) => {
                self.on_start(now, started);
                Relayed::Nothing
            }
            CallerInput::Audio(payload) => self.agent.caller_audio(now, &payload, &mut self.out),
            CallerInput::Digit(digit) => {
                self.agent.caller_digit(&digit, &mut self.out);
                Relayed::Nothing
            }
            CallerInput::Mark => {
                self.check_ending(now);
                Relayed::Nothing
            }
            CallerInput::Stop => {
                self.finish(now, EndReason::CallerHungUp);
                Relayed::Nothing
            }
        }
    }

    /// A frame from the agent's socket.
    pub fn on_agent(&mut self, now: Instant, frame: Frame<'_>) -> Relayed {
        if self.phase == Phase::Ended || self.agent.closed {
            // An agent given up on is not listened to any more.
            return Relayed::Nothing;
        }
        let text = match frame {
            Frame::Text(text) if text.len() > self.config.max_agent_frame => {
                self.out
                    .bad(BadInput::AgentOversized, || format!("{} bytes", text.len()));
                return Relayed::Nothing;
            }
            Frame::Text(text) => text,
            Frame::Binary(bytes) => {
                self.out
                    .bad(BadInput::AgentBinary, || format!("{} bytes", bytes.len()));
                return Relayed::Nothing;
            }
        };
        if !self.leg.is_started() {
            // Pre-warmed audio (the greeting) can arrive before the caller's stream starts.
            if self.held_agent.len() >= self.config.max_held_agent_messages
                || self.held_agent_bytes + text.len() > self.config.max_held_agent_bytes
            {
                self.out.bad(BadInput::HoldOverflow, || {
                    format!(
                        "agent message before start; {} messages, {} bytes held",
                        self.held_agent.len(),
                        self.held_agent_bytes
                    )
                });
            } else {
                self.held_agent_bytes += text.len();
                self.held_agent.push_back((now, text.to_owned()));
            }
            return Relayed::Nothing;
        }
        self.agent_text(now, text)
    }

    /// The driver attached the agent's socket at `now`: its metadata and its signs of life
    /// are due from here. `dropped` messages were lost before, over the budget of the hold
    /// that kept a pre-warmed connection's messages; each is counted.
    pub fn on_agent_attached(&mut self, now: Instant, dropped: u64) {
        for _ in 0..dropped {
            self.out.bad(BadInput::HoldOverflow, || {
                "agent messages before the stream started, over the hold's budget".into()
            });
        }
        if self.phase == Phase::Ended || self.agent.closed {
            return;
        }
        self.agent.heard_at = Some(now);
        if let Some(limit) = self.config.agent_metadata_timeout
            && !self.agent.announced
        {
            self.timers.set(Timer::AgentMetadata, now + limit);
        }
        if let Some(limit) = self.config.agent_inactivity_timeout {
            self.timers.set(Timer::AgentSilence, now + limit);
        }
    }

    /// The outcome of a tool the driver ran for an [`Event::ToolCall`].
    pub fn on_tool_result(&mut self, now: Instant, id: &str, outcome: ToolOutcome) {
        if !self.tools.finish(now, id, &outcome, &mut self.out) {
            return;
        }
        self.arm_tool_timer();
        if outcome.end_call {
            let reason = match outcome.transfer {
                true => EndReason::Transferred,
                false => EndReason::AgentEnded,
            };
            self.begin_ending(now, reason);
        }
    }

    /// The caller's socket closed (with or without a `stop` first).
    pub fn on_caller_closed(&mut self, now: Instant) {
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
        self.agent.on_closed();
        self.timers.stop(Timer::AgentMetadata);
        self.timers.stop(Timer::AgentSilence);
        self.end_agent_burst();
        self.begin_ending(now, end);
        self.arm_quiet_timer();
    }

    /// Ends the call now, on the server's initiative (shutdown, policy): nothing more is
    /// relayed and nothing is waited for. A reason that [wants the
    /// fallback](EndReason::wants_fallback) has the caller hear it next.
    pub fn hang_up(&mut self, now: Instant, reason: EndReason) {
        self.finish(now, reason);
    }

    /// Time passed. Call at [`Session::poll_timeout`] (calling more often is harmless).
    pub fn on_tick(&mut self, now: Instant) {
        for timer in Timer::ALL {
            if self.phase == Phase::Ended {
                return;
            }
            if let Some(at) = self.timers.get(timer)
                && at <= now
            {
                self.timers.stop(timer);
                self.on_timeout(timer, at, now);
            }
        }
        self.check_ending(now);
    }

    // -----------------------------------------------------------------------------------------
    // Outputs
    // -----------------------------------------------------------------------------------------

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.poll_transmit()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.out.poll_event()
    }

    /// A held audio frame relayed by the last step, which way and when it arrived; each is
    /// relayed audio to count and time once the step's messages are written, like the frame
    /// a step returns [`Relayed::Audio`] for.
    #[inline]
    pub fn poll_released(&mut self) -> Option<(Direction, Instant)> {
        self.out.poll_released()
    }

    /// The next instant at which [`Session::on_tick`] has something to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Ended => None,
            _ => self.timers.next(),
        }
    }

    pub fn is_ended(&self) -> bool {
        self.phase == Phase::Ended
    }

    pub fn stats(&self) -> &SessionStats {
        &self.out.stats
    }

    // -----------------------------------------------------------------------------------------
    // The caller's side and the agent's
    // -----------------------------------------------------------------------------------------

    fn on_start(&mut self, now: Instant, started: Started) {
        self.phase = Phase::Live;
        self.started_at = Some(now);
        self.timers.stop(Timer::Start);
        self.timers.set(Timer::Meter, now + self.config.metering_interval);
        if let Some(max) = self.config.max_duration {
            self.timers.set(Timer::TimeLimit, now + max);
        }
        self.out.event(Event::Started(started));
        self.held_agent_bytes = 0;
        for (received, text) in std::mem::take(&mut self.held_agent) {
            if self.agent_text(now, &text) == Relayed::Audio {
                self.out.released(Direction::AgentToCaller, received);
            }
        }
    }

    fn agent_text(&mut self, now: Instant, text: &str) -> Relayed {
        let message = match AgentMessage::parse(text) {
            Ok(message) => message,
            Err(e) => {
                self.out.bad(BadInput::AgentMalformed, || e.to_string());
                return Relayed::Nothing;
            }
        };
        self.agent.heard_at = Some(now);
        match message {
            AgentMessage::Audio { audio_event } => {
                self.agent_audio(now, audio_event.event_id, &audio_event.audio_base_64)
            }
            AgentMessage::Interruption { interruption_event } => {
                let event_id = interruption_event.event_id;
                if !self.agent.interrupt(event_id, &mut self.leg, &mut self.out) {
                    return Relayed::Nothing;
                }
                self.timers.stop(Timer::AgentPause);
                Relayed::Clear
            }
            AgentMessage::Ping { ping_event } => {
                if let Err(absurd) = self.agent.ids.ping(ping_event.event_id) {
                    // Answered all the same: a pong only echoes the id, and a ping left
                    // unanswered could cost the conversation.
                    self.out
                        .bad(BadInput::AgentProtocol, || format!("ping: {absurd}"));
                }
                let pong = ClientMessage::Pong {
                    event_id: ping_event.event_id,
                };
                self.out.to_agent(pong.to_json());
                Relayed::Nothing
            }
            AgentMessage::ConversationInitiationMetadata {
                conversation_initiation_metadata_event: m,
            } => {
                if !self.agent.announced {
                    self.timers.stop(Timer::AgentMetadata);
                }
                if let Err(reason) = self.agent.on_metadata(m, &mut self.out) {
                    self.begin_ending(now, EndReason::Server(reason));
                }
                Relayed::Nothing
            }
            AgentMessage::ClientToolCall { client_tool_call } => {
                let ending = matches!(self.phase, Phase::Ending(_));
                let timeout = self.config.tool_timeout;
                self.tools
                    .begin(now, client_tool_call, timeout, ending, &mut self.out);
                self.arm_tool_timer();
                Relayed::Nothing
            }
            AgentMessage::AgentResponse { agent_response_event } => {
                self.out
                    .event(Event::AgentSaid(agent_response_event.agent_response));
                Relayed::Nothing
            }
            AgentMessage::UserTranscript {
                user_transcription_event,
            } => {
                self.out
                    .event(Event::CallerSaid(user_transcription_event.user_transcript));
                Relayed::Nothing
            }
            AgentMessage::Error { error_event } => {
                let message = error_event.message.or(error_event.reason).unwrap_or_default();
                self.out.event(Event::AgentError {
                    code: error_event.code,
                    message,
                });
                Relayed::Nothing
            }
            AgentMessage::Unknown(kind) => {
                self.out
                    .bad(BadInput::AgentUnknownType, move || kind.into_owned());
                Relayed::Nothing
            }
            // Known, and of no use to the bridge.
            _ => Relayed::Nothing,
        }
    }

    fn agent_audio(&mut self, now: Instant, event_id: u64, payload: &str) -> Relayed {
        let mark_every_ms = self.config.mark_every.as_millis() as u64;
        let accepted = self.agent.audio(
            now,
            event_id,
            payload,
            mark_every_ms,
            &mut self.leg,
            &mut self.out,
        );
        let Some(relayed) = accepted else {
            return Relayed::Nothing;
        };
        self.timers.set(Timer::AgentPause, now + self.config.agent_pause);
        if matches!(self.phase, Phase::Ending(_)) {
            self.arm_quiet_timer();
        }
        relayed
    }

    /// Closes the agent's burst of audio (flush, mark), if one is open.
    fn end_agent_burst(&mut self) {
        self.timers.stop(Timer::AgentPause);
        self.agent.end_burst(&mut self.leg, &mut self.out);
    }

    // -----------------------------------------------------------------------------------------
    // Time
    // -----------------------------------------------------------------------------------------

    /// `timer`, due at `at`, expired by `now` (and was stopped).
    fn on_timeout(&mut self, timer: Timer, at: Instant, now: Instant) {
        match timer {
            Timer::Start => self.finish(now, EndReason::NoStart),
            Timer::AgentPause => self.end_agent_burst(),
            Timer::Tool => {
                self.tools.expire(now, &mut self.out);
                self.arm_tool_timer();
            }
            Timer::Meter => {
                let seconds = self.connected_for(now).as_secs();
                self.out.event(Event::Metered { seconds });
                // One event covers any intervals a late tick missed (it carries the running
                // total), and the next falls after `now`, so no deadline is left in the past.
                let interval = self.config.metering_interval.max(Duration::from_millis(1));
                let missed = (now - at).as_nanos() / interval.as_nanos();
                let missed = u32::try_from(missed).unwrap_or(u32::MAX - 1);
                self.timers
                    .set_or_stop(Timer::Meter, at.checked_add(interval * (missed + 1)));
            }
            Timer::TimeLimit => self.begin_ending(now, EndReason::TimeLimit),
            Timer::AgentMetadata => {
                let waited = self.config.agent_metadata_timeout.unwrap_or_default();
                let why = format!("no conversation metadata from the agent within {waited:?}");
                self.give_up_on_agent(now, why);
            }
            Timer::AgentSilence => {
                let limit = self.config.agent_inactivity_timeout.unwrap_or_default();
                let heard_at = self.agent.heard_at.unwrap_or(at);
                match heard_at.checked_add(limit).filter(|due| *due > now) {
                    Some(due) => self.timers.set(Timer::AgentSilence, due),
                    None => {
                        let why = format!("nothing from the agent for {limit:?}");
                        self.give_up_on_agent(now, why);
                    }
                }
            }
            // What ending waits for is decided by `check_ending`, which every tick runs.
            Timer::HangupQuiet | Timer::HangupMaxWait => {}
        }
    }

    /// The agent stopped answering: the call ends as if its socket had failed, so the caller
    /// hears the fallback, and nothing more from it is relayed.
    fn give_up_on_agent(&mut self, now: Instant, why: String) {
        self.on_agent_closed(now, None, &why);
    }

    fn arm_tool_timer(&mut self) {
        self.timers.set_or_stop(Timer::Tool, self.tools.next_deadline());
    }

    /// While ending: when the agent will have been quiet long enough.
    fn arm_quiet_timer(&mut self) {
        let at = match self.phase {
            Phase::Ending(_) => self.quiet_deadline(),
            _ => None,
        };
        self.timers.set_or_stop(Timer::HangupQuiet, at);
    }

    fn connected_for(&self, now: Instant) -> Duration {
        self.started_at
            .map_or(Duration::ZERO, |s| now.saturating_duration_since(s))
    }

    // -----------------------------------------------------------------------------------------
    // Ending
    // -----------------------------------------------------------------------------------------

    fn begin_ending(&mut self, now: Instant, reason: EndReason) {
        match self.phase {
            Phase::Live => {
                let agent_may_speak =
                    matches!(reason, EndReason::AgentEnded | EndReason::Transferred) && !self.agent.closed;
                self.phase = Phase::Ending(Ending {
                    since: now,
                    reason,
                    agent_may_speak,
                });
                self.timers.stop(Timer::TimeLimit);
                self.timers
                    .set(Timer::HangupMaxWait, now + self.config.hangup_max_wait);
                self.arm_quiet_timer();
                self.check_ending(now);
            }
            // Nothing was ever played; there is nothing to wait for.
            Phase::AwaitingStart => self.finish(now, reason),
            Phase::Ending(_) | Phase::Ended => {}
        }
    }

    /// Hangs up once the agent is quiet and everything it said was played, or the wait is
    /// over.
    fn check_ending(&mut self, now: Instant) {
        let Phase::Ending(ending) = &self.phase else {
            return;
        };
        let quiet = self.quiet_deadline().is_none_or(|at| now >= at);
        let played = self.leg.is_idle() && !self.agent.burst_open;
        if (quiet && played) || now >= ending.since + self.config.hangup_max_wait {
            let reason = ending.reason.clone();
            self.finish(now, reason);
        }
    }

    /// When the agent will have been quiet long enough to hang up, if it can still speak.
    fn quiet_deadline(&self) -> Option<Instant> {
        let asked_at = match &self.phase {
            Phase::Ending(Ending {
                since,
                agent_may_speak: true,
                ..
            }) => Some(*since),
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
        self.timers.stop_all();
        self.out.stats.heard_ms = self.leg.heard_ms();
        let duration = self.connected_for(now);
        self.out.event(Event::Ended {
            reason,
            duration,
            stats: self.out.stats,
        });
    }
}
