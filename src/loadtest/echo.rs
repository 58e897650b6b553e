//! Reading the `media` echoes a bridge sends back: fifty a second per call, so they are read
//! with a few comparisons where the shape allows, not a JSON parse and a base64 decode.
//!
//! Why by hand, where serde_json and the base64 crate would do: parsing Twilio's flat
//! envelope (every key optional) and decoding the 216-character payload were the largest
//! user-space costs of reading an echo, and the load generator shares its cores with the
//! bridge it measures. A bridge writes outbound `media` in one shape, Twilio's documented
//! one (twilio.com/docs/voice/media-streams/websocket-messages), which switchboard writes byte
//! for byte: `{"event":"media","streamSid":"…","media":{"payload":"…"}}`. [`media_payload`]
//! reads text in exactly that shape and nothing else (no whitespace, no other keys, no
//! escapes); [`EchoPayload`] then reads the frame's tag from the payload's first eight
//! characters and, when the rest is character for character the base64 of the audio sent,
//! knows the frame came back intact without decoding it. Anything else (another key order,
//! an escape, a payload that differs) goes the long way: the full parse and decode, which
//! count exactly as before. So no message is misread; some are only read slower.

use base64::Engine;

use super::audio::{CallerAudio, FRAME_BYTES};
use super::tag::{self, TAG_BASE64, TAG_BYTES};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const PREFIX: &str = r#"{"event":"media","streamSid":""#;
const BETWEEN: &str = r#"","media":{"payload":""#;
const SUFFIX: &str = r#""}}"#;

/// The payload of `text` when it is a `media` message in exactly the shape a bridge writes,
/// with a sid and payload free of escapes and quotes; `None` for anything else (which may
/// still be valid: parse it fully).
pub fn media_payload(text: &str) -> Option<&str> {
    let rest = text.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let sid_end = rest.find('"')?;
    let sid = &rest[..sid_end];
    if sid.contains('\\') {
        return None;
    }
    let payload = rest[sid_end..].strip_prefix(BETWEEN)?;
    // A quote or backslash inside means another shape (more keys, or escapes) after all.
    // (`contains` with a `char` searches with core's memchr, a word at a time.)
    if payload.contains('"') || payload.contains('\\') {
        return None;
    }
    Some(payload)
}

/// What a call needs of one echoed frame: its length, its tag, and whether its audio after
/// the tag is what was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Echo {
    /// Bytes of audio.
    pub len: usize,
    /// The frame number tagged at its start, if it carries a tag.
    pub tag: Option<u32>,
}

impl Echo {
    /// The echo of decoded `audio`.
    pub fn of_audio(audio: &[u8]) -> Echo {
        Echo {
            len: audio.len(),
            tag: tag::decode(audio),
        }
    }
}

/// A payload read without decoding it, when that is possible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EchoPayload {
    /// The tag of frame `seq` followed by the unchanged base64 of the rest of the frame
    /// `seq` was sent with: valid base64 of a whole frame, intact.
    Intact { seq: u32 },
    /// Anything else: decode it to know.
    NeedsDecoding,
}

impl EchoPayload {
    /// Reads `payload` (base64) as the echo of a frame of `audio`, where frame `seq` of the
    /// call was fixture frame `audio_offset + seq`.
    pub fn read(payload: &str, audio: &CallerAudio, audio_offset: u64) -> EchoPayload {
        let (Some(head), Some(tail)) = (payload.get(..TAG_BASE64), payload.get(TAG_BASE64..)) else {
            return EchoPayload::NeedsDecoding;
        };
        let mut tag_bytes = [0u8; TAG_BYTES];
        let seq = match B64.decode_slice(head, &mut tag_bytes) {
            Ok(TAG_BYTES) => tag::decode(&tag_bytes),
            _ => None,
        };
        match seq {
            Some(seq) if tail == audio.tail_base64(audio_offset.wrapping_add(u64::from(seq))) => {
                EchoPayload::Intact { seq }
            }
            _ => EchoPayload::NeedsDecoding,
        }
    }

