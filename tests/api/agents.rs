//! `/agents` over real HTTP, on SQLite and PostgreSQL: every verb, the plan's limits as 403s,
//! refusals naming their field, pages, linked event types, active hours, and another account's
//! key finding nothing.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TestAccount, TestApi, on_each_backend};
use switchboard::store::testing;
use switchboard::store::{AccountId, CallDirection, NewCallRecord, NewEventType, NewHost};

fn agent_body(name: &str) -> Value {
    json!({"name": name, "elevenlabs_agent_id": "agent_web"})
}

async fn make_agent(api: &TestApi, account: &TestAccount, body: Value) -> Value {
    api.post("/agents", &account.key, body).await.expect(201)
}

/// Two event types of the account (one secret), made in the store: `(intro, vip)` ids.
async fn event_types(api: &TestApi, account: &TestAccount) -> (String, String) {
    let account_id = AccountId::from(account.id.as_str());
    let host = api
        .store
        .create_host(
            &account_id,
            NewHost {
                name: "Dr. Adler".into(),
                email: None,
                timezone: "Europe/Berlin".into(),
            },
        )
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (slug, secret) in [("intro-call", false), ("vip", true)] {
        let made = api
            .store
            .create_event_type(
                &account_id,
                NewEventType {
                    host_id: host.id.clone(),
                    slug: slug.into(),
                    name: slug.into(),
                    description: String::new(),
                    duration_min: 30,
                    buffer_before_min: 0,
                    buffer_after_min: 0,
                    min_notice_min: 0,
                    slot_interval_min: None,
                    max_days_ahead: 30,
                    per_day_limit: None,
                    active: true,
                    secret,
                },
            )
            .await
            .unwrap();
        ids.push(made.id.into_string());
    }
    (ids[0].clone(), ids[1].clone())
}

