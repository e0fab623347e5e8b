//! Realized volatility: the sample standard deviation of log returns of the
//! close, per candle and annualised.
//!
//! Definition, for a period `n ≥ 2` (default 30) over closes `c`:
//! - r_t = ln(c_t / c_{t−1});
//! - **volatility** σ_t = √(Σ (r_i − r̄)² / (n − 1)) over the last `n`
//!   returns r_{t−n+1} … r_t (r̄ their mean; two passes, oldest first);
//! - **annualized** = σ_t · √P, with P = [`periods_per_year`] of the candle
//!   interval: candles in a 365-day year (525,600 for 1m, 365 for 1d),
//!   crypto trading every day.
//!
//! First defined at index `n` (n returns need n + 1 closes). Empty while the
//! window holds a return that is not finite (a close that is not positive
//! or not finite). A flat stretch gives exactly 0.

use crate::indicators::window::Window;
use crate::market::Interval;

/// Default number of returns in the window.
pub const DEFAULT_REALIZED_PERIOD: usize = 30;

/// Candles of `interval` in a 365-day year: 365·86,400,000 / interval ms.
#[must_use]
pub fn periods_per_year(interval: Interval) -> f64 {
    365.0 * 86_400_000.0 / interval.millis() as f64
}

/// One candle's realized volatility.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RealizedVolatilityValue {
    /// Sample standard deviation of the window's log returns (per candle).
    pub volatility: f64,
    /// `volatility · √periods_per_year`.
    pub annualized: f64,
}

/// Batch output: one vector per value.
#[derive(Debug, Clone, PartialEq)]
pub struct RealizedVolatilityOutput {
    /// Per-candle volatility.
    pub volatility: Vec<f64>,
    /// Annualised volatility.
    pub annualized: Vec<f64>,
}

/// ln(close / prev), NaN when either is not positive and finite.
#[inline]
fn log_return(prev: f64, close: f64) -> f64 {
    if prev > 0.0 && close > 0.0 && prev.is_finite() && close.is_finite() {
        (close / prev).ln()
    } else {
        f64::NAN
    }
}

/// Sample standard deviation of `n ≥ 2` returns; `None` when one is NaN.
#[inline]
fn sample_sd(returns: impl Iterator<Item = f64> + Clone, n: usize) -> Option<f64> {
    let nf = n as f64;
    let mut sum = 0.0;
    for r in returns.clone() {
        if !r.is_finite() {
            return None;
        }
        sum += r;
    }
    let mean = sum / nf;
    let ss: f64 = returns.map(|r| (r - mean) * (r - mean)).sum();
    Some((ss / (nf - 1.0)).sqrt())
}

/// Streaming realized volatility; O(period) per update.
#[derive(Debug, Clone)]
pub struct RealizedVolatility {
    prev_close: Option<f64>,
    returns: Window,
    annualize: f64,
}

impl RealizedVolatility {
    /// Volatility over `period` log returns of candles of `interval`.
    ///
    /// # Panics
    /// When `period < 2`.
    #[must_use]
    pub fn new(period: usize, interval: Interval) -> Self {
        assert!(period >= 2, "realized volatility period must be at least 2");
        Self {
            prev_close: None,
            returns: Window::new(period),
            annualize: periods_per_year(interval).sqrt(),
        }
    }

    /// Feeds one close.
    pub fn update(&mut self, close: f64) -> Option<RealizedVolatilityValue> {
        let prev = self.prev_close.replace(close)?;
        self.returns.push(log_return(prev, close));
        if !self.returns.is_full() {
            return None;
        }
        let w = &self.returns;
        let sd = sample_sd((0..w.len()).map(|i| w.get(i)), w.len())?;
        Some(RealizedVolatilityValue {
            volatility: sd,
            annualized: sd * self.annualize,
        })
    }
}

