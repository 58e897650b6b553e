//! The booking use cases on both backends, as data: what was placed or cancelled, and every
//! refusal with what it carries (the engine's reason and the next free starts, what is offered,
//! the normalized reference). What the voice agent says about them is in tests/tools_*.rs.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use switchboard::availability::{Refusal, SlotQuery};
use switchboard::booking::{
    self, Appointment, BookingError, BookingRequest, Cancelled, Invitee, Placed, RescheduleRequest, Scope,
    StartTime,
};
use switchboard::store::testing::{on_each_backend, unique_phone_number};
use switchboard::store::{BookingStatus, Store};
use switchboard::tools::{DemoBusiness, seed_demo_business};

/// Monday, February 9, 2026, 7:00 AM in New York.
const NOW: &str = "2026-02-09T12:00:00Z";
const HOST_ZONE: &str = "America/New_York";
const CALLER: &str = "+14155550123";

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// The demo business, and its agent's scope.
struct Demo {
    store: Store,
    business: DemoBusiness,
    scope: Scope,
}

async fn demo(store: &Store) -> Demo {
    let business = seed_demo_business(store, &unique_phone_number(), "agent_demo", HOST_ZONE)
        .await
        .unwrap();
    let scope = Scope::agent(business.account_id.clone(), business.agent_id.clone());
    Demo {
        store: store.clone(),
        business,
        scope,
    }
}

/// A cleaning for Ana Diaz at `start`, made with the idempotency key `key`.
fn cleaning(start: &str, key: &str) -> BookingRequest {
    BookingRequest {
        event_type: "cleaning".into(),
        start: StartTime::Instant(at(start)),
        timezone: None,
        invitee: Invitee {
            name: "Ana Diaz".into(),
            email: Some("ana@example.com".into()),
            phone: None,
            notes: None,
        },
        caller_phone: Some(CALLER.into()),
        idempotency_key: key.into(),
    }
}

impl Demo {
    async fn create(&self, request: BookingRequest) -> Result<Placed, BookingError> {
        booking::create(&self.store, &self.scope, request, at(NOW)).await
    }

    /// A new cleaning at `start`; fails the test otherwise.
    async fn book(&self, start: &str, key: &str) -> Appointment {
        match self.create(cleaning(start, key)).await {
            Ok(Placed::New(made)) => made,
            other => panic!("{start}: {other:?}"),
        }
    }

    async fn move_to(
        &self,
        reference: &str,
        start: &str,
        key: &str,
        now: &str,
    ) -> Result<Placed, BookingError> {
        let request = RescheduleRequest {
            reference: reference.into(),
            start: StartTime::Instant(at(start)),
            timezone: None,
            idempotency_key: key.into(),
        };
        booking::reschedule(&self.store, &self.scope, request, at(now)).await
    }

    async fn cancel(&self, reference: &str, now: &str) -> Result<Cancelled, BookingError> {
        booking::cancel(&self.store, &self.scope, reference, at(now)).await
    }
}

#[tokio::test]
async fn a_new_booking_is_placed_and_a_retry_gets_the_same_one_back() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let made = demo.book("2026-02-10T15:00:00Z", "key-1").await;
        assert_eq!(made.event_type.id, demo.business.cleaning_id);
        assert_eq!(made.booking.start_at, at("2026-02-10T15:00:00Z"));
        assert_eq!(made.booking.end_at, at("2026-02-10T15:30:00Z"));
        assert_eq!(made.booking.status, BookingStatus::Confirmed);
        assert_eq!(made.booking.timezone, HOST_ZONE);
        assert_eq!(made.booking.invitee_phone.as_deref(), Some(CALLER));
        let contact = store
            .contact_by_phone(&demo.business.account_id, CALLER)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(made.booking.contact_id, Some(contact.id));

        let retried = demo.create(cleaning("2026-02-10T15:00:00Z", "key-1")).await;
        assert_eq!(retried.unwrap(), Placed::Existing(made));
    })
    .await;
}

