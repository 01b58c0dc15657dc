//! Probes for load balancers and orchestrators.

use std::time::Duration;

use app::services::state::AppState;
use axum::extract::State;
use http::StatusCode;

/// The process is up and serving HTTP.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The instance can do useful work: its database answers within two seconds and its
/// availability index (when switched on) is built.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.availability.is_enabled() && !state.availability.is_ready() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "availability index warming up",
        );
    }
    let ping = app::db::ping(&state.pool);
    match tokio::time::timeout(Duration::from_secs(2), ping).await {
        Ok(Ok(_)) => (StatusCode::OK, "ready"),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check: database error");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
        Err(_) => {
            tracing::warn!("readiness check: database timed out");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
