//! An account's limits on the call path: its minute pool (a call needs a whole minute left;
//! the next billing period takes calls again by itself) and its calls at once (at most the
//! plan's `max_concurrent_calls`, held by the database across instances sharing it, on
//! SQLite and PostgreSQL; concurrent answers racing for the last place).

use std::time::Duration;

use futures::future::join_all;
use jiff::{SignedDuration, Timestamp};
use switchboard::manage::billing_period;
use switchboard::store::testing::{self, TestStore};
use switchboard::store::{CallDirection, NewCallRecord, PlanChange};
use switchboard::telephony::{Answer, CallRefusal, InboundCall};

use crate::routing::{ReadVerb, names, read_twiml, set_booking_page};
use crate::support::{DEAD_UPSTREAM, TestBridge, voice_params};

/// Writes an ended call of `seconds` answered at `at` on the bridge's agent.
async fn past_call(bridge: &TestBridge, call_sid: &str, at: Timestamp, seconds: u64) {
    bridge
        .store
        .insert_call(&bridge.business.account.id, new_call(bridge, call_sid, at))
        .await
        .unwrap()
        .unwrap();
    let ended = at + SignedDuration::from_secs(i64::try_from(seconds).unwrap());
    bridge
        .store
        .finish_call(call_sid, ended, "caller_hung_up", Duration::from_secs(seconds))
        .await
        .unwrap();
}

fn new_call(bridge: &TestBridge, call_sid: &str, at: Timestamp) -> NewCallRecord {
    NewCallRecord {
        agent_id: bridge.business.agent.id.clone(),
        call_sid: call_sid.into(),
        direction: CallDirection::Inbound,
        from_number: "+15005550006".into(),
        to_number: bridge.number().into(),
        started_at: at,
    }
}

async fn set_plan(bridge: &TestBridge, change: PlanChange) {
    bridge.store.update_plan("pro", change).await.unwrap();
}

async fn post_voice(bridge: &TestBridge, call_sid: &str, to: &str) -> Vec<ReadVerb> {
    let answer = bridge
        .hooks
        .post(&bridge.url("/twilio/voice"), &voice_params(call_sid, to))
        .await
        .unwrap();
    read_twiml(&answer)
}

async fn metrics(bridge: &TestBridge) -> String {
    reqwest::get(bridge.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn with_under_a_minute_left_the_caller_hears_where_to_book_and_no_stream_starts() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    set_plan(
        &bridge,
        PlanChange {
            monthly_minutes: Some(Some(1)),
            ..PlanChange::default()
        },
    )
    .await;
    set_booking_page(&bridge, Some("https://book.example/adler")).await;
    // 61 seconds are two started minutes: past the limit of one. The call is in this billing
    // period even when it began minutes ago, just after midnight in the account's zone.
    let account = &bridge.business.account;
    let zone = jiff::tz::TimeZone::get(&account.timezone).unwrap();
    let now = Timestamp::now();
    let period = billing_period(account.created_at, &zone, now);
    past_call(
        &bridge,
        "CAused",
        period.start.max(now - SignedDuration::from_mins(5)),
        61,
    )
    .await;
    let verbs = post_voice(&bridge, "CAempty", bridge.number()).await;
    assert_eq!(names(&verbs), ["Say", "Say", "Hangup"], "{verbs:?}");
    assert!(verbs[0].text.contains("unavailable"), "{verbs:?}");
    assert!(verbs[1].text.contains("https://book.example/adler"), "{verbs:?}");
    let row = bridge.store.call_by_sid("CAempty").await.unwrap().unwrap();
    assert_eq!(row.end_reason.as_deref(), Some("out_of_minutes"));
    let app = &bridge.server.app;
    assert_eq!(app.metrics.call_refused_count(CallRefusal::OutOfMinutes), 1);
    assert_eq!(app.connections.waiting(), 0, "no agent was pre-warmed");
    assert!(
        metrics(&bridge)
            .await
            .contains("switchboard_calls_refused_total{reason=\"out_of_minutes\"} 1\n")
    );
}

#[tokio::test]
async fn the_next_billing_period_takes_calls_again_by_itself() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    set_plan(
        &bridge,
        PlanChange {
            monthly_minutes: Some(Some(2)),
            ..PlanChange::default()
        },
    )
    .await;
    let account = &bridge.business.account;
    let zone = jiff::tz::TimeZone::get(&account.timezone).unwrap();
    let period = billing_period(account.created_at, &zone, Timestamp::now());
    past_call(
        &bridge,
        "CAfirst",
        period.start + SignedDuration::from_secs(1),
        120,
    )
    .await;
    let reception = &bridge.server.app.reception;
    let call = |sid: &str| InboundCall::from_fields(Some(sid), Some("+15005550006"), Some(bridge.number()));

    let last_minute = period.end - SignedDuration::from_mins(1);
    let refused = reception.answer(call("CAlate"), last_minute).await;
    assert!(matches!(refused, Answer::Refuse(_)), "{refused:?}");
    let next_period = period.end + SignedDuration::from_mins(1);
    let answered = reception.answer(call("CAnext"), next_period).await;
    assert!(matches!(answered, Answer::Connect(_)), "{answered:?}");
}

