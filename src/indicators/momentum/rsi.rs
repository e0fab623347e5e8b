//! Relative strength index, as TA-Lib 0.8.1's `RSI` (Wilder's smoothing).
//!
//! Definition, for a period `n ≥ 2` over closes `x`:
//! - d_t = x_t − x_{t−1}; up_t = d_t if d_t > 0 else 0; down_t = up_t − d_t
//!   (so −d_t for a fall, 0 otherwise).
//! - Seed at t = n: gain = (Σ_{1..=n} up)·(1/n), loss = (Σ_{1..=n} down)·(1/n),
//!   sums taken oldest first.
//! - For t > n: gain = (gain·(n−1) + up_t)·(1/n), loss likewise.
//! - rsi = 100·(gain / (gain + loss)) when gain + loss > 0, else 0.
//!
//! First defined at index `n`. TA-Lib 0.8.1 multiplies by a precomputed
//! 1/n rather than dividing by n, and tests the total against exactly zero
//! (not an epsilon band): a flat series gives 0, a series whose moves cancel
//! gives 50 however tiny the prices. Both are copied here bit for bit, since
//! StochRSI magnifies the last bits of RSI in flat stretches.

/// The RSI output from Wilder averages: 100·gain/(gain+loss), 0 when the
/// total is not positive (TA-Lib 0.8.1's exact test).
#[inline]
fn rsi_value(gain: f64, loss: f64) -> f64 {
    let total = gain + loss;
    if total > 0.0 {
        100.0 * (gain / total)
    } else {
        0.0
    }
}

/// TA-Lib's split of a close-to-close change into (up, down), with
/// down = up − d so that both are non-negative.
#[inline]
fn split(d: f64) -> (f64, f64) {
    let up = if d > 0.0 { d } else { 0.0 };
    (up, up - d)
}

/// Streaming RSI; first defined at the `period + 1`-th close (index
/// `period`).
#[derive(Debug, Clone)]
pub struct Rsi {
    period: usize,
    inv_period: f64,
    prev_close: Option<f64>,
    /// Changes seen so far, saturating at `period`.
    count: usize,
    gain: f64,
    loss: f64,
}

impl Rsi {
    /// A new RSI over `period` changes.
    ///
    /// # Panics
    /// When `period < 2` (TA-Lib's lower bound).
    #[must_use]
    pub fn new(period: usize) -> Self {
        assert!(period >= 2, "RSI period must be at least 2");
        Self {
            period,
            inv_period: 1.0 / period as f64,
            prev_close: None,
            count: 0,
            gain: 0.0,
            loss: 0.0,
        }
    }

    /// Feeds one close.
    #[inline]
    pub fn update(&mut self, close: f64) -> Option<f64> {
        let prev = self.prev_close.replace(close)?;
        let (up, down) = split(close - prev);
        if self.count >= self.period {
            let n1 = (self.period - 1) as f64;
            self.gain = (self.gain * n1 + up) * self.inv_period;
            self.loss = (down + self.loss * n1) * self.inv_period;
            return Some(rsi_value(self.gain, self.loss));
        }
        // Seeding: plain sums, scaled once the window is complete.
        self.gain += up;
        self.loss += down;
        self.count += 1;
        if self.count < self.period {
            return None;
        }
        self.gain *= self.inv_period;
        self.loss *= self.inv_period;
        Some(rsi_value(self.gain, self.loss))
    }

    /// The last value, once defined.
    #[must_use]
    pub fn value(&self) -> Option<f64> {
        (self.count >= self.period).then(|| rsi_value(self.gain, self.loss))
    }
}

/// Batch RSI over `close` (NaN before index `period`).
///
/// # Panics
/// When `period < 2`.
#[must_use]
pub fn rsi(close: &[f64], period: usize) -> Vec<f64> {
    assert!(period >= 2, "RSI period must be at least 2");
    let mut out = vec![f64::NAN; close.len()];
    rsi_into(close, period, &mut out);
    out
}

/// Batch RSI written into `out` (same length as `close`); entries before
/// index `period` are left untouched.
pub(crate) fn rsi_into(close: &[f64], period: usize, out: &mut [f64]) {
    debug_assert_eq!(close.len(), out.len());
    if close.len() <= period {
        return;
    }
    let inv = 1.0 / period as f64;
    let n1 = (period - 1) as f64;
    let (mut gain, mut loss) = (0.0, 0.0);
    for i in 1..=period {
        let (up, down) = split(close[i] - close[i - 1]);
        gain += up;
        loss += down;
    }
    gain *= inv;
    loss *= inv;
    out[period] = rsi_value(gain, loss);
    for i in period + 1..close.len() {
        let (up, down) = split(close[i] - close[i - 1]);
        gain = (gain * n1 + up) * inv;
        loss = (down + loss * n1) * inv;
        out[i] = rsi_value(gain, loss);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_period_by_hand() {
        // changes: +1, −2, +3, 0
        let x = [10.0, 11.0, 9.0, 12.0, 12.0];
        let b = rsi(&x, 2);
        assert!(b[0].is_nan() && b[1].is_nan());
        // seed: gain = 1/2, loss = 2/2 → 100·0.5/1.5
        assert!((b[2] - 100.0 / 3.0).abs() < 1e-12);
        // gain = (0.5 + 3)/2 = 1.75, loss = (1 + 0)/2 = 0.5
        assert!((b[3] - 100.0 * 1.75 / 2.25).abs() < 1e-12);
        // gain = 0.875, loss = 0.25
        assert!((b[4] - 100.0 * 0.875 / 1.125).abs() < 1e-12);
        let mut s = Rsi::new(2);
        let st: Vec<_> = x.iter().map(|&v| s.update(v)).collect();
        assert_eq!(st[..2], [None, None]);
        for i in 2..5 {
            assert_eq!(st[i], Some(b[i]));
        }
        assert_eq!(s.value(), Some(b[4]));
    }

    #[test]
    fn flat_is_zero_and_cancelling_moves_are_fifty() {
        let flat = [5.0; 20];
        assert!(rsi(&flat, 14)[14..].iter().all(|&v| v == 0.0));
        // One tick up and back: gain = loss however tiny (TA-Lib 0.8.1 tests
        // the total against exactly 0).
        let mut x = [1e-12; 20];
        x[5] = 1.000_000_1e-12;
        assert!(rsi(&x, 14)[14..].iter().all(|&v| v == 50.0));
    }

    #[test]
    fn short_input_is_empty() {
        assert!(rsi(&[1.0, 2.0, 3.0], 3).iter().all(|v| v.is_nan()));
        assert!(rsi(&[], 14).is_empty());
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
        fn streaming_equals_batch(s in series(300), period in 2usize..30) {
            let mut st = Rsi::new(period);
            let streamed: Vec<f64> = s.close.iter().map(|&x| or_nan(st.update(x))).collect();
            let batch = rsi(&s.close, period);
            assert_columns_agree("rsi", &streamed, &batch);
            prop_assert!(batch.iter().all(|v| v.is_nan() || (0.0..=100.0).contains(v)));
        }
    }
}
