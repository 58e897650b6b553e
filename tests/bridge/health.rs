//! Bulkheads and honest health: `/readyz` writes to find out whether calls could be recorded,
//! and says how busy the bridge is; the call records' writes have a pool of their own; the
//! agent lookups of the call path are cached; a database failure counts as a store error.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use jiff::Timestamp;
use switchboard::app::sync_config_agents;
use switchboard::call::driver::{Attach, CallObserver};
use switchboard::call::{EndReason, Event, SessionStats, Started};
use switchboard::config::{AgentConfig, AgentFallback};
use switchboard::store::testing::{self, hold_record_connections};
use switchboard::store::{FallbackMode, NewAgent, StoreOptions, sqlite_file};
use switchboard::telephony::attach::{AttachError, StreamAttach};
use switchboard::telephony::{Answer, Directory, ErrorKind, InboundCall};

use crate::support::{DEAD_UPSTREAM, PATIENCE, TestBridge};

fn call(call_sid: &str, to: &str) -> Option<InboundCall> {
    InboundCall::from_fields(Some(call_sid), Some("+15005550006"), Some(to))
}

/// A bridge whose readiness probe writes on every request.
async fn probing_bridge() -> (TestBridge, PathBuf) {
    let options = StoreOptions {
        probe_interval: Duration::ZERO,
        ..testing::test_options()
    };
    let store = testing::sqlite_with(options).await;
    let file = sqlite_file(&store.url()).expect("a SQLite file");
    (TestBridge::start_on(store, DEAD_UPSTREAM, |_| {}).await, file)
}

