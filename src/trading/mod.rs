//! Trading: the decisions from a selection to positions, as four pure
//! cores the node's actors wrap one each, and their composition on a
//! market-time clock.
//!
//! - [`signal_desk`]: ranked multi-factor signals (SignalActor).
//! - [`risk_desk`]: sizing, the VaR budget, limits, halts (RiskActor).
//! - [`book`]: positions, cash, funding, stop management (PositionActor).
//! - [`paper_venue`]: the in-process venue's fill model (ExecutorActor in
//!   paper mode).
//! - [`live_orders`]: the live venue's order book (ExecutorActor with
//!   `venue = "binance"`): client ids, sent orders, protective stops,
//!   venue answers into fills.
//! - [`execution_quality`]: order-to-ack and order-to-fill times and
//!   slippage against the decision price (ExecutorActor's metrics).
//! - [`event`]: order requests, fills and the trade events they record.
//! - [`snapshot`]: journaled snapshots of the cores, current or older form.
//! - [`paper`]: the four composed, one closed minute in, events out — what
//!   `qtrade backtest --strategy node` drives.

pub mod book;
pub mod event;
pub mod execution_quality;
pub mod live_orders;
pub mod paper;
pub mod paper_venue;
pub mod risk_desk;
pub mod signal_desk;
pub mod snapshot;
