//! A caller's recording consent, as the agent's `record_consent` tool records it during a
//! call, read back over HTTP: the answer on the call (`GET /calls/{id}` and the list) and each
//! answer in its timeline; another account's key finds nothing.

use jiff::Timestamp;
use serde_json::{Value, json};
use switchboard::store::{CallDirection, NewCallRecord};

use crate::business::{CALLER, business};
use crate::support::on_each_backend;

#[tokio::test]
async fn the_callers_consent_is_on_the_call_and_in_its_timeline() {
    on_each_backend(|api| async move {
        let business = business(&api).await;
        let key = &business.key;
        let call = api
            .store
            .insert_call(
                &business.demo.account_id,
                NewCallRecord {
                    agent_id: business.demo.agent_id.clone(),
                    call_sid: business.ctx.call_sid.clone(),
                    direction: CallDirection::Inbound,
                    from_number: CALLER.into(),
                    to_number: business.ctx.called_number.clone().unwrap(),
                    started_at: Timestamp::now(),
                },
            )
            .await
            .unwrap()
            .unwrap();
        let path = format!("/calls/{}", call.id);
        let before = api.get(&path, key).await.expect(200);
        assert_eq!(before["call"]["record_consent"], Value::Null, "not asked yet");

        let said_yes = business.tool("record_consent", json!({"consented": true})).await;
        assert!(!said_yes.is_error, "{}", said_yes.result);
        let read = api.get(&path, key).await.expect(200);
        assert_eq!(read["call"]["record_consent"], true);
        let said_no = business.tool("record_consent", json!({"consented": false})).await;
        assert!(!said_no.is_error, "{}", said_no.result);

        let read = api.get(&path, key).await.expect(200);
        assert_eq!(read["call"]["record_consent"], false, "the latest answer");
        let answers: Vec<&Value> = read["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|event| event["kind"] == "record_consent")
            .map(|event| &event["detail"])
            .collect();
        assert_eq!(
            answers,
            [&json!({"consented": true}), &json!({"consented": false})]
        );
        let listed = api.get("/calls", key).await.expect(200);
        assert_eq!(listed["data"][0]["record_consent"], false);

        let stranger = api.account("Elsewhere", "free").await;
        api.get(&path, &stranger.key).await.expect(404);
    })
    .await;
}
