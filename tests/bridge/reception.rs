//! The reception's services called directly, with no HTTP: what an inbound call is answered,
//! what follows its stream, and what the store holds afterwards. (The routing decision itself
//! is unit-tested in `telephony::route`.)

use std::time::Duration;

use jiff::Timestamp;
use switchboard::call::driver::CallObserver;
use switchboard::call::{EndReason, Event, SessionStats};
use switchboard::store::CallDirection;
use switchboard::telephony::{AfterStream, Answer, ErrorKind, Fallback, InboundCall, Then};

use crate::support::{DEAD_UPSTREAM, PATIENCE, TestBridge};

fn call(call_sid: &str, to: &str) -> Option<InboundCall> {
    InboundCall::from_fields(Some(call_sid), Some("+15005550006"), Some(to))
}

fn ended(reason: EndReason) -> Event {
    Event::Ended {
        reason,
        duration: Duration::from_secs(42),
        stats: SessionStats::default(),
    }
}

#[tokio::test]
async fn a_call_to_a_known_number_is_connected_with_a_token_for_its_agent_and_recorded() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let app = &bridge.server.app;
    let now = Timestamp::now();
    let answer = app.reception.answer(call("CAknown", bridge.number()), now).await;
    let Answer::Connect(connect) = answer else {
        panic!("{answer:?}")
    };
    assert_eq!(
        (connect.from.as_str(), connect.to.as_str()),
        ("+15005550006", bridge.number())
    );
    let claims = app.tokens.redeem(Some(&connect.token), "CAknown", now).unwrap();
    assert_eq!(claims.agent_id, bridge.business.agent.id.as_str());
    assert_eq!(app.connections.waiting(), 1, "the agent is being pre-warmed");
    let row = bridge
        .store
        .call_by_sid("CAknown")
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(row.direction, CallDirection::Inbound);
    assert_eq!(row.to_number, bridge.number());
    assert_eq!(row.end_reason, None);
}

#[tokio::test]
async fn a_call_to_an_unknown_number_hears_it_is_not_in_service() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let app = &bridge.server.app;
    let answer = app
        .reception
        .answer(call("CAnobody", "+15550001111"), Timestamp::now())
        .await;
    assert_eq!(answer, Answer::Refuse(Fallback::not_in_service(&app.config.call)));
    assert_eq!(app.metrics.error_count(ErrorKind::UnknownNumber), 1);
    assert!(bridge.store.call_by_sid("CAnobody").await.unwrap().is_none());
    let malformed = app.reception.answer(None, Timestamp::now()).await;
    assert_eq!(
        malformed,
        Answer::Refuse(Fallback::not_in_service(&app.config.call))
    );
}

#[tokio::test]
async fn a_draining_reception_turns_calls_away_and_starts_nothing() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let app = &bridge.server.app;
    app.admission.close();
    let answer = app
        .reception
        .answer(call("CAdrain", bridge.number()), Timestamp::now())
        .await;
    assert_eq!(answer, Answer::Refuse(Fallback::draining()));
    assert_eq!(app.connections.waiting(), 0);
    assert!(bridge.store.call_by_sid("CAdrain").await.unwrap().is_none());
}

#[tokio::test]
async fn a_database_that_is_down_gets_the_caller_an_apology() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let app = &bridge.server.app;
    bridge.store.close().await;
    let answer = app
        .reception
        .answer(call("CAdown", bridge.number()), Timestamp::now())
        .await;
    assert_eq!(answer, Answer::Refuse(Fallback::unavailable(&app.config.call)));
    assert_eq!(app.metrics.error_count(ErrorKind::Store), 1);
}

#[tokio::test]
async fn after_its_stream_a_call_hangs_up_or_falls_back_as_it_ended() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let app = &bridge.server.app;
    let number = bridge.number();
    app.recorder
        .on_event(Some("CAdone"), &ended(EndReason::AgentEnded));
    assert_eq!(
        app.reception.after_stream("CAdone", number).await,
        AfterStream::HangUp
    );
    let failed = EndReason::UpstreamFailed {
        code: Some(1011),
        reason: "internal error".into(),
    };
    app.recorder.on_event(Some("CAfailed"), &ended(failed));
    let AfterStream::Fallback(fallback) = app.reception.after_stream("CAfailed", number).await else {
        panic!("a failed agent falls back")
    };
    // The seeded agent's fallback is voicemail.
    assert!(matches!(fallback.then, Then::Voicemail { .. }), "{fallback:?}");
    // A stream this instance knows nothing of (it ran elsewhere, or never ran) falls back.
    assert!(matches!(
        app.reception.after_stream("CAunknown", number).await,
        AfterStream::Fallback(_)
    ));
    assert_eq!(app.recorder.awaiting_connect_actions(), 0, "both were asked");
}

