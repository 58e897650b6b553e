//! Pre-warmed agent connections against a hand-written agent that reports what it sees:
//! nothing the agent says before the claim is lost or reordered, an unclaimed connection is
//! closed when its time is up, a failed one reports its error to the claimer, and stopping the
//! holders' group closes what they hold.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use futures::StreamExt;
use switchboard::shutdown::Shutdown;
use switchboard::upstream::{ElevenLabsClient, Held, Prewarm};
use switchboard::wire::elevenlabs::InitiationClientData;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::support::{PATIENCE, hand_written_agent};

/// What the agent sends as soon as a conversation opens.
fn greeting() -> Vec<String> {
    (0..6)
        .map(|n| format!(r#"{{"type":"greeting","n":{n}}}"#))
        .collect()
}

/// An agent that, once a client's conversation has opened (its first message, the initiation
/// data, arrived), reports it and sends [`greeting`]; then reports when the client closes or
/// drops the connection.
async fn agent() -> (String, mpsc::UnboundedReceiver<&'static str>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    (
        hand_written_agent(listener, move |socket| converse(socket, tx.clone())),
        rx,
    )
}

async fn converse(mut socket: WebSocket, seen: mpsc::UnboundedSender<&'static str>) {
    if !matches!(socket.recv().await, Some(Ok(Message::Text(_)))) {
        let _ = seen.send("dropped");
        return;
    }
    let _ = seen.send("opened");
    for text in greeting() {
        if socket.send(Message::Text(text.into())).await.is_err() {
            return;
        }
    }
    while let Some(Ok(message)) = socket.recv().await {
        if matches!(message, Message::Close(_)) {
            let _ = seen.send("closed");
            return;
        }
    }
    let _ = seen.send("dropped");
}

fn open(prewarm: &Prewarm, base: &str, key: &str, ttl: Duration) {
    let client = ElevenLabsClient::new(base, Some("xi-key".into()), Duration::from_secs(5));
    prewarm.open(
        key.into(),
        async move { client.connect("agent_x", &InitiationClientData::default()).await },
        ttl,
    );
}

fn text(message: &WsMessage) -> String {
    match message {
        WsMessage::Text(text) => text.to_string(),
        other => panic!("expected text, got {other:?}"),
    }
}

#[tokio::test]
async fn whatever_the_agent_says_before_the_claim_is_handed_over_in_order() {
    let (base, _seen) = agent().await;
    let prewarm = Prewarm::default();
    open(&prewarm, &base, "call-1", Duration::from_secs(60));
    assert_eq!(prewarm.waiting(), 1);
    let mut warm = tokio::time::timeout(PATIENCE, prewarm.claim("call-1"))
        .await
        .expect("claimed")
        .expect("held")
        .expect("connected");
    assert_eq!(prewarm.waiting(), 0);
    // However much the holder read before the claim, the held messages and then the socket
    // give exactly what the agent sent, in order.
    let mut received: Vec<String> = warm
        .held
        .iter()
        .map(|held| match held {
            Held::Message(message, _) => text(message),
            other => panic!("{other:?}"),
        })
        .collect();
    while received.len() < greeting().len() {
        let next = tokio::time::timeout(PATIENCE, warm.socket.next())
            .await
            .expect("the rest of the greeting")
            .unwrap()
            .unwrap();
        received.push(text(&next));
    }
    assert_eq!(received, greeting());
    assert!(
        prewarm.claim("call-1").await.is_none(),
        "a connection is claimed once"
    );
}

#[tokio::test]
async fn an_unclaimed_connection_is_closed_when_its_time_is_up() {
    let (base, mut seen) = agent().await;
    let prewarm = Prewarm::default();
    // Long enough that the connection is certainly up before its time ends, on a busy machine.
    open(&prewarm, &base, "call-2", Duration::from_secs(5));
    let mut next = async || {
        tokio::time::timeout(PATIENCE, seen.recv())
            .await
            .expect("the agent saw it")
    };
    assert_eq!(next().await, Some("opened"));
    assert_eq!(next().await, Some("closed"), "a close, not a dropped connection");
    // It left the registry before it closed.
    assert_eq!(prewarm.waiting(), 0);
    assert!(prewarm.claim("call-2").await.is_none());
}

#[tokio::test]
async fn a_failed_connection_reports_its_error_to_the_claimer() {
    let prewarm = Prewarm::default();
    open(&prewarm, "http://127.0.0.1:9", "call-3", Duration::from_secs(60));
    let claimed = tokio::time::timeout(PATIENCE, prewarm.claim("call-3"))
        .await
        .expect("an answer")
        .expect("held");
    assert!(claimed.is_err());
}

#[tokio::test]
async fn a_claim_before_the_connection_is_ready_waits_for_it() {
    let (base, _seen) = agent().await;
    let prewarm = Prewarm::default();
    open(&prewarm, &base, "call-4", Duration::from_secs(60));
    let warm = tokio::time::timeout(PATIENCE, prewarm.claim("call-4"))
        .await
        .expect("claimed")
        .expect("held")
        .expect("connected");
    assert!(warm.connect_time > Duration::ZERO);
}

#[tokio::test]
async fn stopping_the_holders_group_drops_what_they_hold() {
    let (base, _seen) = agent().await;
    let tasks = Shutdown::new();
    let prewarm = Prewarm::new(tasks.clone());
    open(&prewarm, &base, "call-5", Duration::from_secs(60));
    tasks.stop();
    tokio::time::timeout(PATIENCE, tasks.finished())
        .await
        .expect("the holder finished");
    assert_eq!(prewarm.waiting(), 0);
    assert!(prewarm.claim("call-5").await.is_none());
}
