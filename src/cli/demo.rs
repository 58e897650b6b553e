//! `switchboard demo`: one whole call on loopback, with nothing but this binary.
//!
//! It starts the simulated ElevenLabs agent (script mode by default), a real `serve` on a
//! temporary SQLite database with the demo business seeded, and the simulated caller, then
//! plays one booking call: the transcript as it happens, the tool calls, the booking read back
//! from the database, the relay latency inside the bridge, and a stereo WAV of the call.
//! `--serve` keeps the server and the agent running for calls by hand and load tests; the
//! commands it suggests name this binary as the shell will find it (its full path when it is
//! not on `PATH`, as after `cargo run`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use tokio::net::TcpListener;

use crate::app::{App, Server};
use crate::audio::fixtures::FixtureDir;
use crate::audio::wav::Wav;
use crate::call::Event;
use crate::call::metrics::Direction;
use crate::config::Config;
use crate::sim::agent::{SimAgentConfig, SimMode};
use crate::sim::caller::{CallerConfig, place_call};
use crate::store::Store;
use crate::tools::seed::{DemoBusiness, seed_demo_business};

/// The demo business's number and its agent on the simulated ElevenLabs.
pub const DEMO_NUMBER: &str = "+15550100200";
pub const DEMO_AGENT: &str = "agent_harbor_dental_ava";
const DEMO_TIMEZONE: &str = "America/New_York";
const CALLER_NUMBER: &str = "+15005550006";
const SCRIPT: [&str; 5] = ["book", "when", "yes", "name", "bye"];

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the server and the simulated agent running instead of placing one call.
    #[arg(long)]
    serve: bool,
    /// How the simulated agent behaves: `script` (the booking conversation) or `echo`
    /// (returns the caller's audio at once, for latency measurement).
    #[arg(long, default_value = "script")]
    agent_mode: String,
    /// The agent's audio format (both ways): `ulaw_8000` (no transcoding) or `pcm_<rate>`.
    #[arg(long, default_value = "ulaw_8000")]
    agent_format: String,
    /// Where the server listens with `--serve`.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Where the conversation is written (stereo: caller left, agent right).
    #[arg(long, default_value = "switchboard-demo.wav")]
    wav: PathBuf,
}

struct Demo {
    server: Server,
    store: Store,
    business: DemoBusiness,
    agent_url: String,
    auth_token: String,
    _dir: tempfile::TempDir,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let mode: SimMode = args.agent_mode.parse()?;
    if mode == SimMode::Echo && !args.serve {
        bail!(
            "--agent-mode echo only makes sense with --serve: the echo agent repeats the caller and never books, \
             so the demo call could not finish. For a load test run `{program} demo --serve --agent-mode echo`; \
             for the booking call, `{program} demo`.",
            program = program_name()
        );
    }
    let format = args
        .agent_format
        .parse()
        .with_context(|| format!("--agent-format {}", args.agent_format))?;
    let listen = if args.serve {
        args.listen.as_str()
    } else {
        "127.0.0.1:0"
    };
    let demo = start(mode, format, listen).await?;
    if args.serve {
        serve_until_stopped(demo, mode).await
    } else {
        one_call(demo, mode, &args.wav).await
    }
}

async fn start(mode: SimMode, format: crate::audio::AudioFormat, listen: &str) -> anyhow::Result<Demo> {
    crate::tls::install_crypto_provider();
    let dir = tempfile::tempdir()?;
    let api_key = format!("xi-demo-{:016x}", rand::random::<u64>());
    let agent_listener = TcpListener::bind("127.0.0.1:0").await?;
    let agent_url = format!("http://{}", agent_listener.local_addr()?);
    let agent_config = SimAgentConfig {
        mode,
        input_format: format,
        output_format: format,
        api_key: Some(api_key.clone()),
        ..SimAgentConfig::default()
    };
    tokio::spawn(async move {
        if let Err(e) = crate::sim::agent::serve(agent_listener, agent_config).await {
            eprintln!("the simulated agent stopped: {e}");
        }
    });

    let database_url = format!("sqlite://{}?mode=rwc", dir.path().join("demo.db").display());
    let store = Store::connect(&database_url).await?;
    let business = seed_demo_business(&store, DEMO_NUMBER, DEMO_AGENT, DEMO_TIMEZONE).await?;

    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;
    let auth_token = format!("demo{:028x}", rand::random::<u128>() >> 16);
    let tool_secret = format!("demo-tools-{:016x}", rand::random::<u64>());
    let env = [
        ("SWITCHBOARD_LISTEN", addr.to_string()),
        ("SWITCHBOARD_PUBLIC_URL", format!("http://{addr}")),
        ("SWITCHBOARD_DATABASE_URL", database_url),
        ("SWITCHBOARD_TOOL_SECRET", tool_secret),
        ("TWILIO_AUTH_TOKEN", auth_token.clone()),
        ("ELEVENLABS_API_BASE", agent_url.clone()),
        ("ELEVENLABS_API_KEY", api_key),
    ];
    let config = Config::load(None, |name| {
        env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
    })?;
    let server = Server::start(listener, App::new(config, store.clone()))?;
    Ok(Demo {
        server,
        store,
        business,
        agent_url,
        auth_token,
        _dir: dir,
    })
}

