//! Performance metrics of a run, from its equity curve and closed trades.
//!
//! Definitions (r_t the per-candle simple returns of equity, P periods per
//! year from the candle interval):
//! - total return: final / initial − 1; annualised: (1 + total)^(P/n) − 1;
//! - Sharpe: mean(r)/std(r)·√P (sample std, risk-free 0);
//! - Sortino: mean(r)/downside deviation·√P, the downside deviation being
//!   √(Σ min(r, 0)² / n);
//! - max drawdown: the largest fall from a running peak, as a fraction of
//!   the peak; its duration: the longest time from a peak until equity
//!   regains it (or the end), ms;
//! - Calmar: annualised return / max drawdown;
//! - win rate: winning closed trades / closed trades (net of fees);
//!   profit factor: Σ wins / |Σ losses| (∞ with no loss);
//!   average trade: mean net PnL;
//! - exposure: the share of candles with a position open;
//! - turnover: traded notional / mean equity.
//!
//! A metric with no data (no trades, a flat curve) is NaN, which the JSON
//! report writes as null.

use serde::{Deserialize, Serialize};

/// The metrics of one run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Equity at the start.
    pub initial_equity: f64,
    /// Equity at the end (open positions marked at the last close).
    pub final_equity: f64,
    /// final / initial − 1.
    pub total_return: f64,
    /// Compounded to a year.
    pub annualized_return: f64,
    /// Annualised Sharpe ratio.
    pub sharpe: f64,
    /// Annualised Sortino ratio.
    pub sortino: f64,
    /// Annualised return over max drawdown.
    pub calmar: f64,
    /// Largest peak-to-trough fall, fraction of the peak.
    pub max_drawdown: f64,
    /// Longest time under a previous peak, ms.
    pub max_drawdown_duration_ms: i64,
    /// Winning closed trades / closed trades.
    pub win_rate: f64,
    /// Σ wins / |Σ losses|.
    pub profit_factor: f64,
    /// Mean net PnL of a closed trade.
    pub average_trade: f64,
    /// Closed trades.
    pub trades: usize,
    /// Share of candles with a position open.
    pub exposure: f64,
    /// Traded notional / mean equity.
    pub turnover: f64,
    /// Fees paid.
    pub fees: f64,
    /// Funding paid (negative) or received.
    pub funding: f64,
}

/// What the metrics are computed from.
#[derive(Debug, Clone, Copy)]
pub struct RunSummary<'a> {
    /// (time ms, equity), one per candle, oldest first.
    pub equity: &'a [(i64, f64)],
    /// Net PnL of each closed trade.
    pub trade_pnls: &'a [f64],
    /// Candles with a position open.
    pub candles_in_market: usize,
    /// Σ |qty·price| of every fill.
    pub traded_notional: f64,
    /// Fees paid.
    pub fees: f64,
    /// Funding.
    pub funding: f64,
    /// Periods per year of the equity series (525,600 for 1m).
    pub periods_per_year: f64,
}

/// The drawdown series (fraction below the running peak) of an equity curve.
#[must_use]
pub fn drawdowns(equity: &[(i64, f64)]) -> Vec<f64> {
    let mut peak = f64::NEG_INFINITY;
    equity
        .iter()
        .map(|&(_, v)| {
            peak = peak.max(v);
            if peak > 0.0 { 1.0 - v / peak } else { 0.0 }
        })
        .collect()
}

