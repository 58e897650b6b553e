//! One conversation socket, from admission to close: the metadata, the client's messages,
//! pings, and the mode that answers.
//!
//! Protocol choices where ElevenLabs' behaviour is not documented:
//! - metadata is sent as soon as the socket opens, before the client's initiation data, so
//!   a client that streams audio without it (as the Python SDK may) still gets it first;
//! - a frame that is not a valid client message (bad JSON, a known `type` missing a field,
//!   audio that is not base64, a binary frame) gets an `error` event with `error_type`
//!   `invalid_message` and a 1008 close, the code the AsyncAPI spec gives that error;
//! - unknown `type`s are counted and ignored;
//! - echo mode only (not ElevenLabs'): audio whose rate shows it is not in the declared
//!   input format (see `format_check.rs`) gets an `invalid_message` error and a 1007 close
//!   (RFC 6455's "data not consistent with the type of the message"), with a warning in the
//!   log, so a bridge that forgets to transcode fails its load test visibly.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use base64::Engine;
use tokio::time::Interval;

use super::audio_clock::AudioClock;
use super::config::SimAgentConfig;
use super::echo::{BadAudio, Echo};
use super::outbox::Outbox;
use super::outgoing;
use super::post_call::PostCallDelivery;
use super::profile::Profile;
use super::rest::{ConversationRecord, Workspace};
use super::script::{Conversation, Output, Voice};
use super::signature::Signatures;
use super::voices::Voices;
use crate::wire::elevenlabs::ClientMessage;

/// How long to wait for the client's half of a closing handshake.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// What every conversation socket of one server shares.
#[derive(Debug)]
pub struct Shared {
    pub config: SimAgentConfig,
    /// The agent's clips in each output format used; script mode only.
    pub voices: Option<Voices>,
    pub signatures: Signatures,
    /// The agents and tools made over the REST API.
    pub workspace: Workspace,
    /// Sends the post-call webhooks of ended conversations.
    pub post_call: PostCallDelivery,
}

/// Why a socket is refused right after opening: sent as an `error` event, then a 1008 close.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub error_type: &'static str,
    pub message: String,
}

