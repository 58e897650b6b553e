//! Twilio's half of a media stream, as the caller simulator and the load generator play it:
//! the signed WebSocket handshake, and the messages Twilio sends, numbered as Twilio numbers
//! them (twilio.com/docs/voice/media-streams/websocket-messages).
//!
//! `media` goes out fifty times a second per call, so it is written straight into a buffer
//! the caller chooses, with the payload's base64 written in place; a typed message would
//! cost several allocations per frame. The rarer messages use the typed [`StreamMessage`].

use std::fmt::{self, Write};
use std::time::Duration;

use base64::display::Base64Display;
use futures::SinkExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::webhook::Webhooks;
use crate::audio::AudioFormat;
use crate::audio::format::FRAME_MS;
use crate::wire::twilio::{Dtmf, Mark, MediaFormat, Start, Stop, StreamMessage};

/// One frame of caller audio: 20 ms.
pub const FRAME: Duration = Duration::from_millis(FRAME_MS as u64);
/// Bytes of μ-law in one frame.
pub const FRAME_BYTES: usize = AudioFormat::Ulaw8000.bytes_per_frame();
/// The JSON of a `media` message around its payload and sid: 119 characters, and three
/// counters of up to 20 digits each.
const MEDIA_JSON: usize = 119 + 3 * 20;

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens the media stream at `url` as Twilio does: the handshake carries the signature of
/// the URL with no parameters.
pub async fn open(
    hooks: &Webhooks,
    url: &str,
    config: Option<WebSocketConfig>,
) -> Result<Socket, tungstenite::Error> {
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("X-Twilio-Signature", hooks.sign(url, &[]).parse()?);
    // Nagle's algorithm would hold a frame back until the previous one is acknowledged.
    let (socket, _) = tokio_tungstenite::connect_async_with_config(request, config, true).await?;
    Ok(socket)
}

/// Sends the echo of each mark in `names`, in order, as Twilio does once playback has
/// reached it (or a `clear` has discarded the audio before it). Returns how many were sent.
pub async fn echo_marks(
    socket: &mut Socket,
    messages: &mut CallerMessages,
    names: impl IntoIterator<Item = String>,
) -> Result<u64, tungstenite::Error> {
    let mut sent = 0;
    for name in names {
        socket.send(Message::Text(messages.mark(&name).into())).await?;
        sent += 1;
    }
    Ok(sent)
}

/// Writes one stream's messages, numbering them as Twilio does: `sequenceNumber` counts
/// every message after `connected`.
#[derive(Debug)]
pub struct CallerMessages {
    stream_sid: String,
    /// `sequenceNumber` of the last message written.
    sequence: u64,
}

impl CallerMessages {
    /// `stream_sid` is written into `media` as it is, so it must need no JSON escaping (the
    /// simulators make their own, from letters and digits).
    pub fn new(stream_sid: &str) -> Self {
        debug_assert!(stream_sid.bytes().all(|b| b.is_ascii_alphanumeric()));
        CallerMessages {
            stream_sid: stream_sid.to_owned(),
            sequence: 0,
        }
    }

    pub fn stream_sid(&self) -> &str {
        &self.stream_sid
    }

    fn next_sequence(&mut self) -> String {
        self.sequence += 1;
        self.sequence.to_string()
    }

    /// The first message of every stream.
    pub fn connected() -> String {
        StreamMessage::Connected {
            protocol: "Call".into(),
            version: "1.0.0".into(),
        }
        .to_json()
    }

    /// The stream's metadata: the call, μ-law 8 kHz mono inbound audio, and the TwiML's
    /// `<Parameter>`s.
    pub fn start(&mut self, account_sid: &str, call_sid: &str, parameters: &[(String, String)]) -> String {
        let sequence = self.next_sequence();
        StreamMessage::Start {
            sequence_number: sequence.into(),
            stream_sid: self.stream_sid.as_str().into(),
            start: Start {
                account_sid: account_sid.to_owned(),
                stream_sid: self.stream_sid.clone(),
                call_sid: call_sid.to_owned(),
                tracks: vec!["inbound".into()],
                media_format: MediaFormat::default(),
                custom_parameters: parameters.iter().cloned().collect(),
            },
        }
        .to_json()
    }

    /// Writes into `out` the `media` message carrying frame `frame` of the call (counted from
    /// 0), whose payload's base64 `payload` writes. The frame number also gives Twilio's
    /// `chunk` (counted from 1) and `timestamp` (milliseconds of audio before it).
    pub fn write_media(&mut self, out: &mut impl Write, frame: u64, payload: impl fmt::Display) {
        self.sequence += 1;
        // Writing only fails if the buffer cannot grow, which aborts anyway.
        let _ = write!(
            out,
            r#"{{"event":"media","sequenceNumber":"{sequence}","media":{{"track":"inbound","chunk":"{chunk}","timestamp":"{timestamp}","payload":"{payload}"}},"streamSid":"{sid}"}}"#,
            sequence = self.sequence,
            chunk = frame + 1,
            timestamp = frame * u64::from(FRAME_MS),
            sid = self.stream_sid,
        );
    }

