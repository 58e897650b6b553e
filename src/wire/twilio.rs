//! Twilio Media Streams messages, both ways, exactly as they appear on the WebSocket.
//!
//! Twilio sends `connected`, `start`, `media`, `dtmf`, `mark` and `stop`; a bidirectional stream
//! accepts `media`, `mark` and `clear` back. Counters (`sequenceNumber`, `chunk`, `timestamp`)
//! are JSON strings on the wire; we keep them as strings and parse them only where they are
//! used, so a message is never rejected for a counter we do not need.
//! Source: twilio.com/docs/voice/media-streams/websocket-messages.
//!
//! Parsing goes through a flat [`Envelope`] (every possible key optional) instead of serde's
//! internally tagged enums: the latter buffer the whole message before choosing a variant,
//! which costs several allocations per 20 ms audio frame. The envelope borrows the payload
//! straight out of the frame text.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::{AudioPayload, audio_message, need};

/// One message on a Twilio Media Stream, in either direction.
///
/// The bridge parses the messages Twilio sends and writes the ones Twilio accepts; the caller
/// simulator does the opposite, so every variant both serializes and deserializes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum StreamMessage<'a> {
    /// First message of every stream.
    Connected {
        protocol: Cow<'a, str>,
        version: Cow<'a, str>,
    },
    /// Stream metadata, sent once right after `connected`.
    Start {
        #[serde(rename = "sequenceNumber")]
        sequence_number: Cow<'a, str>,
        start: Start,
        #[serde(rename = "streamSid")]
        stream_sid: Cow<'a, str>,
    },
    /// Audio. From Twilio it carries `sequenceNumber` and the track/chunk/timestamp fields;
    /// towards Twilio only `streamSid` and `media.payload`.
    Media {
        #[serde(rename = "sequenceNumber", skip_serializing_if = "Option::is_none")]
        sequence_number: Option<Cow<'a, str>>,
        #[serde(rename = "streamSid")]
        stream_sid: Cow<'a, str>,
        media: Media<'a>,
    },
    /// A key the caller pressed (bidirectional streams only).
    Dtmf {
        #[serde(rename = "streamSid")]
        stream_sid: Cow<'a, str>,
        #[serde(rename = "sequenceNumber")]
        sequence_number: Cow<'a, str>,
        dtmf: Dtmf<'a>,
    },
    /// A named point in the outbound audio; Twilio echoes it when playback reaches it or when
    /// a `clear` discards the audio before it.
    Mark {
        #[serde(rename = "sequenceNumber", skip_serializing_if = "Option::is_none")]
        sequence_number: Option<Cow<'a, str>>,
        #[serde(rename = "streamSid")]
        stream_sid: Cow<'a, str>,
        mark: Mark<'a>,
    },
    /// Empties Twilio's playback buffer (towards Twilio only).
    Clear {
        #[serde(rename = "streamSid")]
        stream_sid: Cow<'a, str>,
    },
    /// The stream has stopped or the call has ended.
    Stop {
        #[serde(rename = "sequenceNumber")]
        sequence_number: Cow<'a, str>,
        #[serde(rename = "streamSid")]
        stream_sid: Cow<'a, str>,
        stop: Stop,
    },
    /// An `event` this version does not know. Counted and ignored, never fatal.
    #[serde(skip)]
    Unknown(Cow<'a, str>),
}

/// The `start` object: who the call is and what the audio looks like.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Start {
    #[serde(rename = "accountSid")]
    pub account_sid: String,
    #[serde(rename = "streamSid")]
    pub stream_sid: String,
    #[serde(rename = "callSid")]
    pub call_sid: String,
    #[serde(default)]
    pub tracks: Vec<String>,
    #[serde(rename = "mediaFormat")]
    pub media_format: MediaFormat,
    /// Values of the TwiML `<Parameter>` elements.
    #[serde(rename = "customParameters", default)]
    pub custom_parameters: BTreeMap<String, String>,
}

/// Always μ-law, 8000 Hz, mono on Twilio today; kept so a change would be visible in logs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaFormat {
    pub encoding: String,
    #[serde(rename = "sampleRate")]
    pub sample_rate: u32,
    pub channels: u16,
}

impl Default for MediaFormat {
    fn default() -> Self {
        MediaFormat {
            encoding: "audio/x-mulaw".into(),
            sample_rate: 8000,
            channels: 1,
        }
    }
}

