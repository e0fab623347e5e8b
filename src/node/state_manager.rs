//! The node's managed state: market (universe, scores, top five, regime),
//! system (actor counts and restarts) and config, with numbered,
//! timestamped snapshots in a bounded history and rollback to any snapshot
//! still in it. Pure: the node decides when to snapshot and what to do with
//! a restored state.

use crate::selection::regime::Regime;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// What the market looks like to the node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketState {
    /// Qualified symbols.
    pub universe: Vec<String>,
    /// Symbol → score.
    pub scores: BTreeMap<String, f64>,
    /// The top five, best first.
    pub top: Vec<String>,
    /// Market regime.
    pub regime: Regime,
}

impl Default for MarketState {
    fn default() -> Self {
        Self {
            universe: Vec::new(),
            scores: BTreeMap::new(),
            top: Vec::new(),
            regime: Regime::Default,
        }
    }
}

/// A summary of the node's actors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemState {
    /// Actors running, by kind (`SymbolActor`, ...).
    pub actors: BTreeMap<String, usize>,
    /// Restarts of all actors so far.
    pub restarts: u64,
}

/// Everything the manager holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ManagedState {
    /// Market state.
    pub market: MarketState,
    /// System state.
    pub system: SystemState,
    /// The node configuration, as a serde value (secrets left out).
    pub config: serde_json::Value,
}

/// A numbered, timestamped copy of the state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Id, increasing from 0.
    pub id: u64,
    /// When it was taken, ms.
    pub ts: i64,
    /// The state then.
    pub state: ManagedState,
}

/// Why a rollback failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// No snapshot with this id is in the history (never taken, or
    /// evicted by newer ones).
    #[error("unknown snapshot {id} (history holds {held})")]
    UnknownSnapshot {
        /// The id asked for.
        id: u64,
        /// The ids held, as `first..=last` or `none`.
        held: String,
    },
}

/// The state and its snapshot history.
#[derive(Debug, Clone)]
pub struct StateManager {
    current: ManagedState,
    history: VecDeque<Snapshot>,
    bound: usize,
    next_id: u64,
}

impl StateManager {
    /// A manager keeping at most `history` snapshots (at least one).
    #[must_use]
    pub fn new(history: usize, config: serde_json::Value) -> Self {
        Self {
            current: ManagedState {
                config,
                ..ManagedState::default()
            },
            history: VecDeque::new(),
            bound: history.max(1),
            next_id: 0,
        }
    }

    /// The current state.
    #[must_use]
    pub fn current(&self) -> &ManagedState {
        &self.current
    }

    /// Replaces the market state.
    pub fn set_market(&mut self, market: MarketState) {
        self.current.market = market;
    }

    /// Replaces the system state.
    pub fn set_system(&mut self, system: SystemState) {
        self.current.system = system;
    }

    /// Replaces the config.
    pub fn set_config(&mut self, config: serde_json::Value) {
        self.current.config = config;
    }

