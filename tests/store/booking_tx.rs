//! The booking transaction on both backends: concurrent bookers of one host are serialized by
//! the database, so exactly one of them gets a contested slot; the unique indexes back that up;
//! idempotency keys make a retried request one booking; accounts never see each other's.

use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use switchboard::store::testing::{
    self, Business, another_host, on_each_backend, on_each_backend_with, other_account, seed_business,
};
use switchboard::store::{
    AccountId, Backend, Booking, BookingStatus, Constraint, HostId, NewBooking, Store, StoreError,
    StoreOptions, StoreResult,
};

const RACERS: usize = 50;

fn at(instant: &str) -> Timestamp {
    instant.parse().unwrap()
}

fn booking(business: &Business, start_at: Timestamp, minutes: i64) -> NewBooking {
    NewBooking {
        event_type_id: business.event_type.id.clone(),
        contact_id: None,
        start_at,
        end_at: start_at + SignedDuration::from_mins(minutes),
        buffer_before_min: business.event_type.buffer_before_min,
        buffer_after_min: business.event_type.buffer_after_min,
        invitee_name: "Caller".into(),
        invitee_email: None,
        invitee_phone: Some("+4930123456".into()),
        timezone: "Europe/Berlin".into(),
        notes: None,
        idempotency_key: None,
        rescheduled_from: None,
    }
}

/// The host's confirmed bookings in 2026, the year every test here books in.
async fn confirmed_in_2026(store: &Store, account: &AccountId, host: &HostId) -> Vec<Booking> {
    store
        .confirmed_bookings_overlapping(
            account,
            host,
            at("2026-01-01T00:00:00Z"),
            at("2027-01-01T00:00:00Z"),
        )
        .await
        .unwrap()
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Booked,
    SawTaken,
}

/// What the booking tool will do: lock the host, check the slot against the bookings it can
/// see, insert if free, commit.
async fn book_if_free(
    store: Store,
    business: Business,
    start_at: Timestamp,
    minutes: i64,
) -> StoreResult<Outcome> {
    let mut tx = store.begin_host(&business.account.id, &business.host.id).await?;
    let wanted = booking(&business, start_at, minutes);
    let taken = tx
        .confirmed_bookings_overlapping(wanted.start_at, wanted.end_at)
        .await?;
    if !taken.is_empty() {
        tx.rollback().await?;
        return Ok(Outcome::SawTaken);
    }
    tx.insert_booking(wanted).await?;
    tx.commit().await?;
    Ok(Outcome::Booked)
}

fn racing_options() -> StoreOptions {
    StoreOptions {
        max_connections: 10,
        ..StoreOptions::default()
    }
}

