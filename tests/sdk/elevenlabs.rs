//! The independent check that `switchboard sim agent` speaks the real protocol: the official
//! ElevenLabs Python SDK (`tests/python/sdk_conversation.py`) holds the booking conversation
//! with it in real time, once as a public agent and once through a signed URL.

use std::time::Duration;

use serde_json::Value;
use switchboard::audio::{AudioFormat, FixtureDir};
use switchboard::sim::agent::{AGENT_SENTENCES, CALLER_SCRIPT, SimAgentConfig, router};

const API_KEY: &str = "sk_sim_test_key";
const TIMEZONE: &str = "America/New_York";

fn sentence(clip: &str) -> &'static str {
    AGENT_SENTENCES.iter().find(|(name, _)| *name == clip).unwrap().1
}

fn caller_lines(count: usize) -> Vec<&'static str> {
    CALLER_SCRIPT.iter().take(count).map(|(_, text)| *text).collect()
}

struct Run {
    requires_auth: bool,
    tools: bool,
    input: AudioFormat,
    output: AudioFormat,
}

/// Starts a sim agent, runs the SDK script against it, and returns the script's summary.
async fn converse(python: &crate::python::Python, run: Run) -> Value {
    let config = SimAgentConfig {
        input_format: run.input,
        output_format: run.output,
        api_key: run.requires_auth.then(|| API_KEY.to_owned()),
        ping_interval: Some(Duration::from_secs(2)),
        ..SimAgentConfig::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(config).unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let today = jiff::Timestamp::now().in_tz(TIMEZONE).unwrap().date();
    let slot = today
        .tomorrow()
        .unwrap()
        .at(9, 30, 0, 0)
        .in_tz(TIMEZONE)
        .unwrap()
        .timestamp();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/sdk_conversation.py");
    let mut command = tokio::process::Command::from(python.command());
    command
        .arg(script)
        .args(["--base-url", &format!("http://{addr}")])
        .args(["--api-key", API_KEY])
        .args(["--input-format", &run.input.to_string()])
        .args(["--output-format", &run.output.to_string()])
        .args(["--fixtures", FixtureDir::bundled().root().to_str().unwrap()])
        .args(["--today", &today.to_string()])
        .args(["--slot-start", &slot.to_string()])
        .kill_on_drop(true);
    if run.requires_auth {
        command.arg("--requires-auth");
    }
    if run.tools {
        command.arg("--tools");
    }
    let output = tokio::time::timeout(Duration::from_secs(180), command.output())
        .await
        .expect("the SDK conversation did not finish in three minutes")
        .expect("python3 runs");
    server.abort();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the SDK script failed:\n{stderr}\n{stdout}"
    );
    let summary: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("the SDK script printed no summary ({e}):\n{stdout}\n{stderr}"));
    println!("{summary:#}");
    assert_eq!(summary["errors"], serde_json::json!([]), "{summary:#}");
    assert_eq!(summary["timed_out"], false, "{summary:#}");
    assert!(
        summary["conversation_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("conv_")),
        "no metadata: {summary:#}"
    );
    assert_eq!(summary["interruptions"], 0, "{summary:#}");
    summary
}

fn tool_names(summary: &Value) -> Vec<&str> {
    summary["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|call| call["name"].as_str().unwrap())
        .collect()
}

/// Bytes of the agent's audio for `clips`, in `format`.
fn clips_bytes(clips: &[&str], format: AudioFormat) -> u64 {
    let fixtures = FixtureDir::bundled();
    let ulaw: usize = clips.iter().map(|clip| fixtures.agent(clip).unwrap().len()).sum();
    ulaw as u64 * u64::from(format.bytes_per_second()) / 8000
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_talks_to_a_public_agent_that_ends_the_call_itself() {
    let Some(python) = crate::python::python_with_elevenlabs("the_sdk_talks_to_a_public_agent") else {
        return;
    };
    let summary = converse(
        &python,
        Run {
            requires_auth: false,
            tools: false,
            input: AudioFormat::Ulaw8000,
            output: AudioFormat::Ulaw8000,
        },
    )
    .await;
    let wrap_up = format!("{} {}", sentence("no_openings"), sentence("anything_else"));
    assert_eq!(
        summary["agent_responses"],
        serde_json::json!([
            sentence("greeting"),
            sentence("checking"),
            wrap_up,
            sentence("goodbye")
        ]),
        "{summary:#}"
    );
    assert_eq!(summary["user_transcripts"], serde_json::json!(caller_lines(3)));
    // The SDK has no handlers for the booking tools: it answers each with an error.
    assert!(summary["tool_calls"].as_array().unwrap().is_empty());
    let clips = ["greeting", "checking", "no_openings", "anything_else", "goodbye"];
    assert_eq!(summary["audio_bytes"], clips_bytes(&clips, AudioFormat::Ulaw8000));
    assert_eq!(summary["disconnect"]["reason"], "agent", "{summary:#}");
    assert_eq!(summary["disconnect"]["close_code"], 1000, "{summary:#}");
    assert!(
        !summary["latencies_ms"].as_array().unwrap().is_empty(),
        "no pings answered"
    );
    println!("SDK {}: public conversation passed", python.version);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_books_through_a_signed_url_with_its_own_tools() {
    let Some(python) = crate::python::python_with_elevenlabs("the_sdk_books_through_a_signed_url") else {
        return;
    };
    let pcm = AudioFormat::Pcm { rate: 16000 };
    let summary = converse(
        &python,
        Run {
            requires_auth: true,
            tools: true,
            input: pcm,
            output: pcm,
        },
    )
    .await;
    let confirmed = format!("{} {}", sentence("confirmed"), sentence("anything_else"));
    let offer = "The next opening is tomorrow at 9:30 AM. Shall I book that for you?";
    assert_eq!(
        summary["agent_responses"],
        serde_json::json!([
            sentence("greeting"),
            sentence("checking"),
            offer,
            sentence("ask_name"),
            confirmed,
            sentence("goodbye")
        ]),
        "{summary:#}"
    );
    assert_eq!(summary["user_transcripts"], serde_json::json!(caller_lines(5)));
    assert_eq!(
        tool_names(&summary),
        [
            "list_event_types",
            "get_available_slots",
            "create_booking",
            "end_call"
        ]
    );
    let calls = summary["tool_calls"].as_array().unwrap();
    assert_eq!(calls[1]["params"]["timezone"], TIMEZONE);
    assert_eq!(calls[1]["params"]["event_type_slug"], "cleaning");
    assert_eq!(calls[2]["params"]["invitee_name"], "Jane Doe");
    assert_eq!(calls[2]["params"]["invitee_phone"], "+15551230000");
    let audio = summary["audio_bytes"].as_u64().unwrap();
    let fixed = [
        "greeting",
        "checking",
        "ask_name",
        "confirmed",
        "anything_else",
        "goodbye",
    ];
    assert!(audio > clips_bytes(&fixed, pcm), "{audio} bytes of agent audio");
    // The SDK hung up after the goodbye, as the bridge would.
    assert_eq!(summary["disconnect"]["reason"], "user", "{summary:#}");
    println!("SDK {}: signed-URL conversation passed", python.version);
}
