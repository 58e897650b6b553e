//! Creating bookings on both backends: race-free (50 callers for one slot get one booking),
//! idempotent by tool call id, refused with a reason and other times, read on the caller's clock
//! across DST changes. Changes to bookings are in tools_changes.rs.

use std::collections::HashSet;

use crate::support::{CALLER, Demo, HOST_ZONE, call_with_id, cleaning_at, demo, demo_at};
use serde_json::{Value, json};
use switchboard::store::testing::{on_each_backend, on_each_backend_with};
use switchboard::store::{ActivityKind, BookingStatus, DateOverride, MinuteRange, StoreOptions};

#[tokio::test]
async fn a_booking_is_confirmed_linked_to_the_caller_and_logged() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let reply = demo
            .ok("create_booking", cleaning_at("2026-02-10T15:00:00Z"))
            .await;
        let reference = reply["booking_id"].as_str().unwrap();
        assert_eq!(reference.len(), 6);
        assert_eq!(reply["status"], "confirmed");
        assert_eq!(reply["event_name"], "Cleaning");
        assert_eq!(reply["date"], "2026-02-10");
        assert_eq!(reply["date_label"], "Tuesday, February 10");
        assert_eq!(reply["time"], "10:00 AM");
        assert_eq!(reply["start_time"], "2026-02-10T15:00:00Z");
        assert_eq!(reply["end_time"], "2026-02-10T15:30:00Z");
        assert_eq!(reply["timezone"], HOST_ZONE);
        let spelled: Vec<String> = reference.chars().map(String::from).collect();
        assert_eq!(
            reply["confirmation_message"],
            format!(
                "You're booked: Cleaning on Tuesday, February 10 at 10:00 AM. The booking reference is {}.",
                spelled.join(" ")
            )
        );

        let stored = demo.booking(reference).await;
        assert_eq!(stored.status, BookingStatus::Confirmed);
        assert_eq!(stored.event_type_id, demo.business.cleaning_id);
        assert_eq!((stored.buffer_before_min, stored.buffer_after_min), (0, 10));
        assert_eq!(
            stored.invitee_phone.as_deref(),
            Some(CALLER),
            "the caller's own number"
        );
        assert_eq!(stored.invitee_email.as_deref(), Some("ana@example.com"));
        let contact = store
            .contact_by_phone(&demo.business.account_id, CALLER)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.contact_id.as_ref(), Some(&contact.id));
        assert_eq!(contact.name.as_deref(), Some("Ana Diaz"));
        let log = store
            .activities_for_contact(&demo.business.account_id, &contact.id, 10)
            .await
            .unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].kind, ActivityKind::Booking);
        assert_eq!(
            log[0].summary,
            "Booked Cleaning for Tuesday, February 10 at 10:00 AM"
        );
        assert_eq!(log[0].detail.as_ref().unwrap()["reference"], reference);
    })
    .await;
}

#[tokio::test]
async fn a_local_start_time_is_read_in_the_callers_timezone() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let local = demo
            .ok(
                "create_booking",
                json!({"event_type_slug": "cleaning", "start_time": "2026-02-10T10:00", "invitee_name": "Ana",
                       "timezone": HOST_ZONE}),
            )
            .await;
        assert_eq!(local["start_time"], "2026-02-10T15:00:00Z");
        // 3:00 PM in London is 10:00 AM in New York; the reply speaks London time.
        let london = demo
            .ok(
                "create_booking",
                json!({"event_type_slug": "cleaning", "start_time": "2026-02-11 15:00", "invitee_name": "Ben",
                       "invitee_phone": "+44 20 7946 0000", "timezone": "Europe/London"}),
            )
            .await;
        assert_eq!(london["start_time"], "2026-02-11T15:00:00Z");
        assert_eq!(london["time"], "3:00 PM");
        assert_eq!(london["timezone"], "Europe/London");
        let stored = demo.booking(london["booking_id"].as_str().unwrap()).await;
        assert_eq!(stored.invitee_phone.as_deref(), Some("+442079460000"));
        assert_eq!(stored.timezone, "Europe/London");
    })
    .await;
}

#[tokio::test]
async fn a_retried_tool_call_returns_the_same_booking_and_writes_nothing() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let first = demo
            .ok_call(call_with_id(
                "call_retry",
                "create_booking",
                cleaning_at("2026-02-10T15:00:00Z"),
            ))
            .await;
        let again = demo
            .ok_call(call_with_id(
                "call_retry",
                "create_booking",
                cleaning_at("2026-02-10T15:00:00Z"),
            ))
            .await;
        assert_eq!(again["booking_id"], first["booking_id"]);
        assert!(
            again["confirmation_message"]
                .as_str()
                .unwrap()
                .starts_with("This is already booked"),
            "{again}"
        );
        assert_eq!(
            demo.confirmed("2026-02-10T00:00:00Z", "2026-02-11T00:00:00Z")
                .await
                .len(),
            1
        );
        let contact = store
            .contact_by_phone(&demo.business.account_id, CALLER)
            .await
            .unwrap()
            .unwrap();
        let log = store
            .activities_for_contact(&demo.business.account_id, &contact.id, 10)
            .await
            .unwrap();
        assert_eq!(log.len(), 1, "the retry logged nothing");
    })
    .await;
}

