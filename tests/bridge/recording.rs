//! A call's recording over a whole call (sim caller ⇄ switchboard ⇄ a hand-written agent): on
//! an account that records calls, with the caller's yes through the `record_consent` tool, the
//! call is kept as Ogg/Opus, and `opusdec` decodes it to the call's length (the caller's
//! frames, 20 ms each). Without the yes, or on an account that does not record, nothing is
//! kept. A consented call still up when the server stops has its recording stored by the
//! time the stop is over.

use axum::extract::ws::{Message, WebSocket};
use base64::Engine;
use serde_json::{Value, json};
use switchboard::sim::caller::{CallReport, CallerConfig, place_call};
use switchboard::store::{AccountChange, CallRecording};
use switchboard::telephony::recordings::KeepDecision;
use switchboard::wire::elevenlabs::{AgentMessage, InitiationMetadata};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::support::{PATIENCE, TestBridge, hand_written_agent};
use std::time::Duration;

async fn next_json(socket: &mut WebSocket) -> Option<Value> {
    while let Some(Ok(message)) = socket.recv().await {
        match message {
            Message::Text(text) => return Some(serde_json::from_str(&text).unwrap()),
            Message::Close(_) => return None,
            _ => {}
        }
    }
    None
}

fn tool_call(name: &str, id: &str, parameters: Value, event_id: u64) -> Message {
    let call = json!({
        "type": "client_tool_call",
        "client_tool_call": {
            "tool_name": name, "tool_call_id": id, "parameters": parameters, "event_id": event_id,
        },
    });
    Message::Text(call.to_string().into())
}

/// Half a second of agent speech (a tone) as μ-law.
fn speech(event_id: u64) -> Message {
    let codes: Vec<u8> = (0..4_000)
        .map(|n| switchboard::audio::ulaw::encode(((n as f64 * 0.3).sin() * 8_000.0) as i16))
        .collect();
    let audio = base64::engine::general_purpose::STANDARD.encode(codes);
    let message = json!({"type": "audio", "audio_event": {"audio_base_64": audio, "event_id": event_id}});
    Message::Text(message.to_string().into())
}

/// The agent: speaks, asks for the consent tool with the caller's answer (if any), speaks
/// again, then ends the call.
async fn converse(mut socket: WebSocket, consent: Option<bool>) {
    if next_json(&mut socket).await.is_none() {
        return;
    }
    let metadata = AgentMessage::ConversationInitiationMetadata {
        conversation_initiation_metadata_event: InitiationMetadata {
            conversation_id: "conv_recording".into(),
            agent_output_audio_format: "ulaw_8000".into(),
            user_input_audio_format: "ulaw_8000".into(),
        },
    };
    let _ = socket.send(Message::Text(metadata.to_json().into())).await;
    let _ = socket.send(speech(1)).await;
    if let Some(consented) = consent {
        let _ = socket
            .send(tool_call(
                "record_consent",
                "consent_1",
                json!({"consented": consented}),
                2,
            ))
            .await;
        while let Some(message) = next_json(&mut socket).await {
            if message["type"] == "client_tool_result" {
                break;
            }
        }
    }
    let _ = socket.send(speech(3)).await;
    let _ = socket.send(tool_call("end_call", "end_1", json!({}), 4)).await;
    while next_json(&mut socket).await.is_some() {}
}

/// Runs one call on an account that does (or does not) record calls, with the caller's answer;
/// with the decision on its recording, if it had one (an account that does not record has no
/// tap, so no decision: the call's end is written, and there is nothing else to wait for).
async fn a_call(records: bool, consent: Option<bool>) -> (TestBridge, CallReport, Option<KeepDecision>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let agent = hand_written_agent(listener, move |socket| converse(socket, consent));
    let bridge = TestBridge::start(&agent).await;
    let change = AccountChange {
        record_calls: Some(records),
        ..AccountChange::default()
    };
    bridge
        .store
        .store()
        .update_account(&bridge.business.account.id, change)
        .await
        .unwrap();
    let mut decisions = bridge.server.app.streams.attacher.recordings.decisions();
    let mut config = CallerConfig::new(bridge.url("/twilio/voice"), &bridge.auth_token, bridge.number());
    config.agent_speaks_first = true;
    config.linger = PATIENCE;
    let report = place_call(&config, None).await.unwrap();
    assert!(report.ended_by_bridge, "the agent's end_call ended it");
    let decision = match records {
        false => None,
        true => {
            let decided = async {
                loop {
                    let (call_sid, decision) = decisions.recv().await.unwrap();
                    if call_sid == report.call_sid {
                        return decision;
                    }
                }
            };
            Some(tokio::time::timeout(PATIENCE, decided).await.expect("a decision"))
        }
    };
    (bridge, report, decision)
}

