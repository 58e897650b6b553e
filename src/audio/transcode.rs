//! Per-call conversion between Twilio's μ-law 8 kHz and the agent's audio formats.
//!
//! One [`Transcoder`] serves both directions of one call and keeps resampler state across
//! frames, so 20 ms messages join into a continuous signal. Formats are the agent's own, as it
//! announces them in `conversation_initiation_metadata`. The cheapest case, `ulaw_8000` both
//! ways, needs no conversion at all; `pcm_8000` needs only the μ-law codec; other rates go
//! through a [`StreamResampler`] each way.

use super::format::AudioFormat;
use super::resample::{Pcm16, S16leBytes, StreamResampler, UlawCodes};
use super::{AudioError, ulaw};

/// Twilio's side of every call: μ-law at 8 kHz.
const TWILIO_RATE: u32 = 8000;

/// The audio conversion for one call, both ways.
#[derive(Debug)]
pub struct Transcoder {
    input: AudioFormat,
    output: AudioFormat,
    /// Twilio's 8 kHz up (or down) to the agent's input rate; `None` when that is 8 kHz.
    to_agent_rate: Option<StreamResampler>,
    /// The agent's output rate down to 8 kHz; `None` when that is 8 kHz.
    to_caller_rate: Option<StreamResampler>,
    /// First byte of a PCM sample whose second byte is still on the way: agent messages are
    /// not guaranteed to split on sample boundaries.
    held_agent_byte: Option<u8>,
}

impl Transcoder {
    /// `input`: the agent's `user_input_audio_format`; `output`: its
    /// `agent_output_audio_format`.
    pub fn new(input: AudioFormat, output: AudioFormat) -> Result<Self, AudioError> {
        Ok(Transcoder {
            input,
            output,
            to_agent_rate: resampler(TWILIO_RATE, input.sample_rate())?,
            to_caller_rate: resampler(output.sample_rate(), TWILIO_RATE)?,
            held_agent_byte: None,
        })
    }

    pub fn input_format(&self) -> AudioFormat {
        self.input
    }

    pub fn output_format(&self) -> AudioFormat {
        self.output
    }

    /// True when both formats are `ulaw_8000`: the caller of this type then relays base64
    /// payloads as they are, without decoding them at all.
    pub fn is_passthrough(&self) -> bool {
        self.input.is_ulaw() && self.output.is_ulaw()
    }

    /// Caller μ-law bytes → bytes in the agent's input format, appended to `out`. Resampled
    /// formats hold back input until a 20 ms chunk is complete.
    pub fn caller_to_agent(&mut self, ulaw: &[u8], out: &mut Vec<u8>) {
        match (self.input, &mut self.to_agent_rate) {
            (AudioFormat::Ulaw8000, _) => out.extend_from_slice(ulaw),
            (AudioFormat::Pcm { .. }, None) => ulaw::decode_to_s16le(ulaw, out),
            (AudioFormat::Pcm { rate }, Some(resampler)) => {
                let held = resampler.input_chunk();
                out.reserve(2 * converted_len(ulaw.len() + held, TWILIO_RATE, rate));
                resampler.process_with(&mut UlawCodes(ulaw), |chunk| append_s16le(chunk, out));
            }
        }
    }

    /// Agent output bytes → μ-law 8 kHz appended to `out`. May hold back less than one 20 ms
    /// chunk (and an odd trailing byte of PCM) until more arrives.
    pub fn agent_to_caller(&mut self, agent: &[u8], out: &mut Vec<u8>) {
        if self.output.is_ulaw() {
            out.extend_from_slice(agent);
            return;
        }
        let (joined, whole_samples) = split_samples(&mut self.held_agent_byte, agent);
        match &mut self.to_caller_rate {
            None => {
                out.reserve(agent.len() / 2 + 1);
                out.extend(joined.map(ulaw::encode));
                ulaw::encode_s16le(whole_samples, out);
            }
            Some(resampler) => {
                let held = resampler.input_chunk();
                out.reserve(converted_len(
                    agent.len() / 2 + held,
                    resampler.input_rate(),
                    TWILIO_RATE,
                ));
                let mut emit = |chunk: &[i16]| ulaw::encode_into(chunk, out);
                if let Some(sample) = joined {
                    resampler.process_with(&mut Pcm16(&[sample]), &mut emit);
                }
                resampler.process_with(&mut S16leBytes(whole_samples), &mut emit);
            }
        }
    }

    /// Emits everything held back (end of an agent turn): the partial chunk and the
    /// resampler's tail. A lone half sample cannot be decoded and is dropped.
    pub fn flush_agent_to_caller(&mut self, out: &mut Vec<u8>) {
        self.held_agent_byte = None;
        if let Some(resampler) = &mut self.to_caller_rate {
            resampler.flush_with(|chunk| ulaw::encode_into(chunk, out));
        }
    }

