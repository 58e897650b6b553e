//! The HTTP front door: the accept loop and each connection's life, with the limits a public
//! listener needs (`config::HttpConfig`).
//!
//! axum's `serve` cannot be given any of them: it has no connection cap, sets no timer on
//! hyper (so no header timeout at all), and its graceful shutdown waits for every connection
//! for as long as the client likes (one that stops halfway through a request body holds the
//! drain forever). So this loop drives hyper's HTTP/1 connections itself, with hyper-util's
//! tokio glue:
//! - a connection over the caps ([`ConnectionLimits`]) is closed as soon as it is accepted,
//!   counted, and logged at most once per [`REFUSAL_LOG_EVERY`];
//! - a connection with nothing to do is closed after the idle timeout, one that started a
//!   request is dropped if its headers are not in within the header timeout
//!   ([`ConnectionClock`]), and a request (its body included) is answered 408 after the
//!   request timeout (tower-http's `TimeoutLayer`);
//! - a media stream leaves hyper once upgraded to a WebSocket: none of these timeouts apply to
//!   it, and it keeps its place under the caps for the whole call (the place goes with the
//!   socket);
//! - on stop, new connections are no longer accepted, each open one is closed gracefully
//!   (an idle keep-alive one at once, one with a request in flight after its response) and
//!   any still open [`CLOSE_GRACE`] later is dropped: the drain ends whatever clients do.
//!
//! HTTP/1.1 only: Twilio's webhooks and media streams and ElevenLabs' webhook tools use it.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;
use tower_http::timeout::TimeoutLayer;

use super::connection_clock::{ConnectionClock, Overdue, Progress, Timeouts};
use super::connection_limits::{ConnectionLimits, RefusalLog, Slot, default_max_connections};
use crate::config::HttpConfig;
use crate::telephony::Metrics;

/// How long connections still open when the server stops get to finish their requests.
pub const CLOSE_GRACE: Duration = Duration::from_secs(5);
/// At most one log line per this long about refused connections (and about failed accepts).
pub const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);
/// Pause after a failed accept (the process is out of descriptors, say), so as not to spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `router` on `listener` under the limits of `config` until `stop`; resolves once
/// every connection is closed (at most [`CLOSE_GRACE`] after `stop`).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    config: &HttpConfig,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
) -> io::Result<()> {
    let max_connections = match config.max_connections {
        0 => default_max_connections(),
        configured => configured,
    };
    tracing::info!(
        max_connections,
        per_address = config.max_connections_per_address,
        "accepting HTTP connections"
    );
    let limits = ConnectionLimits::new(max_connections, config.max_connections_per_address, metrics);
    let timeouts = Timeouts {
        header_read: config.header_read_timeout(),
        idle: config.idle_timeout(),
    };
    let router = router.layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        config.request_timeout(),
    ));
    let connections = TaskTracker::new();
    let mut refusals = RefusalLog::new(REFUSAL_LOG_EVERY);
    let mut accept_failures = RefusalLog::new(REFUSAL_LOG_EVERY);
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            // The client gave up between its connect and our accept.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
                ) =>
            {
                continue;
            }
            Err(e) => {
                if let Some(failures) = accept_failures.refused(Instant::now()) {
                    tracing::error!(error = %e, failures, "cannot accept HTTP connections");
                }
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                }
            }
        };
        let slot = match limits.admit(peer.ip()) {
            Ok(slot) => slot,
            Err(limit) => {
                if let Some(refused) = refusals.refused(Instant::now()) {
                    tracing::warn!(
                        limit = limit.label(),
                        refused,
                        "closing new connections at once: the server is at its limit"
                    );
                }
                drop(tcp);
                continue;
            }
        };
        // Nagle's algorithm would hold small audio frames back waiting for ACKs.
        let _ = tcp.set_nodelay(true);
        connections.spawn(serve_connection(
            tcp,
            peer,
            slot,
            router.clone(),
            timeouts,
            stop.clone(),
        ));
    }
    // New connections now wait in the kernel's backlog until the socket closes, then fail.
    drop(listener);
    connections.close();
    connections.wait().await;
    Ok(())
}

