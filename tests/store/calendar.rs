//! The calendar's management on both backends: hosts and event types listed a page at a time,
//! changed field by field, and deleted only when nothing uses them; schedules refused whole
//! when a range is bad or two overlap.

use jiff::civil::{Weekday, date};
use jiff::{SignedDuration, Timestamp};
use switchboard::store::testing::{Business, another_host, on_each_backend, other_account, seed_business};
use switchboard::store::{
    Constraint, DateOverride, Deletion, EventTypeUpdate, HostUpdate, InUse, MinuteRange, NewBooking,
    NewEventType, NewHost, PageRequest, Store, StoreError, WeeklyRange,
};

fn range(start_minute: u16, end_minute: u16) -> MinuteRange {
    MinuteRange {
        start_minute,
        end_minute,
    }
}

fn new_host(name: &str) -> NewHost {
    NewHost {
        name: name.into(),
        email: Some(format!("{}@example.com", name.to_lowercase())),
        timezone: "Europe/Berlin".into(),
    }
}

fn new_event_type(host: &switchboard::store::HostId, slug: &str) -> NewEventType {
    NewEventType {
        host_id: host.clone(),
        slug: slug.into(),
        name: slug.into(),
        description: String::new(),
        duration_min: 30,
        buffer_before_min: 0,
        buffer_after_min: 0,
        min_notice_min: 0,
        slot_interval_min: None,
        max_days_ahead: 30,
        per_day_limit: None,
        active: true,
        secret: false,
    }
}

