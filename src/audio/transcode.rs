//! Per-call conversion between Twilio's μ-law 8 kHz and the agent's audio formats.
//!
//! One [`Transcoder`] serves both directions of one call: a [`FormatConverter`] from the
//! caller's μ-law to the agent's input format and one from the agent's output format back to
//! μ-law, each keeping its state across frames so 20 ms messages join into a continuous
//! signal. Formats are the agent's own, as it announces them in
//! `conversation_initiation_metadata`. The cheapest case, `ulaw_8000` both ways, needs no
//! conversion at all; `pcm_8000` needs only the μ-law codec; other rates are resampled.

use super::AudioError;
use super::convert::FormatConverter;
use super::format::AudioFormat;

/// Twilio's side of every call.
const TWILIO_FORMAT: AudioFormat = AudioFormat::Ulaw8000;

/// The audio conversion for one call, both ways.
#[derive(Debug)]
pub struct Transcoder {
    /// Caller μ-law to the agent's input format.
    to_agent: FormatConverter,
    /// The agent's output format to caller μ-law.
    to_caller: FormatConverter,
}

impl Transcoder {
    /// `input`: the agent's `user_input_audio_format`; `output`: its
    /// `agent_output_audio_format`.
    pub fn new(input: AudioFormat, output: AudioFormat) -> Result<Self, AudioError> {
        Ok(Transcoder {
            to_agent: FormatConverter::new(TWILIO_FORMAT, input)?,
            to_caller: FormatConverter::new(output, TWILIO_FORMAT)?,
        })
    }

    pub fn input_format(&self) -> AudioFormat {
        self.to_agent.output_format()
    }

    pub fn output_format(&self) -> AudioFormat {
        self.to_caller.input_format()
    }

    /// True when both formats are `ulaw_8000`: the caller of this type then relays base64
    /// payloads as they are, without decoding them at all.
    pub fn is_passthrough(&self) -> bool {
        self.to_agent.is_identity() && self.to_caller.is_identity()
    }

    /// Caller μ-law bytes → bytes in the agent's input format, appended to `out`. Resampled
    /// formats hold back input until a 20 ms chunk is complete.
    pub fn caller_to_agent(&mut self, ulaw: &[u8], out: &mut Vec<u8>) {
        self.to_agent.convert(ulaw, out);
    }

    /// Agent output bytes → μ-law 8 kHz appended to `out`. May hold back less than one 20 ms
    /// chunk (and an odd trailing byte of PCM) until more arrives.
    pub fn agent_to_caller(&mut self, agent: &[u8], out: &mut Vec<u8>) {
        self.to_caller.convert(agent, out);
    }

    /// Emits everything held back (end of an agent turn): the partial chunk and the
    /// resampler's tail. A lone half sample cannot be decoded and is dropped.
    pub fn flush_agent_to_caller(&mut self, out: &mut Vec<u8>) {
        self.to_caller.flush(out);
    }

