//! Position sizing: risk a fixed fraction of equity between the entry and an
//! ATR stop, never more notional than the leverage cap allows, on the
//! symbol's lot and tick grids.
//!
//! qty = equity · risk_per_trade / (atr_stop_multiple · ATR), capped at
//! equity · max_leverage · max_position_fraction / entry, rounded down to the
//! step grid. The stop is entry ∓ atr_stop_multiple · ATR, rounded away from
//! the entry onto the tick grid; so the loss at the stop, qty · |entry −
//! stop|, can exceed the budget only by the tick rounding of the stop (at
//! most one tick per unit), and [`Sized::risk`] reports it exactly.

use crate::exchange::binance::decimal::RoundingMode;
use crate::exchange::binance::filters::{OrderKind, SymbolRules};
use serde::{Deserialize, Serialize};

/// Long or short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PositionSide {
    /// Profits when the price rises.
    Long,
    /// Profits when the price falls.
    Short,
}

impl PositionSide {
    /// "long" or "short".
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Long => "long",
            Self::Short => "short",
        }
    }

    /// The other side (the direction that reduces this one).
    #[must_use]
    pub fn opposite(self) -> Self {
        match self {
            Self::Long => Self::Short,
            Self::Short => Self::Long,
        }
    }

    /// +1 for long, −1 for short.
    #[must_use]
    pub fn sign(self) -> f64 {
        match self {
            Self::Long => 1.0,
            Self::Short => -1.0,
        }
    }
}

/// Sizing knobs; every one is a config key.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SizingConfig {
    /// Fraction of equity lost if the stop is hit (0.01 = 1%).
    pub risk_per_trade: f64,
    /// Stop distance in ATRs.
    pub atr_stop_multiple: f64,
    /// Leverage the account may use.
    pub max_leverage: f64,
    /// Largest share of the leveraged equity one position may take.
    pub max_position_fraction: f64,
}

impl Default for SizingConfig {
    fn default() -> Self {
        Self {
            risk_per_trade: 0.01,
            atr_stop_multiple: 2.0,
            max_leverage: 3.0,
            max_position_fraction: 0.25,
        }
    }
}

/// A sized entry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sized {
    /// Quantity, on the step grid.
    pub qty: f64,
    /// Stop price, on the tick grid.
    pub stop: f64,
    /// Notional at the entry price.
    pub notional: f64,
    /// Loss if the stop is hit: qty · |entry − stop|.
    pub risk: f64,
    /// Whether the leverage cap, not the risk budget, set the size.
    pub capped: bool,
}

/// Why no size could be given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SizingError {
    /// Equity, price or ATR not positive and finite.
    #[error("cannot size: {0} must be positive and finite")]
    BadInput(&'static str),
    /// The size rounds to less than the exchange allows.
    #[error("size {qty} is below the exchange minimum ({why})")]
    TooSmall {
        /// The raw size.
        qty: f64,
        /// Which filter.
        why: String,
    },
    /// The stop cannot be placed on the tick grid (out of the price range).
    #[error("stop {0} is outside the symbol's price range")]
    BadStop(f64),
}

