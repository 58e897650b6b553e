//! `switchboard sim caller`: plays Twilio's part of one inbound call against a bridge.
//!
//! It posts the signed voice webhook, answers a number's menu (`<Gather>`) with its keys
//! ([`keys`]), follows the `<Connect><Stream>` it gets back, opens the
//! media stream with a signed handshake, and speaks a script of recorded utterances in
//! real-time 20 ms μ-law frames (silence in between, as Twilio sends). What the bridge sends
//! back is played the way Twilio plays it (see [`playout`]): in order, in real time, marks
//! echoed when reached, `clear` honoured. The caller takes its next turn once the agent has
//! spoken and gone quiet. When the bridge closes the stream, it requests the `<Connect
//! action>` URL as Twilio would. Both sides can be recorded to a stereo WAV (caller left,
//! what the caller heard right).

pub mod keys;
pub mod playout;
pub mod stream;
pub mod transfer;
pub mod webhook;

use std::time::{Duration, Instant};

use base64::Engine;
use futures::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::audio::ulaw;
use crate::wire::twilio::StreamMessage;
use crate::wire::twiml;
pub use keys::{Keys, NotAKey};
use playout::Playout;
use stream::{CallerMessages, FRAME, FRAME_BYTES, echo_marks};
pub use transfer::{TransferAnswer, TransferReport};
pub use webhook::{InboundCall, Webhooks, random_sid};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
/// A played frame with a sample louder than this (of 32767) counts as the agent speaking;
/// below it is line silence.
const AUDIBLE: u16 = 64;

/// One simulated call.
#[derive(Debug, Clone)]
pub struct CallerConfig {
    /// The bridge's voice webhook, e.g. `http://127.0.0.1:8080/twilio/voice`.
    pub webhook_url: String,
    pub auth_token: String,
    pub account_sid: String,
    pub from: String,
    pub to: String,
    /// μ-law 8 kHz clips the caller says, one per turn.
    pub utterances: Vec<Vec<u8>>,
    /// How long the agent must have been quiet before the caller takes its turn.
    pub turn_gap: Duration,
    /// Whether the caller waits for the agent to speak first (a greeting) or starts talking.
    pub agent_speaks_first: bool,
    /// The caller hangs up (Twilio `stop`) after this long.
    pub max_duration: Duration,
    /// After its last utterance, how long the caller waits for the bridge to end the call.
    pub linger: Duration,
    /// Keep both sides' audio for a WAV.
    pub record: bool,
    /// How the person answers when the bridge hands the call to one (`<Dial>`).
    pub transfer_answer: TransferAnswer,
    /// Keys pressed: one per menu (`<Gather>`), then the rest during the stream, once the
    /// agent has been heard (see [`keys`]).
    pub dtmf: Keys,
    /// The call's SID; a new one when `None`.
    pub call_sid: Option<String>,
    /// Twilio's `Direction` on the connect action: `inbound`, or `outbound-api` for a call
    /// placed through the REST API, whose callee this plays.
    pub direction: &'static str,
    /// The host of the recordings' URLs (Twilio's API host, which the bridge checks them
    /// against): `api.twilio.com`, or the Twilio stand-in's when the bridge is pointed at it.
    pub recording_host: String,
}

impl CallerConfig {
    pub fn new(webhook_url: impl Into<String>, auth_token: impl Into<String>, to: impl Into<String>) -> Self {
        CallerConfig {
            webhook_url: webhook_url.into(),
            auth_token: auth_token.into(),
            account_sid: random_sid("AC"),
            from: "+15005550006".into(),
            to: to.into(),
            utterances: Vec::new(),
            turn_gap: Duration::from_millis(700),
            agent_speaks_first: true,
            max_duration: Duration::from_secs(120),
            linger: Duration::from_secs(15),
            record: false,
            transfer_answer: TransferAnswer::default(),
            dtmf: Keys::default(),
            call_sid: None,
            direction: "inbound",
            recording_host: "api.twilio.com".into(),
        }
    }
}

/// Progress, for a live view.
#[derive(Debug, Clone, PartialEq)]
pub enum CallerEvent {
    Answered { call_sid: String },
    StreamOpen { stream_sid: String },
    Speaking { turn: usize },
    AgentAudio,
    Cleared,
    Ended { by_bridge: bool },
}

