//! Readiness by writing: a database that takes no writes (a SQLite file made read-only or
//! deleted, a PostgreSQL database switched to read-only) is reported with the reason, and the
//! store's pool recovers once it takes writes again, without a restart. Probes are
//! rate-limited.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sqlx::Connection;
use switchboard::store::testing::{self, TestStore};
use switchboard::store::{NewAccount, Store, StoreError, StoreOptions, sqlite_file};

fn probing_every_time() -> StoreOptions {
    StoreOptions {
        probe_interval: Duration::ZERO,
        ..testing::test_options()
    }
}

fn account(name: &str) -> NewAccount {
    NewAccount {
        name: name.into(),
        plan: "pro".into(),
    }
}

/// A file this process cannot open for writing until dropped: read-only permissions, and for
/// root (whom permissions do not stop) the immutable attribute as well.
pub struct ReadOnlyFile {
    path: PathBuf,
    immutable: bool,
}

impl ReadOnlyFile {
    pub fn make(path: &Path) -> ReadOnlyFile {
        set_mode(path, 0o444);
        let mut guard = ReadOnlyFile {
            path: path.to_owned(),
            immutable: false,
        };
        if opens_for_writing(path) {
            let status = Command::new("chattr").arg("+i").arg(path).status();
            assert!(
                status.is_ok_and(|s| s.success()),
                "this user writes to read-only files, and chattr +i failed"
            );
            guard.immutable = true;
        }
        assert!(!opens_for_writing(path), "{} is still writable", path.display());
        guard
    }
}

impl Drop for ReadOnlyFile {
    fn drop(&mut self) {
        if self.immutable {
            let _ = Command::new("chattr").arg("-i").arg(&self.path).status();
        }
        set_mode(&self.path, 0o644);
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn opens_for_writing(path: &Path) -> bool {
    std::fs::OpenOptions::new().write(true).open(path).is_ok()
}

/// The SQLite file and its WAL companions.
pub fn database_files(file: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| PathBuf::from(format!("{}{suffix}", file.display())))
        .filter(|path| path.exists())
        .collect()
}

async fn sqlite_probing_every_time() -> (TestStore, PathBuf) {
    let store = testing::sqlite_with(probing_every_time()).await;
    let file = sqlite_file(&store.url()).expect("a SQLite file");
    (store, file)
}

#[tokio::test]
async fn a_read_only_sqlite_file_is_reported_and_the_pool_recovers_when_it_is_writable() {
    let (first, file) = sqlite_probing_every_time().await;
    let before = first.create_account(account("Before")).await.unwrap();
    first.close().await;
    // Started while the file is read-only: every connection the pool opens is read-only.
    // (While this process still holds a writable descriptor of the file, SQLite would reuse it
    // for new connections, and only the probe would notice.)
    let read_only = ReadOnlyFile::make(&file);
    let store = Store::connect_with(&first.url(), probing_every_time())
        .await
        .unwrap();
    assert_eq!(store.account(&before.id).await.unwrap(), before, "reads work");
    let refused = store.check_writable().await.unwrap_err().to_string();
    assert!(refused.contains("readonly"), "{refused}");
    let write = store.create_account(account("During")).await;
    assert!(matches!(write, Err(StoreError::Unavailable { .. })), "{write:?}");

    drop(read_only);
    store.check_writable().await.unwrap();
    // Without replacing the connections opened read-only, this write would fail for good.
    if let Err(e) = store.create_account(account("After")).await {
        panic!("{e}");
    }
    store.close().await;
}

#[tokio::test]
async fn a_deleted_sqlite_file_is_reported_never_recreated_and_recovered_when_restored() {
    let (store, file) = sqlite_probing_every_time().await;
    let kept = store.create_account(account("Kept")).await.unwrap();
    let backup = tempfile::tempdir().unwrap();
    let files = database_files(&file);
    for path in &files {
        std::fs::copy(path, backup.path().join(path.file_name().unwrap())).unwrap();
    }
    for path in &files {
        std::fs::remove_file(path).unwrap();
    }

    let refused = store.check_writable().await.unwrap_err().to_string();
    assert!(refused.contains("missing"), "{refused}");
    let write = store.create_account(account("Lost")).await;
    assert!(matches!(write, Err(StoreError::Unavailable { .. })), "{write:?}");
    assert!(
        !file.exists(),
        "the pool must not create an empty database in its place"
    );

    for path in &files {
        let name = path.file_name().unwrap();
        if !name.to_string_lossy().ends_with("-shm") {
            std::fs::copy(backup.path().join(name), path).unwrap();
        }
    }
    store.check_writable().await.unwrap();
    assert_eq!(store.account(&kept.id).await.unwrap(), kept);
    store.create_account(account("After")).await.unwrap();
}

#[tokio::test]
async fn a_read_only_postgres_database_is_reported_and_the_pool_recovers() {
    let Some(store) = testing::postgres_with(probing_every_time()).await else {
        return;
    };
    store.check_writable().await.unwrap();
    let server = testing::postgres_server_url().expect("set, since the store exists");
    let name = url::Url::parse(&store.url())
        .unwrap()
        .path()
        .trim_start_matches('/')
        .to_owned();
    let mut admin = sqlx::postgres::PgConnection::connect(&server).await.unwrap();
    // A failover to a read-only server, as far as this database's sessions can tell.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE \"{name}\" SET default_transaction_read_only = on; \
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    let refused = store.check_writable().await.unwrap_err().to_string();
    assert!(refused.contains("read-only"), "{refused}");

    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE \"{name}\" RESET default_transaction_read_only"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    admin.close().await.unwrap();
    // The session opened while read-only keeps that default; it is replaced.
    store.check_writable().await.unwrap();
    store.create_account(account("After")).await.unwrap();
}

#[tokio::test]
async fn a_storm_of_readiness_checks_writes_once_per_interval() {
    let options = StoreOptions {
        probe_interval: Duration::from_secs(3600),
        ..testing::test_options()
    };
    let sqlite = testing::sqlite_with(options.clone()).await;
    let postgres = testing::postgres_with(options).await;
    for store in [Some(sqlite), postgres].into_iter().flatten() {
        let checks = (0..50).map(|_| {
            let store = store.store();
            tokio::spawn(async move { store.check_writable().await })
        });
        for check in checks.collect::<Vec<_>>() {
            check.await.unwrap().unwrap();
        }
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&store.url()).await.unwrap();
        let probes: i64 = sqlx::query_scalar("SELECT probes FROM health_probe WHERE id = 1")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(probes, 1, "{:?}", store.backend());
        conn.close().await.unwrap();
    }
}

#[tokio::test]
async fn the_call_records_pool_being_full_leaves_the_main_pool_free() {
    let options = StoreOptions {
        record_connections: 2,
        ..testing::test_options()
    };
    testing::on_each_backend_with(options, |store| async move {
        let business = testing::seed_business(&store).await;
        let held = testing::hold_record_connections(&store).await;
        assert_eq!(held.len(), 2);
        assert_eq!(store.record_pool_usage().in_use, 2);
        // The call path's read and write still get connections at once (without their own
        // pool they would wait out the acquire timeout and fail).
        let found = store
            .agent_by_phone_number(business.agent.phone_number.as_deref().unwrap())
            .await
            .unwrap();
        assert_eq!(found, Some(business.agent.clone()));
        store.create_account(account("Busy records")).await.unwrap();
        drop(held);
    })
    .await;
}
