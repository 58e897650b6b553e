//! Availability and bookings over HTTP: every verb, filters and pages, refusals with their
//! alternatives, one booking per `Idempotency-Key`, the agent's tools and the API seeing each
//! other's bookings, fields named in every refusal, and another account's key finding nothing.

use jiff::Timestamp;
use reqwest::Method;
use serde_json::{Value, json};

use crate::business::{CALLER, business};
use crate::support::{TestApi, on_each_backend};

fn instant(text: &Value) -> Timestamp {
    text.as_str().unwrap().parse().unwrap()
}

fn cleaning_body(event_type: &str, start: &str) -> Value {
    json!({
        "event_type_id": event_type,
        "start": start,
        "timezone": "Europe/Berlin",
        "invitee_name": "Bo Berg",
        "invitee_email": "bo@example.com",
        "invitee_phone": "+4930222222",
    })
}

async fn post_with_key(
    api: &TestApi,
    path: &str,
    key: &str,
    idempotency_key: &str,
    body: Value,
) -> crate::support::Answer {
    api.send(
        api.request(Method::POST, path, key)
            .header("Idempotency-Key", idempotency_key)
            .json(&body),
    )
    .await
}

#[tokio::test]
async fn availability_lists_open_starts_on_the_clock_asked_for_and_refuses_bad_ranges() {
    on_each_backend(|api| async move {
        let business = business(&api).await;
        let cleaning = business.demo.cleaning_id.to_string();
        let starts = business.free_cleanings(&api).await;
        assert!(starts.len() > 10, "a week of weekdays: {starts:?}");
        assert!(starts.iter().all(|start| start.ends_with("-05:00") || start.ends_with("-04:00")));
        let berlin = api
            .get(
                &format!("/event-types/{cleaning}/availability?from=2030-01-07&to=2030-01-07&timezone=Europe/Berlin"),
                &business.key,
            )
            .await
            .expect(200);
        assert_eq!(berlin["timezone"], "Europe/Berlin");
        assert!(berlin["slots"].as_array().unwrap().is_empty(), "beyond the 30 days one may book ahead");

        let path = |query: &str| format!("/event-types/{cleaning}/availability?{query}");
        for (query, field) in [
            ("to=2030-01-07", "from"),
            ("from=2030-1-7&to=2030-01-07", "from"),
            ("from=2030-01-08&to=2030-01-07", "to"),
            ("from=2030-01-01&to=2030-04-01", "to"),
            ("from=2030-01-07&to=2030-01-07&timezone=EST", "timezone"),
        ] {
            let refused = api.get(&path(query), &business.key).await.error(422);
            assert_eq!(refused["field"], field, "{query}: {refused}");
        }
        let lowercase = api
            .get(&path("from=2030-01-07&to=2030-01-07&timezone=europe/berlin"), &business.key)
            .await
            .error(422);
        assert!(lowercase["message"].as_str().unwrap().contains("Europe/Berlin"), "{lowercase}");
        let unknown = api.get(&path("from=2030-01-07&to=2030-01-07&colour=red"), &business.key).await;
        assert_eq!(unknown.status, 400);

        let missing = format!("/event-types/{}/availability?from=2030-01-07&to=2030-01-07", uuid::Uuid::now_v7());
        api.get(&missing, &business.key).await.error(404);
        let other = api.account("Someone else", "pro").await;
        api.get(&path("from=2030-01-07&to=2030-01-07"), &other.key).await.error(404);
    })
    .await;
}