    /// The echo of an intact frame.
    pub fn intact_echo(seq: u32) -> Echo {
        Echo {
            len: FRAME_BYTES,
            tag: Some(seq),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::FixtureDir;
    use crate::wire::twilio::{StreamMessage, StreamWriter};
    use proptest::prelude::*;

    fn tagged_payload(audio: &CallerAudio, index: u64, seq: u32) -> String {
        let tag = tag::encode_base64(seq);
        format!(
            "{}{}",
            std::str::from_utf8(&tag).unwrap(),
            audio.tail_base64(index)
        )
    }

    #[test]
    fn the_bridges_media_message_is_read_without_a_parse() {
        let writer = StreamWriter::new("MZ0123abc");
        assert_eq!(media_payload(&writer.media_base64("AAEC")), Some("AAEC"));
        assert_eq!(media_payload(&writer.media(&[1, 2, 3])), Some("AQID"));
        assert_eq!(
            media_payload(r#"{"event":"media","streamSid":"","media":{"payload":""}}"#),
            Some("")
        );
    }

    #[test]
    fn any_other_shape_is_left_to_the_full_parse() {
        for text in [
            // Twilio's inbound shape, other key order, whitespace, escapes, more keys.
            r#"{"event":"media","sequenceNumber":"4","media":{"payload":"AAEC"},"streamSid":"MZ1"}"#,
            r#"{"streamSid":"MZ1","event":"media","media":{"payload":"AAEC"}}"#,
            r#"{"event":"media","streamSid":"MZ1","media":{"payload":"AAEC"} }"#,
            r#"{"event":"media","streamSid":"MZ1","media":{"payload":"ab\/c"}}"#,
            r#"{"event":"media","streamSid":"M\"Z","media":{"payload":"AAEC"}}"#,
            r#"{"event":"media","streamSid":"MZ1","media":{"payload":"AAEC","track":"x"}}"#,
            r#"{"event":"mark","streamSid":"MZ1","mark":{"name":"a"}}"#,
            r#"{"event":"clear","streamSid":"MZ1"}"#,
            "",
            "{",
        ] {
            assert_eq!(media_payload(text), None, "{text}");
        }
    }

    #[test]
    fn an_echoed_frame_sent_unchanged_is_intact_without_decoding() {
        let audio = CallerAudio::load(&FixtureDir::bundled(), "yes").unwrap();
        let offset = 7;
        for seq in [0u32, 1, 42, audio.len() as u32 + 5] {
            let payload = tagged_payload(&audio, offset + u64::from(seq), seq);
            assert_eq!(
                EchoPayload::read(&payload, &audio, offset),
                EchoPayload::Intact { seq }
            );
        }
        let intact = EchoPayload::intact_echo(9);
        assert_eq!((intact.len, intact.tag), (FRAME_BYTES, Some(9)));
    }

    #[test]
    fn anything_but_an_unchanged_frame_needs_decoding() {
        let audio = CallerAudio::load(&FixtureDir::bundled(), "yes").unwrap();
        // Two neighbouring frames that differ (a clip may start with identical silence).
        let k = (0..audio.len() as u64 - 1)
            .find(|&k| audio.tail_base64(k) != audio.tail_base64(k + 1))
            .expect("the clip is not one repeated frame");
        let good = tagged_payload(&audio, k, k as u32);
        // The audio of another frame, one character changed, cut short, untagged, or no
        // base64 at all.
        let other_frame = tagged_payload(&audio, k + 1, k as u32);
        let mut changed = good.clone().into_bytes();
        changed[100] = if changed[100] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(changed).unwrap();
        let untagged = B64.encode(audio.frame(k));
        for payload in [
            other_frame.as_str(),
            changed.as_str(),
            &good[..good.len() - 4],
            &good[..TAG_BASE64],
            untagged.as_str(),
            "",
            "!!!!!!!!",
        ] {
            assert_eq!(
                EchoPayload::read(payload, &audio, 0),
                EchoPayload::NeedsDecoding,
                "{payload}"
            );
        }
    }

    proptest! {
        /// Whatever the text, the fast path never disagrees with the full parse: when it
        /// reads a payload, the parse finds a media message with the same payload.
        #[test]
        fn the_scanner_agrees_with_the_parse(
            sid in "[A-Za-z0-9\"\\\\/]{0,12}",
            payload in "[A-Za-z0-9+/=\"\\\\]{0,24}",
            noise in proptest::option::of("[ ,{}\"a-z:]{0,6}"),
        ) {
            let mut text = format!(r#"{{"event":"media","streamSid":"{sid}","media":{{"payload":"{payload}"}}}}"#);
            if let Some(noise) = noise {
                text.insert_str(text.len() / 2, &noise);
            }
            if let Some(read) = media_payload(&text) {
                let Ok(StreamMessage::Media { media, .. }) = StreamMessage::parse(&text) else {
                    panic!("the fast path read {text} but the parse did not");
                };
                prop_assert_eq!(read, media.payload.as_ref());
            }
        }

        #[test]
        fn an_intact_reading_is_the_decoded_frame(seq in any::<u32>(), offset in 0u64..1000) {
            let audio = CallerAudio::from_ulaw("t", &(0..800u32).map(|i| (i * 7) as u8).collect::<Vec<_>>()).unwrap();
            let payload = tagged_payload(&audio, offset.wrapping_add(u64::from(seq)), seq);
            prop_assert_eq!(EchoPayload::read(&payload, &audio, offset), EchoPayload::Intact { seq });
            let decoded = B64.decode(&payload).unwrap();
            prop_assert_eq!(Echo::of_audio(&decoded), EchoPayload::intact_echo(seq));
            prop_assert_eq!(&decoded[TAG_BYTES..], &audio.frame(offset.wrapping_add(u64::from(seq)))[TAG_BYTES..]);
        }
    }
}
