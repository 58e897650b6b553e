//! Agents provisioned at ElevenLabs through `/agents`, over real HTTP against `sim agent`'s REST
//! stand-in, on SQLite and PostgreSQL: a new agent's ElevenLabs agent with the account's tools
//! and μ-law both ways (read back from the stand-in), a change sending the whole tool list, a
//! deletion, an adoption; a failure injected at each step leaving nothing behind; a run cut
//! short recovered.

use std::future::Future;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::support::{TestAccount, TestApi};
use switchboard::config::Secret;
use switchboard::provision::agent_config::AgentSettings;
use switchboard::provision::elevenlabs_agents::ElevenLabsAgents;
use switchboard::provision::elevenlabs_tools::tool_configs;
use switchboard::provision::elevenlabs_undo::{DELETE_AGENTS_TAGGED, with_elevenlabs_undos};
use switchboard::provision::{Provisioner, Undo, Undoers, recovery};
use switchboard::sim::agent::SimAgentConfig;
use switchboard::store::testing::{self, TestStore};
use switchboard::vendor_api::elevenlabs::{AgentRecord, ElevenLabsApi};

const KEY: &str = "xi-provisioning-tests";

/// A running stand-in of ElevenLabs, and a client of its REST API to read it back.
struct StandIn {
    url: String,
    api: ElevenLabsApi,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StandIn {
    async fn start() -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let config = SimAgentConfig {
            api_key: Some(KEY.to_owned()),
            ..SimAgentConfig::default()
        };
        let task = tokio::spawn(switchboard::sim::agent::serve(listener, config));
        StandIn {
            api: ElevenLabsApi::new(&url, &Secret::new(KEY)),
            url,
            task,
        }
    }

    /// The next `times` requests `method path` fail with a 500.
    async fn fail(&self, method: &str, path: &str, times: u32) {
        let answer = reqwest::Client::new()
            .post(format!("{}/sim/failures", self.url))
            .json(&json!({"method": method, "path": path, "times": times}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 201, "{}", answer.text().await.unwrap());
    }

    async fn agent_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .api
            .list_agents(None)
            .await
            .unwrap()
            .into_iter()
            .map(|agent| agent.agent_id)
            .collect();
        ids.sort();
        ids
    }

    async fn tool_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .api
            .list_tools(None)
            .await
            .unwrap()
            .into_iter()
            .map(|tool| tool.id)
            .collect();
        ids.sort();
        ids
    }

    async fn agent(&self, id: &str) -> AgentRecord {
        self.api.get_agent(id).await.unwrap()
    }
}

/// A server provisioning at `stand_in`.
async fn provisioning(store: TestStore, stand_in: &StandIn) -> TestApi {
    let url = stand_in.url.clone();
    TestApi::start_with(store, move |config| {
        config.elevenlabs.api_base = url;
        config.elevenlabs.api_key = Some(Secret::new(KEY));
        config.elevenlabs.provisioning.provision_agents = true;
    })
    .await
}

/// Runs `scenario` with a fresh stand-in and a server provisioning at it, on SQLite, then on
/// PostgreSQL when the tests have one.
async fn on_each_backend<F, Fut>(scenario: F)
where
    F: Fn(TestApi, StandIn) -> Fut,
    Fut: Future<Output = ()>,
{
    let stand_in = StandIn::start().await;
    scenario(provisioning(testing::sqlite().await, &stand_in).await, stand_in).await;
    if let Some(store) = testing::postgres().await {
        let stand_in = StandIn::start().await;
        scenario(provisioning(store, &stand_in).await, stand_in).await;
    }
}

