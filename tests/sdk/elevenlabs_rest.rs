//! The independent check of the ElevenLabs REST stand-in: the official Python SDK's REST
//! client (`tests/python/sdk_provisioning.py`), pointed at `switchboard sim agent`, creates a
//! client tool and a μ-law agent using it, reads it back, updates, lists and deletes them.

use std::time::Duration;

use serde_json::{Value, json};
use switchboard::sim::agent::{SimAgent, SimAgentConfig, SimMode};

const API_KEY: &str = "sk_sim_rest_key";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_provisions_an_agent_with_a_tool_and_reads_back_what_it_sent() {
    let Some(python) = crate::python::python_with_elevenlabs("the_sdk_provisions_an_agent") else {
        return;
    };
    let sim = SimAgent::new(SimAgentConfig {
        mode: SimMode::Echo,
        api_key: Some(API_KEY.into()),
        ..SimAgentConfig::default()
    })
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(sim.clone().serve(listener));

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/sdk_provisioning.py");
    let output = python
        .tokio_command()
        .arg(script)
        .args(["--base-url", &format!("http://{addr}")])
        .args(["--api-key", API_KEY])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), output)
        .await
        .expect("the SDK script did not finish in two minutes")
        .expect("python runs");
    server.abort();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the SDK script failed:\n{stderr}\n{stdout}"
    );
    let summary: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("no summary ({e}):\n{stdout}\n{stderr}"));
    println!("{summary:#}");

    let tool_id = summary["tool"]["id"].as_str().unwrap();
    assert!(tool_id.starts_with("tool_"), "{summary:#}");
    assert_eq!(
        summary["tool"],
        json!({"id": tool_id, "type": "client", "name": "get_available_slots",
            "expects_response": true, "response_timeout_secs": 20,
            "required": ["event_type_slug"]})
    );

    let created = &summary["created"];
    let agent_id = created["agent_id"].as_str().unwrap();
    assert!(agent_id.starts_with("agent_"), "{summary:#}");
    assert_eq!(created["name"], "acme/front-desk");
    assert_eq!(created["tags"], json!(["switchboard", "tenant:acme"]));
    assert_eq!(created["input_format"], "ulaw_8000");
    assert_eq!(created["output_format"], "ulaw_8000");
    assert_eq!(created["voice_id"], "voice_1");
    assert_eq!(created["first_message"], "Thanks for calling {{business_name}}");
    assert_eq!(created["tool_ids"], json!([tool_id]));
    assert_eq!(created["first_message_override"], true);
    assert_eq!(created["language_override"], false, "a default filled in");
    assert_eq!(created["bursting_enabled"], false);
    assert_eq!(created["record_voice"], true, "a default filled in");
    assert_eq!(created["retention_days"], -1, "a default filled in");

    let updated = &summary["updated"];
    assert_eq!(updated["name"], "acme/front-desk-2");
    assert_eq!(updated["first_message"], "Hello again");
    assert_eq!(updated["tool_ids"], json!([]), "the array was replaced");
    assert_eq!(updated["prompt"], "You book appointments.", "siblings kept");
    assert_eq!(updated["input_format"], "ulaw_8000");
    assert_eq!(summary["read_after_update"], *updated);

    assert_eq!(
        summary["listed"],
        json!({"agent_ids": [agent_id], "has_more": false})
    );
    assert_eq!(summary["tools_listed"], json!([tool_id]));
    assert_eq!(summary["after_delete"]["status"], 404, "{summary:#}");
    assert_eq!(summary["tools_after_delete"], json!([]));
    assert_eq!(summary["bad_tool"]["status"], 422, "{summary:#}");
    assert_eq!(
        summary["bad_tool"]["body"]["detail"][0]["loc"],
        json!(["body", "conversation_config", "agent", "prompt", "tool_ids", 0])
    );
    println!("SDK {}: provisioning passed", python.version);
}
