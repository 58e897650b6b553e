//! Streaming mono resampling between Twilio's 8 kHz and an agent's PCM rate.
//!
//! Where one rate is a whole multiple of the other (16, 24 and 48 kHz) a polyphase FIR
//! filter does it ([`super::whole_factor`]: one shared table of coefficients, 2.5 ms of delay).
//! For the other rates (22.05 and 44.1 kHz) this wraps rubato's FFT resampler with both chunk
//! sizes fixed at 20 ms (160 samples at 8 kHz, 441 at 22.05 kHz, 882 at 44.1 kHz). That
//! variant keeps the full telephone band: a 3.4 kHz tone passes at 0 dB while 5 and 7 kHz
//! come out about 145 dB down (in f32, before rounding to 16 bits) on the way to 8 kHz. The
//! lower-latency `new_custom` variants with smaller FFTs cut 3.4 kHz by 10 dB or more and are
//! not used. See rubato's `synchro.rs` (`Fft::new_custom`, `FixedSync::Both`).
//!
//! Network messages carry arbitrary amounts of audio, so input goes through a FIFO and only
//! whole chunks are resampled; all buffers are sized once in [`StreamResampler::new`].
//!
//! Timing: the filter's delay (2.5 ms for a whole factor; half an FFT block, 10 ms, for the
//! others) is dropped from the start of the output, so output sample `n` lines up with input
//! time `n / output_rate` and a whole turn comes out exactly as long as it went in (after
//! [`StreamResampler::flush`]). Dropping the leading filter delay does not lower latency:
//! audio still leaves one chunk plus the delay after it arrives.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

use super::format::FRAME_MS;
use super::whole_factor::WholeFactor;
use super::{AudioError, ulaw};

/// A mono resampler for one direction of one call.
pub struct StreamResampler {
    inner: Engine,
    input_rate: u32,
    output_rate: u32,
    /// Input waiting for a whole chunk; only `pending[..pending_len]` is live.
    pending: Vec<f32>,
    pending_len: usize,
    resampled: Vec<f32>,
    converted: Vec<i16>,
    /// Output samples still to drop at the start of a stream: the filter's warm-up.
    warmup_left: usize,
    /// Since the last reset or flush; these decide how much tail a flush owes.
    samples_in: u64,
    samples_out: u64,
}

impl StreamResampler {
    /// A resampler from `input_rate` to `output_rate` Hz. Both rates must split into whole
    /// 20 ms chunks (be multiples of 50 Hz), which every ElevenLabs rate does.
    pub fn new(input_rate: u32, output_rate: u32) -> Result<Self, AudioError> {
        let chunk_in = chunk_len(input_rate)?;
        let chunk_out = chunk_len(output_rate)?;
        let inner = match WholeFactor::new(input_rate, output_rate, chunk_in) {
            Some(filter) => Engine::WholeFactor(filter),
            None => Engine::Fft(Box::new(Self::fft(input_rate, output_rate, chunk_in, chunk_out)?)),
        };
        let warmup = inner.output_delay();
        Ok(StreamResampler {
            inner,
            input_rate,
            output_rate,
            pending: vec![0.0; chunk_in],
            pending_len: 0,
            resampled: vec![0.0; chunk_out],
            converted: vec![0; chunk_out],
            warmup_left: warmup,
            samples_in: 0,
            samples_out: 0,
        })
    }

    /// rubato's FFT resampler with one 20 ms chunk a block on each side.
    fn fft(
        input_rate: u32,
        output_rate: u32,
        chunk_in: usize,
        chunk_out: usize,
    ) -> Result<Fft<f32>, AudioError> {
        let inner = Fft::<f32>::new(
            input_rate as usize,
            output_rate as usize,
            chunk_in,
            1,
            FixedSync::Both,
        )
        .map_err(|source| AudioError::Resampler {
            input_rate,
            output_rate,
            source,
        })?;
        // With both rates multiples of 50 Hz, one FFT block is exactly one 20 ms chunk on
        // each side; anything else would break the frame arithmetic below.
        if inner.input_frames_next() != chunk_in || inner.output_frames_next() != chunk_out {
            return Err(AudioError::UnsupportedRate(input_rate.max(output_rate)));
        }
        Ok(inner)
    }