async fn serve_until_stopped(demo: Demo, mode: SimMode) -> anyhow::Result<()> {
    let config = &demo.server.app.config;
    println!("switchboard demo server (simulated agent in {mode} mode); Ctrl-C stops it\n");
    println!("  voice webhook   {}/twilio/voice", config.public_url);
    println!("  demo number     {DEMO_NUMBER}");
    println!("  auth token      {}", demo.auth_token);
    println!(
        "  agent id        {}  (ElevenLabs: {DEMO_AGENT})",
        demo.business.agent_id
    );
    println!(
        "  tool secret     {}",
        config.tool_secret.as_ref().map_or("", |s| s.expose())
    );
    println!("  sim agent       {}", demo.agent_url);
    println!("  metrics         {}/metrics\n", config.public_url);
    let program = program_name();
    println!(
        "try:  {program} sim caller --webhook {}/twilio/voice --to {DEMO_NUMBER} --auth-token {}",
        config.public_url, demo.auth_token
    );
    match mode {
        // The load test measures the round trip of the caller's own audio: it needs the echo.
        SimMode::Echo => println!(
            "      {program} loadtest --server {} --to {DEMO_NUMBER} --auth-token {} --calls 10 --duration 10",
            config.public_url, demo.auth_token
        ),
        SimMode::Script => println!(
            "      for a load test, start the demo with an echo agent instead: {program} demo --serve --agent-mode echo"
        ),
    }
    super::serve::shutdown_signal().await;
    demo.server.shutdown(Duration::from_secs(10)).await?;
    Ok(())
}

/// How a shell finds this binary: `switchboard` if `PATH` leads to it, else its full path.
fn program_name() -> String {
    let exe = std::env::current_exe().ok();
    let path = std::env::var_os("PATH");
    exe.map_or_else(|| "switchboard".into(), |exe| name_on_path(&exe, path.as_deref()))
}

fn name_on_path(exe: &std::path::Path, path: Option<&std::ffi::OsStr>) -> String {
    let Some(name) = exe.file_name() else {
        return exe.display().to_string();
    };
    let same = |candidate: &std::path::Path| match (candidate.canonicalize(), exe.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    // The first match on PATH is what the shell runs.
    let found = path
        .into_iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file());
    match found {
        Some(candidate) if same(&candidate) => name.to_string_lossy().into_owned(),
        _ => exe.display().to_string(),
    }
}

