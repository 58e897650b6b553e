//! Streaming conversion between any two of the agent's wire formats, and decoding of caller
//! audio into samples for voice activity detection.
//!
//! The bridge's [`crate::audio::Transcoder`] always has Twilio's μ-law on one side; the
//! simulated agent can be configured with any input and any output format, so it needs the
//! general case: decode, resample, encode, with filter state and a split PCM sample carried
//! from one message to the next.

use crate::audio::resample::{Pcm16, S16leBytes, UlawCodes};
use crate::audio::{AudioError, AudioFormat, StreamResampler, ulaw};

/// Converts a stream of audio bytes in one format into another.
#[derive(Debug)]
pub struct FormatConverter {
    input: AudioFormat,
    output: AudioFormat,
    /// Present when the sample rates differ.
    resampler: Option<StreamResampler>,
    /// First byte of a PCM sample whose second byte has not arrived yet.
    held: Option<u8>,
}

impl FormatConverter {
    pub fn new(input: AudioFormat, output: AudioFormat) -> Result<Self, AudioError> {
        let resampler = if input.sample_rate() == output.sample_rate() {
            None
        } else {
            Some(StreamResampler::new(input.sample_rate(), output.sample_rate())?)
        };
        Ok(FormatConverter {
            input,
            output,
            resampler,
            held: None,
        })
    }

    /// True when input and output are the same format and bytes pass through untouched.
    pub fn is_identity(&self) -> bool {
        self.input == self.output
    }

    /// Appends the conversion of `bytes` to `out`. With a resampler, audio is released in
    /// whole 20 ms chunks; the rest waits for the next call or [`Self::flush`].
    pub fn convert(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        if self.is_identity() {
            out.extend_from_slice(bytes);
            return;
        }
        let output = self.output;
        let emit = |samples: &[i16], out: &mut Vec<u8>| encode(output, samples, out);
        match (self.input, &mut self.resampler) {
            (AudioFormat::Ulaw8000, Some(resampler)) => {
                resampler.process_with(&mut UlawCodes(bytes), |chunk| emit(chunk, out));
            }
            (AudioFormat::Ulaw8000, None) => ulaw::decode_to_s16le(bytes, out),
            (AudioFormat::Pcm { .. }, resampler) => {
                let (joined, whole) = split_samples(&mut self.held, bytes);
                match resampler {
                    Some(resampler) => {
                        if let Some(sample) = joined {
                            resampler.process_with(&mut Pcm16(&[sample]), |chunk| emit(chunk, out));
                        }
                        resampler.process_with(&mut S16leBytes(whole), |chunk| emit(chunk, out));
                    }
                    // Same rate, so the output is μ-law (equal formats returned above).
                    None => {
                        out.extend(joined.map(ulaw::encode));
                        ulaw::encode_s16le(whole, out);
                    }
                }
            }
        }
    }

    /// Emits what the resampler holds back (the end of a turn) and starts over.
    pub fn flush(&mut self, out: &mut Vec<u8>) {
        self.held = None;
        let output = self.output;
        if let Some(resampler) = &mut self.resampler {
            resampler.flush_with(|chunk| encode(output, chunk, out));
        }
    }
}

/// Decodes caller audio in the agent's input format into 16-bit samples, one message at a
/// time, without allocating.
#[derive(Debug)]
pub struct SampleDecoder {
    format: AudioFormat,
    held: Option<u8>,
}

impl SampleDecoder {
    pub fn new(format: AudioFormat) -> Self {
        SampleDecoder { format, held: None }
    }

    pub fn sample_rate(&self) -> u32 {
        self.format.sample_rate()
    }

    /// Calls `each` with every whole sample in `bytes`, in order.
    pub fn decode(&mut self, bytes: &[u8], mut each: impl FnMut(i16)) {
        if self.format.is_ulaw() {
            bytes.iter().for_each(|&code| each(ulaw::decode(code)));
            return;
        }
        let (joined, whole) = split_samples(&mut self.held, bytes);
        if let Some(sample) = joined {
            each(sample);
        }
        for pair in whole.chunks_exact(2) {
            each(i16::from_le_bytes([pair[0], pair[1]]));
        }
    }
}

fn encode(format: AudioFormat, samples: &[i16], out: &mut Vec<u8>) {
    if format.is_ulaw() {
        ulaw::encode_into(samples, out);
    } else {
        out.reserve(samples.len() * 2);
        out.extend(samples.iter().flat_map(|sample| sample.to_le_bytes()));
    }
}