    /// Snapshots the current state at `ts`, evicting the oldest snapshot
    /// when the history is full; returns the new snapshot's id.
    pub fn snapshot(&mut self, ts: i64) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        if self.history.len() == self.bound {
            self.history.pop_front();
        }
        self.history.push_back(Snapshot {
            id,
            ts,
            state: self.current.clone(),
        });
        id
    }

    /// The snapshots held, oldest first.
    pub fn snapshots(&self) -> impl ExactSizeIterator<Item = &Snapshot> {
        self.history.iter()
    }

    /// Most snapshots held.
    #[must_use]
    pub fn bound(&self) -> usize {
        self.bound
    }

    /// Makes snapshot `id`'s state the current state and returns it; the
    /// history is kept as it is.
    ///
    /// # Errors
    /// [`StateError::UnknownSnapshot`] when `id` is not in the history.
    pub fn rollback(&mut self, id: u64) -> Result<&ManagedState, StateError> {
        let snap = self.history.iter().find(|s| s.id == id).ok_or_else(|| {
            StateError::UnknownSnapshot {
                id,
                held: match (self.history.front(), self.history.back()) {
                    (Some(a), Some(b)) => format!("{}..={}", a.id, b.id),
                    _ => "none".to_owned(),
                },
            }
        })?;
        self.current = snap.state.clone();
        Ok(&self.current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn market(n: usize) -> MarketState {
        MarketState {
            universe: (0..n).map(|i| format!("S{i}USDT")).collect(),
            scores: (0..n).map(|i| (format!("S{i}USDT"), i as f64)).collect(),
            top: (0..n.min(5)).map(|i| format!("S{i}USDT")).collect(),
            regime: Regime::Trending,
        }
    }

    #[test]
    fn rollback_restores_and_unknown_ids_fail() {
        let mut m = StateManager::new(2, serde_json::json!({"a": 1}));
        m.set_market(market(3));
        let s0 = m.snapshot(10);
        m.set_market(market(4));
        let s1 = m.snapshot(20);
        m.set_market(market(5));
        assert_eq!(m.rollback(s0).unwrap().market, market(3));
        assert_eq!(m.current().config, serde_json::json!({"a": 1}));
        let s2 = m.snapshot(30);
        assert_eq!(m.snapshots().map(|s| s.id).collect::<Vec<_>>(), [s1, s2]);
        assert_eq!(
            m.rollback(s0).unwrap_err().to_string(),
            "unknown snapshot 0 (history holds 1..=2)"
        );
        assert!(m.rollback(99).is_err());
        assert_eq!(m.rollback(s1).unwrap().market, market(4));
    }

    /// One step of a random history.
    #[derive(Debug, Clone)]
    enum Op {
        Market(usize),
        System(u64),
        Config(i64),
        Snapshot,
        Rollback(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0usize..8).prop_map(Op::Market),
            (0u64..100).prop_map(Op::System),
            any::<i64>().prop_map(Op::Config),
            Just(Op::Snapshot),
            Just(Op::Snapshot),
            (0u64..40).prop_map(Op::Rollback),
        ]
    }

    proptest! {
        #[test]
        fn rollback_returns_the_state_at_the_snapshot(
            bound in 1usize..6,
            ops in prop::collection::vec(op(), 0..60),
        ) {
            let mut m = StateManager::new(bound, serde_json::Value::Null);
            // Every snapshot ever taken: id → state then.
            let mut taken: Vec<ManagedState> = Vec::new();
            for (t, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Market(n) => m.set_market(market(n)),
                    Op::System(r) => m.set_system(SystemState {
                        actors: BTreeMap::from([("X".to_owned(), 1)]),
                        restarts: r,
                    }),
                    Op::Config(c) => m.set_config(serde_json::json!(c)),
                    Op::Snapshot => {
                        let id = m.snapshot(i64::try_from(t).unwrap());
                        prop_assert_eq!(id, taken.len() as u64);
                        taken.push(m.current().clone());
                    }
                    Op::Rollback(id) => {
                        let before = m.current().clone();
                        let held = (id as usize) < taken.len()
                            && (id as usize) + bound >= taken.len();
                        match m.rollback(id) {
                            Ok(s) => {
                                prop_assert!(held);
                                prop_assert_eq!(s, &taken[id as usize]);
                            }
                            Err(_) => {
                                prop_assert!(!held);
                                prop_assert_eq!(m.current(), &before);
                            }
                        }
                    }
                }
                prop_assert!(m.snapshots().len() <= bound);
            }
            for (id, state) in taken.iter().enumerate() {
                let id = id as u64;
                if (id as usize) + bound >= taken.len() {
                    prop_assert_eq!(m.rollback(id).unwrap(), state);
                } else {
                    prop_assert!(m.rollback(id).is_err());
                }
            }
        }
    }
}
