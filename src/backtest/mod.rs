//! Backtesting: replaying candles through strategies on a simulated clock.
//!
//! So far the reference strategy [`ema_cross`], whose rules are fixed so
//! that any engine can be checked against it (backtesting.py gives the same
//! trades and final equity: tests/ema_cross_parity.rs).

pub mod ema_cross;
pub mod ledger;
pub mod metrics;
pub mod node_replay;
pub mod report;
