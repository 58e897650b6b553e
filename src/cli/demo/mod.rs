//! `switchboard demo`: whole calls on loopback, with nothing but this binary.
//!
//! It starts the three stand-ins (the simulated ElevenLabs, script mode by default, with its
//! agents and tools API; the simulated Twilio's REST API; the simulated caller), a real `serve`
//! on a temporary SQLite database with the demo business seeded and pointed at both vendors'
//! stand-ins, then plays three calls: a booking (the transcript as it happens, the tool calls,
//! the booking read back from the database, the relay latency inside the bridge, and a stereo
//! WAV of the call; `booking_call`), a call after hours that leaves a voicemail
//! (`after_hours`), and a call the front desk's agent hands to a person (`transfer`); and last
//! a new agent made through the REST API, provisioned at both stand-ins and rung
//! (`provisioning`).
//! `--serve` keeps the server and the stand-ins running for calls by hand and load tests; the
//! commands it suggests name this binary as the shell will find it (its full path when it is
//! not on `PATH`, as after `cargo run`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use tokio::net::TcpListener;

mod after_hours;
mod booking_call;
mod call_records;
mod live;
mod provisioning;
mod transfer;

use crate::app::{App, Server};
use crate::config::Config;
use crate::manage::keys::Keys;
use crate::sim::agent::{SimAgent, SimAgentConfig, SimMode};
use crate::sim::twilio::{SimTwilio, SimTwilioConfig};
use crate::store::{AccountChange, AgentId, FallbackMode, NewAgent, Store};
use crate::tools::seed::{DemoBusiness, seed_demo_business};

/// The demo business's number and its agent on the simulated ElevenLabs.
pub const DEMO_NUMBER: &str = "+15550100200";
pub const DEMO_AGENT: &str = "agent_harbor_dental_ava";
const DEMO_TIMEZONE: &str = "America/New_York";
const CALLER_NUMBER: &str = "+15005550006";
/// What the booking call's caller says, one clip per turn.
const SCRIPT: [&str; 5] = ["book", "when", "yes", "name", "bye"];
/// The business's booking page, told to callers no agent takes.
const BOOKING_PAGE: &str = "https://harbor-dental.example/book";
/// The front desk: a second agent, whose callers ask for a person.
const FRONT_DESK_NUMBER: &str = "+15550100201";
const FRONT_DESK_AGENT: &str = "agent_harbor_dental_front_desk";
/// The person the front desk hands calls to (its escalation number).
const OFFICE_MANAGER: &str = "+15550100299";
const TRANSFER_REASON: &str = "wants to book a cleaning with a person";

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
    front_desk: AgentId,
    agent_url: String,
    auth_token: String,
    /// The simulated ElevenLabs (its conversations and its REST API).
    agent: SimAgent,
    /// The simulated Twilio's REST API.
    twilio: SimTwilio,
    twilio_url: String,
    /// The demo account's API key.
    api_key: String,
    /// The stand-in SMTP server the confirmation emails go to.
    smtp: crate::sim::smtp::SimSmtp,
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
        return serve_until_stopped(demo, mode).await;
    }
    // Fail now rather than after the call if the recording cannot be written.
    std::fs::File::create(&args.wav).with_context(|| format!("creating {}", args.wav.display()))?;
    let calls = async {
        booking_call::run(&demo, mode, &args.wav).await?;
        after_hours::run(&demo).await?;
        transfer::run(&demo).await?;
        provisioning::run(&demo).await
    };
    let played = calls.await;
    demo.server.shutdown(Duration::from_secs(5)).await?;
    played
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
        transfer_reason: Some(TRANSFER_REASON.into()),
        transfer_agents: vec![FRONT_DESK_AGENT.into()],
        ..SimAgentConfig::default()
    };
    let agent = SimAgent::new(agent_config)?;
    let serving = agent.clone();
    tokio::spawn(async move {
        if let Err(e) = serving.serve(agent_listener).await {
            eprintln!("the simulated agent stopped: {e}");
        }
    });

    let database_url = format!("sqlite://{}?mode=rwc", dir.path().join("demo.db").display());
    let store = Store::connect(&database_url).await?;
    let business = seed_demo_business(&store, DEMO_NUMBER, DEMO_AGENT, DEMO_TIMEZONE).await?;
    let front_desk = add_front_desk(&store, &business).await?;

    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;
    let auth_token = format!("demo{:028x}", rand::random::<u128>() >> 16);
    // The simulated Twilio account: the same token signs its webhooks and opens its REST API.
    let account_sid = format!("AC{:032x}", rand::random::<u128>());
    // The business's numbers are the account's, so its follow-up texts can come from them.
    let mut twilio_config = SimTwilioConfig::new(&account_sid, &auth_token);
    twilio_config.numbers = vec![DEMO_NUMBER.into(), FRONT_DESK_NUMBER.into()];
    let twilio = SimTwilio::new(twilio_config)?;
    let twilio_listener = TcpListener::bind("127.0.0.1:0").await?;
    let twilio_url = format!("http://{}", twilio_listener.local_addr()?);
    let serving = twilio.clone();
    tokio::spawn(async move {
        if let Err(e) = crate::sim::twilio::serve(twilio_listener, serving).await {
            eprintln!("the simulated Twilio stopped: {e}");
        }
    });
    let tool_secret = format!("demo-tools-{:016x}", rand::random::<u64>());
    let env = [
        ("SWITCHBOARD_LISTEN", addr.to_string()),
        ("SWITCHBOARD_PUBLIC_URL", format!("http://{addr}")),
        ("SWITCHBOARD_DATABASE_URL", database_url),
        ("SWITCHBOARD_TOOL_SECRET", tool_secret),
        ("TWILIO_AUTH_TOKEN", auth_token.clone()),
        ("TWILIO_ACCOUNT_SID", account_sid),
        ("TWILIO_API_BASE", twilio_url.clone()),
        ("ELEVENLABS_API_BASE", agent_url.clone()),
        ("ELEVENLABS_API_KEY", api_key),
    ];
    let mut config = Config::load(None, |name| {
        env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
    })?;
    // The confirmation emails go to an SMTP stand-in on loopback, without TLS.
    let smtp = crate::sim::smtp::SimSmtp::default();
    let smtp_listener = TcpListener::bind("127.0.0.1:0").await?;
    config.email = crate::config::EmailConfig {
        host: Some("127.0.0.1".into()),
        port: smtp_listener.local_addr()?.port(),
        tls: crate::config::SmtpTls::None,
        allow_plain_loopback: true,
        from: Some("Harbor Dental <bookings@harbor-dental.example>".into()),
        ..crate::config::EmailConfig::default()
    };
    tokio::spawn(smtp.clone().serve(smtp_listener));
    // One call at a time, on whatever else the machine is doing: the overload check, which
    // guards a server full of calls, would only turn the demo's caller away on a busy machine.
    config.call.overload_lateness_ms = 0;
    config.call.overload_database_ms = 0;
    let server = Server::start(listener, App::new(config, store.clone()))?;
    let api_key = Keys::new(store.clone())
        .issue(Some(&business.account_id), "demo")
        .await?
        .secret;
    Ok(Demo {
        server,
        store,
        business,
        front_desk,
        agent_url,
        auth_token,
        agent,
        twilio,
        twilio_url,
        api_key,
        smtp,
        _dir: dir,
    })
}

