//! Fresh, empty stores for tests, on SQLite and on PostgreSQL.
//!
//! SQLite: a new file in a new temporary directory, removed afterwards. PostgreSQL: a new
//! database named `switchboard_test_<uuid>` created through the server named by
//! `SWITCHBOARD_TEST_POSTGRES_URL` (any database on it the role can log into, e.g.
//! `postgres://switchboard:switchboard@127.0.0.1:5432/postgres`; the role needs CREATEDB), and
//! dropped afterwards, even when the test panics. Without that variable the PostgreSQL half of a
//! test prints that it was skipped and passes, unless `SWITCHBOARD_REQUIRE_POSTGRES=1`, which
//! turns the skip into a failure (for CI).
//!
//! ```no_run
//! # async fn example() {
//! use switchboard::store::testing;
//! testing::on_each_backend(|store| async move {
//!     store.ping().await.unwrap();
//! })
//! .await;
//! # }
//! ```

use std::future::Future;
use std::ops::Deref;
use std::path::PathBuf;

use sqlx::Connection;
use sqlx::postgres::PgConnection;

use super::connect::{Store, StoreOptions, redact_url};
use super::{
    Account, AccountId, Agent, EventType, FallbackMode, Host, NewAccount, NewAgent, NewEventType, NewHost,
};

pub const POSTGRES_URL_VAR: &str = "SWITCHBOARD_TEST_POSTGRES_URL";
pub const REQUIRE_POSTGRES_VAR: &str = "SWITCHBOARD_REQUIRE_POSTGRES";

/// A store that exists for one test; dropping it deletes its database.
#[derive(Debug)]
pub struct TestStore {
    // Declared first so the pool goes before its database.
    store: Store,
    cleanup: Cleanup,
}

/// Owns a test database; dropping it deletes the database.
enum Cleanup {
    SqliteDir(PathBuf),
    PostgresDatabase {
        server_url: String,
        name: String,
    },
    /// Another store's database, opened again: left to that store.
    Shared {
        url: String,
    },
}

impl Deref for TestStore {
    type Target = Store;

    fn deref(&self) -> &Store {
        &self.store
    }
}

impl TestStore {
    pub fn store(&self) -> Store {
        self.store.clone()
    }

    /// The URL another `Store` can use to open the same database (e.g. to simulate a second
    /// instance, or a restart).
    pub fn url(&self) -> String {
        match &self.cleanup {
            Cleanup::SqliteDir(dir) => sqlite_url(dir),
            Cleanup::PostgresDatabase { server_url, name } => database_url(server_url, name),
            Cleanup::Shared { url } => url.clone(),
        }
    }

    /// A second store on this database, as another instance sharing it opens it; dropping it
    /// leaves the database to this one.
    pub async fn another_instance(&self) -> TestStore {
        let url = self.url();
        match Store::connect_with(&url, test_options()).await {
            Ok(store) => TestStore {
                store,
                cleanup: Cleanup::Shared { url },
            },
            Err(error) => panic!("cannot open the test database again: {error}"),
        }
    }
}

impl std::fmt::Debug for Cleanup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cleanup::SqliteDir(dir) => f.debug_tuple("SqliteDir").field(dir).finish(),
            Cleanup::PostgresDatabase { server_url, name } => f
                .debug_struct("PostgresDatabase")
                .field("server_url", &redact_url(server_url))
                .field("name", name)
                .finish(),
            Cleanup::Shared { url } => f.debug_tuple("Shared").field(&redact_url(url)).finish(),
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        match self {
            Cleanup::SqliteDir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Shared { .. } => {}
            Cleanup::PostgresDatabase { server_url, name } => {
                // Drop runs outside any async context we could borrow (possibly while a test
                // unwinds), so the DROP DATABASE gets a thread and a runtime of its own. FORCE
                // ends the pool's connections, which this store no longer needs.
                let (server_url, database) = (server_url.clone(), name.clone());
                let dropped = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    runtime.block_on(async {
                        let mut admin = PgConnection::connect(&server_url).await?;
                        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
                        )))
                        .execute(&mut admin)
                        .await?;
                        admin.close().await?;
                        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
                    })
                })
                .join();
                if !matches!(dropped, Ok(Ok(()))) {
                    eprintln!("test database {name} was not dropped");
                }
            }
        }
    }
}

