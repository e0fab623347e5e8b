//! Williams %R smoothing: a simple moving average of the Williams %R series,
//! used by the node to damp %R's candle-to-candle jumps.
//!
//! Definition: with w the [`willr`](super::willr) series of period
//! `willr_period` (first valid at index `willr_period − 1`), the smoothed
//! value at t is the mean of the last `period` values of w, computed with
//! TA-Lib's running-sum SMA (add the new value, divide, drop the oldest).
//! It is defined once `period` %R values exist: first at index
//! `willr_period + period − 2` (15 for the defaults 14 and 3). Values lie in
//! [−100, 0] like %R itself, up to the running sum's rounding residue.

use crate::indicators::momentum::willr::{WillR, willr};
use crate::indicators::trend::sma::Sma;

/// Periods of the %R smoothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WillrSmoothingParams {
    /// Williams %R period (≥ 2).
    pub willr_period: usize,
    /// SMA period over %R (≥ 1).
    pub period: usize,
}

impl Default for WillrSmoothingParams {
    /// %R over 14 candles, smoothed over 3.
    fn default() -> Self {
        Self {
            willr_period: 14,
            period: 3,
        }
    }
}

impl WillrSmoothingParams {
    /// Index of the first defined output.
    #[must_use]
    pub fn first_valid(&self) -> usize {
        self.willr_period + self.period - 2
    }
}

/// Streaming smoothed %R; first defined at index
/// [`WillrSmoothingParams::first_valid`].
#[derive(Debug, Clone)]
pub struct WillrSmoothing {
    willr: WillR,
    sma: Sma,
}

impl WillrSmoothing {
    /// A new smoothed %R.
    ///
    /// # Panics
    /// When `willr_period < 2` or `period` is 0.
    #[must_use]
    pub fn new(params: WillrSmoothingParams) -> Self {
        Self {
            willr: WillR::new(params.willr_period),
            sma: Sma::new(params.period),
        }
    }

    /// Feeds one candle's high, low and close.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let w = self.willr.update(high, low, close)?;
        self.sma.update(w)
    }
}

/// Batch smoothed %R (NaN before [`WillrSmoothingParams::first_valid`]).
///
/// # Panics
/// When `willr_period < 2`, `period` is 0 or the slices differ in length.
#[must_use]
pub fn willr_smoothing(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    params: WillrSmoothingParams,
) -> Vec<f64> {
    smooth_willr(&willr(high, low, close, params.willr_period), params.period)
}

/// Smooths an existing %R column (NaN only in its leading warm-up) with a
/// `period` SMA, for callers that already hold the %R column; NaN until
/// `period` %R values exist.
///
/// # Panics
/// When `period` is 0.
#[must_use]
pub fn smooth_willr(willr: &[f64], period: usize) -> Vec<f64> {
    assert!(period > 0, "period must be positive");
    let mut out = vec![f64::NAN; willr.len()];
    let Some(start) = willr.iter().position(|v| !v.is_nan()) else {
        return out;
    };
    let w = &willr[start..];
    if w.len() < period {
        return out;
    }
    let mut sum = 0.0;
    for &v in &w[..period - 1] {
        sum += v;
    }
    for (i, o) in out[start..].iter_mut().enumerate().skip(period - 1) {
        sum += w[i];
        *o = sum / period as f64;
        sum -= w[i + 1 - period];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_the_last_willr_values() {
        let h = [10.0, 12.0, 11.0, 13.0, 11.0];
        let l = [8.0, 9.0, 9.0, 10.0, 10.0];
        let c = [9.0, 11.0, 10.0, 12.0, 11.0];
        // %R(3): −50, −25, −50 from index 2 (see willr's test)
        let p = WillrSmoothingParams {
            willr_period: 3,
            period: 2,
        };
        assert_eq!(p.first_valid(), 3);
        let b = willr_smoothing(&h, &l, &c, p);
        assert!(b[..3].iter().all(|v| v.is_nan()));
        assert_eq!(&b[3..], &[-37.5, -37.5]);
        let mut s = WillrSmoothing::new(p);
        let st: Vec<_> = (0..5).map(|i| s.update(h[i], l[i], c[i])).collect();
        assert_eq!(st, vec![None, None, None, Some(-37.5), Some(-37.5)]);
    }

    #[test]
    fn short_or_empty_columns_stay_empty() {
        assert!(
            smooth_willr(&[f64::NAN, -10.0], 2)
                .iter()
                .all(|v| v.is_nan())
        );
        assert!(smooth_willr(&[], 3).is_empty());
        assert_eq!(smooth_willr(&[-10.0, -20.0], 1), vec![-10.0, -20.0]);
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::indicators::or_nan;
    use crate::indicators::proptest_support::{assert_columns_agree, series};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn streaming_equals_batch(s in series(300), willr_period in 2usize..30, period in 1usize..10) {
            let p = WillrSmoothingParams { willr_period, period };
            let mut st = WillrSmoothing::new(p);
            let streamed: Vec<f64> = (0..s.len())
                .map(|i| or_nan(st.update(s.high[i], s.low[i], s.close[i])))
                .collect();
            let batch = willr_smoothing(&s.high, &s.low, &s.close, p);
            assert_columns_agree("willr_smoothing", &streamed, &batch);
            if s.len() > p.first_valid() {
                prop_assert!(!batch[p.first_valid()].is_nan());
                prop_assert!(batch[p.first_valid() - 1].is_nan());
            }
            // The running sum's add/subtract residue may overshoot by ulps.
            prop_assert!(batch.iter().all(|v| v.is_nan() || (-100.0 - 1e-9..=1e-9).contains(v)));
        }
    }
}
