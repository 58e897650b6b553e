//! The agent's side of a session: the formats it announced, the transcoder between them and
//! the caller's μ-law, caller audio held until those formats are known (bounded in frames and
//! in bytes, each frame with the instant it arrived), the barge-in gate on its audio, its
//! `event_id` sequences and when it was last heard from.

use std::collections::VecDeque;
use std::time::Instant;

use base64::Engine;

use crate::audio::{AudioFormat, Transcoder};
use crate::call::event::{BadInput, Event};
use crate::call::leg::CallerLeg;
use crate::call::metrics::Direction;
use crate::wire::elevenlabs::{self, ClientMessage, InitiationMetadata};

use super::Relayed;
use super::event_ids::EventIds;
use crate::call::outbox::Outbox;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

#[derive(Debug)]
pub(super) struct AgentSide {
    /// Converts between the caller's μ-law and the agent's formats, once they are known.
    transcoder: Option<Transcoder>,
    /// `ulaw_8000` both ways: audio is relayed as it came, never decoded beyond a check.
    passthrough: bool,
    /// Agent audio with an `event_id` at or below this belongs to an interrupted turn.
    interrupted_up_to: Option<u64>,
    /// When the agent's last audio arrived.
    pub(super) last_audio_at: Option<Instant>,
    /// Audio was sent since the last pause was handled (flush + mark due at the next pause).
    pub(super) burst_open: bool,
    /// The agent's socket has closed, or the agent was given up on.
    pub(super) closed: bool,
    /// The agent sent its `conversation_initiation_metadata`.
    pub(super) announced: bool,
    /// When a well-formed message last came from the agent.
    pub(super) heard_at: Option<Instant>,
    /// The agent's `event_id`s so far.
    pub(super) ids: EventIds,
    /// Caller audio (base64) that arrived before the agent announced its input format, with
    /// the instant each frame arrived.
    held_caller: VecDeque<(Instant, String)>,
    /// Bytes of `held_caller`'s audio.
    held_caller_bytes: usize,
    max_held_caller: usize,
    max_held_caller_bytes: usize,
    /// Decoded audio of the frame in hand; reused so a frame costs no allocation here.
    scratch: Vec<u8>,
    /// Converted audio of the frame in hand.
    converted: Vec<u8>,
}

impl AgentSide {
    pub(super) fn new(max_held_caller: usize, max_held_caller_bytes: usize) -> Self {
        AgentSide {
            transcoder: None,
            passthrough: false,
            interrupted_up_to: None,
            last_audio_at: None,
            burst_open: false,
            closed: false,
            announced: false,
            heard_at: None,
            ids: EventIds::default(),
            held_caller: VecDeque::new(),
            held_caller_bytes: 0,
            max_held_caller,
            max_held_caller_bytes,
            scratch: Vec::with_capacity(4096),
            converted: Vec::with_capacity(4096),
        }
    }

    /// The agent announced its conversation and formats: set up the transcoder and relay the
    /// caller audio held meanwhile (each frame [released](Outbox::released) with the instant
    /// it arrived, so its wait is measured). An unusable format is an error the call ends on.
    /// A second announcement is a protocol error that changes nothing.
    pub(super) fn on_metadata(&mut self, m: InitiationMetadata, out: &mut Outbox) -> Result<(), String> {
        if self.announced {
            out.bad(BadInput::AgentProtocol, || {
                format!(
                    "a second conversation_initiation_metadata ({})",
                    m.conversation_id
                )
            });
            return Ok(());
        }
        self.announced = true;
        let formats = m
            .user_input_audio_format
            .parse::<AudioFormat>()
            .and_then(|input| Ok((input, m.agent_output_audio_format.parse::<AudioFormat>()?)))
            .and_then(|(input, output)| Ok((input, output, Transcoder::new(input, output)?)));
        let (input, output, transcoder) = match formats {
            Ok(f) => f,
            Err(e) => {
                out.bad(BadInput::AgentAudioFormat, || e.to_string());
                return Err(format!("unsupported audio format: {e}"));
            }
        };
        self.passthrough = transcoder.is_passthrough();
        self.transcoder = Some(transcoder);
        out.event(Event::ConversationStarted {
            conversation_id: m.conversation_id,
            input,
            output,
        });
        self.held_caller_bytes = 0;
        for (received, payload) in std::mem::take(&mut self.held_caller) {
            self.scratch.clear();
            if B64.decode_vec(&payload, &mut self.scratch).is_ok() {
                self.relay_caller_audio(&payload, out);
                out.released(Direction::CallerToAgent, received);
            }
        }
        Ok(())
    }

    /// One frame of caller audio (base64 μ-law) for the agent, received at `now`.
    #[inline]
    pub(super) fn caller_audio(&mut self, now: Instant, payload: &str, out: &mut Outbox) -> Relayed {
        self.scratch.clear();
        if B64.decode_vec(payload, &mut self.scratch).is_err() {
            out.bad(BadInput::InvalidBase64, || "caller media".into());
            return Relayed::Nothing;
        }
        if self.transcoder.is_none() {
            // The agent has not announced its input format yet.
            self.hold_caller_audio(now, payload, out);
            return Relayed::Nothing;
        }
        self.relay_caller_audio(payload, out);
        Relayed::Audio
    }

