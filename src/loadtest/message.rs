//! The messages a load-test call sends on its media stream, written the way Twilio writes
//! them (twilio.com/docs/voice/media-streams/websocket-messages).
//!
//! `media` goes out fifty times a second per call, so it is written straight into a buffer
//! the call keeps: the frame's text is split off as a `Bytes` for the socket, and once the
//! socket has copied it out (a client masks every frame it sends), the next `reserve`
//! reclaims the same memory, from its start. A frame sent therefore costs no allocation. The rarer messages
//! (`start`, `mark`, `dtmf`, `stop`) use the typed [`StreamMessage`].

use std::fmt::Write;

use bytes::BytesMut;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::audio::{CallerAudio, FRAME_BASE64};
use super::tag;
use crate::wire::twilio::{Dtmf, Mark, StreamMessage};

/// Room for one `media` message: the JSON around the payload, three counters and the sid.
const MEDIA_CAPACITY: usize = 512;

/// Writes one stream's messages, numbering them as Twilio does.
#[derive(Debug)]
pub struct CallerMessages {
    stream_sid: String,
    /// `sequenceNumber` of the last message written.
    sequence: u64,
    buffer: BytesMut,
}

impl CallerMessages {
    pub fn new(stream_sid: &str) -> Self {
        CallerMessages {
            stream_sid: stream_sid.to_owned(),
            sequence: 0,
            buffer: BytesMut::with_capacity(MEDIA_CAPACITY),
        }
    }

    pub fn stream_sid(&self) -> &str {
        &self.stream_sid
    }

    /// The next `sequenceNumber`, as Twilio counts: every message after `connected`.
    pub fn next_sequence(&mut self) -> u64 {
        self.sequence += 1;
        self.sequence
    }

    /// The `media` message carrying frame `seq` of the call: fixture frame `audio_index`
    /// with the frame's tag in place of its first bytes. `seq` also counts Twilio's `chunk`
    /// (from 1) and `timestamp` (milliseconds of audio before it).
    pub fn media(&mut self, audio: &CallerAudio, audio_index: u64, seq: u32) -> Utf8Bytes {
        let sequence = self.next_sequence();
        self.buffer.reserve(MEDIA_CAPACITY);
        let tag = tag::encode_base64(seq);
        let tag = std::str::from_utf8(&tag).expect("base64 is ASCII");
        let chunk = u64::from(seq) + 1;
        let timestamp = u64::from(seq) * 20;
        // Writing into a BytesMut only fails if it cannot grow, which aborts anyway.
        let _ = write!(
            self.buffer,
            r#"{{"event":"media","sequenceNumber":"{sequence}","media":{{"track":"inbound","chunk":"{chunk}","timestamp":"{timestamp}","payload":"{tag}{tail}"}},"streamSid":"{sid}"}}"#,
            tail = audio.tail_base64(audio_index),
            sid = self.stream_sid,
        );
        debug_assert!(self.buffer.len() < MEDIA_CAPACITY + FRAME_BASE64);
        Utf8Bytes::try_from(self.buffer.split().freeze()).expect("the message is ASCII")
    }

    /// A `dtmf` message: the caller pressed `digit`.
    pub fn dtmf(&mut self, digit: &str) -> String {
        let sequence = self.next_sequence().to_string();
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

    /// The echo of a `mark` the bridge sent, once playback has reached it.
    pub fn mark(&mut self, name: &str) -> String {
        let sequence = self.next_sequence().to_string();
        StreamMessage::Mark {
            sequence_number: Some(sequence.into()),
            stream_sid: self.stream_sid.as_str().into(),
            mark: Mark { name: name.into() },
        }
        .to_json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::FixtureDir;
    use base64::Engine;

    fn parse(text: &str) -> StreamMessage<'_> {
        StreamMessage::parse(text).unwrap()
    }

    #[test]
    fn media_is_a_twilio_media_message_with_the_tagged_frame() {
        let audio = CallerAudio::load(&FixtureDir::bundled(), "yes").unwrap();
        let mut messages = CallerMessages::new("MZ0123");
        for (written, (seq, index)) in [(0u32, 0u64), (1, 1), (41, 9)].into_iter().enumerate() {
            let text = messages.media(&audio, index, seq);
            let StreamMessage::Media {
                sequence_number,
                stream_sid,
                media,
            } = parse(text.as_str())
            else {
                panic!("not media: {text}");
            };
            assert_eq!(stream_sid, "MZ0123");
            // Every message is numbered; frames carry their own count in `chunk`.
            assert_eq!(
                sequence_number.as_deref(),
                Some((written + 1).to_string().as_str())
            );
            assert_eq!(media.chunk.as_deref(), Some((seq + 1).to_string().as_str()));
            assert_eq!(media.timestamp.as_deref(), Some((seq * 20).to_string().as_str()));
            assert_eq!(media.track.as_deref(), Some("inbound"));
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(media.payload.as_bytes())
                .unwrap();
            assert_eq!(bytes.len(), 160);
            assert_eq!(tag::decode(&bytes), Some(seq));
            assert_eq!(bytes[tag::TAG_BYTES..], audio.frame(index)[tag::TAG_BYTES..]);
        }
    }

    #[test]
    fn the_buffer_is_reused_once_the_last_message_is_dropped() {
        let audio = CallerAudio::load(&FixtureDir::bundled(), "yes").unwrap();
        let mut messages = CallerMessages::new("MZ1");
        let first = messages.media(&audio, 0, 0);
        let first_ptr = first.as_str().as_ptr();
        drop(first);
        // Several rounds, as on a live call: each message is dropped before the next.
        for seq in 1..20 {
            let next = messages.media(&audio, u64::from(seq), seq);
            assert_eq!(next.as_str().as_ptr(), first_ptr, "frame {seq} moved");
        }
    }

    #[test]
    fn dtmf_and_mark_echoes_parse_and_keep_counting() {
        let mut messages = CallerMessages::new("MZ9");
        let dtmf = messages.dtmf("*");
        let StreamMessage::Dtmf {
            dtmf,
            sequence_number,
            ..
        } = parse(&dtmf)
        else {
            panic!("not dtmf");
        };
        assert_eq!((dtmf.digit.as_ref(), sequence_number.as_ref()), ("*", "1"));
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
        assert_eq!(sequence_number.as_deref(), Some("2"));
    }
}
