//! How the driver ties the two sockets' lives together, against a hand-written agent whose
//! every move the test controls: Twilio's `stop` closes the agent's socket, and an agent
//! that fails mid-call ends Twilio's stream so the caller hears the fallback.

#[path = "support/bridge.rs"]
mod bridge;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::IntoResponse;
use axum::routing::get;
use bridge::TestBridge;
use switchboard::sim::caller::{CallerConfig, place_call};
use switchboard::wire::elevenlabs::{AgentMessage, InitiationMetadata};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, mpsc};

/// What the hand-written agent does once a conversation opens.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Announce formats, then wait for the client to close; report when it does.
    WaitForClose,
    /// Announce formats, then close with 1011 after a moment.
    FailAfter(Duration),
}

async fn agent(behaviour: Behaviour) -> (String, mpsc::UnboundedReceiver<&'static str>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    let tx = Arc::new(Mutex::new(tx));
    let app = Router::new()
        .route(
            "/v1/convai/conversation/get-signed-url",
            get(move || async move {
                axum::Json(serde_json::json!({"signed_url": format!("ws://{addr}/v1/convai/conversation?agent_id=a")}))
            }),
        )
        .route(
            "/v1/convai/conversation",
            get(move |ws: WebSocketUpgrade| async move {
                ws.on_upgrade(move |socket| converse(socket, behaviour, tx)).into_response()
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), rx)
}

async fn converse(
    mut socket: WebSocket,
    behaviour: Behaviour,
    events: Arc<Mutex<mpsc::UnboundedSender<&'static str>>>,
) {
    let metadata = AgentMessage::ConversationInitiationMetadata {
        conversation_initiation_metadata_event: InitiationMetadata {
            conversation_id: "conv_driver".into(),
            agent_output_audio_format: "ulaw_8000".into(),
            user_input_audio_format: "ulaw_8000".into(),
        },
    };
    socket
        .send(Message::Text(metadata.to_json().into()))
        .await
        .unwrap();
    match behaviour {
        Behaviour::WaitForClose => {
            while let Some(Ok(message)) = socket.recv().await {
                if matches!(message, Message::Close(_)) {
                    break;
                }
            }
            let _ = events.lock().await.send("closed by the bridge");
        }
        Behaviour::FailAfter(after) => {
            tokio::time::sleep(after).await;
            let close = CloseFrame {
                code: 1011,
                reason: "internal error".into(),
            };
            let _ = socket.send(Message::Close(Some(close))).await;
            let _ = events.lock().await.send("failed");
        }
    }
}

#[tokio::test]
async fn twilio_stop_closes_the_agent_socket() {
    let (agent_url, mut events) = agent(Behaviour::WaitForClose).await;
    let bridge = TestBridge::start(&agent_url).await;
    let mut config = CallerConfig::new(bridge.url("/twilio/voice"), &bridge.auth_token, bridge.number());
    config.agent_speaks_first = false;
    config.linger = Duration::from_millis(400);
    let report = place_call(&config, None).await.unwrap();
    assert!(!report.ended_by_bridge, "the caller hung up (Twilio stop)");
    let event = tokio::time::timeout(Duration::from_secs(2), events.recv())
        .await
        .expect("the agent saw the close");
    assert_eq!(event, Some("closed by the bridge"));
    for _ in 0..50 {
        if bridge
            .server
            .state
            .metrics
            .active_calls
            .load(std::sync::atomic::Ordering::Relaxed)
            == 0
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the call is still counted as active");
}

#[tokio::test]
async fn an_agent_failing_mid_call_ends_the_stream_into_the_fallback() {
    let (agent_url, _events) = agent(Behaviour::FailAfter(Duration::from_millis(500))).await;
    let bridge = TestBridge::start(&agent_url).await;
    let mut config = CallerConfig::new(bridge.url("/twilio/voice"), &bridge.auth_token, bridge.number());
    config.agent_speaks_first = false;
    config.max_duration = Duration::from_secs(10);
    let report = place_call(&config, None).await.unwrap();
    assert!(report.ended_by_bridge, "the bridge ended the stream");
    assert!(
        report.duration < Duration::from_secs(3),
        "ended promptly: {:?}",
        report.duration
    );
    let action = report.action.expect("Twilio asked the connect action");
    assert!(
        action.contains("<Say>") && action.contains("<Record"),
        "the fallback: {action}"
    );
    let metrics = bridge.server.state.metrics.render();
    assert!(
        metrics.contains("switchboard_calls_ended_total{reason=\"upstream_failed\"} 1"),
        "{metrics}"
    );
}
