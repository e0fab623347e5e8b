//! The reference strategy `ema_cross`, with rules fixed so that any engine
//! can be checked against it:
//!
//! 1. Per symbol, EMA(fast) and EMA(slow) with α = 2/(n + 1), seeded with
//!    the first close and updated on every candle.
//! 2. At each candle's close from index `slow − 1` to the second-to-last,
//!    want long iff fast > slow (strictly).
//! 3. Buy `qty` when flat and wanting long; sell it all when long and not.
//! 4. Market orders fill at the next candle's open.
//! 5. A taker fee of `fee_rate` (0.04%) of notional on every fill.
//! 6. Starting cash `cash`; a position open at the end is not closed but
//!    marked at the last close.
//!
//! Accounting matches backtesting.py (`trade_on_close=False`,
//! `commission=0.0004`): a trade's PnL is net of both fees.

use crate::market::Candle;
use serde::{Deserialize, Serialize};

/// Parameters of the reference strategy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EmaCrossConfig {
    /// Fast EMA length.
    pub fast: usize,
    /// Slow EMA length; signals start at index `slow − 1`.
    pub slow: usize,
    /// Quantity bought per entry.
    pub qty: f64,
    /// Starting cash.
    pub cash: f64,
    /// Fee as a fraction of notional per fill.
    pub fee_rate: f64,
}

impl Default for EmaCrossConfig {
    fn default() -> Self {
        Self {
            fast: 10,
            slow: 30,
            qty: 1.0,
            cash: 1_000_000.0,
            fee_rate: 0.0004,
        }
    }
}

/// One round trip (or an entry still open at the end).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trade {
    /// Quantity held.
    pub qty: f64,
    /// Index of the entry fill's candle.
    pub entry_index: usize,
    /// Open time of that candle, ms.
    pub entry_time: i64,
    /// Entry fill price (that candle's open).
    pub entry_price: f64,
    /// Index of the exit fill's candle, if closed.
    pub exit_index: Option<usize>,
    /// Open time of that candle, ms.
    pub exit_time: Option<i64>,
    /// Exit fill price, if closed.
    pub exit_price: Option<f64>,
    /// Fees paid on this trade's fills.
    pub fees: f64,
    /// Net PnL: (exit − entry)·qty − fees; for an open trade, marked at the
    /// last close, entry fee only.
    pub pnl: f64,
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmaCrossResult {
    /// Trades in entry order (the last may be open).
    pub trades: Vec<Trade>,
    /// Cash at the end.
    pub cash: f64,
    /// Cash plus the open position marked at the last close.
    pub final_equity: f64,
    /// Total fees paid.
    pub fees: f64,
    /// Equity after each candle (position marked at its close).
    pub equity: Vec<f64>,
}

/// Runs the strategy over one symbol's candles.
///
/// # Panics
/// When `fast` or `slow` is 0.
#[must_use]
pub fn run(candles: &[Candle], cfg: &EmaCrossConfig) -> EmaCrossResult {
    assert!(cfg.fast > 0 && cfg.slow > 0, "EMA lengths must be positive");
    let (a_fast, a_slow) = (2.0 / (cfg.fast as f64 + 1.0), 2.0 / (cfg.slow as f64 + 1.0));
    let mut cash = cfg.cash;
    let mut fees = 0.0;
    let mut trades: Vec<Trade> = Vec::new();
    let mut open: Option<usize> = None;
    let mut equity = Vec::with_capacity(candles.len());
    // An order decided at a close, filled at the next candle's open.
    let mut pending: Option<bool> = None;
    let (mut fast, mut slow) = (0.0, 0.0);
    for (i, c) in candles.iter().enumerate() {
        if let Some(buy) = pending.take() {
            let notional = c.open * cfg.qty;
            let fee = notional * cfg.fee_rate;
            fees += fee;
            if buy {
                cash -= notional + fee;
                trades.push(Trade {
                    qty: cfg.qty,
                    entry_index: i,
                    entry_time: c.open_time,
                    entry_price: c.open,
                    exit_index: None,
                    exit_time: None,
                    exit_price: None,
                    fees: fee,
                    pnl: 0.0,
                });
                open = Some(trades.len() - 1);
            } else if let Some(t) = open.take().map(|k| &mut trades[k]) {
                cash += notional - fee;
                t.exit_index = Some(i);
                t.exit_time = Some(c.open_time);
                t.exit_price = Some(c.open);
                t.fees += fee;
                t.pnl = (c.open - t.entry_price) * t.qty - t.fees;
            }
        }
        if i == 0 {
            (fast, slow) = (c.close, c.close);
        } else {
            fast = a_fast * c.close + (1.0 - a_fast) * fast;
            slow = a_slow * c.close + (1.0 - a_slow) * slow;
        }
        if i + 1 >= cfg.slow && i + 1 < candles.len() {
            let want = fast > slow;
            match (open.is_some(), want) {
                (false, true) => pending = Some(true),
                (true, false) => pending = Some(false),
                _ => {}
            }
        }
        let held = open.map_or(0.0, |k| trades[k].qty);
        equity.push(cash + held * c.close);
    }
    let last_close = candles.last().map_or(0.0, |c| c.close);
    if let Some(t) = open.map(|k| &mut trades[k]) {
        t.pnl = (last_close - t.entry_price) * t.qty - t.fees;
    }
    let held = open.map_or(0.0, |k| trades[k].qty);
    EmaCrossResult {
        trades,
        cash,
        final_equity: cash + held * last_close,
        fees,
        equity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candles(closes: &[f64]) -> Vec<Candle> {
        closes
            .iter()
            .enumerate()
            .map(|(i, &c)| Candle::ohlcv(i as i64 * 60_000, c, c, c, c, 1.0))
            .collect()
    }

    #[test]
    fn enters_at_the_next_open_and_pays_fees_both_ways() {
        // Short EMAs for a hand check: fast 1 (the close), slow 3.
        let cfg = EmaCrossConfig {
            fast: 1,
            slow: 3,
            qty: 2.0,
            cash: 1000.0,
            fee_rate: 0.001,
        };
        // Up from index 2 on, then down at index 5.
        let c = candles(&[10.0, 10.0, 11.0, 12.0, 13.0, 9.0, 8.0, 8.0]);
        let r = run(&c, &cfg);
        assert_eq!(r.trades.len(), 1);
        let t = &r.trades[0];
        assert_eq!((t.entry_index, t.entry_price), (3, 12.0));
        assert_eq!((t.exit_index, t.exit_price), (Some(6), Some(8.0)));
        let fees = 0.001 * (24.0 + 16.0);
        assert!((t.fees - fees).abs() < 1e-12);
        assert!((t.pnl - ((8.0 - 12.0) * 2.0 - fees)).abs() < 1e-12);
        assert!((r.final_equity - (1000.0 - 8.0 - fees)).abs() < 1e-9);
    }

    #[test]
    fn a_signal_on_the_last_candle_is_never_filled() {
        let cfg = EmaCrossConfig {
            fast: 1,
            slow: 2,
            ..EmaCrossConfig::default()
        };
        let r = run(&candles(&[10.0, 10.0, 10.0, 11.0]), &cfg);
        assert!(r.trades.is_empty());
        assert_eq!(r.final_equity, cfg.cash);
    }
}