#[tokio::test]
async fn an_agent_is_made_read_changed_and_deleted() {
    on_each_backend(|api| async move {
        let account = api.account("Harbor Dental", "pro").await;
        let number = testing::unique_phone_number();
        let made = make_agent(
            &api,
            &account,
            json!({
                "name": "Ava",
                "elevenlabs_agent_id": "agent_ava",
                "greeting": "Hello, Harbor Dental, Ava speaking.",
                "business_context": "A dental practice in Hamburg.",
                "voice_id": "21m00Tcm4TlvDq8ikWAM",
                "language": "pt-br",
                "timezone": "Europe/Berlin",
                "phone_number": number,
                "fallback": {"mode": "dial", "number": "+14155550100"}
            }),
        )
        .await;
        let id = made["id"].as_str().unwrap().to_owned();
        assert_eq!(made["language"], "pt-BR");
        assert_eq!(made["phone_number"], number.as_str());
        assert_eq!(made["active"], true);
        assert_eq!(
            made["fallback"],
            json!({"mode": "dial", "number": "+14155550100"})
        );

        // A call of 61 s on this agent: two started minutes of the plan's shared 60.
        let sid = format!("CA{}", id.replace('-', ""));
        api.store
            .insert_call(
                &AccountId::from(account.id.as_str()),
                NewCallRecord {
                    agent_id: id.as_str().into(),
                    call_sid: sid.clone(),
                    direction: CallDirection::Inbound,
                    from_number: "+4930123456".into(),
                    to_number: number.clone(),
                    started_at: jiff::Timestamp::now(),
                },
            )
            .await
            .unwrap()
            .unwrap();
        api.store
            .record_carrier_duration(&sid, jiff::Timestamp::now(), std::time::Duration::from_secs(61))
            .await
            .unwrap();

        let list = api.get("/agents", &account.key).await.expect(200);
        assert_eq!(list["data"].as_array().unwrap().len(), 1);
        assert_eq!(list["plan"]["name"], "pro");
        let usage = &list["usage"];
        assert_eq!(
            (usage["agents"].as_u64(), usage["max_agents"].as_u64()),
            (Some(1), Some(2))
        );
        assert_eq!(usage["minutes_used"], 2);
        assert_eq!(usage["minute_limit"], 60);
        assert_eq!(usage["minutes_remaining"], 58);
        let start: jiff::Timestamp = usage["period_start"].as_str().unwrap().parse().unwrap();
        let end: jiff::Timestamp = usage["period_end"].as_str().unwrap().parse().unwrap();
        assert!(start <= jiff::Timestamp::now() && jiff::Timestamp::now() < end);
        assert_eq!(list["next_cursor"], Value::Null);

        let detail = api.get(&format!("/agents/{id}"), &account.key).await.expect(200);
        assert_eq!(detail["agent"]["greeting"], "Hello, Harbor Dental, Ava speaking.");
        assert_eq!(detail["event_types"], json!({"linked": [], "offered": []}));
        assert_eq!(detail["active_hours"]["enabled"], false);
        assert_eq!(detail["active_hours"]["timezone"], "Europe/Berlin");

        let changed = api
            .patch(
                &format!("/agents/{id}"),
                &account.key,
                json!({"name": "Ava (front desk)", "greeting": null, "active": false}),
            )
            .await
            .expect(200);
        assert_eq!(changed["name"], "Ava (front desk)");
        assert_eq!(changed["greeting"], Value::Null);
        assert_eq!(changed["active"], false);
        assert_eq!(
            changed["business_context"], "A dental practice in Hamburg.",
            "left out, kept"
        );

        assert_eq!(
            api.delete(&format!("/agents/{id}"), &account.key).await.status,
            204
        );
        api.get(&format!("/agents/{id}"), &account.key).await.error(404);
        api.delete(&format!("/agents/{id}"), &account.key)
            .await
            .error(404);
        let list = api.get("/agents", &account.key).await.expect(200);
        assert_eq!(list["data"], json!([]));
        assert_eq!(list["usage"]["agents"], 0);
        // Its number is free for a new agent.
        let successor = json!({"name": "Bo", "elevenlabs_agent_id": "agent_bo", "phone_number": number});
        make_agent(&api, &account, successor).await;
        let taken = api
            .post(
                "/agents",
                &account.key,
                json!({"name": "Cy", "elevenlabs_agent_id": "agent_cy", "phone_number": number}),
            )
            .await
            .error(409);
        assert_eq!(taken["code"], "phone_number_taken");

        // POST honours Idempotency-Key: one agent, not two.
        let post = || {
            api.request(Method::POST, "/agents", &account.key)
                .header("Idempotency-Key", "agent-1")
                .json(&agent_body("Dee"))
        };
        let first = api.send(post()).await;
        let again = api.send(post()).await;
        assert_eq!((first.status.as_u16(), again.status.as_u16()), (201, 201));
        assert_eq!(first.body, again.body);
        let list = api.get("/agents", &account.key).await.expect(200);
        assert_eq!(list["usage"]["agents"], 2);
    })
    .await;
}

