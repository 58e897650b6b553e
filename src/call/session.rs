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
use crate::wire::twilio::{self, MediaWriter, StreamMessage};

use super::event::{BadInput, EndReason, Event, SessionStats, Transmit};
use super::playback::{MarkEcho, Playback};
use super::tools::{ToolCall, ToolOutcome};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

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
    /// Largest Twilio text frame handled; a media frame is ~300 bytes.
    pub max_twilio_frame: usize,
    /// Largest agent text frame handled; a few seconds of 48 kHz PCM is well under this.
    pub max_agent_frame: usize,
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
            max_twilio_frame: 64 * 1024,
            max_agent_frame: 4 * 1024 * 1024,
        }
    }
}

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
    Ending { since: Instant, reason: EndReason },
    Ended,
}

struct Stream {
    stream_sid: String,
    writer: MediaWriter,
}

struct Agent {
    transcoder: Option<Transcoder>,
    passthrough: bool,
    /// Agent audio with an `event_id` at or below this belongs to an interrupted turn.
    interrupted_up_to: Option<u64>,
    last_audio_at: Option<Instant>,
    /// Audio was sent since the last pause was handled (flush + mark due at the next pause).
    burst_open: bool,
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
                self.bad(BadInput::TwilioOversized, format!("{} bytes", text.len()));
                return Relayed::Nothing;
            }
            Frame::Text(text) => text,
            Frame::Binary(bytes) => {
                self.bad(BadInput::TwilioBinary, format!("{} bytes", bytes.len()));
                return Relayed::Nothing;
            }
        };
        let message = match StreamMessage::parse(text) {
            Ok(message) => message,
            Err(e) => {
                self.bad(BadInput::TwilioMalformed, e.to_string());
                return Relayed::Nothing;
            }
        };
        if let Some(sid) = message.stream_sid()
            && let Some(stream) = &self.stream
            && sid != stream.stream_sid
        {
            self.bad(BadInput::WrongStreamSid, format!("{} on a `{}`", sid, message.event_name()));
            return Relayed::Nothing;
        }
        match message {
            StreamMessage::Connected { .. } => Relayed::Nothing,
            StreamMessage::Start { start, stream_sid, .. } => {
                self.on_start(now, start, stream_sid.into_owned());
                Relayed::Nothing
            }
            StreamMessage::Media { media, .. } => {
                if self.stream.is_none() {
                    self.bad(BadInput::MediaBeforeStart, "media".into());
                    return Relayed::Nothing;
                }
                self.caller_audio(&media.payload)
            }
            StreamMessage::Dtmf { dtmf, .. } => {
                if self.stream.is_none() {
                    self.bad(BadInput::MediaBeforeStart, "dtmf".into());
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
                self.bad(BadInput::TwilioUnknownEvent, "clear".into());
                Relayed::Nothing
            }
            StreamMessage::Unknown(event) => {
                self.bad(BadInput::TwilioUnknownEvent, event.into_owned());
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
                self.bad(BadInput::AgentOversized, format!("{} bytes", text.len()));
                return Relayed::Nothing;
            }
            Frame::Text(text) => text,
            Frame::Binary(bytes) => {
                self.bad(BadInput::AgentBinary, format!("{} bytes", bytes.len()));
                return Relayed::Nothing;
            }
        };
        if self.stream.is_none() {
            // Pre-warmed audio (the greeting) can arrive before Twilio's `start`: hold it.
            if self.held_agent.len() >= self.config.max_held_agent_messages {
                self.bad(BadInput::HoldOverflow, "agent message before start".into());
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
            self.bad(BadInput::LateToolResult, id.to_owned());
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
            _ => EndReason::UpstreamFailed { code, reason: reason.to_owned() },
        };
        // Nothing more will come from the agent, so there is no pause to wait for.
        self.agent.last_audio_at = None;
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
            self.next_meter_at = Some(at + self.config.metering_interval);
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
        if let (Some(max), Some(started), Phase::Live) = (self.config.max_duration, self.started_at, &self.phase) {
            consider(started + max);
        }
        if let Phase::Ending { since, .. } = &self.phase {
            consider(*since + self.config.hangup_max_wait);
            // While audio is still playing, the next step comes from a mark echo, not time.
            if self.playback.is_idle()
                && !self.agent.burst_open
                && let Some(last) = self.agent.last_audio_at
            {
                consider(last + self.config.hangup_quiet);
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
    // Twilio side
    // -----------------------------------------------------------------------------------------

    fn on_start(&mut self, now: Instant, start: twilio::Start, stream_sid: String) {
        if self.stream.is_some() || self.phase != Phase::AwaitingStart {
            self.bad(BadInput::DuplicateStart, stream_sid);
            return;
        }
        self.stream = Some(Stream { writer: MediaWriter::new(&stream_sid), stream_sid: stream_sid.clone() });
        self.phase = Phase::Live;
        self.started_at = Some(now);
        self.next_meter_at = Some(now + self.config.metering_interval);
        self.events.push_back(Event::Started {
            call_sid: start.call_sid,
            stream_sid,
            account_sid: start.account_sid,
            parameters: start.custom_parameters,
        });
        let held = std::mem::take(&mut self.held_agent);
        for text in &held {
            self.agent_text(now, text);
        }
    }

    fn caller_audio(&mut self, payload: &str) -> Relayed {
        self.scratch.clear();
        if B64.decode_vec(payload, &mut self.scratch).is_err() {
            self.bad(BadInput::InvalidBase64, "caller media".into());
            return Relayed::Nothing;
        }
        if self.agent.transcoder.is_none() {
            // The agent has not announced its input format yet.
            if self.held_caller.len() >= self.config.max_held_caller_frames {
                self.held_caller.pop_front();
                self.bad(BadInput::HoldOverflow, "caller audio before the agent was ready".into());
            }
            self.held_caller.push_back(payload.to_owned());
            return Relayed::Nothing;
        }
        self.relay_caller_audio(payload);
        Relayed::Audio
    }

    /// Sends one caller frame whose base64 `payload` decodes to `self.scratch`.
    fn relay_caller_audio(&mut self, payload: &str) {
        self.stats.caller_frames += 1;
        if self.agent.passthrough {
            self.transmits.push_back(Transmit::Agent(elevenlabs::user_audio_chunk_json_b64(payload)));
            return;
        }
        let Some(transcoder) = self.agent.transcoder.as_mut() else { return };
        self.converted.clear();
        transcoder.caller_to_agent(&self.scratch, &mut self.converted);
        if !self.converted.is_empty() {
            self.transmits.push_back(Transmit::Agent(elevenlabs::user_audio_chunk_json(&self.converted)));
        }
    }

    fn caller_digit(&mut self, digit: &str) {
        // ElevenLabs has no DTMF input message; a contextual update tells the agent without
        // interrupting it.
        let text = format!("The caller pressed the key \"{digit}\" on their phone keypad.");
        let update = ClientMessage::ContextualUpdate { text: text.into(), context_id: None };
        self.transmits.push_back(Transmit::Agent(update.to_json()));
    }

    // -----------------------------------------------------------------------------------------
    // Agent side
    // -----------------------------------------------------------------------------------------

    fn agent_text(&mut self, now: Instant, text: &str) -> Relayed {
        let message = match AgentMessage::parse(text) {
            Ok(message) => message,
            Err(e) => {
                self.bad(BadInput::AgentMalformed, e.to_string());
                return Relayed::Nothing;
            }
        };
        match message {
            AgentMessage::Audio { audio_event } => {
                self.agent_audio(now, audio_event.event_id, &audio_event.audio_base_64)
            }
            AgentMessage::Interruption { interruption_event } => {
                self.interruption(interruption_event.event_id);
                Relayed::Clear
            }
            AgentMessage::Ping { ping_event } => {
                let pong = ClientMessage::Pong { event_id: ping_event.event_id };
                self.transmits.push_back(Transmit::Agent(pong.to_json()));
                Relayed::Nothing
            }
            AgentMessage::ConversationInitiationMetadata { conversation_initiation_metadata_event: m } => {
                self.on_metadata(now, m);
                Relayed::Nothing
            }
            AgentMessage::ClientToolCall { client_tool_call } => {
                self.on_tool_call(now, client_tool_call);
                Relayed::Nothing
            }
            AgentMessage::AgentResponse { agent_response_event } => {
                self.events.push_back(Event::AgentSaid(agent_response_event.agent_response));
                Relayed::Nothing
            }
            AgentMessage::UserTranscript { user_transcription_event } => {
                self.events.push_back(Event::CallerSaid(user_transcription_event.user_transcript));
                Relayed::Nothing
            }
            AgentMessage::Error { error_event } => {
                let message = error_event.message.or(error_event.reason).unwrap_or_default();
                self.events.push_back(Event::AgentError { code: error_event.code, message });
                Relayed::Nothing
            }
            AgentMessage::Unknown(kind) => {
                self.bad(BadInput::AgentUnknownType, kind.into_owned());
                Relayed::Nothing
            }
            // Known, and of no use to the bridge.
            _ => Relayed::Nothing,
        }
    }

    fn on_metadata(&mut self, now: Instant, m: elevenlabs::InitiationMetadata) {
        let formats = m
            .user_input_audio_format
            .parse::<AudioFormat>()
            .and_then(|input| Ok((input, m.agent_output_audio_format.parse::<AudioFormat>()?)))
            .and_then(|(input, output)| Ok((input, output, Transcoder::new(input, output)?)));
        let (input, output, transcoder) = match formats {
            Ok(f) => f,
            Err(e) => {
                self.bad(BadInput::AgentAudioFormat, e.to_string());
                let reason = format!("unsupported audio format: {e}");
                self.begin_ending(now, EndReason::Server(reason));
                return;
            }
        };
        self.agent.passthrough = transcoder.is_passthrough();
        self.agent.transcoder = Some(transcoder);
        self.events.push_back(Event::ConversationStarted { conversation_id: m.conversation_id, input, output });
        for payload in std::mem::take(&mut self.held_caller) {
            self.scratch.clear();
            if B64.decode_vec(&payload, &mut self.scratch).is_ok() {
                self.relay_caller_audio(&payload);
            }
        }
    }

    fn agent_audio(&mut self, now: Instant, event_id: u64, payload: &str) -> Relayed {
        if self.agent.interrupted_up_to.is_some_and(|cut| event_id <= cut) {
            self.stats.stale_agent_chunks += 1;
            return Relayed::Nothing;
        }
        let (Some(stream), Some(transcoder)) = (&self.stream, self.agent.transcoder.as_mut()) else {
            // Audio before metadata breaks the protocol's order; without formats it can't play.
            self.bad(BadInput::AgentMalformed, "audio before conversation metadata".into());
            return Relayed::Nothing;
        };
        self.scratch.clear();
        if B64.decode_vec(payload, &mut self.scratch).is_err() {
            self.bad(BadInput::InvalidBase64, "agent audio".into());
            return Relayed::Nothing;
        }
        let sent = if self.agent.passthrough {
            self.transmits.push_back(Transmit::Twilio(stream.writer.with_base64(payload)));
            self.scratch.len()
        } else {
            self.converted.clear();
            transcoder.agent_to_caller(&self.scratch, &mut self.converted);
            if !self.converted.is_empty() {
                self.transmits.push_back(Transmit::Twilio(stream.writer.with_audio(&self.converted)));
            }
            self.converted.len()
        };
        self.stats.agent_chunks += 1;
        self.stats.agent_bytes += sent as u64;
        self.playback.sent(sent);
        self.agent.last_audio_at = Some(now);
        self.agent.burst_open = true;
        if self.playback.unmarked_ms() >= self.config.mark_every.as_millis() as u64 {
            self.send_mark();
        }
        if sent > 0 { Relayed::Audio } else { Relayed::Nothing }
    }

    /// When agent audio pauses: flush what the resampler held back and mark the end of the
    /// burst, so playback of the whole turn can be confirmed.
    fn end_agent_burst_if_paused(&mut self, now: Instant) {
        let paused = self.agent.last_audio_at.is_none_or(|last| now >= last + self.config.agent_pause);
        if !self.agent.burst_open || !paused {
            return;
        }
        self.agent.burst_open = false;
        if let (Some(stream), Some(transcoder)) = (&self.stream, self.agent.transcoder.as_mut())
            && !self.agent.passthrough
        {
            self.converted.clear();
            transcoder.flush_agent_to_caller(&mut self.converted);
            if !self.converted.is_empty() {
                self.transmits.push_back(Transmit::Twilio(stream.writer.with_audio(&self.converted)));
                self.stats.agent_bytes += self.converted.len() as u64;
                self.playback.sent(self.converted.len());
            }
        }
        self.send_mark();
    }

    fn send_mark(&mut self) {
        if let (Some(stream), Some(mark)) = (&self.stream, self.playback.take_mark()) {
            self.transmits.push_back(Transmit::Twilio(twilio::mark_json(&stream.stream_sid, &mark.to_string())));
        }
    }

    fn interruption(&mut self, event_id: u64) {
        let cut = self.agent.interrupted_up_to.map_or(event_id, |c| c.max(event_id));
        self.agent.interrupted_up_to = Some(cut);
        // Always clear: Twilio may still hold audio even when our own accounting says it
        // played, and a needless clear costs nothing.
        if let Some(stream) = &self.stream {
            self.transmits.push_back(Transmit::Twilio(twilio::clear_json(&stream.stream_sid)));
        }
        self.playback.on_clear();
        self.agent.burst_open = false;
        if let Some(transcoder) = self.agent.transcoder.as_mut() {
            transcoder.reset_agent_to_caller();
        }
        self.stats.interruptions += 1;
        self.events.push_back(Event::Interrupted { event_id, heard_ms: self.playback.played_ms() });
    }

    // -----------------------------------------------------------------------------------------
    // Tools
    // -----------------------------------------------------------------------------------------

    fn on_tool_call(&mut self, now: Instant, call: elevenlabs::ClientToolCall) {
        self.stats.tool_calls += 1;
        if self.tools.iter().any(|t| t.id == call.tool_call_id) {
            return; // a repeated request for a call already running
        }
        let pending = PendingTool {
            id: call.tool_call_id.clone(),
            name: call.tool_name.clone(),
            started: now,
            deadline: now + self.config.tool_timeout,
        };
        if matches!(self.phase, Phase::Ending { .. }) {
            self.answer_tool(now, pending, "The call is ending.", true, false);
            return;
        }
        self.tools.push(pending);
        self.events.push_back(Event::ToolCall(ToolCall {
            id: call.tool_call_id,
            name: call.tool_name,
            parameters: call.parameters,
        }));
    }

    fn expire_tools(&mut self, now: Instant) {
        while let Some(index) = self.tools.iter().position(|t| now >= t.deadline) {
            let pending = self.tools.swap_remove(index);
            self.stats.tool_timeouts += 1;
            let sentence = "That took too long to look up. Please apologise and offer to try again.";
            self.answer_tool(now, pending, sentence, true, true);
        }
    }

    fn answer_tool(&mut self, now: Instant, pending: PendingTool, result: &str, is_error: bool, timed_out: bool) {
        let message = ClientMessage::ClientToolResult {
            tool_call_id: pending.id.as_str().into(),
            result: result.into(),
            is_error,
        };
        self.transmits.push_back(Transmit::Agent(message.to_json()));
        self.events.push_back(Event::ToolFinished {
            id: pending.id,
            name: pending.name,
            is_error,
            timed_out,
            elapsed: now.saturating_duration_since(pending.started),
        });
    }

    // -----------------------------------------------------------------------------------------
    // Ending
    // -----------------------------------------------------------------------------------------

    fn begin_ending(&mut self, now: Instant, reason: EndReason) {
        match self.phase {
            Phase::Live => {
                self.phase = Phase::Ending { since: now, reason };
                self.check_ending(now);
            }
            // Nothing was ever played; there is nothing to wait for.
            Phase::AwaitingStart => self.finish(now, reason),
            Phase::Ending { .. } | Phase::Ended => {}
        }
    }

    fn check_ending(&mut self, now: Instant) {
        let Phase::Ending { since, reason } = &self.phase else { return };
        let quiet = self.agent.last_audio_at.is_none_or(|last| now >= last + self.config.hangup_quiet);
        let played = self.playback.is_idle() && !self.agent.burst_open;
        if (quiet && played) || now >= *since + self.config.hangup_max_wait {
            let reason = reason.clone();
            self.finish(now, reason);
        }
    }

    fn finish(&mut self, now: Instant, reason: EndReason) {
        if self.phase == Phase::Ended {
            return;
        }
        self.phase = Phase::Ended;
        self.stats.heard_ms = self.playback.played_ms();
        let duration = self.connected_for(now);
        self.events.push_back(Event::Ended { reason, duration, stats: self.stats });
    }

    fn connected_for(&self, now: Instant) -> Duration {
        self.started_at.map_or(Duration::ZERO, |s| now.saturating_duration_since(s))
    }

    fn bad(&mut self, kind: BadInput, detail: String) {
        self.stats.bad_inputs += 1;
        let first = self.reported & kind.bit() == 0;
        self.reported |= kind.bit();
        self.events.push_back(Event::BadInput { kind, first, detail });
    }
}