    pub fn input_rate(&self) -> u32 {
        self.input_rate
    }

    pub fn output_rate(&self) -> u32 {
        self.output_rate
    }

    /// Input samples per resampled chunk (20 ms).
    pub fn input_chunk(&self) -> usize {
        self.pending.len()
    }

    /// Output samples per resampled chunk (20 ms).
    pub fn output_chunk(&self) -> usize {
        self.resampled.len()
    }

    /// The filter's delay in output samples, on top of waiting for a whole input chunk.
    pub fn filter_delay(&self) -> usize {
        self.inner.output_delay()
    }

    /// Input held back until its chunk is complete.
    pub fn pending_input(&self) -> usize {
        self.pending_len
    }

    /// Resamples `input`, appending every completed chunk's output to `out`.
    pub fn process(&mut self, input: &[i16], out: &mut Vec<i16>) {
        self.process_with(&mut Pcm16(input), |chunk| out.extend_from_slice(chunk));
    }

    /// Resamples everything `input` holds and hands each completed output chunk to `emit`;
    /// lets callers decode and encode on the fly instead of staging audio in a buffer.
    pub fn process_with(&mut self, input: &mut impl SampleSource, mut emit: impl FnMut(&[i16])) {
        loop {
            let taken = input.fill(&mut self.pending[self.pending_len..]);
            self.pending_len += taken;
            self.samples_in += taken as u64;
            if self.pending_len < self.pending.len() {
                return;
            }
            self.resample_chunk(u64::MAX, &mut emit);
        }
    }

    /// Pushes out the held-back input and the filter's tail (as if silence followed), then
    /// starts over as after [`Self::reset`]. The output since the last reset or flush is then
    /// exactly as long as the input, converted to the output rate and rounded up.
    pub fn flush(&mut self, out: &mut Vec<i16>) {
        self.flush_with(|chunk| out.extend_from_slice(chunk));
    }

    /// How many samples [`Self::flush`] would emit now, so callers can make room first.
    pub fn flush_len(&self) -> usize {
        usize::try_from(self.owed_total().saturating_sub(self.samples_out)).unwrap_or(usize::MAX)
    }

    /// [`Self::flush`], handing the output to `emit`.
    pub fn flush_with(&mut self, mut emit: impl FnMut(&[i16])) {
        let owed_total = self.owed_total();
        while self.samples_out < owed_total {
            self.pending[self.pending_len..].fill(0.0);
            self.pending_len = self.pending.len();
            self.resample_chunk(owed_total - self.samples_out, &mut emit);
        }
        self.reset();
    }

    /// Forgets held-back input and filter state, e.g. when a barge-in discards agent audio.
    pub fn reset(&mut self) {
        self.inner.reset();
        self.pending_len = 0;
        self.warmup_left = self.inner.output_delay();
        self.samples_in = 0;
        self.samples_out = 0;
    }

    /// Output owed for the input since the last reset or flush, once it is all pushed out.
    fn owed_total(&self) -> u64 {
        (self.samples_in * u64::from(self.output_rate)).div_ceil(u64::from(self.input_rate))
    }

    /// Resamples the full `pending` chunk and emits at most `limit` samples of its output.
    fn resample_chunk(&mut self, limit: u64, emit: &mut impl FnMut(&[i16])) {
        let chunk_out = self.resampled.len();
        self.inner.process(&self.pending, &mut self.resampled);
        self.pending_len = 0;

        let skip = self.warmup_left.min(chunk_out);
        self.warmup_left -= skip;
        let keep = (chunk_out - skip).min(usize::try_from(limit).unwrap_or(usize::MAX));
        for (sample, &value) in self.converted.iter_mut().zip(&self.resampled[skip..skip + keep]) {
            // Rounds half away from zero like `f32::round`, which without SSE4.1 is a libm
            // call per sample; `as` truncates and saturates, clipping filter overshoot.
            *sample = (value + 0.5f32.copysign(value)) as i16;
        }
        self.samples_out += keep as u64;
        if keep > 0 {
            emit(&self.converted[..keep]);
        }
    }
}

