//! Pre-warmed agent connections: what arrives before the claim is kept in order, an unclaimed
//! connection is closed when its time is up, a failed one reports its error to the claimer.

use std::time::Duration;

use switchboard::sim::agent::{SimAgentConfig, SimMode};
use switchboard::upstream::{ElevenLabsClient, Held, Prewarm};
use switchboard::wire::elevenlabs::{AgentMessage, InitiationClientData};
use tokio::net::TcpListener;

async fn script_agent() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let config = SimAgentConfig {
        mode: SimMode::Script,
        api_key: Some("xi-key".into()),
        ..SimAgentConfig::default()
    };
    tokio::spawn(switchboard::sim::agent::serve(listener, config));
    url
}

fn client(base: &str) -> ElevenLabsClient {
    ElevenLabsClient::new(base, Some("xi-key".into()), Duration::from_secs(5))
}

#[tokio::test]
async fn frames_before_the_claim_are_kept_in_order() {
    let base = script_agent().await;
    let prewarm = Prewarm::default();
    let c = client(&base);
    prewarm.open(
        "call-1".into(),
        async move { c.connect("agent_x", &InitiationClientData::default()).await },
        Duration::from_secs(10),
    );
    // The greeting is sent at once; give it time to arrive before the stream "starts".
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(prewarm.waiting(), 1);
    let warm = prewarm.claim("call-1").await.expect("held").expect("connected");
    assert_eq!(prewarm.waiting(), 0);
    let kinds: Vec<String> = warm
        .held
        .iter()
        .map(|h| match h {
            Held::Text(text) => AgentMessage::parse(text).unwrap().type_name().to_owned(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("conversation_initiation_metadata"),
        "{kinds:?}"
    );
    assert!(
        kinds.iter().filter(|k| *k == "audio").count() >= 2,
        "the greeting's audio was held: {kinds:?}"
    );
    assert!(
        prewarm.claim("call-1").await.is_none(),
        "a connection is claimed once"
    );
}

#[tokio::test]
async fn an_unclaimed_connection_is_closed_when_its_time_is_up() {
    let base = script_agent().await;
    let prewarm = Prewarm::default();
    let c = client(&base);
    prewarm.open(
        "call-2".into(),
        async move { c.connect("agent_x", &InitiationClientData::default()).await },
        Duration::from_millis(300),
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(prewarm.waiting(), 0);
    assert!(prewarm.claim("call-2").await.is_none());
}

#[tokio::test]
async fn a_failed_connection_reports_its_error_to_the_claimer() {
    let prewarm = Prewarm::default();
    let c = client("http://127.0.0.1:9");
    prewarm.open(
        "call-3".into(),
        async move { c.connect("agent_x", &InitiationClientData::default()).await },
        Duration::from_secs(10),
    );
    let claimed = prewarm.claim("call-3").await.expect("an answer");
    assert!(claimed.is_err());
}

#[tokio::test]
async fn a_claim_before_the_connection_is_ready_waits_for_it() {
    let base = script_agent().await;
    let prewarm = Prewarm::default();
    let c = client(&base);
    prewarm.open(
        "call-4".into(),
        async move { c.connect("agent_x", &InitiationClientData::default()).await },
        Duration::from_secs(10),
    );
    let warm = prewarm.claim("call-4").await.expect("held").expect("connected");
    assert!(warm.connect_time > Duration::ZERO);
}
