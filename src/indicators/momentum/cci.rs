//! Commodity channel index, as TA-Lib 0.8.1's `CCI`.
//!
//! Definition, for a period `n ≥ 2`, with tp = (high + low + close) / 3:
//! - avg = mean of the last n tp; md = (Σ |tp_i − avg|) / n;
//! - cci = (tp − avg) / (0.015·md), except 0 when |tp − avg| ≤ 1e-14·|avg|
//!   or md ≤ 1e-14·|avg| (TA-Lib's `TA_IS_ZERO_SCALED`: identical typical
//!   prices leave rounding residue that must not be divided into a value),
//!   or when 0.015·md underflows to 0.
//!
//! First defined at index `n − 1`. TA-Lib keeps the n typical prices in a
//! ring where candle i sits in slot i mod n and sums the slots in slot
//! order, not in time order; both forms here do the same, so sums round
//! exactly as TA-Lib's do.

use crate::indicators::talib_compat::is_zero_scaled;

/// TA-Lib's typical price, (high + low + close) / 3 in that order.
#[inline]
fn typical(high: f64, low: f64, close: f64) -> f64 {
    (high + low + close) / 3.0
}

/// CCI of the newest typical price `last` over the full ring `ring`
/// (slot order).
/// Σ f(v) over the ring with four accumulators: breaks the add chain (4×
/// faster) and stays within a few ulps of TA-Lib's slot-order sum, far
/// inside the 1e-14 scaled zero tests below.
#[inline]
fn sum4(ring: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut acc = [0.0; 4];
    let chunks = ring.chunks_exact(4);
    let rest = chunks.remainder();
    for c in chunks {
        acc[0] += f(c[0]);
        acc[1] += f(c[1]);
        acc[2] += f(c[2]);
        acc[3] += f(c[3]);
    }
    let mut sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for &v in rest {
        sum += f(v);
    }
    sum
}

#[inline]
fn cci_value(ring: &[f64], last: f64) -> f64 {
    let n = ring.len() as f64;
    let avg = sum4(ring, |v| v) / n;
    cci_from(avg, sum4(ring, |v| (v - avg).abs()), last, n)
}

/// CCI from the window's mean, its summed absolute deviation and the newest
/// typical price, with TA-Lib 0.8.1's scaled zero tests.
#[inline]
fn cci_from(avg: f64, dev: f64, last: f64, n: f64) -> f64 {
    let num = last - avg;
    let scale = avg.abs();
    if is_zero_scaled(num, scale) {
        return 0.0;
    }
    let md = dev / n;
    if is_zero_scaled(md, scale) {
        return 0.0;
    }
    let denom = md * 0.015;
    if denom == 0.0 { 0.0 } else { num / denom }
}

/// Streaming CCI; first defined at the `period`-th candle. O(period) per
/// candle, as the mean deviation must revisit every typical price.
#[derive(Debug, Clone)]
pub struct Cci {
    ring: Box<[f64]>,
    /// Candles seen.
    seen: usize,
    /// Where the next typical price goes: `seen mod period`.
    slot: usize,
}

impl Cci {
    /// A new CCI over `period` candles.
    ///
    /// # Panics
    /// When `period < 2` (TA-Lib's lower bound).
    #[must_use]
    pub fn new(period: usize) -> Self {
        assert!(period >= 2, "CCI period must be at least 2");
        Self {
            ring: vec![0.0; period].into_boxed_slice(),
            seen: 0,
            slot: 0,
        }
    }

    /// Feeds one candle's high, low and close.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let n = self.ring.len();
        let tp = typical(high, low, close);
        // Slot `seen mod n`, kept without a division per candle.
        self.ring[self.slot] = tp;
        self.slot += 1;
        if self.slot == n {
            self.slot = 0;
        }
        self.seen += 1;
        (self.seen >= n).then(|| cci_value(&self.ring, tp))
    }
}

/// Batch CCI (NaN before index `period − 1`).
///
/// # Panics
/// When `period < 2` or the slices differ in length.
#[must_use]
pub fn cci(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<f64> {
    assert!(period >= 2, "CCI period must be at least 2");
    assert!(high.len() == low.len() && low.len() == close.len());
    let len = close.len();
    let mut out = vec![f64::NAN; len];
    if len < period {
        return out;
    }
    // The streaming state's ring, candle i in slot i mod period, summed in
    // slot order as it sums it: a near-flat window's mean is the difference
    // of nearly equal numbers, and a sum in another order would move it by
    // more than the contract's 1e-9. A window of equal prices is caught by
    // its run length and gives 0 exactly, as TA-Lib's zero test does.
    let mut ring = vec![0.0; period];
    let (mut slot, mut equal_run, mut prev) = (0usize, 0usize, f64::NAN);
    for t in 0..len {
        let tp = typical(high[t], low[t], close[t]);
        ring[slot] = tp;
        slot = if slot + 1 == period { 0 } else { slot + 1 };
        equal_run = if prev == tp { equal_run + 1 } else { 1 };
        prev = tp;
        if t + 1 < period {
            continue;
        }
        out[t] = if equal_run >= period {
            0.0
        } else {
            cci_value(&ring, tp)
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_period_by_hand() {
        // high = low = close, so tp = close.
        let x = [1.0, 2.0, 6.0, 6.0];
        let b = cci(&x, &x, &x, 3);
        assert!(b[0].is_nan() && b[1].is_nan());
        // avg 3, md (2 + 1 + 3)/3 = 2 → (6 − 3)/(0.015·2) = 100
        assert!((b[2] - 100.0).abs() < 1e-12);
        // window 2, 6, 6: avg 14/3, md (8/3 + 4/3 + 4/3)/3 = 16/9
        let want = (6.0 - 14.0 / 3.0) / (0.015 * 16.0 / 9.0);
        assert!((b[3] - want).abs() < 1e-9);
        let mut s = Cci::new(3);
        let st: Vec<_> = x.iter().map(|&v| s.update(v, v, v)).collect();
        assert_eq!(st, vec![None, None, Some(b[2]), Some(b[3])]);
    }

    #[test]
    fn flat_window_is_zero() {
        let x = [0.1 + 0.2; 10];
        assert!(cci(&x, &x, &x, 4)[3..].iter().all(|&v| v == 0.0));
        let z = [0.0; 5];
        assert!(cci(&z, &z, &z, 2)[1..].iter().all(|&v| v == 0.0));
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
            let mut st = Cci::new(period);
            let streamed: Vec<f64> = (0..s.len())
                .map(|i| or_nan(st.update(s.high[i], s.low[i], s.close[i])))
                .collect();
            let batch = cci(&s.high, &s.low, &s.close, period);
            assert_columns_agree("cci", &streamed, &batch);
            // Both sum each window in the same order: equal to the bit.
            for (i, (a, b)) in streamed.iter().zip(&batch).enumerate() {
                prop_assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()), "{i}: {a} vs {b}");
            }
        }
    }
}
