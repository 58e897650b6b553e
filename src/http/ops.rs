//! Operations endpoints: liveness, readiness (with the capacity a load balancer or an operator
//! wants to see), Prometheus metrics.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::{FromRef, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::store::{PoolUsage, Store};
use crate::telephony::{Admission, AgentConnections, Metrics};

/// What the operations endpoints read.
#[derive(Clone)]
pub struct OpsState {
    pub admission: Arc<Admission>,
    pub store: Store,
    pub metrics: Arc<Metrics>,
    /// For the count of agent connections waiting for their stream.
    pub connections: AgentConnections,
}

pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    OpsState: FromRef<S>,
{
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// `GET /healthz`: the process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// What `/readyz` answers, as JSON.
#[derive(Debug, Serialize)]
pub struct Readiness {
    pub ready: bool,
    /// Why not, when not ready.
    pub reason: Option<String>,
    pub draining: bool,
    pub active_calls: i64,
    /// Agent connections opened ahead of their stream.
    pub prewarm_waiting: usize,
    /// The main database pool (webhooks, streams, tools).
    pub pool: PoolUsage,
    /// The call records' pool.
    pub record_pool: PoolUsage,
}

impl OpsState {
    /// Ready for new calls: not draining, and the database takes writes (a real write,
    /// rate-limited by the store), so calls would be recorded.
    pub async fn readiness(&self) -> Readiness {
        let draining = self.admission.is_draining();
        let reason = match draining {
            true => Some("draining".to_owned()),
            false => self.store.check_writable().await.err().map(|e| e.to_string()),
        };
        Readiness {
            ready: reason.is_none(),
            reason,
            draining,
            active_calls: self.metrics.calls.active_calls.load(Ordering::Relaxed),
            prewarm_waiting: self.connections.waiting(),
            pool: self.store.pool_usage(),
            record_pool: self.store.record_pool_usage(),
        }
    }
}

/// `GET /readyz`: 200 when the process should get new calls, else 503; the body says why not
/// and how busy it is.
async fn readyz(State(ops): State<OpsState>) -> impl IntoResponse {
    let readiness = ops.readiness().await;
    let status = match readiness.ready {
        true => StatusCode::OK,
        false => StatusCode::SERVICE_UNAVAILABLE,
    };
    (status, Json(readiness))
}

/// `GET /metrics`: Prometheus text format.
async fn metrics(State(ops): State<OpsState>) -> impl IntoResponse {
    let text = ops.metrics.render(ops.connections.waiting());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}
