//! `admin agents list|create|show|set|delete|event-types|hours --account ID`.

use serde_json::{Value, json};

use switchboard::manage::Scope;
use switchboard::manage::event_types::{self, NewEventTypeInput};
use switchboard::manage::hosts::{self, NewHostInput};
use switchboard::store::AccountId;
use switchboard::store::testing::TestStore;

use crate::support::{admin, on_each_backend, text_at, value_of};

/// An account on `plan`, made by the CLI; its id.
async fn account(store: &TestStore, plan: &str) -> String {
    let made = admin(
        store,
        &[
            "accounts",
            "create",
            "--name",
            "Harbor Dental",
            "--plan",
            plan,
            "--json",
        ],
    )
    .await
    .json();
    text_at(&made, "/account/id")
}

/// An event type of the account (with its host), made through the management layer.
async fn event_type(store: &TestStore, account_id: &str, slug: &str) -> String {
    let scope = Scope::new(AccountId::from(account_id.to_owned()));
    let host = hosts::create(
        store,
        &scope,
        NewHostInput {
            name: Some(format!("Host {slug}")),
            email: None,
            timezone: Some("Europe/Berlin".into()),
        },
    )
    .await
    .unwrap();
    event_types::create(
        store,
        &scope,
        NewEventTypeInput {
            host_id: Some(host.id),
            slug: Some(slug.into()),
            name: Some(format!("Meeting {slug}")),
            duration_minutes: Some(30),
            ..NewEventTypeInput::default()
        },
    )
    .await
    .unwrap()
    .id
}

fn ids(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("an array: {value}"))
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn agents_are_made_within_the_plan_listed_shown_changed_and_deleted() {
    on_each_backend(|store| async move {
        let account_id = account(&store, "pro").await;
        let created = admin(
            &store,
            &[
                "agents",
                "create",
                "--account",
                &account_id,
                "--name",
                "Ava",
                "--elevenlabs-agent-id",
                "agent_1",
                "--phone-number",
                "+15550100001",
                "--timezone",
                "Europe/Berlin",
                "--greeting",
                "Hello!",
                "--fallback",
                "dial",
                "--fallback-number",
                "+15550100002",
                "--json",
            ],
        )
        .await
        .json();
        let agent_id = text_at(&created, "/id");
        assert_eq!(created["phone_number"], "+15550100001");
        assert_eq!(created["greeting"], "Hello!");
        assert_eq!(
            created["fallback"],
            json!({"mode": "dial", "number": "+15550100002"})
        );
        assert_eq!(created["language"], "en", "the default");

        let listed = admin(&store, &["agents", "list", "--account", &account_id, "--json"])
            .await
            .json();
        assert_eq!(ids(&listed["data"]), [agent_id.as_str()]);
        assert_eq!(
            (&listed["usage"]["agents"], &listed["usage"]["max_agents"]),
            (&json!(1), &json!(2))
        );
        assert_eq!(
            listed["usage"]["minute_limit"], 60,
            "the plan's minutes beside its agents"
        );
        assert_eq!(listed["plan"]["name"], "pro");
        assert_eq!(listed["next_cursor"], Value::Null);

        let shown = admin(
            &store,
            &["agents", "show", &agent_id, "--account", &account_id, "--json"],
        )
        .await
        .json();
        assert_eq!(shown["agent"], created);
        assert_eq!(shown["active_hours"]["enabled"], false, "{shown}");
        assert!(shown["event_types"]["linked"].as_array().unwrap().is_empty());

        let changed = admin(
            &store,
            &[
                "agents",
                "set",
                &agent_id,
                "--account",
                &account_id,
                "--name",
                "Ava 2",
                "--greeting",
                "",
                "--active",
                "false",
                "--json",
            ],
        )
        .await
        .json();
        assert_eq!(changed["name"], "Ava 2");
        assert_eq!(changed["greeting"], Value::Null, "an empty value clears");
        assert_eq!(changed["active"], false);
        assert_eq!(changed["phone_number"], "+15550100001", "the rest kept");

        // The plan's agents: pro has two.
        admin(
            &store,
            &[
                "agents",
                "create",
                "--account",
                &account_id,
                "--name",
                "Bo",
                "--elevenlabs-agent-id",
                "a2",
            ],
        )
        .await
        .text();
        let refused = admin(
            &store,
            &[
                "agents",
                "create",
                "--account",
                &account_id,
                "--name",
                "Cy",
                "--elevenlabs-agent-id",
                "a3",
            ],
        )
        .await;
        assert!(refused.failure(1).contains("plan"), "{}", refused.stderr);

        let text = admin(&store, &["agents", "list", "--account", &account_id]).await;
        assert!(
            text.text().contains("2 of 2 agents on the pro plan"),
            "{}",
            text.stdout
        );

        let deleted = admin(
            &store,
            &["agents", "delete", &agent_id, "--account", &account_id, "--json"],
        )
        .await
        .json();
        assert_eq!(deleted, json!({"id": agent_id, "deleted": true}));
        let gone = admin(&store, &["agents", "show", &agent_id, "--account", &account_id]).await;
        assert!(gone.failure(1).contains("not found"), "{}", gone.stderr);

        // Another account's agent is not found through this one.
        let other = account(&store, "pro").await;
        let listed = admin(&store, &["agents", "list", "--account", &account_id, "--json"])
            .await
            .json();
        let remaining = ids(&listed["data"]);
        let hidden = admin(&store, &["agents", "show", &remaining[0], "--account", &other]).await;
        assert!(hidden.failure(1).contains("not found"), "{}", hidden.stderr);
    })
    .await;
}