#[tokio::test]
async fn a_taken_or_unavailable_time_is_refused_with_the_reason_and_the_next_free_times() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        demo.ok("create_booking", cleaning_at("2026-02-10T15:00:00Z")).await;
        let cases = [
            // 10:00 is taken; with its 10-minute buffer the next starts are 10:45 and 11:00.
            (
                "2026-02-10T15:00:00Z",
                "That time was just taken; the next free times are 10:45 AM and 11:00 AM.",
            ),
            (
                "2026-02-10T15:15:00Z",
                "That time was just taken; the next free times are 10:45 AM and 11:00 AM.",
            ),
            (
                "2026-02-10T17:15:00Z",
                "That time is outside our opening hours; the next free times are 1:00 PM and 1:15 PM.",
            ),
            (
                "2026-02-10T16:45:00Z",
                "That meeting wouldn't finish before we close; the next free times are 1:00 PM and 1:15 PM.",
            ),
            (
                "2026-02-10T15:05:00Z",
                "Meetings don't start at that exact time — please pick one of the offered times; the next free times are 10:45 AM and 11:00 AM.",
            ),
            (
                "2026-02-15T15:00:00Z",
                "We're closed that day; the next free times are Monday, February 16 at 8:00 AM and 8:15 AM.",
            ),
            (
                "2026-02-09T13:00:00Z",
                "That's too soon — we need at least 2 hours' notice; the next free times are 9:00 AM and 9:15 AM.",
            ),
            (
                "2026-02-09T11:00:00Z",
                "That time has already passed; the next free times are 9:00 AM and 9:15 AM.",
            ),
            (
                "2026-04-01T14:00:00Z",
                "That's too far ahead — we only take bookings up to 30 days in advance. I don't see any free times in the following 7 days.",
            ),
        ];
        for (start, expected) in cases {
            assert_eq!(demo.err("create_booking", cleaning_at(start)).await, expected, "{start}");
        }
        assert_eq!(demo.confirmed("2026-02-01T00:00:00Z", "2026-05-01T00:00:00Z").await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn the_per_day_limit_is_counted_per_meeting_type() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        // Eight cleanings fill Wednesday; a consultation that day still fits.
        for time in ["13:00", "14:00", "15:00", "16:00", "18:00", "18:45", "19:30", "20:15"] {
            demo.ok("create_booking", cleaning_at(&format!("2026-02-11T{time}:00Z"))).await;
        }
        let refused = demo.err("create_booking", cleaning_at("2026-02-11T21:30:00Z")).await;
        assert!(refused.starts_with("We're fully booked that day; the next free times are Thursday, February 12"), "{refused}");
        demo.ok(
            "create_booking",
            json!({"event_type_slug": "consultation", "start_time": "2026-02-11T21:00:00Z", "invitee_name": "Cy"}),
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn bad_booking_requests_say_what_is_needed() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let cases = [
            (json!({"start_time": "2026-02-10T15:00:00Z", "invitee_name": "Ana"}), "I need the meeting type."),
            (json!({"event_type_slug": "cleaning", "invitee_name": "Ana"}), "I need the start time."),
            (
                json!({"event_type_slug": "cleaning", "start_time": "2026-02-10T15:00:00Z", "invitee_name": " "}),
                "I need the caller's name for the booking.",
            ),
            (
                json!({"event_type_slug": "cleaning", "start_time": "tuesday at ten", "invitee_name": "Ana"}),
                "I need the start time as one of the offered start_time values, or as a local time like 2026-02-10T09:00; \"tuesday at ten\" isn't one.",
            ),
            (
                json!({"event_type_slug": "cleaning", "start_time": "2026-02-10T15:00:00Z", "invitee_name": "Ana", "invitee_email": "ana"}),
                "That email address doesn't look right; could you ask the caller to spell it again?",
            ),
            (
                json!({"event_type_slug": "cleaning", "start_time": "2026-02-10T15:00:00Z", "invitee_name": "Ana", "invitee_phone": "12"}),
                "I need the phone number in international format with the country code, like +1 415 555 0123.",
            ),
        ];
        for (parameters, expected) in cases {
            assert_eq!(demo.err("create_booking", parameters).await, expected);
        }
        assert!(demo.confirmed("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn fifty_callers_racing_for_one_slot_get_exactly_one_booking() {
    let options = StoreOptions {
        max_connections: 10,
        ..StoreOptions::default()
    };
    on_each_backend_with(options, |store| async move {
        let demo = std::sync::Arc::new(demo(&store).await);
        let racers: Vec<_> = (0..50)
            .map(|i| {
                let demo = demo.clone();
                tokio::spawn(async move {
                    let parameters = json!({
                        "event_type_slug": "cleaning",
                        "start_time": "2026-02-10T15:00:00Z",
                        "invitee_name": format!("Caller {i}"),
                        "invitee_phone": format!("+1415555{i:04}"),
                    });
                    demo.outcome(call_with_id(&format!("race-{i}"), "create_booking", parameters))
                        .await
                })
            })
            .collect();
        let mut booked = Vec::new();
        let mut refused = Vec::new();
        for racer in racers {
            let outcome = racer.await.unwrap();
            if outcome.is_error {
                refused.push(outcome.result);
            } else {
                booked.push(outcome.result);
            }
        }
        assert_eq!(booked.len(), 1, "{booked:?}");
        assert_eq!(refused.len(), 49);
        for sentence in &refused {
            assert_eq!(
                sentence,
                "That time was just taken; the next free times are 10:45 AM and 11:00 AM."
            );
        }
        let confirmed = demo
            .confirmed("2026-02-10T00:00:00Z", "2026-02-11T00:00:00Z")
            .await;
        assert_eq!(confirmed.len(), 1);
        let winner: Value = serde_json::from_str(&booked[0]).unwrap();
        assert_eq!(confirmed[0].reference, winner["booking_id"]);
    })
    .await;
}

/// The demo business, on a clock near a DST change, open 00:00–06:00 on the day of the change.
async fn open_at_night(store: &switchboard::store::Store, now: &str, date: jiff::civil::Date) -> Demo {
    let demo = demo_at(store, now).await;
    store
        .set_date_override(
            &demo.business.account_id,
            &demo.business.host_id,
            &DateOverride {
                date,
                ranges: vec![MinuteRange {
                    start_minute: 0,
                    end_minute: 360,
                }],
            },
        )
        .await
        .unwrap();
    demo
}

#[tokio::test]
async fn local_times_the_clocks_skip_or_repeat_are_refused_and_dst_shifts_the_instant() {
    on_each_backend(|store| async move {
        // New York springs forward at 2:00 AM on Sunday, March 8, 2026.
        let spring = open_at_night(&store, "2026-03-01T12:00:00Z", jiff::civil::date(2026, 3, 8)).await;
        let local = |start: &str| {
            json!({"event_type_slug": "cleaning", "start_time": start, "invitee_name": "Ana", "timezone": HOST_ZONE})
        };
        let skipped = spring.err("create_booking", local("2026-03-08T02:30")).await;
        assert!(
            skipped.starts_with("That time doesn't exist that day because the clocks go forward"),
            "{skipped}"
        );
        let after = spring.ok("create_booking", local("2026-03-08T03:00")).await;
        assert_eq!(after["start_time"], "2026-03-08T07:00:00Z", "3:00 AM EDT");
        let before = spring.ok("create_booking", local("2026-03-08T01:00")).await;
        assert_eq!(before["start_time"], "2026-03-08T06:00:00Z", "1:00 AM EST");
        let friday = spring.ok("create_booking", local("2026-03-06T09:00")).await;
        let monday = spring.ok("create_booking", local("2026-03-09T09:00")).await;
        assert_eq!(friday["start_time"], "2026-03-06T14:00:00Z");
        assert_eq!(monday["start_time"], "2026-03-09T13:00:00Z");

        // And falls back at 2:00 AM on Sunday, November 1, 2026: 1:30 AM happens twice.
        let autumn = open_at_night(&store, "2026-10-20T12:00:00Z", jiff::civil::date(2026, 11, 1)).await;
        let repeated = autumn.err("create_booking", local("2026-11-01T01:30")).await;
        assert!(
            repeated.starts_with("That time happens twice that day because the clocks go back"),
            "{repeated}"
        );
        // The same wall time given as an instant is just as ambiguous on the host's clock.
        let as_instant = autumn.err("create_booking", cleaning_at("2026-11-01T05:30:00Z")).await;
        assert!(as_instant.starts_with("That time happens twice"), "{as_instant}");
        let fine = autumn.ok("create_booking", local("2026-11-01T03:00")).await;
        assert_eq!(fine["start_time"], "2026-11-01T08:00:00Z", "3:00 AM EST");
    })
    .await;
}

#[tokio::test]
async fn references_stay_unique_over_many_bookings() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let mut references = HashSet::new();
        for day in 10..=13 {
            for hour in [13, 14, 15, 16] {
                let reply = demo
                    .ok(
                        "create_booking",
                        cleaning_at(&format!("2026-02-{day}T{hour}:00:00Z")),
                    )
                    .await;
                assert!(references.insert(reply["booking_id"].as_str().unwrap().to_owned()));
            }
        }
        assert_eq!(references.len(), 16);
    })
    .await;
}