/// Batch realized volatility (NaN before index `period` and where the
/// window holds an undefined return).
///
/// # Panics
/// When `period < 2`.
#[must_use]
pub fn realized_volatility(
    close: &[f64],
    period: usize,
    interval: Interval,
) -> RealizedVolatilityOutput {
    assert!(period >= 2, "realized volatility period must be at least 2");
    let n = close.len();
    let annualize = periods_per_year(interval).sqrt();
    let mut out = RealizedVolatilityOutput {
        volatility: vec![f64::NAN; n],
        annualized: vec![f64::NAN; n],
    };
    // returns[i] is the return into close[i + 1].
    let returns: Vec<f64> = close.windows(2).map(|w| log_return(w[0], w[1])).collect();
    for t in period..n {
        let window = &returns[t - period..t];
        if let Some(sd) = sample_sd(window.iter().copied(), period) {
            out.volatility[t] = sd;
            out.annualized[t] = sd * annualize;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        // Returns ln 2, ln ½ → mean 0, σ = √(2·ln²2 / 1) = √2·ln 2.
        let x = [1.0, 2.0, 1.0, 1.0];
        let b = realized_volatility(&x, 2, Interval::D1);
        assert!(b.volatility[0].is_nan() && b.volatility[1].is_nan());
        let want = 2f64.sqrt() * 2f64.ln();
        assert!((b.volatility[2] - want).abs() < 1e-15);
        assert!((b.annualized[2] - want * 365f64.sqrt()).abs() < 1e-13);
        // Returns ln ½, 0 → σ = ln 2/√2.
        assert!((b.volatility[3] - 2f64.ln() / 2f64.sqrt()).abs() < 1e-15);
        let mut s = RealizedVolatility::new(2, Interval::D1);
        let st: Vec<_> = x.iter().map(|&c| s.update(c)).collect();
        assert_eq!(st[..2], [None, None]);
        assert_eq!(st[2].unwrap().volatility, b.volatility[2]);
        assert_eq!(st[3].unwrap().annualized, b.annualized[3]);
    }

    #[test]
    fn periods_per_year_by_interval() {
        assert_eq!(periods_per_year(Interval::M1), 525_600.0);
        assert_eq!(periods_per_year(Interval::H1), 8_760.0);
        assert_eq!(periods_per_year(Interval::D1), 365.0);
    }

    #[test]
    fn flat_is_zero_and_bad_closes_are_empty() {
        let b = realized_volatility(&[3.0; 5], 3, Interval::M1);
        assert_eq!(&b.volatility[3..], &[0.0, 0.0]);
        let b = realized_volatility(&[1.0, 0.0, 1.0, 2.0, 3.0, 4.0], 2, Interval::M1);
        assert!(b.volatility[..4].iter().all(|v| v.is_nan()));
        assert!(!b.volatility[4].is_nan() && !b.volatility[5].is_nan());
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::indicators::proptest_support::{assert_columns_agree, series};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn streaming_equals_batch(s in series(300), period in 2usize..40, iv in 0usize..12) {
            let interval = Interval::ALL[iv];
            let mut st = RealizedVolatility::new(period, interval);
            let rows: Vec<Option<RealizedVolatilityValue>> = s.close.iter().map(|&c| st.update(c)).collect();
            let b = realized_volatility(&s.close, period, interval);
            let col = |f: fn(&RealizedVolatilityValue) -> f64| rows.iter().map(|r| r.as_ref().map_or(f64::NAN, f)).collect::<Vec<_>>();
            assert_columns_agree("volatility", &col(|v| v.volatility), &b.volatility);
            assert_columns_agree("annualized", &col(|v| v.annualized), &b.annualized);
            for (t, v) in b.volatility.iter().enumerate() {
                // Closes are positive, so defined exactly from index `period`.
                prop_assert_eq!(v.is_nan(), t < period);
                prop_assert!(v.is_nan() || *v >= 0.0);
            }
        }
    }
}
