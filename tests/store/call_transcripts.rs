//! A call's transcript and what it came to, as the call recorder writes them at its end: the
//! turns and tool calls in order, stored once however often the end is delivered; the outcome
//! written once; transcripts deleted past their account's retention (on a clock the test
//! sets) while the call's row and outcome stay; the account's transcript settings. On SQLite
//! and PostgreSQL.

use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use switchboard::store::testing::{on_each_backend, other_account, seed_business};
use switchboard::store::{
    AccountChange, Agent, CallDirection, CallOutcome, CallRecord, CallTurn, NewCallRecord, Store, StoreError,
    ToolTurn, TurnRole,
};

const T0: &str = "2026-03-10T14:00:00Z";

fn at_days(days: i64) -> Timestamp {
    T0.parse::<Timestamp>().unwrap() + SignedDuration::from_hours(24 * days)
}

async fn open_call(store: &Store, agent: &Agent, call_sid: &str) -> CallRecord {
    let new = NewCallRecord {
        agent_id: agent.id.clone(),
        call_sid: call_sid.into(),
        direction: CallDirection::Inbound,
        from_number: "+4930123456".into(),
        to_number: agent.phone_number.clone().unwrap(),
        started_at: at_days(0),
    };
    store
        .insert_call(&agent.account_id, new)
        .await
        .unwrap()
        .expect("a new call")
}

fn turns() -> Vec<CallTurn> {
    vec![
        CallTurn::Said {
            role: TurnRole::Agent,
            text: "Harbor Dental, how can I help?".into(),
            at_ms: 120,
        },
        CallTurn::Said {
            role: TurnRole::Caller,
            text: "I'd like a cleaning on Tuesday.".into(),
            at_ms: 2_400,
        },
        CallTurn::Tool {
            call: ToolTurn {
                tool_call_id: "tc1".into(),
                name: "create_booking".into(),
                arguments: json!({"event_type_slug": "cleaning", "start_time": "2026-03-17T09:00"}),
                result: "{\"booking_id\":\"K7M4PX\"}".into(),
                is_error: false,
                timed_out: false,
                elapsed_ms: 48,
            },
            at_ms: 5_100,
        },
    ]
}

#[tokio::test]
async fn a_transcript_reads_back_in_order_and_a_redelivered_one_adds_nothing() {
    on_each_backend(|store| async move {
        let agent = seed_business(&store).await.agent;
        let call = open_call(&store, &agent, "CAturns").await;
        let written = store
            .write_call_transcript(&agent.account_id, &call.id, &turns(), at_days(0))
            .await
            .unwrap();
        assert_eq!(written, 3);
        let again = store
            .write_call_transcript(&agent.account_id, &call.id, &turns(), at_days(0))
            .await
            .unwrap();
        assert_eq!(again, 0, "the same turns are not stored twice");
        assert_eq!(
            store.call_transcript(&agent.account_id, &call.id).await.unwrap(),
            turns()
        );
        // Another account neither writes nor reads this call's transcript.
        let other = other_account(&store).await;
        assert_eq!(
            store
                .write_call_transcript(&other.id, &call.id, &turns(), at_days(0))
                .await
                .unwrap(),
            0
        );
        assert!(
            store
                .call_transcript(&other.id, &call.id)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn a_calls_first_outcome_stays() {
    on_each_backend(|store| async move {
        let agent = seed_business(&store).await.agent;
        let call = open_call(&store, &agent, "CAoutcome").await;
        assert!(
            store
                .set_first_call_outcome(&agent.account_id, &call.id, CallOutcome::InfoProvided, None)
                .await
                .unwrap()
        );
        assert!(
            !store
                .set_first_call_outcome(&agent.account_id, &call.id, CallOutcome::Failed, None)
                .await
                .unwrap(),
            "a second end changes nothing"
        );
        let row = store.call_by_sid("CAoutcome").await.unwrap().unwrap();
        assert_eq!(row.outcome, Some(CallOutcome::InfoProvided));
    })
    .await;
}

#[tokio::test]
async fn transcripts_past_their_accounts_retention_are_purged_and_the_call_stays() {
    on_each_backend(|store| async move {
        let agent = seed_business(&store).await.agent;
        let account = agent.account_id.clone();
        let old = open_call(&store, &agent, "CAold").await;
        let recent = open_call(&store, &agent, "CArecent").await;
        store
            .write_call_transcript(&account, &old.id, &turns(), at_days(0))
            .await
            .unwrap();
        store
            .write_call_transcript(&account, &recent.id, &turns(), at_days(20))
            .await
            .unwrap();
        store
            .set_first_call_outcome(&account, &old.id, CallOutcome::NoAction, None)
            .await
            .unwrap();

        // Kept for good by default.
        assert_eq!(store.purge_expired_transcripts(at_days(400)).await.unwrap(), 0);

        let change = AccountChange {
            transcript_retention_days: Some(Some(30)),
            redact_transcripts: Some(true),
            ..AccountChange::default()
        };
        let changed = store.update_account(&account, change).await.unwrap();
        assert_eq!(changed.transcript_retention_days, Some(30));
        assert!(changed.redact_transcripts);
        assert_eq!(store.account(&account).await.unwrap(), changed);

        // Day 29: nothing is 30 days old yet.
        assert_eq!(store.purge_expired_transcripts(at_days(29)).await.unwrap(), 0);
        // Day 31: the first call's transcript goes, the recent one stays.
        assert_eq!(store.purge_expired_transcripts(at_days(31)).await.unwrap(), 3);
        assert!(store.call_transcript(&account, &old.id).await.unwrap().is_empty());
        assert_eq!(
            store.call_transcript(&account, &recent.id).await.unwrap().len(),
            3
        );
        let row = store.call_by_sid("CAold").await.unwrap().unwrap();
        assert_eq!(
            row.outcome,
            Some(CallOutcome::NoAction),
            "the call's row and outcome stay"
        );
        // Keeping them for good again stops the purge.
        let keep = AccountChange {
            transcript_retention_days: Some(None),
            ..AccountChange::default()
        };
        assert_eq!(
            store
                .update_account(&account, keep)
                .await
                .unwrap()
                .transcript_retention_days,
            None
        );
        assert_eq!(store.purge_expired_transcripts(at_days(400)).await.unwrap(), 0);
        let zero = AccountChange {
            transcript_retention_days: Some(Some(0)),
            ..AccountChange::default()
        };
        assert!(matches!(
            store.update_account(&account, zero).await,
            Err(StoreError::Invalid { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn a_voicemail_after_the_stream_makes_the_outcome_voicemail() {
    on_each_backend(|store| async move {
        let agent = seed_business(&store).await.agent;
        let call = open_call(&store, &agent, "CAvoicemail").await;
        store
            .set_first_call_outcome(&agent.account_id, &call.id, CallOutcome::Failed, None)
            .await
            .unwrap();
        store
            .record_voicemail(
                "CAvoicemail",
                "https://api.twilio.com/rec/RE1",
                std::time::Duration::from_secs(9),
            )
            .await
            .unwrap();
        let row = store.call_by_sid("CAvoicemail").await.unwrap().unwrap();
        assert_eq!(row.outcome, Some(CallOutcome::Voicemail));
        assert!(
            !store
                .set_first_call_outcome(&agent.account_id, &call.id, CallOutcome::NoAction, None)
                .await
                .unwrap(),
            "a later end keeps the voicemail"
        );
    })
    .await;
}
