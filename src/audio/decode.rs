//! Decoding of audio in any agent wire format into 16-bit samples, for code that listens to
//! the signal (voice activity detection) rather than passing it on.

use super::format::AudioFormat;
use super::pcm::SampleJoiner;
use super::ulaw;

/// Decodes a stream of audio in one format into samples, one message at a time, without
/// allocating.
#[derive(Debug)]
pub struct SampleDecoder {
    format: AudioFormat,
    /// Holds a byte only when `format` is PCM.
    joiner: SampleJoiner,
}

impl SampleDecoder {
    pub fn new(format: AudioFormat) -> Self {
        SampleDecoder {
            format,
            joiner: SampleJoiner::default(),
        }
    }

    pub fn sample_rate(&self) -> u32 {
        self.format.sample_rate()
    }

    /// Calls `each` with every whole sample in `bytes`, in order; a PCM sample split between
    /// two messages is passed on once its second byte arrives.
    pub fn decode(&mut self, bytes: &[u8], mut each: impl FnMut(i16)) {
        if self.format.is_ulaw() {
            bytes.iter().for_each(|&code| each(ulaw::decode(code)));
            return;
        }
        let (joined, whole) = self.joiner.split(bytes);
        if let Some(sample) = joined {
            each(sample);
        }
        for pair in whole.chunks_exact(2) {
            each(i16::from_le_bytes([pair[0], pair[1]]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::test_signal::encoded;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn every_format_decodes_to_its_samples_however_messages_are_split(
            format in 0..AudioFormat::ALL.len(),
            samples in proptest::collection::vec(any::<i16>(), 0..300),
            cut in any::<proptest::sample::Index>(),
        ) {
            let format = AudioFormat::ALL[format];
            let bytes = encoded(format, &samples);
            let cut = cut.index(bytes.len() + 1);
            let mut decoder = SampleDecoder::new(format);
            let mut decoded = Vec::new();
            decoder.decode(&bytes[..cut], |s| decoded.push(s));
            decoder.decode(&bytes[cut..], |s| decoded.push(s));
            // μ-law keeps only 14 bits and compands them; PCM comes back exactly.
            let expected: Vec<i16> = match format {
                AudioFormat::Ulaw8000 => samples.iter().map(|&s| ulaw::decode(ulaw::encode(s))).collect(),
                AudioFormat::Pcm { .. } => samples,
            };
            prop_assert_eq!(decoded, expected);
            prop_assert_eq!(decoder.sample_rate(), format.sample_rate());
        }
    }
}
