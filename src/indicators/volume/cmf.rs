//! Chaikin money flow: Σ MFV / Σ volume over the last `period` candles, with
//! MFV = ((close − low) − (high − close)) / (high − low) · volume, 0 when
//! high = low. Defined from index `period − 1`; empty when the window's
//! volume sums to 0.
//!
//! Both sums are running totals, recomputed exactly from the window every
//! `period` candles so rounding cannot drift, and "empty" is decided by a
//! count of non-zero volumes in the window, not by the running total: a total
//! can keep a residue like 1e-13 after a zero-volume stretch, and would print
//! a value where the definition says empty. O(1) amortised per candle in both
//! forms, which share one rolling state and so agree exactly.

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

/// The rolling state behind both forms.
#[derive(Debug, Clone)]
struct CmfState {
    mfv: Window,
    volume: Window,
    mfv_sum: f64,
    volume_sum: f64,
    nonzero: usize,
    seen: usize,
}

impl CmfState {
    fn new(period: usize) -> Self {
        Self {
            mfv: Window::new(period),
            volume: Window::new(period),
            mfv_sum: 0.0,
            volume_sum: 0.0,
            nonzero: 0,
            seen: 0,
        }
    }

    #[inline]
    fn push(&mut self, high: f64, low: f64, close: f64, volume: f64) -> Option<f64> {
        let flow = mfv(high, low, close, volume);
        let old_flow = self.mfv.push(flow);
        let old_volume = self.volume.push(volume);
        self.nonzero += usize::from(volume != 0.0);
        if let Some(v) = old_volume {
            self.nonzero -= usize::from(v != 0.0);
        }
        self.seen += 1;
        if self.seen.is_multiple_of(self.volume.capacity()) {
            self.mfv_sum = self.mfv.iter().sum();
            self.volume_sum = self.volume.iter().sum();
        } else {
            self.mfv_sum += flow - old_flow.unwrap_or(0.0);
            self.volume_sum += volume - old_volume.unwrap_or(0.0);
        }
        (self.volume.is_full() && self.nonzero > 0).then(|| self.mfv_sum / self.volume_sum)
    }
}

/// Streaming CMF; O(1) amortised per update.
#[derive(Debug, Clone)]
pub struct Cmf {
    state: CmfState,
}

impl Cmf {
    /// A new CMF.
    ///
    /// # Panics
    /// When `period` is 0.
    #[must_use]
    pub fn new(period: usize) -> Self {
        Self {
            state: CmfState::new(period),
        }
    }

    /// Feeds one candle.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64, volume: f64) -> Option<f64> {
        self.state.push(high, low, close, volume)
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
    let mut state = CmfState::new(period);
    (0..close.len())
        .map(|i| {
            state
                .push(high[i], low[i], close[i], volume[i])
                .unwrap_or(f64::NAN)
        })
        .collect()
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
