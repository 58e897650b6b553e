//! Running the bridge: bind, serve, drain on shutdown.
//!
//! Shutdown is a drain, not a cut: `/readyz` turns false so a load balancer stops sending new
//! calls, new calls that still arrive hear a polite TwiML message, and calls in flight run to
//! their end (up to a deadline). Only then does the process exit.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{AgentConfig, Config};
use crate::http::{self, AppState};
use crate::store::{AccountId, NewAccount, NewAgent, Store, StoreError};

/// A running server.
pub struct Server {
    pub state: AppState,
    pub local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Serves on `listener` until [`Server::shutdown`].
    pub fn start(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
        let local_addr = listener.local_addr()?;
        let (stop, mut stopped) = watch::channel(false);
        let app = http::router(state.clone());
        let task = tokio::spawn(async move {
            // Nagle's algorithm would hold small audio frames back waiting for ACKs.
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await
        });
        Ok(Server {
            state,
            local_addr,
            stop,
            task,
        })
    }

    /// Drains: stops taking calls, waits up to `deadline` for calls in flight, then stops.
    pub async fn shutdown(self, deadline: Duration) -> std::io::Result<()> {
        self.state.draining.store(true, Ordering::Relaxed);
        let waited = tokio::time::timeout(deadline, async {
            while self.state.metrics.active_calls.load(Ordering::Relaxed) > 0 {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
        if waited.is_err() {
            tracing::warn!(
                active = self.state.metrics.active_calls.load(Ordering::Relaxed),
                "drain deadline passed with calls still running"
            );
        }
        let _ = self.stop.send(true);
        self.task.await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// Builds the state for `config` and starts serving on its listen address.
pub async fn start(config: Config, store: Store) -> std::io::Result<Server> {
    let listener = TcpListener::bind(config.listen).await?;
    Server::start(listener, AppState::new(config, store))
}

/// Creates the agents of the config file that the store doesn't know yet (by number).
pub async fn sync_config_agents(store: &Store, agents: &[AgentConfig]) -> Result<usize, StoreError> {
    let mut accounts: HashMap<String, AccountId> = HashMap::new();
    let mut missing = Vec::new();
    for agent in agents {
        match store.agent_by_phone_number(&agent.phone_number).await? {
            Some(existing) => {
                accounts
                    .entry(agent.business.clone())
                    .or_insert(existing.account_id);
            }
            None => missing.push(agent),
        }
    }
    for agent in &missing {
        let account_id = match accounts.get(&agent.business) {
            Some(id) => id.clone(),
            None => {
                let account = store
                    .create_account(NewAccount {
                        name: agent.business.clone(),
                        plan: "pro".into(),
                    })
                    .await?;
                accounts.insert(agent.business.clone(), account.id.clone());
                account.id
            }
        };
        store
            .create_agent(
                &account_id,
                NewAgent {
                    name: agent.name.clone(),
                    phone_number: agent.phone_number.clone(),
                    elevenlabs_agent_id: agent.elevenlabs_agent_id.clone(),
                    timezone: agent.timezone.clone(),
                    first_message: agent.first_message.clone(),
                    fallback_mode: agent.fallback,
                    fallback_number: agent.fallback_number.clone(),
                },
            )
            .await?;
        tracing::info!(number = %agent.phone_number, agent = %agent.name, "agent from the config file added");
    }
    Ok(missing.len())
}
