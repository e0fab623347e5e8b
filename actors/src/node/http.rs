//! The HTTP endpoints: `/healthz`, `/metrics`, `/actors`, `/state`, and
//! the raw store records `/store/events` and `/store/dead_letters`
//! (`?after=SEQ`, at most [`STORE_PAGE`] records, in the frame format of
//! [`quantumtrade::events::codec::frames`]) that `qtrade events` reads while
//! the node holds the store's lock.

use super::state::{NodeState, SharedState};
use super::telemetry::{ActorView, Registry};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use quantumtrade::events::codec::{key, push_frame, seq_of};
use serde::Deserialize;
use std::sync::{Arc, PoisonError};

/// Most records one `/store/...` answer carries.
pub const STORE_PAGE: usize = 10_000;

/// What the handlers read.
#[derive(Clone)]
pub struct AppState {
    /// Actor statistics.
    pub registry: Arc<Registry>,
    /// Node state.
    pub state: SharedState,
    /// Prometheus renderer.
    pub prom: PrometheusHandle,
    /// The store's events tree (read only here).
    pub events: sled::Tree,
    /// The store's dead-letter tree (read only here).
    pub dead_letters: sled::Tree,
}

/// Query of `/store/...`.
#[derive(Debug, Deserialize)]
struct After {
    after: Option<u64>,
}

/// The records of `tree` after `q.after`, as frames.
fn records(tree: &sled::Tree, q: &After) -> Response {
    let range = match q.after {
        Some(a) => tree.range(key(a.saturating_add(1))..),
        None => tree.iter(),
    };
    let mut body = Vec::new();
    for kv in range.take(STORE_PAGE) {
        match kv
            .map_err(|e| e.to_string())
            .and_then(|(k, v)| Ok((seq_of(&k).map_err(|e| e.to_string())?, v)))
        {
            Ok((seq, v)) if q.after.is_none_or(|a| seq > a) => push_frame(&mut body, seq, &v),
            Ok(_) => {}
            Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
        }
    }
    ([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response()
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
            "/store/events",
            get(|State(a): State<AppState>, Query(q): Query<After>| async move {
                records(&a.events, &q)
            }),
        )
        .route(
            "/store/dead_letters",
            get(|State(a): State<AppState>, Query(q): Query<After>| async move {
                records(&a.dead_letters, &q)
            }),
        )
        .with_state(app)
}
