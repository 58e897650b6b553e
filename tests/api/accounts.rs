//! Accounts, plans and keys: the operator makes an account, the account's key reads itself, keys
//! are made, shown once and revoked, failures are limited per address, and POSTs are idempotent.

use reqwest::Method;
use serde_json::json;

use crate::support::{TestApi, on_each_backend};
use switchboard::store::testing;

#[tokio::test]
async fn the_operator_makes_an_account_whose_key_reads_its_plan_and_period() {
    on_each_backend(|api| async move {
        let account = api.account("Dental Care", "pro").await;
        let own = api.get("/account", &account.key).await.expect(200);
        assert_eq!(own["account"]["id"], account.id.as_str());
        assert_eq!(own["account"]["timezone"], "Europe/Berlin");
        assert_eq!(own["plan"]["name"], "pro");
        assert_eq!(own["plan"]["max_agents"], 2);
        assert_eq!(own["plan"]["monthly_minutes"], 60);
        assert_eq!(own["plan"]["phone_numbers"], true);
        let start: jiff::Timestamp = own["billing_period"]["start"].as_str().unwrap().parse().unwrap();
        let end: jiff::Timestamp = own["billing_period"]["end"].as_str().unwrap().parse().unwrap();
        let now = jiff::Timestamp::now();
        assert!(start <= now && now < end, "{start} .. {end}");

        let by_operator = api
            .get(&format!("/accounts/{}", account.id), &api.operator)
            .await
            .expect(200);
        assert_eq!(by_operator["account"]["name"], "Dental Care");
        let moved = api
            .patch(
                &format!("/accounts/{}", account.id),
                &api.operator,
                json!({"plan": "business"}),
            )
            .await
            .expect(200);
        assert_eq!(moved["plan"], "business");
        let own = api.get("/account", &account.key).await.expect(200);
        assert_eq!(
            own["plan"]["monthly_minutes"],
            serde_json::Value::Null,
            "business is unlimited"
        );
    })
    .await;
}

#[tokio::test]
async fn a_business_sets_its_booking_page_and_call_recording() {
    on_each_backend(|api| async move {
        let account = api.account("Dental Care", "pro").await;
        let own = api.get("/account", &account.key).await.expect(200);
        assert_eq!(own["account"]["booking_url"], serde_json::Value::Null);
        assert_eq!(own["account"]["record_calls"], false);

        let set = api
            .patch(
                "/account",
                &account.key,
                json!({"booking_url": "https://dental.example/book", "record_calls": true}),
            )
            .await
            .expect(200);
        assert_eq!(set["booking_url"], "https://dental.example/book");
        assert_eq!(set["record_calls"], true);
        assert_eq!(set["plan"], "pro", "what was left out stays");
        let own = api.get("/account", &account.key).await.expect(200);
        assert_eq!(own["account"]["booking_url"], "https://dental.example/book");
        assert_eq!(own["account"]["record_calls"], true);

        for (bad, why) in [
            ("dental.example/book", "no scheme"),
            ("ftp://dental.example/book", "not http"),
            ("https://", "no host"),
        ] {
            let refused = api
                .patch("/account", &account.key, json!({"booking_url": bad}))
                .await
                .error(422);
            assert_eq!(refused["field"], "booking_url", "{why}: {refused}");
        }
        let long = format!("https://dental.example/{}", "a".repeat(500));
        let refused = api
            .patch("/account", &account.key, json!({"booking_url": long}))
            .await
            .error(422);
        assert_eq!(refused["field"], "booking_url");
        let plan = api
            .patch("/account", &account.key, json!({"plan": "business"}))
            .await
            .error(422);
        assert!(plan["message"].as_str().unwrap().contains("plan"), "{plan}");
        let own = api.get("/account", &account.key).await.expect(200);
        assert_eq!(
            own["account"]["booking_url"], "https://dental.example/book",
            "refusals change nothing"
        );
        assert_eq!(own["plan"]["name"], "pro");

        let cleared = api
            .patch(
                &format!("/accounts/{}", account.id),
                &api.operator,
                json!({"booking_url": null, "record_calls": false}),
            )
            .await
            .expect(200);
        assert_eq!(cleared["booking_url"], serde_json::Value::Null);
        assert_eq!(cleared["record_calls"], false);
    })
    .await;
}