#[tokio::test]
async fn the_recorder_writes_a_calls_progress_from_its_metered_events() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let app = &bridge.server.app;
    let answer = app
        .reception
        .answer(call("CAmetered", bridge.number()), Timestamp::now())
        .await;
    assert!(matches!(answer, Answer::Connect(_)), "{answer:?}");
    for seconds in [15, 30] {
        app.recorder
            .on_event(Some("CAmetered"), &Event::Metered { seconds });
    }
    let written = async {
        loop {
            let row = bridge.store.call_by_sid("CAmetered").await.unwrap().unwrap();
            if row.progress == Some(Duration::from_secs(30)) {
                return row;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let row = tokio::time::timeout(PATIENCE, written)
        .await
        .expect("the progress was written");
    assert!(row.progress_at.is_some());
    assert_eq!(row.ended_at, None, "still open");
}

#[tokio::test]
async fn a_call_whose_record_cannot_be_written_hears_an_apology_and_counts_a_store_error() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let app = &bridge.server.app;
    // The number still resolves; only the call's row cannot be written.
    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(&bridge.store.url()).await.unwrap();
    sqlx::query(
        "CREATE TRIGGER calls_refused BEFORE INSERT ON calls BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    )
    .execute(&raw)
    .await
    .unwrap();
    let answer = app
        .reception
        .answer(call("CAnorecord", bridge.number()), Timestamp::now())
        .await;
    assert_eq!(answer, Answer::Refuse(Fallback::unavailable(&app.config.call)));
    assert_eq!(app.metrics.error_count(ErrorKind::Store), 1);
    assert_eq!(app.connections.waiting(), 0, "no agent connection for it");
    raw.close().await;
}

#[tokio::test]
async fn a_full_server_hands_calls_to_their_lines_fallback_until_a_place_frees() {
    let bridge = TestBridge::start_with(DEAD_UPSTREAM, |config| config.call.max_calls = 2).await;
    let app = &bridge.server.app;
    let now = Timestamp::now();
    for sid in ["CAfirst", "CAsecond"] {
        let answer = app.reception.answer(call(sid, bridge.number()), now).await;
        assert!(matches!(answer, Answer::Connect(_)), "{answer:?}");
    }
    // Both answered calls' streams are on their way: the third finds no place.
    let answer = app.reception.answer(call("CAthird", bridge.number()), now).await;
    let Answer::Refuse(fallback) = answer else {
        panic!("a third call was connected: {answer:?}");
    };
    assert_eq!(fallback.say[0], app.config.call.busy);
    assert_eq!(app.metrics.error_count(ErrorKind::AtCapacity), 1);
    assert!(
        bridge.store.call_by_sid("CAthird").await.unwrap().is_none(),
        "nothing started"
    );

    // Once the first two streams can no longer come (their tokens expired), there is room.
    let later = now + app.config.call.stream_token_ttl() + Duration::from_secs(2);
    let answer = app
        .reception
        .answer(call("CAfourth", bridge.number()), later)
        .await;
    assert!(matches!(answer, Answer::Connect(_)), "{answer:?}");
}

/// Waits until the overload probe has closed (`true`) or reopened the admission of calls.
async fn until_overloaded(app: &switchboard::app::App, overloaded: bool) {
    tokio::time::timeout(PATIENCE, async {
        while app.admission.is_overloaded() != overloaded {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the admission never became overloaded = {overloaded}"));
}

/// The overload check on a server whose scheduler is made to run late: a task holds the
/// test's single runtime thread for 60 ms at a time, so every wake-up of the probe comes at
/// least 50 ms late (the limit is 20 ms), however idle or busy the machine is. New calls then hear `busy` and their
/// line's fallback, counted as `overloaded`; once the task stops, calls are taken again.
#[tokio::test]
async fn an_overloaded_server_turns_new_calls_away_until_its_scheduler_catches_up() {
    let bridge = TestBridge::start_with(DEAD_UPSTREAM, |config| config.call.overload_lateness_ms = 20).await;
    let app = &bridge.server.app;
    let answer = app
        .reception
        .answer(call("CAbefore", bridge.number()), Timestamp::now())
        .await;
    assert!(matches!(answer, Answer::Connect(_)), "{answer:?}");

    let hogging = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let hog = tokio::spawn({
        let hogging = hogging.clone();
        async move {
            while hogging.load(std::sync::atomic::Ordering::Relaxed) {
                // Deliberately blocking: this is the overload.
                std::thread::sleep(Duration::from_millis(60));
                tokio::task::yield_now().await;
            }
        }
    });
    until_overloaded(app, true).await;
    let answer = app
        .reception
        .answer(call("CAduring", bridge.number()), Timestamp::now())
        .await;
    let Answer::Refuse(fallback) = answer else {
        panic!("a call was connected on an overloaded server: {answer:?}");
    };
    assert_eq!(fallback.say[0], app.config.call.busy);
    assert_eq!(app.metrics.error_count(ErrorKind::Overloaded), 1);
    assert_eq!(app.metrics.error_count(ErrorKind::AtCapacity), 0);
    assert!(
        bridge.store.call_by_sid("CAduring").await.unwrap().is_none(),
        "nothing started"
    );

    hogging.store(false, std::sync::atomic::Ordering::Relaxed);
    hog.await.unwrap();
    until_overloaded(app, false).await;
    let answer = app
        .reception
        .answer(call("CAafter", bridge.number()), Timestamp::now())
        .await;
    assert!(matches!(answer, Answer::Connect(_)), "{answer:?}");
}
