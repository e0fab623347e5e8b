//! Tradable instruments: a perpetual contract's identity, precision and
//! status, as a venue's exchange information describes it.

use super::Symbol;
use serde::{Deserialize, Serialize};

/// Contract status as Binance USDⓈ-M reports it; only `Trading` contracts
/// qualify for the universe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ContractStatus {
    /// Open for trading.
    Trading,
    /// Listed but not open yet.
    PendingTrading,
    /// Being settled (delisting).
    Settling,
    /// Closed.
    Close,
}

/// One perpetual contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instrument {
    /// Symbol, e.g. `BTCUSDT`.
    pub symbol: Symbol,
    /// Price increment.
    pub tick_size: f64,
    /// Quantity increment.
    pub step_size: f64,
    /// Smallest order notional (price × quantity) in USDT.
    pub min_notional: f64,
    /// Trading status.
    pub status: ContractStatus,
}
