//! Chaikin money flow: Σ MFV / Σ volume over the last `period` candles, with
//! MFV = ((close − low) − (high − close)) / (high − low) · volume, 0 when
//! high = low. Defined from index `period − 1`; empty when the window's
//! volume sums to 0.
//!
//! Both sums are taken over the window afresh each candle (oldest first),
//! not as running totals: a running total left a residue like 1e-13 after a
//! zero-volume stretch and would print a value where the definition says
//! empty.

use crate::indicators::window::Window;

/// One candle's money-flow volume as CMF defines it (0 when high = low).
#[inline]
fn mfv(high: f64, low: f64, close: f64, volume: f64) -> f64 {
    if high == low {
        0.0
    } else {
        ((close - low) - (high - close)) / (high - low) * volume
    }
}

/// Streaming CMF; O(period) per update.
#[derive(Debug, Clone)]
pub struct Cmf {
    mfv: Window,
    volume: Window,
}

impl Cmf {
    /// A new CMF.
    ///
    /// # Panics
    /// When `period` is 0.
    #[must_use]
    pub fn new(period: usize) -> Self {
        Self {
            mfv: Window::new(period),
            volume: Window::new(period),
        }
    }

    /// Feeds one candle.
    pub fn update(&mut self, high: f64, low: f64, close: f64, volume: f64) -> Option<f64> {
        self.mfv.push(mfv(high, low, close, volume));
        self.volume.push(volume);
        if !self.volume.is_full() {
            return None;
        }
        let vol: f64 = self.volume.iter().sum();
        (vol != 0.0).then(|| self.mfv.iter().sum::<f64>() / vol)
    }
}

/// Batch CMF.
///
/// # Panics
/// When `period` is 0 or the slices differ in length.
#[must_use]
pub fn cmf(high: &[f64], low: &[f64], close: &[f64], volume: &[f64], period: usize) -> Vec<f64> {
    assert!(period > 0, "period must be positive");
    assert!(high.len() == low.len() && low.len() == close.len() && close.len() == volume.len());
    let n = close.len();
    let flows: Vec<f64> = (0..n)
        .map(|i| mfv(high[i], low[i], close[i], volume[i]))
        .collect();
    let mut out = vec![f64::NAN; n];
    for t in period.saturating_sub(1)..n {
        let lo = t + 1 - period;
        let vol: f64 = volume[lo..=t].iter().sum();
        if vol != 0.0 {
            out[t] = flows[lo..=t].iter().sum::<f64>() / vol;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closes_at_highs_give_one() {
        let h = [2.0, 3.0, 4.0];
        let l = [1.0, 2.0, 3.0];
        let v = [1.0, 2.0, 3.0];
        let out = cmf(&h, &l, &h, &v, 2);
        assert!(out[0].is_nan());
        assert_eq!(&out[1..], &[1.0, 1.0]);
    }

    #[test]
    fn zero_volume_window_is_empty() {
        let x = [1.0; 4];
        let out = cmf(&[2.0; 4], &x, &x, &[0.0; 4], 2);
        assert!(out.iter().all(|v| v.is_nan()));
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
        fn streaming_equals_batch(s in series(300), period in 1usize..30) {
            let mut st = Cmf::new(period);
            let streamed: Vec<f64> = (0..s.len())
                .map(|i| or_nan(st.update(s.high[i], s.low[i], s.close[i], s.volume[i])))
                .collect();
            assert_columns_agree("cmf", &streamed, &cmf(&s.high, &s.low, &s.close, &s.volume, period));
        }
    }
}
