//! `switchboard serve`: the bridge, configured from the environment and an optional file.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use crate::config::Config;
use crate::store::{Store, redact_url, sqlite_file};

/// How long calls in flight may run on after SIGTERM.
const DRAIN_DEADLINE: Duration = Duration::from_secs(600);

pub async fn run(config_path: Option<PathBuf>, create_database: bool) -> anyhow::Result<()> {
    let mut config = Config::from_env(config_path.as_deref())?;
    config.database.create |= create_database;
    config.check_serve()?;
    crate::tls::install_crypto_provider();
    let store = open_store(&config).await?;
    let synced = crate::app::sync_config_agents(&store, &config.agents).await?;
    let public_url = config.public_url.clone();
    let server = crate::app::start(config, store)
        .await
        .context("binding the listen address")?;
    tracing::info!(
        listen = %server.local_addr,
        %public_url,
        agents_added = synced.added,
        "switchboard is serving; point your Twilio number's voice webhook at {public_url}/twilio/voice"
    );
    shutdown_signal().await;
    tracing::info!("shutting down: draining calls in flight");
    server.shutdown(DRAIN_DEADLINE).await?;
    Ok(())
}

/// Opens the configured database and brings its schema up to date; a missing SQLite file is
/// refused unless `[database] create` (or `--create-database`) says to make it.
pub(super) async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let options = crate::app::store_options(&config.database);
    match Store::connect_with(&config.database_url, options).await {
        Ok(store) => Ok(store),
        Err(error) => {
            let missing = sqlite_file(&config.database_url).filter(|file| !file.exists());
            if missing.is_some() {
                anyhow::bail!(
                    "{error}: start with --create-database (or set `create = true` under \
                     [database], or SWITCHBOARD_DATABASE_CREATE=true) to create it"
                );
            }
            Err(error).with_context(|| format!("opening the database {}", redact_url(&config.database_url)))
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
