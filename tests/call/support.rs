//! Builds the frames the two peers send, and reads back what a session transmitted, for
//! driving a `Session` with no sockets.

use std::time::{Duration, Instant};

use base64::Engine;
use switchboard::call::metrics::Direction;
use switchboard::call::{Event, Frame, Session, SessionConfig, Transmit};
use switchboard::wire::elevenlabs::{
    AgentMessage, AudioEvent, ClientMessage, ClientToolCall, EventId, InitiationMetadata, PingEvent,
};
use switchboard::wire::twilio::{Dtmf, Mark, Media, MediaFormat, Start, Stop, StreamMessage};

pub const STREAM: &str = "MZ00000000000000000000000000000001";
pub const CALL: &str = "CA00000000000000000000000000000001";

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn unb64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("valid base64")
}

pub fn start() -> String {
    StreamMessage::Start {
        sequence_number: "1".into(),
        stream_sid: STREAM.into(),
        start: Start {
            account_sid: "AC00000000000000000000000000000001".into(),
            stream_sid: STREAM.into(),
            call_sid: CALL.into(),
            tracks: vec!["inbound".into()],
            media_format: MediaFormat::default(),
            custom_parameters: [("token".to_string(), "t".to_string())].into(),
        },
    }
    .to_json()
}

pub fn media(seq: u64, bytes: &[u8]) -> String {
    StreamMessage::Media {
        sequence_number: Some(seq.to_string().into()),
        stream_sid: STREAM.into(),
        media: Media {
            track: Some("inbound".into()),
            chunk: Some(seq.to_string().into()),
            timestamp: Some((seq * 20).to_string().into()),
            payload: b64(bytes).into(),
        },
    }
    .to_json()
}

pub fn mark_echo(name: &str) -> String {
    StreamMessage::Mark {
        sequence_number: Some("9".into()),
        stream_sid: STREAM.into(),
        mark: Mark { name: name.into() },
    }
    .to_json()
}

pub fn dtmf(digit: &str) -> String {
    StreamMessage::Dtmf {
        stream_sid: STREAM.into(),
        sequence_number: "5".into(),
        dtmf: Dtmf {
            track: "inbound_track".into(),
            digit: digit.into(),
        },
    }
    .to_json()
}

pub fn stop() -> String {
    StreamMessage::Stop {
        sequence_number: "99".into(),
        stream_sid: STREAM.into(),
        stop: Stop {
            account_sid: "AC1".into(),
            call_sid: CALL.into(),
        },
    }
    .to_json()
}

pub fn metadata(input: &str, output: &str) -> String {
    AgentMessage::ConversationInitiationMetadata {
        conversation_initiation_metadata_event: InitiationMetadata {
            conversation_id: "conv_test".into(),
            agent_output_audio_format: output.into(),
            user_input_audio_format: input.into(),
        },
    }
    .to_json()
}

pub fn agent_audio(event_id: u64, bytes: &[u8]) -> String {
    AgentMessage::Audio {
        audio_event: AudioEvent {
            audio_base_64: b64(bytes).into(),
            event_id,
            alignment: None,
        },
    }
    .to_json()
}

/// An agent audio chunk as ElevenLabs sends it with the character timings of the text spoken.
pub fn agent_audio_aligned(event_id: u64, bytes: &[u8], text: &str) -> String {
    let chars: Vec<String> = text.chars().map(String::from).collect();
    let starts: Vec<u64> = (0..chars.len() as u64).map(|i| i * 60).collect();
    let durations = vec![60u64; chars.len()];
    serde_json::json!({
        "type": "audio",
        "audio_event": {
            "audio_base_64": b64(bytes),
            "event_id": event_id,
            "alignment": {"chars": chars, "char_start_times_ms": starts, "char_durations_ms": durations},
        },
    })
    .to_string()
}

pub fn interruption(event_id: u64) -> String {
    AgentMessage::Interruption {
        interruption_event: EventId { event_id },
    }
    .to_json()
}

pub fn ping(event_id: u64) -> String {
    AgentMessage::Ping {
        ping_event: PingEvent {
            event_id,
            ping_ms: None,
        },
    }
    .to_json()
}

pub fn tool_call(id: &str, name: &str, parameters: serde_json::Value) -> String {
    AgentMessage::ClientToolCall {
        client_tool_call: ClientToolCall {
            tool_name: name.into(),
            tool_call_id: id.into(),
            parameters,
            event_id: Some(1),
        },
    }
    .to_json()
}

