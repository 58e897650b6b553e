//! The management layer's bookings run the same use cases as the agent's tools: a booking made
//! by the account's team is one the agent finds, moves and cancels by its reference, and the
//! reverse; the team's idempotency keys follow the tools' rule; refusals carry the next free
//! starts; another account's booking is not found.

use serde_json::json;
use switchboard::booking::{Cancelled, Placed};
use switchboard::manage::bookings::{self, BookingQuery, NewBookingInput, RescheduleInput};
use switchboard::manage::{ManageError, Scope, availability};
use switchboard::store::testing::{on_each_backend, other_account};
use switchboard::store::{BookingStatus, PageRequest};

use crate::support::{CALLER, NOW, at, cleaning_at, demo};

fn team_cleaning(start: &str, key: Option<&str>) -> NewBookingInput {
    NewBookingInput {
        event_type_id: None,
        start: Some(start.into()),
        timezone: Some("Europe/Berlin".into()),
        invitee_name: Some("Bo Berg".into()),
        invitee_email: Some("bo@example.com".into()),
        invitee_phone: Some("+4930222222".into()),
        notes: None,
        idempotency_key: key.map(str::to_owned),
    }
}

fn field_of(error: ManageError) -> String {
    match error {
        ManageError::Invalid { field, .. } => field,
        other => panic!("not invalid input: {other:?}"),
    }
}

#[tokio::test]
async fn a_team_booking_is_the_agents_to_find_and_an_agents_booking_the_teams_to_list() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let scope = Scope::new(demo.business.account_id.clone());
        let new = NewBookingInput {
            event_type_id: Some(demo.business.cleaning_id.to_string()),
            ..team_cleaning("2026-02-10T16:00:00+01:00", Some("k1"))
        };
        let made = match bookings::create(&store, &scope, new, at(NOW)).await.unwrap() {
            Placed::New(made) => made,
            other => panic!("{other:?}"),
        };
        assert_eq!(made.booking.start_at, at("2026-02-10T15:00:00Z"));
        assert_eq!(made.booking.timezone, "Europe/Berlin");
        assert_eq!(made.booking.idempotency_key.as_deref(), Some("api:create:k1"));
        let contact = store
            .contact_by_phone(&demo.business.account_id, "+4930222222")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(made.booking.contact_id, Some(contact.id.clone()));
        assert_eq!(contact.name.as_deref(), Some("Bo Berg"));

        // The agent reads it back and moves it by its reference.
        let details = demo
            .ok(
                "get_booking_details",
                json!({ "booking_id": made.booking.reference }),
            )
            .await;
        assert_eq!(details["status"], "confirmed");
        assert_eq!(details["invitee_email"], "bo@example.com");
        let moved = demo
            .ok(
                "update_booking",
                json!({ "booking_id": made.booking.reference, "start_time": "2026-02-10T11:00:00-05:00" }),
            )
            .await;
        let moved_reference = moved["booking_id"].as_str().unwrap().to_owned();

        // The agent's own booking, and the move, are in the team's list.
        let agents = demo
            .ok("create_booking", cleaning_at("2026-02-11T10:00:00-05:00"))
            .await;
        let listed = bookings::list(&store, &scope, &BookingQuery::default(), &PageRequest::first(10))
            .await
            .unwrap();
        let references: Vec<_> = listed
            .items
            .iter()
            .map(|appointment| (appointment.booking.reference.as_str(), appointment.booking.status))
            .collect();
        assert_eq!(
            references,
            [
                (agents["booking_id"].as_str().unwrap(), BookingStatus::Confirmed),
                (moved_reference.as_str(), BookingStatus::Confirmed),
                (made.booking.reference.as_str(), BookingStatus::Rescheduled),
            ]
        );
        assert!(
            listed
                .items
                .iter()
                .all(|appointment| appointment.event_type.slug == "cleaning")
        );
        let of_caller = bookings::list(
            &store,
            &scope,
            &BookingQuery {
                status: Some("confirmed".into()),
                start_from: Some("2026-02-11T00:00:00Z".into()),
                ..BookingQuery::default()
            },
            &PageRequest::first(10),
        )
        .await
        .unwrap();
        assert_eq!(of_caller.items.len(), 1);
        assert_eq!(of_caller.items[0].booking.invitee_phone.as_deref(), Some(CALLER));

        // The team cancels the agent's booking; the agent hears it is cancelled.
        let agents_id = store
            .booking_by_reference(&demo.business.account_id, agents["booking_id"].as_str().unwrap())
            .await
            .unwrap()
            .unwrap()
            .id;
        let cancelled = bookings::cancel(&store, &scope, agents_id.as_str(), at(NOW))
            .await
            .unwrap();
        assert!(matches!(cancelled, Cancelled::Now(_)));
        let again = bookings::cancel(&store, &scope, agents_id.as_str(), at(NOW))
            .await
            .unwrap();
        assert!(
            matches!(again, Cancelled::Earlier(_)),
            "cancelling twice writes nothing"
        );
        let details = demo
            .ok(
                "get_booking_details",
                json!({ "booking_id": agents["booking_id"] }),
            )
            .await;
        assert_eq!(details["status"], "cancelled");
    })
    .await;
}

