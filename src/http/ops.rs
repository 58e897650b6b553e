//! Operations endpoints: liveness, readiness, Prometheus metrics.

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::store::Store;
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

/// `GET /readyz`: the process should get new calls (not draining, database reachable).
async fn readyz(State(ops): State<OpsState>) -> impl IntoResponse {
    if ops.admission.is_draining() {
        return (StatusCode::SERVICE_UNAVAILABLE, "draining".to_string());
    }
    match ops.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready".to_string()),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database unavailable: {e}"),
        ),
    }
}

/// `GET /metrics`: Prometheus text format.
async fn metrics(State(ops): State<OpsState>) -> impl IntoResponse {
    let text = ops.metrics.render(ops.connections.waiting());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}
