//! The agent's voice: every recorded clip, converted once to the agent's output format, and
//! joined into utterances on demand.

use std::collections::HashMap;

use bytes::Bytes;

use crate::audio::fixtures::AGENT_CLIPS;
use crate::audio::{AudioError, AudioFormat, FixtureDir, FormatConverter};

/// Agent clips ready to send.
#[derive(Debug)]
pub struct Voice {
    format: AudioFormat,
    clips: HashMap<&'static str, Bytes>,
}

#[derive(Debug, thiserror::Error)]
#[error("agent clip {clip:?}: {source}")]
pub struct VoiceError {
    pub clip: &'static str,
    #[source]
    pub source: AudioError,
}

impl Voice {
    /// Loads every agent clip from `fixtures` and converts it to `format`.
    pub fn load(fixtures: &FixtureDir, format: AudioFormat) -> Result<Self, VoiceError> {
        let mut clips = HashMap::with_capacity(AGENT_CLIPS.len());
        for &clip in AGENT_CLIPS {
            let fail = |source| VoiceError { clip, source };
            let ulaw = fixtures.agent(clip).map_err(fail)?;
            let mut converter = FormatConverter::new(AudioFormat::Ulaw8000, format).map_err(fail)?;
            let mut audio = Vec::with_capacity(ulaw.len() * format.bytes_per_second() as usize / 8000 + 64);
            converter.convert(&ulaw, &mut audio);
            converter.flush(&mut audio);
            clips.insert(clip, Bytes::from(audio));
        }
        Ok(Voice { format, clips })
    }

    /// The clips named in `parts`, one after the other.
    pub fn utterance(&self, parts: &[&str]) -> Bytes {
        match parts {
            [one] => self.clip(one).clone(),
            _ => {
                let len = parts.iter().map(|part| self.clip(part).len()).sum();
                let mut joined = Vec::with_capacity(len);
                for part in parts {
                    joined.extend_from_slice(self.clip(part));
                }
                Bytes::from(joined)
            }
        }
    }

    /// How long `bytes` of this voice's audio play, in milliseconds.
    pub fn duration_ms(&self, bytes: usize) -> u64 {
        self.format.bytes_to_ms(bytes)
    }

    fn clip(&self, name: &str) -> &Bytes {
        // Every name the script uses is one of AGENT_CLIPS, all of which `load` requires.
        self.clips
            .get(name)
            .unwrap_or_else(|| panic!("the script asked for an unknown clip {name:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_are_converted_to_the_output_format_with_their_length_kept() {
        let fixtures = FixtureDir::bundled();
        let ulaw = Voice::load(&fixtures, AudioFormat::Ulaw8000).unwrap();
        let pcm = Voice::load(&fixtures, AudioFormat::Pcm { rate: 24000 }).unwrap();
        let greeting_ulaw = ulaw.utterance(&["greeting"]);
        assert_eq!(greeting_ulaw, fixtures.agent("greeting").unwrap());
        let greeting_pcm = pcm.utterance(&["greeting"]);
        assert_eq!(greeting_pcm.len(), greeting_ulaw.len() * 6);
        assert_eq!(
            ulaw.duration_ms(greeting_ulaw.len()),
            pcm.duration_ms(greeting_pcm.len())
        );
    }

    #[test]
    fn utterances_join_clips_in_order() {
        let voice = Voice::load(&FixtureDir::bundled(), AudioFormat::Ulaw8000).unwrap();
        let parts = ["offer_prefix", "tuesday", "at", "h9", "m30", "am", "offer_suffix"];
        let joined = voice.utterance(&parts);
        let expected: Vec<u8> = parts
            .iter()
            .flat_map(|p| voice.utterance(&[p]).to_vec())
            .collect();
        assert_eq!(joined, expected);
    }

    #[test]
    fn a_missing_clip_is_named_in_the_error() {
        let empty = tempfile::tempdir().unwrap();
        let err = Voice::load(&FixtureDir::new(empty.path()), AudioFormat::Ulaw8000).unwrap_err();
        assert_eq!(err.clip, AGENT_CLIPS[0]);
        assert!(err.to_string().contains(AGENT_CLIPS[0]), "{err}");
    }
}