#[tokio::test]
async fn bad_accounts_are_refused_naming_the_field() {
    on_each_backend(|api| async move {
        let unknown_plan = api
            .post(
                "/accounts",
                &api.operator,
                json!({"name": "X", "plan": "platinum"}),
            )
            .await
            .error(422);
        assert_eq!(unknown_plan["field"], "plan");
        assert!(
            unknown_plan["message"].as_str().unwrap().contains("free"),
            "{unknown_plan}"
        );
        let zone = api
            .post(
                "/accounts",
                &api.operator,
                json!({"name": "X", "timezone": "EST"}),
            )
            .await
            .error(422);
        assert_eq!(zone["field"], "timezone");
        let blank = api
            .post("/accounts", &api.operator, json!({"name": "  "}))
            .await
            .error(422);
        assert_eq!(blank["field"], "name");
        let wrong_type = api
            .post("/accounts", &api.operator, json!({"name": 5}))
            .await
            .error(422);
        assert_eq!(wrong_type["field"], "name");
        let unknown_field = api
            .post("/accounts", &api.operator, json!({"name": "X", "owner": "me"}))
            .await
            .error(422);
        assert!(unknown_field["message"].as_str().unwrap().contains("owner"));
        let not_json = api
            .send(
                api.request(Method::POST, "/accounts", &api.operator)
                    .body("name=X"),
            )
            .await
            .error(415);
        assert_eq!(not_json["code"], "unsupported_media_type");
        let broken = api
            .send(
                api.request(Method::POST, "/accounts", &api.operator)
                    .header("content-type", "application/json")
                    .body("{\"name\":"),
            )
            .await
            .error(400);
        assert_eq!(broken["code"], "bad_json");
        api.get("/accounts/0190aaaa-0000-7000-8000-000000000000", &api.operator)
            .await
            .error(404);
    })
    .await;
}

#[tokio::test]
async fn keys_are_checked_and_each_kind_keeps_to_its_endpoints() {
    on_each_backend(|api| async move {
        let account = api.account("Dental Care", "free").await;
        assert_eq!(
            api.call(Method::GET, "/account", None, None).await.error(401)["code"],
            "unauthorized"
        );
        api.get("/account", "sbk_not-a-key").await.error(401);
        let forged = format!("{}x", &account.key[..account.key.len() - 1]);
        api.get("/account", &forged).await.error(401);
        assert_eq!(
            api.get("/accounts", &account.key).await.error(403)["code"],
            "forbidden"
        );
        api.get("/account", &api.operator).await.error(403);
        api.patch("/plans/free", &account.key, json!({"max_agents": 9}))
            .await
            .error(403);
        // Anyone with a key reads the plans.
        let plans = api.get("/plans", &account.key).await.expect(200);
        let names: Vec<&str> = plans
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["business", "free", "pro"]);
    })
    .await;
}