#[tokio::test]
async fn the_plan_limits_are_403s_that_name_the_plan() {
    on_each_backend(|api| async move {
        let account = api.account("Solo", "free").await;
        let numbered = json!({
            "name": "Ava", "elevenlabs_agent_id": "agent_ava", "phone_number": testing::unique_phone_number()
        });
        let no_numbers = api
            .post("/agents", &account.key, numbered.clone())
            .await
            .error(403);
        assert_eq!(no_numbers["code"], "plan_limit");
        assert!(
            no_numbers["message"]
                .as_str()
                .unwrap()
                .contains("Your plan (free) does not include phone numbers"),
            "{no_numbers}"
        );
        let ava = make_agent(&api, &account, agent_body("Ava")).await;
        let second = api
            .post("/agents", &account.key, agent_body("Bo"))
            .await
            .error(403);
        assert_eq!(second["code"], "plan_limit");
        assert!(
            second["message"]
                .as_str()
                .unwrap()
                .starts_with("Your plan (free) allows 1 agent;"),
            "{second}"
        );
        let give_number = json!({"phone_number": numbered["phone_number"]});
        let path = format!("/agents/{}", ava["id"].as_str().unwrap());
        api.patch(&path, &account.key, give_number.clone())
            .await
            .error(403);

        // Moved to pro: a number and a second agent, not a third.
        api.patch(
            &format!("/accounts/{}", account.id),
            &api.operator,
            json!({"plan": "pro"}),
        )
        .await
        .expect(200);
        api.patch(&path, &account.key, give_number).await.expect(200);
        make_agent(&api, &account, agent_body("Bo")).await;
        let third = api
            .post("/agents", &account.key, agent_body("Cy"))
            .await
            .error(403);
        assert!(
            third["message"]
                .as_str()
                .unwrap()
                .starts_with("Your plan (pro) allows 2 agents;")
        );
    })
    .await;
}

#[tokio::test]
async fn bad_fields_are_refused_naming_the_field() {
    on_each_backend(|api| async move {
        let account = api.account("Harbor Dental", "business").await;
        let with = |field: &str, value: Value| {
            let mut body = agent_body("Ava");
            body[field] = value;
            body
        };
        let cases = [
            (with("name", json!("  ")), "name"),
            (with("name", json!("n".repeat(101))), "name"),
            (with("greeting", json!("g".repeat(501))), "greeting"),
            (
                with("business_context", json!("c".repeat(5_001))),
                "business_context",
            ),
            (with("voice_id", json!("a voice")), "voice_id"),
            (with("language", json!("english")), "language"),
            (with("timezone", json!("EST")), "timezone"),
            (with("phone_number", json!("555-0100")), "phone_number"),
            (with("elevenlabs_agent_id", json!("")), "elevenlabs_agent_id"),
            (with("active", json!("yes")), "active"),
            (with("fallback", json!({"mode": "hang_up"})), "fallback.mode"),
            (with("fallback", json!({"mode": "dial"})), "fallback.number"),
            (
                with("fallback", json!({"mode": "dial", "number": "12"})),
                "fallback.number",
            ),
        ];
        for (body, field) in cases {
            let refused = api.post("/agents", &account.key, body.clone()).await.error(422);
            assert_eq!(refused["field"], field, "{body}: {refused}");
        }
        let unknown = api
            .post("/agents", &account.key, with("colour", json!("blue")))
            .await
            .error(422);
        assert!(
            unknown["message"].as_str().unwrap().contains("colour"),
            "{unknown}"
        );
        let missing = api
            .post("/agents", &account.key, json!({"name": "Ava"}))
            .await
            .error(422);
        assert_eq!(missing["field"], "elevenlabs_agent_id", "{missing}");
        assert!(
            missing["message"]
                .as_str()
                .unwrap()
                .contains("does not create ElevenLabs agents"),
            "without provisioning the id is required, and the refusal says why: {missing}"
        );
        assert_eq!(
            api.get("/agents", &account.key).await.expect(200)["data"],
            json!([]),
            "nothing made"
        );

        let agent = make_agent(&api, &account, agent_body("Ava")).await;
        let path = format!("/agents/{}", agent["id"].as_str().unwrap());
        let patches = [
            (json!({"greeting": ""}), "greeting"),
            (json!({"language": "de_DE"}), "language"),
            (
                json!({"fallback": {"mode": "dial", "number": null}}),
                "fallback.number",
            ),
            (json!({"name": 7}), "name"),
        ];
        for (patch, field) in patches {
            let refused = api.patch(&path, &account.key, patch.clone()).await.error(422);
            assert_eq!(refused["field"], field, "{patch}: {refused}");
        }
        let unknown_type = api
            .put(
                &format!("{path}/event-types"),
                &account.key,
                json!({"event_type_ids": ["nope"]}),
            )
            .await
            .error(422);
        assert_eq!(unknown_type["field"], "event_type_ids");
        let hours = [
            (json!({"afterHoursBehavior": "hang_up"}), "afterHoursBehavior"),
            (json!({"redirectNumber": "0800"}), "redirectNumber"),
            (json!({"timezone": "CET"}), "timezone"),
            (
                json!({"schedule": [{"day": "mon", "start": "09:00", "end": "17:00"}]}),
                "schedule[0].day",
            ),
            (
                json!({"schedule": [{"day": "monday", "start": "9am", "end": "17:00"}]}),
                "schedule[0].start",
            ),
            (
                json!({"schedule": [{"day": "monday", "start": "09:00", "end": "09:00"}]}),
                "schedule[0].end",
            ),
            (json!({"afterHoursMessage": "m".repeat(501)}), "afterHoursMessage"),
        ];
        for (patch, field) in hours {
            let refused = api
                .patch(&format!("{path}/active-hours"), &account.key, patch.clone())
                .await
                .error(422);
            assert_eq!(refused["field"], field, "{patch}: {refused}");
        }
        let bad_cursor = api.get("/agents?cursor=nonsense", &account.key).await.error(400);
        assert_eq!(bad_cursor["field"], "cursor");
    })
    .await;
}

