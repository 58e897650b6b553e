//! Bookings written back to a host's writable CalDAV calendar on a real Radicale server: one
//! booked through the API and one through the agent's tool appear there as events on the
//! host's clock, a move rewrites the same event (same UID, new time, SEQUENCE up), a
//! cancellation deletes it, and reading the calendar back does not turn those events into busy
//! time that would block the booking or its move. A calendar not marked writable gets nothing.
//! On both databases.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use switchboard::config::{CalendarsConfig, Secret};
use switchboard::store::WriteStatus;

use crate::business::{HOST_ZONE, business};
use crate::calendar_radicale::{Radicale, dav, start_radicale};
use crate::python::python_with_package;
use crate::support::TestApi;

/// An event as the calendar holds it: its DTSTART (parameters and value) and SEQUENCE.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Event {
    dtstart: String,
    sequence: String,
}

/// The collection's events by UID, read with a GET of the whole collection.
async fn events(collection: &str) -> BTreeMap<String, Event> {
    let text = reqwest::Client::new()
        .get(collection)
        .basic_auth("lee", Some("secret"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let unfolded = text.replace("\r\n ", "").replace("\r\n\t", "");
    let mut found = BTreeMap::new();
    let mut current: Option<Vec<&str>> = None;
    for line in unfolded.lines() {
        match line {
            "BEGIN:VEVENT" => current = Some(Vec::new()),
            "END:VEVENT" => {
                let lines = current.take().unwrap();
                let value = |name: &str| {
                    lines
                        .iter()
                        .find_map(|line| {
                            line.strip_prefix(name)
                                .filter(|rest| rest.starts_with([':', ';']))
                        })
                        .unwrap_or("")
                        .to_owned()
                };
                let uid = value("UID").trim_start_matches(':').to_owned();
                found.insert(
                    uid,
                    Event {
                        dtstart: value("DTSTART"),
                        sequence: value("SEQUENCE").trim_start_matches(':').to_owned(),
                    },
                );
            }
            _ => {
                if let Some(lines) = current.as_mut() {
                    lines.push(line);
                }
            }
        }
    }
    found
}

/// Waits (generously) until the collection's events satisfy `done`; the events then.
async fn wait_for(
    collection: &str,
    what: &str,
    done: impl Fn(&BTreeMap<String, Event>) -> bool,
) -> BTreeMap<String, Event> {
    let waited = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let now = events(collection).await;
            if done(&now) {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    match waited {
        Ok(events) => events,
        Err(_) => panic!("{what}: the calendar holds {:?}", events(collection).await),
    }
}

/// `;TZID=<host zone>:<local time>` of `at` on the host's clock.
fn on_host_clock(at: Timestamp) -> String {
    let local = at.to_zoned(TimeZone::get(HOST_ZONE).unwrap());
    format!(";TZID={HOST_ZONE}:{}", local.strftime("%Y%m%dT%H%M%S"))
}

fn uid(booking_id: &str) -> String {
    format!("booking-{booking_id}@switchboard")
}

#[tokio::test]
async fn bookings_moves_and_cancellations_are_written_to_a_writable_radicale_calendar() {
    let Some(python) = python_with_package(
        "bookings_moves_and_cancellations_are_written_to_a_writable_radicale_calendar",
        "radicale",
    ) else {
        return;
    };
    let radicale = start_radicale(&python).await;
    scenario(&radicale, switchboard::store::testing::sqlite().await, "wa").await;
    if let Some(postgres) = switchboard::store::testing::postgres().await {
        scenario(&radicale, postgres, "wb").await;
    }
}

async fn scenario(radicale: &Radicale, store: switchboard::store::testing::TestStore, calendar: &str) {
    let api = TestApi::start_with(store, |config| {
        config.calendars = CalendarsConfig {
            allow_http_loopback: true,
            check_every_secs: 0,
            secrets_key: Some(Secret::new("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")),
            ..CalendarsConfig::default()
        }
    })
    .await;
    let mut business = business(&api).await;
    // The agent's tools as the server wires them, with its booking listeners.
    business.toolbox = api.server.app.toolbox.clone();
    let host = business.demo.host_id.clone();

    let writable = format!("{}/lee/{calendar}-w/", radicale.url);
    let read_only = format!("{}/lee/{calendar}-r/", radicale.url);
    let mut sources = Vec::new();
    for (collection, writes) in [(&writable, true), (&read_only, false)] {
        assert!(dav("MKCALENDAR", collection, String::new()).await.is_success());
        let made = api
            .post(
                &format!("/hosts/{host}/calendar-sources"),
                &business.key,
                json!({"kind": "caldav", "url": collection, "username": "lee", "password": "secret",
                       "writable": writes}),
            )
            .await
            .expect(201);
        assert_eq!(made["writable"], writes);
        sources.push(made["id"].as_str().unwrap().to_owned());
    }

    let starts: Vec<Timestamp> = business
        .free_cleanings(&api)
        .await
        .iter()
        .map(|start| start.parse().unwrap())
        .collect();
    let zone = TimeZone::get(HOST_ZONE).unwrap();
    let first = starts[0];
    let other_day = *starts
        .iter()
        .find(|start| start.to_zoned(zone.clone()).date() != first.to_zoned(zone.clone()).date())
        .unwrap();

    // Booked through the API.
    let made = api
        .post(
            "/bookings",
            &business.key,
            json!({"event_type_id": business.demo.cleaning_id.to_string(), "start": first.to_string(),
                   "timezone": "Europe/Berlin", "invitee_name": "Bo Berg"}),
        )
        .await
        .expect(201);
    let api_id = made["id"].as_str().unwrap().to_owned();
    let length = made["end"].as_str().unwrap().parse::<Timestamp>().unwrap() - first;
    let written = wait_for(&writable, "the API's booking", |events| {
        events.contains_key(&uid(&api_id))
    })
    .await;
    assert_eq!(
        written[&uid(&api_id)].dtstart,
        on_host_clock(first),
        "{written:?}"
    );
    assert_eq!(written[&uid(&api_id)].sequence, "0");

    // Booked by the agent.
    let booked = business
        .tool_ok(
            "create_booking",
            json!({"event_type_slug": "cleaning", "start_time": other_day.to_string(),
                   "invitee_name": "Ana Diaz"}),
        )
        .await;
    let agent_booking = api
        .store
        .store()
        .booking_by_reference(&business.demo.account_id, booked["booking_id"].as_str().unwrap())
        .await
        .unwrap()
        .expect("the agent's booking");
    let agent_uid = uid(agent_booking.id.as_str());
    let written = wait_for(&writable, "the agent's booking", |events| {
        events.contains_key(&agent_uid)
    })
    .await;
    assert_eq!(
        written[&agent_uid].dtstart,
        on_host_clock(other_day),
        "{written:?}"
    );

    // Read back, the calendar's events are the bookings themselves: no busy time from them.
    let synced = api
        .post(
            &format!("/hosts/{host}/calendar-sources/{}/sync", sources[0]),
            &business.key,
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(synced["last_error"], serde_json::Value::Null, "{synced}");
    let busy = api
        .store
        .store()
        .external_busy(
            &host,
            first - SignedDuration::from_hours(24),
            other_day + SignedDuration::from_hours(24),
        )
        .await
        .unwrap();
    assert!(busy.is_empty(), "our own events read back as busy: {busy:?}");

    // Someone edits the event in their calendar app: the move's If-Match fails, and the
    // booking, which is what holds, is written over it, which the job records.
    let href = format!("{writable}booking-{api_id}_switchboard.ics");
    let edited = reqwest::Client::new()
        .get(&href)
        .basic_auth("lee", Some("secret"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .replace("SUMMARY:", "SUMMARY:Edited ");
    assert!(dav("PUT", &href, edited).await.is_success());

    // Moved to a time overlapping its old one: not blocked by its own event.
    let overlapping = *starts
        .iter()
        .find(|start| **start > first && **start < first + length)
        .expect("a start within the first booking");
    let moved = api
        .post(
            &format!("/bookings/{api_id}/reschedule"),
            &business.key,
            json!({"start": overlapping.to_string()}),
        )
        .await
        .expect(201);
    let moved_id = moved["id"].as_str().unwrap().to_owned();
    let written = wait_for(&writable, "the move", |events| {
        events
            .get(&uid(&api_id))
            .is_some_and(|event| event.sequence == "1")
    })
    .await;
    assert_eq!(
        written[&uid(&api_id)].dtstart,
        on_host_clock(overlapping),
        "{written:?}"
    );
    assert!(!written.contains_key(&uid(&moved_id)), "a move is the same event");

    // Cancelled: the event is gone, the agent's stays.
    api.post(&format!("/bookings/{moved_id}/cancel"), &business.key, json!({}))
        .await
        .expect(200);
    let written = wait_for(&writable, "the cancellation", |events| {
        !events.contains_key(&uid(&api_id))
    })
    .await;
    assert!(written.contains_key(&agent_uid), "{written:?}");

    let jobs = api
        .store
        .store()
        .calendar_writes_of_source(&sources[0])
        .await
        .unwrap();
    let changes: Vec<(&str, WriteStatus)> =
        jobs.iter().map(|job| (job.change.as_str(), job.status)).collect();
    assert_eq!(
        jobs[2].last_error.as_deref(),
        Some("the event was changed in the calendar; written over it"),
        "{jobs:?}"
    );
    assert_eq!(
        changes,
        [
            ("created", WriteStatus::Done),
            ("created", WriteStatus::Done),
            ("rescheduled", WriteStatus::Done),
            ("cancelled", WriteStatus::Done),
        ],
        "{jobs:?}"
    );
    assert!(
        api.store
            .store()
            .calendar_writes_of_source(&sources[1])
            .await
            .unwrap()
            .is_empty(),
        "a calendar not marked writable gets no jobs"
    );
    assert!(events(&read_only).await.is_empty(), "nor any event");
}