#[derive(Debug, Default)]
pub struct CallReport {
    pub call_sid: String,
    pub stream_sid: String,
    /// The TwiML the voice webhook answered.
    pub answer: String,
    /// The TwiML of the `<Connect action>` request, if the bridge ended the stream.
    pub action: Option<String>,
    /// The TwiML of each request a menu led to (its `<Gather>` action or `<Redirect>`), in
    /// order; the call went on with the last.
    pub menu_answers: Vec<String>,
    /// Keys pressed during the stream (`dtmf` messages sent).
    pub digits_sent: u64,
    /// When the answer itself recorded a message (`<Record>`, as after hours): what its
    /// action answered once a message was left.
    pub voicemail: Option<String>,
    /// True when the bridge closed the stream; false when the caller hung up.
    pub ended_by_bridge: bool,
    pub turns_spoken: usize,
    pub frames_sent: u64,
    /// Agent audio actually played to the caller.
    pub heard: Duration,
    pub marks_echoed: u64,
    pub clears: u64,
    /// From `start` to the first agent audio played.
    pub first_audio_after: Option<Duration>,
    /// Messages from the bridge that were not valid Twilio stream messages.
    pub bad_messages: u64,
    pub duration: Duration,
    /// Interleaved stereo PCM (caller, heard) at 8 kHz, when recording.
    pub recording: Vec<i16>,
    /// The transfer to a person the connect action answered with, followed as Twilio would.
    pub transfer: Option<TransferReport>,
}

