//! The recorded conversation fixtures, loaded by name as Twilio-ready μ-law 8 kHz audio.
//!
//! The files live in `fixtures/agent/` and `fixtures/caller/` at the repository root, rendered
//! by `fixtures/make-fixtures.sh`; `fixtures/README.md` lists each line's text and duration.
//! The simulators play them: the caller simulator streams caller lines, the scripted agent
//! speaks agent lines and builds offers from the word clips.

use std::path::{Path, PathBuf};

use super::resample::StreamResampler;
use super::wav::{Wav, WavSamples};
use super::{AudioError, ulaw};

/// Every agent clip, by file name without `.wav`.
pub const AGENT_CLIPS: &[&str] = &[
    "greeting",
    "checking",
    "offer_prefix",
    "offer_suffix",
    "ask_name",
    "confirmed",
    "anything_else",
    "goodbye",
    "sorry",
    "no_openings",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "today",
    "tomorrow",
    "at",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "h7",
    "h8",
    "h9",
    "h10",
    "h11",
    "h12",
    "m15",
    "m30",
    "m45",
    "am",
    "pm",
];

/// Every caller clip, by file name without `.wav`.
pub const CALLER_CLIPS: &[&str] = &["book", "when", "yes", "name", "bye", "interrupt"];

/// Weekday clips, Monday first (ISO 8601 order).
pub const WEEKDAY_CLIPS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Hour clips on a 12-hour clock: `HOUR_CLIPS[h - 1]` says `h`.
pub const HOUR_CLIPS: [&str; 12] = [
    "h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8", "h9", "h10", "h11", "h12",
];

/// Minute clips for times not on the hour; on the hour the minutes are left unsaid.
pub const MINUTE_CLIPS: [(u8, &str); 3] = [(15, "m15"), (30, "m30"), (45, "m45")];

/// A directory laid out like the repository's `fixtures/`: `agent/*.wav` and `caller/*.wav`.
#[derive(Debug, Clone)]
pub struct FixtureDir {
    root: PathBuf,
}

