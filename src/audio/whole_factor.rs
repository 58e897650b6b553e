//! Resampling by a whole factor (8 kHz to and from 16, 24 or 48 kHz) with a polyphase FIR
//! filter, the engine [`StreamResampler`](super::StreamResampler) uses whenever one rate is a
//! whole multiple of the other.
//!
//! Why not the FFT resampler for these too: each FFT resampler plans its own transforms and
//! keeps its own scratch (about 23 KiB a direction), and with a few hundred calls those
//! per-call tables fall out of the CPU's caches between frames. In a 300-call `pcm_16000` load
//! test the FFT resampler and its transforms were a quarter of the bridge's CPU time, nearly
//! four times what the same work costs one resampler alone in a loop (BENCHMARKS.md). A filter
//! for a whole factor is one table of coefficients per factor, shared by every call and so
//! kept warm, and a work buffer of a chunk and 40 samples of history per call.
//!
//! Written here rather than taken from a crate: rubato's sinc resamplers are built for any
//! ratio (they interpolate between table entries and size their buffers for that, per
//! instance), and this loop is the transcoded call's hot path.
//!
//! The filter: a Kaiser-windowed sinc at the higher rate, cut off at the lower rate's Nyquist
//! frequency, its transition band from 42.5 % to 57.5 % of the lower rate (3.4 to 4.6 kHz when
//! that is 8 kHz), so the telephone band passes flat and nothing that would fold into it on the
//! way down gets through (about 90 dB of stopband; see the tests). It has `2·DELAY·factor + 1`
//! taps, so its delay is exactly [`DELAY`] samples of the lower rate (2.5 ms at 8 kHz).

use std::sync::OnceLock;

/// The filter's delay in samples of the lower rate.
pub const DELAY: usize = 20;
/// The largest factor filtered here (8 kHz to 48 kHz is 6); beyond it the FFT resampler is used.
pub const MAX_FACTOR: usize = 12;
/// Stopband attenuation the window is shaped for, in dB.
const STOPBAND_DB: f64 = 90.0;
/// Where the passband ends and the stopband starts, as fractions of the lower rate.
const PASSBAND_END: f64 = 0.425;
const STOPBAND_START: f64 = 0.575;
/// Taps in each phase but the first: the filter has `2·DELAY·factor + 1` taps, and phase `p`
/// takes taps `p`, `p + factor`, `p + 2·factor`, …
const PHASE_TAPS: usize = 2 * DELAY;
/// The dot products run over this many lanes at once, so the compiler vectorises them.
const LANES: usize = 8;
const _: () = assert!(PHASE_TAPS.is_multiple_of(LANES) && PHASE_TAPS >= DELAY);

/// One direction of one call's resampling by `factor`.
///
/// The filter is cut off at exactly half the lower rate, so its first phase (taps `0`,
/// `factor`, `2·factor`, …) falls on the zeros of the sinc everywhere but at its centre: that
/// phase is a pure delay of [`DELAY`] samples, and only the other phases are multiplied out.
/// Upward, every `factor`-th output is a delayed input. Downward, the input is split into
/// `factor` streams (every `factor`-th sample, from each offset), so each phase's taps meet
/// consecutive samples of one stream.
pub struct WholeFactor {
    up: bool,
    factor: usize,
    taps: &'static Taps,
    /// Upward: the last [`PHASE_TAPS`] input samples before the chunk, then the chunk.
    /// Downward: `factor` streams one after another, each its last [`PHASE_TAPS`] samples
    /// then this chunk's, `stream_len` long. The filter reads across the seam between chunks.
    work: Vec<f32>,
    stream_len: usize,
}

/// The coefficients for one factor, shared by every resampler using it.
struct Taps {
    /// The first phase's one tap.
    centre: f32,
    /// Phases `1..factor`, oldest tap first.
    phases: Vec<[f32; PHASE_TAPS]>,
}

impl WholeFactor {
    /// A resampler from `input_rate` to `output_rate` taking chunks of `chunk_in` samples, if
    /// one rate is a whole multiple (2 to [`MAX_FACTOR`]) of the other and, downward, the chunk
    /// is a whole number of output samples.
    pub fn new(input_rate: u32, output_rate: u32, chunk_in: usize) -> Option<WholeFactor> {
        let (low, high) = (input_rate.min(output_rate), input_rate.max(output_rate));
        if low == 0 || !high.is_multiple_of(low) {
            return None;
        }
        let factor = usize::try_from(high / low).ok()?;
        if !(2..=MAX_FACTOR).contains(&factor) {
            return None;
        }
        let up = output_rate > input_rate;
        let (streams, stream_len) = if up {
            (1, PHASE_TAPS + chunk_in)
        } else if chunk_in.is_multiple_of(factor) {
            (factor, PHASE_TAPS + chunk_in / factor)
        } else {
            return None;
        };
        Some(WholeFactor {
            up,
            factor,
            taps: taps(factor),
            work: vec![0.0; streams * stream_len],
            stream_len,
        })
    }