async fn race(store: &Store, business: &Business, starts: impl Iterator<Item = Timestamp>, minutes: i64) {
    let began = Instant::now();
    let racers: Vec<_> = starts
        .map(|start| tokio::spawn(book_if_free(store.clone(), business.clone(), start, minutes)))
        .collect();
    let mut outcomes = Vec::new();
    for racer in racers {
        outcomes.push(
            racer
                .await
                .expect("racer panicked")
                .expect("no racer may fail (busy, deadlock, timeout)"),
        );
    }
    eprintln!(
        "{RACERS} racers on {:?} took {:?}",
        store.backend(),
        began.elapsed()
    );
    let booked = outcomes
        .iter()
        .filter(|outcome| **outcome == Outcome::Booked)
        .count();
    assert_eq!(booked, 1, "{outcomes:?}");
    assert_eq!(outcomes.len(), RACERS);

    let window = confirmed_in_2026(store, &business.account.id, &business.host.id).await;
    assert_eq!(window.len(), 1, "exactly one booking exists");
    let host = store.host(&business.account.id, &business.host.id).await.unwrap();
    assert_eq!(
        host.lock_version, 1,
        "only the committed transaction's bump remains"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_bookers_of_one_slot_make_one_booking() {
    on_each_backend_with(racing_options(), |store| async move {
        let business = seed_business(&store).await;
        let slot = at("2026-03-10T14:00:00Z");
        race(&store, &business, std::iter::repeat_n(slot, RACERS), 30).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_bookers_of_overlapping_starts_make_one_booking() {
    on_each_backend_with(racing_options(), |store| async move {
        let business = seed_business(&store).await;
        // Starts one minute apart, each an hour long: every pair overlaps, no two share a start,
        // so the unique index cannot help; only the host lock keeps them apart.
        let first = at("2026-03-10T14:00:00Z");
        let starts = (0..RACERS as i64).map(|i| first + SignedDuration::from_mins(i));
        race(&store, &business, starts, 60).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_transaction_for_the_host_waits_for_the_first_and_then_sees_its_booking() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let slot = at("2026-03-10T14:00:00Z");
        let mut first = store
            .begin_host(&business.account.id, &business.host.id)
            .await
            .unwrap();

        let second = tokio::spawn({
            let (store, business) = (store.clone(), business.clone());
            async move {
                let mut tx = store
                    .begin_host(&business.account.id, &business.host.id)
                    .await
                    .unwrap();
                let seen = tx
                    .confirmed_bookings_overlapping(slot, slot + SignedDuration::from_mins(30))
                    .await
                    .unwrap();
                tx.rollback().await.unwrap();
                seen
            }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !second.is_finished(),
            "the second transaction got the host while the first held it"
        );

        let mine = first.insert_booking(booking(&business, slot, 30)).await.unwrap();
        first.commit().await.unwrap();
        let seen = tokio::time::timeout(Duration::from_secs(5), second)
            .await
            .expect("released")
            .unwrap();
        assert_eq!(seen, [mine]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_of_different_hosts_wait_for_each_other_only_on_sqlite() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let other_host = another_host(&store, &business.account.id).await;
        let first = store
            .begin_host(&business.account.id, &business.host.id)
            .await
            .unwrap();
        let mut second = tokio::spawn({
            let (store, account) = (store.clone(), business.account.id.clone());
            async move {
                store
                    .begin_host(&account, &other_host.id)
                    .await
                    .unwrap()
                    .commit()
                    .await
                    .unwrap()
            }
        });
        match store.backend() {
            // PostgreSQL locks the host's row only: the other host's transaction completes while
            // the first is still open.
            Backend::Postgres => tokio::time::timeout(Duration::from_secs(5), &mut second)
                .await
                .expect("another host's transaction was held up")
                .unwrap(),
            // SQLite has one write lock for the whole file: the other host waits for it.
            Backend::Sqlite => {
                tokio::time::sleep(Duration::from_millis(300)).await;
                assert!(!second.is_finished(), "SQLite let two writers in");
                first.commit().await.unwrap();
                tokio::time::timeout(Duration::from_secs(5), second)
                    .await
                    .expect("released")
                    .unwrap();
                return;
            }
        }
        first.commit().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn an_idempotency_key_inserted_twice_yields_one_booking() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let (account, host) = (&business.account.id, &business.host.id);
        let keyed = |start| NewBooking {
            idempotency_key: Some("tool-call-42".into()),
            ..booking(&business, start, 30)
        };

        let mut tx = store.begin_host(account, host).await.unwrap();
        let first = tx
            .insert_booking(keyed(at("2026-03-10T14:00:00Z")))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        // The retry (here even for another time) is refused, and the transaction stays usable,
        // so it can answer with the booking the key already made.
        let mut tx = store.begin_host(account, host).await.unwrap();
        let retry = tx.insert_booking(keyed(at("2026-03-11T14:00:00Z"))).await;
        assert!(
            matches!(
                retry,
                Err(StoreError::Conflict {
                    constraint: Constraint::BookingIdempotencyKey
                })
            ),
            "{retry:?}"
        );
        assert_eq!(
            tx.booking_by_idempotency_key("tool-call-42").await.unwrap(),
            Some(first.clone())
        );
        tx.commit().await.unwrap();

        assert_eq!(
            store
                .booking_by_idempotency_key(account, "tool-call-42")
                .await
                .unwrap(),
            Some(first.clone())
        );
        let all = confirmed_in_2026(&store, account, host).await;
        assert_eq!(all, [first]);
    })
    .await;
}

#[tokio::test]
async fn the_unique_index_guards_a_start_even_when_nobody_checks() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let (account, host) = (&business.account.id, &business.host.id);
        let slot = at("2026-03-10T14:00:00Z");

        let mut tx = store.begin_host(account, host).await.unwrap();
        let first = tx.insert_booking(booking(&business, slot, 30)).await.unwrap();
        let clash = tx.insert_booking(booking(&business, slot, 45)).await;
        assert!(
            matches!(
                clash,
                Err(StoreError::Conflict {
                    constraint: Constraint::BookingSlot
                })
            ),
            "{clash:?}"
        );
        // Still usable after the refused insert: free the slot and take it again.
        let cancelled = tx
            .set_booking_status(&first.id, BookingStatus::Cancelled)
            .await
            .unwrap();
        assert_eq!(cancelled.status, BookingStatus::Cancelled);
        assert!(cancelled.updated_at >= first.updated_at);
        let second = tx.insert_booking(booking(&business, slot, 45)).await.unwrap();
        tx.commit().await.unwrap();

        let window =
            store.confirmed_bookings_overlapping(account, host, slot, slot + SignedDuration::from_mins(1));
        assert_eq!(
            window.await.unwrap(),
            [second],
            "cancelled bookings are not busy time"
        );
        assert_eq!(
            store.booking(account, &first.id).await.unwrap().status,
            BookingStatus::Cancelled
        );

        // Confirming the cancelled one again now collides with the second.
        let mut tx = store.begin_host(account, host).await.unwrap();
        let again = tx.set_booking_status(&first.id, BookingStatus::Confirmed).await;
        assert!(
            matches!(
                again,
                Err(StoreError::Conflict {
                    constraint: Constraint::BookingSlot
                })
            ),
            "{again:?}"
        );
        tx.rollback().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn rescheduling_links_the_new_booking_and_frees_the_old_time() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let (account, host) = (&business.account.id, &business.host.id);
        let mut tx = store.begin_host(account, host).await.unwrap();
        let original = tx
            .insert_booking(booking(&business, at("2026-03-10T14:00:00Z"), 30))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut tx = store.begin_host(account, host).await.unwrap();
        // The sub-millisecond digits are not stored; the returned row must not claim them.
        let moved = NewBooking {
            rescheduled_from: Some(original.id.clone()),
            ..booking(&business, at("2026-03-12T09:00:00.000999999Z"), 30)
        };
        let replacement = tx.insert_booking(moved).await.unwrap();
        tx.set_booking_status(&original.id, BookingStatus::Rescheduled)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        assert_eq!(replacement.rescheduled_from.as_ref(), Some(&original.id));
        assert_ne!(replacement.reference, original.reference);
        assert_eq!(
            store.booking(account, &original.id).await.unwrap().status,
            BookingStatus::Rescheduled
        );
        let window = store
            .confirmed_bookings_overlapping(
                account,
                host,
                at("2026-03-01T00:00:00Z"),
                at("2026-04-01T00:00:00Z"),
            )
            .await
            .unwrap();
        assert_eq!(window, [replacement]);
    })
    .await;
}

#[tokio::test]
async fn a_transaction_dropped_without_commit_leaves_nothing_behind() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let (account, host) = (&business.account.id, &business.host.id);
        {
            let mut tx = store.begin_host(account, host).await.unwrap();
            assert_eq!(tx.lock_version(), 1);
            tx.insert_booking(booking(&business, at("2026-03-10T14:00:00Z"), 30))
                .await
                .unwrap();
        }
        let window = confirmed_in_2026(&store, account, host).await;
        assert!(window.is_empty());
        // The next transaction gets the lock (nothing was left holding it) and the same version.
        let tx = store.begin_host(account, host).await.unwrap();
        assert_eq!(tx.lock_version(), 1);
        tx.commit().await.unwrap();
        assert_eq!(store.host(account, host).await.unwrap().lock_version, 1);
    })
    .await;
}

#[tokio::test]
async fn bookings_need_an_event_type_of_the_locked_host_and_sane_times() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let (account, host) = (&business.account.id, &business.host.id);
        let other_host = another_host(&store, account).await;
        let mut tx = store.begin_host(account, &other_host.id).await.unwrap();
        let wrong_host = tx
            .insert_booking(booking(&business, at("2026-03-10T14:00:00Z"), 30))
            .await;
        assert!(
            matches!(wrong_host, Err(StoreError::NotFound { .. })),
            "{wrong_host:?}"
        );
        tx.rollback().await.unwrap();

        let mut tx = store.begin_host(account, host).await.unwrap();
        let backwards = tx
            .insert_booking(booking(&business, at("2026-03-10T14:00:00Z"), -30))
            .await;
        assert!(matches!(backwards, Err(StoreError::Invalid { .. })));
        let bad_zone = NewBooking {
            timezone: "Berlin".into(),
            ..booking(&business, at("2026-03-10T14:00:00Z"), 30)
        };
        assert!(matches!(
            tx.insert_booking(bad_zone).await,
            Err(StoreError::Invalid { .. })
        ));
        tx.rollback().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn another_accounts_booking_is_invisible_and_untouchable() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let (account, host) = (&business.account.id, &business.host.id);
        let mut tx = store.begin_host(account, host).await.unwrap();
        let keyed = NewBooking {
            idempotency_key: Some("k1".into()),
            ..booking(&business, at("2026-03-10T14:00:00Z"), 30)
        };
        let mine = tx.insert_booking(keyed).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.booking(account, &mine.id).await.unwrap(), mine);
        let spoken = format!("{}-{}", &mine.reference[..3], mine.reference[3..].to_lowercase());
        assert_eq!(
            store.booking_by_reference(account, &spoken).await.unwrap(),
            Some(mine.clone())
        );

        let other = other_account(&store).await;
        assert!(matches!(
            store.booking(&other.id, &mine.id).await,
            Err(StoreError::NotFound { what: "booking" })
        ));
        assert_eq!(
            store
                .booking_by_reference(&other.id, &mine.reference)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            store.booking_by_idempotency_key(&other.id, "k1").await.unwrap(),
            None
        );
        assert!(confirmed_in_2026(&store, &other.id, host).await.is_empty());
        assert!(matches!(
            store.begin_host(&other.id, host).await,
            Err(StoreError::NotFound { what: "host" })
        ));

        // Even inside its own host transaction, the other account cannot touch this booking.
        let other_host = another_host(&store, &other.id).await;
        let mut tx = store.begin_host(&other.id, &other_host.id).await.unwrap();
        let cancel = tx.set_booking_status(&mine.id, BookingStatus::Cancelled).await;
        assert!(matches!(cancel, Err(StoreError::NotFound { .. })), "{cancel:?}");
        assert_eq!(tx.booking_by_idempotency_key("k1").await.unwrap(), None);
        tx.commit().await.unwrap();
        assert_eq!(
            store.booking(account, &mine.id).await.unwrap().status,
            BookingStatus::Confirmed
        );
    })
    .await;
}

#[tokio::test]
async fn a_second_instance_on_the_same_database_is_held_off_by_the_host_lock() {
    // Two `Store`s on one database are two switchboard instances: the lock lives in the
    // database, not in either process.
    let instances = [Some(testing::sqlite().await), testing::postgres().await];
    for first_instance in instances.into_iter().flatten() {
        let second_instance = Store::connect_with(&first_instance.url(), testing::test_options())
            .await
            .unwrap();
        let business = seed_business(&first_instance).await;
        let slot = at("2026-03-10T14:00:00Z");
        let mut held = first_instance
            .begin_host(&business.account.id, &business.host.id)
            .await
            .unwrap();
        let contender = tokio::spawn(book_if_free(second_instance.clone(), business.clone(), slot, 30));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!contender.is_finished());
        held.insert_booking(booking(&business, slot, 30)).await.unwrap();
        held.commit().await.unwrap();
        let outcome = tokio::time::timeout(Duration::from_secs(5), contender)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(outcome, Outcome::SawTaken);
        second_instance.close().await;
    }
}
