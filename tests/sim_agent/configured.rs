//! Conversations with agents made over the REST API: their formats, first message, client
//! tools and overrides, where agents the sim does not hold keep the sim's own settings.

use serde_json::{Value, json};
use switchboard::audio::{AudioFormat, FixtureDir};
use switchboard::sim::agent::{AGENT_SENTENCES, CALLER_SCRIPT, ScriptTiming, SimAgentConfig};

use super::caller::{Caller, OnEndCall, booking_tools};
use super::client::{Client, Sim, echo_config};

const NOW: i64 = 1_780_000_000;

fn sentence(clip: &str) -> &'static str {
    AGENT_SENTENCES.iter().find(|(name, _)| *name == clip).unwrap().1
}

/// A script-mode sim in μ-law both ways, sending turns whole.
fn fast_ulaw() -> SimAgentConfig {
    SimAgentConfig {
        script: ScriptTiming {
            send_speedup: f64::INFINITY,
            ..ScriptTiming::default()
        },
        ..SimAgentConfig::default()
    }
}

fn client_tool(sim: &Sim, name: &str) -> String {
    let body = json!({"tool_config": {"type": "client", "name": name, "description": name,
        "expects_response": true}});
    sim.agent.workspace().create_tool(&body, NOW).unwrap().id
}

fn create_agent(sim: &Sim, body: Value) -> String {
    sim.agent.workspace().create_agent(&body, NOW).unwrap()
}

#[tokio::test]
async fn a_conversation_runs_with_its_agents_formats_first_message_and_tools() {
    let sim = Sim::start(fast_ulaw()).await;
    let attached: Vec<String> = ["list_event_types", "get_available_slots", "end_call"]
        .iter()
        .map(|name| client_tool(&sim, name))
        .collect();
    // In the workspace, but not attached to the agent: the agent books nothing.
    client_tool(&sim, "create_booking");
    let agent_id = create_agent(
        &sim,
        json!({"conversation_config": {
            "asr": {"user_input_audio_format": "pcm_16000"},
            "tts": {"agent_output_audio_format": "pcm_24000"},
            "agent": {"first_message": "Thanks for calling {{business_name}}!",
                "prompt": {"tool_ids": attached}}}}),
    );
    let (input, output) = (AudioFormat::Pcm { rate: 16000 }, AudioFormat::Pcm { rate: 24000 });

    let mut client = Client::connect(&sim.public_url(&agent_id)).await;
    let metadata = client.next_of("conversation_initiation_metadata").await;
    let event = &metadata["conversation_initiation_metadata_event"];
    assert_eq!(event["user_input_audio_format"], "pcm_16000");
    assert_eq!(event["agent_output_audio_format"], "pcm_24000");
    let caller = Caller {
        input,
        output,
        ..Caller::fast(booking_tools, OnEndCall::HangUp)
    };
    let t = caller.converse(&mut client).await;

    let wrap_up = format!("{} {}", sentence("no_openings"), sentence("anything_else"));
    assert_eq!(
        t.agent_texts(),
        [
            "Thanks for calling Harbor Dental!",
            sentence("checking"),
            "The next opening is tomorrow at 9:30 AM. Shall I book that for you?",
            sentence("ask_name"),
            wrap_up.as_str(),
            sentence("goodbye"),
        ]
    );
    let names: Vec<&str> = t.tools().iter().map(|(name, _)| *name).collect();
    assert_eq!(names, ["list_event_types", "get_available_slots", "end_call"]);
    assert_eq!(
        t.caller_texts(),
        CALLER_SCRIPT.iter().map(|(_, text)| *text).collect::<Vec<_>>()
    );
    // The greeting came in the agent's output format: as long as its recording.
    let greeting_ms =
        AudioFormat::Ulaw8000.bytes_to_ms(FixtureDir::bundled().agent("greeting").unwrap().len());
    let first = t.audio_order[0];
    assert!(
        output.bytes_to_ms(t.audio[&first]).abs_diff(greeting_ms) <= 1,
        "{t:#?}"
    );

    // An agent id the workspace does not hold keeps the sim's own formats.
    let mut other = Client::connect(&sim.public_url("agent_elsewhere")).await;
    let metadata = other.next_of("conversation_initiation_metadata").await;
    let event = &metadata["conversation_initiation_metadata_event"];
    assert_eq!(event["user_input_audio_format"], "ulaw_8000");
    assert_eq!(event["agent_output_audio_format"], "ulaw_8000");
}

