//! `switchboard admin`: the operator's command line over the same management use cases as the
//! REST API (`manage`), for people (tables, `key: value` lines) and for scripts (`--json`: one
//! document with the API's field names). One file per resource.
//!
//! The database is found as `serve` finds it (`--config`, the environment, the default), its
//! migrations run, and a missing SQLite file is refused unless `--create-database`. Bad input
//! exits 2 with the flag at fault named; any other failure exits 1.

mod account_arg;
mod accounts;
mod agents;
mod event_types;
mod failure;
mod hosts;
mod hours;
mod keys;
mod list;
mod output;
mod phone;
mod plans;
mod schedule_args;

use std::path::PathBuf;

use clap::{Args, Subcommand};

pub use failure::UsageError;

use crate::app::provisioning;
use crate::config::Config;
use crate::manage::{Accounts, Keys};
use crate::provision::{Provisioner, Undoers};
use output::Output;

#[derive(Debug, Args)]
pub struct AdminArgs {
    /// TOML configuration file, as for `serve`; the environment overrides it.
    #[arg(long, global = true, env = "SWITCHBOARD_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// sqlite://… or postgres://… (default: SWITCHBOARD_DATABASE_URL, the config file's
    /// `database_url`, then sqlite://switchboard.db).
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    /// Create the SQLite database file if it is missing; otherwise a missing file is refused.
    #[arg(long, global = true)]
    create_database: bool,
    /// Print one JSON document (the REST API's fields) instead of text for people.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    resource: Resource,
}

#[derive(Debug, Subcommand)]
enum Resource {
    /// The plans accounts can be on, and their limits.
    #[command(subcommand)]
    Plans(plans::PlansCommand),
    /// The businesses this server runs.
    #[command(subcommand)]
    Accounts(accounts::AccountsCommand),
    /// API keys: the operator's and the accounts'.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// An account's voice agents.
    #[command(subcommand)]
    Agents(agents::AgentsCommand),
    /// An agent's number at Twilio: attach one, buy one, give it up into its hold.
    #[command(subcommand)]
    Phone(phone::PhoneCommand),
    /// The people (or rooms) whose time is booked.
    #[command(subcommand)]
    Hosts(hosts::HostsCommand),
    /// A host's weekly hours, date overrides and blackout dates.
    #[command(subcommand)]
    Hours(hours::HoursCommand),
    /// The kinds of meeting an account offers.
    #[command(subcommand)]
    EventTypes(event_types::EventTypesCommand),
}

pub async fn run(args: AdminArgs) -> anyhow::Result<()> {
    let mut config = Config::from_env(args.config.as_deref())?;
    if let Some(url) = args.database_url {
        config.database_url = url;
    }
    config.database.create |= args.create_database;
    crate::tls::install_crypto_provider();
    let store = super::serve::open_store(&config).await?;
    let out = Output { json: args.json };
    let accounts = Accounts::new(store.clone());
    let keys = Keys::new(store.clone());
    let result = match args.resource {
        Resource::Plans(command) => plans::run(command, &accounts, out).await,
        Resource::Accounts(command) => accounts::run(command, &accounts, out).await,
        Resource::Keys(command) => keys::run(command, &accounts, &keys, out).await,
        Resource::Agents(command) => {
            let provisioner = Provisioner::new(
                store.clone(),
                provisioning::with_vendor_undos(Undoers::default(), &config, &store),
            );
            let agents = provisioning::agents(&config, &store, &provisioner);
            agents::run(command, &accounts, &agents, out).await
        }
        Resource::Phone(command) => {
            let provisioner = Provisioner::new(
                store.clone(),
                provisioning::with_vendor_undos(Undoers::default(), &config, &store),
            );
            let phones = provisioning::phones(&config, &store, &provisioner);
            phone::run(command, &accounts, &phones, out).await
        }
        Resource::Hosts(command) => hosts::run(command, &accounts, &store, out).await,
        Resource::Hours(command) => hours::run(command, &accounts, &store, out).await,
        Resource::EventTypes(command) => event_types::run(command, &accounts, &store, out).await,
    };
    store.close().await;
    result
}

/// A command-line error of `admin` on one line (clap's own spans several, with its usage).
/// Help, the version, and the help shown for a command given without its verb are not errors.
pub fn usage_error(error: &clap::Error) -> Option<UsageError> {
    use clap::error::ErrorKind;
    if !error.use_stderr() || error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        return None;
    }
    // `args_os`: an argument that is not UTF-8 must not panic here (clap reports it).
    if !is_admin(
        std::env::args_os()
            .skip(1)
            .map(|arg| arg.to_string_lossy().into_owned()),
    ) {
        return None;
    }
    let rendered = error.render().to_string();
    let mut line = String::new();
    for part in rendered.lines().map(str::trim).filter(|part| !part.is_empty()) {
        if part.starts_with("Usage:") || part.starts_with("For more information") {
            break;
        }
        let part = part.strip_prefix("error: ").unwrap_or(part);
        if !line.is_empty() {
            line.push_str(if part.starts_with("tip:") { "; " } else { " " });
        }
        line.push_str(part);
    }
    Some(UsageError(line))
}

/// Whether the command line's subcommand is `admin`: the first argument that is neither one of
/// the global options nor the value of `--log-format`.
fn is_admin(mut args: impl Iterator<Item = String>) -> bool {
    while let Some(arg) = args.next() {
        if arg == "--log-format" {
            args.next();
        } else if !arg.starts_with('-') {
            return arg == "admin";
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> impl Iterator<Item = String> {
        line.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn the_admin_command_is_found_after_the_global_options() {
        assert!(is_admin(args("admin plans list")));
        assert!(is_admin(args("--log-format json --log-mask-numbers admin plans")));
        assert!(is_admin(args("--log-format=json admin")));
        assert!(!is_admin(args("serve --config admin")));
        assert!(!is_admin(args("--log-format admin serve")));
        assert!(!is_admin(args("")));
    }
}
