//! `admin plans list` and `admin plans set`.

use serde_json::json;

use crate::support::{admin, on_each_backend, value_of};

#[tokio::test]
async fn plans_are_listed_and_their_limits_changed() {
    on_each_backend(|store| async move {
        let plans = admin(&store, &["--json", "plans", "list"]).await.json();
        let names: Vec<&str> = plans
            .as_array()
            .expect("the API's plan list: an array")
            .iter()
            .map(|plan| plan["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["business", "free", "pro"]);
        let pro = plans
            .as_array()
            .unwrap()
            .iter()
            .find(|plan| plan["name"] == "pro")
            .unwrap();
        assert_eq!(pro["max_agents"], 2);
        assert_eq!(pro["monthly_minutes"], 60);

        let set = admin(
            &store,
            &[
                "plans",
                "set",
                "pro",
                "--max-agents",
                "3",
                "--monthly-minutes",
                "unlimited",
                "--phone-numbers",
                "false",
                "--max-concurrent-calls",
                "7",
                "--json",
            ],
        )
        .await
        .json();
        assert_eq!(set["name"], "pro");
        assert_eq!(set["max_agents"], 3);
        assert_eq!(
            set["monthly_minutes"],
            json!(null),
            "unlimited is null, as in the API"
        );
        assert_eq!(set["phone_numbers"], false);
        assert_eq!(set["max_concurrent_calls"], 7);

        // Kept in the database: the store reads it back, and one flag changes one limit.
        let plan = store.plan("pro").await.unwrap();
        assert_eq!((plan.max_agents, plan.monthly_minutes), (3, None));
        admin(
            &store,
            &["plans", "set", "pro", "--monthly-minutes", "90", "--json"],
        )
        .await
        .json();
        let plan = store.plan("pro").await.unwrap();
        assert_eq!(
            (plan.max_agents, plan.monthly_minutes, plan.max_concurrent_calls),
            (3, Some(90), 7)
        );

        let table = admin(&store, &["plans", "list"]).await;
        let lines: Vec<&str> = table.text().lines().collect();
        assert!(
            lines[0].starts_with("NAME      MAX AGENTS  MONTHLY MINUTES"),
            "{}",
            table.stdout
        );
        assert!(
            lines.iter().any(|line| line.starts_with("free ")),
            "{}",
            table.stdout
        );
        let shown = admin(&store, &["plans", "set", "business", "--max-agents", "25"]).await;
        assert_eq!(value_of(shown.text(), "max_agents"), "25");
        assert_eq!(value_of(shown.text(), "monthly_minutes"), "unlimited");
    })
    .await;
}