/// The plan allows `limit` calls at once; `limit` calls are connected, one more hears the
/// line is busy and gets the line's voicemail; ending one frees a place. A call whose record
/// nobody wrote for long is not counted.
async fn calls_at_once_up_to_the_plans_limit(store: TestStore) {
    let bridge = TestBridge::start_on(store, DEAD_UPSTREAM, |_| {}).await;
    let limit = 2;
    set_plan(
        &bridge,
        PlanChange {
            max_concurrent_calls: Some(limit),
            ..PlanChange::default()
        },
    )
    .await;
    let lost = Timestamp::now() - SignedDuration::from_mins(30);
    bridge
        .store
        .insert_call(&bridge.business.account.id, new_call(&bridge, "CAlost", lost))
        .await
        .unwrap();
    for sid in ["CA1", "CA2"] {
        let verbs = post_voice(&bridge, sid, bridge.number()).await;
        assert_eq!(names(&verbs), ["Connect"], "{sid}: {verbs:?}");
    }
    let busy = post_voice(&bridge, "CA3", bridge.number()).await;
    assert_eq!(
        names(&busy),
        ["Say", "Say", "Record", "Say", "Hangup"],
        "{busy:?}"
    );
    assert_eq!(busy[0].text, bridge.server.app.config.call.busy);
    let row = bridge.store.call_by_sid("CA3").await.unwrap().unwrap();
    assert_eq!(row.end_reason.as_deref(), Some("account_busy"));
    assert!(
        metrics(&bridge)
            .await
            .contains("switchboard_calls_refused_total{reason=\"account_busy\"} 1\n")
    );

    bridge
        .store
        .finish_call("CA1", Timestamp::now(), "caller_hung_up", Duration::from_secs(5))
        .await
        .unwrap();
    let freed = post_voice(&bridge, "CA4", bridge.number()).await;
    assert_eq!(names(&freed), ["Connect"], "{freed:?}");
    let full_again = post_voice(&bridge, "CA5", bridge.number()).await;
    assert_eq!(names(&full_again)[..2], ["Say", "Say"], "{full_again:?}");
}

#[tokio::test]
async fn calls_at_once_are_held_to_the_plan_on_sqlite() {
    calls_at_once_up_to_the_plans_limit(testing::sqlite().await).await;
}

#[tokio::test]
async fn calls_at_once_are_held_to_the_plan_on_postgres() {
    if let Some(store) = testing::postgres().await {
        calls_at_once_up_to_the_plans_limit(store).await;
    }
}

/// Two servers on one database answer `racing` calls of one account at once: exactly the
/// plan's limit are connected, whichever server took them.
#[tokio::test]
async fn two_servers_sharing_postgres_never_both_take_the_last_place() {
    let Some(store) = testing::postgres().await else {
        return;
    };
    let second = store.another_instance().await;
    let first = TestBridge::start_on(store, DEAD_UPSTREAM, |_| {}).await;
    let other = TestBridge::start_on(second, DEAD_UPSTREAM, |_| {}).await;
    let limit = 3;
    set_plan(
        &first,
        PlanChange {
            max_concurrent_calls: Some(limit),
            ..PlanChange::default()
        },
    )
    .await;
    let number = first.number().to_owned();
    let racing = 10;
    let sids: Vec<String> = (0..racing).map(|i| format!("CArace{i}")).collect();
    let answers = join_all(sids.iter().enumerate().map(|(i, sid)| {
        let bridge = if i % 2 == 0 { &first } else { &other };
        post_voice(bridge, sid, &number)
    }))
    .await;
    let connected = answers.iter().filter(|verbs| names(verbs) == ["Connect"]).count();
    assert_eq!(connected, usize::try_from(limit).unwrap(), "{answers:?}");
    for verbs in answers.iter().filter(|verbs| names(verbs) != ["Connect"]) {
        assert_eq!(
            names(verbs),
            ["Say", "Say", "Record", "Say", "Hangup"],
            "{verbs:?}"
        );
    }
    let busy: u64 = [&first, &other]
        .iter()
        .map(|bridge| {
            bridge
                .server
                .app
                .metrics
                .call_refused_count(CallRefusal::AccountBusy)
        })
        .sum();
    assert_eq!(busy, u64::from(racing - limit));

    // One call ends on the first server's side: the other server connects the next.
    let ended = sids
        .iter()
        .zip(&answers)
        .find(|(_, verbs)| names(verbs) == ["Connect"])
        .map(|(sid, _)| sid.clone())
        .unwrap();
    first
        .store
        .finish_call(&ended, Timestamp::now(), "caller_hung_up", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(names(&post_voice(&other, "CAafter", &number).await), ["Connect"]);
    assert_eq!(names(&post_voice(&first, "CAover", &number).await)[0], "Say");
}
