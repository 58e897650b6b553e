//! Changing bookings on both backends: rescheduling (into its own old time, onto a taken one,
//! retried), cancelling (and again), reading a booking back, and that another account's agent
//! can do none of it.

use crate::support::{CALLER, HOST_ZONE, call_with_id, cleaning_at, demo};
use serde_json::json;
use switchboard::call::ToolContext;
use switchboard::store::BookingStatus;
use switchboard::store::testing::{on_each_backend, unique_phone_number};
use switchboard::tools::seed_demo_business;

#[tokio::test]
async fn a_booking_can_move_into_its_own_old_time_and_a_retry_moves_it_once() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let made = demo
            .ok("create_booking", cleaning_at("2026-02-10T15:00:00Z"))
            .await;
        let old_reference = made["booking_id"].as_str().unwrap().to_owned();
        let moved = demo
            .ok_call(call_with_id(
                "call_move",
                "update_booking",
                json!({"booking_id": old_reference.to_lowercase(), "start_time": "2026-02-10T15:15:00Z"}),
            ))
            .await;
        assert_eq!(moved["time"], "10:15 AM");
        let new_reference = moved["booking_id"].as_str().unwrap().to_owned();
        assert_ne!(new_reference, old_reference);
        let old = demo.booking(&old_reference).await;
        let new = demo.booking(&new_reference).await;
        assert_eq!(old.status, BookingStatus::Rescheduled);
        assert_eq!(new.rescheduled_from.as_ref(), Some(&old.id));
        assert_eq!(new.invitee_name, "Ana Diaz");
        assert_eq!(new.contact_id, old.contact_id);

        let retried = demo
            .ok_call(call_with_id(
                "call_move",
                "update_booking",
                json!({"booking_id": old_reference, "start_time": "2026-02-10T15:15:00Z"}),
            ))
            .await;
        assert_eq!(retried["booking_id"], new_reference.as_str());
        let confirmed = demo
            .confirmed("2026-02-10T00:00:00Z", "2026-02-11T00:00:00Z")
            .await;
        assert_eq!(confirmed.len(), 1);
        assert_eq!(confirmed[0].reference, new_reference);

        let again = demo
            .err(
                "update_booking",
                json!({"booking_id": old_reference, "start_time": "2026-02-10T16:00:00Z"}),
            )
            .await;
        assert_eq!(
            again,
            "That booking was already moved to another time, so it has a new reference now."
        );
        let contact = old.contact_id.unwrap();
        let log = store
            .activities_for_contact(&demo.business.account_id, &contact, 10)
            .await
            .unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(
            log[1].summary,
            "Moved Cleaning from Tuesday, February 10 at 10:00 AM to Tuesday, February 10 at 10:15 AM"
        );
    })
    .await;
}

#[tokio::test]
async fn a_reschedule_onto_another_booking_is_refused_and_changes_nothing() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let first = demo
            .ok("create_booking", cleaning_at("2026-02-10T15:00:00Z"))
            .await;
        demo.ok("create_booking", cleaning_at("2026-02-10T16:00:00Z"))
            .await;
        let refused = demo
            .err(
                "update_booking",
                json!({"booking_id": first["booking_id"], "start_time": "2026-02-10T16:00:00Z"}),
            )
            .await;
        // 11:45 would run past the lunch break, so the next times are after it.
        assert_eq!(
            refused,
            "That time was just taken; the next free times are 1:00 PM and 1:15 PM."
        );
        let reference = first["booking_id"].as_str().unwrap();
        assert_eq!(demo.booking(reference).await.status, BookingStatus::Confirmed);
        assert_eq!(
            demo.confirmed("2026-02-10T00:00:00Z", "2026-02-11T00:00:00Z")
                .await
                .len(),
            2
        );
    })
    .await;
}

