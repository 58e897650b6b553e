//! A call's row written within its account's calls at once: many answers racing for the last
//! places, through one store (SQLite, PostgreSQL) and through two stores on one PostgreSQL
//! database (two instances), take exactly the places there are.

use futures::future::join_all;
use jiff::{SignedDuration, Timestamp};
use switchboard::store::testing::{self, TestStore};
use switchboard::store::{CallAdmission, CallDirection, NewCallRecord, Store};

const LIMIT: u32 = 4;
const RACING: usize = 24;

fn new_call(business: &testing::Business, call_sid: String, at: Timestamp) -> NewCallRecord {
    NewCallRecord {
        agent_id: business.agent.id.clone(),
        call_sid,
        direction: CallDirection::Inbound,
        from_number: "+15005550006".into(),
        to_number: business.agent.phone_number.clone().unwrap(),
        started_at: at,
    }
}

/// `RACING` answers at once, spread over `stores`: how many were answered and refused.
async fn race(stores: &[Store], business: &testing::Business) -> (usize, usize) {
    let now = Timestamp::now();
    let live_since = now - SignedDuration::from_mins(2);
    let outcomes = join_all((0..RACING).map(|i| {
        let store = stores[i % stores.len()].clone();
        let call = new_call(business, format!("CArace{i}"), now);
        async move {
            store
                .admit_call(
                    &business.account.id,
                    call,
                    Some(LIMIT),
                    live_since,
                    "account_busy",
                )
                .await
                .unwrap()
        }
    }))
    .await;
    let answered = outcomes
        .iter()
        .filter(|o| matches!(o, CallAdmission::Answered(_)))
        .count();
    let full = outcomes
        .iter()
        .filter(|o| matches!(o, CallAdmission::Full { live, .. } if *live == u64::from(LIMIT)))
        .count();
    (answered, full)
}

async fn racing_answers_take_exactly_the_places_there_are(test_store: TestStore, instances: usize) {
    let business = testing::seed_business(&test_store).await;
    let mut others = Vec::new();
    for _ in 1..instances {
        others.push(test_store.another_instance().await);
    }
    let stores: Vec<Store> = std::iter::once(test_store.store())
        .chain(others.iter().map(|other| other.store()))
        .collect();
    let (answered, full) = race(&stores, &business).await;
    assert_eq!(answered, usize::try_from(LIMIT).unwrap());
    assert_eq!(full, RACING - answered, "the others found the account full");
    let busy_rows = join_all((0..RACING).map(|i| {
        let store = test_store.store();
        async move { store.call_by_sid(&format!("CArace{i}")).await.unwrap().unwrap() }
    }))
    .await
    .into_iter()
    .filter(|row| row.end_reason.as_deref() == Some("account_busy"))
    .count();
    assert_eq!(busy_rows, full, "every refused call has its row, ended");

    // A replay is neither counted nor written again.
    let again = test_store
        .admit_call(
            &business.account.id,
            new_call(&business, "CArace0".into(), Timestamp::now()),
            Some(LIMIT),
            Timestamp::now() - SignedDuration::from_mins(2),
            "account_busy",
        )
        .await
        .unwrap();
    assert_eq!(again, CallAdmission::Repeat);
}

#[tokio::test]
async fn racing_answers_on_sqlite_take_exactly_the_places_there_are() {
    racing_answers_take_exactly_the_places_there_are(testing::sqlite().await, 1).await;
}

#[tokio::test]
async fn racing_answers_on_postgres_take_exactly_the_places_there_are() {
    if let Some(store) = testing::postgres().await {
        racing_answers_take_exactly_the_places_there_are(store, 1).await;
    }
}

#[tokio::test]
async fn racing_answers_through_two_instances_on_postgres_take_exactly_the_places_there_are() {
    if let Some(store) = testing::postgres().await {
        racing_answers_take_exactly_the_places_there_are(store, 2).await;
    }
}

#[tokio::test]
async fn a_call_silent_longer_than_recovery_allows_holds_no_place() {
    testing::on_each_backend(|store| async move {
        let business = testing::seed_business(&store).await;
        let now = Timestamp::now();
        let live_since = now - SignedDuration::from_mins(2);
        let stale = new_call(&business, "CAstale".into(), now - SignedDuration::from_mins(10));
        store
            .insert_call(&business.account.id, stale)
            .await
            .unwrap()
            .unwrap();
        let fresh = new_call(&business, "CAfresh".into(), now);
        let one = Some(1);
        let admitted = store
            .admit_call(&business.account.id, fresh, one, live_since, "account_busy")
            .await
            .unwrap();
        assert!(matches!(admitted, CallAdmission::Answered(_)), "{admitted:?}");
        let next = new_call(&business, "CAnext".into(), now);
        let full = store
            .admit_call(&business.account.id, next, one, live_since, "account_busy")
            .await
            .unwrap();
        assert!(matches!(full, CallAdmission::Full { live: 1, .. }), "{full:?}");
        // The fresh call ends: its place is free.
        store
            .finish_call(
                "CAfresh",
                now,
                "caller_hung_up",
                std::time::Duration::from_secs(3),
            )
            .await
            .unwrap();
        let after = new_call(&business, "CAafter".into(), now);
        let answered = store
            .admit_call(&business.account.id, after, one, live_since, "account_busy")
            .await
            .unwrap();
        assert!(matches!(answered, CallAdmission::Answered(_)), "{answered:?}");
    })
    .await;
}
