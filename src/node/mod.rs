//! The node's per-actor logic, free of actors: what a symbol actor computes
//! on a closed candle ([`symbol`]), how the universe changes between two
//! screens ([`universe`]), the batched battery the GPU dispatcher runs
//! ([`battery_batch`]) and the restart and reconnect delays ([`backoff`]).
//! The actors in `quantumtrade-actors` are thin shells around these.

pub mod backoff;
pub mod battery_batch;
pub mod symbol;
pub mod universe;
