//! # QuantumTrade core
//!
//! The pure core of the QuantumTrade trading node: domain types and every
//! calculation, with no actors, no async runtime and no sockets. Everything
//! here is deterministic given its inputs, so the node, backtests and a quant
//! in a notebook get the same numbers.
//!
//! Modules:
//! - [`market`]: candles, intervals, symbols, Binance kline CSV I/O,
//!   timeframe aggregation and candle ring buffers.
//! - [`indicators`]: the indicator battery, each indicator in a streaming and
//!   a batch form that agree, and the [`indicators::battery`] that runs them all.
//! - [`analysis`]: price velocity, volume surges, pivots and the breakout
//!   model on top of the battery.
//! - [`selection`]: universe screening, regime detection, scoring and the
//!   diversified top five.
//! - [`backtest`]: strategies replayed over candles; the `ema_cross` reference.
//! - [`events`]: typed events and their store encoding.
//! - [`node`]: the pure logic each node actor wraps (symbol analysis,
//!   universe changes).
//! - [`float_text`]: numbers as the shortest text that reads back exactly.
//! - [`exchange`]: venue protocol types and logic (Binance USDⓈ-M), free of I/O.
//!
//! No feature flags yet.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod analysis;
pub mod backtest;
pub mod events;
pub mod exchange;
pub mod execution;
pub mod float_text;
pub mod indicators;
pub mod market;
pub mod node;
pub mod portfolio;
pub mod risk;
pub mod selection;
pub mod signals;
pub mod trading;