/// What resamples the chunks: a filter for a whole factor, else rubato's FFT resampler (boxed:
/// it is far larger).
enum Engine {
    WholeFactor(WholeFactor),
    Fft(Box<Fft<f32>>),
}

impl Engine {
    /// The filter's delay in output samples.
    fn output_delay(&self) -> usize {
        match self {
            Engine::WholeFactor(filter) => filter.output_delay(),
            Engine::Fft(fft) => fft.output_delay(),
        }
    }

    fn reset(&mut self) {
        match self {
            Engine::WholeFactor(filter) => filter.reset(),
            Engine::Fft(fft) => fft.reset(),
        }
    }

    /// Resamples one whole chunk into one whole output chunk.
    fn process(&mut self, chunk: &[f32], out: &mut [f32]) {
        match self {
            Engine::WholeFactor(filter) => filter.process(chunk, out),
            Engine::Fft(fft) => {
                let input = InterleavedSlice::new(chunk, 1, chunk.len())
                    .expect("a slice of one chunk fits one chunk");
                let len = out.len();
                let mut output =
                    InterleavedSlice::new_mut(out, 1, len).expect("a slice of one chunk fits one chunk");
                fft.process_into_buffer(&input, &mut output, None)
                    .expect("buffers are sized from the resampler's own chunk sizes");
            }
        }
    }
}

/// Where a resampler's input comes from. Filling slices (rather than pulling one sample at
/// a time through an iterator) keeps the conversion loops tight enough to vectorise.
pub trait SampleSource {
    /// Writes up to `into.len()` samples, consumes them, and says how many it wrote; fewer
    /// than asked means the source is exhausted.
    fn fill(&mut self, into: &mut [f32]) -> usize;
}

/// 16-bit samples.
pub struct Pcm16<'a>(pub &'a [i16]);

/// G.711 μ-law codes, decoded on the way in.
pub struct UlawCodes<'a>(pub &'a [u8]);

/// 16-bit little-endian PCM bytes; a trailing odd byte is never consumed.
pub struct S16leBytes<'a>(pub &'a [u8]);

impl SampleSource for Pcm16<'_> {
    fn fill(&mut self, into: &mut [f32]) -> usize {
        let count = into.len().min(self.0.len());
        let (now, later) = self.0.split_at(count);
        for (slot, &sample) in into.iter_mut().zip(now) {
            *slot = f32::from(sample);
        }
        self.0 = later;
        count
    }
}

impl SampleSource for UlawCodes<'_> {
    fn fill(&mut self, into: &mut [f32]) -> usize {
        let count = into.len().min(self.0.len());
        let (now, later) = self.0.split_at(count);
        for (slot, &code) in into.iter_mut().zip(now) {
            *slot = f32::from(ulaw::decode(code));
        }
        self.0 = later;
        count
    }
}

impl SampleSource for S16leBytes<'_> {
    fn fill(&mut self, into: &mut [f32]) -> usize {
        let count = into.len().min(self.0.len() / 2);
        let (now, later) = self.0.split_at(count * 2);
        for (slot, pair) in into.iter_mut().zip(now.chunks_exact(2)) {
            *slot = f32::from(i16::from_le_bytes([pair[0], pair[1]]));
        }
        self.0 = later;
        count
    }
}

fn chunk_len(rate: u32) -> Result<usize, AudioError> {
    let per_second = 1000 / FRAME_MS;
    if rate == 0 || !rate.is_multiple_of(per_second) {
        return Err(AudioError::UnsupportedRate(rate));
    }
    Ok((rate / per_second) as usize)
}