/// The `media` object. Only `payload` goes towards Twilio.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Media<'a> {
    #[serde(
        skip_serializing_if = "Option::is_none",
        borrow,
        default,
        deserialize_with = "super::borrow_opt"
    )]
    pub track: Option<Cow<'a, str>>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        borrow,
        default,
        deserialize_with = "super::borrow_opt"
    )]
    pub chunk: Option<Cow<'a, str>>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        borrow,
        default,
        deserialize_with = "super::borrow_opt"
    )]
    pub timestamp: Option<Cow<'a, str>>,
    /// Base64 of raw μ-law 8 kHz mono bytes, no file header.
    #[serde(borrow)]
    pub payload: Cow<'a, str>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dtmf<'a> {
    #[serde(borrow)]
    pub track: Cow<'a, str>,
    #[serde(borrow)]
    pub digit: Cow<'a, str>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mark<'a> {
    #[serde(borrow)]
    pub name: Cow<'a, str>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stop {
    #[serde(rename = "accountSid")]
    pub account_sid: String,
    #[serde(rename = "callSid")]
    pub call_sid: String,
}

/// Every key any Twilio stream message may carry, each optional. See the module comment.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default, deserialize_with = "super::borrow_opt")]
    event: Option<Cow<'a, str>>,
    #[serde(
        rename = "sequenceNumber",
        borrow,
        default,
        deserialize_with = "super::borrow_opt"
    )]
    sequence_number: Option<Cow<'a, str>>,
    #[serde(rename = "streamSid", borrow, default, deserialize_with = "super::borrow_opt")]
    stream_sid: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "super::borrow_opt")]
    protocol: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "super::borrow_opt")]
    version: Option<Cow<'a, str>>,
    start: Option<Start>,
    #[serde(borrow)]
    media: Option<Media<'a>>,
    #[serde(borrow)]
    dtmf: Option<Dtmf<'a>>,
    #[serde(borrow)]
    mark: Option<Mark<'a>>,
    stop: Option<Stop>,
}

impl<'de: 'a, 'a> Deserialize<'de> for StreamMessage<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let e = Envelope::deserialize(deserializer)?;
        let event = e.event.ok_or_else(|| D::Error::missing_field("event"))?;
        let sid = |sid: Option<Cow<'a, str>>| sid.ok_or_else(|| D::Error::missing_field("streamSid"));
        let seq = |seq: Option<Cow<'a, str>>| seq.ok_or_else(|| D::Error::missing_field("sequenceNumber"));
        Ok(match event.as_ref() {
            "connected" => StreamMessage::Connected {
                protocol: need(e.protocol, "protocol")?,
                version: need(e.version, "version")?,
            },
            "start" => StreamMessage::Start {
                sequence_number: seq(e.sequence_number)?,
                start: need(e.start, "start")?,
                stream_sid: sid(e.stream_sid)?,
            },
            "media" => StreamMessage::Media {
                sequence_number: e.sequence_number,
                stream_sid: sid(e.stream_sid)?,
                media: need(e.media, "media")?,
            },
            "dtmf" => StreamMessage::Dtmf {
                stream_sid: sid(e.stream_sid)?,
                sequence_number: seq(e.sequence_number)?,
                dtmf: need(e.dtmf, "dtmf")?,
            },
            "mark" => StreamMessage::Mark {
                sequence_number: e.sequence_number,
                stream_sid: sid(e.stream_sid)?,
                mark: need(e.mark, "mark")?,
            },
            "clear" => StreamMessage::Clear {
                stream_sid: sid(e.stream_sid)?,
            },
            "stop" => StreamMessage::Stop {
                sequence_number: seq(e.sequence_number)?,
                stream_sid: sid(e.stream_sid)?,
                stop: need(e.stop, "stop")?,
            },
            _ => StreamMessage::Unknown(event),
        })
    }
}

