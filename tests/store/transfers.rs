//! A call handed to a person, on both backends: the request the agent logged is read back with
//! the caller's contact name, and the dial's outcome is logged once, even when two deliveries
//! of Twilio's callback race.

use jiff::Timestamp;
use serde_json::json;
use switchboard::store::testing::{on_each_backend, seed_business};
use switchboard::store::{
    CallDirection, CallEventKind, CallUpdate, NewCallEvent, NewCallRecord, NewContact, Store,
};

const CALLER: &str = "+15005550006";

async fn a_call(store: &Store, call_sid: &str) -> switchboard::store::testing::Business {
    let business = seed_business(store).await;
    store
        .insert_call(
            &business.account.id,
            NewCallRecord {
                agent_id: business.agent.id.clone(),
                call_sid: call_sid.into(),
                direction: CallDirection::Inbound,
                from_number: CALLER.into(),
                to_number: business.agent.phone_number.clone().unwrap(),
                started_at: Timestamp::now(),
            },
        )
        .await
        .unwrap()
        .expect("a new call");
    business
}

fn event(kind: CallEventKind, detail: serde_json::Value) -> NewCallEvent {
    NewCallEvent {
        at: Timestamp::now(),
        kind,
        detail,
    }
}

#[tokio::test]
async fn the_request_is_read_back_with_the_callers_name() {
    on_each_backend(|store| async move {
        let sid = format!("CA{:032x}", rand::random::<u128>());
        let business = a_call(&store, &sid).await;
        store
            .insert_contact(
                &business.account.id,
                NewContact {
                    phone: CALLER.into(),
                    name: Some("Jane Doe".into()),
                    email: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            store.transfer_request(&sid).await.unwrap(),
            None,
            "none asked for yet"
        );
        let asked = event(CallEventKind::TransferRequested, json!({"reason": "an invoice"}));
        assert!(store.insert_call_event(&sid, &asked).await.unwrap());
        let request = store.transfer_request(&sid).await.unwrap().unwrap();
        assert_eq!(request.reason, "an invoice");
        assert_eq!(request.summary, None);
        assert_eq!(request.caller_name.as_deref(), Some("Jane Doe"));
        assert_eq!(request.call.call_sid, sid);
    })
    .await;
}

#[tokio::test]
async fn racing_deliveries_of_the_outcome_log_it_once() {
    on_each_backend(|store| async move {
        let sid = format!("CA{:032x}", rand::random::<u128>());
        let business = a_call(&store, &sid).await;
        let deliveries = (0..8).map(|n| {
            let store = store.clone();
            let sid = sid.clone();
            tokio::spawn(async move {
                let done = event(CallEventKind::Transferred, json!({"answered": n % 2 == 0}));
                store.record_transfer_outcome(&sid, &done).await.unwrap()
            })
        });
        let mut outcomes = Vec::new();
        for delivery in deliveries.collect::<Vec<_>>() {
            outcomes.push(delivery.await.unwrap());
        }
        let new = outcomes.iter().filter(|o| **o == CallUpdate::New(())).count();
        assert_eq!(new, 1, "{outcomes:?}");
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, CallUpdate::New(()) | CallUpdate::Repeat))
        );
        let call = store.call_by_sid(&sid).await.unwrap().unwrap();
        let timeline = store.call_timeline(&business.account.id, &call.id).await.unwrap();
        let logged = timeline
            .events
            .iter()
            .filter(|e| e.kind == CallEventKind::Transferred)
            .count();
        assert_eq!(logged, 1);
        let unknown = event(CallEventKind::Transferred, json!({}));
        assert_eq!(
            store.record_transfer_outcome("CAnone", &unknown).await.unwrap(),
            CallUpdate::UnknownCall
        );
    })
    .await;
}
