//! `transfer_call` as the agent calls it, on both backends: it hands the call over only when the
//! agent has an escalation number, logs the request in the call's timeline first, and says what
//! is wrong with bad parameters.

use crate::support::{CALLER, Demo, call, demo};
use jiff::Timestamp;
use serde_json::{Value, json};
use switchboard::store::testing::on_each_backend;
use switchboard::store::{AgentChanges, CallDirection, CallEventKind, NewCallRecord};
use switchboard::tools::transfer::NO_ONE_TO_TAKE_THE_CALL;

/// The call the tools run on, with a row of its own.
async fn on_a_call(demo: &Demo) {
    let agent = demo
        .store
        .agent(&demo.business.account_id, &demo.business.agent_id)
        .await
        .unwrap();
    demo.store
        .insert_call(
            &demo.business.account_id,
            NewCallRecord {
                agent_id: agent.id.clone(),
                call_sid: demo.ctx.call_sid.clone(),
                direction: CallDirection::Inbound,
                from_number: CALLER.into(),
                to_number: agent.phone_number.clone().unwrap(),
                started_at: Timestamp::now(),
            },
        )
        .await
        .unwrap()
        .expect("a new call");
}

async fn set_escalation_number(demo: &Demo, number: Option<&str>) {
    demo.store
        .update_agent(
            &demo.business.account_id,
            &demo.business.agent_id,
            AgentChanges {
                fallback_number: Some(number.map(str::to_owned)),
                ..AgentChanges::default()
            },
        )
        .await
        .unwrap();
}

async fn logged_requests(demo: &Demo) -> Vec<Value> {
    let call = demo.store.call_by_sid(&demo.ctx.call_sid).await.unwrap().unwrap();
    demo.store
        .call_timeline(&demo.business.account_id, &call.id)
        .await
        .unwrap()
        .events
        .into_iter()
        .filter(|event| event.kind == CallEventKind::TransferRequested)
        .map(|event| event.detail)
        .collect()
}

#[tokio::test]
async fn a_transfer_with_an_escalation_number_ends_the_call_as_a_transfer() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        on_a_call(&demo).await;
        set_escalation_number(&demo, Some("+15550100999")).await;
        let outcome = demo
            .outcome(call(
                "transfer_call",
                json!({"reason": "  a question about an invoice ", "summary": "Asked about March."}),
            ))
            .await;
        assert!(!outcome.is_error, "{}", outcome.result);
        assert!(outcome.end_call && outcome.transfer);
        let reply: Value = serde_json::from_str(&outcome.result).unwrap();
        assert_eq!(reply["transferring"], true);
        assert!(
            reply["message"]
                .as_str()
                .unwrap()
                .contains("putting them through")
        );
        let logged = logged_requests(&demo).await;
        assert_eq!(logged.len(), 1, "{logged:?}");
        assert_eq!(logged[0]["reason"], "a question about an invoice");
        assert_eq!(logged[0]["summary"], "Asked about March.");
    })
    .await;
}

#[tokio::test]
async fn an_agent_without_an_escalation_number_refuses_and_the_call_goes_on() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        on_a_call(&demo).await;
        set_escalation_number(&demo, None).await;
        let outcome = demo
            .outcome(call("transfer_call", json!({"reason": "wants a person"})))
            .await;
        assert!(outcome.is_error);
        assert!(!outcome.end_call && !outcome.transfer, "the call goes on");
        assert_eq!(outcome.result, NO_ONE_TO_TAKE_THE_CALL);
        assert!(logged_requests(&demo).await.is_empty(), "nothing is logged");
    })
    .await;
}

#[tokio::test]
async fn bad_parameters_are_answered_with_what_is_needed() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        on_a_call(&demo).await;
        set_escalation_number(&demo, Some("+15550100999")).await;
        assert_eq!(
            demo.err("transfer_call", json!({})).await,
            "I need the reason the caller wants a person."
        );
        assert_eq!(
            demo.err("transfer_call", json!({"reason": "   "})).await,
            "I need the reason the caller wants a person."
        );
        let long = "x".repeat(201);
        assert_eq!(
            demo.err("transfer_call", json!({"reason": long})).await,
            "The reason is too long; please keep it under 200 characters."
        );
        let sentence = demo.err("transfer_call", json!({"reason": 7})).await;
        assert!(
            sentence.starts_with("I couldn't read the parameters"),
            "{sentence}"
        );
        let sentence = demo.err("transfer_call", json!("a person")).await;
        assert_eq!(sentence, "The tool parameters must be an object of named values.");
        assert!(logged_requests(&demo).await.is_empty(), "nothing is logged");
    })
    .await;
}
