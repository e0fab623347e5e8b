//! One position: accounting and management.
//!
//! Accounting follows Binance's one-way USDT-margined perpetuals: an
//! increase moves the entry price to the quantity-weighted average; a
//! reduction realizes (exit − entry)·qty·side at the unchanged entry price;
//! a fill through zero closes and reopens the other way at the fill price.
//! Fees and funding are tracked apart from price PnL.
//!
//! Management, on every closed candle:
//! - the stop trails the favourable extreme by `trail_atrs`·ATR and only
//!   ever moves toward profit (a ratchet);
//! - at each R multiple in `partial_exits` (R = the initial risk per unit,
//!   |entry − initial stop|) a fraction of the initial quantity is taken
//!   off, once;
//! - after the first partial exit the stop is at least break-even.
//!
//! The stop itself lives on the exchange as a reduce-only conditional
//! order (so a crash never leaves the position naked); [`Position::on_candle`]
//! returns the stop moves to send, and reports a stop touched by the candle
//! for venues without one (paper mode).

use crate::market::Symbol;
use crate::risk::sizing::PositionSide;
use serde::{Deserialize, Serialize};

/// Management knobs; every one is a config key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ManagementConfig {
    /// Trailing distance in ATRs.
    pub trail_atrs: f64,
    /// (R multiple, fraction of the initial quantity) exits, ascending R.
    pub partial_exits: Vec<(f64, f64)>,
}

impl Default for ManagementConfig {
    fn default() -> Self {
        Self {
            trail_atrs: 3.0,
            partial_exits: vec![(1.0, 0.33), (2.0, 0.33)],
        }
    }
}

/// What the position wants done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PositionAction {
    /// Replace the exchange stop at this price.
    MoveStop(f64),
    /// Take this quantity off (reduce-only market order).
    PartialExit {
        /// Quantity.
        qty: f64,
        /// The R multiple reached.
        r: f64,
    },
    /// The candle touched the stop: close the rest (paper mode; on a real
    /// venue the exchange stop has done it).
    StopTouched(f64),
}

/// An open position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// Symbol.
    pub symbol: Symbol,
    /// Long or short.
    pub side: PositionSide,
    /// Open quantity (positive).
    pub qty: f64,
    /// Average entry price.
    pub entry: f64,
    /// Quantity at the first entry (partial exits are fractions of it).
    pub initial_qty: f64,
    /// Risk per unit at entry: |entry − initial stop|.
    pub risk_per_unit: f64,
    /// The current stop.
    pub stop: f64,
    /// Best price since entry (highest for long, lowest for short).
    pub extreme: f64,
    /// Partial exits taken (index into the config's list).
    pub exits_taken: usize,
    /// Realized price PnL.
    pub realized: f64,
    /// Fees paid.
    pub fees: f64,
    /// Funding paid (negative) or received.
    pub funding: f64,
    /// When it opened, ms.
    pub opened_at: i64,
}

impl Position {
    /// Opens at a fill.
    #[must_use]
    pub fn open(
        symbol: Symbol,
        side: PositionSide,
        qty: f64,
        price: f64,
        stop: f64,
        fee: f64,
        at: i64,
    ) -> Self {
        Self {
            symbol,
            side,
            qty,
            entry: price,
            initial_qty: qty,
            risk_per_unit: (price - stop).abs(),
            stop,
            extreme: price,
            exits_taken: 0,
            realized: 0.0,
            fees: fee,
            funding: 0.0,
            opened_at: at,
        }
    }

    /// Applies a fill in `side` direction (same side increases, the other
    /// reduces); returns the price PnL it realized. A reduction larger than
    /// the position is capped at the position (the caller flips, if it
    /// meant to, by opening a new one with the rest).
    pub fn fill(&mut self, side: PositionSide, qty: f64, price: f64, fee: f64) -> f64 {
        self.fees += fee;
        if side == self.side {
            let total = self.qty + qty;
            self.entry = (self.entry * self.qty + price * qty) / total;
            self.qty = total;
            return 0.0;
        }
        let q = qty.min(self.qty);
        let pnl = self.side.sign() * (price - self.entry) * q;
        self.realized += pnl;
        self.qty -= q;
        if self.qty <= 1e-12 * self.initial_qty {
            self.qty = 0.0;
        }
        pnl
    }

    /// Books a funding payment (negative: paid).
    pub fn fund(&mut self, amount: f64) {
        self.funding += amount;
    }

