//! A crash with calls up: the real `switchboard serve` binary on a SQLite file, a few calls
//! streaming through it to an echo agent, progress written at the default interval, `kill -9`
//! just before the second progress write. What the database holds at the kill (what the minute pool
//! counts) is each call's media time less at most 10 s, never more; after a restart every
//! call's record is closed with that.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use switchboard::audio::AudioFormat;
use switchboard::config::CallConfig;
use switchboard::sim::caller::{CallerConfig, CallerEvent, place_call};
use switchboard::store::testing::{self, TestStore};
use switchboard::store::{CallRecord, LOST_END_REASON};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::support::echo_agent;

const CALLS: usize = 3;
/// Generous bounds on waits that only a broken bridge would reach.
const PATIENCE: Duration = Duration::from_secs(90);
/// The most of a call's media time a crash may lose.
const MOST_LOST: Duration = Duration::from_secs(10);

#[tokio::test]
async fn after_a_kill_with_calls_up_a_restart_closes_every_call_with_its_minutes() {
    let store = testing::sqlite().await;
    let business = testing::seed_business(&store).await;
    let agent = echo_agent(AudioFormat::Ulaw8000).await;
    let dir = tempfile_dir();
    // The first instance writes progress at the default interval, the one whose loss is
    // bounded. The restart writes progress every second, so its sweep takes a call silent for
    // 3 s + 10 s + 2 s as lost (the first is dead: nothing of its calls is written any more).
    let progress_every = CallConfig::default().progress_every();
    let first_config = dir.join("first.toml");
    std::fs::write(&first_config, "[call]\nupstream_timeout_secs = 2\n").unwrap();
    let second_config = dir.join("second.toml");
    std::fs::write(
        &second_config,
        "[call]\nprogress_secs = 1\nupstream_timeout_secs = 2\n",
    )
    .unwrap();
    let auth_token = format!("token-{}", rand::random::<u64>());
    let port = free_port().await;
    let base_url = format!("http://127.0.0.1:{port}");
    let serve = |log: &str, config: &Path| {
        let log = std::fs::File::create(dir.join(log)).unwrap();
        Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .arg("serve")
            .env("SWITCHBOARD_CONFIG", config)
            .env("SWITCHBOARD_LISTEN", format!("127.0.0.1:{port}"))
            .env("SWITCHBOARD_PUBLIC_URL", &base_url)
            .env("SWITCHBOARD_DATABASE_URL", store.url())
            .env("TWILIO_AUTH_TOKEN", &auth_token)
            .env("ELEVENLABS_API_BASE", &agent)
            .env("ELEVENLABS_API_KEY", "xi-test-key")
            .env("RUST_LOG", "info")
            // Calls on a machine running many tests at once: see `call.overload_lateness_ms`.
            .env("SWITCHBOARD_OVERLOAD_LATENESS_MS", "0")
            .env("SWITCHBOARD_OVERLOAD_DATABASE_MS", "0")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start switchboard serve")
    };

    let mut first = KillOnDrop(serve("first.log", &first_config));
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
    // Every call has written its first progress...
    until(&store, &sids, |call| {
        call.progress.is_some_and(|p| p >= progress_every)
    })
    .await;
    // ...and is killed a second before its second: the worst moment, with almost an interval
    // unwritten. (A call's metering starts when the bridge reads its `start`, after the caller
    // saw its stream open, so no call's second write comes before this.)
    let first_opened = opened.iter().flatten().min().copied().unwrap();
    let worst = first_opened + progress_every * 2 - Duration::from_secs(1);
    tokio::time::sleep_until(worst.into()).await;
    first.0.kill().expect("kill -9");
    let killed_at = Instant::now();
    first.0.wait().unwrap();
    let at_kill = calls(&store, &sids).await;
    for (call, opened) in at_kill.iter().zip(&opened) {
        assert!(call.ended_at.is_none(), "{call:?}");
        let truth = killed_at - opened.unwrap();
        let recorded = call.progress.expect("progress was written");
        eprintln!(
            "{}: recorded {recorded:?}, media time {truth:?} at the kill",
            call.call_sid
        );
        assert!(
            recorded <= truth && truth - recorded <= MOST_LOST,
            "{}: recorded {recorded:?}, media time {truth:?} at the kill",
            call.call_sid
        );
    }

    let _second = KillOnDrop(serve("second.log", &second_config));
    until(&store, &sids, |call| call.ended_at.is_some()).await;
    for (call, before) in calls(&store, &sids).await.iter().zip(&at_kill) {
        assert_eq!(call.end_reason.as_deref(), Some(LOST_END_REASON));
        assert_eq!(call.duration, before.progress, "closed with its last progress");
        assert_eq!(call.ended_at, before.progress_at, "ended at its last progress");
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
