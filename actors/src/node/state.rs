//! The node state `/state` serves, and its managed copy with snapshots
//! ([`SharedManager`], taken each re-screen, listed on `/state/snapshots`,
//! restored by `POST /state/rollback/{id}`).

use super::telemetry::Registry;
use super::trading::PositionView;
use quantumtrade::node::state_manager::{
    ManagedState, MarketState, StateError, StateManager, SystemState,
};
use quantumtrade::risk::limits::HaltReason;
use quantumtrade::selection::regime::Regime;
use quantumtrade::selection::screen::ScreenInput;
use quantumtrade::trading::paper_venue::OpenOrder;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// A correlation between two picks.
#[derive(Debug, Clone, Serialize)]
pub struct Pair {
    /// First symbol.
    pub a: String,
    /// Second symbol.
    pub b: String,
    /// Correlation of their 1m log returns (null while unknown).
    pub rho: Option<f64>,
}

/// What `/state` shows.
#[derive(Debug, Clone, Serialize)]
pub struct NodeState {
    /// Qualified symbols.
    pub universe: Vec<String>,
    /// The screen inputs of the last screen (every contract).
    #[serde(serialize_with = "screen_view")]
    pub screen: Vec<ScreenInput>,
    /// Symbol → score.
    pub scores: BTreeMap<String, f64>,
    /// The top five, best first.
    pub top: Vec<String>,
    /// Pairwise correlations of the top five.
    pub top_correlations: Vec<Pair>,
    /// Market regime (majority of the symbols).
    pub regime: Regime,
    /// Selections made.
    pub selections: u64,
    /// Open positions.
    pub positions: Vec<PositionView>,
    /// Orders open at the venue (working orders and protective stops).
    pub open_orders: Vec<OpenOrder>,
    /// Equity (cash + unrealized at the marks, see `PositionView::mark`),
    /// once the book has seen a minute.
    pub equity: Option<f64>,
    /// Cash (initial + realized − fees + funding).
    pub cash: Option<f64>,
    /// The active halt, if trading is halted.
    pub halted: Option<HaltReason>,
    /// One-day VaR of the open positions (worst of historical and
    /// parametric at 95% and 99%), USDT.
    pub var_1d: Option<f64>,
    /// Its limit (`max_var_fraction` × equity), USDT.
    pub var_limit: Option<f64>,
}

impl Default for NodeState {
    fn default() -> Self {
        Self {
            universe: Vec::new(),
            screen: Vec::new(),
            scores: BTreeMap::new(),
            top: Vec::new(),
            top_correlations: Vec::new(),
            regime: Regime::Default,
            selections: 0,
            positions: Vec::new(),
            open_orders: Vec::new(),
            equity: None,
            cash: None,
            halted: None,
            var_1d: None,
            var_limit: None,
        }
    }
}

fn screen_view<S: serde::Serializer>(v: &[ScreenInput], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(v.len()))?;
    for i in v {
        seq.serialize_element(&serde_json::json!({
            "symbol": i.symbol.as_str(),
            "status": format!("{:?}", i.status),
            "quote_volume_24h": i.quote_volume_24h,
            "bid": i.bid,
            "ask": i.ask,
            "last_price": i.last_price,
        }))?;
    }
    seq.end()
}

/// A shared [`NodeState`].
pub type SharedState = Arc<RwLock<NodeState>>;

/// A shared [`StateManager`].
pub type SharedManager = Arc<Mutex<StateManager>>;

/// Copies the market part of `state` and an actor summary of `registry`
/// into `manager` and snapshots it at `ts`; returns the snapshot id.
pub fn take_snapshot(
    state: &SharedState,
    manager: &SharedManager,
    registry: &Registry,
    ts: i64,
) -> u64 {
    let market = {
        let st = state.read().unwrap_or_else(PoisonError::into_inner);
        MarketState {
            universe: st.universe.clone(),
            scores: st.scores.clone(),
            top: st.top.clone(),
            regime: st.regime,
        }
    };
    let mut system = SystemState::default();
    for v in registry.views() {
        *system.actors.entry(v.kind.to_owned()).or_default() += 1;
        system.restarts += v.restarts;
    }
    let mut m = manager.lock().unwrap_or_else(PoisonError::into_inner);
    m.set_market(market);
    m.set_system(system);
    m.snapshot(ts)
}

/// Rolls `manager` back to snapshot `id` and puts its market part back
/// into `state` (until the actors next overwrite it); returns the restored
/// state.
///
/// # Errors
/// [`StateError`] for an id not in the history.
pub fn rollback(
    state: &SharedState,
    manager: &SharedManager,
    id: u64,
) -> Result<ManagedState, StateError> {
    let restored = manager
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .rollback(id)?
        .clone();
    let mut st = state.write().unwrap_or_else(PoisonError::into_inner);
    st.universe.clone_from(&restored.market.universe);
    st.scores.clone_from(&restored.market.scores);
    st.top.clone_from(&restored.market.top);
    st.regime = restored.market.regime;
    Ok(restored)
}
