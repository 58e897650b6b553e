//! The calendar write-back's jobs on SQLite and PostgreSQL: one job per (booking change,
//! source) however often the change is told, an event's later change claimable only once the
//! earlier one is settled, the ETag handed on to the next write, a retry waiting for its time,
//! and only writable CalDAV sources written to.

use jiff::{SignedDuration, Timestamp};
use switchboard::store::testing::{on_each_backend, seed_business};
use switchboard::store::{
    AccountId, CalendarSourceKind, NewCalendarSource, NewCalendarWrite, Store, WriteAction, WriteStatus,
};

const T0: &str = "2026-03-10T14:00:00Z";

fn at(secs: i64) -> Timestamp {
    T0.parse::<Timestamp>().unwrap() + SignedDuration::from_secs(secs)
}

fn job(account: &AccountId, source: &str, booking: &str, change: &'static str) -> NewCalendarWrite {
    NewCalendarWrite {
        account_id: account.clone(),
        source_id: source.to_owned(),
        booking_id: booking.to_owned(),
        change,
        action: if change == "cancelled" {
            WriteAction::Delete
        } else {
            WriteAction::Put
        },
        href: "https://dav.example/lee/work/booking-b1_switchboard.ics".to_owned(),
        body: (change != "cancelled").then(|| format!("BEGIN:VCALENDAR\r\n{booking}\r\nEND:VCALENDAR\r\n")),
    }
}

async fn source(
    store: &Store,
    account: &AccountId,
    host: &switchboard::store::HostId,
    kind: CalendarSourceKind,
    writable: bool,
) -> String {
    store
        .insert_calendar_source(
            account,
            NewCalendarSource {
                host_id: host.clone(),
                kind,
                name: String::new(),
                url: "https://dav.example/lee/work/".into(),
                username: "lee".into(),
                password_sealed: String::new(),
                writable,
            },
        )
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn an_events_changes_are_written_once_each_and_in_order() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let (account, host) = (business.account.id, business.host.id);
        let writable = source(&store, &account, &host, CalendarSourceKind::Caldav, true).await;
        source(&store, &account, &host, CalendarSourceKind::Caldav, false).await;
        source(&store, &account, &host, CalendarSourceKind::Ics, false).await;
        let targets = store.writable_calendar_sources(&account, &host).await.unwrap();
        assert_eq!(
            targets.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            [writable.as_str()]
        );

        let created = job(&account, &writable, "b1", "created");
        assert_eq!(
            store
                .enqueue_calendar_writes(std::slice::from_ref(&created), at(0))
                .await
                .unwrap(),
            1
        );
        assert_eq!(store.enqueue_calendar_writes(&[created], at(1)).await.unwrap(), 0);
        let moved = job(&account, &writable, "b2", "rescheduled");
        assert_eq!(store.enqueue_calendar_writes(&[moved], at(2)).await.unwrap(), 1);
        let jobs = store.calendar_writes_of_source(&writable).await.unwrap();
        assert_eq!(jobs.len(), 2);

        // The move waits for the creation, even when both are due.
        let claimed = store
            .claim_due_calendar_writes(at(10), at(100), 10)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].change, "created");
        assert_eq!(claimed[0].attempts, 1);
        assert!(
            store
                .claim_due_calendar_writes(at(20), at(100), 10)
                .await
                .unwrap()
                .is_empty()
        );
        store
            .mark_calendar_write_done(&claimed[0].id, 201, Some("\"e1\""), None, at(20))
            .await
            .unwrap();

        let claimed = store
            .claim_due_calendar_writes(at(30), at(100), 10)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].change, "rescheduled");
        assert_eq!(
            store
                .last_calendar_write_etag(&writable, &claimed[0].href, &claimed[0].id)
                .await
                .unwrap()
                .as_deref(),
            Some("\"e1\"")
        );
        store
            .retry_calendar_write_at(
                &claimed[0].id,
                at(90),
                Some(503),
                "the calendar answered HTTP 503",
                at(30),
            )
            .await
            .unwrap();
        assert!(
            store
                .claim_due_calendar_writes(at(60), at(200), 10)
                .await
                .unwrap()
                .is_empty()
        );
        let again = store
            .claim_due_calendar_writes(at(90), at(200), 10)
            .await
            .unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 2);
        assert_eq!(again[0].last_status_code, Some(503));
        store
            .fail_calendar_write(&again[0].id, Some(403), "refused", at(91))
            .await
            .unwrap();
        let settled = store.calendar_writes_of_source(&writable).await.unwrap();
        assert_eq!(
            settled.iter().map(|w| w.status).collect::<Vec<_>>(),
            [WriteStatus::Done, WriteStatus::Failed]
        );
        assert_eq!(settled[1].last_error.as_deref(), Some("refused"));
    })
    .await;
}