/// What a connection's requests are doing, as its clock needs to know.
#[derive(Debug, Default)]
struct Activity {
    requests: AtomicU64,
    in_flight: AtomicUsize,
    bytes_read: AtomicU64,
}

impl Activity {
    fn progress(&self) -> Progress {
        Progress {
            requests: self.requests.load(Relaxed),
            in_flight: self.in_flight.load(Relaxed),
            bytes_read: self.bytes_read.load(Relaxed),
        }
    }
}

/// A request in flight, from hyper's call of the service to its response.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn begin(activity: &Arc<Activity>) -> Self {
        activity.requests.fetch_add(1, Relaxed);
        activity.in_flight.fetch_add(1, Relaxed);
        InFlight(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Relaxed);
    }
}

/// The accepted socket, counting what it reads and holding the connection's place under the
/// caps. An upgraded media stream keeps it, and so its place, until the call ends.
struct Watched {
    tcp: TcpStream,
    activity: Arc<Activity>,
    _slot: Slot,
}

impl AsyncRead for Watched {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let read = Pin::new(&mut this.tcp).poll_read(cx, buf);
        let count = buf.filled().len() - before;
        if count > 0 {
            this.activity.bytes_read.fetch_add(count as u64, Relaxed);
        }
        read
    }
}

impl AsyncWrite for Watched {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

/// How a connection's serving stopped short of its end.
enum Interrupted {
    Overdue(Overdue),
    Stopping,
}

/// Serves one connection until it ends, its time runs out, or the server stops.
async fn serve_connection(
    tcp: TcpStream,
    peer: SocketAddr,
    slot: Slot,
    router: Router,
    timeouts: Timeouts,
    stop: CancellationToken,
) {
    let activity = Arc::new(Activity::default());
    let io = TokioIo::new(Watched {
        tcp,
        activity: activity.clone(),
        _slot: slot,
    });
    let service = hyper::service::service_fn({
        let activity = activity.clone();
        move |mut request: hyper::Request<hyper::body::Incoming>| {
            // The client's address, for handlers that limit per address (`ConnectInfo`).
            request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            let in_flight = InFlight::begin(&activity);
            let response = router.clone().oneshot(request);
            async move {
                let response: Result<_, Infallible> = response.await;
                drop(in_flight);
                response
            }
        }
    });
    let mut builder = http1::Builder::new();
    // The connection's clock times the headers instead (see `connection_clock`).
    builder.header_read_timeout(None);
    let mut connection = pin!(builder.serve_connection(io, service).with_upgrades());
    let mut clock = ConnectionClock::new(timeouts, Instant::now());
    let mut stopping = pin!(stop.cancelled());
    let mut timer = pin!(tokio::time::sleep(timeouts.idle));
    let interrupted = std::future::poll_fn(|cx| {
        if let Poll::Ready(served) = connection.as_mut().poll(cx) {
            if let Err(e) = served {
                tracing::debug!(error = %e, "HTTP connection failed");
            }
            return Poll::Ready(None);
        }
        if stopping.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Interrupted::Stopping));
        }
        // Every change the clock looks at happened inside the connection's poll just now.
        let Some((deadline, overdue)) = clock.observe(Instant::now(), activity.progress()) else {
            return Poll::Pending;
        };
        let deadline = tokio::time::Instant::from_std(deadline);
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Interrupted::Overdue(overdue))),
            Poll::Pending => Poll::Pending,
        }
    })
    .await;
    match interrupted {
        None => {}
        Some(Interrupted::Overdue(Overdue::Headers)) => {
            tracing::debug!("dropping a connection that did not send its headers in time");
        }
        Some(Interrupted::Overdue(Overdue::Idle) | Interrupted::Stopping) => {
            // An idle connection closes at once; one answering a request, once it has.
            connection.as_mut().graceful_shutdown();
            if tokio::time::timeout(CLOSE_GRACE, connection.as_mut())
                .await
                .is_err()
            {
                tracing::debug!("dropping a connection still busy after the grace");
            }
        }
    }
}
