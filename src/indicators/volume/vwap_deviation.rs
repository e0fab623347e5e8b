//! Deviation of the close from the session [`vwap`](super::vwap), and how
//! unusual that deviation is.
//!
//! Definition, for a period `n ≥ 2` (default 60):
//! - **deviation** d_t = (close_t − vwap_t) / vwap_t (a fraction: 0.01 is
//!   1% above VWAP);
//! - **zscore** z_t = (d_t − d̄) / σ_d, with d̄ and σ_d the mean and
//!   population standard deviation of the last `n` deviations, d_t
//!   included (two passes, oldest first). Since d_t is in its own window,
//!   |z_t| ≤ √(n − 1).
//!
//! A candle whose VWAP is NaN (a session with no volume yet), zero or not
//! finite, or whose close is not finite, has no deviation: `None` / NaN,
//! and it is skipped, so the z-score window holds the last `n` *defined*
//! deviations. The z-score is NaN (with the deviation defined) until `n`
//! deviations exist, and where the window's deviations are all equal
//! (σ_d = 0).

use crate::indicators::window::Window;

/// Default z-score window.
pub const DEFAULT_VWAP_DEVIATION_PERIOD: usize = 60;

/// One candle's VWAP deviation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VwapDeviationValue {
    /// (close − vwap) / vwap.
    pub deviation: f64,
    /// z-score of the deviation in its window; NaN while fewer than `n`
    /// deviations exist or when they are all equal.
    pub zscore: f64,
}

/// Batch output: one vector per value.
#[derive(Debug, Clone, PartialEq)]
pub struct VwapDeviationOutput {
    /// Deviations.
    pub deviation: Vec<f64>,
    /// Z-scores.
    pub zscore: Vec<f64>,
}

/// The deviation, `None` when undefined.
#[inline]
fn deviation(close: f64, vwap: f64) -> Option<f64> {
    (vwap.is_finite() && vwap != 0.0 && close.is_finite()).then(|| (close - vwap) / vwap)
}

/// z-score of the newest of `n` values (NaN when they are all equal).
#[inline]
fn zscore(values: impl Iterator<Item = f64> + Clone, n: usize, newest: f64) -> f64 {
    let nf = n as f64;
    let (mut sum, mut lo, mut hi) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
    for v in values.clone() {
        sum += v;
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo == hi {
        return f64::NAN;
    }
    let mean = sum / nf;
    let var = values.map(|v| (v - mean) * (v - mean)).sum::<f64>() / nf;
    (newest - mean) / var.sqrt()
}

/// Streaming VWAP deviation, fed each candle's close and VWAP; O(period) per
/// update.
#[derive(Debug, Clone)]
pub struct VwapDeviation {
    window: Window,
}

impl VwapDeviation {
    /// A z-score over the last `period` deviations.
    ///
    /// # Panics
    /// When `period < 2`.
    #[must_use]
    pub fn new(period: usize) -> Self {
        assert!(period >= 2, "VWAP deviation period must be at least 2");
        Self {
            window: Window::new(period),
        }
    }

    /// Feeds one close and its VWAP (NaN where the VWAP is undefined).
    pub fn update(&mut self, close: f64, vwap: f64) -> Option<VwapDeviationValue> {
        let d = deviation(close, vwap)?;
        self.window.push(d);
        let w = &self.window;
        let z = if w.is_full() {
            zscore((0..w.len()).map(|i| w.get(i)), w.len(), d)
        } else {
            f64::NAN
        };
        Some(VwapDeviationValue {
            deviation: d,
            zscore: z,
        })
    }
}

/// Batch VWAP deviation over the close and VWAP columns.
///
/// # Panics
/// When the columns differ in length or `period < 2`.
#[must_use]
pub fn vwap_deviation(close: &[f64], vwap: &[f64], period: usize) -> VwapDeviationOutput {
    assert!(period >= 2, "VWAP deviation period must be at least 2");
    assert_eq!(
        close.len(),
        vwap.len(),
        "close and VWAP columns differ in length"
    );
    let n = close.len();
    let mut out = VwapDeviationOutput {
        deviation: vec![f64::NAN; n],
        zscore: vec![f64::NAN; n],
    };
    let mut defined = Vec::with_capacity(n);
    for t in 0..n {
        let Some(d) = deviation(close[t], vwap[t]) else {
            continue;
        };
        defined.push(d);
        out.deviation[t] = d;
        if defined.len() >= period {
            let w = &defined[defined.len() - period..];
            out.zscore[t] = zscore(w.iter().copied(), period, d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand_with_a_gap() {
        let close = [101.0, 50.0, 99.0, 102.0];
        let vwap = [100.0, f64::NAN, 100.0, 100.0];
        // deviations 0.01, —, −0.01, 0.02; window of 2 at index 2:
        // [0.01, −0.01] → mean 0, σ 0.01, z = −1; at 3: [−0.01, 0.02] → +1.
        let b = vwap_deviation(&close, &vwap, 2);
        assert_eq!(b.deviation[0], 0.01);
        assert!(b.deviation[1].is_nan() && b.zscore[1].is_nan());
        assert!(b.zscore[0].is_nan());
        assert!((b.deviation[2] + 0.01).abs() < 1e-15);
        assert!((b.zscore[2] + 1.0).abs() < 1e-12);
        assert!((b.zscore[3] - 1.0).abs() < 1e-12);
        let mut s = VwapDeviation::new(2);
        let st: Vec<_> = (0..4).map(|i| s.update(close[i], vwap[i])).collect();
        assert!(st[1].is_none());
        assert_eq!(st[3].unwrap().zscore, b.zscore[3]);
    }

    #[test]
    fn constant_deviation_has_no_zscore() {
        let b = vwap_deviation(&[2.0; 4], &[1.0; 4], 3);
        assert_eq!(b.deviation, vec![1.0; 4]);
        assert!(b.zscore.iter().all(|z| z.is_nan()));
        assert!(vwap_deviation(&[1.0], &[0.0], 2).deviation[0].is_nan());
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::indicators::proptest_support::{assert_columns_agree, candles};
    use crate::indicators::volume::vwap::Vwap;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn streaming_equals_batch(c in candles(300), period in 2usize..60, day_ms in 600_000i64..7_200_000) {
            // Short "days" so the VWAP resets (and is NaN after zero-volume
            // openings) inside the series.
            let mut v = Vwap::new();
            let vw: Vec<f64> = c.iter()
                .map(|k| v.update(k.open_time.div_euclid(day_ms) * 86_400_000, k.high, k.low, k.close, k.volume).unwrap_or(f64::NAN))
                .collect();
            let close: Vec<f64> = c.iter().map(|k| k.close).collect();
            let mut st = VwapDeviation::new(period);
            let rows: Vec<Option<VwapDeviationValue>> = (0..c.len()).map(|i| st.update(close[i], vw[i])).collect();
            let b = vwap_deviation(&close, &vw, period);
            let col = |f: fn(&VwapDeviationValue) -> f64| rows.iter().map(|r| r.as_ref().map_or(f64::NAN, f)).collect::<Vec<_>>();
            assert_columns_agree("deviation", &col(|v| v.deviation), &b.deviation);
            assert_columns_agree("zscore", &col(|v| v.zscore), &b.zscore);
            let bound = ((period - 1) as f64).sqrt() + 1e-9;
            prop_assert!(b.zscore.iter().all(|z| z.is_nan() || z.abs() <= bound));
        }
    }
}
