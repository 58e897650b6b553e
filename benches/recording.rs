//! What recording a call costs: the session step per frame without a tap (an account that does
//! not record calls) and with one (the μ-law copied into the tap's reserved buffers, a chunk
//! handed over about once a second), and encoding a 20 ms stereo frame as Opus, which runs on
//! the recording's own task.

use std::hint::black_box;
use std::time::Instant;

use base64::Engine;
use criterion::{Criterion, criterion_group, criterion_main};
use switchboard::audio::ogg_opus::{FRAME_SAMPLES, OggOpusWriter};
use switchboard::call::recording_tap::recording_tap;
use switchboard::call::{Frame, Session, SessionConfig};
use switchboard::wire::elevenlabs::{AgentMessage, AudioEvent, InitiationMetadata};
use switchboard::wire::twilio::{Media, MediaFormat, Start, StreamMessage};

const STREAM: &str = "MZ00000000000000000000000000000001";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn twilio_media(bytes: &[u8]) -> String {
    StreamMessage::Media {
        sequence_number: Some("42".into()),
        stream_sid: STREAM.into(),
        media: Media {
            track: Some("inbound".into()),
            chunk: Some("41".into()),
            timestamp: Some("820".into()),
            payload: b64(bytes).into(),
        },
    }
    .to_json()
}

fn agent_audio(bytes: &[u8]) -> String {
    AgentMessage::Audio {
        audio_event: AudioEvent {
            audio_base_64: b64(bytes).into(),
            event_id: 7,
            alignment: None,
        },
    }
    .to_json()
}

/// A session past its start, with the agent's formats (`ulaw_8000`) known.
fn live_session() -> Session {
    let now = Instant::now();
    let mut session = Session::new(SessionConfig::default(), now);
    let start = StreamMessage::Start {
        sequence_number: "1".into(),
        stream_sid: STREAM.into(),
        start: Start {
            account_sid: "AC1".into(),
            stream_sid: STREAM.into(),
            call_sid: "CA1".into(),
            tracks: vec!["inbound".into()],
            media_format: MediaFormat::default(),
            custom_parameters: Default::default(),
        },
    }
    .to_json();
    session.on_caller(now, Frame::Text(&start));
    let metadata = AgentMessage::ConversationInitiationMetadata {
        conversation_initiation_metadata_event: InitiationMetadata {
            conversation_id: "c".into(),
            agent_output_audio_format: "ulaw_8000".into(),
            user_input_audio_format: "ulaw_8000".into(),
        },
    }
    .to_json();
    session.on_agent(now, Frame::Text(&metadata));
    while session.poll_transmit().is_some() {}
    while session.poll_event().is_some() {}
    session
}

fn tap_per_frame(c: &mut Criterion) {
    let ulaw: Vec<u8> = (0..160).map(|i| (i * 7) as u8).collect();
    let media = twilio_media(&ulaw);
    let agent = agent_audio(&ulaw);
    let mut g = c.benchmark_group("recording tap per frame");
    for recorded in [false, true] {
        let label = if recorded { "recorded" } else { "not recorded" };
        let mut session = live_session();
        let (tap, mut chunks) = recording_tap();
        if recorded {
            session.record_to(tap);
        } else {
            drop(tap);
        }
        let now = Instant::now();
        g.bench_function(format!("caller frame, {label}"), |b| {
            b.iter(|| {
                session.on_caller(now, Frame::Text(black_box(&media)));
                black_box(session.poll_transmit());
                // The encoder's side, taking each chunk as it comes.
                if let Some(chunk) = chunks.try_next() {
                    chunks.recycle(chunk);
                }
            })
        });
        g.bench_function(format!("agent frame, {label}"), |b| {
            b.iter(|| {
                session.on_agent(now, Frame::Text(black_box(&agent)));
                while let Some(t) = session.poll_transmit() {
                    black_box(t);
                }
                if let Some(chunk) = chunks.try_next() {
                    chunks.recycle(chunk);
                }
            })
        });
        assert!(!chunks.lost(), "the bench kept up with its tap");
    }
    g.finish();
}

fn encode(c: &mut Criterion) {
    let frame: Vec<i16> = (0..FRAME_SAMPLES)
        .flat_map(|n| {
            let t = n as f64 / 8_000.0;
            [
                ((t * 2_000.0).sin() * 6_000.0) as i16,
                ((t * 3_100.0).sin() * 4_000.0) as i16,
            ]
        })
        .collect();
    let mut g = c.benchmark_group("ogg_opus");
    let mut writer = OggOpusWriter::new().unwrap();
    g.bench_function("encode a 20 ms stereo frame", |b| {
        b.iter(|| writer.push_frame(black_box(&frame)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, tap_per_frame, encode);
criterion_main!(benches);
