use jiff::SignedDuration;

use super::*;
use crate::store::testing::{self, Business, seed_business};
use crate::store::{AccountChange, CallDirection, NewCallRecord};

async fn a_call(store: &Store, business: &Business, call_sid: &str) -> crate::store::CallRecord {
    let new = NewCallRecord {
        agent_id: business.agent.id.clone(),
        call_sid: call_sid.into(),
        direction: CallDirection::Inbound,
        from_number: "+4930123456".into(),
        to_number: business.agent.phone_number.clone().unwrap(),
        started_at: Timestamp::now(),
    };
    store
        .insert_call(&business.account.id, new)
        .await
        .unwrap()
        .unwrap()
}

fn finished(call_sid: &str) -> FinishedRecording {
    FinishedRecording {
        call_sid: call_sid.into(),
        duration_ms: 1_000,
        audio: vec![0x4f, 0x67, 0x67, 0x53, 0, 1, 2, 255],
    }
}

async fn records_calls(store: &Store, business: &Business, days: Option<u32>) {
    let change = AccountChange {
        record_calls: Some(true),
        recording_retention_days: Some(days),
        ..AccountChange::default()
    };
    store.update_account(&business.account.id, change).await.unwrap();
}

#[test]
fn only_a_yes_on_an_account_that_records_keeps_a_recording() {
    assert_eq!(keep_decision(true, Some(true)), KeepDecision::Keep);
    assert_eq!(keep_decision(true, Some(false)), KeepDecision::Refused);
    assert_eq!(keep_decision(true, None), KeepDecision::NoAnswer);
    assert_eq!(
        keep_decision(false, Some(true)),
        KeepDecision::AccountDoesNotRecord
    );
    assert_eq!(keep_decision(false, None), KeepDecision::AccountDoesNotRecord);
}

#[tokio::test]
async fn a_consented_recording_is_kept_and_read_back_byte_for_byte() {
    testing::on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        records_calls(&store, &business, None).await;
        let call = a_call(&store, &business, "CAkept").await;
        store
            .record_call_consent(&business.account.id, "CAkept", true, Timestamp::now())
            .await
            .unwrap();
        let now = Timestamp::now();
        assert_eq!(
            keep_or_drop(&store, finished("CAkept"), now).await,
            KeepDecision::Keep
        );
        let kept = store
            .call_recording(&business.account.id, &call.id)
            .await
            .unwrap()
            .expect("kept");
        assert_eq!(
            kept.audio,
            finished("CAkept").audio,
            "every byte, 0 and 255 included"
        );
        assert_eq!(kept.size_bytes, 8);
        assert_eq!(kept.duration_ms, 1_000);
        assert_eq!(kept.format, "ogg_opus");
        assert!(
            store
                .has_call_recording(&business.account.id, &call.id)
                .await
                .unwrap()
        );
        // Another account sees nothing of it.
        let other = testing::other_account(&store).await;
        assert!(store.call_recording(&other.id, &call.id).await.unwrap().is_none());
        assert!(!store.has_call_recording(&other.id, &call.id).await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn without_a_yes_or_on_an_account_that_does_not_record_nothing_is_kept() {
    testing::on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let now = Timestamp::now();
        let off = a_call(&store, &business, "CAoff").await;
        store
            .record_call_consent(&business.account.id, "CAoff", true, now)
            .await
            .unwrap();
        let decision = keep_or_drop(&store, finished("CAoff"), now).await;
        assert_eq!(decision, KeepDecision::AccountDoesNotRecord);
        records_calls(&store, &business, None).await;
        let unanswered = a_call(&store, &business, "CAsilent").await;
        assert_eq!(
            keep_or_drop(&store, finished("CAsilent"), now).await,
            KeepDecision::NoAnswer
        );
        let refused = a_call(&store, &business, "CAno").await;
        store
            .record_call_consent(&business.account.id, "CAno", true, now)
            .await
            .unwrap();
        store
            .record_call_consent(&business.account.id, "CAno", false, now)
            .await
            .unwrap();
        assert_eq!(
            keep_or_drop(&store, finished("CAno"), now).await,
            KeepDecision::Refused
        );
        for call in [off, unanswered, refused] {
            assert!(
                !store
                    .has_call_recording(&business.account.id, &call.id)
                    .await
                    .unwrap()
            );
        }
    })
    .await;
}

#[tokio::test]
async fn the_purge_removes_recordings_past_their_retention_and_keeps_younger_ones() {
    testing::on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        records_calls(&store, &business, Some(30)).await;
        let day = SignedDuration::from_hours(24);
        let start = Timestamp::from_second(1_900_000_000).unwrap();
        let mut calls = Vec::new();
        for (sid, age_days) in [("CAold", 0), ("CAyoung", 10)] {
            let call = a_call(&store, &business, sid).await;
            store
                .record_call_consent(&business.account.id, sid, true, start)
                .await
                .unwrap();
            let made = start.checked_add(day * age_days).unwrap();
            assert_eq!(
                keep_or_drop(&store, finished(sid), made).await,
                KeepDecision::Keep
            );
            calls.push(call);
        }
        let has = |index: usize| {
            let (store, account, call) = (
                store.clone(),
                business.account.id.clone(),
                calls[index].id.clone(),
            );
            async move { store.has_call_recording(&account, &call).await.unwrap() }
        };
        // A day short of the first one's 30: both kept.
        purge(&store, start.checked_add(day * 29).unwrap()).await;
        assert!(has(0).await && has(1).await);
        // 30 days after the first: it goes, the one made 10 days later stays.
        purge(&store, start.checked_add(day * 30).unwrap()).await;
        assert!(!has(0).await, "past its retention");
        assert!(has(1).await, "younger than its retention");
        // An account that keeps recordings (no retention) loses none, however old.
        records_calls(&store, &business, None).await;
        purge(&store, start.checked_add(day * 10_000).unwrap()).await;
        assert!(has(1).await);
    })
    .await;
}

#[tokio::test]
async fn a_retention_of_zero_days_is_refused() {
    let test_store = testing::sqlite().await;
    let store = test_store.store();
    let business = seed_business(&store).await;
    let change = AccountChange {
        recording_retention_days: Some(Some(0)),
        ..AccountChange::default()
    };
    let refused = store.update_account(&business.account.id, change).await;
    assert!(refused.is_err());
}
