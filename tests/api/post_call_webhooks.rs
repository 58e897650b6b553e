//! ElevenLabs' post-call webhooks over real HTTP: a signed transcription report merges into
//! its call's body under `analysis`, a redelivery changes nothing, and every bad signature is
//! refused with 401 before anything is read or written.

use jiff::Timestamp;
use serde_json::{Value, json};
use switchboard::config::Secret;
use switchboard::store::{CallDirection, NewCallRecord, testing};
use switchboard::wire::elevenlabs::webhook_signature::sign;

use crate::business::business;
use crate::support::TestApi;

const SECRET: &str = "wsec_post_call_tests";

fn report(conversation_id: &str) -> Value {
    json!({
        "type": "post_call_transcription",
        "event_timestamp": Timestamp::now().as_second(),
        "data": {
            "agent_id": "agent_el_demo",
            "conversation_id": conversation_id,
            "status": "done",
            "transcript": [
                {"role": "agent", "message": "Hello, how can I help?", "time_in_call_secs": 0},
                {"role": "user", "message": "A haircut tomorrow at ten.", "time_in_call_secs": 4}
            ],
            "metadata": {"start_time_unix_secs": 1_790_000_000, "call_duration_secs": 95, "cost": 412},
            "analysis": {
                "call_successful": "success",
                "transcript_summary": "The caller booked a haircut for tomorrow at ten.",
                "call_summary_title": "Haircut booked",
                "evaluation_criteria_results": {"polite": {"criteria_id": "polite", "result": "success", "rationale": "Kind."}},
                "data_collection_results": {"service": {"data_collection_id": "service", "value": "haircut"}}
            }
        }
    })
}

async fn deliver(api: &TestApi, body: &[u8], signature: Option<String>) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/webhooks/elevenlabs", api.base_url))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header("ElevenLabs-Signature", signature);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

async fn with_secret(store: testing::TestStore) -> TestApi {
    TestApi::start_with(store, |config| {
        config.elevenlabs.webhook_secret = Some(Secret::new(SECRET));
    })
    .await
}

async fn each_backend() -> Vec<TestApi> {
    let mut apis = vec![with_secret(testing::sqlite().await).await];
    if let Some(store) = testing::postgres().await {
        apis.push(with_secret(store).await);
    }
    apis
}

#[tokio::test]
async fn a_signed_report_merges_into_its_call_once() {
    for api in each_backend().await {
        let business = business(&api).await;
        let store = api.store.store();
        let call = store
            .insert_call(
                &business.demo.account_id,
                NewCallRecord {
                    agent_id: business.demo.agent_id.clone(),
                    call_sid: "CA_post_call_merge".into(),
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
            .set_call_conversation_id("CA_post_call_merge", "conv_merge_1")
            .await
            .unwrap();
        let before = api
            .get(&format!("/calls/{}", call.id), &business.key)
            .await
            .expect(200);
        assert!(before["analysis"].is_null(), "{before}");

        let body = serde_json::to_vec(&report("conv_merge_1")).unwrap();
        for _ in 0..3 {
            let signature = sign(SECRET.as_bytes(), Timestamp::now().as_second(), &body);
            let (status, answer) = deliver(&api, &body, Some(signature)).await;
            assert_eq!(status, 200, "{answer}");
        }
        assert_eq!(store.post_call_analysis_count("conv_merge_1").await.unwrap(), 1);

        let after = api
            .get(&format!("/calls/{}", call.id), &business.key)
            .await
            .expect(200);
        let analysis = &after["analysis"];
        assert_eq!(analysis["conversation_id"], "conv_merge_1");
        assert_eq!(analysis["call_successful"], "success");
        assert_eq!(
            analysis["transcript_summary"],
            "The caller booked a haircut for tomorrow at ten."
        );
        assert_eq!(analysis["call_summary_title"], "Haircut booked");
        assert_eq!(
            analysis["evaluation_criteria_results"]["polite"]["result"],
            "success"
        );
        assert_eq!(analysis["data_collection_results"]["service"]["value"], "haircut");
        assert_eq!(analysis["call_duration_secs"], 95);
        assert_eq!(analysis["cost"], 412);
    }
}

#[tokio::test]
async fn a_report_before_its_call_knows_the_conversation_still_lands() {
    for api in each_backend().await {
        let body = serde_json::to_vec(&report("conv_early")).unwrap();
        let signature = sign(SECRET.as_bytes(), Timestamp::now().as_second(), &body);
        assert_eq!(deliver(&api, &body, Some(signature)).await.0, 200);
        let stored = api
            .store
            .store()
            .post_call_analysis("conv_early")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.call_successful.as_deref(), Some("success"));
    }
}

#[tokio::test]
async fn bad_signatures_are_refused_and_write_nothing() {
    for api in each_backend().await {
        let body = serde_json::to_vec(&report("conv_refused")).unwrap();
        let now = Timestamp::now().as_second();
        let mut tampered = body.clone();
        let at = tampered.iter().position(|&b| b == b'9').unwrap();
        tampered[at] = b'8';
        let cases: Vec<(&str, Vec<u8>, Option<String>)> = vec![
            (
                "tampered body",
                tampered,
                Some(sign(SECRET.as_bytes(), now, &body)),
            ),
            (
                "wrong secret",
                body.clone(),
                Some(sign(b"another secret", now, &body)),
            ),
            (
                "stale t",
                body.clone(),
                Some(sign(SECRET.as_bytes(), now - 31 * 60, &body)),
            ),
            (
                "future t",
                body.clone(),
                Some(sign(SECRET.as_bytes(), now + 60 * 60, &body)),
            ),
            ("missing header", body.clone(), None),
            ("malformed header", body.clone(), Some("v0=abc".into())),
        ];
        for (case, sent, signature) in cases {
            let (status, answer) = deliver(&api, &sent, signature).await;
            assert_eq!(status, 401, "{case}: {answer}");
            let message = answer["error"].as_str().unwrap();
            assert!(
                message.starts_with("Invalid ElevenLabs signature"),
                "{case}: {message}"
            );
            assert!(!message.contains(SECRET), "{case}: {message}");
        }
        assert_eq!(
            api.store
                .store()
                .post_call_analysis_count("conv_refused")
                .await
                .unwrap(),
            0
        );
    }
}

#[tokio::test]
async fn a_signed_body_that_is_not_an_event_is_a_400_and_an_unknown_type_a_200() {
    for api in each_backend().await {
        let now = Timestamp::now().as_second();
        let broken = b"{\"type\": \"post_call_transcription\", ";
        let (status, answer) = deliver(&api, broken, Some(sign(SECRET.as_bytes(), now, broken))).await;
        assert_eq!(status, 400, "{answer}");
        let unknown = br#"{"type":"something_new","event_timestamp":1790000000,"data":{}}"#;
        let (status, answer) = deliver(&api, unknown, Some(sign(SECRET.as_bytes(), now, unknown))).await;
        assert_eq!((status, answer), (200, json!({"status": "ok"})));
    }
}

#[tokio::test]
async fn without_a_secret_every_delivery_is_refused() {
    let api = TestApi::start(testing::sqlite().await).await;
    let body = serde_json::to_vec(&report("conv_no_secret")).unwrap();
    let signature = sign(SECRET.as_bytes(), Timestamp::now().as_second(), &body);
    assert_eq!(deliver(&api, &body, Some(signature)).await.0, 401);
    assert_eq!(
        api.store
            .store()
            .post_call_analysis_count("conv_no_secret")
            .await
            .unwrap(),
        0
    );
}