/// The call's kept recording, if any.
async fn recording_of(bridge: &TestBridge, call_sid: &str) -> Option<CallRecording> {
    let store = bridge.store.store();
    let call = store
        .call_by_sid(call_sid)
        .await
        .unwrap()
        .expect("the call's record");
    store
        .call_recording(&bridge.business.account.id, &call.id)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_consented_call_is_recorded_and_decodes_to_the_calls_length() {
    let (bridge, report, decision) = a_call(true, Some(true)).await;
    assert_eq!(decision, Some(KeepDecision::Keep));
    let kept = recording_of(&bridge, &report.call_sid).await.expect("kept");
    assert_eq!(kept.format, "ogg_opus");
    let expected_ms = report.frames_sent * 20;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &kept.audio).unwrap();
    let decoded = tempfile::NamedTempFile::new().unwrap();
    let output = std::process::Command::new("opusdec")
        .args(["--rate", "8000", "--quiet"])
        .arg(file.path())
        .arg(decoded.path())
        .output()
        .expect("opusdec (from opus-tools) must be installed to check recordings");
    assert!(
        output.status.success(),
        "opusdec: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let wav = std::fs::read(decoded.path()).unwrap();
    // opusdec writes a 44-byte WAV header and 16-bit stereo samples.
    let samples_per_channel = (wav.len() - 44) / 4;
    let decoded_ms = samples_per_channel as u64 / 8;
    assert!(
        decoded_ms.abs_diff(expected_ms) <= 40,
        "decoded {decoded_ms} ms, the caller sent {} frames ({expected_ms} ms)",
        report.frames_sent
    );
    assert!(
        kept.duration_ms.abs_diff(expected_ms) <= 40,
        "{} ms",
        kept.duration_ms
    );
    // A minute of it stays in tens of kilobytes.
    let per_minute = kept.audio.len() as u64 * 60_000 / kept.duration_ms.max(1);
    assert!(per_minute < 200_000, "{per_minute} bytes a minute");
}

#[tokio::test]
async fn without_the_callers_yes_nothing_is_kept() {
    for (records, consent, expected) in [
        (true, Some(false), Some(KeepDecision::Refused)),
        (true, None, Some(KeepDecision::NoAnswer)),
        (false, Some(true), None),
    ] {
        let (bridge, report, decision) = a_call(records, consent).await;
        assert_eq!(decision, expected, "records {records}, consent {consent:?}");
        assert!(recording_of(&bridge, &report.call_sid).await.is_none());
    }
}

/// The agent: speaks, has the caller's yes recorded, says so on `consented`, then speaks on
/// and never ends the call.
async fn consent_then_stay(mut socket: WebSocket, consented: mpsc::UnboundedSender<()>) {
    if next_json(&mut socket).await.is_none() {
        return;
    }
    let metadata = AgentMessage::ConversationInitiationMetadata {
        conversation_initiation_metadata_event: InitiationMetadata {
            conversation_id: "conv_recording_at_stop".into(),
            agent_output_audio_format: "ulaw_8000".into(),
            user_input_audio_format: "ulaw_8000".into(),
        },
    };
    let _ = socket.send(Message::Text(metadata.to_json().into())).await;
    let _ = socket.send(speech(1)).await;
    let consent = tool_call("record_consent", "consent_1", json!({"consented": true}), 2);
    let _ = socket.send(consent).await;
    while let Some(message) = next_json(&mut socket).await {
        if message["type"] == "client_tool_result" {
            break;
        }
    }
    let _ = consented.send(());
    let _ = socket.send(speech(3)).await;
    while next_json(&mut socket).await.is_some() {}
}

#[tokio::test]
async fn a_consented_call_up_when_the_server_stops_has_its_recording_stored() {
    let (consented, mut consent_recorded) = mpsc::unbounded_channel();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let agent = hand_written_agent(listener, move |socket| {
        consent_then_stay(socket, consented.clone())
    });
    let bridge = TestBridge::start(&agent).await;
    let change = AccountChange {
        record_calls: Some(true),
        ..AccountChange::default()
    };
    bridge
        .store
        .store()
        .update_account(&bridge.business.account.id, change)
        .await
        .unwrap();
    let mut config = CallerConfig::new(bridge.url("/twilio/voice"), &bridge.auth_token, bridge.number());
    config.agent_speaks_first = true;
    config.linger = Duration::from_secs(600);
    config.max_duration = Duration::from_secs(600);
    let caller = tokio::spawn(async move { place_call(&config, None).await.unwrap() });
    tokio::time::timeout(PATIENCE, consent_recorded.recv())
        .await
        .expect("the caller's yes is recorded")
        .unwrap();

    let TestBridge {
        server,
        store,
        business,
        ..
    } = bridge;
    // The call is up: the drain's deadline passes at once and the bridge hangs up.
    tokio::time::timeout(PATIENCE, server.shutdown(Duration::from_millis(50)))
        .await
        .expect("the stop ends")
        .unwrap();
    // Nothing is waited for past the stop: the recording is there when it is over.
    let report = tokio::time::timeout(PATIENCE, caller)
        .await
        .expect("the caller saw the call end")
        .unwrap();
    assert!(report.ended_by_bridge, "the bridge hung up, not the caller");
    let call = store
        .call_by_sid(&report.call_sid)
        .await
        .unwrap()
        .expect("the call's record");
    let kept = store
        .call_recording(&business.account.id, &call.id)
        .await
        .unwrap()
        .expect("the recording was stored before the stop was over");
    assert!(kept.duration_ms > 0, "{kept:?}");
}
