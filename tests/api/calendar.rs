//! The calendar over the API: hosts, their weekly hours, date overrides and blackout dates, and
//! event types, through every verb, read back as written and listed a page at a time.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TestAccount, TestApi, on_each_backend};

pub(crate) async fn host(api: &TestApi, account: &TestAccount, name: &str) -> Value {
    api.post(
        "/hosts",
        &account.key,
        json!({"name": name, "email": "chen@example.com", "timezone": "America/New_York"}),
    )
    .await
    .expect(201)
}

pub(crate) async fn event_type(api: &TestApi, account: &TestAccount, host_id: &str, slug: &str) -> Value {
    api.post(
        "/event-types",
        &account.key,
        json!({"host_id": host_id, "slug": slug, "name": "Cleaning", "duration_minutes": 30}),
    )
    .await
    .expect(201)
}

pub(crate) fn id(row: &Value) -> &str {
    row["id"].as_str().unwrap()
}

/// Every row of a list, following `next_cursor` `limit` rows at a time.
pub(crate) async fn every_page(api: &TestApi, path: &str, key: &str, limit: u32) -> (Vec<Value>, usize) {
    let (mut rows, mut pages, mut cursor) = (Vec::new(), 0, None::<String>);
    loop {
        let url = match &cursor {
            None => format!("{path}?limit={limit}"),
            Some(cursor) => format!("{path}?limit={limit}&cursor={cursor}"),
        };
        let page = api.get(&url, key).await.expect(200);
        pages += 1;
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= limit as usize);
        rows.extend(data.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (rows, pages),
        }
    }
}

#[tokio::test]
async fn hosts_are_made_read_listed_changed_and_deleted() {
    on_each_backend(|api| async move {
        let account = api.account("Harbor Dental", "pro").await;
        let chen = host(&api, &account, "Dr. Maya Chen").await;
        assert_eq!(chen["name"], "Dr. Maya Chen");
        assert_eq!(chen["email"], "chen@example.com");
        assert_eq!(chen["timezone"], "America/New_York");
        let path = format!("/hosts/{}", id(&chen));
        assert_eq!(api.get(&path, &account.key).await.expect(200), chen);

        let changed = api
            .patch(&path, &account.key, json!({"name": "Dr. Chen", "email": null}))
            .await
            .expect(200);
        assert_eq!(changed["name"], "Dr. Chen");
        assert_eq!(changed["email"], Value::Null, "null clears");
        assert_eq!(changed["timezone"], "America/New_York", "left out, kept");
        assert_eq!(api.get(&path, &account.key).await.expect(200), changed);

        let mut made = vec![changed];
        for name in ["Room 1", "Room 2", "Room 3", "Room 4"] {
            made.push(host(&api, &account, name).await);
        }
        let (listed, pages) = every_page(&api, "/hosts", &account.key, 2).await;
        assert_eq!(listed, made, "oldest first, each once");
        assert_eq!(pages, 3);

        assert_eq!(api.delete(&path, &account.key).await.status, 204);
        let gone = api.get(&path, &account.key).await.error(404);
        assert_eq!(gone["code"], "not_found");
        api.delete(&path, &account.key).await.error(404);
        let (listed, _) = every_page(&api, "/hosts", &account.key, 50).await;
        assert_eq!(listed.len(), 4);
    })
    .await;
}

