//! `admin accounts create|list|show|set`.

use jiff::Timestamp;

use switchboard::manage::{Caller, Keys};
use switchboard::store::AccountId;

use crate::support::{admin, on_each_backend, text_at, value_of};

#[tokio::test]
async fn an_account_is_made_with_a_working_key_then_listed_shown_and_changed() {
    on_each_backend(|store| async move {
        let created = admin(
            &store,
            &[
                "--json",
                "accounts",
                "create",
                "--name",
                "Harbor Dental",
                "--plan",
                "pro",
                "--timezone",
                "Europe/Berlin",
                "--key-name",
                "front desk",
            ],
        )
        .await
        .json();
        let id = text_at(&created, "/account/id");
        assert_eq!(created["account"]["name"], "Harbor Dental");
        assert_eq!(created["account"]["plan"], "pro");
        assert_eq!(created["account"]["timezone"], "Europe/Berlin");
        assert_eq!(created["key"]["name"], "front desk");
        let secret = text_at(&created, "/key/secret");
        assert!(secret.starts_with(&text_at(&created, "/key/prefix")), "{created}");
        // The secret printed is the account's key.
        let caller = Keys::new(store.store())
            .authenticate(&secret, Timestamp::now())
            .await
            .unwrap()
            .expect("the printed secret is a valid key");
        assert!(
            matches!(&caller, Caller::Account { scope, .. } if scope.account_id.as_str() == id),
            "{caller:?}"
        );

        let listed = admin(&store, &["accounts", "list", "--json"]).await.json();
        assert_eq!(listed["data"].as_array().unwrap().len(), 1, "{listed}");
        assert_eq!(listed["data"][0]["id"], id.as_str());
        assert_eq!(listed["next_cursor"], serde_json::Value::Null);

        let shown = admin(&store, &["accounts", "show", &id, "--json"]).await.json();
        assert_eq!(shown["account"]["id"], id.as_str());
        assert_eq!(shown["plan"]["name"], "pro");
        assert_eq!(shown["plan"]["max_agents"], 2);
        let start: Timestamp = text_at(&shown, "/billing_period/start").parse().unwrap();
        let end: Timestamp = text_at(&shown, "/billing_period/end").parse().unwrap();
        assert!(start <= Timestamp::now() && Timestamp::now() < end, "{shown}");

        let changed = admin(
            &store,
            &[
                "accounts",
                "set",
                &id,
                "--name",
                "Harbour Dental",
                "--plan",
                "business",
                "--timezone",
                "UTC",
                "--json",
            ],
        )
        .await
        .json();
        assert_eq!(changed["name"], "Harbour Dental");
        assert_eq!(changed["plan"], "business");
        assert_eq!(changed["timezone"], "UTC");
        let stored = store.account(&AccountId::from(id.clone())).await.unwrap();
        assert_eq!(
            (stored.name.as_str(), stored.plan.as_str()),
            ("Harbour Dental", "business")
        );

        let kept = admin(
            &store,
            &[
                "accounts",
                "set",
                &id,
                "--recording-retention-days",
                "30",
                "--json",
            ],
        )
        .await
        .json();
        assert_eq!(kept["recording_retention_days"], 30);
        let forever = admin(&store, &["accounts", "set", &id, "--keep-recordings", "--json"])
            .await
            .json();
        assert_eq!(forever["recording_retention_days"], serde_json::Value::Null);
        let stored = store.account(&AccountId::from(id.clone())).await.unwrap();
        assert_eq!(stored.recording_retention_days, None);
    })
    .await;
}

#[tokio::test]
async fn text_for_people_shows_the_secret_once_and_aligns_the_list() {
    on_each_backend(|store| async move {
        let created = admin(&store, &["accounts", "create", "--name", "Corner Bakery"]).await;
        let text = created.text();
        let secret_line = text.lines().find(|line| line.starts_with("secret:")).expect(text);
        assert!(secret_line.contains("sbk_"), "{text}");
        assert!(text.contains("shown this once"), "{text}");
        assert_eq!(value_of(text, "plan"), "free", "the default plan");
        assert_eq!(value_of(text, "timezone"), "UTC", "the default zone");
        assert_eq!(value_of(text, "key_name"), "default", "the default key name");
        let id = value_of(text, "id");
        // The values start in one column.
        let columns: Vec<usize> = text
            .lines()
            .take_while(|line| !line.starts_with("The secret"))
            .map(|line| line.len() - line.split_once(':').unwrap().1.trim_start().len())
            .collect();
        assert!(columns.windows(2).all(|pair| pair[0] == pair[1]), "{text}");

        admin(&store, &["accounts", "create", "--name", "A", "--json"])
            .await
            .json();
        let listed = admin(&store, &["accounts", "list"]).await;
        let lines: Vec<&str> = listed.text().lines().collect();
        assert_eq!(lines.len(), 3, "a header and two rows: {}", listed.stdout);
        assert!(lines[0].starts_with("ID "), "{}", listed.stdout);
        let name_column = lines[0].find("NAME").unwrap();
        assert_eq!(&lines[1][name_column..name_column + 13], "Corner Bakery");
        assert!(lines[1].starts_with(&id));

        let shown = admin(&store, &["accounts", "show", &id]).await;
        assert!(
            value_of(shown.text(), "billing_period_start")
                .parse::<Timestamp>()
                .is_ok(),
            "{}",
            shown.stdout
        );
        assert_eq!(value_of(shown.text(), "max_agents"), "1");
    })
    .await;
}

#[tokio::test]
async fn lists_page_with_limit_and_cursor_or_read_all() {
    let store = switchboard::store::testing::sqlite().await;
    for name in ["One", "Two", "Three"] {
        admin(&store, &["accounts", "create", "--name", name, "--json"])
            .await
            .json();
    }
    let first = admin(&store, &["accounts", "list", "--limit", "2", "--json"])
        .await
        .json();
    assert_eq!(first["data"].as_array().unwrap().len(), 2);
    let cursor = text_at(&first, "/next_cursor");
    let second = admin(
        &store,
        &["accounts", "list", "--limit", "2", "--cursor", &cursor, "--json"],
    )
    .await
    .json();
    assert_eq!(second["data"].as_array().unwrap().len(), 1);
    assert_eq!(second["data"][0]["name"], "Three");
    assert_eq!(second["next_cursor"], serde_json::Value::Null);
    let all = admin(&store, &["accounts", "list", "--limit", "1", "--all", "--json"])
        .await
        .json();
    let names: Vec<&str> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["One", "Two", "Three"]);
    assert_eq!(all["next_cursor"], serde_json::Value::Null);
    let text = admin(&store, &["accounts", "list", "--limit", "2"]).await;
    assert!(
        text.text().ends_with(&format!("more: --cursor {cursor}\n")),
        "{}",
        text.stdout
    );
}
