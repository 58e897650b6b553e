//! `record_consent`: the caller's answer about the call being recorded, kept on the call's
//! record and in its timeline; in the forms an LLM sends it, and never on another account's
//! call.

use serde_json::json;
use switchboard::call::ToolContext;
use switchboard::store::testing::{on_each_backend, other_account};
use switchboard::store::{CallDirection, CallEventKind, NewCallRecord, Store};

use crate::support::{CALLER, Demo, at, demo};

/// The row of the demo call (`demo.ctx.call_sid`), answered.
async fn answered(store: &Store, demo: &Demo) {
    store
        .insert_call(
            &demo.business.account_id,
            NewCallRecord {
                agent_id: demo.business.agent_id.clone(),
                call_sid: demo.ctx.call_sid.clone(),
                direction: CallDirection::Inbound,
                from_number: CALLER.into(),
                to_number: demo.ctx.called_number.clone().unwrap(),
                started_at: at("2026-02-09T11:59:00Z"),
            },
        )
        .await
        .unwrap()
        .expect("a new call");
}

async fn consent_of(store: &Store, demo: &Demo) -> Option<bool> {
    store
        .call_by_sid(&demo.ctx.call_sid)
        .await
        .unwrap()
        .unwrap()
        .record_consent
}

#[tokio::test]
async fn the_callers_answer_is_kept_on_the_call_and_in_its_timeline() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        answered(&store, &demo).await;
        assert_eq!(consent_of(&store, &demo).await, None, "not asked yet");

        let reply = demo.ok("record_consent", json!({"consented": true})).await;
        assert_eq!(reply, json!({"recorded": true, "consented": true}));
        assert_eq!(consent_of(&store, &demo).await, Some(true));

        // A caller who changes their mind: the latest answer stands, both are in the timeline.
        let reply = demo.ok("record_consent", json!({"consented": "no"})).await;
        assert_eq!(reply["consented"], false);
        assert_eq!(consent_of(&store, &demo).await, Some(false));
        let call = store.call_by_sid(&demo.ctx.call_sid).await.unwrap().unwrap();
        let timeline = store
            .call_timeline(&demo.business.account_id, &call.id)
            .await
            .unwrap();
        let answers: Vec<_> = timeline
            .events
            .iter()
            .filter(|event| event.kind == CallEventKind::RecordConsent)
            .map(|event| (event.at, event.detail.clone()))
            .collect();
        assert_eq!(
            answers,
            [
                (at(crate::support::NOW), json!({"consented": true})),
                (at(crate::support::NOW), json!({"consented": false})),
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn an_answer_it_cannot_read_or_a_call_it_cannot_find_is_said_not_saved() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        answered(&store, &demo).await;
        assert_eq!(
            demo.err("record_consent", json!({})).await,
            "I need to know whether the caller agreed (consented)."
        );
        assert_eq!(
            demo.err("record_consent", json!({"consented": "maybe"})).await,
            "consented must be true or false."
        );
        // Another account's agent naming this call's sid changes nothing.
        let other = other_account(&store).await;
        let elsewhere = demo.on_call(ToolContext {
            account_id: other.id.to_string(),
            ..demo.ctx.clone()
        });
        assert!(
            elsewhere
                .err("record_consent", json!({"consented": true}))
                .await
                .contains("couldn't find this call's record")
        );
        assert_eq!(consent_of(&store, &demo).await, None);
    })
    .await;
}

#[test]
fn switchboard_tools_schema_lists_it_as_a_client_tool_with_its_json_schema() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["tools", "schema", "--variant", "client"])
        .env_remove("SWITCHBOARD_PUBLIC_URL")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let tools: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let consent = tools
        .as_array()
        .unwrap()
        .iter()
        .find(|tool| tool["name"] == "record_consent")
        .unwrap_or_else(|| panic!("record_consent in {tools}"));
    assert_eq!(consent["type"], "client");
    assert_eq!(consent["expects_response"], true);
    assert_eq!(
        consent["parameters"],
        json!({
            "type": "object",
            "properties": {
                "consented": {
                    "type": "boolean",
                    "description": "True if the caller agrees to the call being recorded, false if not.",
                },
            },
            "required": ["consented"],
        })
    );
}
