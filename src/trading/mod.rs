//! Trading: the decisions from a selection to positions, composed from
//! the signal, risk, execution and portfolio cores, on a market-time clock.
//!
//! - [`paper`]: the paper engine — one input per closed minute, events
//!   out — that the node's trading actors and `qtrade backtest --strategy
//!   node` drive alike.

pub mod paper;