/// Splits `bytes` on sample boundaries: the sample completed by a byte held from the last
/// message, then the whole samples; a new odd trailing byte is kept in `held`.
fn split_samples<'a>(held: &mut Option<u8>, bytes: &'a [u8]) -> (Option<i16>, &'a [u8]) {
    let (joined, rest) = match (held.take(), bytes.split_first()) {
        (Some(low), Some((&high, rest))) => (Some(i16::from_le_bytes([low, high])), rest),
        (still_held, _) => {
            *held = still_held;
            (None, bytes)
        }
    };
    let (whole, odd) = rest.split_at(rest.len() & !1);
    if let [odd] = odd {
        *held = Some(*odd);
    }
    (joined, whole)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tone(freq: f64, rate: u32, amplitude: f64, len: usize) -> Vec<i16> {
        (0..len)
            .map(|n| {
                (amplitude * (2.0 * std::f64::consts::PI * freq * n as f64 / f64::from(rate)).sin()) as i16
            })
            .collect()
    }

    fn samples_of(format: AudioFormat, bytes: &[u8]) -> Vec<i16> {
        let mut samples = Vec::new();
        SampleDecoder::new(format).decode(bytes, |s| samples.push(s));
        samples
    }

    fn bytes_of(format: AudioFormat, samples: &[i16]) -> Vec<u8> {
        let mut out = Vec::new();
        encode(format, samples, &mut out);
        out
    }

    /// Amplitude of a sine at `freq` in `samples`, by correlation with sine and cosine.
    fn amplitude_at(samples: &[i16], rate: u32, freq: f64) -> f64 {
        let w = 2.0 * std::f64::consts::PI * freq / f64::from(rate);
        let (mut re, mut im) = (0.0, 0.0);
        for (n, &s) in samples.iter().enumerate() {
            re += f64::from(s) * (w * n as f64).cos();
            im += f64::from(s) * (w * n as f64).sin();
        }
        2.0 * (re * re + im * im).sqrt() / samples.len() as f64
    }

    #[test]
    fn every_pair_of_formats_keeps_length_and_a_tone_level() {
        for input in AudioFormat::ALL {
            for output in AudioFormat::ALL {
                let source = tone(
                    1000.0,
                    input.sample_rate(),
                    8000.0,
                    input.sample_rate() as usize / 2,
                );
                let mut converter = FormatConverter::new(input, output).unwrap();
                let mut out = Vec::new();
                converter.convert(&bytes_of(input, &source), &mut out);
                converter.flush(&mut out);
                let samples = samples_of(output, &out);
                assert_eq!(
                    samples.len(),
                    output.sample_rate() as usize / 2,
                    "{input} → {output}"
                );
                let middle = &samples[samples.len() / 4..samples.len() * 3 / 4];
                let level = amplitude_at(middle, output.sample_rate(), 1000.0);
                assert!((level / 8000.0 - 1.0).abs() < 0.03, "{input} → {output}: {level}");
            }
        }
    }

    #[test]
    fn identical_formats_pass_bytes_through() {
        let bytes: Vec<u8> = (0..=255).collect();
        for format in AudioFormat::ALL {
            let mut converter = FormatConverter::new(format, format).unwrap();
            assert!(converter.is_identity());
            let mut out = Vec::new();
            converter.convert(&bytes, &mut out);
            assert_eq!(out, bytes, "{format}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn how_messages_are_split_does_not_change_the_output(
            input in 0..AudioFormat::ALL.len(),
            output in 0..AudioFormat::ALL.len(),
            audio in proptest::collection::vec(any::<u8>(), 0..4000),
            cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..12),
        ) {
            let (input, output) = (AudioFormat::ALL[input], AudioFormat::ALL[output]);
            let mut whole = FormatConverter::new(input, output).unwrap();
            let mut expected = Vec::new();
            whole.convert(&audio, &mut expected);
            whole.flush(&mut expected);

            let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(audio.len() + 1)).collect();
            cuts.sort_unstable();
            let mut split = FormatConverter::new(input, output).unwrap();
            let mut actual = Vec::new();
            let mut start = 0;
            for cut in cuts.into_iter().chain([audio.len()]) {
                split.convert(&audio[start..cut], &mut actual);
                start = cut;
            }
            split.flush(&mut actual);
            prop_assert_eq!(actual, expected);
        }

        #[test]
        fn the_decoder_joins_samples_split_across_messages(
            samples in proptest::collection::vec(any::<i16>(), 0..200),
            cut in any::<proptest::sample::Index>(),
        ) {
            let format = AudioFormat::Pcm { rate: 16000 };
            let bytes = bytes_of(format, &samples);
            let cut = cut.index(bytes.len() + 1);
            let mut decoder = SampleDecoder::new(format);
            let mut decoded = Vec::new();
            decoder.decode(&bytes[..cut], |s| decoded.push(s));
            decoder.decode(&bytes[cut..], |s| decoded.push(s));
            prop_assert_eq!(decoded, samples);
        }
    }
}
