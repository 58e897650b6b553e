//! The command line: `serve`, `demo`, the simulators, the load test, and admin commands.

mod admin;
mod demo;
mod limits;
mod loadtest;
pub mod logging;
mod serve;
mod sim;
mod tools;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use admin::UsageError;

#[derive(Debug, Parser)]
#[command(
    name = "switchboard",
    version,
    about = "Twilio ⇄ ElevenLabs Conversational AI media bridge"
)]
pub struct Cli {
    /// Log format. The level comes from RUST_LOG (default: info; warn for `demo` and
    /// `loadtest`).
    #[arg(
        long,
        global = true,
        env = "SWITCHBOARD_LOG_FORMAT",
        default_value = "text",
        value_parser = ["text", "json"]
    )]
    log_format: String,
    /// Show only the last four digits of callers' numbers in logs.
    #[arg(long, global = true, env = "SWITCHBOARD_LOG_MASK_NUMBERS")]
    log_mask_numbers: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the bridge.
    #[command(after_help = SERVE_ENVIRONMENT)]
    Serve {
        /// TOML configuration file; the environment overrides it.
        #[arg(long, env = "SWITCHBOARD_CONFIG")]
        config: Option<PathBuf>,
        /// Create the SQLite database file if it is missing (also `[database] create = true`
        /// or SWITCHBOARD_DATABASE_CREATE=true); otherwise a missing file stops the start.
        #[arg(long)]
        create_database: bool,
    },
    /// One whole call on loopback with the built-in simulators (or `--serve` to keep them up).
    Demo(demo::DemoArgs),
    /// Stand-ins for Twilio and ElevenLabs.
    #[command(subcommand)]
    Sim(sim::SimCommand),
    /// The booking tools' definitions for ElevenLabs.
    #[command(subcommand)]
    Tools(tools::ToolsCommand),
    /// Many simulated Twilio calls at once against a bridge: echo round trip, loss,
    /// interruption → clear, the server's CPU and memory.
    #[command(name = "loadtest")]
    LoadTest(loadtest::LoadTestArgs),
    /// Plans, accounts and API keys (and what the REST API manages), for the operator and scripts.
    Admin(admin::AdminArgs),
    /// A fixed CPU workload, timed: this machine's speed beside load-test figures, as one JSON
    /// line (`scripts/bench-capacity.sh`). Hidden: a benchmarking probe, not a user's command.
    #[command(name = "machine-speed", hide = true)]
    MachineSpeed {
        /// Rounds of the workload; the fastest counts.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
        rounds: u32,
    },
}

/// The settings `serve` reads from the environment (each overrides its key in the file).
const SERVE_ENVIRONMENT: &str = "\
Environment (each overrides the config file's key in brackets; an empty variable is unset):
  SWITCHBOARD_LISTEN         [listen] address to listen on (default 0.0.0.0:8080)
  SWITCHBOARD_PUBLIC_URL     [public_url] the https:// URL Twilio calls (default http://<listen>)
  SWITCHBOARD_DATABASE_URL   [database_url] sqlite://… or postgres://… (default sqlite://switchboard.db; a missing file needs --create-database)
  SWITCHBOARD_TOOL_SECRET    [tool_secret] X-Voice-Secret of webhook tools (unset: /tools refused)
  TWILIO_AUTH_TOKEN          [twilio.auth_token] required: every Twilio request is signature-checked
  TWILIO_ACCOUNT_SID         [twilio.account_sid]
  TWILIO_API_BASE            [twilio.api_base] (default https://api.twilio.com)
  ELEVENLABS_API_KEY         [elevenlabs.api_key] for private agents (signed URLs)
  ELEVENLABS_API_BASE        [elevenlabs.api_base] (default https://api.elevenlabs.io)
  SWITCHBOARD_HTTP_TRUSTED_PROXIES  [http.trusted_proxies] proxies whose X-Forwarded-For names the client
  SWITCHBOARD_LOG_FORMAT     text or json (also --log-format)
  SWITCHBOARD_LOG_MASK_NUMBERS  true: callers' numbers show only their last four digits
  RUST_LOG                   log level and filters (default info)";

/// Parses the command line and runs the command.
pub fn main() -> anyhow::Result<()> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // `admin`'s bad input is one line and exit code 2, for scripts.
        Err(error) => match admin::usage_error(&error) {
            Some(usage) => return Err(usage.into()),
            None => error.exit(),
        },
    };
    if let Command::MachineSpeed { rounds } = cli.command {
        let speed = crate::loadtest::machine_speed::measure(rounds);
        println!("{}", serde_json::to_string(&speed)?);
        return Ok(());
    }
    // Commands that hold a socket or more per call raise their open-file limit (see limits).
    let open_file_limit = match cli.command {
        Command::Tools(_) | Command::Admin(_) | Command::MachineSpeed { .. } => None,
        _ => limits::raise_open_file_limit().ok(),
    };
    let json = cli.log_format == "json";
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve {
                config,
                create_database,
            } => {
                logging::init(json, cli.log_mask_numbers, "info");
                serve::run(config, create_database).await
            }
            Command::Demo(args) => {
                logging::init(json, cli.log_mask_numbers, "warn");
                demo::run(args).await
            }
            Command::Sim(command) => {
                logging::init(json, cli.log_mask_numbers, "info");
                sim::run(command).await
            }
            Command::Tools(command) => tools::run(command),
            Command::LoadTest(args) => {
                logging::init(json, cli.log_mask_numbers, "warn");
                loadtest::run(args, open_file_limit).await
            }
            Command::Admin(args) => {
                logging::init(json, cli.log_mask_numbers, "warn");
                admin::run(args).await
            }
            Command::MachineSpeed { .. } => unreachable!("measured before the runtime starts"),
        }
    })
}
