//! The HTTP endpoints: `/healthz`, `/metrics`, `/actors`, `/state`, and
//! the raw store records `/store/events` and `/store/dead_letters`
//! (`?after=SEQ`, at most [`STORE_PAGE`] records, in the frame format of
//! [`quantumtrade::events::codec::frames`]) that `qtrade events` reads while
//! the node holds the store's lock; `/symbols` and `/symbols/{symbol}`
//! (what each symbol actor last computed).
//!
//! State snapshots: `GET /state/snapshots` lists them; `POST
//! /state/rollback/{id}` restores one and needs `Authorization: Bearer
//! <admin token>` (401 without it, 403 when the node has no admin token:
//! state-changing endpoints are then disabled). So do `POST /halt` (the
//! kill switch: cancel entries, flatten, halt until resumed) and `POST
//! /resume`, both with `?by=WHO`.

use super::board::{SharedBoard, SymbolSummary};
use super::state::{NodeState, SharedManager, SharedState};
use super::telemetry::{ActorView, Registry};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use quantumtrade::events::codec::{key, push_frame, seq_of};
use quantumtrade::market::Symbol;
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
    /// Per-symbol analysis.
    pub board: SharedBoard,
    /// Prometheus renderer.
    pub prom: PrometheusHandle,
    /// The store's events tree (read only here).
    pub events: sled::Tree,
    /// The store's dead-letter tree (read only here).
    pub dead_letters: sled::Tree,
    /// The managed state and its snapshots.
    pub manager: SharedManager,
    /// Bearer token of the state-changing endpoints (`None`: disabled).
    pub admin_token: Option<Arc<str>>,
    /// The risk actor (the kill switch), when trading runs.
    pub risk: Option<super::telemetry::Tracked<super::risk::RiskActor>>,
}

/// One snapshot as `/state/snapshots` lists it.
#[derive(Debug, serde::Serialize)]
struct SnapshotView {
    id: u64,
    ts: i64,
    universe: usize,
    top: Vec<String>,
    regime: quantumtrade::selection::regime::Regime,
    actors: usize,
    restarts: u64,
}

fn snapshots(manager: &SharedManager) -> serde_json::Value {
    let m = manager.lock().unwrap_or_else(PoisonError::into_inner);
    let list: Vec<SnapshotView> = m
        .snapshots()
        .map(|s| SnapshotView {
            id: s.id,
            ts: s.ts,
            universe: s.state.market.universe.len(),
            top: s.state.market.top.clone(),
            regime: s.state.market.regime,
            actors: s.state.system.actors.values().sum(),
            restarts: s.state.system.restarts,
        })
        .collect();
    serde_json::json!({ "history": m.bound(), "snapshots": list })
}

/// Whether `headers` carry `Bearer <token>`, compared in constant time.
fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let (a, b) = (given.as_bytes(), token.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn error(status: StatusCode, msg: String) -> Response {
    (status, Json(serde_json::json!({ "error": msg }))).into_response()
}

/// `None` when `headers` carry the admin token; otherwise the 403 (no
/// token configured) or 401 answer.
fn refuse(a: &AppState, headers: &HeaderMap) -> Option<Response> {
    let Some(token) = a.admin_token.as_deref() else {
        return Some(error(
            StatusCode::FORBIDDEN,
            "state-changing endpoints are disabled: set node.admin_token or QTRADE_ADMIN_TOKEN"
                .into(),
        ));
    };
    (!authorized(headers, token)).then(|| {
        error(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token".into(),
        )
    })
}

async fn rollback(State(a): State<AppState>, Path(id): Path<u64>, headers: HeaderMap) -> Response {
    if let Some(r) = refuse(&a, &headers) {
        return r;
    }
    match super::state::rollback(&a.state, &a.manager, id) {
        Ok(s) => {
            eprintln!("qtrade: state rolled back to snapshot {id}");
            Json(s).into_response()
        }
        Err(e) => error(StatusCode::NOT_FOUND, e.to_string()),
    }
}

/// Who pulled the switch (`?by=`; "operator" when not given).
#[derive(Debug, Deserialize)]
struct By {
    by: Option<String>,
}

/// `POST /halt` (kill switch: cancel entries, flatten, halt until resumed)
/// and `POST /resume`.
async fn switch(a: AppState, headers: HeaderMap, by: By, halt: bool) -> Response {
    if let Some(r) = refuse(&a, &headers) {
        return r;
    }
    let Some(risk) = a.risk.clone() else {
        return error(StatusCode::CONFLICT, "trading is not running".into());
    };
    let by = by.by.unwrap_or_else(|| "operator".into());
    let answer = if halt {
        risk.ask(super::risk::Kill { by: by.clone() }).await
    } else {
        risk.ask(super::risk::Resume { by: by.clone() }).await
    };
    match answer {
        Ok(Ok(())) => {
            let what = if halt { "halted" } else { "resumed" };
            eprintln!("qtrade: trading {what} by {by}");
            let halted = a
                .state
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .halted
                .clone();
            Json(serde_json::json!({ "halted": halted })).into_response()
        }
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
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
            "/symbols",
            get(|State(a): State<AppState>| async move {
                Json::<Vec<SymbolSummary>>(a.board.summaries())
            }),
        )
        .route("/symbols/{symbol}", get(symbol_detail))
        .route(
            "/state/snapshots",
            get(|State(a): State<AppState>| async move { Json(snapshots(&a.manager)) }),
        )
        .route("/state/rollback/{id}", post(rollback))
        .route(
            "/halt",
            post(|State(a): State<AppState>, h: HeaderMap, Query(by): Query<By>| {
                switch(a, h, by, true)
            }),
        )
        .route(
            "/resume",
            post(|State(a): State<AppState>, h: HeaderMap, Query(by): Query<By>| {
                switch(a, h, by, false)
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