    /// Whether the position is flat.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.qty == 0.0
    }

    /// Unrealized price PnL at `mark`.
    #[must_use]
    pub fn unrealized(&self, mark: f64) -> f64 {
        self.side.sign() * (mark - self.entry) * self.qty
    }

    /// Total PnL at `mark`: realized + unrealized − fees + funding.
    #[must_use]
    pub fn total_pnl(&self, mark: f64) -> f64 {
        self.realized + self.unrealized(mark) - self.fees + self.funding
    }

    /// How many R `price` is from the entry, in the position's favour.
    #[must_use]
    pub fn r_multiple(&self, price: f64) -> f64 {
        if self.risk_per_unit > 0.0 {
            self.side.sign() * (price - self.entry) / self.risk_per_unit
        } else {
            0.0
        }
    }

    /// One closed candle: trails the stop, takes partial exits, reports a
    /// touched stop. Actions in the order to send them.
    pub fn on_candle(
        &mut self,
        high: f64,
        low: f64,
        atr: f64,
        cfg: &ManagementConfig,
    ) -> Vec<PositionAction> {
        let mut out = Vec::new();
        if self.is_closed() {
            return out;
        }
        let s = self.side.sign();
        // The stop is checked against the candle before the candle moves it:
        // within one candle we cannot know whether the low or the high came
        // first, and assuming the stop was hit first is the safe reading.
        let adverse = if s > 0.0 { low } else { high };
        if s * (adverse - self.stop) <= 0.0 {
            out.push(PositionAction::StopTouched(self.stop));
            return out;
        }
        let favourable = if s > 0.0 { high } else { low };
        if s * (favourable - self.extreme) > 0.0 {
            self.extreme = favourable;
        }
        let best_r = self.r_multiple(self.extreme);
        while let Some(&(r, fraction)) = cfg.partial_exits.get(self.exits_taken) {
            if best_r < r {
                break;
            }
            self.exits_taken += 1;
            let qty = (self.initial_qty * fraction).min(self.qty);
            if qty > 0.0 {
                out.push(PositionAction::PartialExit { qty, r });
            }
        }
        let mut target = self.stop;
        if atr.is_finite() && atr > 0.0 {
            let trail = self.extreme - s * cfg.trail_atrs * atr;
            if s * (trail - target) > 0.0 {
                target = trail;
            }
        }
        if self.exits_taken > 0 && s * (self.entry - target) > 0.0 {
            target = self.entry;
        }
        if target != self.stop {
            self.stop = target;
            out.push(PositionAction::MoveStop(target));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn long() -> Position {
        Position::open(
            Symbol::new("ETHUSDT").unwrap(),
            PositionSide::Long,
            3.0,
            100.0,
            95.0,
            0.12,
            0,
        )
    }

    #[test]
    fn accounting_as_binance_does() {
        let mut p = long();
        assert_eq!(p.fill(PositionSide::Long, 1.0, 104.0, 0.04), 0.0);
        assert!((p.entry - 101.0).abs() < 1e-12);
        let pnl = p.fill(PositionSide::Short, 2.0, 106.0, 0.08);
        assert!((pnl - 10.0).abs() < 1e-12);
        assert_eq!(p.qty, 2.0);
        assert!(
            (p.entry - 101.0).abs() < 1e-12,
            "a reduction keeps the entry"
        );
        assert!((p.unrealized(100.0) + 2.0).abs() < 1e-12);
        p.fund(-0.5);
        assert!((p.total_pnl(100.0) - (10.0 - 2.0 - 0.24 - 0.5)).abs() < 1e-12);
        p.fill(PositionSide::Short, 5.0, 101.0, 0.0);
        assert!(p.is_closed());
    }

    #[test]
    fn trails_takes_partials_and_moves_to_break_even() {
        let cfg = ManagementConfig::default();
        let mut p = long();
        // +1R (105): a third off, stop to break-even at least.
        let a = p.on_candle(105.5, 101.0, 1.0, &cfg);
        assert_eq!(a[0], PositionAction::PartialExit { qty: 0.99, r: 1.0 });
        assert_eq!(a[1], PositionAction::MoveStop(102.5), "trail 105.5 - 3");
        // A pullback never lowers the stop.
        assert!(p.on_candle(104.0, 103.0, 5.0, &cfg).is_empty());
        // +2R: the second third.
        let a = p.on_candle(111.0, 106.0, 1.0, &cfg);
        assert!(a.contains(&PositionAction::PartialExit { qty: 0.99, r: 2.0 }));
        assert!(a.contains(&PositionAction::MoveStop(108.0)));
        assert_eq!(
            p.on_candle(109.0, 107.9, 1.0, &cfg),
            vec![PositionAction::StopTouched(108.0)]
        );
    }

    proptest! {
        #[test]
        fn the_stop_only_moves_toward_profit(
            long_side in any::<bool>(),
            moves in proptest::collection::vec((-3.0f64..3.0, 0.1f64..3.0, 0.1f64..4.0), 1..60),
        ) {
            let side = if long_side { PositionSide::Long } else { PositionSide::Short };
            let s = side.sign();
            let mut p = Position::open(Symbol::new("AUSDT").unwrap(), side, 1.0, 100.0, 100.0 - s * 5.0, 0.0, 0);
            let cfg = ManagementConfig::default();
            let mut price = 100.0;
            let mut taken = 0.0;
            for (step, range, atr) in moves {
                price += step;
                let before = p.stop;
                let acts = p.on_candle(price + range, price - range, atr, &cfg);
                prop_assert!(s * (p.stop - before) >= 0.0, "stop moved against the position");
                for a in &acts {
                    if let PositionAction::PartialExit { qty, .. } = a {
                        taken += qty;
                        p.fill(if long_side { PositionSide::Short } else { PositionSide::Long }, *qty, price, 0.0);
                    }
                }
                prop_assert!(taken <= 1.0 + 1e-12);
                if acts.iter().any(|a| matches!(a, PositionAction::StopTouched(_))) {
                    break;
                }
            }
        }

        #[test]
        fn total_pnl_equals_the_cash_flows(
            fills in proptest::collection::vec((any::<bool>(), 0.1f64..2.0, 50.0f64..150.0), 1..30),
            mark in 50.0f64..150.0,
        ) {
            let mut p = Position::open(Symbol::new("AUSDT").unwrap(), PositionSide::Long, 1.0, 100.0, 90.0, 0.0, 0);
            // Cash view: −qty·price for every buy, +qty·price for every sell,
            // plus the open quantity at the mark.
            let mut cash = -100.0;
            for (buy, q, px) in fills {
                if p.is_closed() { break; }
                let side = if buy { PositionSide::Long } else { PositionSide::Short };
                let q = if buy { q } else { q.min(p.qty) };
                p.fill(side, q, px, 0.0);
                cash += if buy { -q * px } else { q * px };
            }
            let value = cash + p.qty * mark;
            prop_assert!((p.total_pnl(mark) - value).abs() <= 1e-9 * (1.0 + value.abs() + 100.0));
        }
    }
}
