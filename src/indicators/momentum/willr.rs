//! Williams %R, as TA-Lib 0.8.1's `WILLR`.
//!
//! Definition, for a period `n ≥ 2`: H and L are the highest high and lowest
//! low of the last n candles (this one included);
//! - %R = 0 when |H − L| ≤ 1e-14·(|H| + |L|) (TA-Lib's `TA_IS_ZERO_SCALED`:
//!   a flat window, or one whose range is rounding noise);
//! - otherwise v = ((H − close) / (H − L))·(−100), clamped into [−100, 0]
//!   (TA-Lib 0.8.1 clamps so a close outside the window's range cannot
//!   leave the documented scale).
//!
//! First defined at index `n − 1`.

use crate::indicators::talib_compat::is_zero_scaled;
use crate::indicators::window::Window;
use crate::indicators::window_extremes::{rolling_max, rolling_min};

/// %R from the window's extremes, with TA-Lib 0.8.1's zero and clamp rules.
#[inline]
pub(crate) fn willr_value(highest: f64, lowest: f64, close: f64) -> f64 {
    let range = highest - lowest;
    if is_zero_scaled(range, highest.abs() + lowest.abs()) {
        return 0.0;
    }
    (((highest - close) / range) * -100.0).clamp(-100.0, 0.0)
}

/// Streaming Williams %R; first defined at the `period`-th candle.
#[derive(Debug, Clone)]
pub struct WillR {
    highs: Window,
    lows: Window,
}

impl WillR {
    /// A new %R over `period` candles.
    ///
    /// # Panics
    /// When `period < 2` (TA-Lib's lower bound).
    #[must_use]
    pub fn new(period: usize) -> Self {
        assert!(period >= 2, "WILLR period must be at least 2");
        Self {
            highs: Window::new(period),
            lows: Window::new(period),
        }
    }

    /// Feeds one candle's high, low and close.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        self.highs.push(high);
        self.lows.push(low);
        if !self.highs.is_full() {
            return None;
        }
        // O(period) scan; max and min are exact, so any order agrees with
        // TA-Lib's.
        let highest = self.highs.iter().fold(f64::NEG_INFINITY, f64::max);
        let lowest = self.lows.iter().fold(f64::INFINITY, f64::min);
        Some(willr_value(highest, lowest, close))
    }
}

/// Batch Williams %R (NaN before index `period − 1`).
///
/// # Panics
/// When `period < 2` or the slices differ in length.
#[must_use]
pub fn willr(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<f64> {
    assert!(period >= 2, "WILLR period must be at least 2");
    assert!(high.len() == low.len() && low.len() == close.len());
    let n = close.len();
    let mut out = vec![f64::NAN; n];
    // Window extremes by van Herk / Gil-Werman: branch-free and exact, so the
    // same values as TA-Lib's rescanning tracker at a third of its cost.
    let (highest, lowest) = (rolling_max(high, period), rolling_min(low, period));
    for t in period.saturating_sub(1)..n {
        out[t] = willr_value(highest[t], lowest[t], close[t]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_period_by_hand() {
        let h = [10.0, 12.0, 11.0, 13.0, 11.0];
        let l = [8.0, 9.0, 9.0, 10.0, 10.0];
        let c = [9.0, 11.0, 10.0, 12.0, 11.0];
        let b = willr(&h, &l, &c, 3);
        assert!(b[0].is_nan() && b[1].is_nan());
        // H 12, L 8: (12 − 10)/4·(−100) = −50
        assert_eq!(b[2], -50.0);
        // H 13, L 9: (13 − 12)/4 → −25
        assert_eq!(b[3], -25.0);
        // H 13, L 9: (13 − 11)/4 → −50
        assert_eq!(b[4], -50.0);
        let mut s = WillR::new(3);
        let st: Vec<_> = (0..5).map(|i| s.update(h[i], l[i], c[i])).collect();
        assert_eq!(st, vec![None, None, Some(-50.0), Some(-25.0), Some(-50.0)]);
    }

    #[test]
    fn flat_window_is_zero_and_close_at_high_is_zero() {
        let f = [2.0; 4];
        assert!(willr(&f, &f, &f, 2)[1..].iter().all(|&v| v == 0.0));
        // A range of one ulp at 50 000 is rounding noise.
        let hi = [50_000.0, f64::from_bits(50_000f64.to_bits() + 1)];
        let b = willr(&hi, &hi, &hi, 2);
        assert_eq!(b[1], 0.0);
        assert_eq!(willr_value(10.0, 5.0, 10.0), 0.0);
        assert_eq!(willr_value(10.0, 5.0, 5.0), -100.0);
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
        fn streaming_equals_batch(s in series(300), period in 2usize..40) {
            let mut st = WillR::new(period);
            let streamed: Vec<f64> = (0..s.len())
                .map(|i| or_nan(st.update(s.high[i], s.low[i], s.close[i])))
                .collect();
            let batch = willr(&s.high, &s.low, &s.close, period);
            assert_columns_agree("willr", &streamed, &batch);
            prop_assert!(batch.iter().all(|v| v.is_nan() || (-100.0..=0.0).contains(v)));
        }
    }
}
