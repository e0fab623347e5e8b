//! The node's per-actor logic, free of actors: what a symbol actor computes
//! on a closed candle ([`symbol`]) and how the universe changes between two
//! screens ([`universe`]). The actors in `quantumtrade-actors` are thin
//! shells around these.

pub mod symbol;
pub mod universe;
