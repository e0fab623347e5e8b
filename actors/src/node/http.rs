//! The HTTP endpoints: `/healthz`, `/metrics`, `/actors`, `/state`.

use super::state::{NodeState, SharedState};
use super::telemetry::{ActorView, Registry};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::{Arc, PoisonError};

/// What the handlers read.
#[derive(Clone)]
pub struct AppState {
    /// Actor statistics.
    pub registry: Arc<Registry>,
    /// Node state.
    pub state: SharedState,
    /// Prometheus renderer.
    pub prom: PrometheusHandle,
}

/// The router.
pub fn router(app: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/metrics",
            get(|State(a): State<AppState>| async move { a.prom.render() }),
        )
        .route(
            "/actors",
            get(|State(a): State<AppState>| async move {
                Json::<Vec<ActorView>>(a.registry.views())
            }),
        )
        .route(
            "/state",
            get(|State(a): State<AppState>| async move {
                Json::<NodeState>(a.state.read().unwrap_or_else(PoisonError::into_inner).clone())
            }),
        )
        .with_state(app)
}
