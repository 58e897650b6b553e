//! What the simulated callers say: a recorded fixture cut into 20 ms μ-law frames, played in
//! a loop, with the base64 of each frame prepared once for all calls.
//!
//! Every frame sent starts with a [`tag`](super::tag) in place of its first six bytes; the
//! base64 of the other 154 bytes never changes, so it is computed here and a frame on the
//! wire costs eight characters of fresh base64, not 216.

use base64::Engine;

use super::tag::{TAG_BASE64, TAG_BYTES};
use crate::audio::fixtures::CALLER_CLIPS;
use crate::audio::{AudioError, FixtureDir, ulaw};
pub use crate::sim::caller::stream::FRAME_BYTES;
/// Base64 characters of one whole frame (160 bytes, padded).
pub const FRAME_BASE64: usize = 216;

/// The fixture name that plays every caller clip in turn.
pub const ALL_CLIPS: &str = "all";
/// Silence between clips when they are joined, as between a caller's sentences.
const GAP_BETWEEN_CLIPS_MS: usize = 400;

/// A caller's audio, looped.
#[derive(Debug, Clone)]
pub struct CallerAudio {
    name: String,
    frames: Vec<[u8; FRAME_BYTES]>,
    /// Base64 of `frame[TAG_BYTES..]` for each frame.
    tails: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("caller fixture {name:?}: {source}")]
    Load {
        name: String,
        #[source]
        source: AudioError,
    },
    #[error("caller fixture {0:?} holds no audio")]
    Empty(String),
}

impl CallerAudio {
    /// Loads a caller clip by name from `fixtures` (`caller/<name>.wav`), or every caller
    /// clip joined with short pauses for [`ALL_CLIPS`].
    pub fn load(fixtures: &FixtureDir, name: &str) -> Result<CallerAudio, FixtureError> {
        let load = |clip: &str| {
            fixtures.caller(clip).map_err(|source| FixtureError::Load {
                name: clip.to_owned(),
                source,
            })
        };
        let ulaw = if name == ALL_CLIPS {
            let mut joined = Vec::new();
            for clip in CALLER_CLIPS {
                joined.extend(load(clip)?);
                joined.extend(std::iter::repeat_n(ulaw::SILENCE, GAP_BETWEEN_CLIPS_MS * 8));
            }
            joined
        } else {
            load(name)?
        };
        CallerAudio::from_ulaw(name, &ulaw)
    }

    /// Cuts μ-law audio into frames; the last one is padded with silence.
    pub fn from_ulaw(name: &str, ulaw: &[u8]) -> Result<CallerAudio, FixtureError> {
        if ulaw.is_empty() {
            return Err(FixtureError::Empty(name.to_owned()));
        }
        let frames: Vec<[u8; FRAME_BYTES]> = ulaw
            .chunks(FRAME_BYTES)
            .map(|chunk| {
                let mut frame = [ulaw::SILENCE; FRAME_BYTES];
                frame[..chunk.len()].copy_from_slice(chunk);
                frame
            })
            .collect();
        let b64 = base64::engine::general_purpose::STANDARD;
        let tails = frames.iter().map(|f| b64.encode(&f[TAG_BYTES..])).collect();
        Ok(CallerAudio {
            name: name.to_owned(),
            frames,
            tails,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Frames before the audio loops.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Frame `index` of the endless loop.
    pub fn frame(&self, index: u64) -> &[u8; FRAME_BYTES] {
        &self.frames[self.slot(index)]
    }

    /// Base64 of frame `index` after its tag: what follows the tag's characters in the payload.
    pub fn tail_base64(&self, index: u64) -> &str {
        &self.tails[self.slot(index)]
    }

    fn slot(&self, index: u64) -> usize {
        (index % self.frames.len() as u64) as usize
    }
}

const _: () = assert!(TAG_BASE64 + (FRAME_BYTES - TAG_BYTES).div_ceil(3) * 4 == FRAME_BASE64);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loadtest::tag;

    #[test]
    fn frames_loop_and_the_last_is_padded_with_silence() {
        let ulaw: Vec<u8> = (0..400u32).map(|i| (i % 251) as u8).collect();
        let audio = CallerAudio::from_ulaw("t", &ulaw).unwrap();
        assert_eq!(audio.len(), 3);
        assert_eq!(audio.frame(0)[..], ulaw[..160]);
        assert_eq!(audio.frame(2)[..80], ulaw[320..]);
        assert_eq!(audio.frame(2)[80..], [ulaw::SILENCE; 80]);
        assert_eq!(audio.frame(4), audio.frame(1));
    }

    #[test]
    fn tag_and_tail_make_the_base64_of_the_tagged_frame() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let audio = CallerAudio::load(&FixtureDir::bundled(), "book").unwrap();
        for index in [0u64, 5, audio.len() as u64 + 3] {
            let mut tagged = *audio.frame(index);
            tagged[..TAG_BYTES].copy_from_slice(&tag::encode(index as u32));
            let payload = format!(
                "{}{}",
                std::str::from_utf8(&tag::encode_base64(index as u32)).unwrap(),
                audio.tail_base64(index)
            );
            assert_eq!(payload.len(), FRAME_BASE64);
            assert_eq!(payload, b64.encode(tagged));
        }
    }

    #[test]
    fn all_joins_every_caller_clip_and_unknown_names_fail() {
        let fixtures = FixtureDir::bundled();
        let all = CallerAudio::load(&fixtures, ALL_CLIPS).unwrap();
        let book = CallerAudio::load(&fixtures, "book").unwrap();
        assert!(all.len() > book.len() * 2, "{} vs {}", all.len(), book.len());
        assert!(matches!(
            CallerAudio::load(&fixtures, "no_such_clip"),
            Err(FixtureError::Load { .. })
        ));
        assert!(matches!(
            CallerAudio::from_ulaw("x", &[]),
            Err(FixtureError::Empty(_))
        ));
    }
}