fn sorted(ids: &Value) -> Vec<String> {
    let mut ids: Vec<String> = ids
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

async fn agents_of(api: &TestApi, account: &TestAccount) -> Vec<Value> {
    api.get("/agents", &account.key).await.expect(200)["data"]
        .as_array()
        .unwrap()
        .clone()
}

#[track_caller]
fn provisioning_failed(error: &Value) {
    assert_eq!(error["code"], "provisioning_failed", "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("nothing was left behind"), "{message}");
}

#[tokio::test]
async fn a_new_agent_gets_an_elevenlabs_agent_with_the_accounts_tools_and_mu_law_both_ways() {
    on_each_backend(|api, stand_in| async move {
        let account = api.account("Harbor Dental", "pro").await;
        let made = api
            .post(
                "/agents",
                &account.key,
                json!({"name": "Ava", "greeting": "Hello, Harbor Dental. How can I help?",
                       "business_context": "A dental practice in Hamburg.", "language": "de"}),
            )
            .await
            .expect(201);
        let id = made["elevenlabs_agent_id"].as_str().unwrap().to_owned();
        let agent = stand_in.agent(&id).await;
        let config = &agent.conversation_config;
        assert_eq!(config["asr"]["user_input_audio_format"], "ulaw_8000");
        assert_eq!(config["tts"]["agent_output_audio_format"], "ulaw_8000");
        assert_eq!(
            config["agent"]["first_message"],
            "Hello, Harbor Dental. I'm an AI assistant. How can I help?"
        );
        assert_eq!(config["agent"]["language"], "de");
        let prompt = config["agent"]["prompt"]["prompt"].as_str().unwrap();
        assert!(prompt.contains("A dental practice in Hamburg."), "{prompt}");
        let events = config["conversation"]["client_events"].as_array().unwrap();
        assert!(events.contains(&json!("client_tool_call")), "{events:?}");
        assert_eq!(agent.platform_settings["call_limits"]["bursting_enabled"], false);
        assert_eq!(
            agent.platform_settings["overrides"]["conversation_config_override"]["agent"]["first_message"],
            true
        );
        assert!(
            agent.tags.contains(&format!("account:{}", account.id)),
            "{:?}",
            agent.tags
        );
        assert!(
            agent.tags.iter().any(|tag| tag.starts_with("sb-")),
            "{:?}",
            agent.tags
        );

        let tools = stand_in.api.list_tools(None).await.unwrap();
        assert_eq!(tools.len(), tool_configs().len());
        for tool in &tools {
            assert_eq!(tool.tool_config["type"], "client", "{}", tool.tool_config);
            assert_eq!(tool.tool_config["expects_response"], true, "{}", tool.tool_config);
        }
        let attached = sorted(&config["agent"]["prompt"]["tool_ids"]);
        assert_eq!(attached, stand_in.tool_ids().await, "every tool attached");

        let second = api
            .post("/agents", &account.key, json!({"name": "Bo"}))
            .await
            .expect(201);
        let second = stand_in
            .agent(second["elevenlabs_agent_id"].as_str().unwrap())
            .await;
        assert_eq!(
            sorted(&second.conversation_config["agent"]["prompt"]["tool_ids"]),
            attached,
            "the account's tools are made once and shared"
        );
        assert_eq!(stand_in.tool_ids().await.len(), tool_configs().len());
    })
    .await;
}

#[tokio::test]
async fn a_change_sends_the_whole_tool_list_and_a_deletion_deletes_the_elevenlabs_agent() {
    on_each_backend(|api, stand_in| async move {
        let account = api.account("Harbor Dental", "pro").await;
        let made = api
            .post("/agents", &account.key, json!({"name": "Ava"}))
            .await
            .expect(201);
        let (agent_id, id) = (
            made["id"].as_str().unwrap().to_owned(),
            made["elevenlabs_agent_id"].as_str().unwrap().to_owned(),
        );
        let before = sorted(&stand_in.agent(&id).await.conversation_config["agent"]["prompt"]["tool_ids"]);
        // ElevenLabs loses one of the account's tools: the change makes it again.
        stand_in.api.delete_tool(&before[0]).await.unwrap();
        api.patch(
            &format!("/agents/{agent_id}"),
            &account.key,
            json!({"greeting": "Welcome to the harbor!"}),
        )
        .await
        .expect(200);
        let changed = stand_in.agent(&id).await;
        assert_eq!(
            changed.conversation_config["agent"]["first_message"],
            "Welcome to the harbor! I'm an AI assistant."
        );
        let after = sorted(&changed.conversation_config["agent"]["prompt"]["tool_ids"]);
        assert_eq!(after.len(), tool_configs().len(), "the whole list: {after:?}");
        assert!(!after.contains(&before[0]), "the lost tool is replaced");
        assert_eq!(after, stand_in.tool_ids().await);

        api.delete(&format!("/agents/{agent_id}"), &account.key)
            .await
            .expect(204);
        let gone = stand_in.api.get_agent(&id).await.unwrap_err();
        assert!(gone.is_not_found(), "{gone}");
        assert!(stand_in.agent_ids().await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn an_existing_elevenlabs_agent_is_adopted_and_an_unknown_one_is_refused() {
    on_each_backend(|api, stand_in| async move {
        let account = api.account("Harbor Dental", "pro").await;
        let theirs = stand_in
            .api
            .create_agent(&json!({"name": "Front desk", "tags": ["theirs"],
                "conversation_config": {"agent": {"first_message": "Hi", "prompt": {"prompt": "Be kind"}}}}))
            .await
            .unwrap();
        let made = api
            .post(
                "/agents",
                &account.key,
                json!({"name": "Ava", "elevenlabs_agent_id": theirs}),
            )
            .await
            .expect(201);
        assert_eq!(made["elevenlabs_agent_id"], theirs.as_str());
        let adopted = stand_in.agent(&theirs).await;
        assert_eq!(
            adopted.conversation_config["asr"]["user_input_audio_format"],
            "ulaw_8000"
        );
        assert_eq!(
            adopted.conversation_config["tts"]["agent_output_audio_format"],
            "ulaw_8000"
        );
        assert_eq!(
            sorted(&adopted.conversation_config["agent"]["prompt"]["tool_ids"]),
            stand_in.tool_ids().await
        );

        let refused = api
            .post(
                "/agents",
                &account.key,
                json!({"name": "Bo", "elevenlabs_agent_id": "agent_nobody_knows"}),
            )
            .await
            .error(422);
        assert_eq!(refused["field"], "elevenlabs_agent_id");
        assert!(
            refused["message"].as_str().unwrap().contains("does not know"),
            "{refused}"
        );
        assert_eq!(agents_of(&api, &account).await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_failure_at_any_step_leaves_nothing_at_elevenlabs_and_no_agent() {
    on_each_backend(|api, stand_in| async move {
        let account = api.account("Harbor Dental", "pro").await;
        let new_agent = json!({"name": "Ava"});

        // A tool's creation fails.
        stand_in.fail("POST", "/v1/convai/tools", 1).await;
        provisioning_failed(
            &api.post("/agents", &account.key, new_agent.clone())
                .await
                .error(502),
        );
        assert!(stand_in.tool_ids().await.is_empty());
        assert!(stand_in.agent_ids().await.is_empty());

        // The agent's creation fails, after every tool was made.
        stand_in.fail("POST", "/v1/convai/agents/create", 1).await;
        let error = api
            .post("/agents", &account.key, new_agent.clone())
            .await
            .error(502);
        provisioning_failed(&error);
        assert!(
            error["message"].as_str().unwrap().contains("HTTP 500"),
            "what ElevenLabs answered is said: {error}"
        );
        assert!(stand_in.tool_ids().await.is_empty(), "the tools made are deleted");
        assert!(stand_in.agent_ids().await.is_empty());
        assert!(agents_of(&api, &account).await.is_empty());

        // The adoption's PATCH fails: the agent is as it was, and not deleted.
        let theirs = stand_in
            .api
            .create_agent(&json!({"name": "Front desk", "tags": ["theirs"],
                "conversation_config": {"agent": {"first_message": "Hi"}}}))
            .await
            .unwrap();
        let untouched = stand_in.agent(&theirs).await;
        stand_in.fail("PATCH", "/v1/convai/agents/*", 1).await;
        provisioning_failed(
            &api.post(
                "/agents",
                &account.key,
                json!({"name": "Ava", "elevenlabs_agent_id": theirs}),
            )
            .await
            .error(502),
        );
        assert_eq!(
            stand_in.agent(&theirs).await.conversation_config,
            untouched.conversation_config
        );
        assert_eq!(stand_in.agent_ids().await, [theirs]);
        assert!(stand_in.tool_ids().await.is_empty());
        assert!(agents_of(&api, &account).await.is_empty());

        // The row is refused after the ElevenLabs steps (its number is another agent's).
        let number = testing::unique_phone_number();
        let first = api
            .post(
                "/agents",
                &account.key,
                json!({"name": "Ava", "phone_number": number}),
            )
            .await
            .expect(201);
        let kept = stand_in.agent_ids().await;
        let refused = api
            .post(
                "/agents",
                &account.key,
                json!({"name": "Bo", "phone_number": number}),
            )
            .await
            .error(409);
        assert_eq!(refused["code"], "phone_number_taken");
        assert_eq!(
            stand_in.agent_ids().await,
            kept,
            "Bo's ElevenLabs agent is deleted"
        );
        assert_eq!(agents_of(&api, &account).await.len(), 1);
        assert!(kept.contains(&first["elevenlabs_agent_id"].as_str().unwrap().to_owned()));
    })
    .await;
}

#[tokio::test]
async fn agents_racing_for_the_plans_last_place_leave_one_elevenlabs_agent() {
    on_each_backend(|api, stand_in| async move {
        let account = api.account("Corner Shop", "free").await;
        let (a, b) = tokio::join!(
            api.post("/agents", &account.key, json!({"name": "Ava"})),
            api.post("/agents", &account.key, json!({"name": "Bo"})),
        );
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [201, 403], "{} / {}", a.body, b.body);
        let made = if a.status.as_u16() == 201 { a.body } else { b.body };
        assert_eq!(
            stand_in.agent_ids().await,
            [made["elevenlabs_agent_id"].as_str().unwrap().to_owned()]
        );
    })
    .await;
}

#[tokio::test]
async fn a_run_cut_short_after_its_elevenlabs_agent_was_made_is_undone_by_the_recovery() {
    let check = |store: TestStore| async move {
        let stand_in = StandIn::start().await;
        let store = store.store();
        let account = testing::other_account(&store).await.id;
        let api = ElevenLabsApi::new(&stand_in.url, &Secret::new(KEY));
        let provisioner = Provisioner::new(
            store.clone(),
            with_elevenlabs_undos(Undoers::default(), api.clone(), store.clone()),
        );
        let elevenlabs = ElevenLabsAgents {
            api: api.clone(),
            store: store.clone(),
            settings: AgentSettings {
                bursting: false,
                record_voice: false,
                retention_days: 30,
                max_duration_secs: 3600,
            },
            post_call: None,
        };
        let profile = switchboard::provision::agent_config::AgentProfile {
            business_name: "Harbor Dental".into(),
            agent_name: "Ava".into(),
            greeting: None,
            business_context: None,
            voice_id: None,
            language: "en".into(),
        };
        let mut run = provisioner.begin(&account, "create agent \"Ava\"").await.unwrap();
        let tools = elevenlabs.ensure_tools(&mut run, &account).await.unwrap();
        elevenlabs
            .create(&mut run, &account, &profile, &tools)
            .await
            .unwrap();
        drop(run); // the process dies before the row is written
        assert_eq!(stand_in.agent_ids().await.len(), 1);
        assert_eq!(stand_in.tool_ids().await.len(), tool_configs().len());

        let round = recovery::recover(&provisioner, Timestamp::now()).await.unwrap();
        assert_eq!(round.rolled_back, 0, "a run under way is left alone");
        let later = Timestamp::now() + recovery::STALE_AFTER + SignedDuration::from_secs(1);
        let round = recovery::recover(&provisioner, later).await.unwrap();
        assert_eq!(round.rolled_back, 1);
        assert!(stand_in.agent_ids().await.is_empty());
        assert!(stand_in.tool_ids().await.is_empty());
        assert!(store.elevenlabs_tools(&account).await.unwrap().is_empty());
    };
    check(testing::sqlite().await).await;
    if let Some(store) = testing::postgres().await {
        check(store).await;
    }
}

#[tokio::test]
async fn an_interrupted_creation_deletes_only_the_agents_carrying_its_marker() {
    let stand_in = StandIn::start().await;
    let store = testing::sqlite().await.store();
    let undoers = with_elevenlabs_undos(Undoers::default(), stand_in.api.clone(), store);
    let body = |tags: Value| {
        json!({"name": "Harbor Dental / Ava", "tags": tags,
               "conversation_config": {"agent": {"first_message": "Hi"}}})
    };
    stand_in
        .api
        .create_agent(&body(json!(["switchboard", "sb-run-1"])))
        .await
        .unwrap();
    let other = stand_in
        .api
        .create_agent(&body(json!(["switchboard", "sb-run-2"])))
        .await
        .unwrap();
    let undo = Undo::new(
        DELETE_AGENTS_TAGGED,
        json!({"marker": "sb-run-1", "name": "Harbor Dental / Ava"}),
    );
    tokio::time::timeout(Duration::from_secs(30), undoers.run(&undo))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stand_in.agent_ids().await, [other]);
    undoers.run(&undo).await.expect("nothing left to delete is done");
}

#[tokio::test]
async fn a_deletion_elevenlabs_fails_keeps_the_row_deleted_and_is_retried_by_the_recovery() {
    on_each_backend(|api, stand_in| async move {
        let account = api.account("Harbor Dental", "pro").await;
        let made = api
            .post("/agents", &account.key, json!({"name": "Ava"}))
            .await
            .expect(201);
        let id = made["elevenlabs_agent_id"].as_str().unwrap().to_owned();
        // The deletion and its retry at once both fail.
        stand_in.fail("DELETE", "/v1/convai/agents/*", 2).await;
        api.delete(&format!("/agents/{}", made["id"].as_str().unwrap()), &account.key)
            .await
            .expect(204);
        assert!(
            agents_of(&api, &account).await.is_empty(),
            "the row stays deleted"
        );
        assert_eq!(stand_in.agent_ids().await, [id], "ElevenLabs failed to delete it");

        let store = api.store.store();
        let provisioner = Provisioner::new(
            store.clone(),
            with_elevenlabs_undos(Undoers::default(), stand_in.api.clone(), store),
        );
        let later = Timestamp::now() + recovery::STALE_AFTER + SignedDuration::from_secs(1);
        let round = recovery::recover(&provisioner, later).await.unwrap();
        assert_eq!(round.rolled_back, 1, "{round:?}");
        assert!(stand_in.agent_ids().await.is_empty(), "the recovery deleted it");
    })
    .await;
}
