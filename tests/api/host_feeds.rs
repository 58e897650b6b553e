//! A host's booking feed over real HTTP, on SQLite and PostgreSQL: the address made and shown
//! once, the feed served by its token alone (the host's confirmed bookings, a move updating its
//! event, a cancellation dropping it, the call a booking came from), 304 on a matching ETag,
//! a wrong, replaced or revoked token answered 404, and another account's key refused.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, ETAG, IF_NONE_MATCH, LAST_MODIFIED};
use serde_json::{Value, json};
use switchboard::store::{AccountId, AgentId, BookingId, CallDirection, CallOutcome, NewCallRecord};

use crate::business::{Business, business};
use crate::support::{TestApi, on_each_backend};

/// A feed as fetched: status, headers and body.
pub struct Fetched {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

pub async fn fetch(url: &str, if_none_match: Option<&str>) -> Fetched {
    let mut request = reqwest::Client::new().get(url);
    if let Some(etag) = if_none_match {
        request = request.header(IF_NONE_MATCH, etag);
    }
    let response = request.send().await.unwrap();
    Fetched {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

/// Makes the host's feed through the API and returns its address.
pub async fn make_feed(api: &TestApi, key: &str, host_id: &str) -> String {
    let made = api
        .post(&format!("/hosts/{host_id}/feed"), key, json!({}))
        .await
        .expect(201);
    assert_eq!(made["host_id"], host_id);
    made["url"].as_str().unwrap().to_owned()
}

async fn book(api: &TestApi, a: &Business, start: &str, name: &str) -> Value {
    api.post(
        "/bookings",
        &a.key,
        json!({"event_type_id": a.demo.cleaning_id.to_string(), "start": start, "invitee_name": name,
               "invitee_email": "ada@example.com", "invitee_phone": "+14155550199",
               "notes": "Gate code 4;2, ring twice"}),
    )
    .await
    .expect(201)
}

/// The VEVENTs of a feed, each as its unfolded content lines.
fn events(body: &str) -> Vec<Vec<String>> {
    let unfolded = body.replace("\r\n ", "");
    let mut events = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in unfolded.split("\r\n") {
        match line {
            "BEGIN:VEVENT" => current = Some(Vec::new()),
            "END:VEVENT" => events.push(current.take().unwrap()),
            _ => {
                if let Some(event) = current.as_mut() {
                    event.push(line.to_owned());
                }
            }
        }
    }
    events
}

fn event_with_uid<'a>(events: &'a [Vec<String>], booking_id: &str) -> Option<&'a Vec<String>> {
    let uid = format!("UID:booking-{booking_id}@switchboard");
    events.iter().find(|event| event.contains(&uid))
}

#[tokio::test]
async fn a_hosts_feed_lists_its_confirmed_bookings_by_its_token_alone() {
    on_each_backend(|api| async move {
        let a = business(&api).await;
        let host = a.demo.host_id.to_string();
        // Every fourth free start, so no two of them overlap.
        let starts: Vec<String> = a.free_cleanings(&api).await.into_iter().step_by(4).collect();
        let kept = book(&api, &a, &starts[0], "Ada Lovelace").await;
        let cancelled = book(&api, &a, &starts[1], "Grace Hopper").await;
        let moved = book(&api, &a, &starts[2], "Katherine Johnson").await;
        api.post(
            &format!("/bookings/{}/cancel", cancelled["id"].as_str().unwrap()),
            &a.key,
            json!({}),
        )
        .await
        .expect(200);
        let moved_to = api
            .post(
                &format!("/bookings/{}/reschedule", moved["id"].as_str().unwrap()),
                &a.key,
                json!({"start": starts[3]}),
            )
            .await
            .expect(201);
        // Moved twice: the chain goes back to the first booking.
        let moved_to = api
            .post(
                &format!("/bookings/{}/reschedule", moved_to["id"].as_str().unwrap()),
                &a.key,
                json!({"start": starts[4]}),
            )
            .await
            .expect(201);
        // A call made the kept booking.
        let store = api.store.store();
        let account = AccountId::from(a.demo.account_id.as_str());
        let call = store
            .insert_call(
                &account,
                NewCallRecord {
                    agent_id: AgentId::from(a.demo.agent_id.as_str()),
                    call_sid: "CA00000000000000000000000000000feed".into(),
                    direction: CallDirection::Inbound,
                    from_number: "+14155550199".into(),
                    to_number: a.ctx.called_number.clone().unwrap(),
                    started_at: jiff::Timestamp::now(),
                },
            )
            .await
            .unwrap()
            .expect("a new call");
        store
            .set_call_outcome(
                &account,
                &call.id,
                CallOutcome::BookingCreated,
                Some(&BookingId::from(kept["id"].as_str().unwrap())),
            )
            .await
            .unwrap();

        let url = make_feed(&api, &a.key, &host).await;
        let prefix = format!("{}/feeds/hosts/sbf_", api.base_url);
        assert!(url.starts_with(&prefix) && url.ends_with(".ics"), "{url}");
        let token = url
            .trim_start_matches(&format!("{}/feeds/hosts/", api.base_url))
            .trim_end_matches(".ics");
        // Shown once: the host reads back without it, and only its hash is kept.
        let host_body = api.get(&format!("/hosts/{host}"), &a.key).await.expect(200);
        assert!(!host_body.to_string().contains(token), "{host_body}");
        let stored = store
            .host_feed_by_lookup(&token[4..16])
            .await
            .unwrap()
            .expect("kept");
        assert_ne!(stored.secret_hash, token);
        assert!(!stored.secret_hash.contains(&token[4..]));

        let feed = fetch(&url, None).await;
        assert_eq!(feed.status, StatusCode::OK, "{}", feed.body);
        assert_eq!(feed.headers[CONTENT_TYPE], "text/calendar; charset=utf-8");
        assert!(feed.headers.contains_key(LAST_MODIFIED));
        assert!(
            feed.body.contains("X-WR-TIMEZONE:America/New_York\r\n"),
            "{}",
            feed.body
        );
        assert!(feed.body.contains("METHOD:PUBLISH\r\n"));
        let listed = events(&feed.body);
        assert_eq!(listed.len(), 2, "{}", feed.body);
        let kept_event = event_with_uid(&listed, kept["id"].as_str().unwrap()).expect("the kept booking");
        assert!(
            kept_event.contains(&"SUMMARY:Cleaning with Ada Lovelace".to_owned()),
            "{kept_event:?}"
        );
        let description = kept_event
            .iter()
            .find(|line| line.starts_with("DESCRIPTION:"))
            .unwrap();
        for part in [
            "Invitee: Ada Lovelace",
            "Email: ada@example.com",
            "Phone: +14155550199",
            "Notes: Gate code 4\\;2\\, ring twice",
            &format!(
                "Booked on call {}: {}/api/v1/calls/{}",
                call.id.as_str(),
                api.base_url,
                call.id.as_str()
            ),
        ] {
            assert!(description.contains(part), "{part} not in {description}");
        }
        // The moves keep the first booking's UID, a sequence on each, at the latest time.
        let moved_event = event_with_uid(&listed, moved["id"].as_str().unwrap()).expect("the moved booking");
        assert!(moved_event.contains(&"SEQUENCE:2".to_owned()), "{moved_event:?}");
        let new_start: jiff::Timestamp = moved_to["start"].as_str().unwrap().parse().unwrap();
        let local = new_start
            .to_zoned(jiff::tz::TimeZone::get("America/New_York").unwrap())
            .strftime("%Y%m%dT%H%M%S")
            .to_string();
        assert!(
            moved_event.contains(&format!("DTSTART;TZID=America/New_York:{local}")),
            "{moved_event:?}"
        );
        assert!(event_with_uid(&listed, cancelled["id"].as_str().unwrap()).is_none());

        // Asked again with its ETag: 304, no body.
        let etag = feed.headers[ETAG].to_str().unwrap().to_owned();
        let again = fetch(&url, Some(&etag)).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);
        assert!(again.body.is_empty());
        assert_eq!(again.headers[ETAG], etag.as_str());
        assert_eq!(
            fetch(&url, Some("\"something-else\"")).await.status,
            StatusCode::OK
        );
        // A cancellation changes the feed, and its ETag.
        api.post(
            &format!("/bookings/{}/cancel", kept["id"].as_str().unwrap()),
            &a.key,
            json!({}),
        )
        .await
        .expect(200);
        let changed = fetch(&url, Some(&etag)).await;
        assert_eq!(changed.status, StatusCode::OK);
        assert_ne!(changed.headers[ETAG], etag.as_str());
        assert_eq!(events(&changed.body).len(), 1);

        // Tokens that open nothing.
        let mut wrong = token.to_owned();
        let last = wrong.pop().unwrap();
        wrong.push(if last == 'A' { 'B' } else { 'A' });
        for path in [
            format!("/feeds/hosts/{wrong}.ics"),
            format!("/feeds/hosts/{token}"),
            format!("/feeds/hosts/{token}.ics.ics"),
            "/feeds/hosts/sbf_short.ics".to_owned(),
            format!("/feeds/hosts/{}.ics", a.key),
        ] {
            let answer = fetch(&format!("{}{path}", api.base_url), None).await;
            assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        }

        // A new address replaces the old one.
        let replaced = make_feed(&api, &a.key, &host).await;
        assert_ne!(replaced, url);
        assert_eq!(fetch(&url, None).await.status, StatusCode::NOT_FOUND);
        assert_eq!(fetch(&replaced, None).await.status, StatusCode::OK);
        // Revoked: gone, and revoking again finds nothing.
        api.delete(&format!("/hosts/{host}/feed"), &a.key)
            .await
            .expect(204);
        assert_eq!(fetch(&replaced, None).await.status, StatusCode::NOT_FOUND);
        let error = api
            .delete(&format!("/hosts/{host}/feed"), &a.key)
            .await
            .error(404);
        assert_eq!(error["code"], "not_found");
        // An unknown host has no feed to make.
        api.post("/hosts/host_nope/feed", &a.key, json!({}))
            .await
            .error(404);
    })
    .await;
}

