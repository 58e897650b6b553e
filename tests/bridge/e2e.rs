//! Whole calls through a real bridge on loopback: the caller simulator on Twilio's side, the
//! agent simulator on ElevenLabs' side.

use std::time::Duration;

use crate::support::{TestBridge, echo_agent, voice_params};
use base64::Engine;
use futures::{SinkExt, StreamExt};
use switchboard::audio::{AudioFormat, FixtureDir, ulaw};
use switchboard::sim::caller::{CallerConfig, place_call};
use switchboard::wire::twilio::{Dtmf, Media, MediaFormat, Start, StreamMessage};
use switchboard::wire::twiml;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The right channel (what the caller heard) of a recording, without leading and trailing
/// silence.
fn heard(recording: &[i16]) -> Vec<i16> {
    let right: Vec<i16> = recording.chunks(2).map(|pair| pair[1]).collect();
    let loud = |s: &i16| s.unsigned_abs() > 64;
    let start = right.iter().position(loud).unwrap_or(0);
    let end = right.iter().rposition(loud).map_or(0, |i| i + 1);
    right[start..end.max(start)].to_vec()
}

/// The samples that are not digital silence. The caller's playout fills a 20 ms tick with
/// silence when the echo of a frame arrives after it (a busy machine), so what is heard is
/// what was sent with such gaps added; taking the silent samples out of both sides compares
/// the sound itself, byte for byte, whatever the timing.
fn sounding(samples: &[i16]) -> Vec<i16> {
    samples.iter().copied().filter(|&sample| sample != 0).collect()
}

fn rms(samples: &[i16]) -> f64 {
    (samples.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / samples.len().max(1) as f64).sqrt()
}

#[tokio::test]
async fn pass_through_audio_comes_back_byte_for_byte() {
    let agent = echo_agent(AudioFormat::Ulaw8000).await;
    let bridge = TestBridge::start(&agent).await;
    let clip = FixtureDir::bundled().caller("book").unwrap();
    let mut config = CallerConfig::new(bridge.url("/twilio/voice"), &bridge.auth_token, bridge.number());
    config.utterances = vec![clip.clone()];
    config.agent_speaks_first = false;
    config.record = true;
    config.linger = Duration::from_millis(600);
    let report = place_call(&config, None).await.unwrap();
    assert!(!report.ended_by_bridge, "the caller hung up");
    assert_eq!(report.bad_messages, 0);
    let sent: Vec<i16> = clip.iter().map(|&c| ulaw::decode(c)).collect();
    let heard = heard(&report.recording);
    let sent_trimmed = {
        let loud = |s: &i16| s.unsigned_abs() > 64;
        let start = sent.iter().position(loud).unwrap();
        let end = sent.iter().rposition(loud).unwrap() + 1;
        sent[start..end].to_vec()
    };
    let (heard, sent) = (sounding(&heard), sounding(&sent_trimmed));
    assert!(
        heard.len() > 8_000,
        "a second of speech at least: {}",
        heard.len()
    );
    assert_eq!(heard, sent, "the echo through the bridge changed the audio");
    assert!(report.marks_echoed > 0, "the bridge marks agent audio");
    let metrics = bridge.server.app.metrics.render(0);
    assert!(
        metrics.contains("switchboard_prewarm_total{outcome=\"claimed\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn transcoded_audio_keeps_its_level_and_length() {
    let agent = echo_agent(AudioFormat::Pcm { rate: 16000 }).await;
    let bridge = TestBridge::start(&agent).await;
    let clip = FixtureDir::bundled().caller("when").unwrap();
    let mut config = CallerConfig::new(bridge.url("/twilio/voice"), &bridge.auth_token, bridge.number());
    config.utterances = vec![clip.clone()];
    config.agent_speaks_first = false;
    config.record = true;
    config.linger = Duration::from_millis(600);
    let report = place_call(&config, None).await.unwrap();
    let sent: Vec<i16> = clip.iter().map(|&c| ulaw::decode(c)).collect();
    let heard = heard(&report.recording);
    let length_ms = |n: usize| n as f64 / 8.0;
    assert!(
        (length_ms(heard.len()) - length_ms(heard_len_of(&sent))).abs() < 60.0,
        "heard {} ms of {} ms",
        length_ms(heard.len()),
        length_ms(heard_len_of(&sent))
    );
    let level = 20.0 * (rms(&heard) / rms(&sent)).log10();
    assert!(
        level.abs() < 1.5,
        "level changed by {level:.2} dB through μ-law → pcm_16000 → μ-law"
    );
}

fn heard_len_of(samples: &[i16]) -> usize {
    let loud = |s: &i16| s.unsigned_abs() > 64;
    let start = samples.iter().position(loud).unwrap_or(0);
    samples.iter().rposition(loud).map_or(0, |i| i + 1) - start
}

/// Plays Twilio by hand to send a DTMF `*`: the echo agent answers it with an interruption,
/// and the bridge must clear Twilio's buffer.
#[tokio::test]
async fn a_barge_in_clears_twilio_at_once() {
    let agent = echo_agent(AudioFormat::Ulaw8000).await;
    let bridge = TestBridge::start(&agent).await;
    let answer = bridge
        .hooks
        .post(
            &bridge.url("/twilio/voice"),
            &voice_params("CAbarge", bridge.number()),
        )
        .await
        .unwrap();
    let connect = twiml::parse_connect(&answer).unwrap().unwrap();
    let mut request = connect.stream_url.as_str().into_client_request().unwrap();
    request.headers_mut().insert(
        "X-Twilio-Signature",
        bridge.hooks.sign(&connect.stream_url, &[]).parse().unwrap(),
    );
    let (mut twilio, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let start = StreamMessage::Start {
        sequence_number: "1".into(),
        stream_sid: "MZbarge".into(),
        start: Start {
            account_sid: "AC1".into(),
            stream_sid: "MZbarge".into(),
            call_sid: "CAbarge".into(),
            tracks: vec!["inbound".into()],
            media_format: MediaFormat::default(),
            custom_parameters: connect.parameters.into_iter().collect(),
        },
    };
    twilio.send(start.to_json().into()).await.unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode([0x42u8; 160]);
    for n in 0..10 {
        let media = StreamMessage::Media {
            sequence_number: Some((n + 2).to_string().into()),
            stream_sid: "MZbarge".into(),
            media: Media {
                payload: b64.as_str().into(),
                ..Media::default()
            },
        };
        twilio.send(media.to_json().into()).await.unwrap();
    }
    let dtmf = StreamMessage::Dtmf {
        stream_sid: "MZbarge".into(),
        sequence_number: "20".into(),
        dtmf: Dtmf {
            track: "inbound_track".into(),
            digit: "*".into(),
        },
    };
    twilio.send(dtmf.to_json().into()).await.unwrap();
    let mut echoed = 0;
    let cleared = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(Message::Text(text))) = twilio.next().await {
            match StreamMessage::parse(text.as_str()).unwrap() {
                StreamMessage::Media { .. } => echoed += 1,
                StreamMessage::Clear { stream_sid } => return stream_sid.into_owned(),
                _ => {}
            }
        }
        panic!("the stream closed without a clear");
    })
    .await
    .expect("a clear within 5 s");
    assert_eq!(cleared, "MZbarge");
    assert_eq!(echoed, 10, "every frame came back before the clear");
    let metrics = bridge.server.app.metrics.render(0);
    assert!(metrics.contains("switchboard_interruptions_total 1"), "{metrics}");
    assert_eq!(bridge.server.app.metrics.calls.clear_latency.count(), 1);
}

