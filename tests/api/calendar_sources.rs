//! A host's ICS feed served by a small server in the test: read, its events then busy to the
//! API's availability, the API's bookings and the agent's booking tool; a second read is a
//! conditional GET answered 304; then the feed goes slow (past the fetch timeout) and dead,
//! and availability keeps answering from the last copy, never waiting on a fetch, while the
//! source reports `stale` with the error. On both databases.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Notify;

use switchboard::calendar_sources::CalendarSources;
use switchboard::config::CalendarsConfig;
use switchboard::store::AccountId;

use crate::business::{Business, business};
use crate::support::TestApi;

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// What the feed server does with the next request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// The calendar, with an ETag; `304` when the client has that ETag.
    Serve,
    /// Says it got the request, then waits to be released and answers 503.
    Hold,
    /// Never answers.
    Hang,
}

#[derive(Clone)]
struct Feed {
    mode: Arc<Mutex<Mode>>,
    calendar: Arc<Mutex<String>>,
    not_modified: Arc<Mutex<u32>>,
    arrived: Arc<Notify>,
    release: Arc<Notify>,
}

async fn serve_feed(axum::extract::State(feed): axum::extract::State<Feed>, headers: HeaderMap) -> Response {
    let mode = *feed.mode.lock().unwrap();
    match mode {
        Mode::Serve => {
            if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some("\"v1\"") {
                *feed.not_modified.lock().unwrap() += 1;
                return StatusCode::NOT_MODIFIED.into_response();
            }
            let body = feed.calendar.lock().unwrap().clone();
            (
                [(header::ETAG, "\"v1\""), (header::CONTENT_TYPE, "text/calendar")],
                body,
            )
                .into_response()
        }
        Mode::Hold => {
            feed.arrived.notify_one();
            feed.release.notified().await;
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
        Mode::Hang => std::future::pending().await,
    }
}

fn ics_stamp(at: Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// A weekly hour-long meeting starting at `start`, and a cancelled and a transparent event at
/// `other`, which must not count.
fn calendar(start: Timestamp, other: Timestamp) -> String {
    let end = start + SignedDuration::from_hours(1);
    let other_end = other + SignedDuration::from_hours(1);
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
BEGIN:VEVENT\r\nUID:standup@test\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{s}\r\nDTEND:{e}\r\n\
RRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY:Standup\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:off@test\r\nDTSTAMP:20260101T000000Z\r\nSTATUS:CANCELLED\r\nDTSTART:{o}\r\nDTEND:{oe}\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:free@test\r\nDTSTAMP:20260101T000000Z\r\nTRANSP:TRANSPARENT\r\nDTSTART:{o}\r\nDTEND:{oe}\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n",
        s = ics_stamp(start),
        e = ics_stamp(end),
        o = ics_stamp(other),
        oe = ics_stamp(other_end),
    )
}

fn instant(text: &str) -> Timestamp {
    text.parse::<Timestamp>().unwrap()
}

async fn offered(api: &TestApi, business: &Business) -> Vec<Timestamp> {
    business
        .free_cleanings(api)
        .await
        .iter()
        .map(|s| instant(s))
        .collect()
}

fn calendars_config() -> CalendarsConfig {
    CalendarsConfig {
        allow_http_loopback: true,
        check_every_secs: 0,
        fetch_timeout_secs: 60,
        secrets_key: Some(switchboard::config::Secret::new(KEY)),
        ..CalendarsConfig::default()
    }
}

#[tokio::test]
async fn a_feed_that_goes_slow_and_dead_leaves_availability_on_its_last_copy() {
    let sqlite = switchboard::store::testing::sqlite().await;
    scenario(sqlite).await;
    if let Some(postgres) = switchboard::store::testing::postgres().await {
        scenario(postgres).await;
    }
}

async fn scenario(store: switchboard::store::testing::TestStore) {
    let api = TestApi::start_with(store, |config| config.calendars = calendars_config()).await;
    let business = business(&api).await;
    let before = offered(&api, &business).await;
    let busy = before[0];
    let other = *before
        .iter()
        .find(|&&start| start >= busy + SignedDuration::from_hours(24))
        .expect("a free start on another day");

    let feed = Feed {
        mode: Arc::new(Mutex::new(Mode::Serve)),
        calendar: Arc::new(Mutex::new(calendar(busy, other))),
        not_modified: Arc::new(Mutex::new(0)),
        arrived: Arc::new(Notify::new()),
        release: Arc::new(Notify::new()),
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/secret/basic.ics", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/secret/basic.ics", get(serve_feed))
        .with_state(feed.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let host = business.demo.host_id.to_string();
    let base = format!("/hosts/{host}/calendar-sources");
    let made = api
        .post(
            &base,
            &business.key,
            json!({"kind": "ics", "url": url, "name": "Dr. Lee's Google calendar", "username": "lee", "password": "hunter2"}),
        )
        .await
        .expect(201);
    assert_eq!(made["stale"], true, "never read yet: {made}");
    assert_eq!(made["has_password"], true);
    assert!(
        !made.to_string().contains("hunter2"),
        "the password is never shown: {made}"
    );
    let source = format!("{base}/{}", made["id"].as_str().unwrap());
    let stored = api
        .store
        .store()
        .calendar_source(
            &AccountId::from(business.demo.account_id.as_str()),
            made["id"].as_str().unwrap(),
        )
        .await
        .unwrap();
    assert!(!stored.password_sealed.contains("hunter2"), "sealed at rest");

    // Read: the weekly meeting is busy; the cancelled and transparent events are not.
    let synced = api
        .post(&format!("{source}/sync"), &business.key, json!({}))
        .await
        .expect(200);
    assert_eq!(synced["stale"], false, "{synced}");
    assert_eq!(synced["last_error"], Value::Null, "{synced}");
    let now_offered = offered(&api, &business).await;
    assert!(!now_offered.contains(&busy), "{busy} is still offered");
    assert!(
        now_offered.contains(&other),
        "a cancelled or transparent event blocked {other}"
    );
    let refused = api
        .post(
            "/bookings",
            &business.key,
            json!({"event_type_id": business.demo.cleaning_id.to_string(), "start": busy.to_string(),
                   "invitee_name": "Ada"}),
        )
        .await
        .error(409);
    assert!(refused["alternatives"].is_array(), "{refused}");
    let agent = business
        .tool(
            "create_booking",
            json!({"event_type_slug": "cleaning", "start_time": busy.to_string(), "invitee_name": "Ana Diaz"}),
        )
        .await;
    assert!(
        agent.is_error,
        "the agent booked over the host's meeting: {}",
        agent.result
    );

    // Again: a conditional GET, answered 304; the copy stays and is fresh.
    let again = api
        .post(&format!("{source}/sync"), &business.key, json!({}))
        .await
        .expect(200);
    assert_eq!(*feed.not_modified.lock().unwrap(), 1);
    assert_eq!(again["stale"], false, "{again}");
    let last_synced = again["last_synced_at"].as_str().unwrap().to_owned();
    assert!(last_synced.as_str() >= synced["last_synced_at"].as_str().unwrap());

    // A read under way never holds availability up.
    *feed.mode.lock().unwrap() = Mode::Hold;
    let sync_path = format!("{source}/sync");
    let sync = {
        let (base_url, key) = (api.base_url.clone(), business.key.clone());
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base_url}/api/v1{sync_path}"))
                .bearer_auth(key)
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        })
    };
    tokio::time::timeout(Duration::from_secs(30), feed.arrived.notified())
        .await
        .expect("the read reached the feed");
    let during = offered(&api, &business).await;
    assert!(!sync.is_finished(), "the read was held at the feed all along");
    assert_eq!(during, now_offered, "availability answered from the cached copy");
    feed.release.notify_one();
    let failed = tokio::time::timeout(Duration::from_secs(30), sync)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed["stale"], true, "{failed}");
    assert_eq!(failed["last_synced_at"].as_str(), Some(last_synced.as_str()));
    assert!(
        failed["last_error"].as_str().unwrap().contains("HTTP 503"),
        "{failed}"
    );

    // Slow: past the fetch timeout (a reader with a 1 s timeout over the same store).
    *feed.mode.lock().unwrap() = Mode::Hang;
    let impatient = CalendarSources::new(
        api.store.store(),
        &CalendarsConfig {
            fetch_timeout_secs: 1,
            ..calendars_config()
        },
    );
    let row = api
        .store
        .store()
        .calendar_source(
            &AccountId::from(business.demo.account_id.as_str()),
            made["id"].as_str().unwrap(),
        )
        .await
        .unwrap();
    impatient.sync(&row, Timestamp::now()).await.unwrap();
    let slow = api.get(&source, &business.key).await.expect(200);
    assert_eq!(slow["stale"], true);
    assert!(
        slow["last_error"]
            .as_str()
            .unwrap()
            .contains("did not answer within 1 s"),
        "{slow}"
    );
    assert_eq!(
        offered(&api, &business).await,
        now_offered,
        "still the last good copy"
    );

    // Dead: nothing listens any more.
    server.abort();
    let _ = server.await;
    let dead = api
        .post(&format!("{source}/sync"), &business.key, json!({}))
        .await
        .expect(200);
    assert_eq!(dead["stale"], true);
    assert!(
        dead["last_error"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{dead}"
    );
    assert_eq!(dead["last_synced_at"].as_str(), Some(last_synced.as_str()));
    assert_eq!(
        offered(&api, &business).await,
        now_offered,
        "still the last good copy"
    );

    // Deleted: its events no longer count.
    api.delete(&source, &business.key).await.expect(204);
    assert!(offered(&api, &business).await.contains(&busy));
    api.get(&source, &business.key).await.error(404);
}

