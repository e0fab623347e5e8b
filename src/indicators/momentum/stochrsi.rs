//! Stochastic RSI: TA-Lib 0.8.1's `STOCH` (SMA smoothing) applied to the RSI
//! series from its first valid value, with high = low = close = RSI.
//!
//! Definition, with r the RSI(`rsi_period`) series (first valid at index
//! `rsi_period`) and periods fk, sk, sd (defaults 14, 3, 3):
//! - hi, lo = max and min of the last fk RSI values;
//! - fastk = 0 when |hi − lo| ≤ 1e-14·(|hi| + |lo|) (TA-Lib's
//!   `TA_IS_ZERO_SCALED`: the range is rounding noise, as happens in flat
//!   stretches where RSI repeats up to its last bits), otherwise
//!   ((r − lo) / (hi − lo))·100;
//! - k = SMA(sk) of fastk, d = SMA(sd) of k (TA-Lib's running-sum SMA);
//! - both outputs are first defined at index
//!   `rsi_period + (fk − 1) + (sk − 1) + (sd − 1)` (31 for the defaults), as
//!   TA-Lib's `STOCH` emits k and d together.
//!
//! This is not TA-Lib's `STOCHRSI` function, which starts earlier; with the
//! defaults, `k` equals the `fastd` output of `STOCHRSI(14, 14, 3, SMA)`
//! wherever `k` is defined.

use crate::indicators::momentum::rsi::{Rsi, rsi_into};
use crate::indicators::talib_compat::is_zero_scaled;
use crate::indicators::trend::sma::Sma;
use crate::indicators::window::Window;
use crate::indicators::window_extremes::{rolling_max, rolling_min};

/// Periods of the stochastic RSI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StochRsiParams {
    /// RSI period (≥ 2).
    pub rsi_period: usize,
    /// Window of the highest/lowest RSI for fast %K (≥ 1).
    pub fastk_period: usize,
    /// SMA period turning fast %K into %K (≥ 1).
    pub slowk_period: usize,
    /// SMA period turning %K into %D (≥ 1).
    pub slowd_period: usize,
}

impl Default for StochRsiParams {
    /// RSI 14, fast %K 14, %K 3, %D 3: the battery's `stochrsi_k/d`.
    fn default() -> Self {
        Self {
            rsi_period: 14,
            fastk_period: 14,
            slowk_period: 3,
            slowd_period: 3,
        }
    }
}

impl StochRsiParams {
    /// Index of the first defined output.
    #[must_use]
    pub fn first_valid(&self) -> usize {
        self.rsi_period + self.fastk_period + self.slowk_period + self.slowd_period - 3
    }

    fn validate(&self) {
        assert!(self.rsi_period >= 2, "RSI period must be at least 2");
        assert!(
            self.fastk_period >= 1 && self.slowk_period >= 1 && self.slowd_period >= 1,
            "stochastic periods must be positive"
        );
    }
}

/// One stochastic RSI output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StochRsiValue {
    /// Slow %K: SMA of fast %K.
    pub k: f64,
    /// Slow %D: SMA of %K.
    pub d: f64,
}

/// Batch stochastic RSI, NaN where undefined.
#[derive(Debug, Clone, PartialEq)]
pub struct StochRsiOutput {
    /// Slow %K per input.
    pub k: Vec<f64>,
    /// Slow %D per input.
    pub d: Vec<f64>,
}

/// TA-Lib 0.8.1's fast %K of `x` within [`lowest`, `highest`].
#[inline]
fn fast_k(x: f64, lowest: f64, highest: f64) -> f64 {
    let range = highest - lowest;
    if is_zero_scaled(range, highest.abs() + lowest.abs()) {
        0.0
    } else {
        ((x - lowest) / range) * 100.0
    }
}

/// Streaming stochastic RSI; first defined at index
/// [`StochRsiParams::first_valid`].
#[derive(Debug, Clone)]
pub struct StochRsi {
    rsi: Rsi,
    window: Window,
    slowk: Sma,
    slowd: Sma,
}

impl StochRsi {
    /// A new stochastic RSI.
    ///
    /// # Panics
    /// When `rsi_period < 2` or another period is 0.
    #[must_use]
    pub fn new(params: StochRsiParams) -> Self {
        params.validate();
        Self {
            rsi: Rsi::new(params.rsi_period),
            window: Window::new(params.fastk_period),
            slowk: Sma::new(params.slowk_period),
            slowd: Sma::new(params.slowd_period),
        }
    }

