//! The sequence tag a load-test call writes into the first bytes of every caller frame.
//!
//! On the μ-law pass-through path a bridge relays the caller's base64 payload untouched and
//! an echo agent returns it as it is, so the frame that comes back carries the tag it was
//! sent with: the round trip of each frame is then known exactly, and so are loss, order and
//! duplication. Six bytes (0.75 ms of audio) are enough: two magic bytes that real audio is
//! unlikely to start with, then the call's frame number, big-endian. Six bytes are two whole
//! base64 groups, so the tag is exactly the first eight characters of the payload and the
//! rest of a frame's base64 can be computed once, ahead of time.

use base64::Engine;

/// Bytes of audio the tag replaces at the start of a frame.
pub const TAG_BYTES: usize = 6;
/// Characters of base64 the tag takes at the start of a payload.
pub const TAG_BASE64: usize = 8;

const MAGIC: [u8; 2] = [0x5A, 0xC3];
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The tag of frame `seq`.
pub fn encode(seq: u32) -> [u8; TAG_BYTES] {
    let s = seq.to_be_bytes();
    [MAGIC[0], MAGIC[1], s[0], s[1], s[2], s[3]]
}

/// The tag of frame `seq` as the eight base64 characters that start the payload.
pub fn encode_base64(seq: u32) -> [u8; TAG_BASE64] {
    let mut out = [0u8; TAG_BASE64];
    let written = B64
        .encode_slice(encode(seq), &mut out)
        .expect("six bytes are eight base64 characters");
    debug_assert_eq!(written, TAG_BASE64);
    out
}

/// The frame number tagged at the start of `audio`, if it carries a tag.
pub fn decode(audio: &[u8]) -> Option<u32> {
    match audio {
        [m0, m1, a, b, c, d, ..] if [*m0, *m1] == MAGIC => Some(u32::from_be_bytes([*a, *b, *c, *d])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_tag_reads_back_from_the_audio_and_from_its_base64(seq in any::<u32>(), rest in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut frame = encode(seq).to_vec();
            frame.extend_from_slice(&rest);
            prop_assert_eq!(decode(&frame), Some(seq));
            // The payload is the tag's base64 followed by the base64 of the rest.
            let whole = B64.encode(&frame);
            let split = format!(
                "{}{}",
                std::str::from_utf8(&encode_base64(seq)).unwrap(),
                B64.encode(&rest)
            );
            prop_assert_eq!(whole, split);
        }

        #[test]
        fn audio_without_the_magic_is_untagged(audio in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assume!(audio.len() < 2 || audio[..2] != MAGIC);
            prop_assert_eq!(decode(&audio), None);
        }
    }

    #[test]
    fn frames_shorter_than_a_tag_are_untagged() {
        assert_eq!(decode(&encode(7)[..5]), None);
        assert_eq!(decode(&[]), None);
    }
}