    /// Keeps a caller frame until the agent's formats are known, within the hold's budget in
    /// frames and in bytes: the oldest frames make room (each one counted).
    fn hold_caller_audio(&mut self, now: Instant, payload: &str, out: &mut Outbox) {
        if payload.len() > self.max_held_caller_bytes {
            out.bad(BadInput::HoldOverflow, || {
                format!(
                    "a caller frame of {} bytes is over the hold's budget",
                    payload.len()
                )
            });
            return;
        }
        while self.held_caller.len() >= self.max_held_caller
            || self.held_caller_bytes + payload.len() > self.max_held_caller_bytes
        {
            let Some((_, dropped)) = self.held_caller.pop_front() else {
                break;
            };
            self.held_caller_bytes -= dropped.len();
            out.bad(BadInput::HoldOverflow, || {
                "caller audio before the agent was ready".into()
            });
        }
        self.held_caller_bytes += payload.len();
        self.held_caller.push_back((now, payload.to_owned()));
    }

    /// Sends one caller frame whose base64 `payload` decodes to `self.scratch`.
    #[inline]
    fn relay_caller_audio(&mut self, payload: &str, out: &mut Outbox) {
        out.stats.caller_frames += 1;
        out.record_caller(&self.scratch);
        if self.passthrough {
            out.to_agent(elevenlabs::user_audio_chunk_json_b64(payload));
            return;
        }
        let Some(transcoder) = self.transcoder.as_mut() else {
            return;
        };
        self.converted.clear();
        transcoder.caller_to_agent(&self.scratch, &mut self.converted);
        if !self.converted.is_empty() {
            out.to_agent(elevenlabs::user_audio_chunk_json(&self.converted));
        }
    }

    /// A key the caller pressed. ElevenLabs has no DTMF input message; a contextual update
    /// tells the agent without interrupting it.
    pub(super) fn caller_digit(&self, digit: &str, out: &mut Outbox) {
        let text = format!("The caller pressed the key \"{digit}\" on their phone keypad.");
        let update = ClientMessage::ContextualUpdate {
            text: text.into(),
            context_id: None,
        };
        out.to_agent(update.to_json());
    }

    /// A chunk of agent audio for the caller. `None` if it was dropped (from an interrupted
    /// turn, or unusable); otherwise it was accepted and the burst is open.
    #[inline]
    pub(super) fn audio(
        &mut self,
        now: Instant,
        event_id: u64,
        payload: &str,
        mark_every_ms: u64,
        leg: &mut impl CallerLeg,
        out: &mut Outbox,
    ) -> Option<Relayed> {
        if let Err(absurd) = self.ids.audio(event_id) {
            // Still played: the audio is the agent's, only its number is wrong.
            out.bad(BadInput::AgentProtocol, || format!("audio: {absurd}"));
        }
        if self.interrupted_up_to.is_some_and(|cut| event_id <= cut) {
            out.stats.stale_agent_chunks += 1;
            return None;
        }
        let Some(transcoder) = self.transcoder.as_mut() else {
            // Audio before metadata breaks the protocol's order; without formats it can't play.
            out.bad(BadInput::AgentMalformed, || {
                "audio before conversation metadata".into()
            });
            return None;
        };
        self.scratch.clear();
        if B64.decode_vec(payload, &mut self.scratch).is_err() {
            out.bad(BadInput::InvalidBase64, || "agent audio".into());
            return None;
        }
        let sent = if self.passthrough {
            leg.play_base64(payload, self.scratch.len(), out);
            out.record_agent(&self.scratch);
            self.scratch.len()
        } else {
            self.converted.clear();
            transcoder.agent_to_caller(&self.scratch, &mut self.converted);
            leg.play(&self.converted, out);
            out.record_agent(&self.converted);
            self.converted.len()
        };
        out.stats.agent_chunks += 1;
        out.stats.agent_bytes += sent as u64;
        self.last_audio_at = Some(now);
        self.burst_open = true;
        if leg.unmarked_ms() >= mark_every_ms {
            leg.mark(out);
        }
        Some(if sent > 0 {
            Relayed::Audio
        } else {
            Relayed::Nothing
        })
    }

    /// The burst of agent audio is over: flush what the resampler held back and mark the end
    /// of the burst, so playback of the whole turn can be confirmed.
    pub(super) fn end_burst(&mut self, leg: &mut impl CallerLeg, out: &mut Outbox) {
        if !self.burst_open {
            return;
        }
        self.burst_open = false;
        if let Some(transcoder) = self.transcoder.as_mut()
            && !self.passthrough
        {
            self.converted.clear();
            transcoder.flush_agent_to_caller(&mut self.converted);
            if !self.converted.is_empty() {
                leg.play(&self.converted, out);
                out.record_agent(&self.converted);
                out.stats.agent_bytes += self.converted.len() as u64;
            }
        }
        leg.mark(out);
    }

    /// Barge-in: clear what the caller has not heard yet, and drop the rest of the turn. An
    /// interruption with an absurd `event_id` is counted and changes nothing (false).
    pub(super) fn interrupt(&mut self, event_id: u64, leg: &mut impl CallerLeg, out: &mut Outbox) -> bool {
        if let Err(absurd) = self.ids.interruption(event_id) {
            out.bad(BadInput::AgentProtocol, || format!("interruption: {absurd}"));
            return false;
        }
        let cut = self.interrupted_up_to.map_or(event_id, |c| c.max(event_id));
        self.interrupted_up_to = Some(cut);
        leg.clear(out);
        out.record_clear();
        self.burst_open = false;
        if let Some(transcoder) = self.transcoder.as_mut() {
            transcoder.reset_agent_to_caller();
        }
        out.stats.interruptions += 1;
        out.event(Event::Interrupted {
            event_id,
            heard_ms: leg.heard_ms(),
        });
        true
    }

    /// The agent's socket closed: nothing more will come, so there is no pause to wait for.
    pub(super) fn on_closed(&mut self) {
        self.last_audio_at = None;
        self.closed = true;
    }
}
