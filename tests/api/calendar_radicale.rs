//! A host's CalDAV calendar on a real Radicale server (from PyPI, started here with htpasswd
//! auth and a temporary folder): a weekly 09:00 New York meeting and an all-day event across the
//! next clock change, a transparent and a cancelled event. The source is read over CalDAV; the
//! API's availability does not offer the busy times, the agent's booking tool will not book
//! over them, and the cached copy holds the meeting at 09:00 on both sides of the change. On
//! both databases.

use std::process::Stdio;
use std::time::Duration;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp};
use reqwest::Method;
use serde_json::json;

use switchboard::config::{CalendarsConfig, Secret};

use crate::business::{Business, HOST_ZONE, business};
use crate::python::python_with_package;
use crate::support::TestApi;

const NEW_YORK: &str = "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:-0500\r\n\
TZOFFSETTO:-0400\r\nTZNAME:EDT\r\nDTSTART:20070311T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\n\
END:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\n\
DTSTART:20071104T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

fn object(event: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{NEW_YORK}{event}END:VCALENDAR\r\n")
}

fn day(date: Date) -> String {
    date.strftime("%Y%m%d").to_string()
}

fn local(date: Date, hour: i8) -> Timestamp {
    date.at(hour, 0, 0, 0)
        .to_zoned(TimeZone::get(HOST_ZONE).unwrap())
        .unwrap()
        .timestamp()
}

pub(crate) struct Radicale {
    pub(crate) url: String,
    _process: tokio::process::Child,
    _folder: tempfile::TempDir,
}

