//! The relay's cost per 20 ms frame: parsing, converting and serializing each way, on the
//! pass-through path (`ulaw_8000` both ways) and the transcoding path (`pcm_16000`), both as
//! bare wire work and as one full session step.

use std::hint::black_box;
use std::time::{Duration, Instant};

use base64::Engine;
use criterion::{Criterion, criterion_group, criterion_main};
use switchboard::call::{Frame, Session, SessionConfig};
use switchboard::wire::elevenlabs::{self, AgentMessage, AudioEvent, InitiationMetadata};
use switchboard::wire::twilio::{Media, MediaFormat, Start, StreamMessage, StreamWriter};

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

/// An agent audio frame as ElevenLabs sends it with character alignment of the text spoken.
fn agent_audio_aligned(bytes: &[u8]) -> String {
    let text = "Hello, how can I help you today?";
    let chars: Vec<String> = text.chars().map(String::from).collect();
    let starts: Vec<u32> = (0..chars.len() as u32).map(|i| i * 60).collect();
    let durations = vec![60u32; chars.len()];
    serde_json::json!({
        "type": "audio",
        "audio_event": {
            "audio_base_64": b64(bytes),
            "event_id": 7,
            "alignment": {"chars": chars, "char_start_times_ms": starts, "char_durations_ms": durations},
        },
    })
    .to_string()
}

fn live_session(format: &str) -> Session {
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
            agent_output_audio_format: format.into(),
            user_input_audio_format: format.into(),
        },
    }
    .to_json();
    session.on_agent(now, Frame::Text(&metadata));
    while session.poll_transmit().is_some() {}
    while session.poll_event().is_some() {}
    session
}

fn wire(c: &mut Criterion) {
    let ulaw: Vec<u8> = (0..160).map(|i| (i * 7) as u8).collect();
    let media = twilio_media(&ulaw);
    let audio = agent_audio(&ulaw);
    let writer = StreamWriter::new(STREAM);
    let mut g = c.benchmark_group("wire");
    g.bench_function("twilio media -> user_audio_chunk (pass-through)", |b| {
        b.iter(|| {
            let StreamMessage::Media { media, .. } = StreamMessage::parse(black_box(&media)).unwrap() else {
                panic!()
            };
            black_box(elevenlabs::user_audio_chunk_json_b64(&media.payload))
        })
    });
    g.bench_function("agent audio -> twilio media (pass-through)", |b| {
        b.iter(|| {
            let AgentMessage::Audio { audio_event } = AgentMessage::parse(black_box(&audio)).unwrap() else {
                panic!()
            };
            black_box(writer.media_base64(&audio_event.audio_base_64))
        })
    });
    g.finish();
}

fn session_steps(c: &mut Criterion) {
    let ulaw: Vec<u8> = (0..160).map(|i| (i * 7) as u8).collect();
    let media = twilio_media(&ulaw);
    let pcm16k: Vec<u8> = (0..320i16)
        .flat_map(|i| i.wrapping_mul(97).to_le_bytes())
        .collect();
    let mut g = c.benchmark_group("session step per frame");
    for (format, agent_frame) in [
        ("ulaw_8000", agent_audio(&ulaw)),
        ("pcm_16000", agent_audio(&pcm16k)),
    ] {
        let mut session = live_session(format);
        let now = Instant::now();
        g.bench_function(format!("caller frame, {format}"), |b| {
            b.iter(|| {
                session.on_caller(now, Frame::Text(black_box(&media)));
                black_box(session.poll_transmit())
            })
        });
        let mut session = live_session(format);
        g.bench_function(format!("agent frame, {format}"), |b| {
            b.iter(|| {
                session.on_agent(now, Frame::Text(black_box(&agent_frame)));
                while let Some(t) = session.poll_transmit() {
                    black_box(t);
                }
            })
        });
    }
    let aligned = agent_audio_aligned(&ulaw);
    let mut session = live_session("ulaw_8000");
    let now = Instant::now();
    g.bench_function("agent frame with alignment, ulaw_8000", |b| {
        b.iter(|| {
            session.on_agent(now, Frame::Text(black_box(&aligned)));
            while let Some(t) = session.poll_transmit() {
                black_box(t);
            }
        })
    });
    g.finish();
}

/// A whole 5-minute call (15,000 caller frames, agent replies, marks, ticks) in one go.
fn whole_call(c: &mut Criterion) {
    let ulaw: Vec<u8> = (0..160).map(|i| (i * 7) as u8).collect();
    let media = twilio_media(&ulaw);
    let reply = agent_audio(&ulaw.repeat(5));
    let mut g = c.benchmark_group("whole call");
    g.sample_size(10);
    g.bench_function("5-minute call, pass-through", |b| {
        b.iter(|| {
            let mut session = live_session("ulaw_8000");
            let mut now = Instant::now();
            for n in 0..15_000u32 {
                session.on_caller(now, Frame::Text(&media));
                if n % 500 < 20 {
                    session.on_agent(now, Frame::Text(&reply));
                }
                now += Duration::from_millis(20);
                session.on_tick(now);
                while let Some(t) = session.poll_transmit() {
                    black_box(t);
                }
                while let Some(e) = session.poll_event() {
                    black_box(e);
                }
            }
        })
    });
    g.finish();
}

criterion_group!(benches, wire, session_steps, whole_call);
criterion_main!(benches);
