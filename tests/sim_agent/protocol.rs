//! The conversation socket's protocol, mode aside: metadata, pings, what it accepts and what
//! it refuses.

use std::time::Duration;

use serde_json::json;
use switchboard::audio::AudioFormat;
use switchboard::sim::agent::{SimAgentConfig, SimMode};

use super::client::{Client, Sim, echo_config, http_client};

#[tokio::test]
async fn metadata_comes_first_and_once_even_when_audio_comes_first() {
    let sim = Sim::start(SimAgentConfig {
        output_format: AudioFormat::Pcm { rate: 16000 },
        ..echo_config()
    })
    .await;
    let mut client = Client::connect(&sim.public_url("agent_1")).await;
    // Audio before the initiation data, as the Python SDK may send it.
    client.send_audio(&[0xFF; 160]).await;
    client.send_audio(&[0xFF; 160]).await;
    client
        .send_json(json!({"type": "conversation_initiation_client_data", "dynamic_variables": {"caller_number": "+1555"}}))
        .await;
    client.send_audio(&[0xFF; 160]).await;
    let first = client.next().await;
    assert_eq!(first.kind(), "conversation_initiation_metadata");
    let event = &first.json()["conversation_initiation_metadata_event"];
    assert!(event["conversation_id"].as_str().unwrap().starts_with("conv_"));
    assert_eq!(event["user_input_audio_format"], "ulaw_8000");
    assert_eq!(event["agent_output_audio_format"], "pcm_16000");
    let rest = client.collect_for(Duration::from_millis(300)).await;
    assert_eq!(rest.len(), 3, "{rest:?}");
    assert!(rest.iter().all(|m| m.kind() == "audio"), "{rest:?}");

    // Each conversation gets its own id.
    let mut other = Client::connect(&sim.public_url("agent_1")).await;
    let second = other.next_of("conversation_initiation_metadata").await;
    assert_ne!(
        second["conversation_initiation_metadata_event"]["conversation_id"],
        event["conversation_id"]
    );
}

#[tokio::test]
async fn script_mode_greets_right_after_the_metadata() {
    let sim = Sim::start(SimAgentConfig::default()).await;
    let mut client = Client::connect(&sim.public_url("agent_1")).await;
    assert_eq!(client.next().await.kind(), "conversation_initiation_metadata");
    let greeting = client.next_of("agent_response").await;
    assert_eq!(greeting["agent_response_event"]["event_id"], 1);
    let audio = client.next().await;
    assert_eq!(audio.kind(), "audio");
    assert_eq!(audio.json()["audio_event"]["event_id"], 1);
}

#[tokio::test]
async fn pings_carry_increasing_ids_and_the_measured_round_trip() {
    let sim = Sim::start(SimAgentConfig {
        ping_interval: Some(Duration::from_millis(100)),
        ..echo_config()
    })
    .await;
    let mut client = Client::connect(&sim.public_url("agent_1")).await;
    let first = client.next_of("ping").await;
    assert_eq!(first["ping_event"]["event_id"], 1);
    assert!(first["ping_event"]["ping_ms"].is_null(), "{first}");
    // Not answered: the next ping still knows no round trip.
    let second = client.next_of("ping").await;
    assert_eq!(second["ping_event"]["event_id"], 2);
    assert!(second["ping_event"]["ping_ms"].is_null(), "{second}");
    client.send_json(json!({"type": "pong", "event_id": 2})).await;
    let third = client.next_of("ping").await;
    assert_eq!(third["ping_event"]["event_id"], 3);
    let rtt = third["ping_event"]["ping_ms"]
        .as_u64()
        .expect("a measured round trip");
    assert!((1..1000).contains(&rtt), "{rtt}");
}

