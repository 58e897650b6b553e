//! The audio formats an ElevenLabs agent speaks and listens in, by their wire names.
//!
//! Agents announce `user_input_audio_format` and `agent_output_audio_format` in
//! `conversation_initiation_metadata` as `ulaw_8000` or `pcm_<rate>`; PCM on this protocol is
//! signed 16-bit little-endian mono. Source: the ElevenLabs OpenAPI description
//! (elevenlabs/elevenlabs-docs, `fern/apis/api/openapi.json`: `asr.user_input_audio_format`,
//! `tts.agent_output_audio_format`).

use std::fmt;
use std::str::FromStr;

use super::AudioError;

/// Audio frames on both legs are 20 ms long: Twilio sends 160 μ-law bytes at a time, and
/// every supported rate divides into 50 frames a second.
pub const FRAME_MS: u32 = 20;

/// One side's audio format on the agent WebSocket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioFormat {
    /// G.711 μ-law, 8 kHz mono, one byte a sample: what Twilio carries.
    Ulaw8000,
    /// Signed 16-bit little-endian mono PCM at `rate` Hz.
    Pcm { rate: u32 },
}

impl AudioFormat {
    /// The ElevenLabs default for both directions.
    pub const DEFAULT: AudioFormat = AudioFormat::Pcm { rate: 16000 };

    /// Every format an agent may announce, in the order the API documents them.
    pub const ALL: [AudioFormat; 7] = [
        AudioFormat::Pcm { rate: 8000 },
        AudioFormat::Pcm { rate: 16000 },
        AudioFormat::Pcm { rate: 22050 },
        AudioFormat::Pcm { rate: 24000 },
        AudioFormat::Pcm { rate: 44100 },
        AudioFormat::Pcm { rate: 48000 },
        AudioFormat::Ulaw8000,
    ];

    pub const fn sample_rate(self) -> u32 {
        match self {
            AudioFormat::Ulaw8000 => 8000,
            AudioFormat::Pcm { rate } => rate,
        }
    }

    pub const fn bytes_per_sample(self) -> usize {
        match self {
            AudioFormat::Ulaw8000 => 1,
            AudioFormat::Pcm { .. } => 2,
        }
    }

    /// Samples in one 20 ms frame (160 at 8 kHz, 441 at 22.05 kHz).
    pub const fn samples_per_frame(self) -> usize {
        (self.sample_rate() * FRAME_MS / 1000) as usize
    }

    /// Bytes in one 20 ms frame.
    pub const fn bytes_per_frame(self) -> usize {
        self.samples_per_frame() * self.bytes_per_sample()
    }

    /// Bytes of audio per second; with [`Self::bytes_to_ms`] this turns a byte count into
    /// playback time (for marks and metering) without per-format arithmetic at the call site.
    pub const fn bytes_per_second(self) -> u32 {
        self.sample_rate() * self.bytes_per_sample() as u32
    }

    /// How long `bytes` of this format play, in whole milliseconds (rounded down).
    pub const fn bytes_to_ms(self, bytes: usize) -> u64 {
        (bytes as u64 * 1000) / self.bytes_per_second() as u64
    }

    pub const fn is_ulaw(self) -> bool {
        matches!(self, AudioFormat::Ulaw8000)
    }
}

impl Default for AudioFormat {
    fn default() -> Self {
        AudioFormat::DEFAULT
    }
}

impl FromStr for AudioFormat {
    type Err = AudioError;

    fn from_str(name: &str) -> Result<Self, AudioError> {
        // An explicit list rather than parsing the digits: the API accepts exactly these
        // spellings, and `u32::from_str` would also take "+16000" or "016000".
        let rate = match name {
            "ulaw_8000" => return Ok(AudioFormat::Ulaw8000),
            "pcm_8000" => 8000,
            "pcm_16000" => 16000,
            "pcm_22050" => 22050,
            "pcm_24000" => 24000,
            "pcm_44100" => 44100,
            "pcm_48000" => 48000,
            _ => return Err(AudioError::UnknownFormat(name.to_owned())),
        };
        Ok(AudioFormat::Pcm { rate })
    }
}

impl fmt::Display for AudioFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AudioFormat::Ulaw8000 => f.write_str("ulaw_8000"),
            AudioFormat::Pcm { rate } => write!(f, "pcm_{rate}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_every_documented_name_and_prints_it_back() {
        let names = [
            "pcm_8000",
            "pcm_16000",
            "pcm_22050",
            "pcm_24000",
            "pcm_44100",
            "pcm_48000",
            "ulaw_8000",
        ];
        for (name, format) in names.iter().zip(AudioFormat::ALL) {
            assert_eq!(name.parse::<AudioFormat>().unwrap(), format);
            assert_eq!(format.to_string(), *name);
        }
    }

    #[test]
    fn rejects_other_names_with_the_value_in_the_error() {
        for bad in [
            "",
            "ulaw",
            "ulaw_16000",
            "alaw_8000",
            "pcm_",
            "pcm_12000",
            "pcm_016000",
            "pcm_+16000",
            "PCM_16000",
            "pcm_16000 ",
            "mp3_44100_128",
            "opus_48000",
        ] {
            let err = bad.parse::<AudioFormat>().unwrap_err();
            assert!(
                matches!(&err, AudioError::UnknownFormat(v) if v == bad),
                "{bad:?}: {err:?}"
            );
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn sizes_follow_the_rate_and_sample_width() {
        let ulaw = AudioFormat::Ulaw8000;
        assert_eq!((ulaw.sample_rate(), ulaw.bytes_per_sample()), (8000, 1));
        assert_eq!((ulaw.samples_per_frame(), ulaw.bytes_per_frame()), (160, 160));
        let pcm = AudioFormat::Pcm { rate: 22050 };
        assert_eq!((pcm.samples_per_frame(), pcm.bytes_per_frame()), (441, 882));
        assert_eq!(pcm.bytes_per_second(), 44100);
        assert_eq!(AudioFormat::DEFAULT.bytes_to_ms(640), 20);
        assert_eq!(ulaw.bytes_to_ms(8000), 1000);
        assert_eq!(AudioFormat::default(), AudioFormat::Pcm { rate: 16000 });
    }

    proptest! {
        #[test]
        fn display_and_parse_round_trip_or_reject(name in "(pcm|ulaw)_[0-9]{0,6}") {
            match name.parse::<AudioFormat>() {
                Ok(format) => prop_assert_eq!(format.to_string(), name),
                Err(AudioError::UnknownFormat(value)) => prop_assert_eq!(value, name),
                Err(other) => prop_assert!(false, "unexpected error {other:?}"),
            }
        }
    }
}
