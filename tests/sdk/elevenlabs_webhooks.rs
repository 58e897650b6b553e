//! The independent check of the ElevenLabs stand-in's post-call webhooks: a delivery captured
//! from `switchboard sim agent` is handed to the official Python SDK's
//! `webhooks.construct_event` (`tests/python/webhook_check.py verify`), which accepts it as
//! delivered and refuses it tampered, under another secret and 31 minutes late.

use std::time::Duration;

use axum::http::HeaderMap;
use futures::SinkExt;
use serde_json::{Value, json};
use switchboard::sim::agent::{SimAgent, SimAgentConfig, SimMode};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// Runs `tests/python/webhook_check.py <command>` with `request` on stdin; its JSON answer.
pub async fn webhook_check(python: &crate::python::Python, command: &str, request: &Value) -> Value {
    use tokio::io::AsyncWriteExt;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/webhook_check.py");
    let mut child = python
        .tokio_command()
        .arg(script)
        .arg(command)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(request.to_string().as_bytes()).await.unwrap();
    drop(stdin);
    let output = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("the SDK script did not finish in two minutes")
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the SDK script failed:\n{stderr}\n{stdout}"
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("no answer ({e}):\n{stdout}\n{stderr}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_accepts_the_stand_ins_delivery_and_refuses_it_tampered_or_stale() {
    let Some(python) = crate::python::python_with_elevenlabs("the_sdk_accepts_the_stand_ins_delivery") else {
        return;
    };
    // The receiver: keeps each delivery's signature header and raw body.
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let webhook_url = format!("http://{}/hooks/elevenlabs", receiver.local_addr().unwrap());
    let (deliveries, mut delivered) = mpsc::unbounded_channel::<(Option<String>, String)>();
    let app = axum::Router::new().route(
        "/hooks/elevenlabs",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let signature = headers
                .get("elevenlabs-signature")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let _ = deliveries.send((signature, body));
            async { "ok" }
        }),
    );
    let receiving = tokio::spawn(async move { axum::serve(receiver, app).await.unwrap() });

    let sim = SimAgent::new(SimAgentConfig {
        mode: SimMode::Echo,
        ..SimAgentConfig::default()
    })
    .unwrap();
    let workspace = sim.workspace();
    let webhook = workspace
        .webhooks()
        .create(
            &json!({"settings": {"auth_type": "hmac", "name": "calls", "webhook_url": webhook_url}}),
            1_790_000_000,
        )
        .unwrap();
    let agent_id = workspace
        .create_agent(
            &json!({"conversation_config": {}, "platform_settings": {"workspace_overrides": {"webhooks":
                {"post_call_webhook_id": webhook.webhook_id, "events": ["transcript"]}}}}),
            1_790_000_000,
        )
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let serving = tokio::spawn(sim.clone().serve(listener));

    // A short conversation: the client opens, says who it is, and hangs up.
    let url = format!("ws://{addr}/v1/convai/conversation?agent_id={agent_id}");
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let initiation = json!({"type": "conversation_initiation_client_data", "user_id": "call-7",
        "dynamic_variables": {"caller_number": "+15551230000"}});
    socket.send(Message::text(initiation.to_string())).await.unwrap();
    socket.close(None).await.unwrap();

    let (signature, body) = tokio::time::timeout(Duration::from_secs(30), delivered.recv())
        .await
        .expect("the stand-in delivers the conversation's event")
        .unwrap();
    let request = json!({"body": body, "header": signature.expect("signed"), "secret": webhook.secret});
    let checked = webhook_check(&python, "verify", &request).await;
    println!("{checked:#}");
    assert_eq!(checked["accepted"]["type"], "post_call_transcription");
    assert_eq!(checked["accepted"]["status"], "done");
    assert!(
        checked["accepted"]["conversation_id"]
            .as_str()
            .unwrap()
            .starts_with("conv_")
    );
    let mismatch = "Signature hash does not match the expected signature hash for payload";
    assert_eq!(checked["tampered"], mismatch);
    assert_eq!(checked["wrong_secret"], mismatch);
    assert_eq!(checked["stale"], "Timestamp outside the tolerance zone");
    serving.abort();
    receiving.abort();
}