#[tokio::test]
async fn every_client_message_type_is_accepted_and_unknown_ones_are_ignored() {
    let sim = Sim::start(echo_config()).await;
    let mut client = Client::connect(&sim.public_url("agent_1")).await;
    client.next_of("conversation_initiation_metadata").await;
    for message in [
        json!({"type": "conversation_initiation_client_data", "conversation_config_override": {}, "custom_llm_extra_body": {}, "dynamic_variables": {}, "source_info": {"source": "python_sdk", "version": "2.78.0"}}),
        json!({"type": "conversation_initiation_client_data"}),
        json!({"type": "pong", "event_id": 99}),
        json!({"type": "client_tool_result", "tool_call_id": "nope", "result": "x", "is_error": false}),
        json!({"type": "contextual_update", "text": "The caller is in a hurry."}),
        json!({"type": "user_message", "text": "hello"}),
        json!({"type": "user_activity"}),
        json!({"type": "feedback", "event_id": 1, "score": "like"}),
        json!({"type": "mcp_tool_approval_result", "tool_call_id": "t", "is_approved": true}),
        json!({"type": "multimodal_message", "text": {"type": "user_message", "text": "see"}, "file": {"type": "file_input", "file_id": "f"}}),
        json!({"type": "enclave_setup_config", "agent_config_dict": null}),
        json!({"type": "something_new", "x": [1, 2]}),
    ] {
        client.send_json(message).await;
    }
    client.send_audio(&[7; 160]).await;
    let answer = client.next().await;
    assert_eq!(answer.kind(), "audio", "the conversation must go on: {answer:?}");
}

#[tokio::test]
async fn malformed_frames_get_an_error_event_and_a_1008_close() {
    let sim = Sim::start(echo_config()).await;
    let bad_texts = [
        "not json",
        r#"{"type": "pong"}"#,
        r#"{"user_audio_chunk": "%%% not base64"}"#,
        r#"{"type": "user_message", "text": 5}"#,
        "42",
    ];
    for bad in bad_texts {
        let mut client = Client::connect(&sim.public_url("agent_1")).await;
        client.next_of("conversation_initiation_metadata").await;
        client.send_text(bad).await;
        let error = client.expect_refusal(1008, "invalid_message").await;
        assert_eq!(
            error["error_event"]["message"], "Invalid message received",
            "{bad}"
        );
        assert!(error["error_event"]["debug_message"].is_string(), "{error}");
    }
    let mut client = Client::connect(&sim.public_url("agent_1")).await;
    client.next_of("conversation_initiation_metadata").await;
    client.send_binary(vec![0xFF; 160]).await;
    client.expect_refusal(1008, "invalid_message").await;
}

#[tokio::test]
async fn a_conversation_past_its_maximum_duration_is_closed_normally() {
    let sim = Sim::start(SimAgentConfig {
        mode: SimMode::Script,
        max_duration: Some(Duration::from_millis(300)),
        ..SimAgentConfig::default()
    })
    .await;
    let mut client = Client::connect(&sim.public_url("agent_1")).await;
    let error = client.expect_refusal(1000, "max_duration_exceeded").await;
    assert!(
        error["error_event"]["message"]
            .as_str()
            .unwrap()
            .contains("maximum duration")
    );
}

#[tokio::test]
async fn other_paths_answer_not_found_in_the_apis_shape() {
    let sim = Sim::start(echo_config()).await;
    let response = http_client()
        .get(sim.http("/v1/convai/knowledge-base"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        json!({"detail": "Not Found"})
    );
    let response = http_client()
        .put(sim.http("/v1/convai/agents/agent_1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        json!({"detail": "Method Not Allowed"})
    );
    // A plain GET of the socket path is not an upgrade.
    let response = http_client()
        .get(sim.http("/v1/convai/conversation?agent_id=a"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
}

#[test]
fn a_server_that_could_not_hold_a_conversation_does_not_start() {
    use switchboard::audio::FixtureDir;
    use switchboard::sim::agent::{SimAgentError, router};
    let odd_rate = SimAgentConfig {
        input_format: AudioFormat::Pcm { rate: 11025 },
        ..echo_config()
    };
    assert!(matches!(router(odd_rate), Err(SimAgentError::Formats { .. })));
    let empty = tempfile::tempdir().unwrap();
    let no_voice = SimAgentConfig {
        fixtures: FixtureDir::new(empty.path()),
        ..SimAgentConfig::default()
    };
    let err = router(no_voice).unwrap_err();
    assert!(matches!(err, SimAgentError::Voice { .. }), "{err}");
    assert!(err.to_string().contains("greeting"), "{err}");
}
