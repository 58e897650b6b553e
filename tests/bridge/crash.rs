//! A crash with calls up: the real `switchboard serve` binary on a SQLite file, a few calls
//! streaming through it to an echo agent, `kill -9` once their progress is written; after a
//! restart every call's record is closed with its connected time within a few seconds of
//! what it was at the kill.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use switchboard::audio::AudioFormat;
use switchboard::sim::caller::{CallerConfig, CallerEvent, place_call};
use switchboard::store::testing::{self, TestStore};
use switchboard::store::{CallRecord, LOST_END_REASON};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::support::echo_agent;

const CALLS: usize = 3;
/// Generous bounds on waits that only a broken bridge would reach.
const PATIENCE: Duration = Duration::from_secs(90);
/// How far a recovered call's length may be from the truth.
const TOLERANCE: Duration = Duration::from_secs(10);

#[tokio::test]
async fn after_a_kill_with_calls_up_a_restart_closes_every_call_with_its_minutes() {
    let store = testing::sqlite().await;
    let business = testing::seed_business(&store).await;
    let agent = echo_agent(AudioFormat::Ulaw8000).await;
    let dir = tempfile_dir();
    let config = dir.join("switchboard.toml");
    // Progress every second; a call silent for 3 s + 10 s + 2 s counts as lost.
    std::fs::write(&config, "[call]\nprogress_secs = 1\nupstream_timeout_secs = 2\n").unwrap();
    let auth_token = format!("token-{}", rand::random::<u64>());
    let port = free_port().await;
    let base_url = format!("http://127.0.0.1:{port}");
    let serve = |log: &str| {
        let log = std::fs::File::create(dir.join(log)).unwrap();
        Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .arg("serve")
            .env("SWITCHBOARD_CONFIG", &config)
            .env("SWITCHBOARD_LISTEN", format!("127.0.0.1:{port}"))
            .env("SWITCHBOARD_PUBLIC_URL", &base_url)
            .env("SWITCHBOARD_DATABASE_URL", store.url())
            .env("TWILIO_AUTH_TOKEN", &auth_token)
            .env("ELEVENLABS_API_BASE", &agent)
            .env("ELEVENLABS_API_KEY", "xi-test-key")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start switchboard serve")
    };

    let mut first = KillOnDrop(serve("first.log"));
    until_listening(port).await;
    let (events, mut progress) = mpsc::unbounded_channel();
    let mut callers = Vec::new();
    for i in 0..CALLS {
        let mut caller = CallerConfig::new(
            format!("{base_url}/twilio/voice"),
            &auth_token,
            business.agent.phone_number.as_deref().unwrap(),
        );
        caller.max_duration = Duration::from_secs(600);
        caller.linger = Duration::from_secs(600);
        let (tx, mut rx) = mpsc::unbounded_channel();
        let events = events.clone();
        callers.push(tokio::spawn(async move {
            let relay = async move {
                while let Some(event) = rx.recv().await {
                    let _ = events.send((i, event, Instant::now()));
                }
            };
            let (_, _) = tokio::join!(place_call(&caller, Some(tx)), relay);
        }));
    }
    // Each call's stream start, on the test's clock: what its connected time counts from.
    let mut sids = vec![String::new(); CALLS];
    let mut opened: Vec<Option<Instant>> = vec![None; CALLS];
    tokio::time::timeout(PATIENCE, async {
        while opened.iter().any(Option::is_none) {
            match progress.recv().await.expect("callers report") {
                (i, CallerEvent::Answered { call_sid }, _) => sids[i] = call_sid,
                (i, CallerEvent::StreamOpen { .. }, at) => opened[i] = Some(at),
                _ => {}
            }
        }
    })
    .await
    .expect("every call's stream opened");
    // Killed once every call has written its progress at least twice (2 s connected).
    until(&store, &sids, |call| {
        call.progress.is_some_and(|p| p >= Duration::from_secs(2))
    })
    .await;
    first.0.kill().expect("kill -9");
    let killed_at = Instant::now();
    first.0.wait().unwrap();
    let open = calls(&store, &sids).await;
    assert!(open.iter().all(|c| c.ended_at.is_none()), "{open:?}");

    let _second = KillOnDrop(serve("second.log"));
    until(&store, &sids, |call| call.ended_at.is_some()).await;
    for (call, opened) in calls(&store, &sids).await.iter().zip(&opened) {
        let truth = killed_at - opened.unwrap();
        let recorded = call.duration.expect("a closed call has a length");
        eprintln!(
            "{}: recorded {recorded:?}, connected {truth:?} at the kill",
            call.call_sid
        );
        assert_eq!(call.end_reason.as_deref(), Some(LOST_END_REASON));
        assert!(
            recorded.abs_diff(truth) <= TOLERANCE,
            "{}: recorded {recorded:?}, connected {truth:?} at the kill",
            call.call_sid
        );
        assert_eq!(call.ended_at, call.progress_at, "ended at its last progress");
    }
    let log = dir.join("second.log");
    tokio::time::timeout(PATIENCE, async {
        while !logged_recovery(&log) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the restart logs how many calls it closed");
    let metrics = reqwest::get(format!("{base_url}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(&format!("switchboard_calls_recovered_total {CALLS}\n")),
        "{metrics}"
    );
    for caller in callers {
        caller.abort();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Kills the process when the test ends, however it ends.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("switchboard-crash-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

async fn until_listening(port: u16) {
    tokio::time::timeout(PATIENCE, async {
        while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("switchboard serve listens");
}

async fn calls(store: &TestStore, sids: &[String]) -> Vec<CallRecord> {
    let mut calls = Vec::new();
    for sid in sids {
        calls.push(store.call_by_sid(sid).await.unwrap().expect("the call's record"));
    }
    calls
}

/// Waits until every call's record satisfies `done`.
async fn until(store: &TestStore, sids: &[String], done: impl Fn(&CallRecord) -> bool) {
    tokio::time::timeout(PATIENCE, async {
        loop {
            if calls(store, sids).await.iter().all(&done) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the calls' records got there");
}

/// Whether the log says all the calls were closed (by one sweep, or a few).
fn logged_recovery(log: &Path) -> bool {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let closed: usize = text
        .lines()
        .filter(|line| line.contains("left open by a stopped instance"))
        .filter_map(|line| {
            line.split("calls=")
                .nth(1)?
                .split(' ')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .sum();
    closed == CALLS
}