    /// The `media` message carrying frame `frame` of the call, `ulaw` encoded into it.
    pub fn media(&mut self, frame: u64, ulaw: &[u8]) -> String {
        let engine = base64::engine::general_purpose::STANDARD;
        let base64_len = base64::encoded_len(ulaw.len(), true).unwrap_or(0);
        let mut out = String::with_capacity(MEDIA_JSON + self.stream_sid.len() + base64_len);
        self.write_media(&mut out, frame, Base64Display::new(ulaw, &engine));
        out
    }

    /// A `dtmf` message: the caller pressed `digit`.
    pub fn dtmf(&mut self, digit: &str) -> String {
        let sequence = self.next_sequence();
        StreamMessage::Dtmf {
            stream_sid: self.stream_sid.as_str().into(),
            sequence_number: sequence.into(),
            dtmf: Dtmf {
                track: "inbound_track".into(),
                digit: digit.into(),
            },
        }
        .to_json()
    }

    /// The echo of a `mark` the bridge sent.
    pub fn mark(&mut self, name: &str) -> String {
        let sequence = self.next_sequence();
        StreamMessage::Mark {
            sequence_number: Some(sequence.into()),
            stream_sid: self.stream_sid.as_str().into(),
            mark: Mark { name: name.into() },
        }
        .to_json()
    }

    /// The caller hung up.
    pub fn stop(&mut self, account_sid: &str, call_sid: &str) -> String {
        let sequence = self.next_sequence();
        StreamMessage::Stop {
            sequence_number: sequence.into(),
            stream_sid: self.stream_sid.as_str().into(),
            stop: Stop {
                account_sid: account_sid.to_owned(),
                call_sid: call_sid.to_owned(),
            },
        }
        .to_json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::twilio::Media;
    use proptest::prelude::*;

    fn parse(text: &str) -> StreamMessage<'_> {
        StreamMessage::parse(text).unwrap()
    }

    #[test]
    fn messages_are_numbered_from_start_on() {
        let mut messages = CallerMessages::new("MZ9");
        assert!(matches!(
            parse(&CallerMessages::connected()),
            StreamMessage::Connected { .. }
        ));
        let parameters = [("agent".to_owned(), "a1".to_owned())];
        let start = messages.start("AC1", "CA1", &parameters);
        let StreamMessage::Start {
            sequence_number,
            start,
            stream_sid,
        } = parse(&start)
        else {
            panic!("not a start");
        };
        assert_eq!((sequence_number.as_ref(), stream_sid.as_ref()), ("1", "MZ9"));
        assert_eq!(
            (start.call_sid.as_str(), start.stream_sid.as_str()),
            ("CA1", "MZ9")
        );
        assert_eq!(start.custom_parameters["agent"], "a1");
        assert_eq!(start.media_format, MediaFormat::default());
        let dtmf = messages.dtmf("*");
        let StreamMessage::Dtmf {
            dtmf,
            sequence_number,
            ..
        } = parse(&dtmf)
        else {
            panic!("not dtmf");
        };
        assert_eq!((dtmf.digit.as_ref(), sequence_number.as_ref()), ("*", "2"));
        let mark = messages.mark("sb0.3");
        let StreamMessage::Mark {
            mark,
            sequence_number,
            ..
        } = parse(&mark)
        else {
            panic!("not a mark");
        };
        assert_eq!(mark.name, "sb0.3");
        assert_eq!(sequence_number.as_deref(), Some("3"));
        let stop = messages.stop("AC1", "CA1");
        let StreamMessage::Stop {
            sequence_number,
            stop,
            ..
        } = parse(&stop)
        else {
            panic!("not a stop");
        };
        assert_eq!((sequence_number.as_ref(), stop.call_sid.as_str()), ("4", "CA1"));
    }

    proptest! {
        #[test]
        fn media_is_the_typed_message_twilio_sends(
            frame in 0u64..1 << 40,
            ulaw in proptest::collection::vec(any::<u8>(), 0..400),
            before in 0u64..5,
        ) {
            let mut messages = CallerMessages::new("MZ0123");
            for _ in 0..before {
                messages.dtmf("1");
            }
            let written = messages.media(frame, &ulaw);
            let typed = StreamMessage::Media {
                sequence_number: Some((before + 1).to_string().into()),
                stream_sid: "MZ0123".into(),
                media: Media {
                    track: Some("inbound".into()),
                    chunk: Some((frame + 1).to_string().into()),
                    timestamp: Some((frame * 20).to_string().into()),
                    payload: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &ulaw).into(),
                },
            };
            prop_assert_eq!(parse(&written), typed);
            // Written into the buffer it was given, without growing it.
            let expected_capacity = MEDIA_JSON + "MZ0123".len() + ulaw.len().div_ceil(3) * 4;
            prop_assert_eq!(written.capacity(), expected_capacity);
        }
    }
}