#[tokio::test]
async fn a_source_is_checked_as_it_is_made() {
    let api = TestApi::start_with(switchboard::store::testing::sqlite().await, |config| {
        config.calendars = calendars_config();
        config.calendars.allow_http_loopback = false;
    })
    .await;
    let business = business(&api).await;
    let base = format!("/hosts/{}/calendar-sources", business.demo.host_id);
    let refusals = [
        (json!({"kind": "ics", "url": "http://127.0.0.1:9/x.ics"}), "url"),
        (
            json!({"kind": "ics", "url": "ftp://calendar.example/x.ics"}),
            "url",
        ),
        (
            json!({"kind": "outlook", "url": "https://calendar.example/x.ics"}),
            "kind",
        ),
        (json!({"url": "https://calendar.example/x.ics"}), "kind"),
        (
            json!({"kind": "ics", "url": "https://calendar.example/x.ics", "writable": true}),
            "writable",
        ),
    ];
    for (body, field) in refusals {
        let error = api.post(&base, &business.key, body.clone()).await.error(422);
        assert_eq!(error["field"], field, "{body}: {error}");
    }
    let webcal = api
        .post(
            &base,
            &business.key,
            json!({"kind": "ics", "url": "webcal://calendar.example/x.ics"}),
        )
        .await
        .expect(201);
    assert_eq!(webcal["url"], "https://calendar.example/x.ics");
    let caldav = api
        .post(
            &base,
            &business.key,
            json!({"kind": "caldav", "url": "https://dav.example/lee/work/", "writable": true}),
        )
        .await
        .expect(201);
    assert_eq!(caldav["writable"], true);
    let listed = api.get(&base, &business.key).await.expect(200);
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);
    let renamed = api
        .patch(
            &format!("{base}/{}", webcal["id"].as_str().unwrap()),
            &business.key,
            json!({"name": "Home"}),
        )
        .await
        .expect(200);
    assert_eq!(renamed["name"], "Home");
    // A host with nothing booked is deleted with its calendars.
    let spare = api
        .post(
            "/hosts",
            &business.key,
            json!({"name": "Spare", "timezone": "UTC"}),
        )
        .await
        .expect(201);
    let spare_sources = format!("/hosts/{}/calendar-sources", spare["id"].as_str().unwrap());
    api.post(
        &spare_sources,
        &business.key,
        json!({"kind": "ics", "url": "https://calendar.example/s.ics"}),
    )
    .await
    .expect(201);
    api.delete(
        &format!("/hosts/{}", spare["id"].as_str().unwrap()),
        &business.key,
    )
    .await
    .expect(204);
    api.get(&spare_sources, &business.key).await.error(404);
    // Another host's path does not reach it.
    api.get(
        &format!("/hosts/nope/calendar-sources/{}", webcal["id"].as_str().unwrap()),
        &business.key,
    )
    .await
    .error(404);
}