#[tokio::test]
async fn another_accounts_key_neither_makes_nor_revokes_a_hosts_feed() {
    on_each_backend(|api| async move {
        let a = business(&api).await;
        let host = a.demo.host_id.to_string();
        let url = make_feed(&api, &a.key, &host).await;
        let b = api.account("Mallory Inc", "business").await;
        api.post(&format!("/hosts/{host}/feed"), &b.key, json!({}))
            .await
            .error(404);
        api.delete(&format!("/hosts/{host}/feed"), &b.key)
            .await
            .error(404);
        assert_eq!(fetch(&url, None).await.status, StatusCode::OK);
        // Deleting the host takes its feed with it.
        let own = api
            .post(
                "/hosts",
                &a.key,
                json!({"name": "Room 2", "timezone": "Europe/Berlin"}),
            )
            .await
            .expect(201);
        let own_id = own["id"].as_str().unwrap();
        let own_url = make_feed(&api, &a.key, own_id).await;
        let empty = fetch(&own_url, None).await;
        assert_eq!(empty.status, StatusCode::OK);
        assert!(
            empty.body.contains("X-WR-CALNAME:Room 2 bookings\r\n"),
            "{}",
            empty.body
        );
        assert!(events(&empty.body).is_empty());
        api.delete(&format!("/hosts/{own_id}"), &a.key).await.expect(204);
        assert_eq!(fetch(&own_url, None).await.status, StatusCode::NOT_FOUND);
    })
    .await;
}