impl Demo {
    /// The simulated Twilio's host (its recordings' URLs are on it).
    fn twilio_host(&self) -> String {
        url::Url::parse(&self.twilio_url)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_else(|| "127.0.0.1".to_owned())
    }
}

async fn serve_until_stopped(demo: Demo, mode: SimMode) -> anyhow::Result<()> {
    let config = &demo.server.app.config;
    // Each call's transcript and outcome, printed once its record is written.
    demo.server
        .app
        .recorder
        .after_call()
        .register(std::sync::Arc::new(call_records::PrintRecords));
    println!("switchboard demo server (simulated agent in {mode} mode); Ctrl-C stops it\n");
    println!("  voice webhook   {}/twilio/voice", config.public_url);
    println!("  demo number     {DEMO_NUMBER}");
    println!(
        "  front desk      {FRONT_DESK_NUMBER}  agent id {}  (its callers ask for a person: {OFFICE_MANAGER})",
        demo.front_desk
    );
    println!("  auth token      {}", demo.auth_token);
    println!(
        "  agent id        {}  (ElevenLabs: {DEMO_AGENT})",
        demo.business.agent_id
    );
    println!(
        "  tool secret     {}",
        config.tool_secret.as_ref().map_or("", |s| s.expose())
    );
    println!(
        "  sim agent       {}  (ElevenLabs: conversations and the agents and tools API)",
        demo.agent_url
    );
    println!(
        "  sim twilio      {}  (Twilio's REST API; account {})",
        demo.twilio_url,
        demo.twilio.account_sid()
    );
    println!("  API key         {}", demo.api_key);
    println!("  metrics         {}/metrics", config.public_url);
    println!("  call records    printed below as each call ends (transcript, tool calls, outcome)\n");
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
    println!(
        "      curl -s -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\\n        \
         -d '{{\"name\":\"Max\",\"greeting\":\"Harbor Dental, this is Max.\"}}' {url}/api/v1/agents",
        key = demo.api_key,
        url = config.public_url
    );
    println!(
        "      (an agent made at the simulated ElevenLabs; then POST {{\"buy\":{{\"country\":\"US\",\"area_code\":\"415\"}}}} \
         to {url}/api/v1/agents/<id>/phone buys it a number at the simulated Twilio)",
        url = config.public_url
    );
    super::serve::shutdown_signal().await;
    demo.server.shutdown(Duration::from_secs(10)).await?;
    Ok(())
}

/// The booking page, texts after calls, the business plan (unlimited minutes and 20 calls at once, so a load test
/// against `--serve` meets the server's limits, not the plan's), and a second agent at the
/// front desk that hands callers to the office manager.
async fn add_front_desk(store: &Store, business: &DemoBusiness) -> anyhow::Result<AgentId> {
    let change = AccountChange {
        plan: Some("business".into()),
        booking_url: Some(Some(BOOKING_PAGE.into())),
        sms_follow_ups: Some(true),
        ..AccountChange::default()
    };
    store.update_account(&business.account_id, change).await?;
    let desk = NewAgent {
        name: "Front desk".into(),
        phone_number: Some(FRONT_DESK_NUMBER.into()),
        elevenlabs_agent_id: FRONT_DESK_AGENT.into(),
        timezone: DEMO_TIMEZONE.into(),
        first_message: Some("Harbor Dental, front desk. How can I help?".into()),
        fallback_mode: FallbackMode::Dial,
        fallback_number: Some(OFFICE_MANAGER.into()),
        ..NewAgent::default()
    };
    Ok(store.create_agent(&business.account_id, desk).await?.id)
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
