//! Streaming conversion of audio from one agent wire format into another, one direction.
//!
//! Decode (μ-law or 16-bit PCM), resample when the rates differ, encode; the resampler's
//! filter state and a PCM sample split between messages are carried from one message to the
//! next, so a stream cut into arbitrary messages converts exactly as it would in one piece.
//! The bridge's [`Transcoder`](super::Transcoder) is two of these, one a direction; the
//! simulated agent uses them to echo in another format and to prepare its recorded voice.

use super::format::AudioFormat;
use super::pcm::{SampleJoiner, append_s16le};
use super::resample::{Pcm16, S16leBytes, StreamResampler, UlawCodes};
use super::{AudioError, ulaw};

/// Converts a stream of audio bytes in one format into another.
#[derive(Debug)]
pub struct FormatConverter {
    from: AudioFormat,
    to: AudioFormat,
    path: Path,
    /// Holds a byte only when `from` is PCM.
    joiner: SampleJoiner,
}

/// What converting takes, decided once from the two formats so that each message needs a
/// single branch.
#[derive(Debug)]
enum Path {
    /// The same format on both sides: bytes are copied.
    Copy,
    /// μ-law to PCM at 8 kHz: the codec alone.
    DecodeUlaw,
    /// PCM to μ-law at 8 kHz: the codec alone.
    EncodeUlaw,
    /// The rates differ. Boxed because it is far larger than the other variants.
    Resample(Box<StreamResampler>),
}

impl FormatConverter {
    /// Fails only for a rate that does not split into 20 ms chunks, which no format an agent
    /// can announce has.
    pub fn new(from: AudioFormat, to: AudioFormat) -> Result<Self, AudioError> {
        let path = if from == to {
            Path::Copy
        } else if from.sample_rate() != to.sample_rate() {
            Path::Resample(Box::new(StreamResampler::new(
                from.sample_rate(),
                to.sample_rate(),
            )?))
        } else if from.is_ulaw() {
            // Different formats at one rate: μ-law and PCM, both at 8 kHz.
            Path::DecodeUlaw
        } else {
            Path::EncodeUlaw
        };
        Ok(FormatConverter {
            from,
            to,
            path,
            joiner: SampleJoiner::default(),
        })
    }

    pub fn input_format(&self) -> AudioFormat {
        self.from
    }

    pub fn output_format(&self) -> AudioFormat {
        self.to
    }

    /// True when input and output are the same format and bytes pass through untouched.
    pub fn is_identity(&self) -> bool {
        matches!(self.path, Path::Copy)
    }

    /// Appends the conversion of `bytes` to `out`, growing `out` at most once. With a
    /// resampler, audio is released in whole 20 ms chunks; the rest waits for the next call
    /// or [`Self::flush`]. An odd trailing byte of PCM waits for its partner.
    pub fn convert(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        match &mut self.path {
            Path::Copy => out.extend_from_slice(bytes),
            Path::DecodeUlaw => ulaw::decode_to_s16le(bytes, out),
            Path::EncodeUlaw => {
                let (joined, whole) = self.joiner.split(bytes);
                out.reserve(bytes.len() / 2 + 1);
                out.extend(joined.map(ulaw::encode));
                ulaw::encode_s16le(whole, out);
            }
            Path::Resample(resampler) => {
                let to = self.to;
                // One more sample than the bytes hold whole, for one completed by a held byte.
                let arriving = bytes.len() / self.from.bytes_per_sample() + 1;
                let most_out = converted_len(
                    resampler.pending_input() + arriving,
                    resampler.input_rate(),
                    resampler.output_rate(),
                );
                out.reserve(most_out * to.bytes_per_sample());
                let mut emit = |chunk: &[i16]| encode(to, chunk, out);
                if self.from.is_ulaw() {
                    resampler.process_with(&mut UlawCodes(bytes), emit);
                } else {
                    let (joined, whole) = self.joiner.split(bytes);
                    if let Some(sample) = joined {
                        resampler.process_with(&mut Pcm16(&[sample]), &mut emit);
                    }
                    resampler.process_with(&mut S16leBytes(whole), emit);
                }
            }
        }
    }