#[tokio::test]
async fn an_agents_event_types_and_hours_are_set_and_bad_ones_named() {
    on_each_backend(|store| async move {
        let account_id = account(&store, "business").await;
        let agent = admin(
            &store,
            &[
                "agents",
                "create",
                "--account",
                &account_id,
                "--name",
                "Ava",
                "--elevenlabs-agent-id",
                "agent_1",
                "--json",
            ],
        )
        .await
        .json();
        let agent_id = text_at(&agent, "/id");
        let consult = event_type(&store, &account_id, "consult").await;
        let cleaning = event_type(&store, &account_id, "cleaning").await;

        let linked = admin(
            &store,
            &[
                "agents",
                "event-types",
                &agent_id,
                "--account",
                &account_id,
                &consult,
                "--json",
            ],
        )
        .await
        .json();
        assert_eq!(ids(&linked), [consult.as_str()]);
        let shown = admin(
            &store,
            &["agents", "show", &agent_id, "--account", &account_id, "--json"],
        )
        .await
        .json();
        assert_eq!(ids(&shown["event_types"]["offered"]), [consult.as_str()]);
        let all = admin(
            &store,
            &[
                "agents",
                "event-types",
                &agent_id,
                "--account",
                &account_id,
                "--json",
            ],
        )
        .await
        .json();
        assert_eq!(all, json!([]), "none chosen");
        let shown = admin(
            &store,
            &["agents", "show", &agent_id, "--account", &account_id, "--json"],
        )
        .await
        .json();
        let mut offered = ids(&shown["event_types"]["offered"]);
        offered.sort();
        let mut both = vec![consult, cleaning];
        both.sort();
        assert_eq!(offered, both, "with none chosen, all are offered");

        let hours = admin(
            &store,
            &[
                "agents",
                "hours",
                &agent_id,
                "--account",
                &account_id,
                "--enabled",
                "true",
                "--timezone",
                "America/New_York",
                "--after-hours-behavior",
                "message",
                "--day",
                "monday",
                "--start",
                "09:00",
                "--end",
                "17:00",
                "--day",
                "tuesday",
                "--start",
                "10:00",
                "--end",
                "12:00",
                "--json",
            ],
        )
        .await
        .json();
        assert_eq!(hours["enabled"], true);
        assert_eq!(hours["timezone"], "America/New_York");
        assert_eq!(hours["afterHoursBehavior"], "message", "the API's field names");
        assert_eq!(
            hours["schedule"],
            json!([
                {"day": "monday", "start": "09:00", "end": "17:00"},
                {"day": "tuesday", "start": "10:00", "end": "12:00"}
            ])
        );
        // No flags: the hours as stored.
        let read = admin(
            &store,
            &["agents", "hours", &agent_id, "--account", &account_id, "--json"],
        )
        .await
        .json();
        assert_eq!(read, hours);
        let text = admin(&store, &["agents", "hours", &agent_id, "--account", &account_id]).await;
        assert_eq!(
            value_of(text.text(), "schedule"),
            "monday 09:00-17:00, tuesday 10:00-12:00"
        );
        let transfer = admin(
            &store,
            &[
                "agents",
                "hours",
                &agent_id,
                "--account",
                &account_id,
                "--after-hours-behavior",
                "transfer",
                "--json",
            ],
        )
        .await
        .json();
        assert_eq!(transfer["afterHoursBehavior"], "transfer");
        assert_eq!(transfer["schedule"], hours["schedule"], "left out, kept");

        let bad = admin(
            &store,
            &[
                "agents",
                "hours",
                &agent_id,
                "--account",
                &account_id,
                "--day",
                "monday",
                "--start",
                "09:00",
                "--end",
                "17:00",
                "--day",
                "funday",
                "--start",
                "10:00",
                "--end",
                "12:00",
            ],
        )
        .await;
        assert!(bad.failure(2).contains("--day (range 2)"), "{}", bad.stderr);
        let bad = admin(
            &store,
            &[
                "agents",
                "hours",
                &agent_id,
                "--account",
                &account_id,
                "--day",
                "monday",
                "--start",
                "09:00",
            ],
        )
        .await;
        assert!(bad.failure(2).contains("--end"), "{}", bad.stderr);
        let bad = admin(
            &store,
            &[
                "agents",
                "hours",
                &agent_id,
                "--account",
                &account_id,
                "--redirect-number",
                "555",
            ],
        )
        .await;
        assert!(bad.failure(2).contains("--redirect-number"), "{}", bad.stderr);
        let bad = admin(
            &store,
            &[
                "agents",
                "create",
                "--account",
                &account_id,
                "--name",
                "B",
                "--elevenlabs-agent-id",
                "a",
                "--fallback",
                "dial",
            ],
        )
        .await;
        assert!(bad.failure(2).contains("--fallback-number"), "{}", bad.stderr);
        let bad = admin(
            &store,
            &[
                "agents",
                "create",
                "--account",
                &account_id,
                "--name",
                "B",
                "--elevenlabs-agent-id",
                "a",
                "--fallback",
                "pager",
            ],
        )
        .await;
        assert!(bad.failure(2).contains("--fallback:"), "{}", bad.stderr);
        let bad = admin(&store, &["agents", "set", &agent_id, "--account", &account_id]).await;
        assert!(bad.failure(2).contains("nothing to change"), "{}", bad.stderr);
        let bad = admin(&store, &["agents", "list", "--account", "nope"]).await;
        assert!(bad.failure(1).contains("account not found"), "{}", bad.stderr);
    })
    .await;
}
