//! Per-frame cost of the audio path: the μ-law codec, the resamplers and a whole
//! `Transcoder`, each fed one 20 ms frame of recorded speech per iteration.
//!
//! Run: `cargo bench --bench audio` (add `-- --quick` for a short run).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use switchboard::audio::{AudioFormat, FixtureDir, StreamResampler, Transcoder, ulaw};

/// Twilio's frame: 20 ms of μ-law at 8 kHz.
const FRAME: usize = 160;

/// Recorded speech, so the resampler and codec see realistic values.
fn speech_ulaw() -> Vec<u8> {
    let mut codes = FixtureDir::bundled()
        .agent("greeting")
        .expect("fixtures are committed");
    codes.truncate(codes.len() / FRAME * FRAME);
    codes
}

fn speech_pcm_8k() -> Vec<i16> {
    let mut samples = Vec::new();
    ulaw::decode_into(&speech_ulaw(), &mut samples);
    samples
}

/// The speech as an agent at `rate` would send it: 16-bit little-endian PCM.
fn speech_pcm_bytes(rate: u32) -> Vec<u8> {
    let mut resampler = StreamResampler::new(8000, rate).unwrap();
    let mut samples = Vec::new();
    resampler.process(&speech_pcm_8k(), &mut samples);
    samples.truncate(samples.len() / (rate as usize / 50) * (rate as usize / 50));
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

fn ulaw_codec(c: &mut Criterion) {
    let codes = speech_ulaw();
    let samples = speech_pcm_8k();
    let mut group = c.benchmark_group("ulaw");
    group.throughput(Throughput::Elements(FRAME as u64));

    let mut frames = codes.chunks_exact(FRAME).cycle();
    let mut decoded = Vec::with_capacity(FRAME);
    group.bench_function("decode 160-sample frame", |b| {
        b.iter(|| {
            decoded.clear();
            ulaw::decode_into(black_box(frames.next().unwrap()), &mut decoded);
            black_box(&decoded);
        })
    });

    let mut frames = samples.chunks_exact(FRAME).cycle();
    let mut encoded = Vec::with_capacity(FRAME);
    group.bench_function("encode 160-sample frame", |b| {
        b.iter(|| {
            encoded.clear();
            ulaw::encode_into(black_box(frames.next().unwrap()), &mut encoded);
            black_box(&encoded);
        })
    });
    group.finish();
}

fn resampling(c: &mut Criterion) {
    let mut group = c.benchmark_group("resample");
    for (from, to) in [(8000u32, 16000u32), (16000, 8000)] {
        let speech: Vec<i16> = if from == 8000 {
            speech_pcm_8k()
        } else {
            speech_pcm_bytes(from)
                .chunks_exact(2)
                .map(|p| i16::from_le_bytes([p[0], p[1]]))
                .collect()
        };
        let chunk = from as usize / 50;
        let mut frames = speech.chunks_exact(chunk).cycle();
        let mut resampler = StreamResampler::new(from, to).unwrap();
        let mut out = Vec::with_capacity(to as usize / 50);
        group.throughput(Throughput::Elements(1));
        group.bench_function(format!("{from} to {to} Hz, 20 ms frame"), |b| {
            b.iter(|| {
                out.clear();
                resampler.process(black_box(frames.next().unwrap()), &mut out);
                black_box(&out);
            })
        });
    }
    group.finish();
}

fn transcoding(c: &mut Criterion) {
    let caller = speech_ulaw();
    let mut group = c.benchmark_group("transcode");
    group.throughput(Throughput::Elements(1));
    for format in [AudioFormat::Pcm { rate: 16000 }, AudioFormat::Pcm { rate: 24000 }] {
        let mut transcoder = Transcoder::new(format, format).unwrap();
        let mut frames = caller.chunks_exact(FRAME).cycle();
        let mut out = Vec::with_capacity(format.bytes_per_frame());
        group.bench_function(format!("caller to agent {format}, 20 ms frame"), |b| {
            b.iter(|| {
                out.clear();
                transcoder.caller_to_agent(black_box(frames.next().unwrap()), &mut out);
                black_box(&out);
            })
        });

        let agent = speech_pcm_bytes(format.sample_rate());
        let mut frames = agent.chunks_exact(format.bytes_per_frame()).cycle();
        let mut out = Vec::with_capacity(FRAME);
        group.bench_function(format!("agent {format} to caller, 20 ms frame"), |b| {
            b.iter(|| {
                out.clear();
                transcoder.agent_to_caller(black_box(frames.next().unwrap()), &mut out);
                black_box(&out);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, ulaw_codec, resampling, transcoding);
criterion_main!(benches);