#[tokio::test]
async fn an_override_the_agent_does_not_enable_closes_the_socket_with_1008() {
    let sim = Sim::start(fast_ulaw()).await;
    let agent_id = create_agent(
        &sim,
        json!({"conversation_config": {"agent": {"first_message": "Hi"},
                "language_presets": {"es": {"overrides": {},
                    "first_message_translation": {"source_hash": "h", "text": "Hola"}}}},
            "platform_settings": {"overrides": {"conversation_config_override":
                {"agent": {"first_message": true}}}}}),
    );
    let initiation = |overrides: Value| {
        json!({"type": "conversation_initiation_client_data",
            "conversation_config_override": overrides,
            "dynamic_variables": {"caller_name": "Jane"}})
    };

    let mut refused = Client::connect(&sim.public_url(&agent_id)).await;
    refused.next_of("conversation_initiation_metadata").await;
    refused
        .send_json(initiation(
            json!({"agent": {"first_message": "Hello", "language": "es"}}),
        ))
        .await;
    let error = refused.expect_refusal(1008, "override_error").await;
    let message = error["error_event"]["message"].as_str().unwrap();
    assert!(message.contains("agent.language"), "{error}");

    // The enabled override is used, with the client's variables.
    let mut allowed = Client::connect(&sim.public_url(&agent_id)).await;
    allowed
        .send_json(initiation(
            json!({"agent": {"first_message": "Hello {{caller_name}}"}}),
        ))
        .await;
    let response = allowed.next_of("agent_response").await;
    assert_eq!(response["agent_response_event"]["agent_response"], "Hello Jane");

    // Enabling the language too, by a PATCH: the Spanish preset's greeting is said.
    let patch = json!({"platform_settings": {"overrides": {"conversation_config_override":
        {"agent": {"language": true}}}}});
    let record = sim
        .agent
        .workspace()
        .update_agent(&agent_id, &patch, NOW)
        .unwrap();
    let flags = &record
        .platform_settings
        .overrides
        .conversation_config_override
        .agent;
    assert!(flags.first_message && flags.language, "the flags merged");
    let mut spanish = Client::connect(&sim.public_url(&agent_id)).await;
    spanish
        .send_json(initiation(json!({"agent": {"language": "es"}})))
        .await;
    let response = spanish.next_of("agent_response").await;
    assert_eq!(response["agent_response_event"]["agent_response"], "Hola");

    // An agent the sim does not hold takes any override, and greets as it always has.
    let mut elsewhere = Client::connect(&sim.public_url("agent_elsewhere")).await;
    elsewhere
        .send_json(initiation(json!({"tts": {"voice_id": "v"}})))
        .await;
    let response = elsewhere.next_of("agent_response").await;
    assert_eq!(
        response["agent_response_event"]["agent_response"],
        sentence("greeting")
    );
    let audio = elsewhere.next_of("audio").await;
    assert!(audio["audio_event"]["event_id"].as_u64().is_some());
}

#[tokio::test]
async fn an_enabled_maximum_duration_override_shortens_the_conversation() {
    let sim = Sim::start(echo_config()).await;
    let agent_id = create_agent(
        &sim,
        json!({"conversation_config": {"conversation": {"max_duration_seconds": 600},
                "tts": {"agent_output_audio_format": "ulaw_8000"}},
            "platform_settings": {"overrides": {"conversation_config_override":
                {"conversation": {"max_duration_seconds": true}}}}}),
    );
    let mut client = Client::connect(&sim.public_url(&agent_id)).await;
    client
        .send_json(json!({"type": "conversation_initiation_client_data",
            "conversation_config_override": {"conversation": {"max_duration_seconds": 1}}}))
        .await;
    // Echo mode answers in the agent's formats: pcm_16000 (its default) in, μ-law out.
    client.send_audio(&[0; 640]).await;
    let audio = client.next_of("audio").await;
    let bytes = super::client::unb64(audio["audio_event"]["audio_base_64"].as_str().unwrap());
    // At most 20 ms of μ-law (the resampler holds some back at first); the sim's own μ-law
    // formats would have echoed all 640 bytes.
    assert!((1..=160).contains(&bytes.len()), "{} bytes", bytes.len());
    client.expect_refusal(1000, "max_duration_exceeded").await;
}
