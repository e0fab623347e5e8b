//! The node's per-actor logic, free of actors: what a symbol actor computes
//! on a closed candle ([`symbol`]), how the universe changes between two
//! screens ([`universe`]), and the node's state with its snapshots and
//! rollback ([`state_manager`]), the alert rules with hysteresis
//! ([`alert_rules`]) over process measurements ([`process_stats`]). The
//! actors in `quantumtrade-actors` are thin shells around these.

pub mod alert_rules;
pub mod process_stats;
pub mod state_manager;
pub mod symbol;
pub mod universe;
