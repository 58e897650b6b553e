//! ElevenLabs' `post_call_audio` over real HTTP on both databases: kept for its call only when
//! the account records calls and the caller said yes, else dropped (still a 200); a redelivery
//! keeps one row; the retention purge removes it; the API serves it back byte for byte; too
//! much audio is a 413. And `call_initiation_failure`: on the call's timeline once, found by
//! its conversation or by Twilio's CallSid; a 200 when no call matches.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};
use switchboard::config::Secret;
use switchboard::store::{CallDirection, CallRecord, NewCallRecord, testing};
use switchboard::telephony::post_call_audio::MAX_AUDIO_BASE64_CHARS;
use switchboard::telephony::recordings;
use switchboard::wire::elevenlabs::webhook_signature::sign;

use crate::business::{Business, business};
use crate::support::TestApi;

const SECRET: &str = "wsec_post_call_audio_tests";

/// A few MP3 frames' worth of bytes (an ID3 header, then every byte value).
fn some_mp3() -> Vec<u8> {
    let mut audio = b"ID3\x04\x00\x00\x00\x00\x00\x00".to_vec();
    audio.extend((0..4096u32).map(|n| (n % 251) as u8));
    audio
}

fn audio_event(conversation_id: &str, full_audio: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": "post_call_audio",
        "event_timestamp": Timestamp::now().as_second(),
        "data": {"agent_id": "agent_el_demo", "conversation_id": conversation_id, "full_audio": full_audio}
    }))
    .unwrap()
}

async fn deliver(api: &TestApi, body: Vec<u8>) -> (u16, Value) {
    let signature = sign(SECRET.as_bytes(), Timestamp::now().as_second(), &body);
    let answer = reqwest::Client::new()
        .post(format!("{}/webhooks/elevenlabs", api.base_url))
        .header("content-type", "application/json")
        .header("ElevenLabs-Signature", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

async fn each_backend() -> Vec<TestApi> {
    let with_secret = |store| {
        TestApi::start_with(store, |config| {
            config.elevenlabs.webhook_secret = Some(Secret::new(SECRET));
        })
    };
    let mut apis = vec![with_secret(testing::sqlite().await).await];
    if let Some(store) = testing::postgres().await {
        apis.push(with_secret(store).await);
    }
    apis
}

/// A call of the business with `call_sid`, its agent's conversation `conversation_id`, and the
/// caller's answer `consent` (none when `None`).
async fn call_with(
    api: &TestApi,
    business: &Business,
    call_sid: &str,
    conversation_id: &str,
    consent: Option<bool>,
) -> CallRecord {
    let store = api.store.store();
    let call = store
        .insert_call(
            &business.demo.account_id,
            NewCallRecord {
                agent_id: business.demo.agent_id.clone(),
                call_sid: call_sid.into(),
                direction: CallDirection::Inbound,
                from_number: "+4930111111".into(),
                to_number: "+14155550100".into(),
                started_at: Timestamp::now(),
            },
        )
        .await
        .unwrap()
        .unwrap();
    store
        .set_call_conversation_id(call_sid, conversation_id)
        .await
        .unwrap();
    if let Some(consented) = consent {
        let recorded = store
            .record_call_consent(&business.demo.account_id, call_sid, consented, Timestamp::now())
            .await
            .unwrap();
        assert!(recorded);
    }
    call
}

async fn records_calls(api: &TestApi, business: &Business, retention_days: Option<u32>) {
    let mut change = json!({"record_calls": true});
    if let Some(days) = retention_days {
        change["recording_retention_days"] = json!(days);
    }
    api.patch("/account", &business.key, change).await.expect(200);
}

#[tokio::test]
async fn audio_with_consent_is_kept_once_and_served_back_byte_for_byte() {
    for api in each_backend().await {
        let business = business(&api).await;
        records_calls(&api, &business, None).await;
        let call = call_with(&api, &business, "CA_audio_kept", "conv_audio_kept", Some(true)).await;
        let audio = some_mp3();
        let body = audio_event("conv_audio_kept", &STANDARD.encode(&audio));
        for _ in 0..3 {
            let (status, answer) = deliver(&api, body.clone()).await;
            assert_eq!(status, 200, "{answer}");
        }
        assert_eq!(api.store.elevenlabs_audio_count(&call.id).await.unwrap(), 1);

        let path = format!("/calls/{}/recording/elevenlabs", call.id);
        let response = api
            .request(Method::GET, &path, &business.key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["content-type"], "audio/mpeg");
        assert_eq!(response.bytes().await.unwrap().as_ref(), audio.as_slice());
        let detail = api
            .get(&format!("/calls/{}", call.id), &business.key)
            .await
            .expect(200);
        assert_eq!(detail["has_elevenlabs_audio"], true, "{detail}");
        assert_eq!(detail["has_recording"], false, "{detail}");

        let stranger = api.account("Elsewhere", "free").await;
        let theirs = api.get(&path, &stranger.key).await.error(404);
        assert_eq!(theirs["code"], "not_found");
    }
}

#[tokio::test]
async fn audio_without_a_yes_is_dropped() {
    for api in each_backend().await {
        let business = business(&api).await;
        records_calls(&api, &business, None).await;
        let refused = call_with(&api, &business, "CA_audio_no", "conv_audio_no", Some(false)).await;
        let unanswered = call_with(&api, &business, "CA_audio_none", "conv_audio_none", None).await;
        let audio = STANDARD.encode(some_mp3());
        for (call, conversation) in [(&refused, "conv_audio_no"), (&unanswered, "conv_audio_none")] {
            let (status, answer) = deliver(&api, audio_event(conversation, &audio)).await;
            assert_eq!(status, 200, "{answer}");
            assert_eq!(api.store.elevenlabs_audio_count(&call.id).await.unwrap(), 0);
            let path = format!("/calls/{}/recording/elevenlabs", call.id);
            let none = api.get(&path, &business.key).await.error(404);
            assert_eq!(none["code"], "not_found", "{none}");
        }
        // A conversation no call has opened: dropped too.
        let (status, answer) = deliver(&api, audio_event("conv_nobody", &audio)).await;
        assert_eq!(status, 200, "{answer}");
    }
}

#[tokio::test]
async fn audio_of_an_account_that_does_not_record_calls_is_dropped() {
    for api in each_backend().await {
        let business = business(&api).await;
        api.patch("/account", &business.key, json!({"record_calls": false}))
            .await
            .expect(200);
        let call = call_with(&api, &business, "CA_audio_off", "conv_audio_off", Some(true)).await;
        let (status, answer) =
            deliver(&api, audio_event("conv_audio_off", &STANDARD.encode(some_mp3()))).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(api.store.elevenlabs_audio_count(&call.id).await.unwrap(), 0);
        let detail = api
            .get(&format!("/calls/{}", call.id), &business.key)
            .await
            .expect(200);
        assert_eq!(detail["has_elevenlabs_audio"], false, "{detail}");
    }
}

#[tokio::test]
async fn the_retention_purge_removes_kept_audio() {
    for api in each_backend().await {
        let business = business(&api).await;
        records_calls(&api, &business, Some(7)).await;
        let call = call_with(&api, &business, "CA_audio_old", "conv_audio_old", Some(true)).await;
        let (status, answer) =
            deliver(&api, audio_event("conv_audio_old", &STANDARD.encode(some_mp3()))).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(api.store.elevenlabs_audio_count(&call.id).await.unwrap(), 1);

        recordings::purge(&api.store, Timestamp::now() + SignedDuration::from_hours(6 * 24)).await;
        assert_eq!(api.store.elevenlabs_audio_count(&call.id).await.unwrap(), 1);
        recordings::purge(
            &api.store,
            Timestamp::now() + SignedDuration::from_hours(7 * 24 + 1),
        )
        .await;
        assert_eq!(api.store.elevenlabs_audio_count(&call.id).await.unwrap(), 0);
    }
}

#[tokio::test]
async fn too_much_audio_is_a_413_and_bad_audio_a_400() {
    let api = each_backend().await.remove(0);
    let business = business(&api).await;
    records_calls(&api, &business, None).await;
    let call = call_with(&api, &business, "CA_audio_big", "conv_audio_big", Some(true)).await;
    let too_long = "A".repeat(MAX_AUDIO_BASE64_CHARS + 4);
    let (status, answer) = deliver(&api, audio_event("conv_audio_big", &too_long)).await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("24 MiB"), "{answer}");
    let (status, answer) = deliver(&api, audio_event("conv_audio_big", "not base64!")).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(api.store.elevenlabs_audio_count(&call.id).await.unwrap(), 0);
}

fn failure_event(data: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": "call_initiation_failure",
        "event_timestamp": Timestamp::now().as_second(),
        "data": data,
    }))
    .unwrap()
}