#[tokio::test]
async fn agents_page_oldest_first_with_a_cursor() {
    on_each_backend(|api| async move {
        let account = api.account("Big Clinic", "business").await;
        let mut made = Vec::new();
        for i in 0..5 {
            made.push(make_agent(&api, &account, agent_body(&format!("Line {i}"))).await["id"].clone());
        }
        let mut seen = Vec::new();
        let mut path = "/agents?limit=2".to_owned();
        loop {
            let page = api.get(&path, &account.key).await.expect(200);
            assert!(page["data"].as_array().unwrap().len() <= 2);
            assert_eq!(
                (
                    page["usage"]["agents"].as_u64(),
                    page["usage"]["max_agents"].as_u64()
                ),
                (Some(5), Some(20))
            );
            assert_eq!(
                page["usage"]["minute_limit"],
                Value::Null,
                "business is unlimited"
            );
            seen.extend(
                page["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|agent| agent["id"].clone()),
            );
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/agents?limit=2&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(seen, made);
    })
    .await;
}

#[tokio::test]
async fn event_types_and_active_hours_are_set_and_read_back() {
    on_each_backend(|api| async move {
        let account = api.account("Harbor Dental", "pro").await;
        let (intro, vip) = event_types(&api, &account).await;
        let agent = make_agent(&api, &account, agent_body("Ava")).await;
        let path = format!("/agents/{}", agent["id"].as_str().unwrap());

        let linked = api
            .put(
                &format!("{path}/event-types"),
                &account.key,
                json!({"event_type_ids": [vip, intro]}),
            )
            .await
            .expect(200);
        let slugs = |types: &Value| {
            types
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["slug"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(slugs(&linked), ["intro-call", "vip"]);
        let detail = api.get(&path, &account.key).await.expect(200);
        assert_eq!(
            slugs(&detail["event_types"]["offered"]),
            ["intro-call"],
            "never the secret one"
        );

        api.put(
            &format!("{path}/event-types"),
            &account.key,
            json!({"event_type_ids": [vip]}),
        )
        .await
        .expect(200);
        let detail = api.get(&path, &account.key).await.expect(200);
        assert_eq!(slugs(&detail["event_types"]["linked"]), ["vip"]);
        assert_eq!(detail["event_types"]["offered"], json!([]));
        let none = api
            .put(
                &format!("{path}/event-types"),
                &account.key,
                json!({"event_type_ids": []}),
            )
            .await
            .expect(200);
        assert_eq!(none, json!([]));
        let detail = api.get(&path, &account.key).await.expect(200);
        assert_eq!(
            slugs(&detail["event_types"]["offered"]),
            ["intro-call"],
            "none linked: all of them"
        );

        let hours = json!({
            "enabled": true,
            "timezone": "America/New_York",
            "afterHoursBehavior": "message",
            "afterHoursMessage": "We open at nine.",
            "schedule": [
                {"day": "saturday", "start": "10:00", "end": "14:00"},
                {"day": "monday", "start": "09:00", "end": "18:00"},
                {"day": "friday", "start": "22:00", "end": "02:00"}
            ]
        });
        let set = api
            .patch(&format!("{path}/active-hours"), &account.key, hours)
            .await
            .expect(200);
        assert_eq!(set["timezone"], "America/New_York");
        assert_eq!(set["redirectNumber"], Value::Null);
        assert_eq!(
            set["schedule"],
            json!([
                {"day": "monday", "start": "09:00", "end": "18:00"},
                {"day": "friday", "start": "22:00", "end": "02:00"},
                {"day": "saturday", "start": "10:00", "end": "14:00"}
            ])
        );
        let read = api
            .get(&format!("{path}/active-hours"), &account.key)
            .await
            .expect(200);
        assert_eq!(read, set);
        let detail = api.get(&path, &account.key).await.expect(200);
        assert_eq!(
            detail["agent"]["timezone"], "America/New_York",
            "the agent's own zone"
        );
        assert_eq!(detail["active_hours"], set);

        let redirect = api
            .patch(
                &format!("{path}/active-hours"),
                &account.key,
                json!({"afterHoursBehavior": "redirect", "redirectNumber": "+14155550123", "enabled": false}),
            )
            .await
            .expect(200);
        assert_eq!(redirect["schedule"], set["schedule"], "left out, kept");
        assert_eq!(redirect["afterHoursMessage"], "We open at nine.");
        assert_eq!(redirect["enabled"], false);

        let transfer = api
            .patch(
                &format!("{path}/active-hours"),
                &account.key,
                json!({"afterHoursBehavior": "transfer", "redirectNumber": null}),
            )
            .await
            .expect(200);
        assert_eq!(transfer["afterHoursBehavior"], "transfer");
        let read = api
            .get(&format!("{path}/active-hours"), &account.key)
            .await
            .expect(200);
        assert_eq!(read["afterHoursBehavior"], "transfer", "stored");
    })
    .await;
}

#[tokio::test]
async fn another_accounts_key_finds_none_of_these_rows() {
    on_each_backend(|api| async move {
        let owner = api.account("Harbor Dental", "pro").await;
        let stranger = api.account("Someone else", "business").await;
        let agent = make_agent(&api, &owner, agent_body("Ava")).await;
        let path = format!("/agents/{}", agent["id"].as_str().unwrap());

        api.get(&path, &stranger.key).await.error(404);
        api.patch(&path, &stranger.key, json!({"name": "Mine"}))
            .await
            .error(404);
        api.put(
            &format!("{path}/event-types"),
            &stranger.key,
            json!({"event_type_ids": []}),
        )
        .await
        .error(404);
        api.get(&format!("{path}/active-hours"), &stranger.key)
            .await
            .error(404);
        api.patch(
            &format!("{path}/active-hours"),
            &stranger.key,
            json!({"enabled": true}),
        )
        .await
        .error(404);
        api.delete(&path, &stranger.key).await.error(404);
        assert_eq!(
            api.get("/agents", &stranger.key).await.expect(200)["data"],
            json!([])
        );

        // The owner's agent is untouched.
        let detail = api.get(&path, &owner.key).await.expect(200);
        assert_eq!(detail["agent"]["name"], "Ava");
        assert_eq!(detail["active_hours"]["enabled"], false);
        // An operator key is not an account's key.
        api.get("/agents", &api.operator).await.error(403);
    })
    .await;
}
