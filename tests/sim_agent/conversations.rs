//! `GET /v1/convai/conversations/{id}` and the listing, for conversations the sim hosted
//! over its WebSocket.

use std::time::Duration;

use serde_json::{Value, json};
use switchboard::audio::AudioFormat;
use switchboard::sim::agent::{CALLER_SCRIPT, ScriptTiming, SimAgentConfig};

use super::caller::{Caller, OnEndCall, booking_tools};
use super::client::{Client, Sim};
use super::rest::{KEY, call};

pub fn fast_private() -> SimAgentConfig {
    SimAgentConfig {
        api_key: Some(KEY.into()),
        script: ScriptTiming {
            send_speedup: f64::INFINITY,
            ..ScriptTiming::default()
        },
        ..SimAgentConfig::default()
    }
}

/// An agent with the booking tools but `create_booking` (so the whole call stays within the
/// scripted caller's audio budget), made over REST; its id.
pub async fn booking_agent(sim: &Sim, platform_settings: Value) -> String {
    let mut tool_ids = Vec::new();
    for name in ["list_event_types", "get_available_slots", "end_call"] {
        let body = json!({"tool_config": {"type": "client", "name": name, "description": name, "expects_response": true}});
        tool_ids.push(
            sim.agent
                .workspace()
                .create_tool(&body, 1_780_000_000)
                .unwrap()
                .id,
        );
    }
    let body = json!({"name": "Ava", "conversation_config": {
        "asr": {"user_input_audio_format": "pcm_16000"},
        "tts": {"agent_output_audio_format": "pcm_24000"},
        "agent": {"first_message": "Harbor Dental, this is Ava.",
        "prompt": {"tool_ids": tool_ids}}}, "platform_settings": platform_settings});
    let (status, made) = call(sim, "POST", "/v1/convai/agents/create", Some(body)).await;
    assert_eq!(status, 200, "{made}");
    made["agent_id"].as_str().unwrap().to_owned()
}

/// Holds a whole booking conversation through a signed URL; its conversation id.
pub async fn hold_conversation(sim: &Sim, agent_id: &str) -> String {
    let (status, signed) = call(
        sim,
        "GET",
        &format!("/v1/convai/conversation/get-signed-url?agent_id={agent_id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{signed}");
    let mut client = Client::connect(signed["signed_url"].as_str().unwrap()).await;
    let metadata = client.next_of("conversation_initiation_metadata").await;
    let conversation_id = metadata["conversation_initiation_metadata_event"]["conversation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let caller = Caller {
        input: AudioFormat::Pcm { rate: 16000 },
        output: AudioFormat::Pcm { rate: 24000 },
        ..Caller::fast(booking_tools, OnEndCall::HangUp)
    };
    caller.converse(&mut client).await;
    conversation_id
}

/// The conversation once the sim has closed its record.
pub async fn when_done(sim: &Sim, conversation_id: &str) -> Value {
    let path = format!("/v1/convai/conversations/{conversation_id}");
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let (status, body) = call(sim, "GET", &path, None).await;
            assert_eq!(status, 200, "{body}");
            if body["status"] == "done" {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the conversation is closed once its socket ends")
}

#[tokio::test]
async fn a_hosted_conversation_reads_back_with_its_transcript_tools_and_analysis() {
    let sim = Sim::start(fast_private()).await;
    let settings = json!({"evaluation": {"criteria": [{"id": "booked", "name": "Booked",
        "conversation_goal_prompt": "The caller booked"}]},
        "data_collection": {"caller_name": {"type": "string", "description": "The caller's name"}}});
    let agent_id = booking_agent(&sim, settings).await;
    let conversation_id = hold_conversation(&sim, &agent_id).await;
    let body = when_done(&sim, &conversation_id).await;

    assert_eq!(body["agent_id"], agent_id.as_str());
    assert_eq!(body["agent_name"], "Ava");
    assert_eq!(body["conversation_id"], conversation_id.as_str());
    assert_eq!(
        body["conversation_initiation_client_data"]["dynamic_variables"],
        super::caller::bridge_variables()
    );
    let transcript = body["transcript"].as_array().unwrap();
    let said = |role: &str| -> Vec<&str> {
        transcript
            .iter()
            .filter(|turn| turn["role"] == role)
            .filter_map(|turn| turn["message"].as_str())
            .collect()
    };
    assert_eq!(said("agent")[0], "Harbor Dental, this is Ava.");
    assert_eq!(
        said("user"),
        CALLER_SCRIPT.iter().map(|(_, text)| *text).collect::<Vec<_>>()
    );
    let calls: Vec<&str> = transcript
        .iter()
        .flat_map(|turn| turn["tool_calls"].as_array().unwrap())
        .map(|call| call["tool_name"].as_str().unwrap())
        .collect();
    assert_eq!(calls, ["list_event_types", "get_available_slots", "end_call"]);
    let results: Vec<&Value> = transcript
        .iter()
        .flat_map(|turn| turn["tool_results"].as_array().unwrap())
        .collect();
    assert!(
        results
            .iter()
            .any(|r| r["tool_name"] == "get_available_slots" && r["is_error"] == false),
        "{results:?}"
    );
    let times: Vec<i64> = transcript
        .iter()
        .map(|turn| turn["time_in_call_secs"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "{times:?}");
    let metadata = &body["metadata"];
    assert!(metadata["start_time_unix_secs"].as_i64().unwrap() > 1_700_000_000);
    assert!(metadata["call_duration_secs"].as_i64().unwrap() >= 0);
    let analysis = &body["analysis"];
    assert_eq!(analysis["call_successful"], "success");
    assert!(
        analysis["transcript_summary"]
            .as_str()
            .unwrap()
            .contains("get_available_slots"),
        "{analysis}"
    );
    assert!(analysis["call_summary_title"].is_string());
    assert_eq!(
        analysis["evaluation_criteria_results"]["booked"]["result"],
        "unknown"
    );
    assert!(analysis["data_collection_results"]["caller_name"]["value"].is_null());

    let (status, missing) = call(&sim, "GET", "/v1/convai/conversations/conv_unknown", None).await;
    assert_eq!(
        (status, &missing["detail"]["status"]),
        (404, &json!("conversation_not_found"))
    );

    let (status, page) = call(
        &sim,
        "GET",
        &format!("/v1/convai/conversations?agent_id={agent_id}&page_size=10"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        page["conversations"][0]["conversation_id"],
        conversation_id.as_str()
    );
    assert_eq!(page["conversations"][0]["status"], "done");
    assert_eq!(page["has_more"], false);
    let start = metadata["start_time_unix_secs"].as_i64().unwrap();
    let (_, later) = call(
        &sim,
        "GET",
        &format!("/v1/convai/conversations?call_start_after_unix={start}"),
        None,
    )
    .await;
    assert_eq!(later["conversations"], json!([]));
    let (_, other) = call(&sim, "GET", "/v1/convai/conversations?agent_id=agent_other", None).await;
    assert_eq!(other["conversations"], json!([]));
    let (status, bad) = call(&sim, "GET", "/v1/convai/conversations?page_size=0", None).await;
    assert_eq!(
        (status, &bad["detail"][0]["loc"]),
        (422, &json!(["query", "page_size"]))
    );
}