/// The demo binary: one whole scripted booking call, exit status 0 only if the booking was
/// made and the agent ended the call. Takes about 40 s of real time.
#[test]
fn the_demo_books_an_appointment_then_shows_a_call_after_hours_a_transfer_and_a_new_agent_provisioned() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("demo.wav");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["demo", "--wav"])
        .arg(&wav)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "agent  › Thanks for calling Harbor Dental",
        "tool   › list_event_types",
        "tool   › get_available_slots",
        "tool   ‹ create_booking ok",
        "call ended: agent_ended",
        "booking, read back from the database",
        "status      Confirmed",
        // The caller's text after the booking, from the practice's number.
        "text to the caller, sent through Twilio's stand-in",
        "from +15550100200  to ",
        // The confirmation email, with its invitation, received by the SMTP stand-in.
        "confirmation email to the caller, received by the SMTP stand-in",
        "From     Harbor Dental <bookings@harbor-dental.example>",
        "To       Jane Doe <jane.doe@example.com>",
        "Subject  Confirmed: Cleaning with Harbor Dental on ",
        "attached invite.ics: METHOD REQUEST, Cleaning with Harbor Dental, starting TZID=America/New_York:",
        "<Hangup />",
        // After hours: Ava's voicemail, the message kept on the call.
        "── call 2: after hours",
        "switchboard says › Thank you for calling. We are closed right now.",
        "caller leaves a message after the beep",
        // Kept where the bridge's (simulated) Twilio keeps recordings.
        "the call's record: ended after_hours, voicemail https://127.0.0.1/",
        // The front desk hands the caller to a person, with a whisper.
        "── call 3: a transfer to a person",
        "tool   › transfer_call",
        "call ended: transferred",
        "connect action: <Dial> +15550100299",
        "whisper to the person › Call from Jane Doe",
        "the call's record: ended transferred",
        // A new agent made through the API: provisioned at both stand-ins, then rung.
        "── 4: a new agent, provisioned through the API",
        "(ulaw_8000 in, ulaw_8000 out)",
        "create_booking, update_booking",
        "its voice URL          http://127.0.0.1:",
        "agent  › Hi Jane Doe! Harbor Dental's evening line, this is Max.",
        "ended caller_hung_up",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in:\n{stdout}");
    }
    let recording = switchboard::audio::wav::Wav::read_file(&wav).unwrap();
    assert_eq!(recording.channels, 2);
    assert!(
        recording.duration() > Duration::from_secs(20),
        "{:?}",
        recording.duration()
    );
}
