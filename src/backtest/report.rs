//! The backtest report: what `qtrade backtest` writes as report.json (and
//! draws in report.html), built from per-symbol runs.
//!
//! Several symbols share one account: each symbol's strategy trades its own
//! quantity, and the account's equity at time t is the starting cash plus
//! every symbol's PnL at t (a symbol counts 0 before its first candle and
//! its last value after its last). With one symbol this is exactly that
//! symbol's equity curve.

use super::ema_cross::EmaCrossResult;
use super::metrics::{Metrics, RunSummary, compute, drawdowns};
use crate::market::Candle;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One trade as the report lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportTrade {
    /// Symbol.
    pub symbol: String,
    /// "long" or "short".
    pub side: String,
    /// Quantity.
    pub qty: f64,
    /// Entry fill time, ms.
    pub entry_time: i64,
    /// Entry fill price.
    pub entry_price: f64,
    /// Exit fill time, ms (null while open at the end).
    pub exit_time: Option<i64>,
    /// Exit fill price (null while open).
    pub exit_price: Option<f64>,
    /// Net PnL (marked at the last close while open).
    pub pnl: f64,
    /// Fees paid.
    pub fees: f64,
}

/// One order as the report lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportOrder {
    /// Open time of the minute whose close decided it (a fired stop: the
    /// minute that reached it), ms.
    pub time: i64,
    /// Symbol.
    pub symbol: String,
    /// "buy" or "sell".
    pub side: String,
    /// Quantity asked for.
    pub qty: f64,
    /// `MARKET`, or the conditional order that placed it (`STOP_MARKET`,
    /// `TAKE_PROFIT_MARKET`).
    pub kind: String,
    /// Reduce-only (exits).
    pub reduce_only: bool,
    /// Price the decision was made at (a fired stop: its trigger).
    pub decision_price: f64,
}

/// One fill as the report lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportFill {
    /// When it was booked (open time of the minute it reached the
    /// account), ms.
    pub time: i64,
    /// Symbol.
    pub symbol: String,
    /// "buy" or "sell".
    pub side: String,
    /// Quantity filled.
    pub qty: f64,
    /// Fill price.
    pub price: f64,
    /// Fee paid.
    pub fee: f64,
}

/// "buy" for a long-side order, "sell" for a short-side one.
#[must_use]
pub fn order_side(long: bool) -> String {
    if long { "buy" } else { "sell" }.into()
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Strategy name.
    pub strategy: String,
    /// Symbols traded.
    pub symbols: Vec<String>,
    /// Candles replayed (all symbols).
    pub candles: u64,
    /// Wall-clock seconds the replay took.
    pub elapsed_s: f64,
    /// Candles per second of wall-clock time.
    pub candles_per_second: f64,
    /// The metrics.
    pub metrics: Metrics,
    /// Every trade, by entry time.
    pub trades: Vec<ReportTrade>,
    /// Every order, in the order it was sent.
    pub orders: Vec<ReportOrder>,
    /// Every fill, in the order it was booked.
    pub fills: Vec<ReportFill>,
    /// (time ms, equity) of the account.
    pub equity: Vec<(i64, f64)>,
    /// (time ms, drawdown fraction) of the account.
    pub drawdown: Vec<(i64, f64)>,
    /// Net PnL by symbol (closed and open trades).
    pub pnl_by_symbol: BTreeMap<String, f64>,
}

/// One symbol's run.
#[derive(Debug, Clone)]
pub struct SymbolRun<'a> {
    /// Symbol.
    pub symbol: String,
    /// Its candles.
    pub candles: &'a [Candle],
    /// The strategy's result.
    pub result: &'a EmaCrossResult,
}