    /// Drops held-back agent audio and filter state (after a barge-in), so nothing of the
    /// interrupted turn leaks into the next one.
    pub fn reset_agent_to_caller(&mut self) {
        self.held_agent_byte = None;
        if let Some(resampler) = &mut self.to_caller_rate {
            resampler.reset();
        }
    }
}

/// A resampler between two rates, or none when they are equal.
fn resampler(from_rate: u32, to_rate: u32) -> Result<Option<StreamResampler>, AudioError> {
    if from_rate == to_rate {
        return Ok(None);
    }
    StreamResampler::new(from_rate, to_rate).map(Some)
}

/// How many samples `samples` at `from_rate` become at `to_rate`, rounded up: enough to
/// reserve so that appending a message's output never grows the buffer twice.
fn converted_len(samples: usize, from_rate: u32, to_rate: u32) -> usize {
    (samples * to_rate as usize).div_ceil(from_rate as usize)
}

/// Appends samples as 16-bit little-endian bytes.
fn append_s16le(samples: &[i16], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + samples.len() * 2, 0);
    for (pair, sample) in out[start..].chunks_exact_mut(2).zip(samples) {
        pair.copy_from_slice(&sample.to_le_bytes());
    }
}

/// Splits `bytes` on sample boundaries: the sample completed by a byte held from the previous
/// message, if any, then whole samples; a new odd trailing byte goes into `held`.
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
    use crate::audio::alloc_count::allocations_during;
    use crate::audio::test_signal::{db, from_s16le, middle, rms, sine, to_s16le, tone_amplitude};
    use proptest::prelude::*;

    fn ulaw_of(samples: &[i16]) -> Vec<u8> {
        let mut codes = Vec::new();
        ulaw::encode_into(samples, &mut codes);
        codes
    }

    fn decoded(codes: &[u8]) -> Vec<i16> {
        let mut samples = Vec::new();
        ulaw::decode_into(codes, &mut samples);
        samples
    }

    /// Every pairing the tests walk through: each format both ways, plus mixed pairs.
    fn format_pairs() -> Vec<(AudioFormat, AudioFormat)> {
        let mut pairs: Vec<_> = AudioFormat::ALL.iter().map(|&f| (f, f)).collect();
        pairs.extend([
            (AudioFormat::Ulaw8000, AudioFormat::Pcm { rate: 16000 }),
            (AudioFormat::Pcm { rate: 16000 }, AudioFormat::Ulaw8000),
            (AudioFormat::Pcm { rate: 16000 }, AudioFormat::Pcm { rate: 44100 }),
            (AudioFormat::Pcm { rate: 8000 }, AudioFormat::Pcm { rate: 24000 }),
        ]);
        pairs
    }

    /// Converts agent-input bytes into the agent's output format, as an agent echoing the
    /// caller would; both formats at the same rate leave the audio untouched.
    fn echo(input: AudioFormat, output: AudioFormat, bytes: &[u8]) -> Vec<u8> {
        let samples = match input {
            AudioFormat::Ulaw8000 => decoded(bytes),
            AudioFormat::Pcm { .. } => from_s16le(bytes),
        };
        let samples = if input.sample_rate() == output.sample_rate() {
            samples
        } else {
            let mut resampler = StreamResampler::new(input.sample_rate(), output.sample_rate()).unwrap();
            let mut out = Vec::new();
            resampler.process(&samples, &mut out);
            resampler.flush(&mut out);
            out
        };
        match output {
            AudioFormat::Ulaw8000 => ulaw_of(&samples),
            AudioFormat::Pcm { .. } => to_s16le(&samples),
        }
    }

    #[test]
    fn a_1khz_tone_survives_the_round_trip_in_every_format() {
        // One second at about -10 dBFS, in 20 ms Twilio frames.
        let caller = ulaw_of(&sine(1000.0, 8000, 10000.0, 8000));
        for (input, output) in format_pairs() {
            let mut transcoder = Transcoder::new(input, output).unwrap();
            let mut to_agent = Vec::new();
            for frame in caller.chunks(160) {
                transcoder.caller_to_agent(frame, &mut to_agent);
            }
            // At most one chunk held back and the 10 ms filter warm-up missing.
            let expected = caller.len() * input.bytes_per_second() as usize / 8000;
            assert!(to_agent.len() <= expected, "{input}");
            assert!(
                to_agent.len() + input.bytes_per_frame() * 3 / 2 >= expected,
                "{input}"
            );

            let agent = echo(input, output, &to_agent);
            let mut back = Vec::new();
            for message in agent.chunks(output.bytes_per_frame() * 5 + 1) {
                transcoder.agent_to_caller(message, &mut back);
            }
            transcoder.flush_agent_to_caller(&mut back);
            assert!(
                back.len() + 240 >= caller.len() && back.len() <= caller.len(),
                "{input}/{output}"
            );

            let heard = decoded(&back);
            let steady = middle(&heard, 400);
            let gain = db(tone_amplitude(steady, 8000, 1000.0) / 10000.0);
            assert!(gain.abs() < 1.0, "{input}/{output}: 1 kHz at {gain:.2} dB");
            // Whatever is not the tone (μ-law noise, aliasing, clicks) stays far below it.
            let amplitude = tone_amplitude(steady, 8000, 1000.0);
            let residual = (rms(steady).powi(2) - amplitude.powi(2) / 2.0).max(0.0).sqrt();
            let snr = db(amplitude / 2f64.sqrt() / residual);
            assert!(snr > 30.0, "{input}/{output}: signal to noise {snr:.1} dB");
        }
    }

    #[test]
    fn a_5khz_tone_from_a_16khz_agent_does_not_alias_into_the_call() {
        let mut transcoder = Transcoder::new(AudioFormat::DEFAULT, AudioFormat::DEFAULT).unwrap();
        let mut heard = Vec::new();
        transcoder.agent_to_caller(&to_s16le(&sine(5000.0, 16000, 10000.0, 16000)), &mut heard);
        transcoder.flush_agent_to_caller(&mut heard);
        assert_eq!(heard.len(), 8000);
        // The tone's abrupt start and end are broadband clicks; judge the steady part.
        let level = db(rms(middle(&decoded(&heard), 400)) / (10000.0 / 2f64.sqrt()));
        assert!(level < -60.0, "5 kHz came through at {level:.1} dB");
        // Where it would fold to, were it let through.
        let alias = tone_amplitude(middle(&decoded(&heard), 400), 8000, 3000.0);
        assert!(alias < 10.0, "alias at 3 kHz with amplitude {alias}");

        // The same transcoder passes an in-band tone, so the silence above is the filter.
        let mut heard = Vec::new();
        transcoder.agent_to_caller(&to_s16le(&sine(3000.0, 16000, 10000.0, 16000)), &mut heard);
        transcoder.flush_agent_to_caller(&mut heard);
        let gain = db(tone_amplitude(middle(&decoded(&heard), 400), 8000, 3000.0) / 10000.0);
        assert!(gain.abs() < 1.0, "3 kHz at {gain:.2} dB");
    }

    #[test]
    fn passthrough_only_when_both_sides_are_ulaw_and_ulaw_sides_copy() {
        let ulaw = AudioFormat::Ulaw8000;
        let pcm = AudioFormat::DEFAULT;
        assert!(Transcoder::new(ulaw, ulaw).unwrap().is_passthrough());
        assert!(!Transcoder::new(ulaw, pcm).unwrap().is_passthrough());
        assert!(!Transcoder::new(pcm, ulaw).unwrap().is_passthrough());

        let bytes: Vec<u8> = (0..=255).collect();
        let mut copy = Transcoder::new(ulaw, pcm).unwrap();
        let mut out = Vec::new();
        copy.caller_to_agent(&bytes, &mut out);
        assert_eq!(out, bytes);
        let mut copy = Transcoder::new(pcm, ulaw).unwrap();
        let mut out = Vec::new();
        copy.agent_to_caller(&bytes[..7], &mut out);
        copy.agent_to_caller(&bytes[7..], &mut out);
        copy.flush_agent_to_caller(&mut out);
        assert_eq!(out, bytes);
    }

    #[test]
    fn pcm_8000_is_the_codec_alone() {
        let pcm8 = AudioFormat::Pcm { rate: 8000 };
        let mut transcoder = Transcoder::new(pcm8, pcm8).unwrap();
        let codes: Vec<u8> = (0..=255).collect();
        let mut to_agent = Vec::new();
        transcoder.caller_to_agent(&codes, &mut to_agent);
        assert_eq!(from_s16le(&to_agent), decoded(&codes));

        let samples = sine(440.0, 8000, 20000.0, 321);
        let bytes = to_s16le(&samples);
        let mut back = Vec::new();
        // Split inside a sample: the odd byte must wait for its partner.
        transcoder.agent_to_caller(&bytes[..3], &mut back);
        assert_eq!(back.len(), 1);
        transcoder.agent_to_caller(&bytes[3..], &mut back);
        assert_eq!(back, ulaw_of(&samples));
    }

    #[test]
    fn flush_emits_the_tail_and_drops_a_lone_half_sample() {
        let mut transcoder = Transcoder::new(AudioFormat::DEFAULT, AudioFormat::DEFAULT).unwrap();
        // 500 samples: one 320-sample chunk plus 180 held back, plus half a sample.
        let mut bytes = to_s16le(&sine(1000.0, 16000, 10000.0, 500));
        bytes.push(0x7F);
        let mut heard = Vec::new();
        transcoder.agent_to_caller(&bytes, &mut heard);
        // The first chunk minus the 10 ms filter warm-up.
        assert_eq!(heard.len(), 80);
        transcoder.flush_agent_to_caller(&mut heard);
        assert_eq!(heard.len(), 250);
        assert!(
            rms(&decoded(&heard[150..240])) > 5000.0,
            "the tail must be the tone, not silence"
        );

        // Nothing is left over to prefix the next turn.
        let mut next = Vec::new();
        transcoder.agent_to_caller(&[0u8; 640], &mut next);
        transcoder.flush_agent_to_caller(&mut next);
        assert_eq!(next.len(), 160);
        assert!(next.iter().all(|&c| c == ulaw::SILENCE), "{next:?}");
    }

    #[test]
    fn reset_forgets_held_agent_audio() {
        for output in AudioFormat::ALL.into_iter().filter(|f| !f.is_ulaw()) {
            let mut transcoder = Transcoder::new(AudioFormat::Ulaw8000, output).unwrap();
            let rate = output.sample_rate();
            let mut interrupted = to_s16le(&sine(700.0, rate, 25000.0, rate as usize / 30));
            interrupted.push(0x40);
            let mut discarded = Vec::new();
            transcoder.agent_to_caller(&interrupted, &mut discarded);
            transcoder.reset_agent_to_caller();

            let mut next = Vec::new();
            transcoder.agent_to_caller(&vec![0u8; output.bytes_per_frame() * 3], &mut next);
            transcoder.flush_agent_to_caller(&mut next);
            assert_eq!(next.len(), 480, "{output}");
            assert!(
                next.iter().all(|&c| c == ulaw::SILENCE),
                "{output}: interrupted audio leaked"
            );
        }
    }

    #[test]
    fn frames_are_converted_without_allocating_once_warmed_up() {
        let caller = ulaw_of(&sine(1000.0, 8000, 10000.0, 8000));
        for format in AudioFormat::ALL {
            let mut transcoder = Transcoder::new(format, format).unwrap();
            let agent = echo(AudioFormat::Ulaw8000, format, &caller);
            let (mut up, mut down) = (Vec::with_capacity(4096), Vec::with_capacity(4096));
            // Odd-sized messages exercise the held byte and partial chunks.
            let agent_messages: Vec<&[u8]> = agent.chunks(format.bytes_per_frame() + 3).collect();
            let mut convert = |frame: usize| {
                up.clear();
                down.clear();
                transcoder.caller_to_agent(&caller[frame * 160..][..160], &mut up);
                transcoder.agent_to_caller(agent_messages[frame], &mut down);
            };
            convert(0);
            let allocations = allocations_during(|| (1..40).for_each(&mut convert));
            assert_eq!(allocations, 0, "{format}");
            let allocations = allocations_during(|| {
                transcoder.flush_agent_to_caller(&mut down);
                transcoder.reset_agent_to_caller();
            });
            assert_eq!(allocations, 0, "{format}: flush or reset");
        }
    }

    #[test]
    fn rates_that_cannot_be_framed_are_refused() {
        let odd = AudioFormat::Pcm { rate: 11025 };
        assert!(matches!(
            Transcoder::new(odd, AudioFormat::Ulaw8000),
            Err(AudioError::UnsupportedRate(11025))
        ));
        assert!(matches!(
            Transcoder::new(AudioFormat::Ulaw8000, odd),
            Err(AudioError::UnsupportedRate(11025))
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn how_messages_are_split_does_not_change_the_output(
            input_index in 0..AudioFormat::ALL.len(),
            output_index in 0..AudioFormat::ALL.len(),
            audio in proptest::collection::vec(any::<u8>(), 0..6000),
            cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..16),
        ) {
            let (input, output) = (AudioFormat::ALL[input_index], AudioFormat::ALL[output_index]);
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(audio.len() + 1)).collect();
            cuts.sort_unstable();

            let mut whole = Transcoder::new(input, output).unwrap();
            let (mut whole_up, mut whole_down) = (Vec::new(), Vec::new());
            whole.caller_to_agent(&audio, &mut whole_up);
            whole.agent_to_caller(&audio, &mut whole_down);
            whole.flush_agent_to_caller(&mut whole_down);

            let mut split = Transcoder::new(input, output).unwrap();
            let (mut split_up, mut split_down) = (Vec::new(), Vec::new());
            let mut start = 0;
            for cut in cuts.into_iter().chain([audio.len()]) {
                split.caller_to_agent(&audio[start..cut], &mut split_up);
                split.agent_to_caller(&audio[start..cut], &mut split_down);
                start = cut;
            }
            split.flush_agent_to_caller(&mut split_down);
            prop_assert_eq!(split_up, whole_up);
            prop_assert_eq!(split_down, whole_down);
        }
    }
}
