//! `/menus` over real HTTP, on SQLite and PostgreSQL: a number's menu set, read, replaced,
//! listed and removed; refusals naming their field; a number answered by a menu or by an
//! agent, never both (refused both ways); another account's agent or number not to be had.

use serde_json::{Value, json};

use crate::support::{TestAccount, TestApi, on_each_backend};

const MENU_NUMBER: &str = "+14155550900";

async fn agent(api: &TestApi, account: &TestAccount, name: &str, number: Option<&str>) -> String {
    let body = api
        .post(
            "/agents",
            &account.key,
            json!({"name": name, "elevenlabs_agent_id": "agent_web", "phone_number": number}),
        )
        .await
        .expect(201);
    body["id"].as_str().unwrap().to_owned()
}

fn menu(sales: &str, support: &str) -> Value {
    json!({
        "prompt": "Thanks for calling Harbor Dental.",
        "choices": [
            {"digit": 2, "label": "billing", "keywords": ["invoice", "pay"], "agent_id": support},
            {"digit": 1, "label": "appointments", "agent_id": sales},
            {"digit": 9, "label": "the front desk", "dial_number": "+14155550777"},
        ]
    })
}

#[tokio::test]
async fn a_menu_is_set_read_replaced_listed_and_removed() {
    on_each_backend(|api| async move {
        let account = api.account("Harbor Dental", "business").await;
        let ava = agent(&api, &account, "Ava", Some("+14155550101")).await;
        let bea = agent(&api, &account, "Bea", None).await;
        let path = format!("/menus/{MENU_NUMBER}");

        let made = api.put(&path, &account.key, menu(&ava, &bea)).await.expect(201);
        assert_eq!(made["phone_number"], MENU_NUMBER);
        assert_eq!(made["prompt"], "Thanks for calling Harbor Dental.");
        let digits: Vec<u64> = made["choices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["digit"].as_u64().unwrap())
            .collect();
        assert_eq!(digits, [1, 2, 9], "choices are kept by key");
        assert_eq!(made["choices"][0]["agent_id"], ava.as_str());
        assert_eq!(made["choices"][1]["keywords"], json!(["invoice", "pay"]));
        assert_eq!(made["choices"][1]["agent_id"], bea.as_str());
        assert_eq!(made["choices"][2]["dial_number"], "+14155550777");
        assert_eq!(made["choices"][2]["agent_id"], Value::Null);
        assert_eq!(made["default_digit"], 1);
        assert_eq!(api.get(&path, &account.key).await.expect(200), made);
        // The number may be written escaped in the path.
        let escaped = api
            .get(&format!("/menus/%2B{}", &MENU_NUMBER[1..]), &account.key)
            .await
            .expect(200);
        assert_eq!(escaped, made);

        let replaced = api
            .put(
                &path,
                &account.key,
                json!({"prompt": "Hello.", "choices": [{"digit": 3, "label": "Bea", "agent_id": bea}]}),
            )
            .await
            .expect(200);
        assert_eq!(replaced["prompt"], "Hello.");
        assert_eq!(replaced["choices"].as_array().unwrap().len(), 1);
        assert_eq!(replaced["default_digit"], 3);
        assert_eq!(replaced["created_at"], made["created_at"]);

        let list = api.get("/menus", &account.key).await.expect(200);
        assert_eq!(list["data"], json!([replaced]));

        api.delete(&path, &account.key).await.expect(204);
        assert_eq!(api.get(&path, &account.key).await.error(404)["code"], "not_found");
        assert_eq!(
            api.delete(&path, &account.key).await.error(404)["code"],
            "not_found"
        );
        assert_eq!(
            api.get("/menus", &account.key).await.expect(200)["data"],
            json!([])
        );
    })
    .await;
}

#[tokio::test]
async fn refusals_name_their_field() {
    on_each_backend(|api| async move {
        let account = api.account("Harbor Dental", "business").await;
        let ava = agent(&api, &account, "Ava", None).await;
        let other = api.account("Elsewhere", "business").await;
        let theirs = agent(&api, &other, "Theirs", None).await;
        let choice = |digit: i64| json!({"digit": digit, "label": "x", "agent_id": ava});
        let cases = [
            (MENU_NUMBER, json!({"prompt": " ", "choices": [choice(1)]}), "prompt"),
            (MENU_NUMBER, json!({"prompt": "Hi", "choices": []}), "choices"),
            (
                MENU_NUMBER,
                json!({"prompt": "Hi", "choices": [choice(1), choice(2), choice(3), choice(4), choice(5)]}),
                "choices",
            ),
            (MENU_NUMBER, json!({"prompt": "Hi", "choices": [choice(0)]}), "choices[0].digit"),
            (MENU_NUMBER, json!({"prompt": "Hi", "choices": [choice(10)]}), "choices[0].digit"),
            (MENU_NUMBER, json!({"prompt": "Hi", "choices": [choice(4), choice(4)]}), "choices[1].digit"),
            (
                MENU_NUMBER,
                json!({"prompt": "Hi", "choices": [{"digit": 1, "label": "", "agent_id": ava}]}),
                "choices[0].label",
            ),
            (
                MENU_NUMBER,
                json!({"prompt": "Hi", "choices": [{"digit": 1, "label": "x", "keywords": ["ok", " "], "agent_id": ava}]}),
                "choices[0].keywords[1]",
            ),
            (
                MENU_NUMBER,
                json!({"prompt": "Hi", "choices": [{"digit": 1, "label": "x", "agent_id": ava, "dial_number": "+14155550777"}]}),
                "choices[0].agent_id",
            ),
            (
                MENU_NUMBER,
                json!({"prompt": "Hi", "choices": [{"digit": 1, "label": "x"}]}),
                "choices[0].agent_id",
            ),
            (
                MENU_NUMBER,
                json!({"prompt": "Hi", "choices": [{"digit": 1, "label": "x", "dial_number": "555-0100"}]}),
                "choices[0].dial_number",
            ),
            (
                MENU_NUMBER,
                json!({"prompt": "Hi", "choices": [choice(1), {"digit": 2, "label": "x", "agent_id": theirs}]}),
                "choices[1].agent_id",
            ),
            ("4155550900", json!({"prompt": "Hi", "choices": [choice(1)]}), "phone_number"),
        ];
        for (number, body, field) in cases {
            let error = api
                .put(&format!("/menus/{number}"), &account.key, body.clone())
                .await
                .error(422);
            assert_eq!(error["field"], field, "{body}: {error}");
        }
        let error = api
            .put(
                &format!("/menus/{MENU_NUMBER}"),
                &account.key,
                json!({"prompt": "Hi", "choices": [{"digit": 1, "label": "x", "agent_id": theirs}]}),
            )
            .await
            .error(422);
        assert!(error["message"].as_str().unwrap().contains("not found"), "{error}");
        assert_eq!(api.get("/menus", &account.key).await.expect(200)["data"], json!([]));
    })
    .await;
}

#[tokio::test]
async fn a_number_is_a_menus_or_an_agents_never_both() {
    on_each_backend(|api| async move {
        let account = api.account("Harbor Dental", "business").await;
        let ava = agent(&api, &account, "Ava", Some("+14155550101")).await;
        let bea = agent(&api, &account, "Bea", None).await;

        // A menu on an agent's number.
        let error = api
            .put("/menus/+14155550101", &account.key, menu(&ava, &bea))
            .await
            .error(409);
        assert_eq!(error["code"], "number_has_agent", "{error}");

        // An agent given a menu's number: made, or changed.
        api.put(&format!("/menus/{MENU_NUMBER}"), &account.key, menu(&ava, &bea))
            .await
            .expect(201);
        let error = api
            .post(
                "/agents",
                &account.key,
                json!({"name": "Cy", "elevenlabs_agent_id": "agent_web", "phone_number": MENU_NUMBER}),
            )
            .await
            .error(409);
        assert_eq!(error["code"], "number_has_menu", "{error}");
        let error = api
            .patch(
                &format!("/agents/{bea}"),
                &account.key,
                json!({"phone_number": MENU_NUMBER}),
            )
            .await
            .error(409);
        assert_eq!(error["code"], "number_has_menu", "{error}");
        assert_eq!(
            api.get(&format!("/agents/{bea}"), &account.key).await.expect(200)["phone_number"],
            Value::Null
        );

        // Another account's menu number is not to be had.
        let other = api.account("Elsewhere", "business").await;
        let theirs = agent(&api, &other, "Theirs", None).await;
        let error = api
            .put(
                &format!("/menus/{MENU_NUMBER}"),
                &other.key,
                json!({"prompt": "Mine now", "choices": [{"digit": 1, "label": "me", "agent_id": theirs}]}),
            )
            .await
            .error(409);
        assert_eq!(error["code"], "number_has_menu", "{error}");
        assert_eq!(
            api.get(&format!("/menus/{MENU_NUMBER}"), &account.key)
                .await
                .expect(200)["prompt"],
            "Thanks for calling Harbor Dental."
        );

        // Once the menu is gone, the number is free for an agent.
        api.delete(&format!("/menus/{MENU_NUMBER}"), &account.key)
            .await
            .expect(204);
        api.patch(
            &format!("/agents/{bea}"),
            &account.key,
            json!({"phone_number": MENU_NUMBER}),
        )
        .await
        .expect(200);
    })
    .await;
}

#[tokio::test]
async fn a_plan_without_numbers_has_no_menu() {
    on_each_backend(|api| async move {
        let account = api.account("Solo", "free").await;
        let ava = agent(&api, &account, "Ava", None).await;
        let error = api
            .put(
                &format!("/menus/{MENU_NUMBER}"),
                &account.key,
                json!({"prompt": "Hi", "choices": [{"digit": 1, "label": "Ava", "agent_id": ava}]}),
            )
            .await
            .error(403);
        assert_eq!(error["code"], "plan_limit", "{error}");
    })
    .await;
}
