//! Money flow index, as TA-Lib 0.8.1's `MFI`.
//!
//! Definition, for a period `n ≥ 2`, with tp = (high + low + close) / 3 and
//! Δ = tp − tp_prev from the second candle on:
//! - the candle's money flow is tp·volume, or 0 when
//!   |Δ| ≤ 1e-14·(|tp| + |tp_prev|) (TA-Lib's `TA_IS_ZERO_SCALED`: a
//!   typical-price change within rounding of its size is no change);
//! - the flow counts as negative when Δ < 0, positive otherwise;
//! - pos and neg are running sums of the last n positive and negative flows,
//!   kept as TA-Lib keeps them (add the new flow, subtract the one leaving);
//!   after n consecutive zero flows both are reset to exactly 0, dropping
//!   the add/subtract residue;
//! - total = pos + neg; mfi = 0 when total ≤ 0, otherwise
//!   100·(clamp(pos, 0, total) / total).
//!
//! First defined at index `n` (n flows need n + 1 candles).

use crate::indicators::talib_compat::is_zero_scaled;

/// TA-Lib's typical price, (high + low + close) / 3 in that order.
#[inline]
fn typical(high: f64, low: f64, close: f64) -> f64 {
    (high + low + close) / 3.0
}

/// Positive and negative flow of one candle, TA-Lib 0.8.1's classification.
#[inline]
fn flows(tp: f64, prev_tp: f64, volume: f64) -> (f64, f64) {
    let diff = tp - prev_tp;
    let flow = if is_zero_scaled(diff, tp.abs() + prev_tp.abs()) {
        0.0
    } else {
        tp * volume
    };
    if diff < 0.0 { (0.0, flow) } else { (flow, 0.0) }
}

/// MFI from the running sums, with TA-Lib 0.8.1's clamp and empty-window
/// rule.
#[inline]
fn mfi_value(pos: f64, neg: f64) -> f64 {
    let total = pos + neg;
    let clamped = if pos < 0.0 {
        0.0
    } else if total < pos {
        total
    } else {
        pos
    };
    if total <= 0.0 {
        0.0
    } else {
        100.0 * (clamped / total)
    }
}

/// The ring of the last `n` flows and their running sums, shared by the
/// streaming and batch forms so both step identically.
#[derive(Debug, Clone)]
struct FlowWindow {
    pos_ring: Box<[f64]>,
    neg_ring: Box<[f64]>,
    idx: usize,
    /// Flows pushed, saturating at the period.
    count: usize,
    /// Consecutive zero flows, saturating at the period.
    null_run: usize,
    pos_sum: f64,
    neg_sum: f64,
}

impl FlowWindow {
    fn new(period: usize) -> Self {
        Self {
            pos_ring: vec![0.0; period].into_boxed_slice(),
            neg_ring: vec![0.0; period].into_boxed_slice(),
            idx: 0,
            count: 0,
            null_run: 0,
            pos_sum: 0.0,
            neg_sum: 0.0,
        }
    }

    /// Pushes one candle's flows; returns the MFI once `period` flows exist.
    #[inline]
    fn push(&mut self, pos: f64, neg: f64) -> Option<f64> {
        let n = self.pos_ring.len();
        if self.count >= n {
            self.pos_sum -= self.pos_ring[self.idx];
            self.neg_sum -= self.neg_ring[self.idx];
        } else {
            self.count += 1;
        }
        self.pos_ring[self.idx] = pos;
        self.neg_ring[self.idx] = neg;
        self.pos_sum += pos;
        self.neg_sum += neg;
        // A whole window of zero flows: the sums are exactly zero, so drop
        // the rounding residue the add/subtract cycle left in them.
        if pos + neg == 0.0 {
            self.null_run += 1;
            if self.null_run >= n {
                self.null_run = n;
                self.pos_sum = 0.0;
                self.neg_sum = 0.0;
            }
        } else {
            self.null_run = 0;
        }
        self.idx += 1;
        if self.idx == n {
            self.idx = 0;
        }
        (self.count >= n).then(|| mfi_value(self.pos_sum, self.neg_sum))
    }
}