#[tokio::test]
async fn a_refused_start_returns_the_reason_and_the_next_free_starts() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        demo.book("2026-02-10T15:00:00Z", "first").await;
        let refused = |start| demo.create(cleaning(start, start));
        // 10:00 AM is taken; with its 10-minute buffer the next starts are 10:45 and 11:00.
        match refused("2026-02-10T15:00:00Z").await {
            Err(BookingError::Refused {
                refusal,
                alternatives,
                requested,
                timezone,
            }) => {
                assert_eq!(refusal, Refusal::Taken);
                assert_eq!(
                    alternatives,
                    [at("2026-02-10T15:45:00Z"), at("2026-02-10T16:00:00Z")]
                );
                assert_eq!(requested, at("2026-02-10T15:00:00Z"));
                assert_eq!(timezone.iana_name(), Some(HOST_ZONE));
            }
            other => panic!("{other:?}"),
        }
        // Too soon: the alternatives start after the notice, not at the wanted time.
        match refused("2026-02-09T13:00:00Z").await {
            Err(BookingError::Refused {
                refusal,
                alternatives,
                ..
            }) => {
                let notice = SignedDuration::from_hours(2);
                assert_eq!(refusal, Refusal::TooSoon { notice });
                assert_eq!(
                    alternatives,
                    [at("2026-02-09T14:00:00Z"), at("2026-02-09T14:15:00Z")]
                );
            }
            other => panic!("{other:?}"),
        }
        // Too far ahead: nothing to offer in the following days.
        match refused("2026-04-01T14:00:00Z").await {
            Err(BookingError::Refused {
                refusal,
                alternatives,
                ..
            }) => {
                assert_eq!(refusal, Refusal::TooFarAhead { max_days_ahead: 30 });
                assert!(alternatives.is_empty());
            }
            other => panic!("{other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn a_meeting_type_not_offered_comes_back_with_what_is_offered() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let emergency = BookingRequest {
            event_type: "emergency".into(),
            ..cleaning("2026-02-10T15:00:00Z", "k")
        };
        match demo.create(emergency).await {
            Err(BookingError::NotOffered { named, offered }) => {
                assert_eq!(named, "emergency");
                let slugs: Vec<&str> = offered.iter().map(|offered| offered.slug.as_str()).collect();
                assert_eq!(slugs, ["cleaning", "consultation"]);
            }
            other => panic!("{other:?}"),
        }
        let on_mars = BookingRequest {
            timezone: Some("Mars/Olympus".into()),
            ..cleaning("2026-02-10T15:00:00Z", "k")
        };
        assert!(matches!(
            demo.create(on_mars).await,
            Err(BookingError::UnknownTimezone { name }) if name == "Mars/Olympus"
        ));
    })
    .await;
}

#[tokio::test]
async fn a_booking_is_found_by_its_spoken_reference_and_a_missing_one_is_named() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let made = demo.book("2026-02-10T15:00:00Z", "k").await;
        let reference = &made.booking.reference;
        let spoken = format!("{} {}", &reference[..3], reference[3..].to_lowercase());
        let found = booking::find_by_reference(&store, &demo.scope, &spoken).await;
        assert_eq!(found.unwrap(), made);
        assert!(matches!(
            booking::find_by_reference(&store, &demo.scope, "zz zzzz").await,
            Err(BookingError::NotFound { reference }) if reference == "ZZZZZZ"
        ));
    })
    .await;
}

#[tokio::test]
async fn cancelling_answers_now_then_earlier_and_a_cancelled_booking_cannot_move() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let made = demo.book("2026-02-10T15:00:00Z", "k").await;
        let reference = &made.booking.reference;
        let Ok(Cancelled::Now(cancelled)) = demo.cancel(reference, NOW).await else {
            panic!("not cancelled now");
        };
        assert_eq!(cancelled.booking.id, made.booking.id);
        assert_eq!(cancelled.booking.status, BookingStatus::Cancelled);
        let again = demo.cancel(reference, NOW).await;
        assert_eq!(again.unwrap(), Cancelled::Earlier(cancelled));
        assert!(matches!(
            demo.move_to(reference, "2026-02-10T16:00:00Z", "m", NOW).await,
            Err(BookingError::AlreadyCancelled)
        ));
    })
    .await;
}