fn sqlite_url(dir: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("switchboard.db").display())
}

fn database_url(server_url: &str, name: &str) -> String {
    let mut url = url::Url::parse(server_url).expect("checked when the database was created");
    url.set_path(name);
    url.to_string()
}

/// Takes every connection of the call records' pool and holds them until dropped: the records'
/// writes then wait, as in a burst that keeps the pool busy.
pub async fn hold_record_connections(store: &Store) -> Vec<sqlx::pool::PoolConnection<sqlx::Any>> {
    let records = store.for_records();
    let mut held = Vec::new();
    for _ in 0..records.record_pool_usage().max {
        held.push(records.pool.acquire().await.expect("a record connection"));
    }
    held
}

/// Takes every connection of the main pool and holds them until dropped: whatever the call
/// path asks the database meanwhile waits for a connection, so a test can catch a webhook in
/// the middle of its answer.
pub async fn hold_main_connections(store: &Store) -> Vec<sqlx::pool::PoolConnection<sqlx::Any>> {
    let mut held = Vec::new();
    for _ in 0..store.pool_usage().max {
        held.push(store.pool.acquire().await.expect("a main pool connection"));
    }
    held
}

/// Options for test pools: small, so parallel tests stay under PostgreSQL's connection limit.
pub fn test_options() -> StoreOptions {
    StoreOptions {
        max_connections: 4,
        ..StoreOptions::default()
    }
}

/// A fresh SQLite store in a temporary file.
pub async fn sqlite() -> TestStore {
    sqlite_with(test_options()).await
}

pub async fn sqlite_with(options: StoreOptions) -> TestStore {
    let empty = empty_sqlite();
    match Store::connect_with(&empty.url(), options).await {
        Ok(store) => TestStore {
            store,
            cleanup: empty.cleanup,
        },
        Err(error) => panic!("cannot open a test SQLite store: {error}"),
    }
}

/// A database with no schema yet, deleted when dropped: for migrating it by hand (an upgrade
/// from an older schema).
#[derive(Debug)]
pub struct EmptyDatabase {
    cleanup: Cleanup,
}

impl EmptyDatabase {
    /// The URL to connect to it with (the SQLite file is created on first connection).
    pub fn url(&self) -> String {
        match &self.cleanup {
            Cleanup::SqliteDir(dir) => sqlite_url(dir),
            Cleanup::PostgresDatabase { server_url, name } => database_url(server_url, name),
            Cleanup::Shared { url } => url.clone(),
        }
    }
}

/// A new SQLite database file's place in a new temporary directory.
pub fn empty_sqlite() -> EmptyDatabase {
    let dir = std::env::temp_dir().join(format!("switchboard-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    EmptyDatabase {
        cleanup: Cleanup::SqliteDir(dir),
    }
}

/// A new, empty PostgreSQL database, or `None` (after saying so) when no server is configured.
pub async fn empty_postgres() -> Option<EmptyDatabase> {
    let server_url = postgres_server_url()?;
    let shown = redact_url(&server_url);
    assert!(
        url::Url::parse(&server_url).is_ok(),
        "{POSTGRES_URL_VAR} is not a URL: {shown}"
    );
    let name = format!("switchboard_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&server_url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {shown}: {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("cannot create a test database on {shown}: {e}"));
    let _ = admin.close().await;
    Some(EmptyDatabase {
        cleanup: Cleanup::PostgresDatabase { server_url, name },
    })
}

/// A fresh PostgreSQL store, or `None` (after saying so) when no server is configured.
pub async fn postgres() -> Option<TestStore> {
    postgres_with(test_options()).await
}

/// The configured PostgreSQL server URL; `None` (after saying so) when the variable is unset.
/// Panics instead when `SWITCHBOARD_REQUIRE_POSTGRES=1`.
pub fn postgres_server_url() -> Option<String> {
    let url = std::env::var(POSTGRES_URL_VAR).ok().filter(|url| !url.is_empty());
    if url.is_none() {
        if std::env::var(REQUIRE_POSTGRES_VAR).is_ok_and(|value| value == "1") {
            panic!("{REQUIRE_POSTGRES_VAR}=1 but {POSTGRES_URL_VAR} is not set");
        }
        eprintln!("postgres: skipped ({POSTGRES_URL_VAR} is not set)");
    }
    url
}

pub async fn postgres_with(options: StoreOptions) -> Option<TestStore> {
    // From here on the guard owns the database, so a failure below still drops it.
    let empty = empty_postgres().await?;
    match Store::connect_with(&empty.url(), options).await {
        Ok(store) => Some(TestStore {
            store,
            cleanup: empty.cleanup,
        }),
        Err(error) => panic!("cannot open the test database: {error}"),
    }
}

/// Runs `scenario` on a fresh SQLite store, then on a fresh PostgreSQL store when one is
/// configured. The backend is printed first, so a failure's captured output says which.
pub async fn on_each_backend<F, Fut>(scenario: F)
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    on_each_backend_with(test_options(), scenario).await;
}

pub async fn on_each_backend_with<F, Fut>(options: StoreOptions, scenario: F)
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    {
        let sqlite = sqlite_with(options.clone()).await;
        eprintln!("backend: sqlite");
        scenario(sqlite.store()).await;
    }
    if let Some(postgres) = postgres_with(options).await {
        eprintln!("backend: postgres");
        scenario(postgres.store()).await;
    }
}