/// Sizes an entry at `entry` with the current `atr`.
///
/// # Errors
/// [`SizingError`] for bad inputs, a size below the exchange's minimums, or
/// a stop outside the price range.
pub fn size_position(
    side: PositionSide,
    equity: f64,
    entry: f64,
    atr: f64,
    cfg: &SizingConfig,
    rules: &SymbolRules,
) -> Result<Sized, SizingError> {
    for (v, name) in [(equity, "equity"), (entry, "entry price"), (atr, "ATR")] {
        if !(v.is_finite() && v > 0.0) {
            return Err(SizingError::BadInput(name));
        }
    }
    let distance = cfg.atr_stop_multiple * atr;
    let raw_stop = entry - side.sign() * distance;
    let mode = match side {
        PositionSide::Long => RoundingMode::Down,
        PositionSide::Short => RoundingMode::Up,
    };
    let stop = rules
        .round_price(raw_stop, mode)
        .map_err(|_| SizingError::BadStop(raw_stop))?
        .value()
        .to_f64();
    let by_risk = equity * cfg.risk_per_trade / distance;
    let by_cap = equity * cfg.max_leverage * cfg.max_position_fraction / entry;
    let capped = by_cap < by_risk;
    let raw = by_risk.min(by_cap);
    let qty = rules
        .round_qty(raw, OrderKind::Market)
        .map_err(|e| SizingError::TooSmall {
            qty: raw,
            why: e.to_string(),
        })?
        .value()
        .to_f64();
    if qty <= 0.0 {
        return Err(SizingError::TooSmall {
            qty: raw,
            why: "rounds to zero".into(),
        });
    }
    let notional = qty * entry;
    if let Some(min) = rules.min_notional {
        let min = min.to_f64();
        if notional < min {
            return Err(SizingError::TooSmall {
                qty,
                why: format!("notional {notional} below {min}"),
            });
        }
    }
    Ok(Sized {
        qty,
        stop,
        notional,
        risk: qty * (entry - stop).abs(),
        capped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::binance::decimal::Decimal;
    use crate::exchange::binance::filters::{LotSize, PriceFilter};
    use proptest::prelude::*;

    fn rules(tick: &str, step: &str, min_notional: &str) -> SymbolRules {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        SymbolRules {
            price: PriceFilter {
                min_price: d(tick),
                max_price: d("1000000"),
                tick_size: d(tick),
            },
            lot: LotSize {
                min_qty: d(step),
                max_qty: d("1000000000"),
                step_size: d(step),
            },
            market_lot: None,
            min_notional: Some(d(min_notional)),
            percent_price: None,
            max_num_orders: None,
        }
    }

    #[test]
    fn sizes_by_risk_and_rounds_down() {
        let r = rules("0.10", "0.001", "5");
        let s = size_position(
            PositionSide::Long,
            10_000.0,
            50_000.0,
            500.0,
            &SizingConfig::default(),
            &r,
        )
        .unwrap();
        // 100 USDT at risk over a 1,000 stop distance: 0.1 BTC, under the
        // cap of 10,000 x 3 x 0.25 / 50,000 = 0.15.
        assert_eq!(s.qty, 0.1);
        assert_eq!(s.stop, 49_000.0);
        assert!(!s.capped);
        assert!((s.risk - 100.0).abs() < 1e-9);
    }

    #[test]
    fn caps_by_leverage_and_refuses_dust() {
        let r = rules("0.0001", "1", "5");
        let cfg = SizingConfig::default();
        // A tiny ATR would size a huge position: the cap wins.
        let s = size_position(PositionSide::Short, 1_000.0, 2.0, 0.0005, &cfg, &r).unwrap();
        assert!(s.capped);
        assert!(s.notional <= 1_000.0 * 3.0 * 0.25 + 1e-9);
        assert!(s.stop > 2.0);
        let e = size_position(PositionSide::Long, 10.0, 2.0, 0.5, &cfg, &r).unwrap_err();
        assert!(matches!(e, SizingError::TooSmall { .. }), "{e}");
        assert!(size_position(PositionSide::Long, 10.0, 2.0, f64::NAN, &cfg, &r).is_err());
    }

    proptest! {
        #[test]
        fn risk_stays_within_budget_plus_one_tick(
            equity in 100.0f64..1e7, entry in 0.01f64..100_000.0, atr_frac in 0.0005f64..0.05,
            long in any::<bool>(), risk in 0.001f64..0.05,
        ) {
            let r = rules("0.0001", "0.001", "5");
            let cfg = SizingConfig { risk_per_trade: risk, ..SizingConfig::default() };
            let side = if long { PositionSide::Long } else { PositionSide::Short };
            let atr = entry * atr_frac;
            if let Ok(s) = size_position(side, equity, entry, atr, &cfg, &r) {
                let tick = 0.0001;
                prop_assert!(s.risk <= equity * risk + s.qty * tick * 1.000001 + 1e-9);
                prop_assert!(s.notional <= equity * cfg.max_leverage * cfg.max_position_fraction * (1.0 + 1e-12));
                prop_assert!(s.notional >= 5.0);
                let steps = s.qty / 0.001;
                prop_assert!((steps - steps.round()).abs() < 1e-6);
                prop_assert!(side.sign() * (entry - s.stop) > 0.0, "the stop is on the losing side");
            }
        }
    }
}