async fn one_call(demo: Demo, mode: SimMode, wav: &std::path::Path) -> anyhow::Result<()> {
    // Fail now rather than after the call if the recording cannot be written.
    std::fs::File::create(wav).with_context(|| format!("creating {}", wav.display()))?;
    let app = &demo.server.app;
    println!("switchboard demo: one call to Harbor Dental, entirely on this machine\n");
    println!(
        "  bridge      {}  (SQLite, demo business seeded)",
        app.config.public_url
    );
    println!(
        "  sim agent   {}  (ElevenLabs stand-in, {mode} mode)",
        demo.agent_url
    );
    println!("  caller      {CALLER_NUMBER} → {DEMO_NUMBER}\n");

    let began = Instant::now();
    let mut events = app.live.subscribe();
    let printer = tokio::spawn(async move {
        let mut booking_reference = None;
        let mut ended = None;
        while let Ok(record) = events.recv().await {
            let at = record.at.saturating_duration_since(began).as_secs_f64();
            match record.event {
                Event::Started(started) => println!("[{at:6.2}s] stream started    {}", started.call_sid),
                Event::ConversationStarted {
                    conversation_id,
                    input,
                    output,
                } => {
                    println!("[{at:6.2}s] agent connected   {conversation_id} ({input} in, {output} out)")
                }
                Event::AgentSaid(text) => println!("[{at:6.2}s] agent  › {text}"),
                Event::CallerSaid(text) => println!("[{at:6.2}s] caller › {text}"),
                Event::Interrupted { .. } => println!("[{at:6.2}s] barge-in: playback cleared"),
                Event::ToolCall(call) => println!("[{at:6.2}s] tool   › {} {}", call.name, call.parameters),
                Event::ToolFinished {
                    name,
                    result,
                    is_error,
                    elapsed,
                    ..
                } => {
                    let shown: String = result.chars().take(160).collect();
                    let more = if result.chars().count() > 160 { "…" } else { "" };
                    let verdict = if is_error { "error" } else { "ok" };
                    println!(
                        "[{at:6.2}s] tool   ‹ {name} {verdict} in {} ms: {shown}{more}",
                        elapsed.as_millis()
                    );
                    if name == "create_booking" && !is_error {
                        booking_reference = serde_json::from_str::<serde_json::Value>(&result)
                            .ok()
                            .and_then(|v| v["booking_id"].as_str().map(str::to_owned));
                    }
                }
                Event::Ended { reason, duration, .. } => {
                    println!(
                        "[{at:6.2}s] call ended: {} after {:.1} s",
                        reason.label(),
                        duration.as_secs_f64()
                    );
                    ended = Some(reason);
                    break;
                }
                _ => {}
            }
        }
        (booking_reference, ended)
    });

    let fixtures = FixtureDir::bundled();
    let mut caller = CallerConfig::new(
        format!("{}/twilio/voice", app.config.public_url),
        &demo.auth_token,
        DEMO_NUMBER,
    );
    caller.from = CALLER_NUMBER.into();
    caller.record = true;
    caller.max_duration = Duration::from_secs(150);
    for name in SCRIPT {
        caller.utterances.push(fixtures.caller(name)?);
    }
    let mut report = place_call(&caller, None).await?;
    let (reference, ended) = tokio::time::timeout(Duration::from_secs(5), printer)
        .await
        .context("the call did not end")??;

    Wav::pcm16(8000, 2, std::mem::take(&mut report.recording)).write_file(wav)?;
    println!();
    let booking = match &reference {
        Some(reference) => {
            demo.store
                .booking_by_reference(&demo.business.account_id, reference)
                .await?
        }
        None => None,
    };
    match &booking {
        Some(b) => {
            let event_type = demo
                .store
                .event_type(&demo.business.account_id, &b.event_type_id)
                .await?;
            let host = demo.store.host(&demo.business.account_id, &b.host_id).await?;
            let tz = jiff::tz::TimeZone::get(&b.timezone)?;
            let local = b.start_at.to_zoned(tz);
            println!("booking, read back from the database");
            println!("  reference   {}", b.reference);
            println!(
                "  what        {} ({} min) with {}",
                event_type.name, event_type.duration_min, host.name
            );
            println!(
                "  when        {} ({})  = {}",
                local.strftime("%A, %B %-d, %-I:%M %p"),
                b.timezone,
                b.start_at
            );
            println!(
                "  who         {}, {}",
                b.invitee_name,
                b.invitee_phone.as_deref().unwrap_or("-")
            );
            println!("  status      {:?}", b.status);
        }
        None => println!("no booking was made"),
    }
    println!();
    println!("relay latency inside the bridge, per 20 ms frame");
    for (label, direction) in [
        ("caller → agent", Direction::CallerToAgent),
        ("agent → caller", Direction::AgentToCaller),
    ] {
        let h = app.metrics.calls.relay_latency(direction);
        let q = |p| {
            h.quantile(p)
                .map_or("-".to_string(), |d| format!("{} µs", d.as_micros()))
        };
        println!(
            "  {label}   p50 {:>8}   p99 {:>8}   ({} frames)",
            q(0.5),
            q(0.99),
            h.count()
        );
    }
    let connect = app
        .metrics
        .upstream_connect
        .quantile(0.5)
        .map_or(0, |d| d.as_millis());
    println!("  agent connection pre-warmed during the webhook ({connect} ms to connect)");
    if let Some(first) = report.first_audio_after {
        println!(
            "  first agent audio heard {} ms after the stream started",
            first.as_millis()
        );
    }
    println!();
    println!(
        "connect action answered: {}",
        report.action.as_deref().unwrap_or("(not requested)")
    );
    println!(
        "conversation written to {} (stereo, 8 kHz: caller left, agent right)",
        wav.display()
    );
    demo.server.shutdown(Duration::from_secs(5)).await?;

    let agent_ended = ended.as_ref().is_some_and(|r| r.label() == "agent_ended");
    if booking.is_none() || !agent_ended || report.turns_spoken != SCRIPT.len() {
        bail!(
            "the demo call did not go as scripted (booking: {}, ended: {:?}, caller turns: {}/{})",
            booking.is_some(),
            ended.map(|r| r.label()),
            report.turns_spoken,
            SCRIPT.len()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_name_the_binary_by_its_path_unless_path_finds_it() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let exe = bin.join("switchboard");
        std::fs::write(&exe, b"").unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        std::fs::write(elsewhere.join("switchboard"), b"").unwrap();

        let on_path = std::env::join_paths([&bin]).unwrap();
        assert_eq!(name_on_path(&exe, Some(&on_path)), "switchboard");
        let not_on_path = std::env::join_paths([dir.path()]).unwrap();
        assert_eq!(name_on_path(&exe, Some(&not_on_path)), exe.display().to_string());
        assert_eq!(name_on_path(&exe, None), exe.display().to_string());
        let another_first = std::env::join_paths([&elsewhere, &bin]).unwrap();
        assert_eq!(
            name_on_path(&exe, Some(&another_first)),
            exe.display().to_string(),
            "another switchboard comes first on PATH"
        );
    }
}
