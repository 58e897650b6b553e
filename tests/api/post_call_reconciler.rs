//! The reconciler over real HTTP against `sim agent`, on SQLite and PostgreSQL: a call whose
//! post-call report never came (its agent reports to no webhook) is filled from the
//! stand-in's conversation, once; a conversation still under way is tried again later; a
//! webhook arriving afterwards changes nothing; a call whose report came is never fetched;
//! a conversation ElevenLabs does not know is given up after five tries. And with the
//! provisioned webhook: the stand-in's delivery, signed with the kept secret, is merged, and
//! one it lost is fetched.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use switchboard::config::Secret;
use switchboard::store::testing::{self, TestStore};
use switchboard::store::{AccountId, AgentId, CallDirection, NewCallRecord, Store};
use switchboard::telephony::post_call_reconciler::{FetchRules, Reconciler, RoundReport};
use switchboard::wire::elevenlabs::webhook_signature::sign;
use tokio_tungstenite::tungstenite::Message;

use crate::support::TestApi;
use crate::workspace_webhook::{KEY, StandIn};

const SECRET: &str = "wsec_reconciler_tests";
const PATIENCE: Duration = Duration::from_secs(30);

/// A server provisioning at `stand_in` whose agents report to no webhook, and whose own
/// reconciler is off (the test runs the rounds).
async fn server(store: TestStore, stand_in: &StandIn) -> TestApi {
    let url = stand_in.url.clone();
    TestApi::start_with(store, move |config| {
        config.elevenlabs.api_base = url;
        config.elevenlabs.api_key = Some(Secret::new(KEY));
        config.elevenlabs.webhook_secret = Some(Secret::new(SECRET));
        config.elevenlabs.provisioning.provision_agents = true;
        config.elevenlabs.provisioning.register_webhook = false;
        config.elevenlabs.provisioning.reconcile_every_secs = 0;
    })
    .await
}