/// Computes the metrics.
#[must_use]
pub fn compute(run: &RunSummary<'_>) -> Metrics {
    let eq = run.equity;
    let initial = eq.first().map_or(f64::NAN, |e| e.1);
    let final_equity = eq.last().map_or(f64::NAN, |e| e.1);
    let total_return = final_equity / initial - 1.0;
    let returns: Vec<f64> = eq.windows(2).map(|w| w[1].1 / w[0].1 - 1.0).collect();
    let n = returns.len() as f64;
    let p = run.periods_per_year;
    let annualized_return = if n > 0.0 {
        (1.0 + total_return).powf(p / n) - 1.0
    } else {
        f64::NAN
    };
    let (sharpe, sortino) = if returns.len() >= 2 {
        let mean = returns.iter().sum::<f64>() / n;
        let std = (returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let down = (returns.iter().map(|r| r.min(0.0).powi(2)).sum::<f64>() / n).sqrt();
        let ratio = |d: f64| {
            if d > 0.0 {
                mean / d * p.sqrt()
            } else {
                f64::NAN
            }
        };
        (ratio(std), ratio(down))
    } else {
        (f64::NAN, f64::NAN)
    };
    let dd = drawdowns(eq);
    let max_drawdown = dd.iter().copied().fold(0.0, f64::max);
    let mut longest = 0i64;
    let mut since: Option<i64> = None;
    for (i, &(t, _)) in eq.iter().enumerate() {
        if dd[i] > 0.0 {
            let start = *since.get_or_insert(eq[i.saturating_sub(1)].0);
            longest = longest.max(t - start);
        } else if let Some(start) = since.take() {
            // Recovered: the spell lasted until this candle.
            longest = longest.max(t - start);
        }
    }
    let calmar = if max_drawdown > 0.0 {
        annualized_return / max_drawdown
    } else {
        f64::NAN
    };
    let trades = run.trade_pnls.len();
    let wins: f64 = run.trade_pnls.iter().filter(|&&x| x > 0.0).sum();
    let losses: f64 = run.trade_pnls.iter().filter(|&&x| x < 0.0).sum();
    let (win_rate, profit_factor, average_trade) = if trades == 0 {
        (f64::NAN, f64::NAN, f64::NAN)
    } else {
        let won = run.trade_pnls.iter().filter(|&&x| x > 0.0).count();
        (
            won as f64 / trades as f64,
            if losses < 0.0 {
                wins / -losses
            } else {
                f64::INFINITY
            },
            run.trade_pnls.iter().sum::<f64>() / trades as f64,
        )
    };
    let mean_equity = if eq.is_empty() {
        f64::NAN
    } else {
        eq.iter().map(|e| e.1).sum::<f64>() / eq.len() as f64
    };
    Metrics {
        initial_equity: initial,
        final_equity,
        total_return,
        annualized_return,
        sharpe,
        sortino,
        calmar,
        max_drawdown,
        max_drawdown_duration_ms: longest,
        win_rate,
        profit_factor,
        average_trade,
        trades,
        exposure: if eq.is_empty() {
            f64::NAN
        } else {
            run.candles_in_market as f64 / eq.len() as f64
        },
        turnover: run.traded_notional / mean_equity,
        fees: run.fees,
        funding: run.funding,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn summary(equity: &[(i64, f64)], pnls: &[f64]) -> Metrics {
        compute(&RunSummary {
            equity,
            trade_pnls: pnls,
            candles_in_market: 2,
            traded_notional: 300.0,
            fees: 1.5,
            funding: 0.0,
            periods_per_year: 4.0,
        })
    }

    #[test]
    fn a_known_curve() {
        let eq = [
            (0, 100.0),
            (10, 110.0),
            (20, 99.0),
            (30, 104.5),
            (40, 121.0),
        ];
        let m = summary(&eq, &[10.0, -5.0, 20.0]);
        assert!((m.total_return - 0.21).abs() < 1e-12);
        assert!((m.max_drawdown - 0.1).abs() < 1e-12);
        assert_eq!(
            m.max_drawdown_duration_ms, 30,
            "from the peak at 10 to its recovery at 40"
        );
        assert!(
            (m.annualized_return - 0.21).abs() < 1e-12,
            "4 periods = 1 year"
        );
        assert!((m.calmar - 2.1).abs() < 1e-9);
        assert!((m.win_rate - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.profit_factor - 6.0).abs() < 1e-12);
        assert!((m.average_trade - 25.0 / 3.0).abs() < 1e-12);
        assert!((m.exposure - 0.4).abs() < 1e-12);
        // returns 0.1, -0.1, 0.0555.., 0.1578..: mean and sample std.
        let r = [0.1, -0.1, 104.5 / 99.0 - 1.0, 121.0 / 104.5 - 1.0];
        let mean = r.iter().sum::<f64>() / 4.0;
        let std = (r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 3.0).sqrt();
        assert!((m.sharpe - mean / std * 2.0).abs() < 1e-12);
        assert!(summary(&eq, &[]).win_rate.is_nan());
        assert_eq!(summary(&eq, &[1.0]).profit_factor, f64::INFINITY);
    }

    proptest! {
        #[test]
        fn drawdown_is_a_fraction_and_zero_for_rising_curves(
            steps in proptest::collection::vec(-0.2f64..0.2, 1..200),
        ) {
            let mut v = 100.0;
            let eq: Vec<(i64, f64)> = std::iter::once((0, v)).chain(steps.iter().enumerate().map(|(i, s)| {
                v *= 1.0 + s;
                (i as i64 + 1, v)
            })).collect();
            let m = summary(&eq, &[]);
            prop_assert!((0.0..1.0).contains(&m.max_drawdown));
            prop_assert!(m.max_drawdown_duration_ms >= 0 && m.max_drawdown_duration_ms <= eq.len() as i64);
            let rising: Vec<(i64, f64)> = eq.iter().enumerate().map(|(i, _)| (i as i64, 100.0 + i as f64)).collect();
            let r = summary(&rising, &[]);
            prop_assert_eq!(r.max_drawdown, 0.0);
            prop_assert_eq!(r.max_drawdown_duration_ms, 0);
        }
    }
}
