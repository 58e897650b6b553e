//! ElevenLabs' post-call webhooks signed by the official SDK's recipe
//! (`tests/python/webhook_check.py sign`, as the SDK's own tests sign), not by switchboard's
//! `sign()`: switchboard's `POST /webhooks/elevenlabs` takes them and the merged analysis shows
//! in `GET /api/v1/calls/{id}`; tampered and stale ones get 401 and write nothing.

use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};
use switchboard::config::Secret;
use switchboard::store::{CallDirection, NewCallRecord, testing};

use crate::business::business;
use crate::python::{Python, python_with_elevenlabs};
use crate::support::TestApi;

const SECRET: &str = "wsec_signed_by_the_sdk_recipe";

fn report(conversation_id: &str) -> Value {
    json!({
        "type": "post_call_transcription",
        "event_timestamp": Timestamp::now().as_second(),
        "data": {
            "agent_id": "agent_el_demo",
            "conversation_id": conversation_id,
            "status": "done",
            "transcript": [
                {"role": "agent", "message": "Harbor Dental, how can I help?", "time_in_call_secs": 0},
                {"role": "user", "message": "A cleaning next week.", "time_in_call_secs": 3}
            ],
            "metadata": {"start_time_unix_secs": 1_790_000_000, "call_duration_secs": 61, "cost": 210},
            "analysis": {
                "call_successful": "success",
                "transcript_summary": "The caller asked for a cleaning next week.",
                "call_summary_title": "Cleaning requested",
                "evaluation_criteria_results": {},
                "data_collection_results": {"service": {"data_collection_id": "service", "value": "cleaning"}}
            }
        }
    })
}

/// `tests/python/webhook_check.py sign`: the body and header the SDK's recipe makes.
async fn signed_by_python(python: &Python, payload: &Value, age_secs: i64) -> (String, String) {
    use tokio::io::AsyncWriteExt;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/webhook_check.py");
    let mut child = python
        .tokio_command()
        .args([script, "sign"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python runs");
    let request = json!({"payload": payload, "secret": SECRET, "age_secs": age_secs});
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(request.to_string().as_bytes()).await.unwrap();
    drop(stdin);
    let output = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("the script finishes")
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: Value = serde_json::from_str(stdout.trim()).unwrap();
    let text = |field: &str| answer[field].as_str().unwrap().to_owned();
    (text("body"), text("header"))
}

async fn deliver(api: &TestApi, body: &str, signature: &str) -> (u16, Value) {
    let answer = reqwest::Client::new()
        .post(format!("{}/webhooks/elevenlabs", api.base_url))
        .header("content-type", "application/json")
        .header("ElevenLabs-Signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_signed_by_the_sdks_recipe_merge_and_tampered_or_stale_ones_are_refused() {
    let Some(python) = python_with_elevenlabs("reports_signed_by_the_sdks_recipe_merge") else {
        return;
    };
    let mut stores = vec![testing::sqlite().await];
    stores.extend(testing::postgres().await);
    for store in stores {
        let api = TestApi::start_with(store, |config| {
            config.elevenlabs.webhook_secret = Some(Secret::new(SECRET));
        })
        .await;
        let business = business(&api).await;
        let store = api.store.store();
        let call = store
            .insert_call(
                &business.demo.account_id,
                NewCallRecord {
                    agent_id: business.demo.agent_id.clone(),
                    call_sid: "CA_sdk_signed".into(),
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
            .set_call_conversation_id("CA_sdk_signed", "conv_sdk_signed")
            .await
            .unwrap();

        let (body, header) = signed_by_python(&python, &report("conv_sdk_signed"), 0).await;
        let tampered = body.replacen("cleaning next week", "cleaning next year", 1);
        assert_ne!(tampered, body);
        let (status, answer) = deliver(&api, &tampered, &header).await;
        assert_eq!(status, 401, "tampered: {answer}");
        let (stale_body, stale_header) = signed_by_python(&python, &report("conv_sdk_signed"), 31 * 60).await;
        let (status, answer) = deliver(&api, &stale_body, &stale_header).await;
        assert_eq!(status, 401, "stale: {answer}");
        assert_eq!(
            store.post_call_analysis_count("conv_sdk_signed").await.unwrap(),
            0
        );
        let before = api
            .get(&format!("/calls/{}", call.id), &business.key)
            .await
            .expect(200);
        assert!(before["analysis"].is_null(), "{before}");

        let (status, answer) = deliver(&api, &body, &header).await;
        assert_eq!(status, 200, "{answer}");
        let after = api
            .get(&format!("/calls/{}", call.id), &business.key)
            .await
            .expect(200);
        let analysis = &after["analysis"];
        assert_eq!(analysis["conversation_id"], "conv_sdk_signed");
        assert_eq!(analysis["call_successful"], "success");
        assert_eq!(
            analysis["transcript_summary"],
            "The caller asked for a cleaning next week."
        );
        assert_eq!(analysis["call_summary_title"], "Cleaning requested");
        assert_eq!(
            analysis["data_collection_results"]["service"]["value"],
            "cleaning"
        );
        assert_eq!(analysis["call_duration_secs"], 61);
    }
}
