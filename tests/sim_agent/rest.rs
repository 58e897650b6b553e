//! The REST API for provisioning: agents and workspace tools, with ElevenLabs' defaults,
//! merge rules, paging and pydantic-shaped refusals.

use serde_json::{Value, json};
use switchboard::sim::agent::SimAgentConfig;

use super::client::{Sim, echo_config, http_client};

pub(super) const KEY: &str = "sk_rest_0123456789";

pub(super) fn private() -> SimAgentConfig {
    SimAgentConfig {
        api_key: Some(KEY.into()),
        ..echo_config()
    }
}

/// Sends `method path` with the key and `body`, answers the status and the JSON (or null).
pub(super) async fn call(sim: &Sim, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = http_client()
        .request(method, sim.http(path))
        .header("xi-api-key", KEY);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, json)
}

fn client_tool(name: &str) -> Value {
    json!({"tool_config": {
        "type": "client",
        "name": name,
        "description": format!("{name} for the caller"),
        "parameters": {"type": "object", "required": ["day"],
            "properties": {"day": {"type": "string", "description": "The day"}}},
        "expects_response": true,
        "response_timeout_secs": 30
    }})
}

async fn create_tool(sim: &Sim, name: &str) -> String {
    let (status, body) = call(sim, "POST", "/v1/convai/tools", Some(client_tool(name))).await;
    assert_eq!(status, 200, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn create_agent(sim: &Sim, body: Value) -> String {
    let (status, answer) = call(sim, "POST", "/v1/convai/agents/create", Some(body)).await;
    assert_eq!(status, 200, "{answer}");
    let id = answer["agent_id"].as_str().unwrap().to_owned();
    assert_eq!(answer, json!({"agent_id": id}));
    id
}

#[tokio::test]
async fn an_agent_reads_back_with_elevenlabs_defaults_for_what_the_create_left_out() {
    let sim = Sim::start(private()).await;
    let id = create_agent(
        &sim,
        json!({"name": "acme/front-desk", "tags": ["switchboard"],
            "conversation_config": {"agent": {"first_message": "Hello"}}}),
    )
    .await;
    assert!(
        id.starts_with("agent_") && id.len() == "agent_".len() + 28,
        "{id}"
    );
    let (status, agent) = call(&sim, "GET", &format!("/v1/convai/agents/{id}"), None).await;
    assert_eq!(status, 200, "{agent}");
    assert_eq!(agent["agent_id"], id);
    assert_eq!(agent["name"], "acme/front-desk");
    assert_eq!(agent["tags"], json!(["switchboard"]));
    assert_eq!(agent["phone_numbers"], json!([]));
    let config = &agent["conversation_config"];
    assert_eq!(config["agent"]["first_message"], "Hello");
    assert_eq!(config["agent"]["language"], "en");
    assert_eq!(config["agent"]["prompt"]["llm"], "gemini-2.5-flash");
    assert_eq!(config["agent"]["prompt"]["tool_ids"], json!([]));
    assert_eq!(config["asr"]["user_input_audio_format"], "pcm_16000");
    assert_eq!(config["tts"]["agent_output_audio_format"], "pcm_16000");
    assert_eq!(config["tts"]["voice_id"], "cjVigY5qzO86Huf0OWal");
    assert_eq!(config["conversation"]["max_duration_seconds"], 600);
    assert_eq!(config["turn"]["turn_timeout"], 7.0);
    let settings = &agent["platform_settings"];
    assert_eq!(settings["call_limits"]["bursting_enabled"], true);
    assert_eq!(settings["call_limits"]["agent_concurrency_limit"], -1);
    assert_eq!(settings["privacy"]["record_voice"], true);
    assert_eq!(settings["privacy"]["retention_days"], -1);
    assert_eq!(settings["auth"]["enable_auth"], false);
    assert_eq!(
        settings["overrides"]["conversation_config_override"]["agent"]["first_message"],
        false
    );
    let created = agent["metadata"]["created_at_unix_secs"].as_i64().unwrap();
    assert!(created > 1_700_000_000, "{agent}");
    assert_eq!(agent["metadata"]["updated_at_unix_secs"], created);
    let held = sim.agent.workspace().agent(&id).expect("the workspace holds it");
    assert_eq!(held.conversation_config.agent.first_message, "Hello");
}

#[tokio::test]
async fn a_patch_merges_objects_and_replaces_arrays_whole() {
    let sim = Sim::start(private()).await;
    let (book, slots, cancel) = (
        create_tool(&sim, "book").await,
        create_tool(&sim, "slots").await,
        create_tool(&sim, "cancel").await,
    );
    let id = create_agent(
        &sim,
        json!({"tags": ["a", "b"], "conversation_config": {
            "tts": {"voice_id": "v1", "agent_output_audio_format": "ulaw_8000"},
            "agent": {"first_message": "Hi", "language": "de",
                "prompt": {"prompt": "Be nice", "tool_ids": [book, slots]}}},
            "platform_settings": {"privacy": {"retention_days": 30}}}),
    )
    .await;
    let (status, agent) = call(
        &sim,
        "PATCH",
        &format!("/v1/convai/agents/{id}"),
        Some(json!({"tags": ["c"], "conversation_config": {
            "agent": {"first_message": "Hello", "prompt": {"tool_ids": [cancel]}}},
            "platform_settings": {"privacy": {"record_voice": false}}})),
    )
    .await;
    assert_eq!(status, 200, "{agent}");
    let config = &agent["conversation_config"];
    assert_eq!(config["agent"]["first_message"], "Hello");
    assert_eq!(config["agent"]["language"], "de", "untouched siblings stay");
    assert_eq!(config["agent"]["prompt"]["prompt"], "Be nice");
    assert_eq!(
        config["agent"]["prompt"]["tool_ids"],
        json!([cancel]),
        "arrays are replaced"
    );
    assert_eq!(config["tts"]["voice_id"], "v1");
    assert_eq!(config["tts"]["agent_output_audio_format"], "ulaw_8000");
    assert_eq!(agent["tags"], json!(["c"]));
    assert_eq!(agent["platform_settings"]["privacy"]["retention_days"], 30);
    assert_eq!(agent["platform_settings"]["privacy"]["record_voice"], false);
    let (_, read_back) = call(&sim, "GET", &format!("/v1/convai/agents/{id}"), None).await;
    assert_eq!(read_back, agent, "the PATCH answers the agent as stored");
}

#[tokio::test]
async fn bad_bodies_answer_422_in_pydantics_shape() {
    let sim = Sim::start(private()).await;
    let create = "/v1/convai/agents/create";
    let (status, body) = call(
        &sim,
        "POST",
        create,
        Some(json!({"conversation_config": {"agent": {"first_mesage": "Hi"}}})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        body,
        json!({"detail": [{"type": "extra_forbidden",
            "loc": ["body", "conversation_config", "agent", "first_mesage"],
            "msg": "Extra inputs are not permitted", "input": "Hi"}]})
    );

    let (status, body) = call(
        &sim,
        "POST",
        create,
        Some(json!({"conversation_config": {"asr": {"user_input_audio_format": "mp3_44100"}}})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        body,
        json!({"detail": [{"type": "enum",
            "loc": ["body", "conversation_config", "asr", "user_input_audio_format"],
            "msg": "Input should be 'pcm_8000', 'pcm_16000', 'pcm_22050', 'pcm_24000', 'pcm_44100', 'pcm_48000' or 'ulaw_8000'",
            "input": "mp3_44100"}]})
    );

    let (status, body) = call(
        &sim,
        "POST",
        create,
        Some(json!({"conversation_config": {"agent": {"prompt": {"tool_ids": ["tool_missing"]}}}})),
    )
    .await;
    assert_eq!(status, 422);
    let error = &body["detail"][0];
    assert_eq!(error["type"], "value_error");
    assert_eq!(
        error["loc"],
        json!(["body", "conversation_config", "agent", "prompt", "tool_ids", 0])
    );
    assert_eq!(error["input"], "tool_missing");

    let (status, body) = call(&sim, "POST", create, Some(json!({"name": "x"}))).await;
    assert_eq!(status, 422);
    assert_eq!(
        body,
        json!({"detail": [{"type": "missing", "loc": ["body", "conversation_config"],
            "msg": "Field required", "input": {"name": "x"}}]})
    );

    let (status, body) = call(
        &sim,
        "POST",
        create,
        Some(json!({"conversation_config": {"tts": {"stability": 1.5}}})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["type"], "less_than_equal");
    assert_eq!(
        body["detail"][0]["loc"],
        json!(["body", "conversation_config", "tts", "stability"])
    );

    let (status, body) = call(
        &sim,
        "POST",
        create,
        Some(json!({"conversation_config": {"conversation": {"max_duration_seconds": "long"}}})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["type"], "int_type");

    let mut tool = client_tool("slow");
    tool["tool_config"]["response_timeout_secs"] = json!(121);
    let (status, body) = call(&sim, "POST", "/v1/convai/tools", Some(tool)).await;
    assert_eq!(status, 422);
    assert_eq!(
        body,
        json!({"detail": [{"type": "less_than_equal",
            "loc": ["body", "tool_config", "client", "response_timeout_secs"],
            "msg": "Input should be less than or equal to 120", "input": 121}]})
    );
    let webhook = json!({"tool_config": {"type": "webhook", "name": "w", "description": "d",
        "response_timeout_secs": 300, "api_schema": {"url": "https://example.com/hook"}}});
    let (status, body) = call(&sim, "POST", "/v1/convai/tools", Some(webhook)).await;
    assert_eq!(status, 200, "webhooks may wait up to 300 s: {body}");

    // A PATCH is checked after the merge, and a refused one changes nothing.
    let id = create_agent(&sim, json!({"conversation_config": {}})).await;
    let (status, body) = call(
        &sim,
        "PATCH",
        &format!("/v1/convai/agents/{id}"),
        Some(json!({"conversation_config": {"tts": {"agent_output_audio_format": "opus"}}})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        body["detail"][0]["loc"],
        json!(["body", "conversation_config", "tts", "agent_output_audio_format"])
    );
    let held = sim.agent.workspace().agent(&id).unwrap();
    assert_eq!(
        held.conversation_config
            .tts
            .agent_output_audio_format
            .0
            .to_string(),
        "pcm_16000"
    );

    let response = http_client()
        .post(sim.http(create))
        .header("xi-api-key", KEY)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["detail"][0]["type"], "json_invalid");
}

#[tokio::test]
async fn unknown_agents_and_tools_are_404_and_the_key_is_checked() {
    let sim = Sim::start(private()).await;
    for (method, path) in [
        ("GET", "/v1/convai/agents/agent_nope"),
        ("PATCH", "/v1/convai/agents/agent_nope"),
        ("DELETE", "/v1/convai/agents/agent_nope"),
        ("GET", "/v1/convai/tools/tool_nope"),
        ("DELETE", "/v1/convai/tools/tool_nope"),
    ] {
        let body = (method == "PATCH").then(|| json!({"name": "x"}));
        let (status, answer) = call(&sim, method, path, body).await;
        assert_eq!(status, 404, "{method} {path}: {answer}");
        let message = answer["detail"]["message"].as_str().unwrap();
        assert!(message.contains("_nope"), "{answer}");
    }
    let response = http_client()
        .get(sim.http("/v1/convai/agents"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["detail"]["status"], "needs_authorization");
}

#[tokio::test]
async fn agents_and_tools_list_newest_first_a_page_at_a_time() {
    let sim = Sim::start(private()).await;
    let mut made = Vec::new();
    for n in 0..5 {
        let name = if n % 2 == 0 {
            format!("Front desk {n}")
        } else {
            format!("other {n}")
        };
        made.push(create_agent(&sim, json!({"name": name, "conversation_config": {}})).await);
    }
    let mut seen = Vec::new();
    let mut path = "/v1/convai/agents?page_size=2".to_owned();
    loop {
        let (status, page) = call(&sim, "GET", &path, None).await;
        assert_eq!(status, 200, "{page}");
        let agents = page["agents"].as_array().unwrap();
        assert!(agents.len() <= 2);
        seen.extend(agents.iter().map(|a| a["agent_id"].as_str().unwrap().to_owned()));
        if !page["has_more"].as_bool().unwrap() {
            assert_eq!(page["next_cursor"], Value::Null);
            break;
        }
        path = format!(
            "/v1/convai/agents?page_size=2&cursor={}",
            page["next_cursor"].as_str().unwrap()
        );
    }
    made.reverse();
    assert_eq!(seen, made, "every agent once, newest first");

    let (_, page) = call(&sim, "GET", "/v1/convai/agents?search=FRONT", None).await;
    let names: Vec<&str> = page["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Front desk 4", "Front desk 2", "Front desk 0"]);

    let (status, body) = call(&sim, "GET", "/v1/convai/agents?page_size=101", None).await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["loc"], json!(["query", "page_size"]));

    let first = create_tool(&sim, "first").await;
    let second = create_tool(&sim, "second").await;
    let (status, page) = call(&sim, "GET", "/v1/convai/tools?page_size=1", None).await;
    assert_eq!(status, 200);
    assert_eq!(page["tools"][0]["id"], second);
    assert_eq!(page["tools"][0]["tool_config"]["expects_response"], true);
    assert_eq!(page["tools"][0]["usage_stats"]["total_calls"], 0);
    assert_eq!(page["has_more"], true);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, page) = call(
        &sim,
        "GET",
        &format!("/v1/convai/tools?page_size=1&cursor={cursor}"),
        None,
    )
    .await;
    assert_eq!(page["tools"][0]["id"], first);
    assert_eq!(page["has_more"], false);
    let (_, page) = call(&sim, "GET", "/v1/convai/tools?types=webhook", None).await;
    assert_eq!(page["tools"], json!([]));
}

#[tokio::test]
async fn a_tool_an_agent_uses_is_deleted_only_with_force_which_detaches_it() {
    let sim = Sim::start(private()).await;
    let (kept, used) = (create_tool(&sim, "kept").await, create_tool(&sim, "used").await);
    let id = create_agent(
        &sim,
        json!({"conversation_config": {"agent": {"prompt": {"tool_ids": [kept, used]}}}}),
    )
    .await;
    let (status, body) = call(&sim, "DELETE", &format!("/v1/convai/tools/{used}"), None).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["detail"]["message"].as_str().unwrap().contains(&id),
        "{body}"
    );
    assert!(sim.agent.workspace().tool(&used).is_some(), "nothing deleted");

    let (status, _) = call(
        &sim,
        "DELETE",
        &format!("/v1/convai/tools/{used}?force=true"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(sim.agent.workspace().tool(&used).is_none());
    let (_, agent) = call(&sim, "GET", &format!("/v1/convai/agents/{id}"), None).await;
    assert_eq!(
        agent["conversation_config"]["agent"]["prompt"]["tool_ids"],
        json!([kept])
    );

    // A tool's update replaces its config; an agent's delete answers 204 and it is gone.
    let mut renamed = client_tool("kept2");
    renamed["tool_config"]["expects_response"] = json!(false);
    let (status, tool) = call(&sim, "PATCH", &format!("/v1/convai/tools/{kept}"), Some(renamed)).await;
    assert_eq!(status, 200, "{tool}");
    assert_eq!(tool["tool_config"]["name"], "kept2");
    assert_eq!(tool["tool_config"]["expects_response"], false);
    let (status, _) = call(&sim, "DELETE", &format!("/v1/convai/agents/{id}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = call(&sim, "GET", &format!("/v1/convai/agents/{id}"), None).await;
    assert_eq!(status, 404);
}