async fn book_once(store: &Store, business: &Business) {
    let start_at: Timestamp = "2026-12-01T09:00:00Z".parse().unwrap();
    let mut tx = store
        .begin_host(&business.account.id, &business.host.id)
        .await
        .unwrap();
    tx.insert_booking(NewBooking {
        event_type_id: business.event_type.id.clone(),
        contact_id: None,
        start_at,
        end_at: start_at + SignedDuration::from_mins(30),
        buffer_before_min: 0,
        buffer_after_min: 0,
        invitee_name: "Caller".into(),
        invitee_email: None,
        invitee_phone: None,
        timezone: "Europe/Berlin".into(),
        notes: None,
        idempotency_key: None,
        rescheduled_from: None,
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn hosts_come_a_page_at_a_time_oldest_first_within_their_account() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let mut made = vec![business.host.clone()];
        for name in ["Ada", "Ben", "Cleo", "Dan"] {
            made.push(store.create_host(account, new_host(name)).await.unwrap());
        }
        let other = other_account(&store).await;
        another_host(&store, &other.id).await;

        let first = store.hosts_page(account, &PageRequest::first(3)).await.unwrap();
        assert_eq!(first.items, made[..3]);
        let next = first.next.clone().expect("a second page");
        let second = store
            .hosts_page(account, &PageRequest::new(Some(3), Some(next)))
            .await
            .unwrap();
        assert_eq!(second.items, made[3..]);
        assert_eq!(second.next, None, "the last page says so");
        let exact = store.hosts_page(account, &PageRequest::first(5)).await.unwrap();
        assert_eq!((exact.items.len(), exact.next), (5, None));
        let theirs = store
            .hosts_page(&other.id, &PageRequest::default())
            .await
            .unwrap();
        assert_eq!(theirs.items.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_host_changes_field_by_field_and_bad_values_change_nothing() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let (account, id) = (&business.account.id, &business.host.id);
        let with_email = store
            .update_host(
                account,
                id,
                HostUpdate {
                    email: Some(Some("adler@example.com".into())),
                    ..HostUpdate::default()
                },
            )
            .await
            .unwrap();
        let renamed = store
            .update_host(
                account,
                id,
                HostUpdate {
                    name: Some("Dr. Ada Adler".into()),
                    timezone: Some("America/New_York".into()),
                    ..HostUpdate::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(renamed.email.as_deref(), Some("adler@example.com"), "kept");
        assert_eq!(renamed.name, "Dr. Ada Adler");
        assert_eq!(renamed.timezone, "America/New_York");
        assert_eq!(renamed.created_at, with_email.created_at);
        assert_eq!(store.host(account, id).await.unwrap(), renamed);

        for bad in [
            HostUpdate {
                timezone: Some("EST".into()),
                ..HostUpdate::default()
            },
            HostUpdate {
                name: Some("  ".into()),
                ..HostUpdate::default()
            },
        ] {
            assert!(matches!(
                store.update_host(account, id, bad).await,
                Err(StoreError::Invalid { .. })
            ));
        }
        let cleared = store
            .update_host(
                account,
                id,
                HostUpdate {
                    email: Some(None),
                    ..HostUpdate::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(cleared.email, None);
        assert_eq!(cleared.name, "Dr. Ada Adler");

        let other = other_account(&store).await;
        let foreign = store
            .update_host(
                &other.id,
                id,
                HostUpdate {
                    name: Some("Taken over".into()),
                    ..HostUpdate::default()
                },
            )
            .await;
        assert!(matches!(foreign, Err(StoreError::NotFound { what: "host" })));
        assert_eq!(store.host(account, id).await.unwrap().name, "Dr. Ada Adler");
    })
    .await;
}

#[tokio::test]
async fn a_host_is_deleted_with_its_schedule_only_when_nothing_uses_it() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;

        // The seeded host has an event type.
        assert_eq!(
            store.delete_host(account, &business.host.id).await.unwrap(),
            Deletion::Refused(InUse {
                event_types: vec!["intro-call".into()],
                ..InUse::default()
            })
        );

        // A host with only a schedule goes, schedule and all.
        let spare = another_host(&store, account).await;
        let hours = [WeeklyRange {
            weekday: Weekday::Monday,
            range: range(540, 1020),
        }];
        store.set_weekly_hours(account, &spare.id, &hours).await.unwrap();
        let other = other_account(&store).await;
        assert!(matches!(
            store.delete_host(&other.id, &spare.id).await,
            Err(StoreError::NotFound { what: "host" })
        ));
        assert_eq!(
            store.delete_host(account, &spare.id).await.unwrap(),
            Deletion::Deleted
        );
        assert!(matches!(
            store.host(account, &spare.id).await,
            Err(StoreError::NotFound { what: "host" })
        ));
        assert!(store.weekly_hours(account, &spare.id).await.unwrap().is_empty());
        assert!(matches!(
            store.delete_host(account, &spare.id).await,
            Err(StoreError::NotFound { what: "host" })
        ));

        // A booking keeps its host even after its event type moved to another host.
        book_once(&store, &business).await;
        let new_home = another_host(&store, account).await;
        store
            .update_event_type(
                account,
                &business.event_type.id,
                EventTypeUpdate {
                    host_id: Some(new_home.id.clone()),
                    ..EventTypeUpdate::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            store.delete_host(account, &business.host.id).await.unwrap(),
            Deletion::Refused(InUse {
                bookings: 1,
                ..InUse::default()
            })
        );
        assert!(store.host(account, &business.host.id).await.is_ok());
    })
    .await;
}

#[tokio::test]
async fn event_types_page_and_change_field_by_field() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let host = &business.host.id;
        let mut made = vec![business.event_type.clone()];
        for slug in ["b-type", "a-type"] {
            made.push(
                store
                    .create_event_type(account, new_event_type(host, slug))
                    .await
                    .unwrap(),
            );
        }
        let first = store
            .event_types_page(account, &PageRequest::first(2))
            .await
            .unwrap();
        assert_eq!(first.items, made[..2], "by creation, not by slug");
        let rest = store
            .event_types_page(account, &PageRequest::new(Some(2), first.next))
            .await
            .unwrap();
        assert_eq!((rest.items, rest.next), (made[2..].to_vec(), None));

        let id = &business.event_type.id;
        let changed = store
            .update_event_type(
                account,
                id,
                EventTypeUpdate {
                    duration_min: Some(45),
                    slot_interval_min: Some(None),
                    per_day_limit: Some(Some(3)),
                    active: Some(false),
                    ..EventTypeUpdate::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(changed.duration_min, 45);
        assert_eq!(changed.slot_interval_min, None);
        assert_eq!(changed.per_day_limit, Some(3));
        assert!(!changed.active);
        assert_eq!(changed.slug, "intro-call", "untouched fields kept");
        assert_eq!(changed.buffer_before_min, business.event_type.buffer_before_min);
        assert_eq!(store.event_type(account, id).await.unwrap(), changed);

        let taken_slug = store
            .update_event_type(
                account,
                id,
                EventTypeUpdate {
                    slug: Some("a-type".into()),
                    ..EventTypeUpdate::default()
                },
            )
            .await;
        assert!(matches!(
            taken_slug,
            Err(StoreError::Conflict {
                constraint: Constraint::EventTypeSlug
            })
        ));
        let zero = store
            .update_event_type(
                account,
                id,
                EventTypeUpdate {
                    duration_min: Some(0),
                    ..EventTypeUpdate::default()
                },
            )
            .await;
        assert!(matches!(zero, Err(StoreError::Invalid { .. })));
        let other = other_account(&store).await;
        let their_host = another_host(&store, &other.id).await;
        let foreign_host = store
            .update_event_type(
                account,
                id,
                EventTypeUpdate {
                    host_id: Some(their_host.id.clone()),
                    ..EventTypeUpdate::default()
                },
            )
            .await;
        assert!(matches!(
            foreign_host,
            Err(StoreError::Conflict {
                constraint: Constraint::ForeignKey(_)
            })
        ));
        let foreign_account = store
            .update_event_type(
                &other.id,
                id,
                EventTypeUpdate {
                    name: Some("Mine now".into()),
                    ..EventTypeUpdate::default()
                },
            )
            .await;
        assert!(matches!(
            foreign_account,
            Err(StoreError::NotFound { what: "event type" })
        ));
        assert_eq!(
            store.event_type(account, id).await.unwrap(),
            changed,
            "refusals change nothing"
        );
    })
    .await;
}

#[tokio::test]
async fn an_event_type_with_bookings_or_offered_by_link_is_not_deleted() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        let spare = store
            .create_event_type(account, new_event_type(&business.host.id, "spare"))
            .await
            .unwrap();
        store
            .link_event_type(account, &business.agent.id, &spare.id)
            .await
            .unwrap();
        assert_eq!(
            store.delete_event_type(account, &spare.id).await.unwrap(),
            Deletion::Refused(InUse {
                agents: vec!["Reception".into()],
                ..InUse::default()
            })
        );
        store
            .unlink_event_type(account, &business.agent.id, &spare.id)
            .await
            .unwrap();
        let other = other_account(&store).await;
        assert!(matches!(
            store.delete_event_type(&other.id, &spare.id).await,
            Err(StoreError::NotFound { what: "event type" })
        ));
        assert_eq!(
            store.delete_event_type(account, &spare.id).await.unwrap(),
            Deletion::Deleted
        );
        assert!(matches!(
            store.event_type(account, &spare.id).await,
            Err(StoreError::NotFound { .. })
        ));

        book_once(&store, &business).await;
        assert_eq!(
            store
                .delete_event_type(account, &business.event_type.id)
                .await
                .unwrap(),
            Deletion::Refused(InUse {
                bookings: 1,
                ..InUse::default()
            })
        );
    })
    .await;
}