#[tokio::test]
async fn a_moved_booking_is_replaced_and_the_old_one_can_change_no_more() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let made = demo.book("2026-02-10T15:00:00Z", "k").await;
        let old = &made.booking.reference;
        let Ok(Placed::New(moved)) = demo.move_to(old, "2026-02-10T15:15:00Z", "move", NOW).await else {
            panic!("not moved");
        };
        assert_eq!(moved.booking.start_at, at("2026-02-10T15:15:00Z"));
        assert_eq!(moved.booking.rescheduled_from.as_ref(), Some(&made.booking.id));
        assert_eq!(moved.booking.contact_id, made.booking.contact_id);
        let retried = demo.move_to(old, "2026-02-10T15:15:00Z", "move", NOW).await;
        assert_eq!(retried.unwrap(), Placed::Existing(moved));
        assert!(matches!(
            demo.move_to(old, "2026-02-10T16:00:00Z", "again", NOW).await,
            Err(BookingError::AlreadyMoved)
        ));
        assert!(matches!(
            demo.cancel(old, NOW).await,
            Err(BookingError::AlreadyMoved)
        ));
    })
    .await;
}

#[tokio::test]
async fn a_started_appointment_cannot_change_and_an_unoffered_type_cannot_move() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        let made = demo.book("2026-02-10T15:00:00Z", "k").await;
        let reference = &made.booking.reference;
        let started = "2026-02-10T15:00:00Z";
        assert!(matches!(
            demo.cancel(reference, started).await,
            Err(BookingError::AlreadyStarted)
        ));
        assert!(matches!(
            demo.move_to(reference, "2026-02-11T15:00:00Z", "m", started)
                .await,
            Err(BookingError::AlreadyStarted)
        ));

        let business = &demo.business;
        store
            .unlink_event_type(&business.account_id, &business.agent_id, &business.cleaning_id)
            .await
            .unwrap();
        assert!(matches!(
            demo.move_to(reference, "2026-02-10T16:00:00Z", "m", NOW).await,
            Err(BookingError::MoveNotOffered)
        ));
        // Cancelling does not depend on what the agent offers.
        assert!(matches!(demo.cancel(reference, NOW).await, Ok(Cancelled::Now(_))));
    })
    .await;
}

#[tokio::test]
async fn open_starts_leave_out_a_booking_and_the_buffers() {
    on_each_backend(|store| async move {
        let demo = demo(&store).await;
        demo.book("2026-02-10T15:00:00Z", "k").await;
        let business = &demo.business;
        let cleaning = store
            .event_type(&business.account_id, &business.cleaning_id)
            .await
            .unwrap();
        let host = store.host(&business.account_id, &business.host_id).await.unwrap();
        let new_york = TimeZone::get(HOST_ZONE).unwrap();
        let query = SlotQuery::day(jiff::civil::date(2026, 2, 10), new_york).unwrap();
        let open = booking::open_starts(&store, &business.account_id, &cleaning, &host, &query, at(NOW))
            .await
            .unwrap();
        assert_eq!(open.first(), Some(&at("2026-02-10T13:00:00Z")), "8:00 AM");
        let around: Vec<Timestamp> = open
            .into_iter()
            .filter(|&start| start >= at("2026-02-10T14:15:00Z") && start <= at("2026-02-10T16:00:00Z"))
            .collect();
        // With the cleaning's 10-minute buffer after it, 9:15 is the last start before the
        // booking at 10:00, and 10:45 the first after it (10:30 plus the booking's buffer).
        let expected = [
            "2026-02-10T14:15:00Z",
            "2026-02-10T15:45:00Z",
            "2026-02-10T16:00:00Z",
        ];
        assert_eq!(around, expected.map(at));
    })
    .await;
}
