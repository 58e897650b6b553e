//! Test signals and measurements shared by the audio tests.

use std::f64::consts::TAU;

use super::{AudioFormat, ulaw};

/// `len` samples of a sine at `freq` Hz with peak `amplitude`.
pub fn sine(freq: f64, rate: u32, amplitude: f64, len: usize) -> Vec<i16> {
    (0..len)
        .map(|n| (amplitude * (TAU * freq * n as f64 / f64::from(rate)).sin()).round() as i16)
        .collect()
}

pub fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let energy: f64 = samples.iter().map(|&s| f64::from(s).powi(2)).sum();
    (energy / samples.len() as f64).sqrt()
}

/// Peak amplitude of the `freq` Hz component, by projection on a sine and a cosine; exact for
/// a window of whole periods, within a fraction of a percent otherwise.
pub fn tone_amplitude(samples: &[i16], rate: u32, freq: f64) -> f64 {
    let (mut in_phase, mut quadrature) = (0.0, 0.0);
    for (n, &s) in samples.iter().enumerate() {
        let phase = TAU * freq * n as f64 / f64::from(rate);
        in_phase += f64::from(s) * phase.sin();
        quadrature += f64::from(s) * phase.cos();
    }
    2.0 * in_phase.hypot(quadrature) / samples.len() as f64
}

pub fn db(ratio: f64) -> f64 {
    20.0 * ratio.log10()
}

pub fn to_s16le(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

pub fn from_s16le(bytes: &[u8]) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|p| i16::from_le_bytes([p[0], p[1]]))
        .collect()
}

/// `samples` in `format`'s wire encoding.
pub fn encoded(format: AudioFormat, samples: &[i16]) -> Vec<u8> {
    match format {
        AudioFormat::Ulaw8000 => samples.iter().map(|&s| ulaw::encode(s)).collect(),
        AudioFormat::Pcm { .. } => to_s16le(samples),
    }
}

/// The samples `bytes` in `format` stand for; an odd trailing byte of PCM is ignored.
pub fn decoded(format: AudioFormat, bytes: &[u8]) -> Vec<i16> {
    match format {
        AudioFormat::Ulaw8000 => bytes.iter().map(|&code| ulaw::decode(code)).collect(),
        AudioFormat::Pcm { .. } => from_s16le(bytes),
    }
}

/// The middle of a signal, dropping `edge` samples at each end (filter ramps).
pub fn middle(samples: &[i16], edge: usize) -> &[i16] {
    assert!(
        samples.len() > 2 * edge,
        "signal of {} samples too short",
        samples.len()
    );
    &samples[edge..samples.len() - edge]
}