    /// Emits everything held back (the end of a turn or a clip): the partial chunk and the
    /// resampler's tail, then starts over as a new converter. A lone half sample cannot be
    /// decoded and is dropped.
    pub fn flush(&mut self, out: &mut Vec<u8>) {
        self.joiner.clear();
        if let Path::Resample(resampler) = &mut self.path {
            let to = self.to;
            out.reserve(resampler.flush_len() * to.bytes_per_sample());
            resampler.flush_with(|chunk| encode(to, chunk, out));
        }
    }

    /// Drops held-back audio and filter state (after a barge-in), so nothing of a discarded
    /// stream leaks into the next one.
    pub fn reset(&mut self) {
        self.joiner.clear();
        if let Path::Resample(resampler) = &mut self.path {
            resampler.reset();
        }
    }
}

/// How many samples `samples` at `from_rate` become at `to_rate`, rounded up: enough to
/// reserve so that appending a message's output never grows the buffer twice.
fn converted_len(samples: usize, from_rate: u32, to_rate: u32) -> usize {
    (samples * to_rate as usize).div_ceil(from_rate as usize)
}

/// Appends `samples` encoded in `format`.
fn encode(format: AudioFormat, samples: &[i16], out: &mut Vec<u8>) {
    match format {
        AudioFormat::Ulaw8000 => ulaw::encode_into(samples, out),
        AudioFormat::Pcm { .. } => append_s16le(samples, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::alloc_count::allocations_during;
    use crate::audio::test_signal::{db, decoded, encoded, middle, rms, sine, to_s16le, tone_amplitude};
    use proptest::prelude::*;

    fn every_pair() -> impl Iterator<Item = (AudioFormat, AudioFormat)> {
        AudioFormat::ALL
            .into_iter()
            .flat_map(|from| AudioFormat::ALL.map(|to| (from, to)))
    }

    /// The whole of `bytes` converted, held-back audio included.
    fn converted(from: AudioFormat, to: AudioFormat, bytes: &[u8]) -> Vec<u8> {
        let mut converter = FormatConverter::new(from, to).unwrap();
        let mut out = Vec::new();
        converter.convert(bytes, &mut out);
        converter.flush(&mut out);
        out
    }

    #[test]
    fn every_pair_of_formats_keeps_length_and_a_tone_level() {
        for (from, to) in every_pair() {
            let half_second = from.sample_rate() as usize / 2;
            let source = encoded(from, &sine(1000.0, from.sample_rate(), 8000.0, half_second));
            let samples = decoded(to, &converted(from, to, &source));
            assert_eq!(samples.len(), to.sample_rate() as usize / 2, "{from} → {to}");
            let steady = &samples[samples.len() / 4..samples.len() * 3 / 4];
            let level = tone_amplitude(steady, to.sample_rate(), 1000.0);
            assert!((level / 8000.0 - 1.0).abs() < 0.03, "{from} → {to}: {level}");
        }
    }

    #[test]
    fn only_identical_formats_pass_bytes_through() {
        let bytes: Vec<u8> = (0..=255).collect();
        for (from, to) in every_pair() {
            let mut converter = FormatConverter::new(from, to).unwrap();
            assert_eq!(converter.is_identity(), from == to, "{from} → {to}");
            assert_eq!((converter.input_format(), converter.output_format()), (from, to));
            if from == to {
                let mut out = Vec::new();
                converter.convert(&bytes[..7], &mut out);
                converter.convert(&bytes[7..], &mut out);
                converter.flush(&mut out);
                assert_eq!(out, bytes, "{from}");
            }
        }
    }

    #[test]
    fn pcm_8000_and_ulaw_convert_by_the_codec_alone() {
        let pcm8 = AudioFormat::Pcm { rate: 8000 };
        let codes: Vec<u8> = (0..=255).collect();
        assert_eq!(
            converted(AudioFormat::Ulaw8000, pcm8, &codes),
            to_s16le(&decoded(AudioFormat::Ulaw8000, &codes))
        );

        let samples = sine(440.0, 8000, 20000.0, 321);
        let bytes = to_s16le(&samples);
        let mut converter = FormatConverter::new(pcm8, AudioFormat::Ulaw8000).unwrap();
        let mut out = Vec::new();
        // Split inside a sample: the odd byte must wait for its partner.
        converter.convert(&bytes[..3], &mut out);
        assert_eq!(out.len(), 1);
        converter.convert(&bytes[3..], &mut out);
        assert_eq!(out, encoded(AudioFormat::Ulaw8000, &samples));
    }

    #[test]
    fn a_5khz_tone_from_16khz_does_not_alias_into_8khz() {
        let mut converter = FormatConverter::new(AudioFormat::DEFAULT, AudioFormat::Ulaw8000).unwrap();
        let mut heard = Vec::new();
        converter.convert(&to_s16le(&sine(5000.0, 16000, 10000.0, 16000)), &mut heard);
        converter.flush(&mut heard);
        assert_eq!(heard.len(), 8000);
        // The tone's abrupt start and end are broadband clicks; judge the steady part.
        let steady = decoded(AudioFormat::Ulaw8000, &heard);
        let level = db(rms(middle(&steady, 400)) / (10000.0 / 2f64.sqrt()));
        assert!(level < -60.0, "5 kHz came through at {level:.1} dB");
        // Where it would fold to, were it let through.
        let alias = tone_amplitude(middle(&steady, 400), 8000, 3000.0);
        assert!(alias < 10.0, "alias at 3 kHz with amplitude {alias}");

        // The same converter passes an in-band tone, so the silence above is the filter.
        let mut heard = Vec::new();
        converter.convert(&to_s16le(&sine(3000.0, 16000, 10000.0, 16000)), &mut heard);
        converter.flush(&mut heard);
        let steady = decoded(AudioFormat::Ulaw8000, &heard);
        let gain = db(tone_amplitude(middle(&steady, 400), 8000, 3000.0) / 10000.0);
        assert!(gain.abs() < 1.0, "3 kHz at {gain:.2} dB");
    }

    #[test]
    fn flush_emits_the_tail_and_drops_a_lone_half_sample() {
        let mut converter = FormatConverter::new(AudioFormat::DEFAULT, AudioFormat::Ulaw8000).unwrap();
        // 500 samples: one 320-sample chunk plus 180 held back, plus half a sample.
        let mut bytes = to_s16le(&sine(1000.0, 16000, 10000.0, 500));
        bytes.push(0x7F);
        let mut heard = Vec::new();
        converter.convert(&bytes, &mut heard);
        // The first chunk minus the filter's warm-up (2.5 ms: 16 kHz is a whole factor).
        assert_eq!(heard.len(), 140);
        converter.flush(&mut heard);
        assert_eq!(heard.len(), 250);
        assert!(
            rms(&decoded(AudioFormat::Ulaw8000, &heard[150..240])) > 5000.0,
            "the tail must be the tone, not silence"
        );

        // Nothing is left over to prefix the next turn.
        let mut next = Vec::new();
        converter.convert(&[0u8; 640], &mut next);
        converter.flush(&mut next);
        assert_eq!(next.len(), 160);
        assert!(next.iter().all(|&c| c == ulaw::SILENCE), "{next:?}");
    }

    #[test]
    fn reset_forgets_held_audio() {
        for from in AudioFormat::ALL.into_iter().filter(|f| !f.is_ulaw()) {
            let mut converter = FormatConverter::new(from, AudioFormat::Ulaw8000).unwrap();
            let rate = from.sample_rate();
            let mut interrupted = to_s16le(&sine(700.0, rate, 25000.0, rate as usize / 30));
            interrupted.push(0x40);
            let mut discarded = Vec::new();
            converter.convert(&interrupted, &mut discarded);
            converter.reset();

            let mut next = Vec::new();
            converter.convert(&vec![0u8; from.bytes_per_frame() * 3], &mut next);
            converter.flush(&mut next);
            assert_eq!(next.len(), 480, "{from}");
            assert!(
                next.iter().all(|&c| c == ulaw::SILENCE),
                "{from}: interrupted audio leaked"
            );
        }
    }

    #[test]
    fn messages_are_converted_without_allocating_once_warmed_up() {
        for (from, to) in every_pair() {
            let half_second = from.sample_rate() as usize / 2;
            let speech = encoded(from, &sine(1000.0, from.sample_rate(), 10000.0, half_second));
            // Odd-sized messages exercise the held byte and partial chunks.
            let messages: Vec<&[u8]> = speech.chunks(from.bytes_per_frame() + 3).collect();
            let mut converter = FormatConverter::new(from, to).unwrap();
            let mut out = Vec::with_capacity(4 * to.bytes_per_frame());
            let mut convert = |message: &[u8]| {
                out.clear();
                converter.convert(message, &mut out);
            };
            convert(messages[0]);
            let allocations = allocations_during(|| messages[1..12].iter().for_each(|m| convert(m)));
            assert_eq!(allocations, 0, "{from} → {to}");
            let allocations = allocations_during(|| {
                out.clear();
                converter.flush(&mut out);
                converter.convert(messages[12], &mut out);
                converter.reset();
            });
            assert_eq!(allocations, 0, "{from} → {to}: flush or reset");
        }
    }

    #[test]
    fn one_message_grows_the_output_at_most_once() {
        for (from, to) in every_pair() {
            let speech = encoded(from, &sine(440.0, from.sample_rate(), 10000.0, 4000));
            let mut converter = FormatConverter::new(from, to).unwrap();
            for message in speech.chunks(from.bytes_per_frame() * 3 + 1) {
                let mut out = Vec::new();
                let allocations = allocations_during(|| converter.convert(message, &mut out));
                assert!(allocations <= 1, "{from} → {to}: {allocations} allocations");
            }
            let mut out = Vec::new();
            let allocations = allocations_during(|| converter.flush(&mut out));
            assert!(
                allocations <= 1,
                "{from} → {to}: {allocations} allocations in flush"
            );
        }
    }

    #[test]
    fn rates_that_cannot_be_framed_are_refused() {
        let odd = AudioFormat::Pcm { rate: 11025 };
        for (from, to) in [(odd, AudioFormat::Ulaw8000), (AudioFormat::DEFAULT, odd)] {
            assert!(matches!(
                FormatConverter::new(from, to),
                Err(AudioError::UnsupportedRate(11025))
            ));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn how_messages_are_split_does_not_change_the_output(
            from in 0..AudioFormat::ALL.len(),
            to in 0..AudioFormat::ALL.len(),
            audio in proptest::collection::vec(any::<u8>(), 0..6000),
            cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..16),
        ) {
            let (from, to) = (AudioFormat::ALL[from], AudioFormat::ALL[to]);
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(audio.len() + 1)).collect();
            cuts.sort_unstable();
            let mut split = FormatConverter::new(from, to).unwrap();
            let mut actual = Vec::new();
            let mut start = 0;
            for cut in cuts.into_iter().chain([audio.len()]) {
                split.convert(&audio[start..cut], &mut actual);
                start = cut;
            }
            split.flush(&mut actual);
            prop_assert_eq!(actual, converted(from, to, &audio));
        }

        #[test]
        fn after_a_reset_or_a_flush_it_converts_like_a_new_converter(
            from in 0..AudioFormat::ALL.len(),
            to in 0..AudioFormat::ALL.len(),
            before in proptest::collection::vec(any::<u8>(), 0..3000),
            after in proptest::collection::vec(any::<u8>(), 0..3000),
            flush in any::<bool>(),
        ) {
            let (from, to) = (AudioFormat::ALL[from], AudioFormat::ALL[to]);
            let mut used = FormatConverter::new(from, to).unwrap();
            let mut discarded = Vec::new();
            used.convert(&before, &mut discarded);
            if flush {
                used.flush(&mut discarded);
            } else {
                used.reset();
            }
            let mut out = Vec::new();
            used.convert(&after, &mut out);
            used.flush(&mut out);
            prop_assert_eq!(out, converted(from, to, &after));
        }
    }
}
