//! Who is calling, over a whole call against a hand-written agent: what the agent is told as
//! its conversation opens (every dynamic variable, the caller known to the business greeted by
//! name, the AI disclosure, the recording consent question), and the caller's consent coming
//! back through the `record_consent` tool to the call's record, as the REST API shows it.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket};
use serde_json::{Value, json};
use switchboard::manage::Keys;
use switchboard::sim::caller::{CallerConfig, place_call};
use switchboard::store::{AccountChange, ContactUpsert};
use switchboard::wire::elevenlabs::{AgentMessage, InitiationMetadata};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, mpsc};

use crate::support::{PATIENCE, TestBridge, hand_written_agent};

const CALLER: &str = "+15005550006";

/// Reads the next text frame as JSON; `None` once the socket closes.
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

/// The agent: reports what the bridge opened the conversation with, asks for the consent
/// tool with the caller's yes, reports its result, then ends the call.
async fn converse(mut socket: WebSocket, seen: Arc<Mutex<mpsc::UnboundedSender<Value>>>) {
    let Some(init) = next_json(&mut socket).await else {
        return;
    };
    let _ = seen.lock().await.send(init);
    let metadata = AgentMessage::ConversationInitiationMetadata {
        conversation_initiation_metadata_event: InitiationMetadata {
            conversation_id: "conv_greeting".into(),
            agent_output_audio_format: "ulaw_8000".into(),
            user_input_audio_format: "ulaw_8000".into(),
        },
    };
    let _ = socket.send(Message::Text(metadata.to_json().into())).await;
    let _ = socket
        .send(tool_call(
            "record_consent",
            "consent_1",
            json!({"consented": true}),
            1,
        ))
        .await;
    while let Some(message) = next_json(&mut socket).await {
        if message["type"] == "client_tool_result" {
            let _ = seen.lock().await.send(message);
            break;
        }
    }
    let _ = socket.send(tool_call("end_call", "end_1", json!({}), 2)).await;
    while next_json(&mut socket).await.is_some() {}
}

#[tokio::test]
async fn a_known_caller_is_greeted_by_name_told_it_is_an_ai_and_their_consent_is_recorded() {
    let (tx, mut seen) = mpsc::unbounded_channel();
    let tx = Arc::new(Mutex::new(tx));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let agent = hand_written_agent(listener, move |socket| converse(socket, tx.clone()));
    let bridge = TestBridge::start(&agent).await;
    let store = bridge.store.store();
    let account = &bridge.business.account;
    store
        .update_account(
            &account.id,
            AccountChange {
                booking_url: Some(Some("https://praxis-adler.example/book".into())),
                record_calls: Some(true),
                ..AccountChange::default()
            },
        )
        .await
        .unwrap();
    store
        .upsert_contact(
            &account.id,
            ContactUpsert {
                phone: CALLER.into(),
                name: Some("Anna Schmidt".into()),
                email: None,
            },
        )
        .await
        .unwrap();

    let berlin_today = || {
        jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::get("Europe/Berlin").unwrap())
            .date()
            .to_string()
    };
    let before = berlin_today();
    let mut config = CallerConfig::new(bridge.url("/twilio/voice"), &bridge.auth_token, bridge.number());
    config.agent_speaks_first = false;
    config.linger = PATIENCE;
    let report = place_call(&config, None).await.unwrap();
    assert!(report.ended_by_bridge, "the agent's end_call ended it");

    let init = seen.recv().await.expect("the conversation's opening");
    assert_eq!(init["type"], "conversation_initiation_client_data");
    assert_eq!(
        init["conversation_config_override"]["agent"]["first_message"],
        "Hi Anna Schmidt! Thank you for calling Praxis Adler. I'm an AI assistant. \
         How can I help you today? This call is recorded. Is that all right with you?"
    );
    let variables = &init["dynamic_variables"];
    let after = berlin_today();
    for (name, value) in [
        ("caller_name", "Anna Schmidt"),
        ("caller_number", CALLER),
        ("called_number", bridge.number()),
        ("call_sid", report.call_sid.as_str()),
        ("business_name", "Praxis Adler"),
        ("business_context", ""),
        ("booking_url", "https://praxis-adler.example/book"),
        ("host_name", "Dr. Adler"),
        ("host_timezone", "Europe/Berlin"),
        ("agent_name", "Reception"),
        ("timezone", "Europe/Berlin"),
        ("records_calls", "true"),
    ] {
        assert_eq!(variables[name], value, "{name}");
    }
    // The agent's date on its wall clock (the seeded agent is in Berlin), read at the answer.
    let today = variables["today"].as_str().unwrap();
    assert!(today == before || today == after, "{today}");

    let result = seen.recv().await.expect("the tool's result");
    assert_eq!(result["tool_call_id"], "consent_1");
    assert_eq!(result["is_error"], false, "{result}");
    assert_eq!(result["result"], r#"{"recorded":true,"consented":true}"#);

    let call = store
        .call_by_sid(&report.call_sid)
        .await
        .unwrap()
        .expect("the call's record");
    assert_eq!(call.record_consent, Some(true));
    let key = Keys::new(store.clone())
        .issue(Some(&account.id), "tests")
        .await
        .unwrap()
        .secret;
    let shown: Value = reqwest::Client::new()
        .get(bridge.url(&format!("/api/v1/calls/{}", call.id)))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["call"]["record_consent"], true, "{shown}");
    let consent = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|event| event["kind"] == "record_consent")
        .unwrap_or_else(|| panic!("a record_consent entry: {shown}"));
    assert_eq!(consent["detail"], json!({"consented": true}));
}