#[tokio::test]
async fn a_key_is_shown_once_listed_without_its_secret_and_revoked_for_good() {
    on_each_backend(|api| async move {
        let account = api.account("Dental Care", "free").await;
        let other = api.account("Other", "free").await;
        let made = api
            .post("/keys", &account.key, json!({"name": "website"}))
            .await
            .expect(201);
        let secret = made["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("sbk_"));
        assert!(secret.starts_with(made["prefix"].as_str().unwrap()));
        api.get("/account", &secret).await.expect(200);

        let listed = api.get("/keys", &account.key).await.expect(200);
        assert_eq!(listed["data"].as_array().unwrap().len(), 2);
        assert!(
            !listed.to_string().contains(&secret[4..]),
            "a listed key shows its secret"
        );
        assert!(
            listed["data"][0]["last_used_at"].is_string(),
            "the first key was used"
        );

        let id = made["id"].as_str().unwrap();
        api.delete(&format!("/keys/{id}"), &other.key).await.error(404);
        api.get("/account", &secret).await.expect(200);
        let revoked = api.delete(&format!("/keys/{id}"), &account.key).await.expect(200);
        assert!(revoked["revoked_at"].is_string());
        api.get("/account", &secret).await.error(401);
        let blank = api
            .post("/keys", &account.key, json!({"name": ""}))
            .await
            .error(422);
        assert_eq!(blank["field"], "name");
    })
    .await;
}

#[tokio::test]
async fn plans_are_edited_by_the_operator_and_null_makes_minutes_unlimited() {
    on_each_backend(|api| async move {
        let edited = api
            .patch(
                "/plans/pro",
                &api.operator,
                json!({"monthly_minutes": 120, "max_agents": 3}),
            )
            .await
            .expect(200);
        assert_eq!(edited["monthly_minutes"], 120);
        assert_eq!(edited["max_agents"], 3);
        assert_eq!(edited["phone_numbers"], true, "a field left out stays");
        let unlimited = api
            .patch("/plans/pro", &api.operator, json!({"monthly_minutes": null}))
            .await
            .expect(200);
        assert_eq!(unlimited["monthly_minutes"], serde_json::Value::Null);
        assert_eq!(unlimited["max_agents"], 3);
        let negative = api
            .patch("/plans/pro", &api.operator, json!({"max_agents": -1}))
            .await
            .error(422);
        assert_eq!(negative["field"], "max_agents");
        api.patch("/plans/gold", &api.operator, json!({"max_agents": 1}))
            .await
            .error(404);
    })
    .await;
}

#[tokio::test]
async fn lists_page_with_a_cursor() {
    on_each_backend(|api| async move {
        for name in ["A", "B", "C"] {
            api.account(name, "free").await;
        }
        let first = api.get("/accounts?limit=2", &api.operator).await.expect(200);
        assert_eq!(first["data"].as_array().unwrap().len(), 2);
        let cursor = first["next_cursor"].as_str().unwrap();
        let second = api
            .get(&format!("/accounts?limit=2&cursor={cursor}"), &api.operator)
            .await
            .expect(200);
        assert_eq!(second["data"].as_array().unwrap().len(), 1);
        assert_eq!(second["data"][0]["name"], "C");
        assert!(second["next_cursor"].is_null());
        assert_eq!(
            api.get("/accounts?limit=0", &api.operator).await.error(400)["field"],
            "limit"
        );
        assert_eq!(
            api.get("/accounts?cursor=zzz", &api.operator).await.error(400)["field"],
            "cursor"
        );
        assert_eq!(
            api.get("/accounts?limit=ten", &api.operator).await.error(400)["field"],
            "limit"
        );
    })
    .await;
}

#[tokio::test]
async fn a_post_with_an_idempotency_key_is_carried_out_once() {
    on_each_backend(|api| async move {
        let account = api.account("Dental Care", "free").await;
        let post = |name: &str, key: &str| {
            api.request(Method::POST, "/keys", &account.key)
                .header("Idempotency-Key", key)
                .json(&json!({"name": name}))
        };
        let first = api.send(post("website", "k-1")).await;
        assert_eq!(first.status.as_u16(), 201);
        let again = api.send(post("website", "k-1")).await;
        assert_eq!(again.status.as_u16(), 201);
        assert_eq!(again.headers["idempotent-replayed"], "true");
        assert_eq!(again.body, first.body, "the repeat gets the first answer");
        let keys = api.get("/keys", &account.key).await.expect(200);
        assert_eq!(keys["data"].as_array().unwrap().len(), 2, "one key made, not two");
        let reused = api.send(post("other", "k-1")).await.error(422);
        assert_eq!(reused["code"], "idempotency_key_reused");
        // Keys are per account: another account's same key is its own.
        let other = api.account("Other", "free").await;
        let theirs = api
            .send(
                api.request(Method::POST, "/keys", &other.key)
                    .header("Idempotency-Key", "k-1")
                    .json(&json!({"name": "website"})),
            )
            .await;
        assert_eq!(theirs.status.as_u16(), 201);
        assert!(theirs.headers.get("idempotent-replayed").is_none());
        // A refused request is kept too: the repeat is refused the same way.
        let refused = api.send(post("", "k-2")).await.error(422);
        let refused_again = api.send(post("", "k-2")).await.error(422);
        assert_eq!(refused, refused_again);
    })
    .await;
}

#[tokio::test]
async fn an_address_that_keeps_failing_is_held_with_retry_after() {
    let api = TestApi::start(testing::sqlite().await).await;
    let account = api.account("Dental Care", "free").await;
    for _ in 0..10 {
        api.get("/account", "sbk_wrong").await.error(401);
    }
    let held = api.get("/account", "sbk_wrong").await;
    assert_eq!(held.status.as_u16(), 429);
    let wait: u64 = held.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=6).contains(&wait), "{wait}");
    // Held means not checked at all, so a guess cannot succeed meanwhile.
    api.get("/account", &account.key).await.error(429);
}

#[tokio::test]
async fn behind_a_trusted_proxy_failures_are_counted_per_forwarded_client() {
    let api = TestApi::start_with(testing::sqlite().await, |config| {
        config.http.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    let account = api.account("Dental Care", "free").await;
    let from = |client: &str, key: &str| {
        api.request(Method::GET, "/account", key)
            .header("X-Forwarded-For", client)
    };
    for _ in 0..10 {
        api.send(from("198.51.100.1", "sbk_wrong")).await.error(401);
    }
    assert_eq!(
        api.send(from("198.51.100.1", "sbk_wrong")).await.status.as_u16(),
        429
    );
    // Another client behind the same proxy is not held back by the first one's failures.
    api.send(from("198.51.100.2", &account.key)).await.expect(200);
    // A forged entry before the proxy's own does not change who the client is.
    let forged = "203.0.113.5, 198.51.100.1";
    assert_eq!(api.send(from(forged, &account.key)).await.status.as_u16(), 429);
}

#[tokio::test]
async fn the_openapi_document_is_served_and_lists_every_route() {
    let api = TestApi::start(testing::sqlite().await).await;
    let document = api
        .call(Method::GET, "/openapi.json", None, None)
        .await
        .expect(200);
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/accounts",
        "/api/v1/accounts/{id}",
        "/api/v1/account",
        "/api/v1/keys",
        "/api/v1/plans",
    ] {
        assert!(document["paths"][path].is_object(), "{path} missing");
    }
    let create = &document["paths"]["/api/v1/keys"]["post"];
    assert!(create["responses"]["422"].is_object());
    assert!(
        create["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "Idempotency-Key")
    );
}
