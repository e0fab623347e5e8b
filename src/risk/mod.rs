//! Risk: what the RiskActor enforces before an order exists.
//!
//! - [`sizing`]: position size from the risk budget per trade and the ATR
//!   stop distance, on the exchange's step and tick grids.
//! - [`var`]: value at risk, historical and parametric, of one series or a
//!   portfolio.
//! - [`limits`]: the entry gate (open positions, exposure, leverage, VaR,
//!   correlation) and the halts (daily loss, drawdown, kill switch).

pub mod limits;
pub mod sizing;
pub mod var;
