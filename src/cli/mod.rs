//! The command line: `serve`, `demo`, the simulators, the load test, and admin commands.

mod demo;
mod limits;
mod loadtest;
mod serve;
mod sim;
mod tools;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

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
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the bridge.
    Serve {
        /// TOML configuration file (also SWITCHBOARD_CONFIG); the environment overrides it.
        #[arg(long)]
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
}

/// Parses the command line and runs the command.
pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Commands that hold a socket or more per call raise their open-file limit (see limits).
    let open_file_limit = match cli.command {
        Command::Tools(_) => None,
        _ => limits::raise_open_file_limit().ok(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve {
                config,
                create_database,
            } => {
                init_logging(&cli.log_format, "info");
                serve::run(config, create_database).await
            }
            Command::Demo(args) => {
                init_logging(&cli.log_format, "warn");
                demo::run(args).await
            }
            Command::Sim(command) => {
                init_logging(&cli.log_format, "info");
                sim::run(command).await
            }
            Command::Tools(command) => tools::run(command),
            Command::LoadTest(args) => {
                init_logging(&cli.log_format, "warn");
                loadtest::run(args, open_file_limit).await
            }
        }
    })
}

/// Logs to stderr; `RUST_LOG` overrides `default_level`.
pub fn init_logging(format: &str, default_level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