    /// Feeds one close.
    #[inline]
    pub fn update(&mut self, close: f64) -> Option<StochRsiValue> {
        let r = self.rsi.update(close)?;
        self.update_with_rsi(r)
    }

    /// Feeds one RSI value the caller already computed with
    /// `params.rsi_period` (the battery keeps one RSI for both columns); this
    /// struct's own RSI is then unused.
    #[inline]
    pub fn update_with_rsi(&mut self, r: f64) -> Option<StochRsiValue> {
        self.window.push(r);
        if !self.window.is_full() {
            return None;
        }
        // O(fastk_period) scan: the window is short and max/min are exact,
        // so this equals TA-Lib's incremental tracking.
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in self.window.iter() {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        let k = self.slowk.update(fast_k(r, lo, hi))?;
        let d = self.slowd.update(k)?;
        Some(StochRsiValue { k, d })
    }
}

/// Batch stochastic RSI over `close`.
///
/// # Panics
/// When `rsi_period < 2` or another period is 0.
#[must_use]
pub fn stochrsi(close: &[f64], params: StochRsiParams) -> StochRsiOutput {
    params.validate();
    let n = close.len();
    let first = params.first_valid();
    let mut k = vec![f64::NAN; n];
    let mut d = vec![f64::NAN; n];
    if n > first {
        // The two output buffers double as scratch, so the batch form
        // allocates nothing beyond its outputs: RSI goes into `k`, fast %K
        // from it into `d`, %K from that into `k`, %D from that into `d`.
        let start = params.rsi_period;
        rsi_into(close, start, &mut k);
        fast_k_into(&k[start..], params.fastk_period, &mut d[start..]);
        let k_src = start + params.fastk_period - 1;
        sma_into(&d[k_src..], params.slowk_period, &mut k[k_src..]);
        let d_src = k_src + params.slowk_period - 1;
        sma_into(&k[d_src..], params.slowd_period, &mut d[d_src..]);
        // TA-Lib emits %K and %D together, from the first %D.
        k[..first].fill(f64::NAN);
        d[..first].fill(f64::NAN);
    }
    StochRsiOutput { k, d }
}

/// Batch StochRSI from an RSI column already computed with
/// `params.rsi_period` (the battery computes RSI once for both columns).
///
/// # Panics
/// When the parameters are invalid.
#[must_use]
pub fn stochrsi_from_rsi(rsi: &[f64], params: StochRsiParams) -> StochRsiOutput {
    params.validate();
    let n = rsi.len();
    let first = params.first_valid();
    let mut k = rsi.to_vec();
    let mut d = vec![f64::NAN; n];
    if n > first {
        let start = params.rsi_period;
        fast_k_into(&k[start..], params.fastk_period, &mut d[start..]);
        let k_src = start + params.fastk_period - 1;
        sma_into(&d[k_src..], params.slowk_period, &mut k[k_src..]);
        let d_src = k_src + params.slowk_period - 1;
        sma_into(&k[d_src..], params.slowd_period, &mut d[d_src..]);
    }
    k[..first.min(n)].fill(f64::NAN);
    d[..first.min(n)].fill(f64::NAN);
    StochRsiOutput { k, d }
}

/// TA-Lib 0.8.1's STOCH fast %K with high = low = close = `x`, written to
/// `out[fk − 1..]`. Tracks where the extremes sit so that a rescan happens
/// only when one leaves the window (TA-Lib's loop; amortised O(1)).
fn fast_k_into(x: &[f64], fk: usize, out: &mut [f64]) {
    // Window extremes by van Herk / Gil-Werman: exact, so the values equal
    // TA-Lib's tracker's, without its data-dependent rescans.
    let (highest, lowest) = (rolling_max(x, fk), rolling_min(x, fk));
    for today in fk - 1..x.len() {
        out[today] = fast_k(x[today], lowest[today], highest[today]);
    }
}

/// TA-Lib's running-sum SMA of `x` (add the new value, divide, drop the
/// oldest), written to `out[period − 1..x.len()]`.
fn sma_into(x: &[f64], period: usize, out: &mut [f64]) {
    if x.len() < period {
        return;
    }
    let mut sum = 0.0;
    for &v in &x[..period - 1] {
        sum += v;
    }
    for i in period - 1..x.len() {
        sum += x[i];
        out[i] = sum / period as f64;
        sum -= x[i + 1 - period];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> StochRsiParams {
        StochRsiParams {
            rsi_period: 2,
            fastk_period: 2,
            slowk_period: 1,
            slowd_period: 2,
        }
    }

    #[test]
    fn first_valid_matches_contract() {
        assert_eq!(StochRsiParams::default().first_valid(), 31);
        let x: Vec<f64> = (0..40)
            .map(|i| 100.0 + (f64::from(i) * 0.7).sin())
            .collect();
        let out = stochrsi(&x, StochRsiParams::default());
        assert!(out.k[30].is_nan() && out.d[30].is_nan());
        assert!(!out.k[31].is_nan() && !out.d[31].is_nan());
    }

    #[test]
    fn hand_checked_small_periods() {
        // changes: +1, −1, +2, −2, +4
        let x = [10.0, 11.0, 10.0, 12.0, 10.0, 14.0];
        // RSI(2): idx2: g .5 l .5 → 50; idx3: g (.5+2)/2=1.25 l .25 → 83.33..;
        // idx4: g .625 l 1.125 → 35.71..; idx5: g 2.3125 l .5625 → 80.43..
        let r = rsi2(&x);
        let fk3 = 100.0; // r3 is the high of {r2, r3}
        let fk4 = 0.0; // r4 is the low of {r3, r4}
        let fk5 = (r[5] - r[4]) / (r[5] - r[4]) * 100.0;
        let out = stochrsi(&x, small());
        assert_eq!(small().first_valid(), 4);
        assert!(out.k[3].is_nan());
        assert_eq!(out.k[4], fk4);
        assert_eq!(out.d[4], (fk3 + fk4) / 2.0);
        assert_eq!(out.k[5], fk5);
        assert_eq!(out.d[5], (fk4 + fk5) / 2.0);
        let mut s = StochRsi::new(small());
        let st: Vec<_> = x.iter().map(|&v| s.update(v)).collect();
        assert!(st[..4].iter().all(Option::is_none));
        assert_eq!(
            st[4],
            Some(StochRsiValue {
                k: out.k[4],
                d: out.d[4]
            })
        );
        assert_eq!(
            st[5],
            Some(StochRsiValue {
                k: out.k[5],
                d: out.d[5]
            })
        );
    }

    fn rsi2(x: &[f64]) -> Vec<f64> {
        crate::indicators::momentum::rsi::rsi(x, 2)
    }

    #[test]
    fn flat_rsi_noise_gives_zero() {
        // After a move the price goes flat: RSI then repeats up to rounding
        // noise (53.26273891926397…99), which the scaled zero test must treat
        // as a zero range. Fast %K is then 0, and %K/%D keep only the
        // running-sum residue TA-Lib also shows (~5e-15), not noise-driven
        // swings across 0..100.
        let mut x: Vec<f64> = (0..20).map(|i| 100.0 + f64::from(i % 3)).collect();
        x.extend(std::iter::repeat_n(101.5, 60));
        let out = stochrsi(&x, StochRsiParams::default());
        assert!(out.k[70..].iter().all(|&v| v.abs() < 1e-12));
        assert!(out.d[70..].iter().all(|&v| v.abs() < 1e-12));
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::indicators::proptest_support::{assert_columns_agree, series};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn streaming_equals_batch(
            s in series(300),
            rsi_period in 2usize..20,
            fastk_period in 1usize..20,
            slowk_period in 1usize..5,
            slowd_period in 1usize..5,
        ) {
            let params = StochRsiParams { rsi_period, fastk_period, slowk_period, slowd_period };
            let mut st = StochRsi::new(params);
            let (mut k, mut d) = (Vec::new(), Vec::new());
            for &x in &s.close {
                let v = st.update(x);
                k.push(v.map_or(f64::NAN, |v| v.k));
                d.push(v.map_or(f64::NAN, |v| v.d));
            }
            let b = stochrsi(&s.close, params);
            assert_columns_agree("stochrsi_k", &k, &b.k);
            assert_columns_agree("stochrsi_d", &d, &b.d);
        }
    }
}

#[cfg(test)]
mod from_rsi {
    use super::*;
    use crate::indicators::momentum::rsi::rsi;
    use crate::indicators::proptest_support::{assert_columns_agree, series};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn equals_stochrsi_from_closes(s in series(200)) {
            let p = StochRsiParams::default();
            let a = stochrsi(&s.close, p);
            let b = stochrsi_from_rsi(&rsi(&s.close, p.rsi_period), p);
            assert_columns_agree("k", &b.k, &a.k);
            assert_columns_agree("d", &b.d, &a.d);
        }
    }
}
