//! Contacts over HTTP: made once per number, searched and paged, changed (null clears), their
//! CRM log, fields named in every refusal, and another account's key finding nothing.

use reqwest::Method;
use serde_json::{Value, json};

use crate::business::business;
use crate::support::on_each_backend;

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn contacts_are_made_searched_paged_and_changed() {
    on_each_backend(|api| async move {
        let account = api.account("Praxis", "pro").await;
        let key = &account.key;
        let ana = api
            .post(
                "/contacts",
                key,
                json!({ "phone": "+4930111111", "name": "Ana Adler", "email": "ana@example.com" }),
            )
            .await
            .expect(201);
        assert_eq!(ana["name"], "Ana Adler");
        let bo = api
            .post("/contacts", key, json!({ "phone": "+4930222222", "name": "Bo" }))
            .await
            .expect(201);
        let nameless = api
            .post("/contacts", key, json!({ "phone": "+14155550123" }))
            .await
            .expect(201);
        assert_eq!(nameless["name"], Value::Null);
        let id = |contact: &Value| contact["id"].as_str().unwrap().to_owned();

        let twice = api
            .post("/contacts", key, json!({ "phone": "+4930111111" }))
            .await
            .error(409);
        assert_eq!(twice["code"], "contact_exists");

        let first = api.get("/contacts?limit=2", key).await.expect(200);
        assert_eq!(ids(&first), [id(&nameless), id(&bo)]);
        let cursor = first["next_cursor"].as_str().unwrap();
        let second = api
            .get(&format!("/contacts?limit=2&cursor={cursor}"), key)
            .await
            .expect(200);
        assert_eq!(ids(&second), [id(&ana)]);
        assert_eq!(second["next_cursor"], Value::Null);

        let search = |text: &'static str| {
            let api = &api;
            async move { api.get(&format!("/contacts?search={text}"), key).await }
        };
        assert_eq!(ids(&search("adler").await.expect(200)), [id(&ana)]);
        assert_eq!(
            ids(&search("%2B49%2030").await.expect(200)),
            [id(&bo), id(&ana)],
            "+49 30"
        );
        assert_eq!(ids(&search("555%200123").await.expect(200)), [id(&nameless)]);
        assert!(ids(&search("zed").await.expect(200)).is_empty());

        assert_eq!(
            api.get(&format!("/contacts/{}", id(&ana)), key).await.expect(200),
            ana
        );
        let changed = api
            .patch(
                &format!("/contacts/{}", id(&ana)),
                key,
                json!({ "email": null, "phone": "+4930999999" }),
            )
            .await
            .expect(200);
        assert_eq!(changed["email"], Value::Null, "null clears");
        assert_eq!(changed["name"], "Ana Adler", "left out, left alone");
        assert_eq!(changed["phone"], "+4930999999");
        let renamed = api
            .patch(
                &format!("/contacts/{}", id(&ana)),
                key,
                json!({ "name": "Ana B. Adler" }),
            )
            .await
            .expect(200);
        assert_eq!(renamed["phone"], "+4930999999");
        assert_eq!(renamed["name"], "Ana B. Adler");
        let clash = api
            .patch(
                &format!("/contacts/{}", id(&ana)),
                key,
                json!({ "phone": "+4930222222" }),
            )
            .await
            .error(409);
        assert_eq!(clash["code"], "contact_exists");
    })
    .await;
}

#[tokio::test]
async fn bad_contacts_name_their_field() {
    on_each_backend(|api| async move {
        let account = api.account("Praxis", "pro").await;
        let key = &account.key;
        for (body, field) in [
            (json!({ "name": "No number" }), "phone"),
            (json!({ "phone": "030 111" }), "phone"),
            (json!({ "phone": "+4930111111", "email": "ana@" }), "email"),
            (json!({ "phone": "+4930111111", "name": "x".repeat(201) }), "name"),
            (json!({ "phone": 4930111111u64 }), "phone"),
        ] {
            let refused = api.post("/contacts", key, body.clone()).await.error(422);
            assert_eq!(refused["field"], field, "{body}: {refused}");
        }
        let made = api
            .post("/contacts", key, json!({ "phone": "+4930111111" }))
            .await
            .expect(201);
        let path = format!("/contacts/{}", made["id"].as_str().unwrap());
        for (body, field) in [
            (json!({ "phone": null }), "phone"),
            (json!({ "phone": "0301" }), "phone"),
            (json!({ "email": "nope" }), "email"),
        ] {
            let refused = api.patch(&path, key, body.clone()).await.error(422);
            assert_eq!(refused["field"], field, "{body}: {refused}");
        }
        let unknown = api.get("/contacts?q=ana", key).await;
        assert_eq!(unknown.status, 400);
        assert_eq!(api.get(&path, key).await.expect(200), made, "untouched");
    })
    .await;
}

#[tokio::test]
async fn a_contacts_activities_page_newest_first_and_another_account_finds_nothing() {
    on_each_backend(|api| async move {
        let business = business(&api).await;
        let key = &business.key;
        let cleaning = business.demo.cleaning_id.to_string();
        let starts = business.free_cleanings(&api).await;
        let made = api
            .post(
                "/bookings",
                key,
                json!({ "event_type_id": cleaning, "start": starts[0], "invitee_name": "Bo Berg", "invitee_phone": "+4930222222" }),
            )
            .await
            .expect(201);
        let contact = made["contact_id"].as_str().unwrap().to_owned();
        api.call(Method::POST, &format!("/bookings/{}/cancel", made["id"].as_str().unwrap()), Some(key), None)
            .await
            .expect(200);
        let contact_row = api.get(&format!("/contacts/{contact}"), key).await.expect(200);
        assert_eq!(contact_row["name"], "Bo Berg");

        let first = api.get(&format!("/contacts/{contact}/activities?limit=1"), key).await.expect(200);
        assert_eq!(first["data"][0]["kind"], "booking");
        assert_eq!(first["data"][0]["detail"]["action"], "cancelled", "newest first");
        assert_eq!(first["data"][0]["detail"]["agent_id"], Value::Null, "by the team, not an agent");
        let cursor = first["next_cursor"].as_str().unwrap();
        let second = api
            .get(&format!("/contacts/{contact}/activities?limit=1&cursor={cursor}"), key)
            .await
            .expect(200);
        assert_eq!(second["data"][0]["detail"]["action"], "booked");
        assert_eq!(second["data"][0]["detail"]["booking_id"], made["id"]);
        assert_eq!(second["next_cursor"], Value::Null);

        let other = api.account("Someone else", "pro").await;
        api.get(&format!("/contacts/{contact}"), &other.key).await.error(404);
        api.patch(&format!("/contacts/{contact}"), &other.key, json!({ "name": "Mallory" }))
            .await
            .error(404);
        api.get(&format!("/contacts/{contact}/activities"), &other.key).await.error(404);
        let theirs = api.get("/contacts?search=Bo", &other.key).await.expect(200);
        assert_eq!(theirs, json!({ "data": [], "next_cursor": null }));
        // The same number is another contact in another account.
        api.post("/contacts", &other.key, json!({ "phone": "+4930222222" })).await.expect(201);
        assert_eq!(api.get(&format!("/contacts/{contact}"), key).await.expect(200), contact_row);
    })
    .await;
}