impl FixtureDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FixtureDir { root: root.into() }
    }

    /// The fixtures committed with the source: the directory named by `SWITCHBOARD_FIXTURES`
    /// when set (an installed binary, the container image), else `fixtures/` in the crate's
    /// directory at build time (a checkout).
    pub fn bundled() -> Self {
        match std::env::var_os("SWITCHBOARD_FIXTURES") {
            Some(dir) if !dir.is_empty() => FixtureDir::new(dir),
            _ => FixtureDir::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures")),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// An agent line or word clip as μ-law 8 kHz bytes.
    pub fn agent(&self, name: &str) -> Result<Vec<u8>, AudioError> {
        load_ulaw_8k(&self.root.join("agent"), name)
    }

    /// A caller line as μ-law 8 kHz bytes.
    pub fn caller(&self, name: &str) -> Result<Vec<u8>, AudioError> {
        load_ulaw_8k(&self.root.join("caller"), name)
    }
}

/// Loads `<dir>/<name>.wav` as mono μ-law at 8 kHz. μ-law 8 kHz mono files are returned as
/// they are; 16-bit PCM or other rates are mixed down to mono, resampled and encoded, so a
/// fixture may also be recorded at a higher quality.
pub fn load_ulaw_8k(dir: &Path, name: &str) -> Result<Vec<u8>, AudioError> {
    // Names may come from configuration or a script; keep them inside `dir`.
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !plain {
        return Err(AudioError::InvalidFixtureName(name.to_owned()));
    }
    let path = dir.join(format!("{name}.wav"));
    let wav = Wav::read_file(&path)?;
    to_ulaw_8k_mono(wav).map_err(|reason| AudioError::UnsupportedFixture { path, reason })
}

fn to_ulaw_8k_mono(wav: Wav) -> Result<Vec<u8>, String> {
    let Wav {
        sample_rate,
        channels,
        samples,
    } = wav;
    let samples = match samples {
        WavSamples::Ulaw(codes) if sample_rate == 8000 && channels == 1 => return Ok(codes),
        WavSamples::Ulaw(codes) => codes.iter().map(|&code| ulaw::decode(code)).collect(),
        WavSamples::Pcm16(samples) => samples,
    };
    let mono: Vec<i16> = match channels {
        1 => samples,
        2 => samples
            .chunks_exact(2)
            .map(|pair| ((i32::from(pair[0]) + i32::from(pair[1])) / 2) as i16)
            .collect(),
        other => return Err(format!("{other} channels")),
    };
    let at_8k = if sample_rate == 8000 {
        mono
    } else {
        let mut resampler = StreamResampler::new(sample_rate, 8000).map_err(|e| e.to_string())?;
        let mut out = Vec::with_capacity(mono.len() * 8000 / sample_rate as usize + 1);
        resampler.process(&mono, &mut out);
        resampler.flush(&mut out);
        out
    };
    let mut codes = Vec::with_capacity(at_8k.len());
    ulaw::encode_into(&at_8k, &mut codes);
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::test_signal::{rms, sine, tone_amplitude};

    fn decoded(codes: &[u8]) -> Vec<i16> {
        codes.iter().map(|&c| ulaw::decode(c)).collect()
    }

    #[test]
    fn every_listed_clip_loads_as_audible_speech_of_plausible_length() {
        let fixtures = FixtureDir::bundled();
        let sides: [(&str, &[&str]); 2] = [("agent", AGENT_CLIPS), ("caller", CALLER_CLIPS)];
        for (side, names) in sides {
            for name in names {
                let codes = match side {
                    "agent" => fixtures.agent(name),
                    _ => fixtures.caller(name),
                }
                .unwrap_or_else(|e| panic!("{side}/{name}: {e}"));
                let seconds = codes.len() as f64 / 8000.0;
                assert!((0.2..8.0).contains(&seconds), "{side}/{name}: {seconds} s");
                // Normalised to -3 dBFS peak by the script; speech RMS sits well above noise.
                let level = rms(&decoded(&codes));
                assert!(level > 1000.0, "{side}/{name}: RMS {level}");
            }
        }
    }

    #[test]
    fn directories_hold_exactly_the_listed_clips_and_the_readme_lists_them() {
        let root = FixtureDir::bundled().root().to_owned();
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        let mut total_bytes = 0;
        let sides: [(&str, &[&str]); 2] = [("agent", AGENT_CLIPS), ("caller", CALLER_CLIPS)];
        for (side, names) in sides {
            let mut on_disk: Vec<String> = std::fs::read_dir(root.join(side))
                .unwrap()
                .map(|entry| {
                    let entry = entry.unwrap();
                    total_bytes += entry.metadata().unwrap().len();
                    entry.file_name().to_string_lossy().into_owned()
                })
                .collect();
            on_disk.sort();
            let mut listed: Vec<String> = names.iter().map(|n| format!("{n}.wav")).collect();
            listed.sort();
            assert_eq!(on_disk, listed, "{side}");
            for file in &listed {
                assert!(
                    readme.contains(&format!("`{side}/{file}`")),
                    "README lacks {side}/{file}"
                );
            }
        }
        assert!(
            total_bytes < 2 * 1024 * 1024,
            "fixtures weigh {total_bytes} bytes"
        );
        let minutes = MINUTE_CLIPS.iter().map(|(_, clip)| clip);
        for clip in WEEKDAY_CLIPS.iter().chain(&HOUR_CLIPS).chain(minutes) {
            assert!(AGENT_CLIPS.contains(clip), "{clip}");
        }
    }

    #[test]
    fn names_that_could_leave_the_directory_are_refused() {
        let fixtures = FixtureDir::bundled();
        for name in [
            "",
            "../caller/book",
            "agent/greeting",
            "greeting.wav",
            "/etc/passwd",
            "a b",
        ] {
            assert!(
                matches!(fixtures.agent(name), Err(AudioError::InvalidFixtureName(n)) if n == name),
                "{name:?}"
            );
        }
        assert!(matches!(fixtures.agent("no_such_clip"), Err(AudioError::Wav(_))));
    }

    #[test]
    fn pcm_recordings_at_other_rates_are_converted_to_ulaw_8k() {
        let dir = tempfile::tempdir().unwrap();
        // One second of a 1 kHz tone at 16 kHz, stereo with the tone in both channels.
        let tone = sine(1000.0, 16000, 10000.0, 16000);
        let stereo: Vec<i16> = tone.iter().flat_map(|&s| [s, s]).collect();
        Wav::pcm16(16000, 2, stereo)
            .write_file(dir.path().join("tone.wav"))
            .unwrap();

        let codes = load_ulaw_8k(dir.path(), "tone").unwrap();
        assert_eq!(codes.len(), 8000);
        let samples = decoded(&codes);
        let level = tone_amplitude(&samples[400..7600], 8000, 1000.0);
        assert!((level / 10000.0 - 1.0).abs() < 0.03, "tone amplitude {level}");
    }

    #[test]
    fn ulaw_8k_mono_files_come_back_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let codes: Vec<u8> = (0..=255).cycle().take(1601).collect();
        Wav::ulaw_8k_mono(codes.clone())
            .write_file(dir.path().join("raw.wav"))
            .unwrap();
        assert_eq!(load_ulaw_8k(dir.path(), "raw").unwrap(), codes);
    }
}
