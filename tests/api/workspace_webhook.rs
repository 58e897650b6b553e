//! The workspace webhook post-call reports come to, registered by provisioning against
//! `sim agent`'s REST stand-in, on SQLite and PostgreSQL: created once with the first agent,
//! every agent naming it; none created again by a restart; created again when ElevenLabs lost
//! it; deliveries signed with its secret accepted, with the secret it replaced refused.

use jiff::Timestamp;
use serde_json::json;
use tokio::net::TcpListener;

use crate::support::{TestAccount, TestApi};
use switchboard::config::Secret;
use switchboard::sim::agent::SimAgentConfig;
use switchboard::store::testing::{self, TestStore};
use switchboard::vendor_api::elevenlabs::ElevenLabsApi;
use switchboard::vendor_api::elevenlabs_webhooks::WorkspaceWebhook;
use switchboard::wire::elevenlabs::webhook_signature::sign;

pub const KEY: &str = "xi-workspace-webhook-tests";

/// A running stand-in of ElevenLabs and a client of its REST API.
pub struct StandIn {
    pub url: String,
    pub api: ElevenLabsApi,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StandIn {
    pub async fn start() -> StandIn {
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
    pub async fn fail(&self, method: &str, path: &str, times: u32) {
        let answer = reqwest::Client::new()
            .post(format!("{}/sim/failures", self.url))
            .json(&json!({"method": method, "path": path, "times": times}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 201, "{}", answer.text().await.unwrap());
    }

    pub async fn webhooks(&self) -> Vec<WorkspaceWebhook> {
        self.api.list_workspace_webhooks().await.unwrap()
    }
}

/// A server provisioning at `stand_in`; its public URL `public_url` when given (a restart).
pub async fn provisioning(store: TestStore, stand_in: &StandIn, public_url: Option<String>) -> TestApi {
    let url = stand_in.url.clone();
    TestApi::start_with(store, move |config| {
        config.elevenlabs.api_base = url;
        config.elevenlabs.api_key = Some(Secret::new(KEY));
        config.elevenlabs.provisioning.provision_agents = true;
        if let Some(public_url) = public_url {
            config.public_url = public_url;
        }
    })
    .await
}

async fn webhook_id_of_new_agent(
    api: &TestApi,
    account: &TestAccount,
    stand_in: &StandIn,
    name: &str,
) -> String {
    let agent = api
        .post("/agents", &account.key, json!({ "name": name }))
        .await
        .expect(201);
    let at_elevenlabs = stand_in
        .api
        .get_agent(agent["elevenlabs_agent_id"].as_str().unwrap())
        .await
        .unwrap();
    let webhooks = &at_elevenlabs.platform_settings["workspace_overrides"]["webhooks"];
    assert_eq!(webhooks["events"], json!(["transcript"]), "{webhooks}");
    assert_eq!(webhooks["transcript_format"], "json", "{webhooks}");
    webhooks["post_call_webhook_id"]
        .as_str()
        .unwrap_or_else(|| panic!("agent {name} names no post-call webhook: {webhooks}"))
        .to_owned()
}

fn report(conversation_id: &str) -> Vec<u8> {
    json!({"type": "post_call_transcription", "event_timestamp": Timestamp::now().as_second(),
        "data": {"agent_id": "ag_1", "conversation_id": conversation_id, "status": "done",
                 "transcript": [], "analysis": {"call_successful": "success"}}})
    .to_string()
    .into_bytes()
}

async fn deliver(api: &TestApi, secret: &str, conversation_id: &str) -> u16 {
    let body = report(conversation_id);
    let signature = sign(secret.as_bytes(), Timestamp::now().as_second(), &body);
    reqwest::Client::new()
        .post(format!("{}/webhooks/elevenlabs", api.base_url))
        .header("content-type", "application/json")
        .header("ElevenLabs-Signature", signature)
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn kept_secret(api: &TestApi, url: &str) -> (String, String) {
    let kept = api.store.store().elevenlabs_webhook(url).await.unwrap().unwrap();
    (kept.webhook_id, kept.webhook_secret.expose().to_owned())
}

#[tokio::test]
async fn provisioning_registers_one_workspace_webhook_that_outlives_a_restart_and_comes_back_when_lost() {
    registers_one_webhook(testing::sqlite().await).await;
    if let Some(store) = testing::postgres().await {
        registers_one_webhook(store).await;
    }
}

async fn registers_one_webhook(store: TestStore) {
    let stand_in = StandIn::start().await;
    let restarted_store = store.another_instance().await;
    let api = provisioning(store, &stand_in, None).await;
    let url = format!("{}/webhooks/elevenlabs", api.base_url);
    let account = api.account("Harbor Dental", "business").await;
    assert!(stand_in.webhooks().await.is_empty());

    // A run that fails after creating the webhook deletes it and keeps nothing.
    stand_in.fail("POST", "/v1/convai/agents/create", 1).await;
    api.post("/agents", &account.key, json!({"name": "Ava"}))
        .await
        .error(502);
    assert!(
        stand_in.webhooks().await.is_empty(),
        "the run's webhook is deleted"
    );
    assert!(
        api.store
            .store()
            .elevenlabs_webhook(&url)
            .await
            .unwrap()
            .is_none()
    );
    // So does one whose webhook could not be created.
    stand_in.fail("POST", "/v1/workspace/webhooks", 1).await;
    let error = api
        .post("/agents", &account.key, json!({"name": "Ava"}))
        .await
        .error(502);
    assert!(
        error["message"].as_str().unwrap().contains("workspace webhook"),
        "{error}"
    );
    assert!(stand_in.api.list_tools(None).await.unwrap().is_empty());

    let ava = webhook_id_of_new_agent(&api, &account, &stand_in, "Ava").await;
    let bo = webhook_id_of_new_agent(&api, &account, &stand_in, "Bo").await;
    let webhooks = stand_in.webhooks().await;
    assert_eq!(webhooks.len(), 1, "one webhook for every agent: {webhooks:?}");
    assert_eq!(webhooks[0].webhook_url, url);
    assert_eq!(
        (ava.as_str(), bo.as_str()),
        (webhooks[0].webhook_id.as_str(), webhooks[0].webhook_id.as_str())
    );
    let (kept_id, first_secret) = kept_secret(&api, &url).await;
    assert_eq!(kept_id, ava);
    assert_eq!(deliver(&api, &first_secret, "conv_first").await, 200);

    // A restart at the same public URL finds the webhook again and creates none.
    // (The first server stays up: its store is the one the test cleans up.)
    let first = api;
    let api = provisioning(restarted_store, &stand_in, Some(first.base_url.clone())).await;
    let cy = webhook_id_of_new_agent(&api, &account, &stand_in, "Cy").await;
    assert_eq!(cy, ava);
    assert_eq!(stand_in.webhooks().await.len(), 1);
    assert_eq!(deliver(&api, &first_secret, "conv_after_restart").await, 200);

    // ElevenLabs loses it: the next agent's run creates it again, and only its secret counts.
    stand_in.api.delete_workspace_webhook(&ava).await.unwrap();
    let dee = webhook_id_of_new_agent(&api, &account, &stand_in, "Dee").await;
    assert_ne!(dee, ava);
    let webhooks = stand_in.webhooks().await;
    assert_eq!(
        webhooks.iter().map(|w| w.webhook_id.as_str()).collect::<Vec<_>>(),
        [dee.as_str()]
    );
    let (kept_id, second_secret) = kept_secret(&api, &url).await;
    assert_eq!(kept_id, dee);
    assert_ne!(second_secret, first_secret);
    assert_eq!(deliver(&api, &second_secret, "conv_second").await, 200);
    assert_eq!(
        deliver(&api, &first_secret, "conv_old_secret").await,
        401,
        "the deleted webhook's secret is refused"
    );
    let store = api.store.store();
    assert_eq!(
        store.post_call_analysis_count("conv_old_secret").await.unwrap(),
        0
    );
    assert_eq!(store.post_call_analysis_count("conv_second").await.unwrap(), 1);
}
