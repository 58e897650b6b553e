//! One load-test run from start to report: find the processes to watch, scrape the bridge's
//! metrics, place the calls at the ramp rate, hold every call up for the run's duration, let
//! them hang up, scrape again, and put the figures together.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;

use super::audio::CallerAudio;
use super::bridge_metrics;
use super::call::{self, CallSetup};
use super::harness_check;
use super::live::Live;
use super::matcher::Matching;
use super::procfs;
use super::progress::Progress;
use super::report::{self, LatencySummary, LoadReport, Phases, ProcessUsage, REPORT_VERSION, Settings};
use super::sampler::{self, QueueWatch, Sampler, Window};
use super::stats::Totals;
use crate::sim::caller::{Webhooks, random_sid};

/// Everything a run can be told.
#[derive(Debug, Clone)]
pub struct LoadTestConfig {
    /// The bridge's base URL, e.g. `http://127.0.0.1:8080`.
    pub server: String,
    /// Where the voice webhook is, under `server`.
    pub webhook_path: String,
    /// The number called (an agent's number on the bridge).
    pub to: String,
    pub from: String,
    /// The Twilio auth token the bridge checks signatures with.
    pub auth_token: String,
    pub calls: u64,
    /// How long every call is up at once.
    pub duration: Duration,
    /// Calls placed per second.
    pub ramp_per_second: f64,
    pub audio: CallerAudio,
    /// Press `*` this often in each call (the echo agent answers with an interruption).
    pub interrupt_every: Option<Duration>,
    /// `None` chooses per call from the first echo.
    pub matching: Option<Matching>,
    /// After the last frame, how long a call waits for echoes still on their way.
    pub drain: Duration,
    /// The bridge's process; found by its listening port when the server is local.
    pub server_pid: Option<u32>,
    pub agent_pid: Option<u32>,
    pub sample_interval: Duration,
    pub progress_bar: bool,
    /// Open-file limit of this process (soft, hard), for the report.
    pub open_file_limit: Option<(u64, u64)>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadTestError {
    #[error("--server {0:?} is not an http(s) URL with a host")]
    ServerUrl(String),
    #[error("{0} must be positive")]
    NotPositive(&'static str),
    #[error(
        "placing {calls} calls at {ramp_per_second}/s and holding them for {duration:?} is too long a run"
    )]
    TooLong {
        calls: u64,
        ramp_per_second: f64,
        duration: Duration,
    },
    #[error("a call task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Longest a call may take to get its stream going before the run moves on without it;
/// the call itself gives up only when its own requests fail.
const RESOLVE_WAIT: Duration = Duration::from_secs(60);

/// Runs the load test and reports on it.
pub async fn run(config: LoadTestConfig) -> Result<LoadReport, LoadTestError> {
    let server = config.server.trim_end_matches('/').to_owned();
    let url = url::Url::parse(&server).map_err(|_| LoadTestError::ServerUrl(server.clone()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(LoadTestError::ServerUrl(server));
    }
    if config.calls == 0 {
        return Err(LoadTestError::NotPositive("--calls"));
    }
    if config.ramp_per_second.is_nan() || config.ramp_per_second <= 0.0 {
        return Err(LoadTestError::NotPositive("--ramp"));
    }
    let too_long = || LoadTestError::TooLong {
        calls: config.calls,
        ramp_per_second: config.ramp_per_second,
        duration: config.duration,
    };
    let ramp =
        Duration::try_from_secs_f64(config.calls as f64 / config.ramp_per_second).map_err(|_| too_long())?;
    let planned = ramp.checked_add(config.duration).ok_or_else(too_long)?;
    let server_pid = config.server_pid.or_else(|| local_pid(&url));
    crate::tls::install_crypto_provider();
    let http = reqwest::Client::new();
    let metrics_url = format!("{server}/metrics");
    let before = bridge_metrics::scrape(&http, &metrics_url).await;

    let started_at = jiff::Timestamp::now();
    let began = Instant::now();
    let live = Arc::new(Live::new(began.into_std()));
    let mut watched: Vec<u32> = [server_pid, config.agent_pid, Some(std::process::id())]
        .into_iter()
        .flatten()
        .collect();
    watched.sort_unstable();
    watched.dedup();
    // The bridge's connections from the callers are on the port the load generator dials.
    let queues = server_pid
        .zip(url.port_or_known_default())
        .map(|(pid, port)| QueueWatch { pid, port });
    let sampler = Sampler::start(watched, queues, config.sample_interval, live.clone());
    let progress = Progress::start(live.clone(), config.calls, planned, config.progress_bar);

    let webhook_url = format!("{server}{}", config.webhook_path);
    let setup = Arc::new(CallSetup {
        webhook_url: webhook_url.clone(),
        to: config.to.clone(),
        from: config.from.clone(),
        account_sid: random_sid("AC"),
        hooks: Webhooks::new(&config.auth_token),
        audio: config.audio.clone(),
        interrupt_every: config.interrupt_every,
        matching: config.matching,
        drain: config.drain,
        live: live.clone(),
    });
    let mut calls = JoinSet::new();
    for index in 0..config.calls {
        let due = began + Duration::from_secs_f64(index as f64 / config.ramp_per_second);
        tokio::time::sleep_until(due).await;
        calls.spawn(call::run(setup.clone(), index));
    }
    let resolve_by = Instant::now() + RESOLVE_WAIT;
    while live.calls_resolved() < config.calls && Instant::now() < resolve_by {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let connected = live.calls_connected.load(std::sync::atomic::Ordering::Relaxed);
    if connected > 0 {
        live.start_steady(config.duration);
        let stop_at = live.stop_at_us().unwrap_or_default();
        tokio::time::sleep_until(began + Duration::from_micros(stop_at)).await;
    } else {
        live.stop_now();
    }

    let mut totals = Totals::default();
    while let Some(stats) = calls.join_next().await {
        totals.add(&stats?);
    }
    let ended_us = live.now_us();
    let after = bridge_metrics::scrape_settled(&http, &metrics_url, before.as_ref()).await;
    let samples = sampler.finish().await;
    progress.finish();

    let steady_from = live.steady_from_us();
    let stop_at = live.stop_at_us().unwrap_or(ended_us);
    let window = steady_from.map(|from_us| Window {
        from_us,
        to_us: stop_at,
        calls: totals.calls.connected,
    });
    let ticks = procfs::clock_ticks_per_second();
    let usage_of = |pid: Option<u32>| {
        let pid = pid?;
        let series = samples.processes.iter().find(|s| s.pid == pid)?;
        sampler::usage(series, window, ticks)
    };
    let server_usage = usage_of(server_pid);
    let agent_usage = usage_of(config.agent_pid);
    let own_usage = usage_of(Some(std::process::id()));
    // Each process once, even when the bridge runs inside the load generator.
    let mut watched: Vec<&ProcessUsage> = Vec::new();
    for usage in [&server_usage, &agent_usage, &own_usage].into_iter().flatten() {
        if watched.iter().all(|w| w.pid != usage.pid) {
            watched.push(usage);
        }
    }
    let machine = sampler::machine_usage(&samples.machine, procfs::machine_identity(), window, &watched);
    let seconds = |us: u64| us as f64 / 1e6;
    let send_lag = LatencySummary::of(&totals.send_lag);
    let harness_warnings = harness_check::reasons(send_lag.as_ref(), machine.as_ref());
    let receive_queue = match (&samples.queue_error, server_pid) {
        (_, None) => Err("the bridge's pid is not known (give --pid for a local bridge)".to_owned()),
        (Some(error), _) => Err(error.clone()),
        (None, Some(_)) => sampler::receive_queue_wait(&samples.queues, window),
    };
    Ok(LoadReport {
        version: REPORT_VERSION,
        started_at: started_at.to_string(),
        settings: Settings {
            server,
            webhook_url,
            to: config.to,
            calls: config.calls,
            duration_s: config.duration.as_secs_f64(),
            ramp_per_s: config.ramp_per_second,
            fixture: config.audio.name().to_owned(),
            interrupt_every_s: config.interrupt_every.map(|d| d.as_secs_f64()),
            matching: match config.matching {
                None => "auto",
                Some(Matching::Tag) => "tag",
                Some(Matching::Order) => "order",
            }
            .into(),
        },
        phases: Phases {
            ramp_s: seconds(steady_from.unwrap_or(stop_at)),
            steady_s: seconds(steady_from.map_or(0, |from| stop_at.saturating_sub(from))),
            hang_up_s: seconds(ended_us.saturating_sub(stop_at)),
        },
        calls: totals.calls,
        failures: report::failures(&totals),
        matching: totals.matching,
        frames: report::frames(&totals),
        echo_rtt: LatencySummary::of(&totals.rtt_steady),
        echo_rtt_outside_steady: LatencySummary::of(&totals.rtt_ramp),
        echo_rtt_timeline: totals.rtt_timeline.windows(),
        send_lag,
        webhook: LatencySummary::of(&totals.webhook),
        refusals: report::refusals(&totals),
        refusal_answer: LatencySummary::of(&totals.refusal),
        stream_connect: LatencySummary::of(&totals.stream_connect),
        first_audio: LatencySummary::of(&totals.first_audio),
        interruptions: report::interruptions(&totals),
        bridge: before
            .zip(after)
            .and_then(|(before, after)| bridge_metrics::figures(&before, &after)),
        bridge_receive_queue_withheld: receive_queue.as_ref().err().cloned(),
        bridge_receive_queue: receive_queue.ok(),
        server: server_usage,
        agent: agent_usage,
        load_generator: own_usage,
        machine,
        open_file_limit: config.open_file_limit,
        harness_behind: !harness_warnings.is_empty(),
        harness_warnings,
    })
}

/// The pid listening on the server's port, when the server is on this machine.
fn local_pid(url: &url::Url) -> Option<u32> {
    let local = match url.host()? {
        url::Host::Domain(name) => name == "localhost",
        url::Host::Ipv4(ip) => ip.is_loopback() || ip.is_unspecified(),
        url::Host::Ipv6(ip) => ip.is_loopback() || ip.is_unspecified(),
    };
    if !local {
        return None;
    }
    procfs::pid_listening_on(url.port_or_known_default()?)
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> LoadTestConfig {
        LoadTestConfig {
            server: "http://127.0.0.1:9".into(),
            webhook_path: "/twilio/voice".into(),
            to: "+15550100200".into(),
            from: "+15005550006".into(),
            auth_token: "token".into(),
            calls: 2,
            duration: Duration::from_secs(1),
            ramp_per_second: 50.0,
            audio: CallerAudio::from_ulaw("silence", &[0xFF; 160]).unwrap(),
            interrupt_every: None,
            matching: None,
            drain: Duration::ZERO,
            server_pid: None,
            agent_pid: None,
            sample_interval: Duration::from_secs(1),
            progress_bar: false,
            open_file_limit: None,
        }
    }

    #[tokio::test]
    async fn settings_that_cannot_make_a_run_are_refused_before_any_call() {
        let refused = |config: LoadTestConfig| async { run(config).await.unwrap_err().to_string() };
        let mut bad = config();
        bad.server = "ftp://bridge.example".into();
        assert!(refused(bad).await.contains("is not an http(s) URL"));
        let mut bad = config();
        bad.calls = 0;
        assert_eq!(refused(bad).await, "--calls must be positive");
        let mut bad = config();
        bad.ramp_per_second = f64::NAN;
        assert_eq!(refused(bad).await, "--ramp must be positive");
        let mut bad = config();
        bad.ramp_per_second = 1e-300;
        assert!(refused(bad).await.contains("too long a run"));
        let mut bad = config();
        bad.duration = Duration::MAX;
        assert!(refused(bad).await.contains("too long a run"));
    }
}