#[tokio::test]
async fn schedules_with_zero_length_or_overlapping_ranges_are_refused_whole() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let (account, host) = (&business.account.id, &business.host.id);
        let on = |weekday, start, end| WeeklyRange {
            weekday,
            range: range(start, end),
        };
        let good = [on(Weekday::Monday, 540, 720), on(Weekday::Monday, 780, 1020)];
        store.set_weekly_hours(account, host, &good).await.unwrap();

        let refused = [
            vec![on(Weekday::Monday, 540, 720), on(Weekday::Monday, 600, 1020)],
            vec![on(Weekday::Tuesday, 540, 540)],
            vec![on(Weekday::Sunday, 1320, 180), on(Weekday::Monday, 120, 600)],
        ];
        for week in refused {
            match store.set_weekly_hours(account, host, &week).await {
                Err(StoreError::Invalid { what, reason }) => {
                    assert_eq!(what, "weekly hours");
                    assert!(reason.starts_with("range "), "{reason}");
                }
                other => panic!("{week:?} gave {other:?}"),
            }
        }
        assert_eq!(store.weekly_hours(account, host).await.unwrap(), good);

        let day = date(2026, 12, 24);
        let overlapping = DateOverride {
            date: day,
            ranges: vec![range(540, 720), range(700, 800)],
        };
        assert!(matches!(
            store.set_date_override(account, host, &overlapping).await,
            Err(StoreError::Invalid {
                what: "date override",
                ..
            })
        ));
        assert!(
            store
                .date_overrides(account, host, day, day)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

/// Each change reads and writes the row in one transaction that writes it first: without that,
/// two changes read the same row on PostgreSQL and the later write undoes the earlier one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_changes_of_different_fields_all_land() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        for round in 0..10u32 {
            let id = store
                .create_event_type(
                    account,
                    new_event_type(&business.host.id, &format!("round-{round}")),
                )
                .await
                .unwrap()
                .id;
            let changes = [
                EventTypeUpdate {
                    name: Some("Renamed".into()),
                    ..EventTypeUpdate::default()
                },
                EventTypeUpdate {
                    description: Some("Described".into()),
                    ..EventTypeUpdate::default()
                },
                EventTypeUpdate {
                    duration_min: Some(50),
                    ..EventTypeUpdate::default()
                },
                EventTypeUpdate {
                    buffer_before_min: Some(5),
                    ..EventTypeUpdate::default()
                },
                EventTypeUpdate {
                    buffer_after_min: Some(6),
                    ..EventTypeUpdate::default()
                },
                EventTypeUpdate {
                    min_notice_min: Some(7),
                    ..EventTypeUpdate::default()
                },
                EventTypeUpdate {
                    slot_interval_min: Some(Some(8)),
                    ..EventTypeUpdate::default()
                },
                EventTypeUpdate {
                    max_days_ahead: Some(9),
                    ..EventTypeUpdate::default()
                },
                EventTypeUpdate {
                    per_day_limit: Some(Some(10)),
                    ..EventTypeUpdate::default()
                },
                EventTypeUpdate {
                    secret: Some(true),
                    ..EventTypeUpdate::default()
                },
            ];
            let writers: Vec<_> = changes
                .into_iter()
                .map(|change| {
                    let (store, account, id) = (store.clone(), account.clone(), id.clone());
                    tokio::spawn(async move { store.update_event_type(&account, &id, change).await.unwrap() })
                })
                .collect();
            for writer in writers {
                writer.await.unwrap();
            }
            let stored = store.event_type(account, &id).await.unwrap();
            let landed = (
                stored.name.as_str(),
                stored.description.as_str(),
                stored.duration_min,
                stored.buffer_before_min,
                stored.buffer_after_min,
                stored.min_notice_min,
                stored.slot_interval_min,
                stored.max_days_ahead,
                stored.per_day_limit,
                stored.secret,
            );
            assert_eq!(
                landed,
                ("Renamed", "Described", 50, 5, 6, 7, Some(8), 9, Some(10), true),
                "round {round}"
            );
        }
    })
    .await;
}