/// Streaming MFI; first defined at the `period + 1`-th candle.
#[derive(Debug, Clone)]
pub struct Mfi {
    prev_tp: Option<f64>,
    window: FlowWindow,
}

impl Mfi {
    /// A new MFI over `period` flows.
    ///
    /// # Panics
    /// When `period < 2` (TA-Lib's lower bound).
    #[must_use]
    pub fn new(period: usize) -> Self {
        assert!(period >= 2, "MFI period must be at least 2");
        Self {
            prev_tp: None,
            window: FlowWindow::new(period),
        }
    }

    /// Feeds one candle's high, low, close and volume.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64, volume: f64) -> Option<f64> {
        let tp = typical(high, low, close);
        let prev = self.prev_tp.replace(tp)?;
        let (pos, neg) = flows(tp, prev, volume);
        self.window.push(pos, neg)
    }
}

/// Batch MFI (NaN before index `period`).
///
/// # Panics
/// When `period < 2` or the slices differ in length.
#[must_use]
pub fn mfi(high: &[f64], low: &[f64], close: &[f64], volume: &[f64], period: usize) -> Vec<f64> {
    assert!(period >= 2, "MFI period must be at least 2");
    let len = close.len();
    assert!(high.len() == len && low.len() == len && volume.len() == len);
    let mut out = vec![f64::NAN; len];
    if len <= period {
        return out;
    }
    let mut window = FlowWindow::new(period);
    let mut prev = typical(high[0], low[0], close[0]);
    for i in 1..len {
        let tp = typical(high[i], low[i], close[i]);
        let (pos, neg) = flows(tp, prev, volume[i]);
        prev = tp;
        if let Some(v) = window.push(pos, neg) {
            out[i] = v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_period_by_hand() {
        // high = low = close, so tp = close.
        let x = [10.0, 11.0, 9.0, 9.0, 12.0];
        let v = [5.0, 2.0, 1.0, 7.0, 3.0];
        let b = mfi(&x, &x, &x, &v, 2);
        assert!(b[0].is_nan() && b[1].is_nan());
        // flows: +22, −9 → 100·22/31
        assert!((b[2] - 100.0 * 22.0 / 31.0).abs() < 1e-12);
        // −9, 0 (no change) → 0
        assert_eq!(b[3], 0.0);
        // 0, +36 → 100
        assert_eq!(b[4], 100.0);
        let mut s = Mfi::new(2);
        let st: Vec<_> = (0..5).map(|i| s.update(x[i], x[i], x[i], v[i])).collect();
        assert_eq!(st, vec![None, None, Some(b[2]), Some(0.0), Some(100.0)]);
    }

    #[test]
    fn rounding_sized_change_is_no_change() {
        // A one-ulp move of the typical price carries no money flow.
        let up = f64::from_bits(50_000f64.to_bits() + 1);
        let x = [50_000.0, up, 50_000.0, up];
        let v = [1.0; 4];
        assert!(mfi(&x, &x, &x, &v, 2)[2..].iter().all(|&m| m == 0.0));
    }

    #[test]
    fn zero_volume_window_is_zero() {
        let x = [1.0, 2.0, 3.0, 2.0, 4.0];
        let v = [0.0; 5];
        assert!(mfi(&x, &x, &x, &v, 3)[3..].iter().all(|&m| m == 0.0));
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
            let mut st = Mfi::new(period);
            let streamed: Vec<f64> = (0..s.len())
                .map(|i| or_nan(st.update(s.high[i], s.low[i], s.close[i], s.volume[i])))
                .collect();
            let batch = mfi(&s.high, &s.low, &s.close, &s.volume, period);
            assert_columns_agree("mfi", &streamed, &batch);
            prop_assert!(batch.iter().all(|v| v.is_nan() || (0.0..=100.0).contains(v)));
        }
    }
}