#[derive(Debug, thiserror::Error)]
pub enum CallerError {
    #[error(transparent)]
    Webhook(#[from] webhook::WebhookError),
    #[error("the voice webhook answered TwiML that is not valid XML: {0}")]
    Twiml(String),
    #[error("media stream: {0}")]
    Stream(String),
    #[error(transparent)]
    Menu(#[from] keys::MenuError),
}

/// Places one call. `events` receives progress if given.
pub async fn place_call(
    config: &CallerConfig,
    events: Option<mpsc::UnboundedSender<CallerEvent>>,
) -> Result<CallReport, CallerError> {
    let hooks = Webhooks::new(&config.auth_token);
    let call_sid = config.call_sid.clone().unwrap_or_else(|| random_sid("CA"));
    let call = InboundCall {
        call_sid: &call_sid,
        account_sid: &config.account_sid,
        from: &config.from,
        to: &config.to,
    };
    let answer = hooks.post(&config.webhook_url, &call.params("ringing")).await?;
    follow_answer(config, &call_sid, answer, events).await
}

/// Plays the call from the TwiML its webhook answered: its menus, then its stream (or the
/// message it takes). The REST stand-in starts here for a call it placed, having fetched
/// the TwiML itself.
pub(crate) async fn follow_answer(
    config: &CallerConfig,
    call_sid: &str,
    answer: String,
    events: Option<mpsc::UnboundedSender<CallerEvent>>,
) -> Result<CallReport, CallerError> {
    let emit = |e: CallerEvent| {
        if let Some(tx) = &events {
            let _ = tx.send(e);
        }
    };
    let hooks = Webhooks::new(&config.auth_token).with_recording_host(&config.recording_host);
    let call_sid = call_sid.to_owned();
    let call = InboundCall {
        call_sid: &call_sid,
        account_sid: &config.account_sid,
        from: &config.from,
        to: &config.to,
    };
    emit(CallerEvent::Answered {
        call_sid: call_sid.clone(),
    });
    let mut keys = config.dtmf.clone();
    let menu_answers = keys::follow_menus(&hooks, &call, &answer, &mut keys).await?;
    let answered = menu_answers.last().unwrap_or(&answer).clone();
    let mut report = CallReport {
        call_sid: call_sid.clone(),
        answer: answer.clone(),
        menu_answers,
        ..CallReport::default()
    };
    let Some(connect) = twiml::parse_connect(&answered).map_err(|e| CallerError::Twiml(e.to_string()))?
    else {
        // No stream: the bridge said something, then hung up or took a message.
        if let Some(action) = transfer::record_action(&answered)? {
            report.voicemail = Some(transfer::leave_a_message(&hooks, &call, &action).await?);
        }
        return Ok(report);
    };

    let stream_sid = random_sid("MZ");
    report.stream_sid = stream_sid.clone();
    let stream_err = |e: tokio_tungstenite::tungstenite::Error| CallerError::Stream(e.to_string());
    let mut socket = stream::open(&hooks, &connect.stream_url, None)
        .await
        .map_err(stream_err)?;
    emit(CallerEvent::StreamOpen {
        stream_sid: stream_sid.clone(),
    });

    let mut messages = CallerMessages::new(&stream_sid);
    let start = messages.start(&config.account_sid, &call_sid, &connect.parameters);
    socket
        .send(CallerMessages::connected().into())
        .await
        .map_err(stream_err)?;
    socket.send(start.into()).await.map_err(stream_err)?;

    let began = Instant::now();
    let mut turns = Turns::new(config);
    let mut playout = Playout::default();
    // Reused buffers: one frame played, and the agent audio of one message.
    let mut heard_frame = Vec::with_capacity(FRAME_BYTES);
    let mut agent_audio = Vec::with_capacity(4 * FRAME_BYTES);
    let mut ticker = tokio::time::interval(FRAME);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let ended_by_bridge = loop {
        tokio::select! {
            _ = ticker.tick() => {
                // Twilio plays 20 ms of whatever the bridge queued, then the caller answers
                // 20 ms of its own.
                heard_frame.clear();
                let before = playout.played_bytes();
                let passed = playout.play(FRAME_BYTES, &mut heard_frame);
                let audible = heard_frame.iter().any(|&code| ulaw::decode(code).unsigned_abs() > AUDIBLE);
                if playout.played_bytes() > before && report.first_audio_after.is_none() {
                    report.first_audio_after = Some(began.elapsed());
                    emit(CallerEvent::AgentAudio);
                }
                // Keys are pressed once the agent has been heard.
                if report.first_audio_after.is_some()
                    && let Some(key) = keys.in_frame()
                {
                    let dtmf = messages.dtmf(&key.to_string());
                    if socket.send(dtmf.into()).await.is_err() {
                        break true;
                    }
                    report.digits_sent += 1;
                }
                let (frame, started_turn) = turns.next_frame(audible);
                if let Some(turn) = started_turn {
                    emit(CallerEvent::Speaking { turn });
                }
                let media = messages.media(report.frames_sent, frame);
                if socket.send(media.into()).await.is_err() {
                    break true;
                }
                report.frames_sent += 1;
                report.marks_echoed += echo_marks(&mut socket, &mut messages, passed).await.unwrap_or(0);
                if config.record {
                    for (c, h) in frame.iter().zip(&heard_frame) {
                        report.recording.push(ulaw::decode(*c));
                        report.recording.push(ulaw::decode(*h));
                    }
                }
                if began.elapsed() >= config.max_duration || turns.done_lingering() {
                    break false;
                }
            }
            message = socket.next() => match message {
                Some(Ok(Message::Text(text))) => match StreamMessage::parse(text.as_str()) {
                    Ok(StreamMessage::Media { media, .. }) => {
                        agent_audio.clear();
                        match B64.decode_vec(media.payload.as_bytes(), &mut agent_audio) {
                            Ok(()) => playout.push_audio(&agent_audio),
                            Err(_) => report.bad_messages += 1,
                        }
                    }
                    Ok(StreamMessage::Mark { mark, .. }) => {
                        let reached = playout.push_mark(mark.name.into_owned());
                        report.marks_echoed += echo_marks(&mut socket, &mut messages, reached).await.unwrap_or(0);
                    }
                    Ok(StreamMessage::Clear { .. }) => {
                        report.clears += 1;
                        emit(CallerEvent::Cleared);
                        let flushed = playout.clear();
                        report.marks_echoed += echo_marks(&mut socket, &mut messages, flushed).await.unwrap_or(0);
                    }
                    _ => report.bad_messages += 1,
                },
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break true,
                Some(Ok(Message::Binary(_))) => report.bad_messages += 1,
                Some(Ok(_)) => {}
            }
        }
    };
    report.duration = began.elapsed();
    report.turns_spoken = turns.spoken();
    report.heard = Duration::from_millis(playout.played_bytes() / 8);
    report.ended_by_bridge = ended_by_bridge;
    if ended_by_bridge {
        // Twilio requests the <Connect action> URL once the stream is over.
        if let Some(action) = &connect.action {
            let params = call.params_as("in-progress", config.direction);
            let next = hooks.post(action, &params).await?;
            report.transfer = transfer::follow(&hooks, &call, config.transfer_answer, &next).await?;
            report.action = Some(next);
        }
    } else {
        let stop = messages.stop(&config.account_sid, &call_sid);
        let _ = socket.send(stop.into()).await;
        let _ = socket.close(None).await;
    }
    emit(CallerEvent::Ended {
        by_bridge: ended_by_bridge,
    });
    Ok(report)
}

/// The caller's turn-taking: speak an utterance, wait for the agent to answer and go quiet,
/// speak the next.
struct Turns<'c> {
    utterances: &'c [Vec<u8>],
    next: usize,
    /// Byte offset in the utterance being spoken.
    speaking: Option<usize>,
    /// The agent has been heard since the caller last spoke.
    agent_answered: bool,
    quiet_frames: u32,
    gap_frames: u32,
    linger_frames: u32,
    frames_after_script: u32,
    frame: [u8; FRAME_BYTES],
}

impl<'c> Turns<'c> {
    fn new(config: &'c CallerConfig) -> Self {
        let frames = |d: Duration| (d.as_millis() / FRAME.as_millis()) as u32;
        Turns {
            utterances: &config.utterances,
            next: 0,
            speaking: None,
            agent_answered: !config.agent_speaks_first,
            quiet_frames: 0,
            gap_frames: frames(config.turn_gap).max(1),
            linger_frames: frames(config.linger),
            frames_after_script: 0,
            frame: [ulaw::SILENCE; FRAME_BYTES],
        }
    }