/// Why a conversation ended, for the log.
#[derive(Debug, Clone, Copy)]
struct Ended(&'static str);

enum Mode {
    Echo(Echo),
    Script {
        /// Boxed: far larger than the echo state.
        conversation: Box<Conversation>,
        outbox: Outbox,
    },
}

#[derive(Debug, Default)]
struct Counters {
    audio_chunks: u64,
    unknown_types: u64,
    repeated_initiations: u64,
    ignored_messages: u64,
}

struct Pinger {
    interval: Option<Interval>,
    last_id: u64,
    outstanding: Option<(u64, Instant)>,
    rtt_ms: Option<u64>,
}

/// Holds the conversation `admission` allowed, with its ElevenLabs agent id.
pub async fn run(socket: WebSocket, shared: Arc<Shared>, admission: Result<String, Refusal>) {
    let conversation_id = format!("conv_{}", uuid::Uuid::new_v4().simple());
    let agent_id = admission.as_deref().unwrap_or_default();
    let profile = Profile::for_agent(&shared.config, &shared.workspace, agent_id);
    let voice = match shared
        .voices
        .as_ref()
        .map(|voices| voices.get(profile.output))
        .transpose()
    {
        Ok(voice) => voice,
        Err(error) => {
            tracing::warn!(%error, format = %profile.output, "no voice in the agent's format");
            let mut socket = socket;
            let message = "The agent's voice could not be prepared";
            fail(&mut socket, 1011, "internal_error", message, None).await;
            return;
        }
    };
    let mut connection = Connection::new(socket, &shared, conversation_id, agent_id, profile, voice);
    if let Err(refusal) = admission {
        tracing::info!(reason = %refusal.message, "conversation refused");
        fail(
            &mut connection.socket,
            1008,
            refusal.error_type,
            &refusal.message,
            None,
        )
        .await;
        return;
    }
    tracing::info!(conversation_id = %connection.conversation_id, mode = %shared.config.mode, "conversation started");
    shared.workspace.conversations().put(connection.record.clone());
    let ended = connection.converse().await;
    connection.log_end(ended);
    let mut record = connection.record;
    record.done = true;
    record.call_duration_secs = connection.started.elapsed().as_secs() as i64;
    record.termination_reason = ended.0.to_owned();
    shared.workspace.conversations().put(record.clone());
    shared.post_call.conversation_ended(&shared.workspace, &record);
}

struct Connection {
    socket: WebSocket,
    conversation_id: String,
    started: Instant,
    mode: Mode,
    /// What this conversation runs with: its agent's settings, or the sim's.
    profile: Profile,
    /// An agent made over REST speaks first once the client's initiation data (with its
    /// variables and overrides) is in, or the caller talks.
    greeting_due: bool,
    pinger: Pinger,
    initiated: bool,
    /// Decoded caller audio in script mode, reused across chunks.
    scratch: Vec<u8>,
    /// What echo mode times caller audio by.
    audio_clock: AudioClock,
    counters: Counters,
    /// What `GET /v1/convai/conversations/{id}` and the post-call webhook report.
    record: ConversationRecord,
}

impl Connection {
    fn new(
        socket: WebSocket,
        shared: &Shared,
        conversation_id: String,
        agent_id: &str,
        profile: Profile,
        voice: Option<Arc<Voice>>,
    ) -> Self {
        let config = &shared.config;
        let now = Instant::now();
        let mut record = ConversationRecord::new(&conversation_id, agent_id, unix_now());
        if let Some(agent) = shared.workspace.agent(agent_id) {
            record.agent_name = Some(agent.name);
            record.platform_settings = agent.platform_settings;
        }
        let made_over_rest = profile.agent.is_some();
        let mode = match voice {
            Some(voice) => {
                let (timing, input) = (config.script.clone(), profile.input);
                let conversation = match &profile.agent {
                    Some(rules) => Conversation::silent(voice, timing, input, now)
                        .with_tools(Some(rules.client_tools.clone())),
                    None => Conversation::new(voice, timing, input, now),
                };
                Mode::Script {
                    conversation: Box::new(conversation.with_transfer(config.transfer_reason_for(agent_id))),
                    outbox: Outbox::new(profile.output, &config.script, now),
                }
            }
            None => Mode::Echo(
                Echo::new(profile.input, profile.output)
                    .expect("every format the API accepts converts to every other"),
            ),
        };
        let interval = config.ping_interval.filter(|p| !p.is_zero()).map(|period| {
            let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            interval
        });
        Connection {
            socket,
            conversation_id,
            started: now,
            mode,
            greeting_due: made_over_rest,
            profile,
            pinger: Pinger {
                interval,
                last_id: 0,
                outstanding: None,
                rtt_ms: None,
            },
            initiated: false,
            scratch: Vec::new(),
            audio_clock: config.audio_clock.clone(),
            counters: Counters::default(),
            record,
        }
    }

    async fn converse(&mut self) -> Ended {
        let metadata = outgoing::metadata(&self.conversation_id, self.profile.input, self.profile.output);
        if let Err(ended) = send(&mut self.socket, metadata).await {
            return ended;
        }
        // Timers live across iterations: creating one per message would register it with
        // the runtime's timer wheel (a lock) for every audio frame.
        let mut limit = self.profile.max_duration;
        let max_duration = tokio::time::sleep_until(self.deadline(limit));
        tokio::pin!(max_duration);
        let wake_timer = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(wake_timer);
        let mut armed: Option<Instant> = None;
        loop {
            if let Err(ended) = self.pump_script().await {
                return ended;
            }
            if self.profile.max_duration != limit {
                // An override from the client's initiation data.
                limit = self.profile.max_duration;
                max_duration.as_mut().reset(self.deadline(limit));
            }
            let wake = self.next_wake();
            if wake != armed {
                if let Some(at) = wake {
                    wake_timer.as_mut().reset(tokio::time::Instant::from_std(at));
                }
                armed = wake;
            }
            let step = tokio::select! {
                incoming = self.socket.recv() => match incoming {
                    Some(Ok(message)) => self.on_message(message).await,
                    Some(Err(_)) => Err(Ended("the client's socket failed")),
                    None => Err(Ended("the client went away")),
                },
                () = &mut wake_timer, if armed.is_some() => {
                    armed = None;
                    if let Mode::Script { conversation, .. } = &mut self.mode {
                        conversation.on_tick(Instant::now());
                    }
                    Ok(())
                }
                () = next_tick(&mut self.pinger.interval) => self.ping().await,
                () = &mut max_duration, if limit.is_some() => {
                    let message = "Conversation has exceeded maximum duration";
                    fail(&mut self.socket, 1000, "max_duration_exceeded", message, None).await;
                    Err(Ended("maximum duration"))
                }
            };
            if let Err(ended) = step {
                return ended;
            }
        }
    }

    async fn on_message(&mut self, message: Message) -> Result<(), Ended> {
        match message {
            Message::Text(text) => self.on_text(text.as_str()).await,
            Message::Binary(_) => Err(self
                .invalid("binary frames are not part of the protocol".into())
                .await),
            Message::Close(_) => Err(Ended("the client closed")),
            // The WebSocket layer answers pings itself.
            Message::Ping(_) | Message::Pong(_) => Ok(()),
        }
    }

    async fn on_text(&mut self, text: &str) -> Result<(), Ended> {
        let message = match ClientMessage::parse(text) {
            Ok(message) => message,
            Err(e) => return Err(self.invalid(e.to_string()).await),
        };
        let now = Instant::now();
        match message {
            ClientMessage::UserAudioChunk { user_audio_chunk } => {
                self.counters.audio_chunks += 1;
                return self.on_audio(&user_audio_chunk, now).await;
            }
            ClientMessage::ConversationInitiationClientData(data) => {
                if self.initiated {
                    self.counters.repeated_initiations += 1;
                    return Ok(());
                }
                self.initiated = true;
                self.record.user_id.clone_from(&data.user_id);
                self.record.dynamic_variables.clone_from(&data.dynamic_variables);
                if let Some(overrides) = &data.conversation_config_override
                    && let Err(refused) = self.profile.apply_override(overrides)
                {
                    tracing::info!(field = %refused.0, "override not enabled for the agent");
                    fail(&mut self.socket, 1008, "override_error", &refused.message(), None).await;
                    return Err(Ended("an override the agent does not enable"));
                }
                self.greet_if_due(&data.dynamic_variables);
                if let Mode::Script { conversation, .. } = &mut self.mode {
                    conversation.set_variables(data.dynamic_variables);
                }
            }
            ClientMessage::Pong { event_id } => self.pinger.on_pong(event_id, now),
            ClientMessage::ClientToolResult {
                tool_call_id,
                result,
                is_error,
            } => match &mut self.mode {
                Mode::Script { conversation, .. } => {
                    let at = self.started.elapsed().as_secs() as i64;
                    self.record
                        .observe_tool_result(&tool_call_id, &result, is_error, at);
                    conversation.on_tool_result(&tool_call_id, &result, is_error, now);
                }
                Mode::Echo(_) => self.counters.ignored_messages += 1,
            },
            ClientMessage::ContextualUpdate { text, .. } => {
                if let Mode::Echo(echo) = &self.mode
                    && let Some(interruption) = echo.on_contextual_update(&text)
                {
                    return send(&mut self.socket, interruption).await;
                }
            }
            ClientMessage::UserMessage { .. } => match &mut self.mode {
                Mode::Script { conversation, .. } => conversation.on_user_message(now),
                Mode::Echo(_) => self.counters.ignored_messages += 1,
            },
            ClientMessage::UserActivity
            | ClientMessage::Feedback { .. }
            | ClientMessage::McpToolApprovalResult { .. }
            | ClientMessage::MultimodalMessage { .. } => self.counters.ignored_messages += 1,
            ClientMessage::Unknown(_) => self.counters.unknown_types += 1,
        }
        Ok(())
    }

    async fn on_audio(&mut self, chunk_base64: &str, now: Instant) -> Result<(), Ended> {
        // A caller talking before any initiation data: the agent greets without variables.
        self.greet_if_due(&Default::default());
        match &mut self.mode {
            Mode::Echo(echo) => match echo.answer(chunk_base64, self.audio_clock.now()) {
                Ok(Some(answer)) => send(&mut self.socket, answer).await,
                Ok(None) => Ok(()),
                Err(BadAudio::NotBase64(e)) => Err(self.invalid(BadAudio::NotBase64(e).to_string()).await),
                Err(BadAudio::WrongFormat(mismatch)) => {
                    // Once per conversation: it ends here.
                    tracing::warn!(conversation_id = %self.conversation_id, %mismatch, "caller audio is not in the declared format");
                    let reason = mismatch.to_string();
                    fail(&mut self.socket, 1007, "invalid_message", &reason, None).await;
                    Err(Ended("audio not in the declared format"))
                }
            },
            Mode::Script { conversation, .. } => {
                self.scratch.clear();
                let engine = base64::engine::general_purpose::STANDARD;
                if let Err(e) = engine.decode_vec(chunk_base64, &mut self.scratch) {
                    return Err(self.invalid(format!("user_audio_chunk is not base64: {e}")).await);
                }
                conversation.on_caller_audio(&self.scratch, now);
                Ok(())
            }
        }
    }

    /// The first message of an agent made over REST, with the client's `variables`.
    fn greet_if_due(&mut self, variables: &std::collections::BTreeMap<String, serde_json::Value>) {
        if !std::mem::take(&mut self.greeting_due) {
            return;
        }
        if let (Mode::Script { conversation, .. }, Some(rules)) = (&mut self.mode, &self.profile.agent)
            && let Some(text) = rules.greeting(variables)
        {
            conversation.greet(text);
        }
    }

    /// When a conversation that started at `started` must end, at the latest.
    fn deadline(&self, limit: Option<Duration>) -> tokio::time::Instant {
        // Far enough to never come: the branch is disabled without a limit.
        let at = limit.map_or(self.started + Duration::from_secs(86_400 * 365), |max| {
            self.started + max
        });
        tokio::time::Instant::from_std(at)
    }

    /// Moves what the script wants said into the outbox and sends what is due.
    async fn pump_script(&mut self) -> Result<(), Ended> {
        let Mode::Script { conversation, outbox } = &mut self.mode else {
            return Ok(());
        };
        while let Some(output) = conversation.poll_output() {
            match output {
                Output::Message(message) => {
                    let at = self.started.elapsed().as_secs() as i64;
                    self.record.observe_sent(&message, at);
                    outbox.push_message(message);
                }
                Output::Speech { event_id, audio } => outbox.push_speech(event_id, audio),
                Output::Interrupt { event_id } => {
                    outbox.drop_audio_up_to(event_id);
                    send(&mut self.socket, outgoing::interruption(event_id)).await?;
                }
                Output::Close { code, reason } => {
                    close(&mut self.socket, code, reason).await;
                    return Err(Ended("the agent ended the call"));
                }
            }
        }
        let now = Instant::now();
        while let Some(message) = outbox.pop_due(now) {
            send(&mut self.socket, message).await?;
        }
        Ok(())
    }

    fn next_wake(&self) -> Option<Instant> {
        match &self.mode {
            Mode::Script { conversation, outbox } => [conversation.poll_timeout(), outbox.next_due()]
                .into_iter()
                .flatten()
                .min(),
            Mode::Echo(_) => None,
        }
    }

    async fn ping(&mut self) -> Result<(), Ended> {
        let message = self.pinger.next_ping(Instant::now());
        send(&mut self.socket, message).await
    }

    async fn invalid(&mut self, detail: String) -> Ended {
        let message = "Invalid message received";
        fail(&mut self.socket, 1008, "invalid_message", message, Some(detail)).await;
        Ended("invalid message")
    }

    fn log_end(&self, ended: Ended) {
        let script = match &self.mode {
            Mode::Script { conversation, .. } => Some(conversation.stats()),
            Mode::Echo(_) => None,
        };
        tracing::info!(
            conversation_id = %self.conversation_id,
            reason = ended.0,
            seconds = self.started.elapsed().as_secs_f64(),
            audio_chunks = self.counters.audio_chunks,
            unknown_types = self.counters.unknown_types,
            ignored_messages = self.counters.ignored_messages,
            repeated_initiations = self.counters.repeated_initiations,
            ping_ms = ?self.pinger.rtt_ms,
            script = ?script,
            "conversation ended"
        );
    }
}

impl Pinger {
    fn next_ping(&mut self, now: Instant) -> String {
        self.last_id += 1;
        self.outstanding = Some((self.last_id, now));
        outgoing::ping(self.last_id, self.rtt_ms)
    }

    fn on_pong(&mut self, event_id: u64, now: Instant) {
        if let Some((id, sent)) = self.outstanding
            && id == event_id
        {
            self.outstanding = None;
            // Rounded up: the Python SDK treats a `ping_ms` of 0 as absent, and a loopback
            // round trip is well under a millisecond.
            let micros = now.duration_since(sent).as_micros() as u64;
            self.rtt_ms = Some(micros.div_ceil(1000).max(1));
        }
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

async fn send(socket: &mut WebSocket, text: String) -> Result<(), Ended> {
    socket
        .send(Message::Text(text.into()))
        .await
        .map_err(|_| Ended("the client's socket failed"))
}

/// Sends an `error` event, then closes with `code`.
async fn fail(socket: &mut WebSocket, code: u16, error_type: &str, message: &str, detail: Option<String>) {
    if send(socket, outgoing::error(code, error_type, message, detail))
        .await
        .is_ok()
    {
        close(socket, code, message).await;
    }
}

/// Closes the socket and waits briefly for the client to finish the handshake.
async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    if socket.send(Message::Close(Some(frame))).await.is_err() {
        return;
    }
    let drain = async { while let Some(Ok(_)) = socket.recv().await {} };
    let _ = tokio::time::timeout(CLOSE_WAIT, drain).await;
}

async fn next_tick(interval: &mut Option<Interval>) {
    match interval {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}