/// A phone number no other test uses (agents' numbers are unique across all accounts).
pub fn unique_phone_number() -> String {
    use rand::Rng;
    format!("+1555{:07}", rand::rng().random_range(0..10_000_000u32))
}

/// A small business: one account with one host (Europe/Berlin), a 30-minute event type
/// `intro-call` of that host, and one agent on a fresh phone number.
#[derive(Debug, Clone)]
pub struct Business {
    pub account: Account,
    pub host: Host,
    pub event_type: EventType,
    pub agent: Agent,
}

pub async fn seed_business(store: &Store) -> Business {
    let account = store
        .create_account(NewAccount {
            name: "Praxis Adler".into(),
            plan: "pro".into(),
        })
        .await
        .expect("seed account");
    let host = store
        .create_host(
            &account.id,
            NewHost {
                name: "Dr. Adler".into(),
                email: None,
                timezone: "Europe/Berlin".into(),
            },
        )
        .await
        .expect("seed host");
    let event_type = store
        .create_event_type(
            &account.id,
            NewEventType {
                host_id: host.id.clone(),
                slug: "intro-call".into(),
                name: "Intro call".into(),
                description: "A first conversation.".into(),
                duration_min: 30,
                buffer_before_min: 5,
                buffer_after_min: 10,
                min_notice_min: 120,
                slot_interval_min: Some(15),
                max_days_ahead: 60,
                per_day_limit: None,
                active: true,
                secret: false,
            },
        )
        .await
        .expect("seed event type");
    let agent = store
        .create_agent(
            &account.id,
            NewAgent {
                name: "Reception".into(),
                phone_number: Some(unique_phone_number()),
                elevenlabs_agent_id: "agent_seed".into(),
                timezone: "Europe/Berlin".into(),
                first_message: None,
                fallback_mode: FallbackMode::Voicemail,
                fallback_number: None,
                ..NewAgent::default()
            },
        )
        .await
        .expect("seed agent");
    Business {
        account,
        host,
        event_type,
        agent,
    }
}

/// A second account, for checking that one account's rows stay out of another's reach.
pub async fn other_account(store: &Store) -> Account {
    store
        .create_account(NewAccount {
            name: "Someone else".into(),
            plan: "free".into(),
        })
        .await
        .expect("another account")
}

/// Another host (in UTC, no hours) of `account_id`.
pub async fn another_host(store: &Store, account_id: &AccountId) -> Host {
    store
        .create_host(
            account_id,
            NewHost {
                name: "Second host".into(),
                email: None,
                timezone: "UTC".into(),
            },
        )
        .await
        .expect("another host")
}

/// An active, public 30-minute event type as the store returns one, built in memory, for tests
/// of code that only reads it (no row is written).
pub fn event_type(slug: &str, name: &str) -> EventType {
    EventType {
        id: slug.into(),
        account_id: "account".into(),
        host_id: "host".into(),
        slug: slug.into(),
        name: name.into(),
        description: String::new(),
        duration_min: 30,
        buffer_before_min: 0,
        buffer_after_min: 0,
        min_notice_min: 0,
        slot_interval_min: None,
        max_days_ahead: 30,
        per_day_limit: None,
        active: true,
        secret: false,
        created_at: jiff::Timestamp::UNIX_EPOCH,
    }
}