    /// The next 20 ms the caller sends, and the turn that started with it, if one did.
    /// `agent_audible`: the caller heard the agent in the frame just played.
    fn next_frame(&mut self, agent_audible: bool) -> (&[u8; FRAME_BYTES], Option<usize>) {
        let mut started = None;
        if agent_audible {
            self.agent_answered = true;
            self.quiet_frames = 0;
        } else {
            self.quiet_frames = self.quiet_frames.saturating_add(1);
        }
        if self.speaking.is_none()
            && self.next < self.utterances.len()
            && self.agent_answered
            && self.quiet_frames >= self.gap_frames
        {
            self.speaking = Some(0);
            started = Some(self.next);
        }
        self.frame = [ulaw::SILENCE; FRAME_BYTES];
        if let Some(offset) = self.speaking {
            let clip = &self.utterances[self.next];
            let end = (offset + FRAME_BYTES).min(clip.len());
            self.frame[..end - offset].copy_from_slice(&clip[offset..end]);
            if end == clip.len() {
                self.speaking = None;
                self.next += 1;
                self.agent_answered = false;
            } else {
                self.speaking = Some(end);
            }
        } else if self.next >= self.utterances.len() && (self.next > 0 || self.agent_answered) {
            // A caller with nothing to say first waits to hear the agent, however late it is.
            self.frames_after_script = self.frames_after_script.saturating_add(1);
        }
        (&self.frame, started)
    }

    fn spoken(&self) -> usize {
        self.next
    }

    /// The script is over and the bridge has had its time to end the call.
    fn done_lingering(&self) -> bool {
        self.next >= self.utterances.len()
            && self.speaking.is_none()
            && self.frames_after_script > self.linger_frames
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_with_nothing_to_say_waits_to_hear_the_agent_before_lingering() {
        let mut config = CallerConfig::new("http://bridge/twilio/voice", "token", "+15550100200");
        config.linger = Duration::from_millis(100);
        let mut turns = Turns::new(&config);
        for _ in 0..500 {
            turns.next_frame(false);
        }
        assert!(
            !turns.done_lingering(),
            "ten silent seconds: still waiting for the agent"
        );
        turns.next_frame(true);
        for _ in 0..4 {
            turns.next_frame(false);
        }
        assert!(!turns.done_lingering());
        turns.next_frame(false);
        assert!(turns.done_lingering(), "100 ms after the agent was heard");
    }
}