pub(crate) async fn start_radicale(python: &crate::python::Python) -> Radicale {
    let folder = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(folder.path().join("users"), "lee:secret\n").unwrap();
    let config = format!(
        "[server]\nhosts = 127.0.0.1:{port}\n[auth]\ntype = htpasswd\nhtpasswd_filename = {users}\n\
         htpasswd_encryption = plain\ndelay = 0\n[storage]\nfilesystem_folder = {store}\n\
         [rights]\ntype = owner_only\n[logging]\nlevel = warning\n",
        users = folder.path().join("users").display(),
        store = folder.path().join("collections").display(),
    );
    std::fs::write(folder.path().join("config"), config).unwrap();
    let process = python
        .tokio_command()
        .args(["-m", "radicale", "--config"])
        .arg(folder.path().join("config"))
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("radicale starts");
    let address = format!("127.0.0.1:{port}");
    tokio::time::timeout(Duration::from_secs(60), async {
        while tokio::net::TcpStream::connect(&address).await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("radicale listens");
    Radicale {
        url: format!("http://{address}"),
        _process: process,
        _folder: folder,
    }
}

pub(crate) async fn dav(method: &str, url: &str, body: String) -> reqwest::StatusCode {
    reqwest::Client::new()
        .request(Method::from_bytes(method.as_bytes()).unwrap(), url)
        .basic_auth("lee", Some("secret"))
        .header("Content-Type", "text/calendar; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
}

async fn offered(api: &TestApi, business: &Business, from: Date, to: Date) -> Vec<Timestamp> {
    let path = format!(
        "/event-types/{}/availability?from={from}&to={to}&timezone={HOST_ZONE}",
        business.demo.cleaning_id
    );
    let open = api.get(&path, &business.key).await.expect(200);
    open["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|slot| slot["start"].as_str().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn a_radicale_calendar_keeps_the_agent_off_the_hosts_busy_times() {
    let Some(python) = python_with_package(
        "a_radicale_calendar_keeps_the_agent_off_the_hosts_busy_times",
        "radicale",
    ) else {
        return;
    };
    let radicale = start_radicale(&python).await;
    scenario(&radicale, switchboard::store::testing::sqlite().await, "a").await;
    if let Some(postgres) = switchboard::store::testing::postgres().await {
        scenario(&radicale, postgres, "b").await;
    }
}

async fn scenario(radicale: &Radicale, store: switchboard::store::testing::TestStore, calendar: &str) {
    let api = TestApi::start_with(store, |config| {
        config.calendars = CalendarsConfig {
            allow_http_loopback: true,
            check_every_secs: 0,
            horizon_days: 400,
            secrets_key: Some(Secret::new("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")),
            ..CalendarsConfig::default()
        }
    })
    .await;
    let business = business(&api).await;
    let zone = TimeZone::get(HOST_ZONE).unwrap();
    let today = Timestamp::now().to_zoned(zone.clone()).date();
    let mut monday = today + Span::new().days(2);
    while monday.weekday() != Weekday::Monday {
        monday = monday.tomorrow().unwrap();
    }
    let (tuesday, wednesday) = (monday + Span::new().days(1), monday + Span::new().days(2));
    // The next clock change (a Sunday) and the event around it: Friday to Monday, whole days.
    let change = zone
        .following(Timestamp::now())
        .next()
        .unwrap()
        .timestamp()
        .to_zoned(zone.clone())
        .date();
    let (friday_before, tuesday_after) = (change - Span::new().days(2), change + Span::new().days(2));

    let collection = format!("{}/lee/{calendar}/", radicale.url);
    assert!(dav("MKCALENDAR", &collection, String::new()).await.is_success());
    let events = [
        (
            "standup",
            format!(
                "BEGIN:VEVENT\r\nUID:standup@lee\r\nDTSTAMP:20260101T000000Z\r\n\
DTSTART;TZID=America/New_York:{m}T090000\r\nDTEND;TZID=America/New_York:{m}T100000\r\n\
RRULE:FREQ=WEEKLY;BYDAY=MO\r\nSUMMARY:Standup\r\nEND:VEVENT\r\n",
                m = day(monday)
            ),
        ),
        (
            "away",
            format!(
                "BEGIN:VEVENT\r\nUID:away@lee\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:{}\r\n\
DTEND;VALUE=DATE:{}\r\nSUMMARY:Away\r\nEND:VEVENT\r\n",
                day(tuesday),
                day(wednesday)
            ),
        ),
        (
            "trip",
            format!(
                "BEGIN:VEVENT\r\nUID:trip@lee\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:{}\r\n\
DTEND;VALUE=DATE:{}\r\nSUMMARY:Trip\r\nEND:VEVENT\r\n",
                day(friday_before),
                day(tuesday_after)
            ),
        ),
        (
            "focus",
            format!(
                "BEGIN:VEVENT\r\nUID:focus@lee\r\nDTSTAMP:20260101T000000Z\r\nTRANSP:TRANSPARENT\r\n\
DTSTART;TZID=America/New_York:{w}T100000\r\nDTEND;TZID=America/New_York:{w}T110000\r\nEND:VEVENT\r\n",
                w = day(wednesday)
            ),
        ),
        (
            "called-off",
            format!(
                "BEGIN:VEVENT\r\nUID:called-off@lee\r\nDTSTAMP:20260101T000000Z\r\nSTATUS:CANCELLED\r\n\
DTSTART;TZID=America/New_York:{w}T130000\r\nDTEND;TZID=America/New_York:{w}T140000\r\nEND:VEVENT\r\n",
                w = day(wednesday)
            ),
        ),
    ];
    for (name, event) in &events {
        let status = dav("PUT", &format!("{collection}{name}.ics"), object(event)).await;
        assert!(status.is_success(), "PUT {name}: {status}");
    }
    let before = offered(&api, &business, monday, wednesday).await;
    assert!(before.contains(&local(monday, 9)), "the host is open Monday at 9");

    let made = api
        .post(
            &format!("/hosts/{}/calendar-sources", business.demo.host_id),
            &business.key,
            json!({"kind": "caldav", "url": collection, "username": "lee", "password": "secret"}),
        )
        .await
        .expect(201);
    let source = format!(
        "/hosts/{}/calendar-sources/{}",
        business.demo.host_id,
        made["id"].as_str().unwrap()
    );
    let synced = api
        .post(&format!("{source}/sync"), &business.key, json!({}))
        .await
        .expect(200);
    assert_eq!(synced["last_error"], serde_json::Value::Null, "{synced}");
    assert_eq!(synced["stale"], false, "{synced}");

    let after = offered(&api, &business, monday, wednesday).await;
    assert!(!after.contains(&local(monday, 9)), "the standup is busy");
    assert!(
        after
            .iter()
            .all(|slot| slot.to_zoned(zone.clone()).date() != tuesday),
        "Tuesday is away all day: {after:?}"
    );
    assert!(
        after.contains(&local(wednesday, 10)),
        "a transparent event is free time"
    );
    assert!(
        after.contains(&local(wednesday, 13)),
        "a cancelled event is free time"
    );
    let agent = business
        .tool(
            "create_booking",
            json!({"event_type_slug": "cleaning", "start_time": local(monday, 9).to_string(),
                   "invitee_name": "Ana Diaz"}),
        )
        .await;
    assert!(
        agent.is_error,
        "the agent booked over the standup: {}",
        agent.result
    );

    // Across the change: the standup at 09:00 on the host's clock on both sides, the trip
    // from the host's midnight on Friday to its midnight on Tuesday (a day one hour short or long).
    let cached = api
        .store
        .store()
        .external_busy(
            &business.demo.host_id,
            local(friday_before, 0) - SignedDuration::from_hours(24 * 7),
            local(tuesday_after, 0) + SignedDuration::from_hours(24 * 7),
        )
        .await
        .unwrap();
    let starts: Vec<Timestamp> = cached.iter().map(|busy| busy.start).collect();
    let monday_before = change - Span::new().days(6);
    let monday_after = change + Span::new().days(1);
    assert!(starts.contains(&local(monday_before, 9)), "{cached:?}");
    assert!(starts.contains(&local(monday_after, 9)), "{cached:?}");
    assert!(
        cached
            .iter()
            .any(|busy| busy.start == local(friday_before, 0) && busy.end == local(tuesday_after, 0)),
        "{cached:?}"
    );

    // Unchanged: the collection's markers say so, and the copy stays fresh.
    let again = api
        .post(&format!("{source}/sync"), &business.key, json!({}))
        .await
        .expect(200);
    assert_eq!(again["stale"], false, "{again}");
    assert_eq!(offered(&api, &business, monday, wednesday).await, after);
}