/// A session plus a virtual clock and everything it has emitted so far.
pub struct Harness {
    pub session: Session,
    /// How many frames sent to Twilio have been "played" by `echo_marks`.
    played: usize,
    pub now: Instant,
    pub to_twilio: Vec<String>,
    pub to_agent: Vec<String>,
    pub events: Vec<Event>,
    /// Held audio frames released so far: which way, and when each arrived.
    pub released: Vec<(Direction, Instant)>,
}

impl Harness {
    pub fn new(config: SessionConfig) -> Self {
        let now = Instant::now();
        Harness {
            session: Session::new(config, now),
            played: 0,
            now,
            to_twilio: vec![],
            to_agent: vec![],
            events: vec![],
            released: vec![],
        }
    }

    /// A session that has seen `start` and the agent's metadata.
    pub fn live(input: &str, output: &str) -> Self {
        let mut h = Harness::new(SessionConfig::default());
        h.twilio(&start());
        h.agent(&metadata(input, output));
        h
    }

    fn drain(&mut self) {
        while let Some(t) = self.session.poll_transmit() {
            match t {
                Transmit::Caller(s) => self.to_twilio.push(s),
                Transmit::Agent(s) => self.to_agent.push(s),
            }
        }
        while let Some(e) = self.session.poll_event() {
            self.events.push(e);
        }
        while let Some(r) = self.session.poll_released() {
            self.released.push(r);
        }
    }

    /// The driver attached the agent now (its deadlines start).
    pub fn attach(&mut self) {
        self.session.on_agent_attached(self.now, 0);
        self.drain();
    }

    pub fn twilio(&mut self, text: &str) {
        self.session.on_caller(self.now, Frame::Text(text));
        self.drain();
    }

    pub fn twilio_binary(&mut self, bytes: &[u8]) {
        self.session.on_caller(self.now, Frame::Binary(bytes));
        self.drain();
    }

    pub fn agent(&mut self, text: &str) {
        self.session.on_agent(self.now, Frame::Text(text));
        self.drain();
    }

    pub fn tool_result(&mut self, id: &str, outcome: switchboard::call::ToolOutcome) {
        self.session.on_tool_result(self.now, id, outcome);
        self.drain();
    }

    pub fn agent_closed(&mut self, code: Option<u16>) {
        self.session.on_agent_closed(self.now, code, "closed");
        self.drain();
    }

    /// Moves the clock forward, ticking at every deadline the session asks for on the way.
    pub fn advance(&mut self, by: Duration) {
        let until = self.now + by;
        let mut ticks = 0;
        while let Some(at) = self.session.poll_timeout() {
            if at > until {
                break;
            }
            ticks += 1;
            assert!(
                ticks < 10_000,
                "the session keeps asking for a deadline it does not clear"
            );
            self.now = self.now.max(at);
            self.session.on_tick(self.now);
            self.drain();
        }
        self.now = until;
        self.session.on_tick(self.now);
        self.drain();
    }

    /// Echoes every mark sent to Twilio since the last call, as Twilio does once playback
    /// reaches it.
    pub fn echo_marks(&mut self) {
        let names: Vec<String> = self.to_twilio[self.played..]
            .iter()
            .filter_map(|t| mark_name(t))
            .collect();
        self.played = self.to_twilio.len();
        for name in names {
            self.twilio(&mark_echo(&name));
        }
    }

    /// μ-law bytes sent to Twilio, concatenated.
    pub fn twilio_audio(&self) -> Vec<u8> {
        self.to_twilio
            .iter()
            .filter_map(|t| media_payload(t))
            .flatten()
            .collect()
    }

    /// Bytes sent to the agent as `user_audio_chunk`s, concatenated.
    pub fn agent_audio_bytes(&self) -> Vec<u8> {
        self.to_agent
            .iter()
            .filter_map(|t| match ClientMessage::parse(t).ok()? {
                ClientMessage::UserAudioChunk { user_audio_chunk } => Some(unb64(&user_audio_chunk)),
                _ => None,
            })
            .flatten()
            .collect()
    }

    pub fn ended(&self) -> Option<&Event> {
        self.events.iter().find(|e| matches!(e, Event::Ended { .. }))
    }
}

pub fn media_payload(text: &str) -> Option<Vec<u8>> {
    match StreamMessage::parse(text).ok()? {
        StreamMessage::Media { media, .. } => Some(unb64(&media.payload)),
        _ => None,
    }
}

pub fn mark_name(text: &str) -> Option<String> {
    match StreamMessage::parse(text).ok()? {
        StreamMessage::Mark { mark, .. } => Some(mark.name.into_owned()),
        _ => None,
    }
}

pub fn is_clear(text: &str) -> bool {
    matches!(StreamMessage::parse(text), Ok(StreamMessage::Clear { .. }))
}