    /// Drops held-back agent audio and filter state (after a barge-in), so nothing of the
    /// interrupted turn leaks into the next one. The caller's direction is left as it is.
    pub fn reset_agent_to_caller(&mut self) {
        self.to_caller.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::StreamResampler;
    use crate::audio::alloc_count::allocations_during;
    use crate::audio::test_signal::{db, decoded, encoded, middle, rms, sine, tone_amplitude};

    const ULAW: AudioFormat = AudioFormat::Ulaw8000;

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
    /// caller would. Built from the codec and the resampler directly rather than from a
    /// converter, so the round trip below is not checked against the code under test.
    fn echo(input: AudioFormat, output: AudioFormat, bytes: &[u8]) -> Vec<u8> {
        let samples = decoded(input, bytes);
        let samples = if input.sample_rate() == output.sample_rate() {
            samples
        } else {
            let mut resampler = StreamResampler::new(input.sample_rate(), output.sample_rate()).unwrap();
            let mut out = Vec::new();
            resampler.process(&samples, &mut out);
            resampler.flush(&mut out);
            out
        };
        encoded(output, &samples)
    }

    #[test]
    fn a_1khz_tone_survives_the_round_trip_in_every_format() {
        // One second at about -10 dBFS, in 20 ms Twilio frames.
        let caller = encoded(ULAW, &sine(1000.0, 8000, 10000.0, 8000));
        for (input, output) in format_pairs() {
            let mut transcoder = Transcoder::new(input, output).unwrap();
            assert_eq!(
                (transcoder.input_format(), transcoder.output_format()),
                (input, output)
            );
            let mut to_agent = Vec::new();
            for frame in caller.chunks(160) {
                transcoder.caller_to_agent(frame, &mut to_agent);
            }
            // At most one chunk held back and the filter's warm-up (2.5 or 10 ms) missing.
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

            let heard = decoded(ULAW, &back);
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
    fn passthrough_only_when_both_sides_are_ulaw_and_ulaw_sides_copy() {
        let pcm = AudioFormat::DEFAULT;
        assert!(Transcoder::new(ULAW, ULAW).unwrap().is_passthrough());
        assert!(!Transcoder::new(ULAW, pcm).unwrap().is_passthrough());
        assert!(!Transcoder::new(pcm, ULAW).unwrap().is_passthrough());

        let bytes: Vec<u8> = (0..=255).collect();
        let mut copy = Transcoder::new(ULAW, pcm).unwrap();
        let mut out = Vec::new();
        copy.caller_to_agent(&bytes, &mut out);
        assert_eq!(out, bytes);
        let mut copy = Transcoder::new(pcm, ULAW).unwrap();
        let mut out = Vec::new();
        copy.agent_to_caller(&bytes[..7], &mut out);
        copy.agent_to_caller(&bytes[7..], &mut out);
        copy.flush_agent_to_caller(&mut out);
        assert_eq!(out, bytes);
    }

    #[test]
    fn flushing_or_resetting_the_agent_side_leaves_the_caller_side_alone() {
        let caller = encoded(ULAW, &sine(600.0, 8000, 12000.0, 1000));
        let agent = encoded(AudioFormat::DEFAULT, &sine(900.0, 16000, 12000.0, 500));
        let mut undisturbed = Transcoder::new(AudioFormat::DEFAULT, AudioFormat::DEFAULT).unwrap();
        let mut expected = Vec::new();
        // 100 samples into the second chunk, so the caller side is holding audio back.
        undisturbed.caller_to_agent(&caller[..260], &mut expected);
        undisturbed.caller_to_agent(&caller[260..], &mut expected);

        let mut transcoder = Transcoder::new(AudioFormat::DEFAULT, AudioFormat::DEFAULT).unwrap();
        let (mut to_agent, mut to_caller) = (Vec::new(), Vec::new());
        transcoder.caller_to_agent(&caller[..260], &mut to_agent);
        transcoder.agent_to_caller(&agent, &mut to_caller);
        transcoder.flush_agent_to_caller(&mut to_caller);
        transcoder.agent_to_caller(&agent, &mut to_caller);
        transcoder.reset_agent_to_caller();
        transcoder.caller_to_agent(&caller[260..], &mut to_agent);
        assert_eq!(to_agent, expected);
    }

    #[test]
    fn frames_are_converted_without_allocating_once_warmed_up() {
        let caller = encoded(ULAW, &sine(1000.0, 8000, 10000.0, 8000));
        for format in AudioFormat::ALL {
            let mut transcoder = Transcoder::new(format, format).unwrap();
            let agent = echo(ULAW, format, &caller);
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
            Transcoder::new(odd, ULAW),
            Err(AudioError::UnsupportedRate(11025))
        ));
        assert!(matches!(
            Transcoder::new(ULAW, odd),
            Err(AudioError::UnsupportedRate(11025))
        ));
    }
}