#[tokio::test]
async fn cancelling_frees_the_time_and_cancelling_again_says_so() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let made = demo
            .ok("create_booking", cleaning_at("2026-02-10T15:00:00Z"))
            .await;
        let reference = made["booking_id"].as_str().unwrap().to_owned();
        let spoken = format!("{} {}", &reference[..3], reference[3..].to_lowercase());
        let cancelled = demo
            .ok("update_booking", json!({"booking_id": spoken, "cancel": true}))
            .await;
        assert_eq!(cancelled["status"], "cancelled");
        assert_eq!(
            cancelled["confirmation_message"],
            "The Cleaning on Tuesday, February 10 at 10:00 AM is cancelled."
        );
        assert_eq!(demo.booking(&reference).await.status, BookingStatus::Cancelled);

        let again = demo
            .ok(
                "update_booking",
                json!({"booking_id": reference, "cancel": "yes"}),
            )
            .await;
        assert_eq!(
            again["confirmation_message"],
            "The Cleaning on Tuesday, February 10 at 10:00 AM was already cancelled."
        );
        let moved = demo
            .err(
                "update_booking",
                json!({"booking_id": reference, "start_time": "2026-02-10T16:00:00Z"}),
            )
            .await;
        assert_eq!(
            moved,
            "That booking was cancelled; I can make a new booking instead."
        );
        // The time is free again.
        demo.ok("create_booking", cleaning_at("2026-02-10T15:00:00Z"))
            .await;
    })
    .await;
}

#[tokio::test]
async fn booking_details_are_read_back_and_bad_updates_are_explained() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let made = demo
            .ok(
                "create_booking",
                json!({"event_type_slug": "consultation", "start_time": "2026-02-12T19:00:00Z",
                       "invitee_name": "Ana Diaz", "notes": "Wants to discuss implants."}),
            )
            .await;
        let reference = made["booking_id"].as_str().unwrap();
        let details = demo
            .ok("get_booking_details", json!({"booking_id": reference}))
            .await;
        assert_eq!(details["status"], "confirmed");
        assert_eq!(details["event_name"], "Consultation");
        assert_eq!(details["date_label"], "Thursday, February 12");
        assert_eq!(details["time"], "2:00 PM");
        assert_eq!(details["end_time"], "2026-02-12T20:00:00Z");
        assert_eq!(details["notes"], "Wants to discuss implants.");
        assert_eq!(details["invitee_phone"], CALLER);

        assert_eq!(
            demo.err("get_booking_details", json!({"booking_id": "ZZZZZZ"}))
                .await,
            "I can't find a booking with the reference ZZZZZZ. Could you read it to me again?"
        );
        assert_eq!(
            demo.err("get_booking_details", json!({})).await,
            "I need the booking reference."
        );
        assert_eq!(
            demo.err("update_booking", json!({"booking_id": reference})).await,
            "I need either a new start time or cancel set to true."
        );
        assert_eq!(
            demo.err(
                "update_booking",
                json!({"booking_id": reference, "cancel": true, "start_time": "2026-02-12T20:00:00Z"})
            )
            .await,
            "Tell me either a new start time or to cancel, not both."
        );
    })
    .await;
}

#[tokio::test]
async fn another_accounts_agent_can_neither_read_nor_move_nor_cancel_a_booking() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let made = demo
            .ok("create_booking", cleaning_at("2026-02-10T15:00:00Z"))
            .await;
        let reference = made["booking_id"].as_str().unwrap();
        let other_business = seed_demo_business(&store, &unique_phone_number(), "agent_b", HOST_ZONE)
            .await
            .unwrap();
        let other = demo.on_call(ToolContext {
            account_id: other_business.account_id.to_string(),
            agent_id: other_business.agent_id.to_string(),
            ..demo.ctx.clone()
        });
        let not_found =
            format!("I can't find a booking with the reference {reference}. Could you read it to me again?");
        assert_eq!(
            other
                .err("get_booking_details", json!({"booking_id": reference}))
                .await,
            not_found
        );
        assert_eq!(
            other
                .err("update_booking", json!({"booking_id": reference, "cancel": true}))
                .await,
            not_found
        );
        assert_eq!(
            other
                .err(
                    "update_booking",
                    json!({"booking_id": reference, "start_time": "2026-02-10T16:00:00Z"})
                )
                .await,
            not_found
        );
        assert_eq!(demo.booking(reference).await.status, BookingStatus::Confirmed);
        // Its own cleaning type books its own host: the same time is free there.
        other
            .ok("create_booking", cleaning_at("2026-02-10T15:00:00Z"))
            .await;
    })
    .await;
}
