//! `switchboard loadtest`: N simulated Twilio calls against a bridge, a JSON report and a
//! short summary. See [`crate::loadtest`] for what is measured and how.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;

use crate::audio::FixtureDir;
use crate::loadtest::{ALL_CLIPS, CallerAudio, LoadTestConfig, Matching, summary};

#[derive(Debug, Args)]
pub struct LoadTestArgs {
    /// The bridge's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    server: String,
    /// The number called: an agent's number on the bridge.
    #[arg(long)]
    to: String,
    #[arg(long, default_value = "+15005550006")]
    from: String,
    /// The Twilio auth token the bridge checks signatures with.
    #[arg(long, env = "TWILIO_AUTH_TOKEN", hide_env_values = true)]
    auth_token: String,
    /// Concurrent calls.
    #[arg(long, default_value_t = 10)]
    calls: u64,
    /// Seconds every call is up at once (calls placed early stream longer).
    #[arg(long, default_value = "10", value_parser = parse_seconds)]
    duration: Duration,
    /// Calls placed per second, e.g. `50` or `50/s`.
    #[arg(long, default_value = "50/s", value_parser = parse_rate)]
    ramp: f64,
    /// Write the JSON report here.
    #[arg(long)]
    report: Option<PathBuf>,
    /// The bridge's process id, for CPU and RSS; found from the listening port when the
    /// server is on this machine.
    #[arg(long)]
    pid: Option<u32>,
    /// The agent's process id, to report its CPU and RSS too.
    #[arg(long)]
    agent_pid: Option<u32>,
    /// Each call presses `*` this often (seconds); an echo agent answers with an
    /// interruption, and the bridge should send Twilio `clear`.
    #[arg(long, value_parser = parse_interval)]
    interrupt_every: Option<Duration>,
    /// The caller clip to loop (a name in fixtures/caller), or `all` for every clip in turn.
    #[arg(long, default_value = ALL_CLIPS)]
    fixture: String,
    /// Fixture directory.
    #[arg(long)]
    fixtures: Option<PathBuf>,
    /// The voice webhook's path on the server.
    #[arg(long, default_value = "/twilio/voice")]
    webhook_path: String,
    /// How echoes are paired with frames: `auto`, `tag` (μ-law pass-through) or `order`.
    #[arg(long, default_value = "auto")]
    matching: String,
    /// Seconds a call waits, after its last frame, for the echoes still on their way.
    #[arg(long, default_value = "2", value_parser = parse_seconds)]
    drain: Duration,
    /// Seconds between CPU/RSS samples (at least 0.01).
    #[arg(long, default_value = "1", value_parser = parse_interval)]
    sample_interval: Duration,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

pub async fn run(args: LoadTestArgs, open_file_limit: Option<(u64, u64)>) -> anyhow::Result<()> {
    let fixtures = args
        .fixtures
        .map(FixtureDir::new)
        .unwrap_or_else(FixtureDir::bundled);
    let audio = CallerAudio::load(&fixtures, &args.fixture)?;
    let matching = match args.matching.as_str() {
        "auto" => None,
        "tag" => Some(Matching::Tag),
        "order" => Some(Matching::Order),
        other => bail!("--matching {other:?}: expected auto, tag or order"),
    };
    let config = LoadTestConfig {
        server: args.server,
        webhook_path: args.webhook_path,
        to: args.to,
        from: args.from,
        auth_token: args.auth_token,
        calls: args.calls,
        duration: args.duration,
        ramp_per_second: args.ramp,
        audio,
        interrupt_every: args.interrupt_every,
        matching,
        drain: args.drain,
        server_pid: args.pid,
        agent_pid: args.agent_pid,
        sample_interval: args.sample_interval.max(Duration::from_millis(10)),
        progress_bar: !args.quiet,
        open_file_limit,
    };
    let report = crate::loadtest::run(config).await?;
    if let Some(path) = &args.report {
        std::fs::write(path, report.to_json())
            .with_context(|| format!("writing the report to {}", path.display()))?;
    }
    print!("{}", summary::render(&report));
    if let Some(path) = &args.report {
        println!("report written to {}", path.display());
    }
    // Calls refused in TwiML (over capacity, say) are in the summary; only broken ones fail.
    if !report.nothing_broke() || report.calls.connected + report.calls.refused == 0 {
        bail!(
            "{} of {} calls failed to connect and {} dropped",
            report.calls.failed_to_connect,
            report.calls.attempted,
            report.calls.dropped
        );
    }
    Ok(())
}

/// A number of seconds, e.g. `10` or `0.5`.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .ok_or_else(|| format!("{text:?} is not a number of seconds"))
}

/// A number of seconds more than zero: how often something repeats.
fn parse_interval(text: &str) -> Result<Duration, String> {
    match parse_seconds(text)? {
        Duration::ZERO => Err("an interval must be longer than 0 seconds".into()),
        interval => Ok(interval),
    }
}

/// `50`, `50/s` or `2.5/s`: calls per second.
fn parse_rate(text: &str) -> Result<f64, String> {
    let number = text.trim().strip_suffix("/s").unwrap_or(text.trim());
    match number.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!("{text:?} is not a rate such as 50/s")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_with_or_without_the_unit() {
        assert_eq!(parse_rate("50"), Ok(50.0));
        assert_eq!(parse_rate("2.5/s"), Ok(2.5));
        for bad in ["0", "-1/s", "fast", "50/min", "inf"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn seconds_are_checked_not_converted_blindly() {
        assert_eq!(parse_seconds("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_seconds(" 0.25 "), Ok(Duration::from_millis(250)));
        assert_eq!(parse_seconds("0"), Ok(Duration::ZERO));
        for bad in ["-1", "NaN", "inf", "1e30", "ten", ""] {
            let error = parse_seconds(bad).unwrap_err();
            assert!(error.contains("not a number of seconds"), "{bad}: {error}");
        }
        assert_eq!(parse_interval("0.5"), Ok(Duration::from_millis(500)));
        assert!(parse_interval("0").is_err());
        assert!(parse_interval("-2").is_err());
    }
}