#[tokio::test]
async fn event_types_are_made_read_listed_changed_and_deleted() {
    on_each_backend(|api| async move {
        let account = api.account("Harbor Dental", "pro").await;
        let chen = host(&api, &account, "Dr. Maya Chen").await;
        let other_host = host(&api, &account, "Dr. Lee").await;
        let cleaning = event_type(&api, &account, id(&chen), "cleaning").await;
        assert_eq!(cleaning["host_id"], id(&chen));
        assert_eq!(cleaning["duration_minutes"], 30);
        assert_eq!(cleaning["buffer_before_minutes"], 0);
        assert_eq!(cleaning["slot_interval_minutes"], Value::Null);
        assert_eq!(cleaning["max_days_ahead"], 60);
        assert_eq!(cleaning["active"], true);
        assert_eq!(cleaning["secret"], false);
        let path = format!("/event-types/{}", id(&cleaning));
        assert_eq!(api.get(&path, &account.key).await.expect(200), cleaning);

        let taken = api
            .post(
                "/event-types",
                &account.key,
                json!({"host_id": id(&chen), "slug": "cleaning", "name": "Again", "duration_minutes": 15}),
            )
            .await
            .error(409);
        assert_eq!(taken["code"], "slug_taken");

        let changed = api
            .patch(
                &path,
                &account.key,
                json!({"duration_minutes": 45, "buffer_after_minutes": 10, "slot_interval_minutes": 15,
                       "per_day_limit": 4, "max_days_ahead": 30, "minimum_notice_minutes": 120,
                       "secret": true, "host_id": id(&other_host), "description": "Check-up."}),
            )
            .await
            .expect(200);
        assert_eq!(changed["duration_minutes"], 45);
        assert_eq!(changed["slot_interval_minutes"], 15);
        assert_eq!(changed["per_day_limit"], 4);
        assert_eq!(changed["host_id"], id(&other_host));
        assert_eq!(changed["slug"], "cleaning", "left out, kept");
        let cleared = api
            .patch(
                &path,
                &account.key,
                json!({"per_day_limit": null, "slot_interval_minutes": null, "active": false}),
            )
            .await
            .expect(200);
        assert_eq!(cleared["per_day_limit"], Value::Null);
        assert_eq!(cleared["slot_interval_minutes"], Value::Null);
        assert_eq!(cleared["active"], false);
        assert_eq!(cleared["duration_minutes"], 45);

        let mut made = vec![cleared];
        for slug in ["b", "a", "c"] {
            made.push(event_type(&api, &account, id(&chen), slug).await);
        }
        let (listed, pages) = every_page(&api, "/event-types", &account.key, 3).await;
        assert_eq!(listed, made, "oldest first, not by slug");
        assert_eq!(pages, 2);

        // A host with event types stays.
        let in_use = api
            .delete(&format!("/hosts/{}", id(&chen)), &account.key)
            .await
            .error(409);
        assert_eq!(in_use["code"], "host_in_use");
        let message = in_use["message"].as_str().unwrap();
        assert!(message.contains("a, b, c"), "{message}");

        assert_eq!(api.delete(&path, &account.key).await.status, 204);
        api.get(&path, &account.key).await.error(404);
    })
    .await;
}

