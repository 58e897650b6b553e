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
    /// Another store's database (its URL), which that store deletes.
    Shared(String),
}

impl Drop for TestStore {
    /// The pools close before the database goes. Clones of the store may still be held by
    /// tasks of the test's runtime (a server, a worker); if they could still connect, a
    /// connection half way through its authentication when the runtime's only thread blocks
    /// on the DROP DATABASE below would hold the drop, which waits for every backend to
    /// acknowledge it, until PostgreSQL's `authentication_timeout` (a minute) ends it.
    fn drop(&mut self) {
        self.store.close_now();
    }
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
        self.cleanup.url()
    }

    /// A second store on this one's database, as another instance opens it; the database is
    /// still deleted when this one is dropped, so this one must outlive it.
    pub async fn another_instance(&self) -> TestStore {
        let url = self.url();
        match Store::connect_with(&url, test_options()).await {
            Ok(store) => TestStore {
                store,
                cleanup: Cleanup::Shared(url),
            },
            Err(error) => panic!("cannot open the test database again: {error}"),
        }
    }
}

impl Cleanup {
    fn url(&self) -> String {
        match self {
            Cleanup::SqliteDir(dir) => sqlite_url(dir),
            Cleanup::PostgresDatabase { server_url, name } => database_url(server_url, name),
            Cleanup::Shared(url) => url.clone(),
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
            Cleanup::Shared(url) => f.debug_tuple("Shared").field(&redact_url(url)).finish(),
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        match self {
            Cleanup::SqliteDir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::PostgresDatabase { server_url, name } => {
                // Drop runs outside any async context we could borrow (possibly while a test
                // unwinds), so the DROP DATABASE gets a thread and a runtime of its own. FORCE
                // ends the pool's connections, which this store no longer needs.
                //
                // The wait for it is bounded: a connection another task of the test's runtime
                // was opening when the test ended sits in PostgreSQL's authentication until
                // that runtime runs again, and the DROP waits for every backend, so waiting
                // here (on the runtime's thread) would hold both for `authentication_timeout`.
                // Past the bound the drop finishes in the background once the runtime moves on;
                // one the process did not live to finish is swept by a later run
                // (`sweep_stale_databases`).
                let (server_url, database) = (server_url.clone(), name.clone());
                let (done, finished) = std::sync::mpsc::channel();
                std::thread::spawn(move || {
                    let dropped = drop_database(&server_url, &database);
                    let _ = done.send(dropped);
                });
                match finished.recv_timeout(DROP_WAIT) {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => eprintln!("test database {name} was not dropped: {error}"),
                    Err(_) => eprintln!("test database {name} is being dropped in the background"),
                }
            }
            Cleanup::Shared(_) => {}
        }
    }
}

/// How long dropping a test store waits for its database to go before leaving it to a thread.
const DROP_WAIT: std::time::Duration = std::time::Duration::from_secs(3);
/// Test databases older than this are left over from a run that ended first; a new run drops
/// them.
const STALE_AFTER_SECS: u64 = 3600;
const TEST_DATABASE_PREFIX: &str = "switchboard_test_";

type DropResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

fn drop_database(server_url: &str, database: &str) -> DropResult {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut admin = PgConnection::connect(server_url).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await?;
        admin.close().await?;
        Ok(())
    })
}

/// A new test database's name: the prefix, the creation time in Unix seconds, a UUID.
fn test_database_name(now_secs: u64) -> String {
    format!(
        "{TEST_DATABASE_PREFIX}{now_secs}_{}",
        uuid::Uuid::new_v4().simple()
    )
}

/// Whether `name` is a test database created over [`STALE_AFTER_SECS`] before `now_secs`.
fn is_stale_test_database(name: &str, now_secs: u64) -> bool {
    name.strip_prefix(TEST_DATABASE_PREFIX)
        .and_then(|rest| rest.split_once('_'))
        .and_then(|(secs, _)| secs.parse::<u64>().ok())
        .is_some_and(|created| now_secs.saturating_sub(created) > STALE_AFTER_SECS)
}

fn unix_now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Drops the test databases earlier runs left behind, once per process.
async fn sweep_stale_databases(admin: &mut PgConnection) {
    static SWEPT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if SWEPT.swap(true, std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let Ok(names) = sqlx::query_scalar::<_, String>(
        "SELECT datname FROM pg_database WHERE datname LIKE 'switchboard\\_test\\_%'",
    )
    .fetch_all(&mut *admin)
    .await
    else {
        return;
    };
    let now = unix_now_secs();
    for name in names.iter().filter(|name| is_stale_test_database(name, now)) {
        let dropped = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .execute(&mut *admin)
        .await;
        if let Err(error) = dropped {
            eprintln!("stale test database {name} was not dropped: {error}");
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
        self.cleanup.url()
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
    let name = test_database_name(unix_now_secs());
    let mut admin = PgConnection::connect(&server_url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {shown}: {e}"));
    sweep_stale_databases(&mut admin).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_test_databases_older_than_an_hour_are_stale() {
        let now = 1_800_000_000;
        let fresh = test_database_name(now - 60);
        let old = test_database_name(now - STALE_AFTER_SECS - 1);
        assert!(!is_stale_test_database(&fresh, now));
        assert!(is_stale_test_database(&old, now));
        for other in [
            "switchboard",
            "postgres",
            "switchboard_test_0123456789abcdef0123456789abcdef",
            "switchboard_test_soon_0123",
        ] {
            assert!(!is_stale_test_database(other, now), "{other}");
        }
    }
}
