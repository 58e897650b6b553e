//! The agent side of a session: its messages, audio relay to Twilio, marks and barge-in.

use std::time::Instant;

use super::*;

impl Session {
    pub(super) fn agent_text(&mut self, now: Instant, text: &str) -> Relayed {
        let message = match AgentMessage::parse(text) {
            Ok(message) => message,
            Err(e) => {
                self.bad(BadInput::AgentMalformed, || e.to_string());
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
                let pong = ClientMessage::Pong {
                    event_id: ping_event.event_id,
                };
                self.transmits.push_back(Transmit::Agent(pong.to_json()));
                Relayed::Nothing
            }
            AgentMessage::ConversationInitiationMetadata {
                conversation_initiation_metadata_event: m,
            } => {
                self.on_metadata(now, m);
                Relayed::Nothing
            }
            AgentMessage::ClientToolCall { client_tool_call } => {
                self.on_tool_call(now, client_tool_call);
                Relayed::Nothing
            }
            AgentMessage::AgentResponse { agent_response_event } => {
                self.events
                    .push_back(Event::AgentSaid(agent_response_event.agent_response));
                Relayed::Nothing
            }
            AgentMessage::UserTranscript {
                user_transcription_event,
            } => {
                self.events
                    .push_back(Event::CallerSaid(user_transcription_event.user_transcript));
                Relayed::Nothing
            }
            AgentMessage::Error { error_event } => {
                let message = error_event.message.or(error_event.reason).unwrap_or_default();
                self.events.push_back(Event::AgentError {
                    code: error_event.code,
                    message,
                });
                Relayed::Nothing
            }
            AgentMessage::Unknown(kind) => {
                self.bad(BadInput::AgentUnknownType, move || kind.into_owned());
                Relayed::Nothing
            }
            // Known, and of no use to the bridge.
            _ => Relayed::Nothing,
        }
    }

    pub(super) fn on_metadata(&mut self, now: Instant, m: elevenlabs::InitiationMetadata) {
        let formats = m
            .user_input_audio_format
            .parse::<AudioFormat>()
            .and_then(|input| Ok((input, m.agent_output_audio_format.parse::<AudioFormat>()?)))
            .and_then(|(input, output)| Ok((input, output, Transcoder::new(input, output)?)));
        let (input, output, transcoder) = match formats {
            Ok(f) => f,
            Err(e) => {
                self.bad(BadInput::AgentAudioFormat, || e.to_string());
                let reason = format!("unsupported audio format: {e}");
                self.begin_ending(now, EndReason::Server(reason));
                return;
            }
        };
        self.agent.passthrough = transcoder.is_passthrough();
        self.agent.transcoder = Some(transcoder);
        self.events.push_back(Event::ConversationStarted {
            conversation_id: m.conversation_id,
            input,
            output,
        });
        for payload in std::mem::take(&mut self.held_caller) {
            self.scratch.clear();
            if B64.decode_vec(&payload, &mut self.scratch).is_ok() {
                self.relay_caller_audio(&payload);
            }
        }
    }

    pub(super) fn agent_audio(&mut self, now: Instant, event_id: u64, payload: &str) -> Relayed {
        if self.agent.interrupted_up_to.is_some_and(|cut| event_id <= cut) {
            self.stats.stale_agent_chunks += 1;
            return Relayed::Nothing;
        }
        let (Some(stream), Some(transcoder)) = (&self.stream, self.agent.transcoder.as_mut()) else {
            // Audio before metadata breaks the protocol's order; without formats it can't play.
            self.bad(BadInput::AgentMalformed, || {
                "audio before conversation metadata".into()
            });
            return Relayed::Nothing;
        };
        self.scratch.clear();
        if B64.decode_vec(payload, &mut self.scratch).is_err() {
            self.bad(BadInput::InvalidBase64, || "agent audio".into());
            return Relayed::Nothing;
        }
        let sent = if self.agent.passthrough {
            self.transmits
                .push_back(Transmit::Twilio(stream.writer.media_base64(payload)));
            self.scratch.len()
        } else {
            self.converted.clear();
            transcoder.agent_to_caller(&self.scratch, &mut self.converted);
            if !self.converted.is_empty() {
                self.transmits
                    .push_back(Transmit::Twilio(stream.writer.media(&self.converted)));
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
        if sent > 0 {
            Relayed::Audio
        } else {
            Relayed::Nothing
        }
    }

    /// When agent audio pauses: flush what the resampler held back and mark the end of the
    /// burst, so playback of the whole turn can be confirmed.
    pub(super) fn end_agent_burst_if_paused(&mut self, now: Instant) {
        let paused = self
            .agent
            .last_audio_at
            .is_none_or(|last| now >= last + self.config.agent_pause);
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
                self.transmits
                    .push_back(Transmit::Twilio(stream.writer.media(&self.converted)));
                self.stats.agent_bytes += self.converted.len() as u64;
                self.playback.sent(self.converted.len());
            }
        }
        self.send_mark();
    }

    pub(super) fn send_mark(&mut self) {
        if let (Some(stream), Some(mark)) = (&self.stream, self.playback.take_mark()) {
            self.transmits
                .push_back(Transmit::Twilio(stream.writer.mark(mark)));
        }
    }

    pub(super) fn interruption(&mut self, event_id: u64) {
        let cut = self.agent.interrupted_up_to.map_or(event_id, |c| c.max(event_id));
        self.agent.interrupted_up_to = Some(cut);
        // Always clear: Twilio may still hold audio even when our own accounting says it
        // played, and a needless clear costs nothing.
        if let Some(stream) = &self.stream {
            self.transmits.push_back(Transmit::Twilio(stream.writer.clear()));
        }
        self.playback.on_clear();
        self.agent.burst_open = false;
        if let Some(transcoder) = self.agent.transcoder.as_mut() {
            transcoder.reset_agent_to_caller();
        }
        self.stats.interruptions += 1;
        self.events.push_back(Event::Interrupted {
            event_id,
            heard_ms: self.playback.played_ms(),
        });
    }
}
