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

use super::backend::Backend;
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
    (
        7,
        "agent profile",
        include_str!("../../migrations/0007_agent_profile.sql"),
    ),
    (
        8,
        "agent active hours",
        include_str!("../../migrations/0008_agent_active_hours.sql"),
    ),
    (10, "records", include_str!("../../migrations/0010_records.sql")),
    (
        11,
        "account reception",
        include_str!("../../migrations/0011_account_reception.sql"),
    ),
    (
        12,
        "stream token redemptions",
        include_str!("../../migrations/0012_stream_token_redemptions.sql"),
    ),
    (
        14,
        "one transfer per call",
        include_str!("../../migrations/0014_one_transfer_per_call.sql"),
    ),
    (
        15,
        "number menus",
        include_str!("../../migrations/0015_number_menus.sql"),
    ),
    (
        16,
        "call consent",
        include_str!("../../migrations/0016_call_consent.sql"),
    ),
    (
        17,
        "call routing",
        include_str!("../../migrations/0017_call_routing.sql"),
    ),
    (
        18,
        "elevenlabs tools",
        include_str!("../../migrations/0018_elevenlabs_tools.sql"),
    ),
    (
        20,
        "agent numbers",
        include_str!("../../migrations/0020_agent_numbers.sql"),
    ),
    (
        21,
        "number holds",
        include_str!("../../migrations/0021_number_holds.sql"),
    ),
    (
        22,
        "provisioning runs",
        include_str!("../../migrations/0022_provisioning_runs.sql"),
    ),
    (
        23,
        "call outcome",
        include_str!("../../migrations/0023_call_outcome.sql"),
    ),
    (
        24,
        "call transcripts",
        include_str!("../../migrations/0024_call_transcripts.sql"),
    ),
    (
        25,
        "transcript settings",
        include_str!("../../migrations/0025_transcript_settings.sql"),
    ),
    (
        26,
        "post-call analyses",
        include_str!("../../migrations/0026_post_call_analyses.sql"),
    ),
    (
        27,
        "elevenlabs webhooks",
        include_str!("../../migrations/0027_elevenlabs_webhooks.sql"),
    ),
    (
        28,
        "call recordings",
        include_str!("../../migrations/0028_call_recordings.sql"),
    ),
    (
        29,
        "recording retention",
        include_str!("../../migrations/0029_recording_retention.sql"),
    ),
    (
        30,
        "sms templates",
        include_str!("../../migrations/0030_sms_templates.sql"),
    ),
    (
        31,
        "sms outbox",
        include_str!("../../migrations/0031_sms_outbox.sql"),
    ),
    (
        32,
        "sms opt outs",
        include_str!("../../migrations/0032_sms_opt_outs.sql"),
    ),
    (
        33,
        "post call fetches",
        include_str!("../../migrations/0033_post_call_fetches.sql"),
    ),
    (
        34,
        "elevenlabs call audio",
        include_str!("../../migrations/0034_elevenlabs_call_audio.sql"),
    ),
    (
        35,
        "number sms hooks",
        include_str!("../../migrations/0035_number_sms_hooks.sql"),
    ),
    (
        36,
        "webhook endpoints",
        include_str!("../../migrations/0036_webhook_endpoints.sql"),
    ),
    (
        37,
        "webhook deliveries",
        include_str!("../../migrations/0037_webhook_deliveries.sql"),
    ),
    (
        38,
        "host feeds",
        include_str!("../../migrations/0038_host_feeds.sql"),
    ),
    (
        39,
        "calendar sources",
        include_str!("../../migrations/0039_calendar_sources.sql"),
    ),
    (
        40,
        "calendar busy",
        include_str!("../../migrations/0040_calendar_busy.sql"),
    ),
    (
        41,
        "calendar writes",
        include_str!("../../migrations/0041_calendar_writes.sql"),
    ),
    (
        42,
        "email templates",
        include_str!("../../migrations/0042_email_templates.sql"),
    ),
    (
        43,
        "email outbox",
        include_str!("../../migrations/0043_email_outbox.sql"),
    ),
    (
        44,
        "email settings",
        include_str!("../../migrations/0044_email_settings.sql"),
    ),
];

/// (version, SQL) of the migrations whose SQLite text differs from the portable one in
/// `MIGRATIONS`: what PostgreSQL does with one `ALTER TABLE` (dropping a NOT NULL), SQLite
/// does by rebuilding the table. A database is one backend all its life, so each records the
/// checksum of its own text.
const SQLITE_MIGRATIONS: &[(i64, &str)] = &[
    (7, include_str!("../../migrations/0007_agent_profile.sqlite.sql")),
    (17, include_str!("../../migrations/0017_call_routing.sqlite.sql")),
    (
        28,
        include_str!("../../migrations/0028_call_recordings.sqlite.sql"),
    ),
    (
        34,
        include_str!("../../migrations/0034_elevenlabs_call_audio.sqlite.sql"),
    ),
];

fn migrator(backend: Backend) -> Migrator {
    migrator_with(backend, |_, sql| sql)
}

