//! `admin hosts`, `admin hours` and `admin event-types`, for one account.

use serde_json::{Value, json};

use switchboard::store::testing::TestStore;

use crate::support::{Run, admin, on_each_backend, text_at};

/// `admin <args> --account <account> --json`.
async fn run(store: &TestStore, account: &str, args: &[&str]) -> Run {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--account", account, "--json"]);
    admin(store, &all).await
}

#[tokio::test]
async fn hosts_their_hours_and_event_types_are_managed_from_the_command_line() {
    on_each_backend(|store| async move {
        let made = admin(
            &store,
            &["accounts", "create", "--name", "Harbor Dental", "--json"],
        )
        .await
        .json();
        let account_id = text_at(&made, "/account/id");
        // Hosts.
        let host = run(
            &store,
            &account_id,
            &[
                "hosts",
                "create",
                "--name",
                "Dr. Lee",
                "--timezone",
                "Europe/Berlin",
                "--email",
                "lee@example.com",
            ],
        )
        .await
        .json();
        let host_id = text_at(&host, "/id");
        assert_eq!(host["email"], "lee@example.com");
        let listed = run(&store, &account_id, &["hosts", "list"]).await.json();
        assert_eq!(listed["data"][0], host);
        assert_eq!(
            run(&store, &account_id, &["hosts", "show", &host_id])
                .await
                .json(),
            host
        );
        let changed = run(
            &store,
            &account_id,
            &["hosts", "set", &host_id, "--email", "", "--name", "Dr. Lee-Park"],
        )
        .await
        .json();
        assert_eq!(changed["email"], Value::Null, "an empty value clears");
        assert_eq!(changed["name"], "Dr. Lee-Park");
        let bad = run(
            &store,
            &account_id,
            &["hosts", "create", "--name", "X", "--timezone", "CET"],
        )
        .await;
        assert!(bad.failure(2).contains("--timezone"), "{}", bad.stderr);

        // Weekly hours, date overrides and blackout dates.
        let week = run(
            &store,
            &account_id,
            &[
                "hours", "set", &host_id, "--day", "monday", "--start", "09:00", "--end", "12:00", "--day",
                "monday", "--start", "13:00", "--end", "17:00",
            ],
        )
        .await
        .json();
        let expected = json!({"ranges": [
            {"day": "monday", "start": "09:00", "end": "12:00"},
            {"day": "monday", "start": "13:00", "end": "17:00"}
        ]});
        assert_eq!(week, expected);
        assert_eq!(
            run(&store, &account_id, &["hours", "show", &host_id])
                .await
                .json(),
            expected
        );
        let overlap = run(
            &store,
            &account_id,
            &[
                "hours", "set", &host_id, "--day", "monday", "--start", "09:00", "--end", "12:00", "--day",
                "monday", "--start", "11:00", "--end", "17:00",
            ],
        )
        .await;
        assert!(overlap.failure(2).contains("(range 2)"), "{}", overlap.stderr);
        let closed = run(&store, &account_id, &["hours", "set", &host_id, "--closed"])
            .await
            .json();
        assert_eq!(closed, json!({"ranges": []}));

        let day = run(
            &store,
            &account_id,
            &[
                "hours",
                "override",
                &host_id,
                "--date",
                "2030-12-24",
                "--start",
                "09:00",
                "--end",
                "12:00",
            ],
        )
        .await
        .json();
        assert_eq!(
            day,
            json!({"date": "2030-12-24", "closed": false, "ranges": [{"start": "09:00", "end": "12:00"}]})
        );
        let shut = run(
            &store,
            &account_id,
            &["hours", "override", &host_id, "--date", "2030-12-31", "--closed"],
        )
        .await
        .json();
        assert_eq!(shut["closed"], true);
        let days = run(
            &store,
            &account_id,
            &["hours", "overrides", &host_id, "--from", "2030-12-01"],
        )
        .await
        .json();
        let dates: Vec<&str> = days["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["date"].as_str().unwrap())
            .collect();
        assert_eq!(dates, ["2030-12-24", "2030-12-31"]);
        assert_eq!(days["next_cursor"], Value::Null);
        let removed = run(
            &store,
            &account_id,
            &["hours", "override", &host_id, "--date", "2030-12-31", "--remove"],
        )
        .await
        .json();
        assert_eq!(removed, json!({"id": "2030-12-31", "deleted": true}));
        let bad = run(
            &store,
            &account_id,
            &["hours", "override", &host_id, "--date", "2030-02-30", "--closed"],
        )
        .await;
        assert!(bad.failure(2).contains("--date"), "{}", bad.stderr);

        let blackout = run(
            &store,
            &account_id,
            &[
                "hours",
                "blackout",
                &host_id,
                "--date",
                "2030-08-01",
                "--reason",
                "Holiday",
            ],
        )
        .await
        .json();
        assert_eq!(blackout, json!({"date": "2030-08-01", "reason": "Holiday"}));
        let blackouts = run(&store, &account_id, &["hours", "blackouts", &host_id])
            .await
            .json();
        assert_eq!(blackouts, json!({"data": [blackout], "next_cursor": null}));
        run(
            &store,
            &account_id,
            &["hours", "blackout", &host_id, "--date", "2030-08-01", "--remove"],
        )
        .await
        .json();
        assert_eq!(
            run(&store, &account_id, &["hours", "blackouts", &host_id])
                .await
                .json()["data"],
            json!([])
        );

        // Event types.
        let event_type = run(
            &store,
            &account_id,
            &[
                "event-types",
                "create",
                "--host-id",
                &host_id,
                "--slug",
                "cleaning",
                "--name",
                "Cleaning",
                "--duration-minutes",
                "45",
                "--buffer-after-minutes",
                "15",
                "--per-day-limit",
                "4",
            ],
        )
        .await
        .json();
        let event_type_id = text_at(&event_type, "/id");
        assert_eq!(event_type["duration_minutes"], 45);
        assert_eq!(event_type["per_day_limit"], 4);
        assert_eq!(event_type["slot_interval_minutes"], Value::Null);
        assert_eq!(
            run(&store, &account_id, &["event-types", "show", &event_type_id])
                .await
                .json(),
            event_type
        );
        assert_eq!(
            run(&store, &account_id, &["event-types", "list"]).await.json()["data"][0],
            event_type
        );
        let changed = run(
            &store,
            &account_id,
            &[
                "event-types",
                "set",
                &event_type_id,
                "--per-day-limit",
                "none",
                "--secret",
                "true",
            ],
        )
        .await
        .json();
        assert_eq!(changed["per_day_limit"], Value::Null, "none clears the limit");
        assert_eq!(changed["secret"], true);
        let taken = run(
            &store,
            &account_id,
            &[
                "event-types",
                "create",
                "--host-id",
                &host_id,
                "--slug",
                "cleaning",
                "--name",
                "Again",
                "--duration-minutes",
                "30",
            ],
        )
        .await;
        assert!(taken.failure(1).contains("slug"), "{}", taken.stderr);
        let bad = run(
            &store,
            &account_id,
            &[
                "event-types",
                "create",
                "--host-id",
                &host_id,
                "--slug",
                "x",
                "--name",
                "X",
                "--duration-minutes",
                "0",
            ],
        )
        .await;
        assert!(bad.failure(2).contains("--duration-minutes"), "{}", bad.stderr);

        // A host in use is kept; once free, deleted.
        let refused = run(&store, &account_id, &["hosts", "delete", &host_id]).await;
        assert_eq!(refused.code, 1, "{}", refused.stderr);
        let deleted = run(&store, &account_id, &["event-types", "delete", &event_type_id])
            .await
            .json();
        assert_eq!(deleted, json!({"id": event_type_id, "deleted": true}));
        run(&store, &account_id, &["hosts", "delete", &host_id])
            .await
            .json();
        let gone = run(&store, &account_id, &["hosts", "show", &host_id]).await;
        assert!(gone.failure(1).contains("not found"), "{}", gone.stderr);
    })
    .await;
}
