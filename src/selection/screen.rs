//! Universe screening: which contracts are liquid enough to watch.

use crate::market::Symbol;
use crate::market::instrument::ContractStatus;
use serde::{Deserialize, Serialize};

/// Thresholds of the screen; every one is a config key.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScreenConfig {
    /// Minimum 24h quote volume, USDT (strictly above qualifies).
    pub min_quote_volume_24h: f64,
    /// Maximum relative spread (ask − bid) / mid (strictly below qualifies).
    pub max_spread: f64,
    /// Micro-cap floor: minimum last price, USDT. Sub-floor contracts have
    /// tick sizes too coarse for ATR-based stops.
    pub min_price: f64,
}

impl Default for ScreenConfig {
    fn default() -> Self {
        Self {
            min_quote_volume_24h: 50e6,
            max_spread: 0.0005,
            min_price: 1e-4,
        }
    }
}

/// What the screen needs to know about one contract.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreenInput {
    /// The contract.
    pub symbol: Symbol,
    /// Contract status.
    pub status: ContractStatus,
    /// 24h quote volume, USDT.
    pub quote_volume_24h: f64,
    /// Best bid.
    pub bid: f64,
    /// Best ask.
    pub ask: f64,
    /// Last price.
    pub last_price: f64,
}

/// Why a contract did not qualify (the first failed rule, in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Rejection {
    /// Not in `Trading` status.
    NotTrading,
    /// 24h quote volume at or below the minimum.
    LowVolume,
    /// Spread at or above the maximum, or no valid book.
    WideSpread,
    /// Price below the micro-cap floor.
    MicroCap,
}

/// Relative spread (ask − bid) / mid; `None` for a missing or crossed book.
#[must_use]
pub fn relative_spread(bid: f64, ask: f64) -> Option<f64> {
    (bid > 0.0 && ask >= bid && bid.is_finite() && ask.is_finite())
        .then(|| (ask - bid) / ((ask + bid) / 2.0))
}

/// Screens one contract: `Ok(())` when it qualifies.
///
/// # Errors
/// The first [`Rejection`] that applies.
pub fn screen(input: &ScreenInput, cfg: &ScreenConfig) -> Result<(), Rejection> {
    if input.status != ContractStatus::Trading {
        return Err(Rejection::NotTrading);
    }
    if input.quote_volume_24h.is_nan() || input.quote_volume_24h <= cfg.min_quote_volume_24h {
        return Err(Rejection::LowVolume);
    }
    match relative_spread(input.bid, input.ask) {
        Some(s) if s < cfg.max_spread => {}
        _ => return Err(Rejection::WideSpread),
    }
    if input.last_price.is_nan() || input.last_price < cfg.min_price {
        return Err(Rejection::MicroCap);
    }
    Ok(())
}

/// Screens a universe; returns the qualified symbols in symbol order.
#[must_use]
pub fn qualified<'a>(
    inputs: impl IntoIterator<Item = &'a ScreenInput>,
    cfg: &ScreenConfig,
) -> Vec<Symbol> {
    let mut out: Vec<Symbol> = inputs
        .into_iter()
        .filter(|i| screen(i, cfg).is_ok())
        .map(|i| i.symbol.clone())
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(status: ContractStatus, qv: f64, bid: f64, ask: f64) -> ScreenInput {
        ScreenInput {
            symbol: Symbol::new("ABCUSDT").unwrap(),
            status,
            quote_volume_24h: qv,
            bid,
            ask,
            last_price: (bid + ask) / 2.0,
        }
    }

    #[test]
    fn each_rule_rejects_at_its_boundary() {
        let cfg = ScreenConfig::default();
        assert_eq!(
            screen(&input(ContractStatus::Trading, 60e6, 99.99, 100.0), &cfg),
            Ok(())
        );
        assert_eq!(
            screen(&input(ContractStatus::Settling, 60e6, 99.99, 100.0), &cfg),
            Err(Rejection::NotTrading)
        );
        assert_eq!(
            screen(&input(ContractStatus::Trading, 50e6, 99.99, 100.0), &cfg),
            Err(Rejection::LowVolume)
        );
        // 0.05% exactly is not under 0.05%.
        let (bid, ask) = (100.0 - 0.025, 100.0 + 0.025);
        assert_eq!(
            screen(&input(ContractStatus::Trading, 60e6, bid, ask), &cfg),
            Err(Rejection::WideSpread)
        );
        assert_eq!(
            screen(&input(ContractStatus::Trading, 60e6, 101.0, 100.0), &cfg),
            Err(Rejection::WideSpread)
        );
        assert_eq!(
            screen(
                &input(ContractStatus::Trading, 60e6, 0.00001, 0.00001),
                &cfg
            ),
            Err(Rejection::MicroCap)
        );
    }
}
