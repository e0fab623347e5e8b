//! The HTTP endpoints: `/healthz`, `/metrics`, `/actors`, `/state`,
//! `/symbols` and `/symbols/{symbol}`.

use super::board::{SharedBoard, SymbolSummary};
use super::state::{NodeState, SharedState};
use super::telemetry::{ActorView, Registry};
use axum::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use quantumtrade::market::Symbol;
use std::sync::{Arc, PoisonError};

/// What the handlers read.
#[derive(Clone)]
pub struct AppState {
    /// Actor statistics.
    pub registry: Arc<Registry>,
    /// Node state.
    pub state: SharedState,
    /// Per-symbol analysis.
    pub board: SharedBoard,
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
        .route(
            "/symbols",
            get(|State(a): State<AppState>| async move {
                Json::<Vec<SymbolSummary>>(a.board.summaries())
            }),
        )
        .route("/symbols/{symbol}", get(symbol_detail))
        .with_state(app)
}

/// `/symbols/{symbol}`: the board's view of one symbol; 404 when the symbol
/// is not in the universe (or not a valid symbol).
async fn symbol_detail(State(a): State<AppState>, Path(sym): Path<String>) -> Response {
    match Symbol::new(&sym).ok().and_then(|s| a.board.detail(&s)) {
        Some(v) => Json(v).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            format!("no symbol {sym} on the board\n"),
        )
            .into_response(),
    }
}
