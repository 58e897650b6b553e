//! The Twilio side of a session: the stream's start, caller audio and keypad digits.

use std::time::Instant;

use super::*;

impl Session {
    pub(super) fn on_start(&mut self, now: Instant, start: twilio::Start, stream_sid: String) {
        if self.stream.is_some() || self.phase != Phase::AwaitingStart {
            self.bad(BadInput::DuplicateStart, move || stream_sid);
            return;
        }
        self.stream = Some(Stream {
            writer: StreamWriter::new(&stream_sid),
            stream_sid: stream_sid.clone(),
        });
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

    pub(super) fn caller_audio(&mut self, payload: &str) -> Relayed {
        self.scratch.clear();
        if B64.decode_vec(payload, &mut self.scratch).is_err() {
            self.bad(BadInput::InvalidBase64, || "caller media".into());
            return Relayed::Nothing;
        }
        if self.agent.transcoder.is_none() {
            // The agent has not announced its input format yet.
            if self.held_caller.len() >= self.config.max_held_caller_frames {
                self.held_caller.pop_front();
                self.bad(BadInput::HoldOverflow, || {
                    "caller audio before the agent was ready".into()
                });
            }
            self.held_caller.push_back(payload.to_owned());
            return Relayed::Nothing;
        }
        self.relay_caller_audio(payload);
        Relayed::Audio
    }

    /// Sends one caller frame whose base64 `payload` decodes to `self.scratch`.
    pub(super) fn relay_caller_audio(&mut self, payload: &str) {
        self.stats.caller_frames += 1;
        if self.agent.passthrough {
            self.transmits
                .push_back(Transmit::Agent(elevenlabs::user_audio_chunk_json_b64(payload)));
            return;
        }
        let Some(transcoder) = self.agent.transcoder.as_mut() else {
            return;
        };
        self.converted.clear();
        transcoder.caller_to_agent(&self.scratch, &mut self.converted);
        if !self.converted.is_empty() {
            self.transmits
                .push_back(Transmit::Agent(elevenlabs::user_audio_chunk_json(
                    &self.converted,
                )));
        }
    }

    pub(super) fn caller_digit(&mut self, digit: &str) {
        // ElevenLabs has no DTMF input message; a contextual update tells the agent without
        // interrupting it.
        let text = format!("The caller pressed the key \"{digit}\" on their phone keypad.");
        let update = ClientMessage::ContextualUpdate {
            text: text.into(),
            context_id: None,
        };
        self.transmits.push_back(Transmit::Agent(update.to_json()));
    }
}