async fn initiation_failures(api: &TestApi, business: &Business, call: &CallRecord) -> Vec<Value> {
    let detail = api
        .get(&format!("/calls/{}", call.id), &business.key)
        .await
        .expect(200);
    detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["kind"] == "initiation_failed")
        .cloned()
        .collect()
}

#[tokio::test]
async fn an_initiation_failure_lands_once_on_its_calls_timeline() {
    for api in each_backend().await {
        let business = business(&api).await;
        let by_conversation = call_with(&api, &business, "CA_fail_conv", "conv_fail_1", None).await;
        let by_sid = call_with(&api, &business, "CA_fail_sid", "conv_fail_other", None).await;

        let busy = failure_event(json!({
            "agent_id": "agent_el_demo", "conversation_id": "conv_fail_1", "failure_reason": "busy",
            "metadata": {"type": "twilio", "body": {"CallStatus": "busy"}}
        }));
        let no_answer = failure_event(json!({
            "agent_id": "agent_el_demo", "failure_reason": "no-answer",
            "metadata": {"type": "twilio", "body": {"CallSid": "CA_fail_sid", "CallStatus": "no-answer"}}
        }));
        for _ in 0..2 {
            for body in [&busy, &no_answer] {
                let (status, answer) = deliver(&api, body.clone()).await;
                assert_eq!(status, 200, "{answer}");
            }
        }
        let logged = initiation_failures(&api, &business, &by_conversation).await;
        assert_eq!(logged.len(), 1, "{logged:?}");
        assert_eq!(logged[0]["detail"]["reason"], "busy");
        assert_eq!(logged[0]["detail"]["provider"], "twilio");
        assert_eq!(logged[0]["detail"]["conversation_id"], "conv_fail_1");
        let logged = initiation_failures(&api, &business, &by_sid).await;
        assert_eq!(logged.len(), 1, "{logged:?}");
        assert_eq!(logged[0]["detail"]["reason"], "no-answer");

        // No call matches: still a 200, nothing written.
        let stranger = failure_event(json!({
            "agent_id": "agent_el_demo", "conversation_id": "conv_unknown", "failure_reason": "unknown",
            "metadata": {"type": "sip", "body": {}}
        }));
        let (status, answer) = deliver(&api, stranger).await;
        assert_eq!(status, 200, "{answer}");
    }
}