    /// The filter's delay in output samples.
    pub fn output_delay(&self) -> usize {
        if self.up { DELAY * self.factor } else { DELAY }
    }

    /// Forgets the input seen so far.
    pub fn reset(&mut self) {
        self.work.fill(0.0);
    }

    /// Resamples one chunk: `input` is as long as the chunk given to [`Self::new`], and
    /// `output` that times the factor (upward) or divided by it (downward).
    pub fn process(&mut self, input: &[f32], output: &mut [f32]) {
        if self.up {
            self.up(input, output);
        } else {
            self.down(input, output);
        }
    }

    /// Output `n·factor + p` is phase `p` over the inputs up to input `n`, times the factor
    /// (the zeros stuffed between inputs took that much of their energy).
    fn up(&mut self, input: &[f32], output: &mut [f32]) {
        let gain = self.factor as f32;
        let centre = gain * self.taps.centre;
        self.work[PHASE_TAPS..].copy_from_slice(input);
        for (n, outputs) in output.chunks_exact_mut(self.factor).enumerate() {
            // Ends at input n, which is at PHASE_TAPS + n.
            let window = phase_long(&self.work[n + 1..]);
            outputs[0] = centre * self.work[PHASE_TAPS + n - DELAY];
            for (sample, phase) in outputs[1..].iter_mut().zip(&self.taps.phases) {
                *sample = gain * dot(window, phase);
            }
        }
        self.work.copy_within(input.len().., 0);
    }

    /// Output `n` is the filter over the inputs up to input `n·factor`: the first phase's
    /// centre on stream 0, and phase `p` over stream `factor − p` up to its sample `n − 1`.
    fn down(&mut self, input: &[f32], output: &mut [f32]) {
        let (factor, len) = (self.factor, self.stream_len);
        for (offset, stream) in self.work.chunks_exact_mut(len).enumerate() {
            for (slot, frame) in stream[PHASE_TAPS..].iter_mut().zip(input.chunks_exact(factor)) {
                *slot = frame[offset];
            }
        }
        let centre = self.taps.centre;
        for (n, sample) in output.iter_mut().enumerate() {
            let mut sum = centre * self.work[PHASE_TAPS + n - DELAY];
            for (p, phase) in (1..factor).zip(&self.taps.phases) {
                sum += dot(phase_long(&self.work[(factor - p) * len + n..]), phase);
            }
            *sample = sum;
        }
        for stream in self.work.chunks_exact_mut(len) {
            stream.copy_within(len - PHASE_TAPS.., 0);
        }
    }
}

/// The first [`PHASE_TAPS`] samples of `from` as an array: with the dot product's length
/// known, the compiler unrolls and vectorises it.
fn phase_long(from: &[f32]) -> &[f32; PHASE_TAPS] {
    from[..PHASE_TAPS].try_into().expect("PHASE_TAPS samples")
}

/// `Σ window[i]·taps[i]`, in [`LANES`] partial sums.
fn dot(window: &[f32; PHASE_TAPS], taps: &[f32; PHASE_TAPS]) -> f32 {
    let mut sums = [0.0f32; LANES];
    for (w, t) in window
        .as_chunks::<LANES>()
        .0
        .iter()
        .zip(taps.as_chunks::<LANES>().0)
    {
        for lane in 0..LANES {
            sums[lane] += w[lane] * t[lane];
        }
    }
    sums.iter().sum()
}

/// The shared coefficients for `factor`, designed on first use.
fn taps(factor: usize) -> &'static Taps {
    static TABLES: [OnceLock<Taps>; MAX_FACTOR + 1] = [const { OnceLock::new() }; MAX_FACTOR + 1];
    TABLES[factor].get_or_init(|| Taps::design(factor))
}

impl Taps {
    fn design(factor: usize) -> Taps {
        let filter = lowpass(factor);
        // Phase p's tap q (newest first) is filter[p + q·factor]; stored oldest first.
        let phases = (1..factor)
            .map(|p| std::array::from_fn(|i| filter[p + (PHASE_TAPS - 1 - i) * factor] as f32))
            .collect();
        Taps {
            centre: filter[DELAY * factor] as f32,
            phases,
        }
    }
}