impl<'a> StreamMessage<'a> {
    /// Parses one text frame. Borrows from `text` where it can (the audio payload always can).
    pub fn parse(text: &'a str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The JSON text of this message. An unknown event serializes as `{"event": name}`.
    pub fn to_json(&self) -> String {
        match self {
            StreamMessage::Unknown(event) => serde_json::json!({ "event": event }).to_string(),
            known => serde_json::to_string(known).expect("stream messages always serialize"),
        }
    }

    /// The `event` name, for logs and counters.
    pub fn event_name(&self) -> &str {
        match self {
            StreamMessage::Connected { .. } => "connected",
            StreamMessage::Start { .. } => "start",
            StreamMessage::Media { .. } => "media",
            StreamMessage::Dtmf { .. } => "dtmf",
            StreamMessage::Mark { .. } => "mark",
            StreamMessage::Clear { .. } => "clear",
            StreamMessage::Stop { .. } => "stop",
            StreamMessage::Unknown(name) => name,
        }
    }

    /// The `streamSid` the message names, if its event carries one.
    pub fn stream_sid(&self) -> Option<&str> {
        match self {
            StreamMessage::Start { stream_sid, .. }
            | StreamMessage::Media { stream_sid, .. }
            | StreamMessage::Dtmf { stream_sid, .. }
            | StreamMessage::Mark { stream_sid, .. }
            | StreamMessage::Clear { stream_sid }
            | StreamMessage::Stop { stream_sid, .. } => Some(stream_sid),
            StreamMessage::Connected { .. } | StreamMessage::Unknown(_) => None,
        }
    }
}

/// Writes the messages that go to Twilio on one stream, without building a message value
/// first.
///
/// The JSON around the payload never changes within a stream, so it is rendered once; each
/// frame then costs one buffer of exactly the right size and a base64 encode into it.
#[derive(Debug, Clone)]
pub struct StreamWriter {
    /// `{"event":"media","streamSid":"…","media":{"payload":"`
    media_prefix: String,
    /// The stream sid as a JSON string, quotes included.
    sid_json: String,
}

const MEDIA_SUFFIX: &str = "\"}}";

impl StreamWriter {
    pub fn new(stream_sid: &str) -> Self {
        // serde_json escapes the sid, which is opaque and could in principle hold anything.
        let sid_json = serde_json::to_string(stream_sid).expect("strings serialize");
        StreamWriter {
            media_prefix: format!(r#"{{"event":"media","streamSid":{sid_json},"media":{{"payload":""#),
            sid_json,
        }
    }

    /// A `media` message whose payload is `base64` as is (the pass-through path). The caller
    /// guarantees `base64` is valid base64, which needs no JSON escaping.
    #[inline]
    pub fn media_base64(&self, base64: &str) -> String {
        audio_message(&self.media_prefix, AudioPayload::Base64(base64), MEDIA_SUFFIX)
    }

    /// A `media` message carrying `ulaw` bytes, base64-encoded straight into the message.
    #[inline]
    pub fn media(&self, ulaw: &[u8]) -> String {
        audio_message(&self.media_prefix, AudioPayload::Raw(ulaw), MEDIA_SUFFIX)
    }

    /// A `mark` message. `name` must need no JSON escaping (the session's names are
    /// letters, digits and dots); use [`mark_json`] for arbitrary names.
    pub fn mark(&self, name: impl std::fmt::Display) -> String {
        use std::fmt::Write;
        let mut out = String::with_capacity(64 + self.sid_json.len());
        let _ = write!(
            out,
            r#"{{"event":"mark","streamSid":{},"mark":{{"name":"{name}"}}}}"#,
            self.sid_json
        );
        out
    }

    /// A `clear` message.
    pub fn clear(&self) -> String {
        format!(r#"{{"event":"clear","streamSid":{}}}"#, self.sid_json)
    }
}

/// A `mark` message towards Twilio, for any name.
pub fn mark_json(stream_sid: &str, name: &str) -> String {
    StreamMessage::Mark {
        sequence_number: None,
        stream_sid: stream_sid.into(),
        mark: Mark { name: name.into() },
    }
    .to_json()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Samples from twilio.com/docs/voice/media-streams/websocket-messages, as quoted in the
    // protocol reference; the media payload is one 20 ms frame (160 bytes).
    const CONNECTED: &str = r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#;
    const START: &str = r#"{"event":"start","sequenceNumber":"1","start":{"accountSid":"ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX","streamSid":"MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX","callSid":"CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":{"FirstName":"Jane"}},"streamSid":"MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"}"#;
    const MEDIA: &str = r#"{"event":"media","sequenceNumber":"4","media":{"track":"inbound","chunk":"2","timestamp":"5","payload":"CzBVep/E6Q4zWH2ix+wRNluApcrvFDleg6jN8hc8YYar0PUaP2SJrtP4HUJnjLHW+yBFao+02f4jSG2St9wBJktwlbrfBClOc5i94gcsUXabwOUKL1R5nsPoDTJXfKHG6xA1Wn+kye4TOF2Cp8zxFjtgharP9Bk+Y4it0vccQWaLsNX6H0RpjrPY/SJHbJG22wAlSm+Uud4DKE1yl7zhBg=="},"streamSid":"MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"}"#;
    const DTMF: &str = r#"{"event":"dtmf","streamSid":"MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX","sequenceNumber":"5","dtmf":{"track":"inbound_track","digit":"1"}}"#;
    const MARK: &str = r#"{"event":"mark","sequenceNumber":"4","streamSid":"MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX","mark":{"name":"my label"}}"#;
    const STOP: &str = r#"{"event":"stop","sequenceNumber":"5","stop":{"accountSid":"ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX","callSid":"CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"},"streamSid":"MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"}"#;
    const OUT_MEDIA: &str =
        r#"{"event":"media","streamSid":"MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX","media":{"payload":"AAEC"}}"#;
    const OUT_MARK: &str =
        r#"{"event":"mark","streamSid":"MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX","mark":{"name":"my label"}}"#;
    const OUT_CLEAR: &str = r#"{"event":"clear","streamSid":"MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"}"#;

    fn value(s: &str) -> serde_json::Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn every_sample_round_trips() {
        for sample in [
            CONNECTED, START, MEDIA, DTMF, MARK, STOP, OUT_MEDIA, OUT_MARK, OUT_CLEAR,
        ] {
            let msg = StreamMessage::parse(sample).unwrap();
            assert!(!matches!(msg, StreamMessage::Unknown(_)), "{sample}");
            assert_eq!(value(&msg.to_json()), value(sample), "{sample}");
        }
    }

    #[test]
    fn start_exposes_call_and_parameters() {
        let StreamMessage::Start {
            start, stream_sid, ..
        } = StreamMessage::parse(START).unwrap()
        else {
            panic!("not a start");
        };
        assert_eq!(stream_sid, "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX");
        assert_eq!(start.call_sid, "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX");
        assert_eq!(start.media_format, MediaFormat::default());
        assert_eq!(start.custom_parameters["FirstName"], "Jane");
    }

    #[test]
    fn media_payload_is_borrowed_from_the_frame() {
        let StreamMessage::Media { media, .. } = StreamMessage::parse(MEDIA).unwrap() else {
            panic!("not media");
        };
        assert!(matches!(media.payload, Cow::Borrowed(_)));
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(media.payload.as_bytes())
            .unwrap();
        assert_eq!(bytes.len(), 160);
    }

    #[test]
    fn escaped_slashes_in_a_payload_are_still_read() {
        let text = r#"{"event":"media","streamSid":"MZ1","media":{"payload":"ab\/c"}}"#;
        let StreamMessage::Media { media, .. } = StreamMessage::parse(text).unwrap() else {
            panic!("not media");
        };
        assert_eq!(media.payload, "ab/c");
    }

    #[test]
    fn unknown_events_parse_as_unknown() {
        let msg = StreamMessage::parse(r#"{"event":"wobble","streamSid":"MZ1","x":{}}"#).unwrap();
        assert_eq!(msg, StreamMessage::Unknown("wobble".into()));
    }

    #[test]
    fn missing_fields_are_errors_not_panics() {
        for bad in [
            r#"{"event":"media","streamSid":"MZ1"}"#,
            r#"{"event":"start","sequenceNumber":"1"}"#,
            r#"{"streamSid":"MZ1"}"#,
            r#"{"event":"mark","streamSid":"MZ1","mark":"name"}"#,
            r#"[1,2,3]"#,
            r#"{"event":5}"#,
        ] {
            assert!(StreamMessage::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_stream_writer_matches_the_typed_messages() {
        let writer = StreamWriter::new("MZ\"odd\\sid");
        let typed = StreamMessage::Media {
            sequence_number: None,
            stream_sid: "MZ\"odd\\sid".into(),
            media: Media {
                payload: "AAEC".into(),
                ..Media::default()
            },
        };
        assert_eq!(value(&writer.media(&[0, 1, 2])), value(&typed.to_json()));
        assert_eq!(writer.media_base64("AAEC"), writer.media(&[0, 1, 2]));
        assert_eq!(
            value(&writer.mark("sb1.2")),
            value(&mark_json("MZ\"odd\\sid", "sb1.2"))
        );
        assert_eq!(
            value(&writer.clear()),
            value(
                &StreamMessage::Clear {
                    stream_sid: "MZ\"odd\\sid".into()
                }
                .to_json()
            )
        );
        assert_eq!(
            value(&mark_json("MZ1", "a")),
            value(r#"{"event":"mark","streamSid":"MZ1","mark":{"name":"a"}}"#)
        );
    }
}
