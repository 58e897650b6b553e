//! A host's booking feed read by Python's `icalendar` package (`tests/python/ics_feed_check.py`),
//! a parser that shares no code with switchboard: bookings on both sides of New York's next
//! clock change come out at the host's wall-clock time and the right instant, read through the
//! zone's name and through the feed's own VTIMEZONE alone, with their text unescaped intact.

use std::time::Duration;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, Zoned};
use serde_json::Value;
use switchboard::manage::Scope;
use switchboard::manage::bookings::{self, NewBookingInput};

use crate::business::{HOST_ZONE, business};
use crate::host_feeds::{fetch, make_feed};
use crate::python::{Python, python_with_package};
use crate::support::on_each_backend;

const INVITEE: &str = "Zoë O'Brien, Jr.; \\ the second";

async fn read_by_python(python: &Python, ics: &str) -> Value {
    use tokio::io::AsyncWriteExt;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/ics_feed_check.py");
    let mut child = python
        .tokio_command()
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(ics.as_bytes()).await.unwrap();
    drop(stdin);
    let output = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("the check ends")
        .unwrap();
    assert!(
        output.status.success(),
        "icalendar could not read the feed: {}\n{ics}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// 10:00 on the host's clock, `days` days from the date of `transition`.
fn ten_oclock(transition: Timestamp, days: i64, zone: &TimeZone) -> Zoned {
    let date = transition.to_zoned(zone.clone()).date() + jiff::Span::new().days(days);
    date.at(10, 0, 0, 0).to_zoned(zone.clone()).unwrap()
}

#[tokio::test]
async fn the_feed_reads_in_pythons_icalendar_at_the_hosts_times_across_a_clock_change() {
    let Some(python) = python_with_package(
        "the_feed_reads_in_pythons_icalendar_at_the_hosts_times_across_a_clock_change",
        "icalendar",
    ) else {
        return;
    };
    on_each_backend(|api| {
        let python = python.clone();
        async move {
            let a = business(&api).await;
            let zone = TimeZone::get(HOST_ZONE).unwrap();
            // New York's next clock change (a Sunday at 2:00) at least five days off; the Friday
            // before and the Monday after are open days for the demo host.
            let after = Timestamp::now() + SignedDuration::from_hours(5 * 24);
            let transition = zone
                .following(after)
                .next()
                .expect("New York changes its clocks")
                .timestamp();
            let friday = ten_oclock(transition, -2, &zone);
            let monday = ten_oclock(transition, 1, &zone);
            assert_ne!(friday.offset(), monday.offset());
            // Booked as the team would on the Wednesday before, within the meeting type's notice
            // and reach.
            let booked_at = transition - SignedDuration::from_hours(4 * 24);
            let scope = Scope::new(a.demo.account_id.clone());
            let store = api.store.store();
            let mut ids = Vec::new();
            for start in [&friday, &monday] {
                let placed = bookings::create(
                    &store,
                    &scope,
                    NewBookingInput {
                        event_type_id: Some(a.demo.cleaning_id.to_string()),
                        start: Some(start.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()),
                        invitee_name: Some(INVITEE.to_owned()),
                        invitee_email: Some("zoe@example.com".to_owned()),
                        ..NewBookingInput::default()
                    },
                    booked_at,
                )
                .await
                .unwrap();
                ids.push(placed.appointment().booking.id.to_string());
            }

            let url = make_feed(&api, &a.key, a.demo.host_id.as_str()).await;
            let feed = fetch(&url, None).await;
            assert_eq!(feed.status, reqwest::StatusCode::OK, "{}", feed.body);
            let read = read_by_python(&python, &feed.body).await;
            assert_eq!(read["timezone"], HOST_ZONE);
            assert_eq!(read["method"], "PUBLISH");
            assert_eq!(read["version"], "2.0");
            let events = read["events"].as_array().unwrap();
            assert_eq!(events.len(), 2, "{read}");
            for ((event, start), id) in events.iter().zip([&friday, &monday]).zip(&ids) {
                let end = start.checked_add(SignedDuration::from_mins(30)).unwrap();
                assert_eq!(event["uid"], format!("booking-{id}@switchboard"));
                assert_eq!(event["status"], "CONFIRMED");
                assert_eq!(event["sequence"], 0);
                assert_eq!(event["summary"], format!("Cleaning with {INVITEE}"));
                let description = event["description"].as_str().unwrap();
                assert!(
                    description.starts_with(&format!("Invitee: {INVITEE}\nEmail: zoe@example.com\n")),
                    "{description}"
                );
                for (read, expected) in [(&event["start"], start), (&event["end"], &end)] {
                    let utc = expected
                        .timestamp()
                        .strftime("%Y-%m-%dT%H:%M:%S+00:00")
                        .to_string();
                    assert_eq!(read["tzid"], HOST_ZONE, "{event}");
                    assert_eq!(
                        read["local"],
                        expected.strftime("%Y-%m-%dT%H:%M").to_string(),
                        "{event}"
                    );
                    assert_eq!(read["offset"], expected.strftime("%z").to_string(), "{event}");
                    assert_eq!(read["utc"], utc, "{event}");
                    assert_eq!(read["utc_by_vtimezone"], utc, "the feed's VTIMEZONE: {event}");
                }
            }
        }
    })
    .await;
}
