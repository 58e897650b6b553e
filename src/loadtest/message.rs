//! The `media` messages a load-test call sends: Twilio's, with the frame's
//! [`tag`](super::tag) in place of the first bytes of its audio.
//!
//! They are written into a buffer the call keeps: the frame's text is split off as a `Bytes`
//! for the socket, and once the socket has copied it out (a client masks every frame it
//! sends), the next `reserve` reclaims the same memory, from its start. A frame sent
//! therefore costs no allocation, and its payload only the tag's eight characters of fresh
//! base64 (see [`CallerAudio`]). The other messages are the caller simulator's
//! ([`CallerMessages`]).

use bytes::BytesMut;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::audio::{CallerAudio, FRAME_BASE64};
use super::tag;
use crate::sim::caller::stream::CallerMessages;

/// Room for one `media` message: the JSON around the payload, three counters and the sid.
const MEDIA_CAPACITY: usize = 512;

/// The buffer a call's `media` messages are written into.
#[derive(Debug)]
pub struct TaggedMedia {
    buffer: BytesMut,
}

impl Default for TaggedMedia {
    fn default() -> Self {
        TaggedMedia {
            buffer: BytesMut::with_capacity(MEDIA_CAPACITY),
        }
    }
}

impl TaggedMedia {
    /// The `media` message carrying frame `seq` of the call: fixture frame `audio_index`
    /// with the frame's tag in place of its first bytes, numbered by `messages`.
    pub fn write(
        &mut self,
        messages: &mut CallerMessages,
        audio: &CallerAudio,
        audio_index: u64,
        seq: u32,
    ) -> Utf8Bytes {
        self.buffer.reserve(MEDIA_CAPACITY);
        let tag = tag::encode_base64(seq);
        let tag = std::str::from_utf8(&tag).expect("base64 is ASCII");
        let tail = audio.tail_base64(audio_index);
        messages.write_media(&mut self.buffer, u64::from(seq), format_args!("{tag}{tail}"));
        debug_assert!(self.buffer.len() < MEDIA_CAPACITY + FRAME_BASE64);
        Utf8Bytes::try_from(self.buffer.split().freeze()).expect("the message is ASCII")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::FixtureDir;
    use crate::wire::twilio::StreamMessage;
    use base64::Engine;

    #[test]
    fn media_is_a_twilio_media_message_with_the_tagged_frame() {
        let audio = CallerAudio::load(&FixtureDir::bundled(), "yes").unwrap();
        let mut messages = CallerMessages::new("MZ0123");
        let mut media = TaggedMedia::default();
        for (written, (seq, index)) in [(0u32, 0u64), (1, 1), (41, 9)].into_iter().enumerate() {
            let text = media.write(&mut messages, &audio, index, seq);
            let StreamMessage::Media {
                sequence_number,
                stream_sid,
                media,
            } = StreamMessage::parse(text.as_str()).unwrap()
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
        let mut media = TaggedMedia::default();
        let first = media.write(&mut messages, &audio, 0, 0);
        let first_ptr = first.as_str().as_ptr();
        drop(first);
        // Several rounds, as on a live call: each message is dropped before the next.
        for seq in 1..20 {
            let next = media.write(&mut messages, &audio, u64::from(seq), seq);
            assert_eq!(next.as_str().as_ptr(), first_ptr, "frame {seq} moved");
        }
    }
}