/// The low-pass at `factor` times the lower rate, `2·DELAY·factor + 1` taps, summing to 1.
fn lowpass(factor: usize) -> Vec<f64> {
    let len = 2 * DELAY * factor + 1;
    let middle = (DELAY * factor) as f64;
    // Normalised to the higher rate: the cut-off is half the lower rate.
    let cutoff = (PASSBAND_END + STOPBAND_START) / 2.0 / factor as f64;
    // Kaiser's own formula for the window's shape at an attenuation over 50 dB.
    let beta = 0.1102 * (STOPBAND_DB - 8.7);
    let mut filter: Vec<f64> = (0..len)
        .map(|k| {
            let t = k as f64 - middle;
            let sinc = if t == 0.0 {
                1.0
            } else {
                (std::f64::consts::PI * 2.0 * cutoff * t).sin() / (std::f64::consts::PI * 2.0 * cutoff * t)
            };
            let ratio = t / middle;
            let window = bessel_i0(beta * (1.0 - ratio * ratio).max(0.0).sqrt()) / bessel_i0(beta);
            2.0 * cutoff * sinc * window
        })
        .collect();
    let sum: f64 = filter.iter().sum();
    filter.iter_mut().for_each(|h| *h /= sum);
    filter
}

/// The modified Bessel function of the first kind, order 0, by its power series (which for
/// the window's arguments, at most about 9, converges to `f64` precision in 40 terms).
fn bessel_i0(x: f64) -> f64 {
    let quarter_square = x * x / 4.0;
    let (mut sum, mut term) = (1.0, 1.0);
    for k in 1..60 {
        term *= quarter_square / (k * k) as f64;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The filter's gain at `freq`, a fraction of its own (higher) rate.
    fn response(filter: &[f64], freq: f64) -> f64 {
        let (mut re, mut im) = (0.0, 0.0);
        for (k, &h) in filter.iter().enumerate() {
            let phase = std::f64::consts::TAU * freq * k as f64;
            re += h * phase.cos();
            im -= h * phase.sin();
        }
        (re * re + im * im).sqrt()
    }

    #[test]
    fn the_filter_passes_the_telephone_band_and_stops_what_would_fold_into_it() {
        for factor in [2, 3, 6] {
            let filter = lowpass(factor);
            let high = 8000.0 * factor as f64;
            for freq in [0.0, 300.0, 1000.0, 3000.0, 3400.0] {
                let db = 20.0 * response(&filter, freq / high).log10();
                assert!(db.abs() < 0.01, "×{factor}, {freq} Hz: {db:.4} dB");
            }
            // Everything from 4.6 kHz up to the higher rate's Nyquist frequency.
            let mut freq = 4600.0;
            while freq <= high / 2.0 {
                let db = 20.0 * response(&filter, freq / high).log10();
                assert!(db < -85.0, "×{factor}, {freq} Hz: {db:.1} dB");
                freq += 25.0;
            }
        }
    }

    #[test]
    fn the_first_phase_is_a_pure_delay_and_every_phase_has_unit_gain_at_dc() {
        for factor in [2, 3, 6, MAX_FACTOR] {
            let filter = lowpass(factor);
            for q in (0..=2 * DELAY).filter(|&q| q != DELAY) {
                let tap = filter[q * factor];
                assert!(tap.abs() < 1e-12, "×{factor}, tap {}: {tap}", q * factor);
            }
            // Upward each phase makes its own outputs, so each must pass DC at the factor's
            // gain; the taps skipped (the zeros above) are the first phase's.
            let taps = taps(factor);
            assert_eq!(taps.phases.len(), factor - 1);
            let centre = taps.centre * factor as f32;
            assert!((centre - 1.0).abs() < 1e-3, "×{factor}: centre {centre}");
            for phase in &taps.phases {
                let dc = phase.iter().sum::<f32>() * factor as f32;
                assert!((dc - 1.0).abs() < 1e-3, "×{factor}: {dc}");
            }
        }
    }

    #[test]
    fn only_whole_factors_from_2_to_the_maximum_are_taken() {
        assert!(WholeFactor::new(8000, 16000, 160).is_some());
        assert!(WholeFactor::new(48000, 8000, 960).is_some());
        assert!(WholeFactor::new(8000, 96000, 160).is_some());
        for (from, to) in [
            (8000, 8000),
            (8000, 22050),
            (44100, 8000),
            (8000, 104000),
            (0, 8000),
        ] {
            assert!(WholeFactor::new(from, to, 160).is_none(), "{from} → {to}");
        }
    }

    #[test]
    fn bessel_i0_matches_known_values() {
        // Abramowitz and Stegun, table 9.8.
        for (x, expected) in [(0.0, 1.0), (1.0, 1.266_065_877_752), (5.0, 27.239_871_823_6)] {
            assert!((bessel_i0(x) - expected).abs() < 1e-9 * expected, "{x}");
        }
    }
}
