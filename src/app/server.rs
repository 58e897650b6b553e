//! Running the bridge: bind, serve, drain on shutdown.
//!
//! Shutdown is a drain, not a cut, in this order:
//! 1. new calls are refused politely (TwiML) and `/readyz` turns false, so a load balancer
//!    stops sending any;
//! 2. the calls in flight run to their end, up to the deadline; any still up then hangs up
//!    through its normal close: its record is finished and the caller hears the fallback;
//! 3. the server keeps answering until Twilio has asked the connect action of every call the
//!    bridge ended (bounded), so those callers hear their fallback rather than an error;
//! 4. HTTP stops, then the background workers, which first write everything the calls left.

use std::net::SocketAddr;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::App;
use crate::config::Config;
use crate::store::Store;

/// How long Twilio gets to ask for the connect action of the calls ended in the drain.
const CONNECT_ACTION_GRACE: Duration = Duration::from_secs(5);
/// How long the workers get to write what the calls left.
const WORKERS_GRACE: Duration = Duration::from_secs(15);

/// A running server.
pub struct Server {
    pub app: App,
    pub local_addr: SocketAddr,
    stop_http: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Serves `app` on `listener` until [`Server::shutdown`].
    pub fn start(listener: TcpListener, app: App) -> std::io::Result<Server> {
        let local_addr = listener.local_addr()?;
        let stop_http = CancellationToken::new();
        let router = app.router();
        let stopped = stop_http.clone().cancelled_owned();
        let task = tokio::spawn(async move {
            // Nagle's algorithm would hold small audio frames back waiting for ACKs.
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            axum::serve(listener, router)
                .with_graceful_shutdown(stopped)
                .await
        });
        Ok(Server {
            app,
            local_addr,
            stop_http,
            task,
        })
    }

    /// Drains (see the module documentation): the calls in flight get until `deadline`.
    pub async fn shutdown(self, deadline: Duration) -> std::io::Result<()> {
        let app = &self.app;
        app.admission.close();
        if tokio::time::timeout(deadline, app.calls.finished())
            .await
            .is_err()
        {
            tracing::warn!(
                calls = app.calls.running(),
                "drain deadline passed; hanging up the calls still up"
            );
            app.calls.stop();
            // Each call's close is bounded by the write timeout on either socket.
            let closing = app.config.call.write_timeout() * 2 + Duration::from_secs(1);
            if tokio::time::timeout(closing, app.calls.finished()).await.is_err() {
                tracing::warn!(
                    calls = app.calls.running(),
                    "calls still closing; stopping anyway"
                );
            }
        }
        let answered = app.recorder.connect_actions_answered();
        if tokio::time::timeout(CONNECT_ACTION_GRACE, answered)
            .await
            .is_err()
        {
            tracing::warn!(
                calls = app.recorder.awaiting_connect_actions(),
                "Twilio did not ask for every ended call's next step in time"
            );
        }
        self.stop_http.cancel();
        let served = self.task.await.unwrap_or_else(|e| Err(std::io::Error::other(e)));
        app.workers.stop();
        if tokio::time::timeout(WORKERS_GRACE, app.workers.finished())
            .await
            .is_err()
        {
            tracing::warn!("background workers did not finish in time; some call records may be incomplete");
        }
        served
    }
}

/// Builds every service for `config` and starts serving on its listen address.
pub async fn start(config: Config, store: Store) -> std::io::Result<Server> {
    let listener = TcpListener::bind(config.listen).await?;
    Server::start(listener, App::new(config, store))
}
