//! The call recorder over a real store: a call's end written again after a failure, its
//! timeline from its events, its record at its end.

use super::*;
use crate::call::SessionStats;
use crate::store::testing::{self, seed_business};
use crate::store::{ActivityKind, CallDirection, CallOutcome, CallTurn, TurnRole};
use crate::telephony::timeline_entries::EVENT_MESSAGE_CHARS;

/// Waits (bounded) until `done` holds.
async fn until(mut done: impl AsyncFnMut() -> bool) {
    let waited = tokio::time::timeout(Duration::from_secs(30), async {
        while !done().await {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    waited.await.expect("it happened");
}

#[tokio::test]
async fn a_calls_end_is_written_again_after_the_database_failed_it() {
    let store = testing::sqlite().await;
    let business = seed_business(&store).await;
    let new = NewCallRecord {
        agent_id: business.agent.id.clone(),
        call_sid: "CAretry".into(),
        direction: CallDirection::Inbound,
        from_number: "+4930123456".into(),
        to_number: business.agent.phone_number.clone().unwrap(),
        started_at: Timestamp::now(),
    };
    store
        .insert_call(&business.account.id, new)
        .await
        .unwrap()
        .unwrap();
    // Every update of a call fails while `outage` has a row.
    for statement in [
        "CREATE TABLE outage (since BIGINT)",
        "INSERT INTO outage VALUES (0)",
        "CREATE TRIGGER calls_down BEFORE UPDATE ON calls WHEN EXISTS (SELECT 1 FROM outage) \
         BEGIN SELECT RAISE(ABORT, 'database unavailable'); END",
    ] {
        sqlx::query(statement).execute(&store.pool).await.unwrap();
    }
    let metrics = Arc::new(Metrics::new());
    let workers = Shutdown::new();
    let recorder = CallRecorder::start(store.store(), metrics.clone(), &workers);
    let ended = Event::Ended {
        reason: EndReason::CallerHungUp,
        duration: Duration::from_secs(42),
        stats: SessionStats::default(),
    };
    recorder.on_event(Some("CAretry"), &ended);
    until(async || metrics.error_count(ErrorKind::Store) >= 1).await;
    sqlx::query("DELETE FROM outage")
        .execute(&store.pool)
        .await
        .unwrap();
    until(async || {
        let row = store.call_by_sid("CAretry").await.unwrap().unwrap();
        row.duration == Some(Duration::from_secs(42))
    })
    .await;
    workers.stop();
    workers.finished().await;
}

#[tokio::test]
async fn a_calls_timeline_is_logged_from_its_events_and_nothing_from_its_audio() {
    use crate::audio::AudioFormat;
    use crate::call::{Started, ToolCall};
    use crate::store::CallEventKind;

    let store = testing::sqlite().await;
    let business = seed_business(&store).await;
    let new = NewCallRecord {
        agent_id: business.agent.id.clone(),
        call_sid: "CAtimeline".into(),
        direction: CallDirection::Inbound,
        from_number: "+4930123456".into(),
        to_number: business.agent.phone_number.clone().unwrap(),
        started_at: Timestamp::now(),
    };
    let call = store
        .insert_call(&business.account.id, new)
        .await
        .unwrap()
        .unwrap();
    let metrics = Arc::new(Metrics::new());
    let workers = Shutdown::new();
    let recorder = CallRecorder::start(store.store(), metrics.clone(), &workers);
    let refusal = "x".repeat(EVENT_MESSAGE_CHARS + 10);
    let events = [
        Event::Started(Started {
            call_sid: "CAtimeline".into(),
            stream_sid: "MZ1".into(),
            account_sid: "AC1".into(),
            parameters: Default::default(),
        }),
        Event::ConversationStarted {
            conversation_id: "conv_1".into(),
            input: AudioFormat::Ulaw8000,
            output: AudioFormat::Ulaw8000,
        },
        Event::AgentSaid("Hello".into()),
        Event::ToolCall(ToolCall {
            id: "tc1".into(),
            name: "create_booking".into(),
            parameters: serde_json::Value::Null,
        }),
        Event::Metered { seconds: 5 },
        Event::ToolFinished {
            id: "tc1".into(),
            name: "create_booking".into(),
            result: refusal.clone(),
            is_error: true,
            timed_out: false,
            elapsed: Duration::from_millis(120),
        },
        Event::ToolFinished {
            id: "tc2".into(),
            name: "list_event_types".into(),
            result: "{}".into(),
            is_error: false,
            timed_out: true,
            elapsed: Duration::from_secs(10),
        },
        Event::Ended {
            reason: EndReason::AgentEnded,
            duration: Duration::from_secs(42),
            stats: SessionStats::default(),
        },
    ];
    for event in &events {
        recorder.on_event(Some("CAtimeline"), event);
    }
    workers.stop();
    workers.finished().await;

    let timeline = store.call_timeline(&business.account.id, &call.id).await.unwrap();
    let kinds: Vec<_> = timeline.events.iter().map(|event| event.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            CallEventKind::Answered,
            CallEventKind::StreamStarted,
            CallEventKind::AgentConnected,
            CallEventKind::ToolCall,
            CallEventKind::ToolCall,
            CallEventKind::Ended,
        ]
    );
    assert_eq!(timeline.events[2].detail["conversation_id"], "conv_1");
    let refused = &timeline.events[3].detail;
    assert_eq!(refused["outcome"], "error");
    assert_eq!(refused["elapsed_ms"], 120);
    let message = refused["message"].as_str().unwrap();
    assert_eq!(
        message.chars().count(),
        EVENT_MESSAGE_CHARS + 1,
        "cut, with an ellipsis"
    );
    let timed_out = &timeline.events[4].detail;
    assert_eq!(timed_out["outcome"], "timed_out");
    assert!(timed_out.get("message").is_none(), "a reply is not logged");
    assert_eq!(timeline.events[5].detail["duration_seconds"], 42);
    assert_eq!(metrics.error_count(ErrorKind::Store), 0);
}

#[tokio::test]
async fn a_calls_record_is_written_once_at_its_end_with_its_transcript_outcome_and_crm_activity() {
    use crate::audio::AudioFormat;
    use crate::call::ToolCall;

    let store = testing::sqlite().await;
    let business = seed_business(&store).await;
    let new = NewCallRecord {
        agent_id: business.agent.id.clone(),
        call_sid: "CArecord".into(),
        direction: CallDirection::Inbound,
        from_number: "+4930123456".into(),
        to_number: business.agent.phone_number.clone().unwrap(),
        started_at: Timestamp::now(),
    };
    let call = store
        .insert_call(&business.account.id, new)
        .await
        .unwrap()
        .unwrap();
    let events = [
        Event::ConversationStarted {
            conversation_id: "conv_1".into(),
            input: AudioFormat::Ulaw8000,
            output: AudioFormat::Ulaw8000,
        },
        Event::AgentSaid("Hello, how can I help?".into()),
        Event::CallerSaid("Any time free on Tuesday?".into()),
        Event::ToolCall(ToolCall {
            id: "tc1".into(),
            name: "get_available_slots".into(),
            parameters: serde_json::json!({"date": "2026-03-03"}),
        }),
        Event::ToolFinished {
            id: "tc1".into(),
            name: "get_available_slots".into(),
            result: "{\"slots\":[]}".into(),
            is_error: false,
            timed_out: false,
            elapsed: Duration::from_millis(30),
        },
        Event::Ended {
            reason: EndReason::CallerHungUp,
            duration: Duration::from_secs(61),
            stats: SessionStats::default(),
        },
    ];
    // Two instances see the same call end (a redelivered end): the record is written once.
    for _ in 0..2 {
        let metrics = Arc::new(Metrics::new());
        let workers = Shutdown::new();
        let recorder = CallRecorder::start(store.store(), metrics.clone(), &workers);
        for event in &events {
            recorder.on_event(Some("CArecord"), event);
        }
        workers.stop();
        workers.finished().await;
        assert_eq!(metrics.error_count(ErrorKind::Store), 0);
    }

    let turns = store
        .call_transcript(&business.account.id, &call.id)
        .await
        .unwrap();
    assert_eq!(turns.len(), 3, "{turns:?}");
    assert!(
        matches!(&turns[0], CallTurn::Said { role: TurnRole::Agent, text, .. } if text == "Hello, how can I help?")
    );
    assert!(matches!(
        &turns[1],
        CallTurn::Said {
            role: TurnRole::Caller,
            ..
        }
    ));
    let CallTurn::Tool { call: tool, .. } = &turns[2] else {
        panic!("a tool turn: {turns:?}");
    };
    assert_eq!(tool.name, "get_available_slots");
    assert_eq!(tool.arguments, serde_json::json!({"date": "2026-03-03"}));
    assert_eq!(tool.elapsed_ms, 30);
    let recorded = store.call_by_sid("CArecord").await.unwrap().unwrap();
    assert_eq!(recorded.outcome, Some(CallOutcome::InfoProvided));
    let contact = store
        .contact_by_phone(&business.account.id, "+4930123456")
        .await
        .unwrap()
        .expect("the caller's contact");
    let activities = store
        .activities_for_contact(&business.account.id, &contact.id, 10)
        .await
        .unwrap();
    assert_eq!(activities.len(), 1, "{activities:?}");
    assert_eq!(activities[0].kind, ActivityKind::Call);
    assert_eq!(activities[0].summary, "Asked for open times");
    assert_eq!(
        activities[0].detail.as_ref().unwrap()["disposition"],
        "info_provided"
    );
}