/// The migrations for `backend`, each one's SQL as `sql_of(version, its SQL)` gives it.
fn migrator_with(backend: Backend, sql_of: impl Fn(i64, &'static str) -> &'static str) -> Migrator {
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|&(version, description, sql)| {
                let sql = sql_of(version, sql_for(backend, version, sql));
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

/// The SQL of migration `version` on `backend`: its SQLite text where it has one.
fn sql_for(backend: Backend, version: i64, portable: &'static str) -> &'static str {
    match backend {
        Backend::Sqlite => SQLITE_MIGRATIONS
            .iter()
            .find(|&&(v, _)| v == version)
            .map_or(portable, |&(_, sql)| sql),
        Backend::Postgres => portable,
    }
}

pub(crate) async fn run(pool: &AnyPool, backend: Backend) -> StoreResult<()> {
    migrator(backend).run(pool).await?;
    Ok(())
}

/// The newest schema version this build knows.
pub fn latest_version() -> i64 {
    MIGRATIONS
        .iter()
        .map(|&(version, _, _)| version)
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{AgentId, NewAgent, Store, StoreError, testing};

    /// The migrations before `version`, as a database made by an older build has them.
    fn migrator_before(backend: Backend, version: i64) -> Migrator {
        let mut migrator = migrator(backend);
        migrator.migrations = Cow::Owned(
            migrator
                .migrations
                .iter()
                .filter(|migration| migration.version < version)
                .cloned()
                .collect(),
        );
        migrator
    }

    /// Rows as a build before the agent profile wrote them: an account, a host, two event
    /// types, an agent linked to both, and a call it answered.
    const OLD_ROWS: &[&str] = &[
        "INSERT INTO accounts (id, name, plan, created_at) VALUES ('acc', 'Harbor', 'pro', 1000)",
        "INSERT INTO hosts (id, account_id, name, timezone, created_at) VALUES ('host', 'acc', 'Dr. A', 'UTC', 1000)",
        "INSERT INTO event_types (id, account_id, host_id, slug, name, description, duration_min, \
         buffer_before_min, buffer_after_min, min_notice_min, max_days_ahead, active, secret, created_at) \
         VALUES ('et1', 'acc', 'host', 'cleaning', 'Cleaning', '', 30, 0, 0, 0, 30, 1, 0, 1000), \
                ('et2', 'acc', 'host', 'checkup', 'Checkup', '', 30, 0, 0, 0, 30, 1, 0, 1000)",
        "INSERT INTO agents (id, account_id, name, phone_number, elevenlabs_agent_id, timezone, \
         first_message, fallback_mode, fallback_number, created_at) \
         VALUES ('agent', 'acc', 'Ava', '+15550100001', 'el_1', 'Europe/Berlin', 'Hello!', 'dial', \
                 '+15550100002', 1234)",
        "INSERT INTO agent_event_types (account_id, agent_id, event_type_id) VALUES ('acc', 'agent', 'et1'), \
         ('acc', 'agent', 'et2')",
        "INSERT INTO calls (id, account_id, agent_id, call_sid, direction, from_number, to_number, started_at) \
         VALUES ('call', 'acc', 'agent', 'CA1', 'inbound', '+4930123456', '+15550100001', 2000)",
    ];

    #[tokio::test]
    async fn an_agent_with_links_and_calls_survives_the_agent_profile_upgrade() {
        sqlx::any::install_default_drivers();
        for database in [Some(testing::empty_sqlite()), testing::empty_postgres().await]
            .into_iter()
            .flatten()
        {
            let url = database.url();
            let backend = if url.starts_with("sqlite") {
                Backend::Sqlite
            } else {
                Backend::Postgres
            };
            eprintln!("backend: {backend:?}");
            let pool = AnyPool::connect(&url).await.unwrap();
            migrator_before(backend, 7).run(&pool).await.unwrap();
            for statement in OLD_ROWS {
                sqlx::query(*statement).execute(&pool).await.unwrap();
            }
            migrator(backend).run(&pool).await.unwrap();
            pool.close().await;

            let store = Store::connect_with(&url, testing::test_options()).await.unwrap();
            let account = "acc".into();
            let agent = store.agent(&account, &AgentId::from("agent")).await.unwrap();
            assert_eq!(agent.phone_number.as_deref(), Some("+15550100001"));
            assert_eq!(agent.first_message.as_deref(), Some("Hello!"));
            assert_eq!(agent.fallback_number.as_deref(), Some("+15550100002"));
            assert_eq!(
                (agent.language.as_str(), agent.active, agent.deleted_at),
                ("en", true, None)
            );
            assert_eq!(
                agent.updated_at, agent.created_at,
                "updated_at starts at the creation"
            );
            let linked = store.linked_event_types(&account, &agent.id).await.unwrap();
            assert_eq!(
                linked.iter().map(|e| e.slug.as_str()).collect::<Vec<_>>(),
                ["checkup", "cleaning"],
                "the links are kept"
            );
            let call = store.call_by_sid("CA1").await.unwrap().expect("the call is kept");
            assert_eq!(call.agent_id, agent.id);
            let found = store.agent_by_phone_number("+15550100001").await.unwrap();
            assert_eq!(found.map(|a| a.id), Some(agent.id.clone()));

            // The number stays unique; agents without one are as many as wanted.
            let taken = store
                .create_agent(
                    &account,
                    NewAgent {
                        name: "Copy".into(),
                        phone_number: Some("+15550100001".into()),
                        elevenlabs_agent_id: "el_2".into(),
                        ..NewAgent::default()
                    },
                )
                .await;
            assert!(matches!(taken, Err(StoreError::Conflict { .. })), "{taken:?}");
            for name in ["Web one", "Web two"] {
                let web = NewAgent {
                    name: name.into(),
                    elevenlabs_agent_id: "el_web".into(),
                    ..NewAgent::default()
                };
                store.create_agent(&account, web).await.unwrap();
            }
            // Rows that break the rules are still refused after the rebuild.
            let orphan = sqlx::query(
                "INSERT INTO agent_event_types (account_id, agent_id, event_type_id) VALUES ('acc', 'nobody', 'et1')",
            )
            .execute(&store.pool)
            .await;
            assert!(orphan.is_err(), "the links' reference to agents still holds");
            store.close().await;
        }
    }

    #[tokio::test]
    async fn an_agents_active_hours_survive_the_call_routing_upgrade_and_may_transfer() {
        sqlx::any::install_default_drivers();
        for database in [Some(testing::empty_sqlite()), testing::empty_postgres().await]
            .into_iter()
            .flatten()
        {
            let url = database.url();
            let backend = if url.starts_with("sqlite") {
                Backend::Sqlite
            } else {
                Backend::Postgres
            };
            eprintln!("backend: {backend:?}");
            let pool = AnyPool::connect(&url).await.unwrap();
            migrator_before(backend, 17).run(&pool).await.unwrap();
            for statement in [
                "INSERT INTO accounts (id, name, plan, created_at) VALUES ('acc', 'Harbor', 'pro', 1000)",
                "INSERT INTO agents (id, account_id, name, phone_number, elevenlabs_agent_id, timezone, \
                 fallback_mode, created_at, updated_at) \
                 VALUES ('agent', 'acc', 'Ava', '+15550100001', 'el_1', 'Europe/Berlin', 'voicemail', 1234, 1234)",
                "INSERT INTO agent_active_hours (account_id, agent_id, enabled, after_hours_behavior, \
                 after_hours_message, redirect_number, updated_at) \
                 VALUES ('acc', 'agent', 1, 'redirect', 'Closed.', '+15550100003', 5000)",
                "INSERT INTO agent_active_ranges (agent_id, weekday, start_minute, end_minute) \
                 VALUES ('agent', 1, 540, 1020), ('agent', 5, 1320, 120)",
            ] {
                sqlx::query(statement).execute(&pool).await.unwrap();
            }
            migrator(backend).run(&pool).await.unwrap();
            pool.close().await;

            let store = Store::connect_with(&url, testing::test_options()).await.unwrap();
            let (account, agent) = ("acc".into(), AgentId::from("agent"));
            let kept = store.agent_hours(&account, &agent).await.unwrap().expect("kept");
            assert_eq!(kept.after_hours, crate::store::AfterHoursMode::Redirect);
            assert_eq!(kept.after_hours_message.as_deref(), Some("Closed."));
            assert_eq!(kept.redirect_number.as_deref(), Some("+15550100003"));
            assert_eq!(kept.schedule.len(), 2, "the ranges are kept");
            let mut transfer = kept.clone();
            transfer.after_hours = crate::store::AfterHoursMode::Transfer;
            transfer.redirect_number = None;
            store
                .set_agent_hours(&account, &agent, transfer, None)
                .await
                .unwrap();
            let read = store.agent_hours(&account, &agent).await.unwrap().unwrap();
            assert_eq!(read.after_hours, crate::store::AfterHoursMode::Transfer);
            assert_eq!(read.schedule, kept.schedule);
            let unknown = sqlx::query("UPDATE agent_active_hours SET after_hours_behavior = 'hang_up'")
                .execute(&store.pool)
                .await;
            assert!(unknown.is_err(), "the behaviors are still checked");
            store.close().await;
        }
    }

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
            run(&again.pool, again.backend()).await.unwrap();
            let versions: Vec<i64> =
                sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
                    .fetch_all(&again.pool)
                    .await
                    .unwrap();
            let known: Vec<i64> = MIGRATIONS.iter().map(|&(version, _, _)| version).collect();
            let known = {
                let mut known = known;
                known.sort();
                known
            };
            assert_eq!(versions, known);
            again.close().await;
        }
    }

    #[tokio::test]
    async fn an_edited_applied_migration_is_refused() {
        let test_store = testing::sqlite().await;
        // Every migration as applied, but the first one edited.
        let edited = migrator_with(Backend::Sqlite, |version, sql| match version {
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