impl std::fmt::Debug for StreamResampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamResampler")
            .field("input_rate", &self.input_rate)
            .field("output_rate", &self.output_rate)
            .field("pending_len", &self.pending_len)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::test_signal::{db, middle, rms, sine, tone_amplitude};
    use proptest::prelude::*;

    const AGENT_RATES: [u32; 5] = [16000, 22050, 24000, 44100, 48000];

    fn resample_all(from: u32, to: u32, input: &[i16]) -> Vec<i16> {
        let mut resampler = StreamResampler::new(from, to).unwrap();
        let mut out = Vec::new();
        resampler.process(input, &mut out);
        resampler.flush(&mut out);
        out
    }

    #[test]
    fn chunks_are_20_ms_on_both_sides() {
        for rate in AGENT_RATES {
            let up = StreamResampler::new(8000, rate).unwrap();
            assert_eq!(
                (up.input_chunk(), up.output_chunk()),
                (160, rate as usize / 50),
                "{rate}"
            );
            let down = StreamResampler::new(rate, 8000).unwrap();
            assert_eq!(
                (down.input_chunk(), down.output_chunk()),
                (rate as usize / 50, 160),
                "{rate}"
            );
            // A whole factor's filter: 2.5 ms of delay; else half an FFT block, 10 ms.
            let delay = if rate % 8000 == 0 { 20 } else { 80 };
            assert_eq!(down.filter_delay(), delay, "{rate}");
            assert_eq!(up.filter_delay(), delay * rate as usize / 8000, "{rate}");
        }
    }

    #[test]
    fn rates_without_whole_20_ms_frames_are_refused() {
        for rate in [0, 11025, 12345] {
            assert!(
                matches!(StreamResampler::new(8000, rate), Err(AudioError::UnsupportedRate(r)) if r == rate)
            );
            assert!(
                matches!(StreamResampler::new(rate, 8000), Err(AudioError::UnsupportedRate(r)) if r == rate)
            );
        }
    }

    #[test]
    fn output_is_aligned_with_input_and_exactly_as_long() {
        for (from, to) in AGENT_RATES.iter().flat_map(|&r| [(8000, r), (r, 8000)]) {
            let len = from as usize / 2 + 37;
            let mut input = vec![0i16; len];
            let at = len / 3;
            input[at] = 20000;
            let out = resample_all(from, to, &input);
            assert_eq!(
                out.len(),
                (len * to as usize).div_ceil(from as usize),
                "{from} → {to}"
            );
            let peak = (0..out.len()).max_by_key(|&i| out[i].unsigned_abs()).unwrap();
            let expected = at as f64 * f64::from(to) / f64::from(from);
            assert!(
                (peak as f64 - expected).abs() <= 1.0,
                "{from} → {to}: peak at {peak}, expected {expected}"
            );
        }
    }

    #[test]
    fn telephone_band_passes_and_what_8k_cannot_carry_is_removed() {
        for rate in AGENT_RATES {
            let second = rate as usize;
            for freq in [300.0, 1000.0, 3400.0] {
                let out = resample_all(rate, 8000, &sine(freq, rate, 10000.0, second));
                let gain = db(tone_amplitude(middle(&out, 400), 8000, freq) / 10000.0);
                assert!(gain.abs() < 0.5, "{rate} → 8000, {freq} Hz: {gain:.2} dB");
            }
            // Above 4 kHz a tone would fold back into the band (5 kHz → 3 kHz) if let through.
            for freq in [5000.0, 7000.0] {
                let out = resample_all(rate, 8000, &sine(freq, rate, 10000.0, second));
                let level = db(rms(middle(&out, 400)) / (10000.0 / 2f64.sqrt()));
                assert!(level < -60.0, "{rate} → 8000, {freq} Hz: {level:.1} dB");
            }
            let out = resample_all(8000, rate, &sine(1000.0, 8000, 10000.0, 8000));
            let gain = db(tone_amplitude(middle(&out, rate as usize / 20), rate, 1000.0) / 10000.0);
            assert!(gain.abs() < 0.1, "8000 → {rate}: {gain:.2} dB");
        }
    }

    #[test]
    fn flush_emits_held_input_and_filter_tail_then_starts_over() {
        let mut resampler = StreamResampler::new(8000, 16000).unwrap();
        let tone = sine(1000.0, 8000, 8000.0, 100);
        let mut out = Vec::new();
        resampler.process(&tone, &mut out);
        assert!(out.is_empty(), "less than a chunk must be held back");
        assert_eq!(resampler.pending_input(), 100);
        assert_eq!(resampler.flush_len(), 200);
        resampler.flush(&mut out);
        assert_eq!(out.len(), 200);
        assert!(
            rms(&out[20..180]) > 4000.0,
            "flushed audio is the tone, RMS {}",
            rms(&out)
        );
        assert_eq!(resampler.pending_input(), 0);

        let mut again = Vec::new();
        resampler.process(&tone, &mut again);
        resampler.flush(&mut again);
        assert_eq!(again, out, "a flushed resampler must behave like a new one");

        let mut nothing = Vec::new();
        assert_eq!(resampler.flush_len(), 0);
        resampler.flush(&mut nothing);
        assert!(nothing.is_empty());
    }

    #[test]
    fn reset_forgets_held_input_and_filter_state() {
        let loud = sine(440.0, 16000, 30000.0, 1000);
        let quiet = vec![0i16; 1600];
        let mut used = StreamResampler::new(16000, 8000).unwrap();
        let mut discarded = Vec::new();
        used.process(&loud, &mut discarded);
        assert!(!discarded.is_empty() && used.pending_input() > 0);
        used.reset();
        let mut out = Vec::new();
        used.process(&quiet, &mut out);
        used.flush(&mut out);
        assert_eq!(out, resample_all(16000, 8000, &quiet));
        assert!(out.iter().all(|&s| s == 0), "the discarded tone leaked through");
    }

    #[test]
    fn full_scale_square_waves_clip_instead_of_wrapping() {
        let square: Vec<i16> = (0..3200)
            .map(|n| if n / 40 % 2 == 0 { i16::MAX } else { i16::MIN })
            .collect();
        let out = resample_all(16000, 8000, &square);
        // Gibbs overshoot would wrap around to the opposite sign without saturation.
        let mid = middle(&out, 200);
        for window in mid.windows(3) {
            assert!(
                !(window[0] > 30000 && window[1] < -30000 && window[2] > 30000),
                "{window:?}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn how_input_is_split_does_not_change_the_output(
            rate_index in 0..AGENT_RATES.len(),
            upward in any::<bool>(),
            seed in any::<u64>(),
            cuts in proptest::collection::vec(0usize..2000, 0..12),
        ) {
            let rate = AGENT_RATES[rate_index];
            let (from, to) = if upward { (8000, rate) } else { (rate, 8000) };
            let len = from as usize / 10 + (seed % 977) as usize;
            // Noise-like but reproducible input.
            let input: Vec<i16> = (0..len as u64)
                .map(|n| ((n.wrapping_mul(6364136223846793005).wrapping_add(seed) >> 48) as i16) / 2)
                .collect();
            let whole = resample_all(from, to, &input);

            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (len + 1)).collect();
            cuts.sort_unstable();
            let mut resampler = StreamResampler::new(from, to).unwrap();
            let mut pieces = Vec::new();
            let mut start = 0;
            for cut in cuts.into_iter().chain([len]) {
                resampler.process(&input[start..cut], &mut pieces);
                start = cut;
            }
            let (announced, before_flush) = (resampler.flush_len(), pieces.len());
            resampler.flush(&mut pieces);
            prop_assert_eq!(pieces.len() - before_flush, announced);
            prop_assert_eq!(pieces, whole);
        }
    }
}
