//! The embedded schema migrations, applied at every start.
//!
//! The SQL files in migrations/ are compiled into the binary, so a fresh machine needs nothing
//! but the executable. sqlx's migrator records each applied version (with a checksum) in
//! `_sqlx_migrations`, so applying them again is a no-op, and an edited, already-applied file is
//! refused rather than silently diverging. On PostgreSQL it also takes an advisory lock, so
//! several instances starting at once migrate one after another.

use std::borrow::Cow;

use sqlx::AnyPool;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use super::error::StoreResult;

/// (version, description, SQL). Append only: an applied migration is never edited.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../../migrations/0001_init.sql")),
    (
        2,
        "call progress",
        include_str!("../../migrations/0002_call_progress.sql"),
    ),
    (3, "health", include_str!("../../migrations/0003_health.sql")),
    (4, "plans", include_str!("../../migrations/0004_plans.sql")),
    (5, "api keys", include_str!("../../migrations/0005_api_keys.sql")),
    (
        6,
        "idempotency keys",
        include_str!("../../migrations/0006_idempotency_keys.sql"),
    ),
    (10, "records", include_str!("../../migrations/0010_records.sql")),
];

fn migrator() -> Migrator {
    migrator_with(|_, sql| sql)
}

/// The migrations, each one's SQL as `sql_of(version, its SQL)` gives it.
fn migrator_with(sql_of: impl Fn(i64, &'static str) -> &'static str) -> Migrator {
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|&(version, description, sql)| {
                let sql = sql_of(version, sql);
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    sqlx::AssertSqlSafe(sql).into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

pub(crate) async fn run(pool: &AnyPool) -> StoreResult<()> {
    migrator().run(pool).await?;
    Ok(())
}

/// The newest schema version this build knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |&(version, _, _)| version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, testing};

    #[tokio::test]
    async fn migrations_are_recorded_once_and_rerunning_them_is_a_no_op() {
        for test_store in [Some(testing::sqlite().await), testing::postgres().await]
            .into_iter()
            .flatten()
        {
            // A second start against the same database: a restart, or another instance.
            let again = Store::connect_with(&test_store.url(), testing::test_options())
                .await
                .unwrap();
            run(&again.pool).await.unwrap();
            let versions: Vec<i64> =
                sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
                    .fetch_all(&again.pool)
                    .await
                    .unwrap();
            let known: Vec<i64> = MIGRATIONS.iter().map(|&(version, _, _)| version).collect();
            assert_eq!(versions, known);
            again.close().await;
        }
    }

    #[tokio::test]
    async fn an_edited_applied_migration_is_refused() {
        let test_store = testing::sqlite().await;
        // Every migration as applied, but the first one edited.
        let edited = migrator_with(|version, sql| match version {
            1 => "CREATE TABLE something_else (id TEXT)",
            _ => sql,
        });
        let refused = edited.run(&test_store.pool).await.unwrap_err();
        assert!(
            matches!(refused, sqlx::migrate::MigrateError::VersionMismatch(1)),
            "{refused}"
        );
    }
}