/// A conversation opened with the ElevenLabs agent over the stand-in's socket: its id, and
/// the socket (the conversation ends when it closes).
async fn open_conversation(
    stand_in: &StandIn,
    agent_id: &str,
) -> (
    String,
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
) {
    let signed: Value = reqwest::Client::new()
        .get(format!(
            "{}/v1/convai/conversation/get-signed-url?agent_id={agent_id}",
            stand_in.url
        ))
        .header("xi-api-key", KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (mut socket, _) = tokio_tungstenite::connect_async(signed["signed_url"].as_str().unwrap())
        .await
        .unwrap();
    socket
        .send(Message::text(
            json!({"type": "conversation_initiation_client_data", "dynamic_variables": {}}).to_string(),
        ))
        .await
        .unwrap();
    let conversation_id = tokio::time::timeout(PATIENCE, async {
        while let Some(message) = socket.next().await {
            let Ok(Message::Text(text)) = message else {
                continue;
            };
            let event: Value = serde_json::from_str(&text).unwrap();
            if event["type"] == "conversation_initiation_metadata" {
                return event["conversation_initiation_metadata_event"]["conversation_id"]
                    .as_str()
                    .unwrap()
                    .to_owned();
            }
        }
        panic!("the stand-in closed before the conversation opened");
    })
    .await
    .expect("the conversation opens");
    (conversation_id, socket)
}

/// Ends the conversation and waits until the stand-in reports it final.
async fn end_conversation(
    stand_in: &StandIn,
    conversation_id: &str,
    mut socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
) {
    socket.close(None).await.unwrap();
    while socket.next().await.is_some() {}
    tokio::time::timeout(PATIENCE, async {
        loop {
            let conversation = stand_in.api.get_conversation(conversation_id).await.unwrap();
            if conversation.is_final() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the stand-in finishes the conversation");
}

/// A call of `agent` with `conversation_id` that ended ten minutes before `now`.
async fn ended_call(
    store: &Store,
    account: &str,
    agent: &str,
    sid: &str,
    conversation_id: &str,
    now: Timestamp,
) {
    let new = NewCallRecord {
        agent_id: AgentId::from(agent),
        call_sid: sid.into(),
        direction: CallDirection::Inbound,
        from_number: "+15550100200".into(),
        to_number: "+15550100300".into(),
        started_at: now - SignedDuration::from_mins(12),
    };
    store
        .insert_call(&AccountId::from(account), new)
        .await
        .unwrap()
        .unwrap();
    store
        .set_call_conversation_id(sid, conversation_id)
        .await
        .unwrap();
    store
        .finish_call(
            sid,
            now - SignedDuration::from_mins(10),
            "completed",
            Duration::from_secs(120),
        )
        .await
        .unwrap();
}

async fn deliver(api: &TestApi, conversation_id: &str, summary: &str) -> u16 {
    let body = json!({"type": "post_call_transcription", "event_timestamp": Timestamp::now().as_second(),
        "data": {"agent_id": "ag_x", "conversation_id": conversation_id, "status": "done", "transcript": [],
                 "analysis": {"call_successful": "failure", "transcript_summary": summary}}})
    .to_string()
    .into_bytes();
    let signature = sign(SECRET.as_bytes(), Timestamp::now().as_second(), &body);
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

#[tokio::test]
async fn the_reconciler_fills_a_report_that_never_came_once() {
    fills_missing_reports(testing::sqlite().await).await;
    if let Some(store) = testing::postgres().await {
        fills_missing_reports(store).await;
    }
}

async fn fills_missing_reports(store: TestStore) {
    let stand_in = StandIn::start().await;
    let api = server(store, &stand_in).await;
    let store = api.store.store();
    let account = api.account("Harbor Dental", "pro").await;
    let agent = api
        .post("/agents", &account.key, json!({"name": "Ava"}))
        .await
        .expect(201);
    let agent_id = agent["id"].as_str().unwrap();
    let elevenlabs_agent = agent["elevenlabs_agent_id"].as_str().unwrap();
    let reconciler = Reconciler {
        store: store.clone(),
        api: stand_in.api.clone(),
        webhooks: api.server.app.post_call.clone(),
        rules: FetchRules::default(),
    };
    let rules = FetchRules::default();
    let now = Timestamp::now();

    // Three ended calls: one whose conversation is over, one whose conversation is still
    // under way at the stand-in, one whose report came; and one ElevenLabs never knew.
    let (finished, socket) = open_conversation(&stand_in, elevenlabs_agent).await;
    end_conversation(&stand_in, &finished, socket).await;
    let (under_way, open_socket) = open_conversation(&stand_in, elevenlabs_agent).await;
    ended_call(&store, &account.id, agent_id, "CAfinished", &finished, now).await;
    ended_call(&store, &account.id, agent_id, "CAunderway", &under_way, now).await;
    ended_call(&store, &account.id, agent_id, "CAreported", "conv_reported", now).await;
    ended_call(&store, &account.id, agent_id, "CAunknown", "conv_unknown", now).await;
    assert_eq!(deliver(&api, "conv_reported", "Came by webhook.").await, 200);

    let first = reconciler.round(now).await.unwrap();
    assert_eq!(
        first,
        RoundReport {
            merged: 1,
            tried_later: 2,
            ..RoundReport::default()
        },
        "the finished conversation merged; the one under way and the unknown one tried later"
    );
    let fetched = store.post_call_analysis(&finished).await.unwrap().unwrap();
    let at_elevenlabs = stand_in.api.get_conversation(&finished).await.unwrap().report;
    assert_eq!(fetched.agent_id, at_elevenlabs.agent_id);
    assert_eq!(
        fetched.transcript_summary,
        at_elevenlabs.analysis.as_ref().unwrap().transcript_summary
    );
    let call = store.call_by_sid("CAfinished").await.unwrap().unwrap();
    let body = api
        .get(&format!("/calls/{}", call.id), &account.key)
        .await
        .expect(200);
    assert_eq!(
        body["analysis"]["transcript_summary"].as_str(),
        fetched.transcript_summary.as_deref(),
        "{body}"
    );

    // The webhook that comes late changes nothing; the report that came is left alone.
    assert_eq!(deliver(&api, &finished, "A late webhook.").await, 200);
    assert_eq!(
        store.post_call_analysis(&finished).await.unwrap().unwrap(),
        fetched
    );
    assert_eq!(store.post_call_analysis_count(&finished).await.unwrap(), 1);
    let reported = store.post_call_analysis("conv_reported").await.unwrap().unwrap();
    assert_eq!(reported.transcript_summary.as_deref(), Some("Came by webhook."));

    // Too soon for another try; after `retry_after`, the conversation now over is merged.
    assert_eq!(reconciler.round(now).await.unwrap(), RoundReport::default());
    end_conversation(&stand_in, &under_way, open_socket).await;
    let later = now + rules.retry_after;
    assert_eq!(
        reconciler.round(later).await.unwrap(),
        RoundReport {
            merged: 1,
            tried_later: 1,
            ..RoundReport::default()
        }
    );
    assert!(store.post_call_analysis(&under_way).await.unwrap().is_some());

    // The unknown conversation is given up after its fifth try, then never asked for again.
    let mut given_up = 0;
    for round in 2..=6 {
        let report = reconciler.round(now + rules.retry_after * round).await.unwrap();
        given_up += report.given_up;
        assert_eq!(report.merged + report.already_merged, 0, "{report:?}");
    }
    assert_eq!(given_up, 1);
    assert_eq!(
        reconciler.round(now + rules.retry_after * 10).await.unwrap(),
        RoundReport::default()
    );
    assert!(store.post_call_analysis("conv_unknown").await.unwrap().is_none());
}

#[tokio::test]
async fn the_provisioned_webhook_delivers_and_a_delivery_the_stand_in_lost_is_fetched() {
    delivered_or_fetched(testing::sqlite().await).await;
    if let Some(store) = testing::postgres().await {
        delivered_or_fetched(store).await;
    }
}

async fn delivered_or_fetched(store: TestStore) {
    let stand_in = StandIn::start().await;
    let url = stand_in.url.clone();
    let api = TestApi::start_with(store, move |config| {
        config.elevenlabs.api_base = url;
        config.elevenlabs.api_key = Some(Secret::new(KEY));
        config.elevenlabs.provisioning.provision_agents = true;
        config.elevenlabs.provisioning.reconcile_every_secs = 0;
    })
    .await;
    let store = api.store.store();
    let account = api.account("Harbor Dental", "pro").await;
    let agent = api
        .post("/agents", &account.key, json!({"name": "Ava"}))
        .await
        .expect(201);
    let agent_id = agent["id"].as_str().unwrap();
    let elevenlabs_agent = agent["elevenlabs_agent_id"].as_str().unwrap();
    let webhook_id = store
        .elevenlabs_webhook(&format!("{}/webhooks/elevenlabs", api.base_url))
        .await
        .unwrap()
        .unwrap()
        .webhook_id;

    // The stand-in signs its delivery with the secret provisioning kept: it is accepted.
    let (delivered, socket) = open_conversation(&stand_in, elevenlabs_agent).await;
    end_conversation(&stand_in, &delivered, socket).await;
    tokio::time::timeout(PATIENCE, async {
        while store.post_call_analysis(&delivered).await.unwrap().is_none() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the stand-in's signed report is merged");

    // The next delivery is lost (ElevenLabs retries none): the reconciler fetches it.
    stand_in
        .fail("POST", &format!("/sim/webhook-deliveries/{webhook_id}"), 1)
        .await;
    let (lost, socket) = open_conversation(&stand_in, elevenlabs_agent).await;
    end_conversation(&stand_in, &lost, socket).await;
    let now = Timestamp::now();
    ended_call(&store, &account.id, agent_id, "CAdelivered", &delivered, now).await;
    ended_call(&store, &account.id, agent_id, "CAlost", &lost, now).await;
    let reconciler = Reconciler {
        store: store.clone(),
        api: stand_in.api.clone(),
        webhooks: api.server.app.post_call.clone(),
        rules: FetchRules::default(),
    };
    assert_eq!(
        reconciler.round(now).await.unwrap(),
        RoundReport {
            merged: 1,
            ..RoundReport::default()
        },
        "only the lost report is fetched"
    );
    assert_eq!(store.post_call_analysis_count(&lost).await.unwrap(), 1);
    assert_eq!(store.post_call_analysis_count(&delivered).await.unwrap(), 1);
}