#[tokio::test]
async fn a_booking_is_made_read_listed_moved_and_cancelled() {
    on_each_backend(|api| async move {
        let business = business(&api).await;
        let cleaning = business.demo.cleaning_id.to_string();
        let starts = business.free_cleanings(&api).await;

        let made = api
            .post("/bookings", &business.key, cleaning_body(&cleaning, &starts[0]))
            .await
            .expect(201);
        assert_eq!(made["status"], "confirmed");
        assert_eq!(made["event_type_name"], "Cleaning");
        assert_eq!(made["timezone"], "Europe/Berlin");
        assert_eq!(instant(&made["start"]), starts[0].parse::<Timestamp>().unwrap());
        assert!(
            made["start"].as_str().unwrap().ends_with("+01:00")
                || made["start"].as_str().unwrap().ends_with("+02:00")
        );
        assert!(
            made["contact_id"].is_string(),
            "filed under the invitee's contact"
        );
        let id = made["id"].as_str().unwrap();
        assert_eq!(
            api.get(&format!("/bookings/{id}"), &business.key)
                .await
                .expect(200),
            made
        );

        // The slot is now taken: 409 with the next free starts.
        let taken = api
            .post("/bookings", &business.key, cleaning_body(&cleaning, &starts[0]))
            .await
            .error(409);
        assert_eq!(taken["code"], "slot_taken");
        let alternatives = taken["alternatives"].as_array().unwrap();
        assert_eq!(alternatives.len(), 2, "{taken}");
        assert!(
            alternatives
                .iter()
                .all(|start| instant(start) > instant(&made["start"]))
        );
        assert!(
            alternatives[0].as_str().unwrap().contains('+'),
            "on Berlin's clock: {taken}"
        );

        let moved = api
            .post(
                &format!("/bookings/{id}/reschedule"),
                &business.key,
                json!({ "start": alternatives[0] }),
            )
            .await
            .expect(201);
        assert_eq!(moved["rescheduled_from"], id);
        assert_eq!(moved["reference"].as_str().unwrap().len(), 6);
        assert_eq!(instant(&moved["start"]), instant(&alternatives[0]));
        let old = api
            .get(&format!("/bookings/{id}"), &business.key)
            .await
            .expect(200);
        assert_eq!(old["status"], "rescheduled");
        let again = api
            .post(
                &format!("/bookings/{id}/reschedule"),
                &business.key,
                json!({ "start": starts[3] }),
            )
            .await
            .error(409);
        assert_eq!(again["code"], "already_rescheduled");

        let moved_id = moved["id"].as_str().unwrap();
        let cancelled = api
            .call(
                Method::POST,
                &format!("/bookings/{moved_id}/cancel"),
                Some(&business.key),
                None,
            )
            .await
            .expect(200);
        assert_eq!(cancelled["status"], "cancelled");
        let twice = api
            .call(
                Method::POST,
                &format!("/bookings/{moved_id}/cancel"),
                Some(&business.key),
                None,
            )
            .await
            .expect(200);
        assert_eq!(twice["status"], "cancelled", "cancelling twice changes nothing");
        let moving_cancelled = api
            .post(
                &format!("/bookings/{moved_id}/reschedule"),
                &business.key,
                json!({ "start": starts[3] }),
            )
            .await
            .error(409);
        assert_eq!(moving_cancelled["code"], "already_cancelled");
    })
    .await;
}

#[tokio::test]
async fn bookings_filter_and_page_newest_first() {
    on_each_backend(|api| async move {
        let business = business(&api).await;
        let cleaning = business.demo.cleaning_id.to_string();
        let starts = business.free_cleanings(&api).await;
        let mut ids = Vec::new();
        // Every third start, so the buffers never make the next one taken.
        for (i, start) in starts.iter().step_by(3).take(5).enumerate() {
            let mut body = cleaning_body(&cleaning, start);
            if i % 2 == 1 {
                body["invitee_phone"] = json!("+4930333333");
            }
            let made = api.post("/bookings", &business.key, body).await.expect(201);
            ids.push(made["id"].as_str().unwrap().to_owned());
        }
        api.call(
            Method::POST,
            &format!("/bookings/{}/cancel", ids[1]),
            Some(&business.key),
            None,
        )
        .await
        .expect(200);

        let mut listed = Vec::new();
        let mut path = "/bookings?limit=2".to_owned();
        loop {
            let page = api.get(&path, &business.key).await.expect(200);
            listed.extend(
                page["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|b| b["id"].as_str().unwrap().to_owned()),
            );
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/bookings?limit=2&cursor={cursor}"),
                None => break,
            }
        }
        let newest_first: Vec<_> = ids.iter().rev().cloned().collect();
        assert_eq!(listed, newest_first);

        let ids_of = |page: Value| -> Vec<String> {
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["id"].as_str().unwrap().to_owned())
                .collect()
        };
        let cancelled = api
            .get("/bookings?status=cancelled", &business.key)
            .await
            .expect(200);
        assert_eq!(ids_of(cancelled), [ids[1].clone()]);
        let of_bo = api
            .get(&format!("/bookings/{}", ids[0]), &business.key)
            .await
            .expect(200);
        let contact = of_bo["contact_id"].as_str().unwrap();
        let by_contact = api
            .get(&format!("/bookings?contact_id={contact}"), &business.key)
            .await
            .expect(200);
        assert_eq!(
            ids_of(by_contact),
            [ids[4].clone(), ids[2].clone(), ids[0].clone()]
        );
        let start_of = |i: usize| starts.iter().step_by(3).nth(i).unwrap().replace('+', "%2B");
        let window = api
            .get(
                &format!(
                    "/bookings?start_from={}&start_to={}&event_type_id={cleaning}&host_id={}",
                    start_of(1),
                    start_of(3),
                    business.demo.host_id
                ),
                &business.key,
            )
            .await
            .expect(200);
        assert_eq!(ids_of(window), [ids[2].clone(), ids[1].clone()]);
        let other_type = api
            .get(
                &format!("/bookings?event_type_id={}", business.demo.consultation_id),
                &business.key,
            )
            .await
            .expect(200);
        assert!(ids_of(other_type).is_empty());

        for (query, field) in [
            ("status=pending", "status"),
            ("start_from=tomorrow", "start_from"),
            (
                "start_from=2030-01-02T00:00:00Z&start_to=2030-01-01T00:00:00Z",
                "start_to",
            ),
            ("limit=0", "limit"),
            ("cursor=nonsense", "cursor"),
        ] {
            let refused = api.get(&format!("/bookings?{query}"), &business.key).await;
            assert!(refused.status.is_client_error(), "{query}: {}", refused.status);
            assert_eq!(refused.body["error"]["field"], field, "{query}: {}", refused.body);
        }
    })
    .await;
}

