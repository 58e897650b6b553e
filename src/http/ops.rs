//! Operations endpoints: liveness, readiness, Prometheus metrics.

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use super::AppState;

/// `GET /healthz`: the process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the process should get new calls (not draining, database reachable).
pub async fn readyz(State(app): State<AppState>) -> impl IntoResponse {
    if app.draining.load(Ordering::Relaxed) {
        return (StatusCode::SERVICE_UNAVAILABLE, "draining".to_string());
    }
    match app.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready".to_string()),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database unavailable: {e}"),
        ),
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    let mut text = app.metrics.render();
    text.push_str(&format!(
        "# HELP switchboard_prewarm_waiting Pre-warmed agent connections waiting for their stream.\n\
         # TYPE switchboard_prewarm_waiting gauge\nswitchboard_prewarm_waiting {}\n",
        app.prewarm.waiting()
    ));
    (
        [(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        text,
    )
}