#[tokio::test]
async fn one_key_makes_one_booking_and_is_its_own_per_operation() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let scope = Scope::new(demo.business.account_id.clone());
        let input = |start: &str, key: Option<&str>| NewBookingInput {
            event_type_id: Some("cleaning".into()),
            ..team_cleaning(start, key)
        };
        let first = bookings::create(
            &store,
            &scope,
            input("2026-02-10T15:00:00Z", Some("same")),
            at(NOW),
        )
        .await
        .unwrap();
        let Placed::New(first) = first else {
            panic!("{first:?}")
        };
        // A retry, even one whose body changed, gets the first booking back.
        let retry = bookings::create(
            &store,
            &scope,
            input("2026-02-10T17:00:00Z", Some("same")),
            at(NOW),
        )
        .await
        .unwrap();
        assert_eq!(retry, Placed::Existing(first.clone()));
        // The same key on a reschedule is that reschedule's own.
        let change = RescheduleInput {
            start: Some("2026-02-10T16:00:00Z".into()),
            timezone: None,
            idempotency_key: Some("same".into()),
        };
        let moved = bookings::reschedule(&store, &scope, first.booking.id.as_str(), change.clone(), at(NOW))
            .await
            .unwrap();
        let Placed::New(moved) = moved else {
            panic!("{moved:?}")
        };
        assert_eq!(moved.booking.rescheduled_from, Some(first.booking.id.clone()));
        let moved_again = bookings::reschedule(&store, &scope, first.booking.id.as_str(), change, at(NOW))
            .await
            .unwrap();
        assert_eq!(moved_again, Placed::Existing(moved.clone()));
        // Without a key every request is new: the second one finds its slot taken.
        bookings::create(&store, &scope, input("2026-02-10T18:00:00Z", None), at(NOW))
            .await
            .unwrap();
        let taken = bookings::create(&store, &scope, input("2026-02-10T18:00:00Z", None), at(NOW))
            .await
            .unwrap_err();
        match taken {
            ManageError::Refused {
                code, alternatives, ..
            } => {
                assert_eq!(code, "slot_taken");
                assert_eq!(alternatives.len(), 2);
                assert!(
                    alternatives
                        .iter()
                        .all(|start| start.time_zone().iana_name() == Some("Europe/Berlin"))
                );
                assert!(alternatives[0].timestamp() > at("2026-02-10T18:00:00Z"));
            }
            other => panic!("{other:?}"),
        }
        let all = bookings::list(&store, &scope, &BookingQuery::default(), &PageRequest::first(50))
            .await
            .unwrap();
        assert_eq!(all.items.len(), 3, "first (moved), its replacement, one more");
    })
    .await;
}

#[tokio::test]
async fn the_team_books_secret_types_the_agent_cannot_offer() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let scope = Scope::new(demo.business.account_id.clone());
        let emergency = NewBookingInput {
            event_type_id: Some(demo.business.emergency_id.to_string()),
            ..team_cleaning("2026-02-10T15:00:00Z", Some("e1"))
        };
        let made = bookings::create(&store, &scope, emergency, at(NOW)).await.unwrap();
        assert_eq!(made.appointment().event_type.slug, "emergency");
        let sentence = demo
            .err(
                "update_booking",
                json!({ "booking_id": made.appointment().booking.reference, "start_time": "2026-02-10T11:00:00-05:00" }),
            )
            .await;
        assert!(!sentence.is_empty(), "the agent may not move what it does not offer");
    })
    .await;
}

