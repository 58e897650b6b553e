//! Checks that the queries on the call path and the booking path are answered from an index,
//! on both backends, by asking each database for its plan.

use sqlx::Row;

use super::Backend;
use super::testing::{on_each_backend, seed_business};

/// The database's plan for `sql` (with text arguments), one line per plan row.
async fn plan(store: &super::Store, sql: &str, args: &[&str]) -> String {
    let mut conn = store.pool.acquire().await.unwrap();
    let (explain, column) = match store.backend() {
        Backend::Sqlite => ("EXPLAIN QUERY PLAN ", "detail"),
        Backend::Postgres => {
            // The test tables are tiny, where a sequential scan is cheapest; forbid it to see
            // whether an index can answer at all.
            sqlx::raw_sql("SET enable_seqscan = off")
                .execute(&mut *conn)
                .await
                .unwrap();
            ("EXPLAIN ", "QUERY PLAN")
        }
    };
    let text = format!("{explain}{sql}");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(text));
    for arg in args {
        query = query.bind(*arg);
    }
    let rows = query.fetch_all(&mut *conn).await.unwrap();
    let lines: Vec<String> = rows.iter().map(|row| row.get::<String, _>(column)).collect();
    // Not back into the pool with the planner setting changed.
    conn.close().await.unwrap();
    lines.join("\n")
}

/// An index search, no full scan. SQLite says "SEARCH t USING [COVERING] INDEX i" or "SCAN t";
/// PostgreSQL says "Index [Only] Scan using i" or "Seq Scan".
fn assert_indexed(plan: &str) {
    let indexed =
        plan.contains("USING INDEX") || plan.contains("USING COVERING INDEX") || plan.contains("Index");
    let scans = plan
        .lines()
        .any(|line| line.trim_start().starts_with("SCAN ") || line.contains("Seq Scan"));
    assert!(indexed && !scans, "not an index search:\n{plan}");
}

fn assert_uses_index(plan: &str, index: &str) {
    assert_indexed(plan);
    assert!(plan.contains(index), "plan does not use {index}:\n{plan}");
}

#[tokio::test]
async fn agent_by_phone_number_is_one_unique_index_probe() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let sql = "SELECT id FROM agents WHERE phone_number = $1 AND deleted_at IS NULL";
        let number = business
            .agent
            .phone_number
            .clone()
            .expect("the seeded agent has a number");
        assert_uses_index(&plan(&store, sql, &[&number]).await, "agents_phone_number_key");
    })
    .await;
}

#[tokio::test]
async fn call_lookups_and_the_agent_reference_check_use_indexes() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let by_sid = plan(&store, "SELECT id FROM calls WHERE call_sid = $1", &["CA1"]).await;
        assert_uses_index(&by_sid, "calls_call_sid_key");
        // What inserting a call checks its (account_id, agent_id) reference against.
        let reference = plan(
            &store,
            "SELECT id FROM agents WHERE account_id = $1 AND id = $2",
            &[business.account.id.as_str(), business.agent.id.as_str()],
        )
        .await;
        assert_indexed(&reference);
    })
    .await;
}

#[tokio::test]
async fn the_lost_calls_sweep_reads_only_the_open_calls_index() {
    on_each_backend(|store| async move {
        let sql = "SELECT id FROM calls WHERE ended_at IS NULL AND started_at < 100 \
                   AND COALESCE(progress_at, started_at) < 100";
        // Either partial index of the open calls will do (on a tiny table PostgreSQL may take
        // the per-account one, `calls_live_idx`): neither reads an ended call.
        let sweep = plan(&store, sql, &[]).await;
        assert_indexed(&sweep);
        assert!(
            sweep.contains("calls_open_idx") || sweep.contains("calls_live_idx"),
            "not an index of the open calls:\n{sweep}"
        );
    })
    .await;
}

#[tokio::test]
async fn an_accounts_live_calls_are_counted_from_the_open_calls_of_that_account() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let sql = "SELECT COUNT(*) AS live FROM calls WHERE account_id = $1 AND ended_at IS NULL \
                   AND COALESCE(progress_at, started_at) >= 100";
        let live = plan(&store, sql, &[business.account.id.as_str()]).await;
        assert_uses_index(&live, "calls_live_idx");
    })
    .await;
}

#[tokio::test]
async fn a_hosts_bookings_in_a_window_come_from_the_partial_end_index() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let sql = "SELECT id FROM bookings WHERE account_id = $1 AND host_id = $2 AND status = 'confirmed' \
                   AND end_at > 0 AND start_at < 100";
        let window = plan(
            &store,
            sql,
            &[business.account.id.as_str(), business.host.id.as_str()],
        )
        .await;
        assert_uses_index(&window, "bookings_host_end_idx");
    })
    .await;
}

/// An index search that also gives the order: no sort step (SQLite's "USE TEMP B-TREE FOR
/// ORDER BY", PostgreSQL's "Sort"), through `index` (SQLite calls a UNIQUE constraint's index
/// `sqlite_autoindex_<table>_<n>`).
fn assert_ordered_by(plan: &str, index: &str) {
    assert_indexed(plan);
    let table = index.split('_').next().unwrap_or_default();
    assert!(
        plan.contains(index) || plan.contains(&format!("sqlite_autoindex_{table}_")),
        "plan does not use {index}:\n{plan}"
    );
    let sorts = plan
        .lines()
        .any(|line| line.contains("TEMP B-TREE FOR ORDER BY") || line.trim_start().starts_with("Sort"));
    assert!(!sorts, "the index does not give the order:\n{plan}");
}

#[tokio::test]
async fn list_pages_walk_an_accounts_index_newest_first_without_sorting() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = business.account.id.as_str();
        let last_seen = "01a22b96-64ad-706b-a071-fc60eeddaf50";
        for (table, index) in [
            ("calls", "calls_account_id_idx"),
            ("bookings", "bookings_account_id_id_key"),
            ("contacts", "contacts_account_id_id_key"),
        ] {
            let sql =
                format!("SELECT id FROM {table} WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT 51");
            assert_ordered_by(&plan(&store, &sql, &[account, last_seen]).await, index);
        }
        let activities = "SELECT id FROM activities WHERE account_id = $1 AND contact_id = $2 AND id < $3 \
                          ORDER BY id DESC LIMIT 51";
        assert_ordered_by(
            &plan(&store, activities, &[account, "contact", last_seen]).await,
            "activities_contact_id_idx",
        );
    })
    .await;
}

#[tokio::test]
async fn the_agents_page_walks_the_accounts_agents_oldest_first_without_sorting() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let sql = "SELECT id FROM agents WHERE account_id = $1 AND deleted_at IS NULL AND id > $2 \
                   ORDER BY id LIMIT 51";
        let plan = plan(&store, sql, &[business.account.id.as_str(), ""]).await;
        assert_ordered_by(&plan, "agents_account_id_id_key");
    })
    .await;
}

#[tokio::test]
async fn a_calls_timeline_and_a_periods_usage_use_their_indexes() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = business.account.id.as_str();
        let events = "SELECT kind, at, detail FROM call_events WHERE call_id = $1 AND account_id = $2 \
                      ORDER BY at, id";
        assert_uses_index(
            &plan(&store, events, &["call", account]).await,
            "call_events_call_idx",
        );
        // Either of the account's indexes answers; on empty test tables PostgreSQL rates them alike.
        let usage =
            "SELECT COUNT(*) FROM calls WHERE account_id = $1 AND started_at >= 0 AND started_at < 100";
        assert_indexed(&plan(&store, usage, &[account]).await);
    })
    .await;
}