/// Builds the report of `ema_cross` runs sharing `cash`.
#[must_use]
pub fn ema_cross_report(
    runs: &[SymbolRun<'_>],
    fee_rate: f64,
    cash: f64,
    periods_per_year: f64,
    elapsed_s: f64,
) -> Report {
    let mut times: Vec<i64> = runs
        .iter()
        .flat_map(|r| r.candles.iter().map(|c| c.open_time))
        .collect();
    times.sort_unstable();
    times.dedup();
    let mut cursor = vec![0usize; runs.len()];
    let equity: Vec<(i64, f64)> = times
        .iter()
        .map(|&t| {
            let mut v = cash;
            for (k, r) in runs.iter().enumerate() {
                while cursor[k] < r.candles.len() && r.candles[cursor[k]].open_time <= t {
                    cursor[k] += 1;
                }
                if cursor[k] > 0 {
                    v += r.result.equity[cursor[k] - 1] - cash;
                }
            }
            (t, v)
        })
        .collect();
    let dd = drawdowns(&equity);
    let mut trades = Vec::new();
    let mut pnls = Vec::new();
    let (mut notional, mut fees, mut in_market) = (0.0, 0.0, 0usize);
    let mut pnl_by_symbol = BTreeMap::new();
    let (mut orders, mut fills) = (Vec::new(), Vec::new());
    for r in runs {
        let last = r.candles.len();
        for t in &r.result.trades {
            // Each leg: a market order decided on the previous candle's
            // close, filled at its own candle's open.
            let legs = [
                (true, t.entry_index, Some(t.entry_price)),
                (false, t.exit_index.unwrap_or(last), t.exit_price),
            ];
            for (buy, index, price) in legs {
                let (Some(price), Some(decided)) = (price, index.checked_sub(1)) else {
                    continue;
                };
                let Some(c) = r.candles.get(index) else {
                    continue;
                };
                orders.push(ReportOrder {
                    time: r.candles[decided].open_time,
                    symbol: r.symbol.clone(),
                    side: order_side(buy),
                    qty: t.qty,
                    kind: "MARKET".into(),
                    reduce_only: !buy,
                    decision_price: r.candles[decided].close,
                });
                fills.push(ReportFill {
                    time: c.open_time,
                    symbol: r.symbol.clone(),
                    side: order_side(buy),
                    qty: t.qty,
                    price,
                    fee: t.qty * price * fee_rate,
                });
            }
            trades.push(ReportTrade {
                symbol: r.symbol.clone(),
                side: "long".into(),
                qty: t.qty,
                entry_time: t.entry_time,
                entry_price: t.entry_price,
                exit_time: t.exit_time,
                exit_price: t.exit_price,
                pnl: t.pnl,
                fees: t.fees,
            });
            notional += t.qty * t.entry_price + t.exit_price.map_or(0.0, |p| t.qty * p);
            fees += t.fees;
            in_market += t.exit_index.unwrap_or(last) - t.entry_index;
            if t.exit_index.is_some() {
                pnls.push(t.pnl);
            }
            *pnl_by_symbol.entry(r.symbol.clone()).or_insert(0.0) += t.pnl;
        }
        pnl_by_symbol.entry(r.symbol.clone()).or_insert(0.0);
    }
    trades.sort_by(|a, b| {
        a.entry_time
            .cmp(&b.entry_time)
            .then(a.symbol.cmp(&b.symbol))
    });
    let candles: usize = runs.iter().map(|r| r.candles.len()).sum();
    let mut metrics = compute(&RunSummary {
        equity: &equity,
        trade_pnls: &pnls,
        candles_in_market: 0,
        traded_notional: notional,
        fees,
        funding: 0.0,
        periods_per_year,
    });
    // Exposure over every symbol's candles, not the merged timeline.
    metrics.exposure = if candles == 0 {
        f64::NAN
    } else {
        in_market as f64 / candles as f64
    };
    Report {
        strategy: "ema_cross".into(),
        symbols: runs.iter().map(|r| r.symbol.clone()).collect(),
        candles: candles as u64,
        elapsed_s,
        candles_per_second: if elapsed_s > 0.0 {
            candles as f64 / elapsed_s
        } else {
            f64::NAN
        },
        metrics,
        trades,
        orders: {
            orders.sort_by_key(|o| o.time);
            orders
        },
        fills: {
            fills.sort_by_key(|f| f.time);
            fills
        },
        drawdown: equity.iter().zip(&dd).map(|(e, d)| (e.0, *d)).collect(),
        equity,
        pnl_by_symbol,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::ema_cross::{EmaCrossConfig, run};
    use crate::market::random_walk::random_walk;

    #[test]
    fn one_symbol_reports_its_own_curve_and_two_add_up() {
        let cfg = EmaCrossConfig {
            cash: 10_000.0,
            ..EmaCrossConfig::default()
        };
        let a = random_walk(1, 0, 3_000, 0);
        let b = random_walk(1, 1, 2_000, 60_000 * 500);
        let (ra, rb) = (run(&a, &cfg), run(&b, &cfg));
        let one = ema_cross_report(
            &[SymbolRun {
                symbol: "AUSDT".into(),
                candles: &a,
                result: &ra,
            }],
            cfg.fee_rate,
            cfg.cash,
            525_600.0,
            0.5,
        );
        assert_eq!(one.equity.len(), 3_000);
        assert!(one.equity.iter().zip(&ra.equity).all(|(e, v)| e.1 == *v));
        assert_eq!(one.metrics.final_equity, ra.final_equity);
        assert_eq!(
            one.metrics.trades,
            ra.trades.iter().filter(|t| t.exit_index.is_some()).count()
        );
        assert_eq!(one.candles_per_second, 6_000.0);
        // Two orders and two fills per closed trade (one of each while open).
        let legs: usize = ra
            .trades
            .iter()
            .map(|t| if t.exit_index.is_some() { 2 } else { 1 })
            .sum();
        assert_eq!((one.orders.len(), one.fills.len()), (legs, legs));
        let fee: f64 = one.fills.iter().map(|f| f.fee).sum();
        assert!(
            (fee - ra.fees).abs() <= 1e-9 * ra.fees.max(1.0),
            "{fee} vs {}",
            ra.fees
        );
        assert!(
            one.orders
                .iter()
                .zip(&one.fills)
                .all(|(o, f)| o.time < f.time)
        );
        let both = ema_cross_report(
            &[
                SymbolRun {
                    symbol: "AUSDT".into(),
                    candles: &a,
                    result: &ra,
                },
                SymbolRun {
                    symbol: "BUSDT".into(),
                    candles: &b,
                    result: &rb,
                },
            ],
            cfg.fee_rate,
            cfg.cash,
            525_600.0,
            1.0,
        );
        let want = ra.final_equity + rb.final_equity - cfg.cash;
        assert!((both.metrics.final_equity - want).abs() < 1e-9);
        let by: f64 = both.pnl_by_symbol.values().sum();
        assert!(
            (both.metrics.final_equity - cfg.cash - by).abs() < 1e-6,
            "PnL by symbol adds up"
        );
        assert!(
            both.trades
                .windows(2)
                .all(|w| w[0].entry_time <= w[1].entry_time)
        );
        assert_eq!(both.candles, 5_000);
    }
}
