//! Running the bridge: bind, serve, drain on shutdown.
//!
//! Shutdown is a drain, not a cut, in this order:
//! 1. new calls are refused politely (TwiML) and `/readyz` turns false, so a load balancer
//!    stops sending any;
//! 2. the calls in flight run to their end, up to the deadline, and so do the calls answered
//!    (or being answered as the drain began) whose media stream has not arrived yet (their
//!    stream token is neither redeemed nor expired): the server goes on accepting their streams; any call still up at the deadline
//!    then hangs up through its normal close: its record is finished and the caller hears the
//!    fallback;
//! 3. the server keeps answering until Twilio has asked the connect action of every call the
//!    bridge ended (bounded), so those callers hear their fallback rather than an error;
//! 4. HTTP stops (connections still busy get `listener::CLOSE_GRACE`), then the background
//!    workers, which first write everything the calls left (their records, and the recordings
//!    their encoder tasks finish).

use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use jiff::Timestamp;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{App, listener};
use crate::config::Config;
use crate::store::Store;
use crate::telephony::Outstanding;

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
        let config = app.config.clone();
        let metrics = app.metrics.clone();
        let stop = stop_http.clone();
        let task =
            tokio::spawn(async move { listener::serve(listener, router, &config.http, metrics, stop).await });
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
        let settled = async {
            // A call admitted before the close may still be getting its stream token.
            app.admission.answers_given().await;
            calls_over(app).await
        };
        if tokio::time::timeout(deadline, settled).await.is_err() {
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

/// Resolves once no call runs here and none is on its way: every stream token issued here is
/// redeemed or expired, and every stream that redeemed one has ended.
async fn calls_over(app: &App) {
    loop {
        let issued = streams_arrived(app).await;
        // A stream is counted among the calls from its upgrade, before it redeems its token.
        app.calls.finished().await;
        if app.tokens.outstanding(Timestamp::now())
            == (Outstanding {
                issued,
                calls: 0,
                until: None,
            })
        {
            return;
        }
    }
}

/// Resolves once every stream token issued here is redeemed or expired; the count of tokens
/// issued then.
async fn streams_arrived(app: &App) -> u64 {
    loop {
        let mut redemption = pin!(app.tokens.redemption());
        redemption.as_mut().enable();
        let outstanding = app.tokens.outstanding(Timestamp::now());
        let Some(until) = outstanding.until else {
            return outstanding.issued;
        };
        tracing::info!("waiting for the media streams of calls answered");
        let expiry = Duration::try_from(until.duration_since(Timestamp::now())).unwrap_or_default();
        tokio::select! {
            _ = redemption => {}
            _ = tokio::time::sleep(expiry) => {}
        }
    }
}

/// Builds every service for `config` and starts serving on its listen address.
pub async fn start(config: Config, store: Store) -> std::io::Result<Server> {
    let listener = TcpListener::bind(config.listen).await?;
    Server::start(listener, App::new(config, store))
}
