//! Backtesting: replaying candles through strategies on a simulated clock.
//!
//! - [`ema_cross`]: the reference strategy, whose rules are fixed so that
//!   any engine can be checked against it (backtesting.py gives the same
//!   trades and final equity: tests/ema_cross_parity.rs).
//! - [`node_replay`]: the node's decisions on the pure cores, one minute at
//!   a time (`qtrade backtest --engine core`; the actor engine, the real
//!   node on a simulated clock, lives in the actors crate).
//! - [`ledger`]: the report book both node engines build their reports
//!   with; [`metrics`] and [`report`]: what a report holds.

pub mod ema_cross;
pub mod ledger;
pub mod metrics;
pub mod node_replay;
pub mod report;