#[tokio::test]
async fn bad_input_names_its_field_and_other_accounts_rows_are_not_found() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let scope = Scope::new(demo.business.account_id.clone());
        let cases = [
            (
                NewBookingInput {
                    event_type_id: None,
                    ..team_cleaning("2026-02-10T15:00:00Z", None)
                },
                "event_type_id",
            ),
            (
                NewBookingInput {
                    event_type_id: Some("nope".into()),
                    ..team_cleaning("2026-02-10T15:00:00Z", None)
                },
                "event_type_id",
            ),
            (
                NewBookingInput {
                    event_type_id: Some("cleaning".into()),
                    ..team_cleaning("2026-02-10T15:00:00", None)
                },
                "start",
            ),
            (
                NewBookingInput {
                    event_type_id: Some("cleaning".into()),
                    timezone: Some("CET".into()),
                    ..team_cleaning("2026-02-10T15:00:00Z", None)
                },
                "timezone",
            ),
            (
                NewBookingInput {
                    event_type_id: Some("cleaning".into()),
                    invitee_phone: Some("030 222".into()),
                    ..team_cleaning("2026-02-10T15:00:00Z", None)
                },
                "invitee_phone",
            ),
            (
                NewBookingInput {
                    event_type_id: Some("cleaning".into()),
                    invitee_name: Some(" ".into()),
                    ..team_cleaning("2026-02-10T15:00:00Z", None)
                },
                "invitee_name",
            ),
        ];
        for (input, field) in cases {
            let refused = bookings::create(&store, &scope, input, at(NOW))
                .await
                .unwrap_err();
            assert_eq!(field_of(refused), field);
        }
        let query = availability::AvailabilityQuery {
            from: Some("2026-02-10".into()),
            to: Some("2026-02-09".into()),
            timezone: None,
        };
        let refused = availability::open_times(
            &store,
            &scope,
            demo.business.cleaning_id.as_str(),
            &query,
            at(NOW),
        )
        .await
        .unwrap_err();
        assert_eq!(field_of(refused), "to");

        let made = bookings::create(
            &store,
            &scope,
            NewBookingInput {
                event_type_id: Some("cleaning".into()),
                ..team_cleaning("2026-02-10T15:00:00Z", None)
            },
            at(NOW),
        )
        .await
        .unwrap();
        let id = made.appointment().booking.id.to_string();
        let other = Scope::new(other_account(&store).await.id);
        let not_found = |result: Result<_, ManageError>| match result {
            Err(ManageError::NotFound { .. }) => {}
            other => panic!("{other:?}"),
        };
        not_found(bookings::get(&store, &other, &id).await.map(|_| ()));
        not_found(bookings::cancel(&store, &other, &id, at(NOW)).await.map(|_| ()));
        let change = RescheduleInput {
            start: Some("2026-02-10T16:00:00Z".into()),
            ..RescheduleInput::default()
        };
        not_found(
            bookings::reschedule(&store, &other, &id, change, at(NOW))
                .await
                .map(|_| ()),
        );
        not_found(
            availability::open_times(
                &store,
                &other,
                demo.business.cleaning_id.as_str(),
                &query,
                at(NOW),
            )
            .await
            .map(|_| ()),
        );
        let theirs = bookings::list(&store, &other, &BookingQuery::default(), &PageRequest::first(50))
            .await
            .unwrap();
        assert!(theirs.items.is_empty());
        assert_eq!(
            bookings::get(&store, &scope, &id).await.unwrap().booking.status,
            BookingStatus::Confirmed,
            "untouched"
        );
    })
    .await;
}

#[tokio::test]
async fn open_times_are_the_tools_slots_on_the_clock_asked_for() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let scope = Scope::new(demo.business.account_id.clone());
        let query = availability::AvailabilityQuery {
            from: Some("2026-02-10".into()),
            to: Some("2026-02-10".into()),
            timezone: Some("America/New_York".into()),
        };
        let open = availability::open_times(
            &store,
            &scope,
            demo.business.cleaning_id.as_str(),
            &query,
            at(NOW),
        )
        .await
        .unwrap();
        let tools = demo
            .ok(
                "get_available_slots",
                json!({ "event_type_slug": "cleaning", "date_from": "2026-02-10", "date_to": "2026-02-10" }),
            )
            .await;
        assert_eq!(tools["total_slots"].as_u64().unwrap() as usize, open.slots.len());
        let first = &open.slots[0];
        assert_eq!(
            first.start.timestamp(),
            at("2026-02-10T13:00:00Z"),
            "08:00 in New York"
        );
        assert_eq!(first.end.timestamp(), at("2026-02-10T13:30:00Z"));
        assert_eq!(first.start.time_zone().iana_name(), Some("America/New_York"));
    })
    .await;
}
