//! The calendar's refusals over the API: bad input named by its field and changing nothing, and
//! another account's key finding none of the calendar, whatever the verb.

use reqwest::Method;
use serde_json::{Value, json};

use crate::calendar::{event_type, every_page, host, id};
use crate::support::{TestApi, on_each_backend};

/// `(method, path, body)` and the field the 422 must name.
async fn refused_field(api: &TestApi, key: &str, method: Method, path: &str, body: Value) -> String {
    let answer = api
        .call(method.clone(), path, Some(key), Some(body.clone()))
        .await;
    let error = answer.error(422);
    assert_eq!(error["code"], "invalid", "{method} {path} {body}: {error}");
    error["field"]
        .as_str()
        .unwrap_or_else(|| panic!("{method} {path} {body}: no field in {error}"))
        .to_owned()
}

#[tokio::test]
async fn bad_calendar_input_is_refused_naming_the_field_and_changes_nothing() {
    on_each_backend(|api| async move {
        let account = api.account("Harbor Dental", "pro").await;
        let key = account.key.as_str();
        let chen = host(&api, &account, "Dr. Maya Chen").await;
        let base = format!("/hosts/{}", id(&chen));
        let hours = format!("{base}/weekly-hours");
        api.put(
            &hours,
            key,
            json!({"ranges": [{"day": "monday", "start": "09:00", "end": "17:00"}]}),
        )
        .await
        .expect(200);
        let cleaning = event_type(&api, &account, id(&chen), "cleaning").await;
        let event_path = format!("/event-types/{}", id(&cleaning));

        let cases: Vec<(Method, String, Value, &str)> = vec![
            (Method::POST, "/hosts".into(), json!({"timezone": "UTC"}), "name"),
            (
                Method::POST,
                "/hosts".into(),
                json!({"name": "  ", "timezone": "UTC"}),
                "name",
            ),
            (Method::POST, "/hosts".into(), json!({"name": "A"}), "timezone"),
            (
                Method::POST,
                "/hosts".into(),
                json!({"name": "A", "timezone": "EST"}),
                "timezone",
            ),
            (
                Method::POST,
                "/hosts".into(),
                json!({"name": "A", "timezone": "UTC", "email": "a@b"}),
                "email",
            ),
            (
                Method::PATCH,
                base.clone(),
                json!({"timezone": "Mars/Olympus"}),
                "timezone",
            ),
            (
                Method::PATCH,
                base.clone(),
                json!({"email": "not an email"}),
                "email",
            ),
            (Method::PUT, hours.clone(), json!({}), "ranges"),
            (
                Method::PUT,
                hours.clone(),
                json!({"ranges": [{"day": "mon", "start": "09:00", "end": "17:00"}]}),
                "ranges[0].day",
            ),
            (
                Method::PUT,
                hours.clone(),
                json!({"ranges": [{"start": "09:00", "end": "17:00"}]}),
                "ranges[0].day",
            ),
            (
                Method::PUT,
                hours.clone(),
                json!({"ranges": [{"day": "monday", "start": "9:00", "end": "17:00"}]}),
                "ranges[0].start",
            ),
            (
                Method::PUT,
                hours.clone(),
                json!({"ranges": [{"day": "monday", "start": "24:00", "end": "02:00"}]}),
                "ranges[0].start",
            ),
            (
                Method::PUT,
                hours.clone(),
                json!({"ranges": [{"day": "monday", "start": "09:00", "end": "25:00"}]}),
                "ranges[0].end",
            ),
            (
                Method::PUT,
                hours.clone(),
                json!({"ranges": [{"day": "monday", "start": "09:00", "end": "09:00"}]}),
                "ranges[0]",
            ),
            (
                Method::PUT,
                hours.clone(),
                json!({"ranges": [
                {"day": "monday", "start": "09:00", "end": "12:00"},
                {"day": "tuesday", "start": "09:00", "end": "12:00"},
                {"day": "monday", "start": "11:00", "end": "17:00"}]}),
                "ranges[2]",
            ),
            (
                Method::PUT,
                hours.clone(),
                json!({"ranges": [
                {"day": "sunday", "start": "22:00", "end": "03:00"},
                {"day": "monday", "start": "02:00", "end": "10:00"}]}),
                "ranges[1]",
            ),
            (
                Method::PUT,
                hours.clone(),
                json!({"ranges": [{"day": "monday", "start": 9, "end": "17:00"}]}),
                "ranges[0].start",
            ),
            (
                Method::PUT,
                format!("{base}/date-overrides/2026-13-01"),
                json!({"closed": true}),
                "date",
            ),
            (
                Method::PUT,
                format!("{base}/date-overrides/24.12.2026"),
                json!({"closed": true}),
                "date",
            ),
            (
                Method::PUT,
                format!("{base}/date-overrides/2026-12-24"),
                json!({}),
                "ranges",
            ),
            (
                Method::PUT,
                format!("{base}/date-overrides/2026-12-24"),
                json!({"ranges": []}),
                "ranges",
            ),
            (
                Method::PUT,
                format!("{base}/date-overrides/2026-12-24"),
                json!({"closed": true, "ranges": [{"start": "09:00", "end": "10:00"}]}),
                "closed",
            ),
            (
                Method::PUT,
                format!("{base}/date-overrides/2026-12-24"),
                json!({"ranges": [{"start": "09:00", "end": "12:00"}, {"start": "10:00", "end": "11:00"}]}),
                "ranges[1]",
            ),
            (
                Method::PUT,
                format!("{base}/blackout-dates/2026-02-30"),
                json!({}),
                "date",
            ),
            (
                Method::PUT,
                format!("{base}/blackout-dates/2026-12-24"),
                json!({"reason": "x".repeat(2001)}),
                "reason",
            ),
            (
                Method::POST,
                "/event-types".into(),
                json!({"slug": "x", "name": "X", "duration_minutes": 30}),
                "host_id",
            ),
            (
                Method::POST,
                "/event-types".into(),
                json!({"host_id": "no-such-host", "slug": "x", "name": "X", "duration_minutes": 30}),
                "host_id",
            ),
            (
                Method::POST,
                "/event-types".into(),
                json!({"host_id": id(&chen), "slug": "Intro Call", "name": "X", "duration_minutes": 30}),
                "slug",
            ),
            (
                Method::POST,
                "/event-types".into(),
                json!({"host_id": id(&chen), "slug": "x", "name": "X"}),
                "duration_minutes",
            ),
            (
                Method::POST,
                "/event-types".into(),
                json!({"host_id": id(&chen), "slug": "x", "name": "X", "duration_minutes": 0}),
                "duration_minutes",
            ),
            (
                Method::POST,
                "/event-types".into(),
                json!({"host_id": id(&chen), "slug": "x", "name": "X", "duration_minutes": "ten"}),
                "duration_minutes",
            ),
            (
                Method::PATCH,
                event_path.clone(),
                json!({"buffer_before_minutes": -5}),
                "buffer_before_minutes",
            ),
            (
                Method::PATCH,
                event_path.clone(),
                json!({"duration_minutes": 1441}),
                "duration_minutes",
            ),
            (
                Method::PATCH,
                event_path.clone(),
                json!({"max_days_ahead": 731}),
                "max_days_ahead",
            ),
            (
                Method::PATCH,
                event_path.clone(),
                json!({"per_day_limit": 0}),
                "per_day_limit",
            ),
            (
                Method::PATCH,
                event_path.clone(),
                json!({"slot_interval_minutes": 0}),
                "slot_interval_minutes",
            ),
            (
                Method::PATCH,
                event_path.clone(),
                json!({"minimum_notice_minutes": 600000}),
                "minimum_notice_minutes",
            ),
            (Method::PATCH, event_path.clone(), json!({"name": ""}), "name"),
            (
                Method::PATCH,
                event_path.clone(),
                json!({"host_id": "no-such-host"}),
                "host_id",
            ),
        ];
        for (method, path, body, field) in cases {
            assert_eq!(
                refused_field(&api, key, method.clone(), &path, body.clone()).await,
                field,
                "{method} {path} {body}"
            );
        }
        // An unknown field is refused, not ignored.
        let unknown = api
            .patch(&event_path, key, json!({"duration": 45}))
            .await
            .error(422);
        assert!(
            unknown["message"].as_str().unwrap().contains("duration"),
            "{unknown}"
        );
        // Bad query parameters.
        let bad_window = api
            .get(
                &format!("{base}/blackout-dates?from=2027-01-02&to=2027-01-01"),
                key,
            )
            .await
            .error(422);
        assert_eq!(bad_window["field"], "to");
        let bad_limit = api.get("/hosts?limit=0", key).await.error(400);
        assert_eq!(bad_limit["field"], "limit");
        let bad_cursor = api.get("/event-types?cursor=abc", key).await.error(400);
        assert_eq!(bad_cursor["field"], "cursor");

        // Nothing changed.
        assert_eq!(api.get(&base, key).await.expect(200), chen);
        assert_eq!(
            api.get(&hours, key).await.expect(200),
            json!({"ranges": [{"day": "monday", "start": "09:00", "end": "17:00"}]})
        );
        assert_eq!(api.get(&event_path, key).await.expect(200), cleaning);
        let overrides = api.get(&format!("{base}/date-overrides"), key).await.expect(200);
        assert_eq!(overrides["data"], json!([]));
        let blackouts = api.get(&format!("{base}/blackout-dates"), key).await.expect(200);
        assert_eq!(blackouts["data"], json!([]));
        let (event_types, _) = every_page(&api, "/event-types", key, 50).await;
        assert_eq!(event_types.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn another_accounts_key_finds_none_of_the_calendar_for_any_verb() {
    on_each_backend(|api| async move {
        let owner = api.account("Harbor Dental", "pro").await;
        let stranger = api.account("Someone else", "pro").await;
        let chen = host(&api, &owner, "Dr. Maya Chen").await;
        let cleaning = event_type(&api, &owner, id(&chen), "cleaning").await;
        let base = format!("/hosts/{}", id(&chen));
        let week = json!({"ranges": [{"day": "monday", "start": "09:00", "end": "17:00"}]});
        api.put(&format!("{base}/weekly-hours"), &owner.key, week.clone())
            .await
            .expect(200);
        let closed = json!({"closed": true});
        api.put(
            &format!("{base}/date-overrides/2026-12-24"),
            &owner.key,
            closed.clone(),
        )
        .await
        .expect(200);
        let reason = json!({"reason": "New Year"});
        api.put(
            &format!("{base}/blackout-dates/2027-01-01"),
            &owner.key,
            reason.clone(),
        )
        .await
        .expect(200);
        let event_path = format!("/event-types/{}", id(&cleaning));

        let verbs: Vec<(Method, String, Option<Value>)> = vec![
            (Method::GET, base.clone(), None),
            (Method::PATCH, base.clone(), Some(json!({"name": "Mine now"}))),
            (Method::DELETE, base.clone(), None),
            (Method::GET, format!("{base}/weekly-hours"), None),
            (
                Method::PUT,
                format!("{base}/weekly-hours"),
                Some(json!({"ranges": []})),
            ),
            (Method::GET, format!("{base}/date-overrides"), None),
            (
                Method::PUT,
                format!("{base}/date-overrides/2026-12-24"),
                Some(json!({"ranges": [{"start": "01:00", "end": "02:00"}]})),
            ),
            (Method::DELETE, format!("{base}/date-overrides/2026-12-24"), None),
            (Method::GET, format!("{base}/blackout-dates"), None),
            (
                Method::PUT,
                format!("{base}/blackout-dates/2027-01-01"),
                Some(json!({"reason": "Mine"})),
            ),
            (Method::DELETE, format!("{base}/blackout-dates/2027-01-01"), None),
            (Method::GET, event_path.clone(), None),
            (Method::PATCH, event_path.clone(), Some(json!({"active": false}))),
            (Method::DELETE, event_path.clone(), None),
        ];
        for (method, path, body) in verbs {
            let error = api
                .call(method.clone(), &path, Some(&stranger.key), body)
                .await
                .error(404);
            assert_eq!(error["code"], "not_found", "{method} {path}");
        }
        // Nor may the stranger put an event type on the owner's host.
        let foreign_host = api
            .post(
                "/event-types",
                &stranger.key,
                json!({"host_id": id(&chen), "slug": "cleaning", "name": "X", "duration_minutes": 30}),
            )
            .await
            .error(422);
        assert_eq!(foreign_host["field"], "host_id");
        assert_eq!(
            api.get("/hosts", &stranger.key).await.expect(200)["data"],
            json!([])
        );
        assert_eq!(
            api.get("/event-types", &stranger.key).await.expect(200)["data"],
            json!([])
        );

        // The owner's calendar is as it was.
        assert_eq!(api.get(&base, &owner.key).await.expect(200), chen);
        assert_eq!(api.get(&event_path, &owner.key).await.expect(200), cleaning);
        assert_eq!(
            api.get(&format!("{base}/weekly-hours"), &owner.key)
                .await
                .expect(200),
            week
        );
        let overrides = api
            .get(&format!("{base}/date-overrides"), &owner.key)
            .await
            .expect(200);
        assert_eq!(overrides["data"][0]["closed"], true);
        let blackouts = api
            .get(&format!("{base}/blackout-dates"), &owner.key)
            .await
            .expect(200);
        assert_eq!(
            blackouts["data"],
            json!([{"date": "2027-01-01", "reason": "New Year"}])
        );
    })
    .await;
}