#[tokio::test]
async fn one_idempotency_key_makes_one_booking() {
    on_each_backend(|api| async move {
        let business = business(&api).await;
        let cleaning = business.demo.cleaning_id.to_string();
        let starts = business.free_cleanings(&api).await;
        let body = cleaning_body(&cleaning, &starts[0]);
        let first = post_with_key(&api, "/bookings", &business.key, "book-1", body.clone()).await;
        let first_id = first.expect(201)["id"].clone();
        let repeat = post_with_key(&api, "/bookings", &business.key, "book-1", body.clone()).await;
        assert_eq!(repeat.headers["idempotent-replayed"], "true");
        assert_eq!(repeat.expect(201)["id"], first_id);
        let changed = post_with_key(
            &api,
            "/bookings",
            &business.key,
            "book-1",
            cleaning_body(&cleaning, &starts[5]),
        )
        .await;
        assert_eq!(changed.error(422)["field"], "Idempotency-Key");
        let listed = api.get("/bookings", &business.key).await.expect(200);
        assert_eq!(listed["data"].as_array().unwrap().len(), 1);

        // The booking itself carries the key: with the API's record of the first answer gone
        // (as after a crash between the booking and the answer), a retry still finds it.
        let stored = api
            .store
            .store()
            .booking(&business.demo.account_id, &first_id.as_str().unwrap().into())
            .await
            .unwrap();
        assert_eq!(stored.idempotency_key.as_deref(), Some("api:create:book-1"));
        api.store
            .store()
            .forget_idempotent(&business.demo.account_id, "book-1")
            .await
            .unwrap();
        let retry = post_with_key(&api, "/bookings", &business.key, "book-1", body).await;
        assert!(retry.headers.get("idempotent-replayed").is_none());
        assert_eq!(retry.expect(200)["id"], first_id, "200: made before, not now");
        let listed = api.get("/bookings", &business.key).await.expect(200);
        assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn the_agents_tools_and_the_api_see_each_others_bookings() {
    on_each_backend(|api| async move {
        let business = business(&api).await;
        let cleaning = business.demo.cleaning_id.to_string();
        let starts = business.free_cleanings(&api).await;
        let made = api
            .post("/bookings", &business.key, cleaning_body(&cleaning, &starts[0]))
            .await
            .expect(201);
        let details = business
            .tool_ok("get_booking_details", json!({ "booking_id": made["reference"] }))
            .await;
        assert_eq!(details["status"], "confirmed");
        assert_eq!(details["invitee_email"], "bo@example.com");
        // To the agent the API's booking is busy time.
        let clash = business
            .tool(
                "create_booking",
                json!({ "event_type_slug": "cleaning", "start_time": starts[0], "invitee_name": "Ana Diaz" }),
            )
            .await;
        assert!(clash.is_error, "{}", clash.result);
        assert!(clash.result.contains("taken"), "{}", clash.result);

        // The agent books; the API lists it and cancels it; the agent hears it is cancelled.
        let agents = business
            .tool_ok(
                "create_booking",
                json!({
                    "event_type_slug": "cleaning",
                    "start_time": starts[6],
                    "invitee_name": "Ana Diaz",
                }),
            )
            .await;
        let listed = api.get("/bookings", &business.key).await.expect(200);
        let row = listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|booking| booking["reference"] == agents["booking_id"])
            .unwrap_or_else(|| panic!("the agent's booking is listed: {listed}"))
            .clone();
        assert_eq!(row["invitee_phone"], CALLER);
        let id = row["id"].as_str().unwrap();
        api.call(
            Method::POST,
            &format!("/bookings/{id}/cancel"),
            Some(&business.key),
            None,
        )
        .await
        .expect(200);
        let details = business
            .tool_ok(
                "get_booking_details",
                json!({ "booking_id": agents["booking_id"] }),
            )
            .await;
        assert_eq!(details["status"], "cancelled");
    })
    .await;
}

#[tokio::test]
async fn bad_bookings_name_their_field() {
    on_each_backend(|api| async move {
        let business = business(&api).await;
        let cleaning = business.demo.cleaning_id.to_string();
        let good = cleaning_body(&cleaning, "2030-01-07T10:00:00-05:00");
        let with = |field: &str, value: Value| {
            let mut body = good.clone();
            if value.is_null() {
                body.as_object_mut().unwrap().remove(field);
            } else {
                body[field] = value;
            }
            body
        };
        for (body, field) in [
            (with("event_type_id", Value::Null), "event_type_id"),
            (with("event_type_id", json!("no-such-type")), "event_type_id"),
            (with("start", Value::Null), "start"),
            (with("start", json!("2030-01-07T10:00:00")), "start"),
            (with("timezone", json!("CET")), "timezone"),
            (with("invitee_name", json!("  ")), "invitee_name"),
            (with("invitee_name", json!("x".repeat(201))), "invitee_name"),
            (with("invitee_email", json!("bo@")), "invitee_email"),
            (with("invitee_phone", json!("030 222")), "invitee_phone"),
            (with("notes", json!(12)), "notes"),
        ] {
            let refused = api
                .post("/bookings", &business.key, body.clone())
                .await
                .error(422);
            assert_eq!(refused["field"], field, "{body}: {refused}");
        }
        let unknown = api
            .post("/bookings", &business.key, with("colour", json!("red")))
            .await
            .error(422);
        assert!(
            unknown["message"].as_str().unwrap().contains("colour"),
            "{unknown}"
        );
        let starts = business.free_cleanings(&api).await;
        let made = api
            .post("/bookings", &business.key, cleaning_body(&cleaning, &starts[0]))
            .await
            .expect(201);
        let id = made["id"].as_str().unwrap();
        let no_start = api
            .post(
                &format!("/bookings/{id}/reschedule"),
                &business.key,
                json!({ "timezone": "UTC" }),
            )
            .await
            .error(422);
        assert_eq!(no_start["field"], "start");
        let past = api
            .post(
                &format!("/bookings/{id}/reschedule"),
                &business.key,
                json!({ "start": "2020-01-07T10:00:00Z" }),
            )
            .await
            .error(409);
        assert_eq!(past["code"], "in_the_past");
    })
    .await;
}

#[tokio::test]
async fn another_accounts_key_finds_none_of_these_bookings() {
    on_each_backend(|api| async move {
        let business = business(&api).await;
        let cleaning = business.demo.cleaning_id.to_string();
        let starts = business.free_cleanings(&api).await;
        let made = api
            .post("/bookings", &business.key, cleaning_body(&cleaning, &starts[0]))
            .await
            .expect(201);
        let id = made["id"].as_str().unwrap();
        let other = api.account("Someone else", "pro").await;

        api.get(&format!("/bookings/{id}"), &other.key).await.error(404);
        api.post(
            &format!("/bookings/{id}/reschedule"),
            &other.key,
            json!({ "start": starts[4] }),
        )
        .await
        .error(404);
        api.call(
            Method::POST,
            &format!("/bookings/{id}/cancel"),
            Some(&other.key),
            None,
        )
        .await
        .error(404);
        let theirs = api.get("/bookings", &other.key).await.expect(200);
        assert_eq!(theirs, json!({ "data": [], "next_cursor": null }));
        let filtered = api
            .get(&format!("/bookings?event_type_id={cleaning}"), &other.key)
            .await
            .expect(200);
        assert_eq!(filtered["data"], json!([]));
        // Another account's event type is not one to book with.
        let refused = api
            .post("/bookings", &other.key, cleaning_body(&cleaning, &starts[4]))
            .await
            .error(422);
        assert_eq!(refused["field"], "event_type_id");
        let unchanged = api
            .get(&format!("/bookings/{id}"), &business.key)
            .await
            .expect(200);
        assert_eq!(unchanged, made);
        // Without a key nothing is answered.
        let anonymous = api.call(Method::GET, "/bookings", None, None).await;
        assert_eq!(anonymous.status, 401);
    })
    .await;
}
