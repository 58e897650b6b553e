//! A call handed to a person as the call log shows it: ended `transferred`, found by that end
//! reason, with the agent's request and the dial's outcome in its timeline.

use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};
use switchboard::call::ToolCall;
use switchboard::store::{AgentChanges, CallDirection, CallEventKind, NewCallEvent, NewCallRecord};

use crate::business::business;
use crate::support::on_each_backend;

#[tokio::test]
async fn a_transferred_call_shows_its_reason_and_whether_the_person_answered() {
    on_each_backend(|api| async move {
        let business = business(&api).await;
        let store = api.store.store();
        let demo = &business.demo;
        store
            .update_agent(
                &demo.account_id,
                &demo.agent_id,
                AgentChanges {
                    fallback_number: Some(Some("+15550100999".into())),
                    ..AgentChanges::default()
                },
            )
            .await
            .unwrap();
        let sid = format!("CA{:032x}", rand::random::<u128>());
        let started_at = Timestamp::now();
        let record = store
            .insert_call(
                &demo.account_id,
                NewCallRecord {
                    agent_id: demo.agent_id.clone(),
                    call_sid: sid.clone(),
                    direction: CallDirection::Inbound,
                    from_number: "+14155550123".into(),
                    to_number: business.ctx.called_number.clone().unwrap(),
                    started_at,
                },
            )
            .await
            .unwrap()
            .unwrap();
        // The agent asks on the call; the stream ends; the person answers.
        let mut ctx = business.ctx.clone();
        ctx.call_sid = sid.clone();
        let asked = ToolCall {
            id: "toolu_1".into(),
            name: "transfer_call".into(),
            parameters: json!({"reason": "a question about an invoice"}),
        };
        let outcome = business.toolbox.outcome(&ctx, &asked).await;
        assert!(outcome.transfer, "{}", outcome.result);
        store
            .finish_call(&sid, started_at + Duration::from_secs(40), "transferred", Duration::from_secs(40))
            .await
            .unwrap();
        let done = NewCallEvent {
            at: started_at + Duration::from_secs(41),
            kind: CallEventKind::Transferred,
            detail: json!({"reason": "a question about an invoice", "answered": true, "dial_status": "completed"}),
        };
        store.record_transfer_outcome(&sid, &done).await.unwrap();

        let id = record.id.into_string();
        let detail = api.get(&format!("/calls/{id}"), &business.key).await.expect(200);
        assert_eq!(detail["call"]["end_reason"], "transferred");
        let events = detail["events"].as_array().unwrap();
        let find = |kind: &str| -> &Value {
            events
                .iter()
                .find(|e| e["kind"] == kind)
                .unwrap_or_else(|| panic!("no {kind} in {detail}"))
        };
        assert_eq!(find("transfer_requested")["detail"]["reason"], "a question about an invoice");
        assert_eq!(find("transferred")["detail"]["answered"], true);
        assert_eq!(find("ended")["detail"]["reason"], "transferred");

        let listed = api
            .get("/calls?end_reason=transferred", &business.key)
            .await
            .expect(200);
        let ids: Vec<&str> = listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [id.as_str()]);
    })
    .await;
}
