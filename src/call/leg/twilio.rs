//! Twilio Media Streams as a caller leg: `start`, caller audio and keypad digits in; agent
//! audio, marks and `clear` out; marks echoed back tell what the caller heard.
//!
//! Protocol: twilio.com/docs/voice/media-streams/websocket-messages (see `wire::twilio`).

use crate::call::event::{BadInput, Started};
use crate::call::outbox::Outbox;
use crate::call::socket::Frame;
use crate::wire::twilio::{StreamMessage, StreamWriter};

use super::{CallerInput, CallerLeg, MarkEcho, Playback};

/// The Twilio side of one call.
#[derive(Debug)]
pub struct Twilio {
    /// Largest text frame handled; a media frame is ~300 bytes.
    max_frame: usize,
    /// Longest media payload handled, in base64 characters; Twilio's are 216 (20 ms).
    max_media: usize,
    stream: Option<Stream>,
    playback: Playback,
}

/// The stream, once Twilio's `start` named it.
#[derive(Debug)]
struct Stream {
    sid: String,
    writer: StreamWriter,
}

impl Twilio {
    /// A leg that handles text frames of up to `max_frame` bytes and media payloads of up to
    /// `max_media` base64 characters.
    pub fn new(max_frame: usize, max_media: usize) -> Self {
        Twilio {
            max_frame,
            max_media,
            stream: None,
            playback: Playback::default(),
        }
    }

    /// The stream's `streamSid`, once it started.
    pub fn stream_sid(&self) -> Option<&str> {
        self.stream.as_ref().map(|s| s.sid.as_str())
    }
}

impl CallerLeg for Twilio {
    #[inline]
    fn read<'f>(&mut self, frame: Frame<'f>, out: &mut Outbox) -> CallerInput<'f> {
        let text = match frame {
            Frame::Text(text) if text.len() > self.max_frame => {
                out.bad(BadInput::TwilioOversized, || format!("{} bytes", text.len()));
                return CallerInput::Nothing;
            }
            Frame::Text(text) => text,
            Frame::Binary(bytes) => {
                out.bad(BadInput::TwilioBinary, || format!("{} bytes", bytes.len()));
                return CallerInput::Nothing;
            }
        };
        let message = match StreamMessage::parse(text) {
            Ok(message) => message,
            Err(e) => {
                out.bad(BadInput::TwilioMalformed, || e.to_string());
                return CallerInput::Nothing;
            }
        };
        if let Some(sid) = message.stream_sid()
            && let Some(stream) = &self.stream
            && sid != stream.sid
        {
            out.bad(BadInput::WrongStreamSid, || {
                format!("{} on a `{}`", sid, message.event_name())
            });
            return CallerInput::Nothing;
        }
        match message {
            StreamMessage::Connected { .. } => CallerInput::Nothing,
            StreamMessage::Start {
                start, stream_sid, ..
            } => {
                if self.stream.is_some() {
                    out.bad(BadInput::DuplicateStart, move || stream_sid.into_owned());
                    return CallerInput::Nothing;
                }
                let stream_sid = stream_sid.into_owned();
                self.stream = Some(Stream {
                    writer: StreamWriter::new(&stream_sid),
                    sid: stream_sid.clone(),
                });
                CallerInput::Start(Started {
                    call_sid: start.call_sid,
                    stream_sid,
                    account_sid: start.account_sid,
                    parameters: start.custom_parameters,
                })
            }
            StreamMessage::Media { media, .. } => match self.stream {
                Some(_) if media.payload.len() > self.max_media => {
                    out.bad(BadInput::TwilioOversized, || {
                        format!("a media payload of {} base64 characters", media.payload.len())
                    });
                    CallerInput::Nothing
                }
                Some(_) => CallerInput::Audio(media.payload),
                None => before_start(out, "media"),
            },
            StreamMessage::Dtmf { dtmf, .. } => match self.stream {
                Some(_) => CallerInput::Digit(dtmf.digit),
                None => before_start(out, "dtmf"),
            },
            StreamMessage::Mark { mark, .. } => {
                if self.playback.on_echo(&mark.name) == MarkEcho::Played {
                    out.stats.heard_ms = self.playback.played_ms();
                }
                CallerInput::Mark
            }
            StreamMessage::Stop { .. } => CallerInput::Stop,
            StreamMessage::Clear { .. } => {
                // Only we send `clear`; from Twilio it is meaningless.
                out.bad(BadInput::TwilioUnknownEvent, || "clear".into());
                CallerInput::Nothing
            }
            StreamMessage::Unknown(event) => {
                out.bad(BadInput::TwilioUnknownEvent, move || event.into_owned());
                CallerInput::Nothing
            }
        }
    }

    #[inline]
    fn is_started(&self) -> bool {
        self.stream.is_some()
    }

    #[inline]
    fn play_base64(&mut self, base64: &str, bytes: usize, out: &mut Outbox) {
        if let Some(stream) = &self.stream {
            out.to_caller(stream.writer.media_base64(base64));
            self.playback.sent(bytes);
        }
    }

    #[inline]
    fn play(&mut self, audio: &[u8], out: &mut Outbox) {
        if let Some(stream) = &self.stream
            && !audio.is_empty()
        {
            out.to_caller(stream.writer.media(audio));
            self.playback.sent(audio.len());
        }
    }

    fn mark(&mut self, out: &mut Outbox) {
        if let Some(stream) = &self.stream
            && let Some(mark) = self.playback.take_mark()
        {
            out.to_caller(stream.writer.mark(mark));
        }
    }

    #[inline]
    fn unmarked_ms(&self) -> u64 {
        self.playback.unmarked_ms()
    }

    fn clear(&mut self, out: &mut Outbox) {
        // Always clear: Twilio may still hold audio even when our own accounting says it
        // played, and a needless clear costs nothing.
        if let Some(stream) = &self.stream {
            out.to_caller(stream.writer.clear());
        }
        self.playback.on_clear();
    }

    fn is_idle(&self) -> bool {
        self.playback.is_idle()
    }

    fn heard_ms(&self) -> u64 {
        self.playback.played_ms()
    }
}

fn before_start<'f>(out: &mut Outbox, what: &'static str) -> CallerInput<'f> {
    out.bad(BadInput::MediaBeforeStart, || what.into());
    CallerInput::Nothing
}
