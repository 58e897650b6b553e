//! The CRM log and the call records on both backends: contacts upsert by phone, activities keep their order
//! and detail, calls are recorded once and finished once, all within their account.

use std::time::Duration;

use jiff::Timestamp;
use switchboard::store::testing::{on_each_backend, other_account, seed_business};
use switchboard::store::{
    ActivityKind, BookingId, CallDirection, CallOutcome, Constraint, ContactUpsert, NewActivity,
    NewCallRecord, StoreError,
};

#[tokio::test]
async fn contacts_upsert_by_phone_and_keep_what_they_already_know() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let first = store
            .upsert_contact(
                account,
                ContactUpsert {
                    phone: "+4930123456".into(),
                    name: None,
                    email: Some("a@example.com".into()),
                },
            )
            .await
            .unwrap();
        assert_eq!(first.name, None);
        let second = store
            .upsert_contact(
                account,
                ContactUpsert {
                    phone: "+4930123456".into(),
                    name: Some("Ana".into()),
                    email: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(second.id, first.id, "same phone, same contact");
        assert_eq!(second.name.as_deref(), Some("Ana"));
        assert_eq!(
            second.email.as_deref(),
            Some("a@example.com"),
            "not erased by a missing value"
        );
        assert_eq!(second.created_at, first.created_at);
        assert!(second.updated_at >= first.updated_at);
        assert_eq!(store.contact(account, &first.id).await.unwrap(), second);
        assert_eq!(
            store.contact_by_phone(account, "+4930123456").await.unwrap(),
            Some(second.clone())
        );

        // The same number in another account is another contact.
        let other = other_account(&store).await;
        let theirs = store
            .upsert_contact(
                &other.id,
                ContactUpsert {
                    phone: "+4930123456".into(),
                    name: None,
                    email: None,
                },
            )
            .await
            .unwrap();
        assert_ne!(theirs.id, first.id);
        assert!(matches!(
            store.contact(&other.id, &first.id).await,
            Err(StoreError::NotFound { what: "contact" })
        ));
        let bad = store.upsert_contact(
            account,
            ContactUpsert {
                phone: "030 123456".into(),
                name: None,
                email: None,
            },
        );
        assert!(matches!(bad.await, Err(StoreError::Invalid { .. })));

        // Concurrent first calls from one number make one contact.
        let racers = (0..8).map(|_| {
            let store = store.clone();
            let account = account.clone();
            tokio::spawn(async move {
                store
                    .upsert_contact(
                        &account,
                        ContactUpsert {
                            phone: "+4940111".into(),
                            name: None,
                            email: None,
                        },
                    )
                    .await
            })
        });
        let mut ids = Vec::new();
        for racer in racers.collect::<Vec<_>>() {
            ids.push(racer.await.unwrap().unwrap().id);
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn activities_log_in_order_with_their_json_detail() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let contact = store
            .upsert_contact(
                account,
                ContactUpsert {
                    phone: "+4930999".into(),
                    name: None,
                    email: None,
                },
            )
            .await
            .unwrap();
        let kinds = [
            ActivityKind::Call,
            ActivityKind::Booking,
            ActivityKind::Sms,
            ActivityKind::Other("email".into()),
        ];
        let mut written = Vec::new();
        for (i, kind) in kinds.into_iter().enumerate() {
            let detail = serde_json::json!({ "step": i, "text": "grüße" });
            let activity = store
                .insert_activity(
                    account,
                    NewActivity {
                        contact_id: Some(contact.id.clone()),
                        kind,
                        summary: format!("step {i}"),
                        detail: Some(detail),
                    },
                )
                .await
                .unwrap();
            written.push(activity);
        }
        assert_eq!(
            store
                .activities_for_contact(account, &contact.id, 10)
                .await
                .unwrap(),
            written
        );
        assert_eq!(
            store
                .activities_for_contact(account, &contact.id, 2)
                .await
                .unwrap(),
            written[2..],
            "latest two"
        );
        let other = other_account(&store).await;
        assert!(
            store
                .activities_for_contact(&other.id, &contact.id, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let foreign = store
            .insert_activity(
                &other.id,
                NewActivity {
                    contact_id: Some(contact.id.clone()),
                    kind: ActivityKind::Note,
                    summary: "x".into(),
                    detail: None,
                },
            )
            .await;
        assert!(
            matches!(
                foreign,
                Err(StoreError::Conflict {
                    constraint: Constraint::ForeignKey(_)
                })
            ),
            "{foreign:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn calls_are_logged_at_start_and_finished_once() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let started_at: Timestamp = "2026-03-10T14:00:00.123Z".parse().unwrap();
        let new_call = NewCallRecord {
            agent_id: business.agent.id.clone(),
            call_sid: "CA0123456789abcdef0123456789abcdef".into(),
            direction: CallDirection::Inbound,
            from_number: "+4930123456".into(),
            to_number: business.agent.phone_number.clone().unwrap(),
            started_at,
        };
        let call = store
            .insert_call(account, new_call.clone())
            .await
            .unwrap()
            .expect("a new call");
        assert_eq!(
            store.call_by_sid(&call.call_sid).await.unwrap(),
            Some(call.clone())
        );
        let repeat = store.insert_call(account, new_call.clone()).await.unwrap();
        assert_eq!(repeat, None, "a repeated call is not inserted again");

        store
            .set_call_conversation_id(&call.call_sid, "conv_1")
            .await
            .unwrap();
        let ended_at = started_at + jiff::SignedDuration::from_secs(95);
        let finished = store
            .finish_call(
                &call.call_sid,
                ended_at,
                "caller-hung-up",
                Duration::from_millis(95_000),
            )
            .await;
        let finished = finished.unwrap();
        assert_eq!(finished.ended_at, Some(ended_at));
        assert_eq!(finished.end_reason.as_deref(), Some("caller-hung-up"));
        assert_eq!(finished.duration, Some(Duration::from_secs(95)));
        assert_eq!(finished.conversation_id.as_deref(), Some("conv_1"));
        let again = store.finish_call(
            &call.call_sid,
            ended_at + jiff::SignedDuration::from_secs(3),
            "completed",
            Duration::ZERO,
        );
        assert_eq!(again.await.unwrap(), finished, "the first finish wins");
        assert!(matches!(
            store
                .finish_call("CAnope", ended_at, "completed", Duration::ZERO)
                .await,
            Err(StoreError::NotFound { what: "call" })
        ));
        assert_eq!(
            store.recent_calls(account, 10).await.unwrap(),
            std::slice::from_ref(&finished)
        );

        // Its outcome, written under its own account only.
        assert_eq!(finished.outcome, None);
        let booking = BookingId::generate();
        store
            .set_call_outcome(account, &call.id, CallOutcome::BookingCreated, Some(&booking))
            .await
            .unwrap();
        let read = store.call_by_sid(&call.call_sid).await.unwrap().unwrap();
        assert_eq!(read.outcome, Some(CallOutcome::BookingCreated));
        assert_eq!(read.booking_id, Some(booking));
        let other = other_account(&store).await;
        assert!(matches!(
            store
                .set_call_outcome(&other.id, &call.id, CallOutcome::NoAction, None)
                .await,
            Err(StoreError::NotFound { what: "call" })
        ));

        // A call must be logged under the agent's own account.
        let foreign = store
            .insert_call(
                &other.id,
                NewCallRecord {
                    call_sid: "CAother".into(),
                    ..new_call
                },
            )
            .await;
        assert!(matches!(
            foreign,
            Err(StoreError::Conflict {
                constraint: Constraint::ForeignKey(_)
            })
        ));
        assert!(store.recent_calls(&other.id, 10).await.unwrap().is_empty());
    })
    .await;
}