async fn readyz(bridge: &TestBridge) -> (u16, serde_json::Value) {
    let response = reqwest::get(bridge.url("/readyz")).await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Read-only permissions until dropped; for root, whom they do not stop, the immutable
/// attribute as well.
struct ReadOnlyFile {
    path: PathBuf,
    immutable: bool,
}

impl ReadOnlyFile {
    fn make(path: &Path) -> ReadOnlyFile {
        set_mode(path, 0o444);
        let writable = || std::fs::OpenOptions::new().write(true).open(path).is_ok();
        let immutable = writable();
        if immutable {
            let status = Command::new("chattr").arg("+i").arg(path).status();
            assert!(status.is_ok_and(|s| s.success()), "chattr +i failed");
        }
        assert!(!writable(), "{} is still writable", path.display());
        ReadOnlyFile {
            path: path.to_owned(),
            immutable,
        }
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

#[tokio::test]
async fn readyz_reports_capacity_and_a_read_only_database_until_it_is_writable_again() {
    let (bridge, file) = probing_bridge().await;
    let (status, ready) = readyz(&bridge).await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["ready"], true);
    assert_eq!(ready["draining"], false);
    assert_eq!(ready["active_calls"], 0);
    assert_eq!(ready["pool"]["max"], 4, "{ready}");
    assert_eq!(ready["record_pool"]["max"], 2, "{ready}");
    let pool = &ready["pool"];
    assert_eq!(
        pool["in_use"].as_u64().unwrap() + pool["idle"].as_u64().unwrap(),
        pool["size"].as_u64().unwrap()
    );

    let read_only = ReadOnlyFile::make(&file);
    let (status, ready) = readyz(&bridge).await;
    assert_eq!(status, 503, "{ready}");
    assert_eq!(ready["ready"], false);
    let reason = ready["reason"].as_str().unwrap();
    assert!(reason.contains("readonly"), "{reason}");

    drop(read_only);
    let (status, ready) = readyz(&bridge).await;
    assert_eq!(status, 200, "recovered without a restart: {ready}");
}

#[tokio::test]
async fn readyz_reports_a_deleted_database_until_it_is_restored() {
    let (bridge, file) = probing_bridge().await;
    assert_eq!(readyz(&bridge).await.0, 200);
    let backup = tempfile::tempdir().unwrap();
    let saved = backup.path().join("saved.db");
    std::fs::copy(&file, &saved).unwrap();
    let wal = PathBuf::from(format!("{}-wal", file.display()));
    let saved_wal = backup.path().join("saved.db-wal");
    std::fs::copy(&wal, &saved_wal).unwrap();
    std::fs::remove_file(&file).unwrap();

    let (status, ready) = readyz(&bridge).await;
    assert_eq!(status, 503, "{ready}");
    let reason = ready["reason"].as_str().unwrap();
    assert!(reason.contains("missing"), "{reason}");

    std::fs::copy(&saved_wal, &wal).unwrap();
    std::fs::copy(&saved, &file).unwrap();
    let (status, ready) = readyz(&bridge).await;
    assert_eq!(status, 200, "{ready}");
}

#[tokio::test]
async fn a_burst_of_call_record_writes_does_not_hold_up_an_answer() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let app = &bridge.server.app;
    // Every connection of the records' pool is taken: their writes queue up behind it.
    let held = hold_record_connections(&bridge.store).await;
    for n in 0..200 {
        let ended = Event::Ended {
            reason: EndReason::AgentEnded,
            duration: Duration::from_secs(30),
            stats: SessionStats::default(),
        };
        app.recorder.on_event(Some(&format!("CAburst{n}")), &ended);
    }
    let answer = tokio::time::timeout(
        PATIENCE,
        app.reception
            .answer(call("CAanswered", bridge.number()), Timestamp::now()),
    )
    .await
    .expect("the answer does not wait for the records' pool");
    assert!(matches!(answer, Answer::Connect(_)), "{answer:?}");
    assert_eq!(app.metrics.error_count(ErrorKind::Store), 0);
    assert!(bridge.store.call_by_sid("CAanswered").await.unwrap().is_some());
    drop(held);
}

#[tokio::test]
async fn repeated_lookups_are_answered_without_the_database() {
    let store = testing::sqlite().await;
    let business = testing::seed_business(&store).await;
    let directory = Directory::with_cache(store.store(), Duration::from_secs(3600), 100);
    let number = business.agent.phone_number.as_deref().unwrap();
    let line = directory.line(number).await.unwrap().expect("the seeded line");
    // The database is gone: the lookups of the last hour still answer, and the stream that
    // follows a webhook finds its agent by id among them.
    store.close().await;
    assert_eq!(directory.line(number).await.unwrap(), Some(line.clone()));
    assert_eq!(
        directory.agent_for_number(number).await.unwrap(),
        Some(line.agent.clone())
    );
    assert_eq!(
        directory.line_of_agent(&business.agent.id).await.unwrap(),
        Some(line)
    );
    assert!(
        directory.line("+15550009999").await.is_err(),
        "what was never looked up is asked of the database"
    );
}

#[tokio::test]
async fn a_changed_agent_is_seen_by_the_next_lookup() {
    let store = testing::sqlite().await;
    let business = testing::seed_business(&store).await;
    let directory = Directory::with_cache(store.store(), Duration::from_secs(3600), 100);
    let new_number = testing::unique_phone_number();
    assert_eq!(directory.line(&new_number).await.unwrap(), None);
    let agent = store
        .create_agent(
            &business.account.id,
            NewAgent {
                name: "Bea".into(),
                phone_number: Some(new_number.clone()),
                elevenlabs_agent_id: "agent_bea".into(),
                timezone: "UTC".into(),
                first_message: None,
                fallback_mode: FallbackMode::Message,
                fallback_number: None,
                ..NewAgent::default()
            },
        )
        .await
        .unwrap();
    let line = directory.line(&new_number).await.unwrap().expect("seen at once");
    assert_eq!(line.agent, agent);

    // The config file's sync goes through the store too.
    let synced_number = testing::unique_phone_number();
    assert_eq!(directory.line(&synced_number).await.unwrap(), None);
    let from_file = AgentConfig {
        business: "From the file".into(),
        name: "Cy".into(),
        phone_number: synced_number.clone(),
        elevenlabs_agent_id: "agent_cy".into(),
        timezone: "UTC".into(),
        first_message: None,
        fallback: AgentFallback::Message,
        fallback_number: None,
    };
    assert_eq!(sync_config_agents(&store, &[from_file]).await.unwrap().added, 1);
    let synced = directory
        .line(&synced_number)
        .await
        .unwrap()
        .expect("seen at once");
    assert_eq!(synced.agent.name, "Cy");
}

#[tokio::test]
async fn a_database_failure_on_the_call_path_counts_as_a_store_error() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let app = &bridge.server.app;
    // Looked up once, so the next answer finds its line without the database.
    let first = app
        .reception
        .answer(call("CAfirst", bridge.number()), Timestamp::now())
        .await;
    assert!(matches!(first, Answer::Connect(_)), "{first:?}");
    bridge.store.close().await;

    let answer = app
        .reception
        .answer(call("CAunrecorded", bridge.number()), Timestamp::now())
        .await;
    // The record is where a replayed webhook is caught, so a call whose record cannot be
    // written is not connected: the caller hears the apology.
    assert!(
        matches!(answer, Answer::Refuse(_)),
        "a call without its record is not connected: {answer:?}"
    );
    assert_eq!(app.metrics.error_count(ErrorKind::Store), 1);

    // A stream whose agent cannot be looked up: a store error, not an upstream one.
    let (token, _) = app
        .tokens
        .issue("CAcold", "agent-not-looked-up", Timestamp::now());
    let started = Started {
        call_sid: "CAcold".into(),
        stream_sid: "MZ00000000000000000000000000000001".into(),
        account_sid: "AC00000000000000000000000000000001".into(),
        parameters: [("token".to_string(), token)].into(),
    };
    let attached = StreamAttach::new(app.streams.attacher.clone(), tracing::Span::none())
        .attach(&started)
        .await;
    assert!(
        matches!(attached, Err(AttachError::Store(_))),
        "{:?}",
        attached.err()
    );
    assert_eq!(app.metrics.error_count(ErrorKind::Store), 2);
    assert_eq!(app.metrics.error_count(ErrorKind::UpstreamConnect), 0);
}
