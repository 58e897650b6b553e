//! Signed URLs and API keys: a private agent is reached only through a fresh signature.

use std::time::Duration;

use serde_json::{Value, json};
use switchboard::sim::agent::SimAgentConfig;

use super::client::{Client, Sim, echo_config, http_client};

const KEY: &str = "sk_test_0123456789";

fn private() -> SimAgentConfig {
    SimAgentConfig {
        api_key: Some(KEY.into()),
        ..echo_config()
    }
}

async fn signed_url(sim: &Sim, path: &str, agent_id: &str) -> String {
    let response = http_client()
        .get(sim.http(&format!("/v1/convai/conversation/{path}?agent_id={agent_id}")))
        .header("xi-api-key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["signed_url"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_signed_url_opens_one_conversation_and_only_one() {
    let sim = Sim::start(private()).await;
    let url = signed_url(&sim, "get-signed-url", "agent_1").await;
    let prefix = format!(
        "ws://{}/v1/convai/conversation?agent_id=agent_1&conversation_signature=",
        sim.addr
    );
    assert!(url.starts_with(&prefix), "{url}");
    // The Python SDK appends its own parameters to whatever it was given.
    let with_sdk_params = format!("{url}&source=python_sdk&version=2.78.0");
    let mut client = Client::connect(&with_sdk_params).await;
    client.next_of("conversation_initiation_metadata").await;
    client.send_audio(&[1; 160]).await;
    assert_eq!(client.next().await.kind(), "audio");

    let mut again = Client::connect(&url).await;
    let error = again.expect_refusal(1008, "http_exception").await;
    assert!(
        error["error_event"]["message"]
            .as_str()
            .unwrap()
            .contains("already used"),
        "{error}"
    );
}

#[tokio::test]
async fn forged_misdirected_and_expired_signatures_are_refused() {
    let sim = Sim::start(SimAgentConfig {
        signed_url_ttl: Duration::from_millis(200),
        ..private()
    })
    .await;
    let forged = format!(
        "ws://{}/v1/convai/conversation?agent_id=agent_1&conversation_signature=7Kda3xYWtZDeRCZaUZKa",
        sim.addr
    );
    Client::connect(&forged)
        .await
        .expect_refusal(1008, "http_exception")
        .await;

    let for_other_agent = signed_url(&sim, "get-signed-url", "agent_2").await;
    let misdirected = for_other_agent.replace("agent_id=agent_2", "agent_id=agent_1");
    let error = Client::connect(&misdirected)
        .await
        .expect_refusal(1008, "http_exception")
        .await;
    assert!(
        error["error_event"]["message"]
            .as_str()
            .unwrap()
            .contains("another agent"),
        "{error}"
    );

    let late = signed_url(&sim, "get-signed-url", "agent_1").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let error = Client::connect(&late)
        .await
        .expect_refusal(1008, "http_exception")
        .await;
    assert!(
        error["error_event"]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{error}"
    );
}

#[tokio::test]
async fn a_private_agent_needs_a_signature_and_a_public_one_does_not() {
    let private = Sim::start(private()).await;
    let mut client = Client::connect(&private.public_url("agent_1")).await;
    client.expect_refusal(1008, "http_exception").await;

    let public = Sim::start(echo_config()).await;
    let mut client = Client::connect(&public.public_url("agent_1")).await;
    client.next_of("conversation_initiation_metadata").await;
    // Without agent_id there is no conversation, private or not.
    let no_agent = format!("ws://{}/v1/convai/conversation", public.addr);
    Client::connect(&no_agent)
        .await
        .expect_refusal(1008, "missing_fields")
        .await;
}

#[tokio::test]
async fn api_key_errors_have_elevenlabs_shapes() {
    let sim = Sim::start(private()).await;
    let url = sim.http("/v1/convai/conversation/get-signed-url?agent_id=agent_1");
    let wrong = http_client()
        .get(&url)
        .header("xi-api-key", "sk_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        wrong.json::<Value>().await.unwrap(),
        json!({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}})
    );
    let missing = http_client().get(&url).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["detail"]["status"],
        "needs_authorization"
    );

    let no_agent = http_client()
        .get(sim.http("/v1/convai/conversation/get-signed-url"))
        .header("xi-api-key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(no_agent.status(), 422);
    assert_eq!(
        no_agent.json::<Value>().await.unwrap()["detail"][0]["loc"],
        json!(["query", "agent_id"])
    );
}

#[tokio::test]
async fn the_deprecated_path_and_the_host_the_client_used_are_honoured() {
    let sim = Sim::start(private()).await;
    let url = signed_url(&sim, "get_signed_url", "agent 1/x").await;
    assert!(url.contains("agent_id=agent%201%2Fx&"), "{url}");
    let mut client = Client::connect(&url).await;
    client.next_of("conversation_initiation_metadata").await;

    let response = http_client()
        .get(sim.http("/v1/convai/conversation/get-signed-url?agent_id=a"))
        .header("xi-api-key", KEY)
        .header("host", "agents.example.test:8443")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    let url = body["signed_url"].as_str().unwrap();
    assert!(
        url.starts_with("wss://agents.example.test:8443/v1/convai/conversation?agent_id=a&"),
        "{url}"
    );
}

#[tokio::test]
async fn the_bridges_own_client_reaches_a_private_agent_and_is_refused_a_wrong_key() {
    use futures::StreamExt;
    use switchboard::upstream::{ElevenLabsClient, UpstreamError};
    use switchboard::wire::elevenlabs::{AgentMessage, InitiationClientData};

    let sim = Sim::start(private()).await;
    let base = sim.http("");
    let client = ElevenLabsClient::new(&base, Some(KEY.into()), Duration::from_secs(5));
    let init = InitiationClientData {
        dynamic_variables: serde_json::from_value(json!({"caller_number": "+15551230000"})).unwrap(),
        ..InitiationClientData::default()
    };
    let (mut socket, _) = client.connect("agent_1", &init).await.unwrap();
    let first = socket.next().await.unwrap().unwrap();
    let text = first.into_text().unwrap();
    assert!(matches!(
        AgentMessage::parse(text.as_str()).unwrap(),
        AgentMessage::ConversationInitiationMetadata { .. }
    ));

    let wrong = ElevenLabsClient::new(&base, Some("sk_wrong".into()), Duration::from_secs(5));
    assert!(matches!(
        wrong.connect("agent_1", &init).await,
        Err(UpstreamError::Unauthorized(401))
    ));
}