#[tokio::test]
async fn schedules_read_back_as_written_and_are_removed() {
    on_each_backend(|api| async move {
        let account = api.account("Harbor Dental", "pro").await;
        let chen = host(&api, &account, "Dr. Maya Chen").await;
        let base = format!("/hosts/{}", id(&chen));
        let hours_path = format!("{base}/weekly-hours");
        assert_eq!(
            api.get(&hours_path, &account.key).await.expect(200),
            json!({"ranges": []})
        );
        let week = json!({"ranges": [
            {"day": "friday", "start": "22:00", "end": "02:00"},
            {"day": "monday", "start": "13:00", "end": "24:00"},
            {"day": "Monday", "start": "09:00", "end": "12:00"},
        ]});
        let stored = api.put(&hours_path, &account.key, week).await.expect(200);
        let expected = json!({"ranges": [
            {"day": "monday", "start": "09:00", "end": "12:00"},
            {"day": "monday", "start": "13:00", "end": "24:00"},
            {"day": "friday", "start": "22:00", "end": "02:00"},
        ]});
        assert_eq!(stored, expected);
        assert_eq!(api.get(&hours_path, &account.key).await.expect(200), expected);

        let overrides = format!("{base}/date-overrides");
        let short_day = api
            .put(
                &format!("{overrides}/2026-12-31"),
                &account.key,
                json!({"ranges": [{"start": "10:00", "end": "12:00"}, {"start": "08:00", "end": "09:00"}]}),
            )
            .await
            .expect(200);
        assert_eq!(
            short_day,
            json!({"date": "2026-12-31", "closed": false, "ranges": [
                {"start": "08:00", "end": "09:00"}, {"start": "10:00", "end": "12:00"}]})
        );
        let closed = api
            .put(
                &format!("{overrides}/2026-12-24"),
                &account.key,
                json!({"closed": true}),
            )
            .await
            .expect(200);
        assert_eq!(
            closed,
            json!({"date": "2026-12-24", "closed": true, "ranges": []})
        );
        let all = api.get(&overrides, &account.key).await.expect(200);
        assert_eq!(all["data"], json!([closed, short_day]));
        assert_eq!(all["next_cursor"], Value::Null);
        let window = api
            .get(
                &format!("{overrides}?from=2026-12-25&to=2027-01-31"),
                &account.key,
            )
            .await
            .expect(200);
        assert_eq!(window["data"], json!([short_day]));
        assert_eq!(
            api.delete(&format!("{overrides}/2026-12-24"), &account.key)
                .await
                .status,
            204
        );
        let again = api
            .delete(&format!("{overrides}/2026-12-24"), &account.key)
            .await
            .error(404);
        assert!(
            again["message"].as_str().unwrap().contains("date override"),
            "{again}"
        );
        assert_eq!(
            api.get(&overrides, &account.key).await.expect(200)["data"],
            json!([short_day])
        );

        let blackouts = format!("{base}/blackout-dates");
        let new_year = api
            .put(
                &format!("{blackouts}/2027-01-01"),
                &account.key,
                json!({"reason": "New Year"}),
            )
            .await
            .expect(200);
        assert_eq!(new_year, json!({"date": "2027-01-01", "reason": "New Year"}));
        // No body at all: a blackout without a reason.
        let bare = api
            .send(api.request(Method::PUT, &format!("{blackouts}/2027-01-02"), &account.key))
            .await
            .expect(200);
        assert_eq!(bare, json!({"date": "2027-01-02", "reason": null}));
        let listed = api.get(&blackouts, &account.key).await.expect(200);
        assert_eq!(listed["data"], json!([new_year, bare]));
        assert_eq!(
            api.delete(&format!("{blackouts}/2027-01-01"), &account.key)
                .await
                .status,
            204
        );
        api.delete(&format!("{blackouts}/2027-01-01"), &account.key)
            .await
            .error(404);
        let listed = api
            .get(&format!("{blackouts}?from=2027-01-01"), &account.key)
            .await
            .expect(200);
        assert_eq!(listed["data"], json!([bare]));

        // Deleting the host takes its schedule with it.
        assert_eq!(api.delete(&base, &account.key).await.status, 204);
        api.get(&hours_path, &account.key).await.error(404);
    })
    .await;
}

#[tokio::test]
async fn the_calendar_is_in_the_openapi_document_and_its_posts_are_idempotent() {
    on_each_backend(|api| async move {
        let document = api
            .call(Method::GET, "/openapi.json", None, None)
            .await
            .expect(200);
        for (path, verbs) in [
            ("/api/v1/hosts", &["get", "post"][..]),
            ("/api/v1/hosts/{id}", &["get", "patch", "delete"]),
            ("/api/v1/hosts/{id}/weekly-hours", &["get", "put"]),
            ("/api/v1/hosts/{id}/date-overrides", &["get"]),
            ("/api/v1/hosts/{id}/date-overrides/{date}", &["put", "delete"]),
            ("/api/v1/hosts/{id}/blackout-dates", &["get"]),
            ("/api/v1/hosts/{id}/blackout-dates/{date}", &["put", "delete"]),
            ("/api/v1/event-types", &["get", "post"]),
            ("/api/v1/event-types/{id}", &["get", "patch", "delete"]),
        ] {
            for verb in verbs {
                let operation = &document["paths"][path][verb];
                assert!(operation.is_object(), "{verb} {path} missing");
                assert!(operation["responses"]["404"].is_object(), "{verb} {path}");
            }
        }

        let account = api.account("Harbor Dental", "pro").await;
        let post = || {
            api.request(Method::POST, "/hosts", &account.key)
                .header("Idempotency-Key", "host-1")
                .json(&json!({"name": "Dr. Maya Chen", "timezone": "America/New_York"}))
        };
        let first = api.send(post()).await;
        assert_eq!(first.status.as_u16(), 201);
        let again = api.send(post()).await;
        assert_eq!(again.status.as_u16(), 201);
        assert_eq!(again.body, first.body, "the repeat gets the first answer");
        let (hosts, _) = every_page(&api, "/hosts", &account.key, 50).await;
        assert_eq!(hosts.len(), 1, "one host made, not two");
    })
    .await;
}
