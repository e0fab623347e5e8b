//! Least-squares line through the last `n` values of a series against time,
//! shared by the trend-of-an-indicator columns (CMF trend, A/D divergence).
//!
//! Definition, for values y_0 … y_{n−1} (oldest first) at times
//! t = 0 … n−1, n ≥ 2:
//! - t̄ = (n − 1)/2, ȳ = (Σ y_i)/n;
//! - S_ty = Σ (i − t̄)(y_i − ȳ), S_yy = Σ (y_i − ȳ)², S_tt = n(n² − 1)/12;
//! - **slope** β = S_ty / S_tt (change of y per candle);
//! - **sd** σ_y = √(S_yy / n) (population standard deviation of the window);
//! - **correlation** r = S_ty / √(S_tt·S_yy), the slope normalised by the
//!   window's spread: r = β·σ_t/σ_y with σ_t = √(S_tt/n) the spread of the
//!   time index, so r is unit-free and lies in [−1, 1] (clamped against
//!   rounding).
//!
//! A window whose values are all equal has β = σ_y = r = 0 exactly (tested
//! by min = max, not by S_yy, which can keep a rounding residue of ȳ). A
//! window holding a non-finite value (NaN = undefined input) has no fit.
//!
//! Cost: two passes over the window, O(n) per fit. The rolling forms refit
//! the whole window each step rather than keeping running sums: at prices
//! like 60,000 the running sums of t·y and y² cancel catastrophically, and
//! for the short windows used here (10 to 30 values) the refit is cheap.

use std::collections::VecDeque;

/// Least-squares line through one window (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearFit {
    /// β: change of the value per candle.
    pub slope: f64,
    /// ȳ: mean of the window.
    pub mean: f64,
    /// σ_y: population standard deviation of the window.
    pub sd: f64,
    /// r: correlation of the values with time, in [−1, 1]; 0 for a flat
    /// window.
    pub correlation: f64,
}

/// The least-squares fit of `y` (oldest first) against 0, 1, …, len − 1;
/// `None` when `y` has fewer than 2 values or holds a non-finite one.
#[must_use]
pub fn linear_fit(y: &[f64]) -> Option<LinearFit> {
    let n = y.len();
    if n < 2 || y.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let nf = n as f64;
    let (mut lo, mut hi, mut sum) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
    for &v in y {
        lo = lo.min(v);
        hi = hi.max(v);
        sum += v;
    }
    let mean = sum / nf;
    if lo == hi {
        return Some(LinearFit {
            slope: 0.0,
            mean: lo,
            sd: 0.0,
            correlation: 0.0,
        });
    }
    let t_mean = (nf - 1.0) / 2.0;
    let (mut sty, mut syy) = (0.0, 0.0);
    for (i, &v) in y.iter().enumerate() {
        let d = v - mean;
        sty += (i as f64 - t_mean) * d;
        syy += d * d;
    }
    let stt = nf * (nf * nf - 1.0) / 12.0;
    let correlation = if syy > 0.0 {
        (sty / (stt * syy).sqrt()).clamp(-1.0, 1.0)
    } else {
        0.0
    };
    Some(LinearFit {
        slope: sty / stt,
        mean,
        sd: (syy / nf).sqrt(),
        correlation,
    })
}

/// Streaming least-squares fit over the last `period` values; first defined
/// at the `period`-th value, `None` while the window holds a non-finite
/// value. O(period) per update.
#[derive(Debug, Clone)]
pub struct RollingFit {
    period: usize,
    window: VecDeque<f64>,
}

impl RollingFit {
    /// A fit over the last `period` values.
    ///
    /// # Panics
    /// When `period < 2`.
    #[must_use]
    pub fn new(period: usize) -> Self {
        assert!(period >= 2, "regression period must be at least 2");
        Self {
            period,
            window: VecDeque::with_capacity(period),
        }
    }

    /// Feeds one value (NaN for an undefined one).
    pub fn update(&mut self, y: f64) -> Option<LinearFit> {
        if self.window.len() == self.period {
            self.window.pop_front();
        }
        self.window.push_back(y);
        if self.window.len() < self.period {
            return None;
        }
        linear_fit(self.window.make_contiguous())
    }
}

/// Batch rolling fit: entry t fits `y[t + 1 − period ..= t]`; `None` before
/// index `period − 1` and where the window holds a non-finite value.
///
/// # Panics
/// When `period < 2`.
#[must_use]
pub fn rolling_fit(y: &[f64], period: usize) -> Vec<Option<LinearFit>> {
    assert!(period >= 2, "regression period must be at least 2");
    (0..y.len())
        .map(|t| {
            (t + 1 >= period)
                .then(|| linear_fit(&y[t + 1 - period..=t]))
                .flatten()
        })
        .collect()
}

/// Batch rolling slope β (NaN where [`rolling_fit`] is `None`).
///
/// # Panics
/// When `period < 2`.
#[must_use]
pub fn rolling_slope(y: &[f64], period: usize) -> Vec<f64> {
    rolling_fit(y, period)
        .iter()
        .map(|f| f.map_or(f64::NAN, |f| f.slope))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_a_line_by_hand() {
        // y = 1, 3, 2, 6: t̄ = 1.5, ȳ = 3, deviations −2, 0, −1, 3;
        // S_ty = (−1.5)(−2) + (−0.5)(0) + (0.5)(−1) + (1.5)(3) = 7;
        // S_tt = 4·15/12 = 5, S_yy = 4 + 0 + 1 + 9 = 14.
        let f = linear_fit(&[1.0, 3.0, 2.0, 6.0]).unwrap();
        assert_eq!(f.slope, 1.4);
        assert_eq!(f.mean, 3.0);
        assert_eq!(f.sd, 3.5f64.sqrt());
        assert!((f.correlation - 7.0 / 70.0f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn exact_lines_and_flat_windows() {
        let up = linear_fit(&[60_000.0, 60_000.5, 60_001.0]).unwrap();
        assert_eq!(up.slope, 0.5);
        assert_eq!(up.correlation, 1.0);
        let down = linear_fit(&[3.0, 2.0, 1.0]).unwrap();
        assert_eq!((down.slope, down.correlation), (-1.0, -1.0));
        let flat = linear_fit(&[0.1; 7]).unwrap();
        assert_eq!((flat.slope, flat.sd, flat.correlation), (0.0, 0.0, 0.0));
        assert_eq!(flat.mean, 0.1);
    }

    #[test]
    fn undefined_inputs_have_no_fit() {
        assert!(linear_fit(&[1.0]).is_none());
        assert!(linear_fit(&[1.0, f64::NAN, 2.0]).is_none());
        let y = [1.0, 2.0, f64::NAN, 4.0, 5.0, 6.0];
        let b = rolling_slope(&y, 2);
        assert!(b[0].is_nan() && b[2].is_nan() && b[3].is_nan());
        assert_eq!((b[1], b[4], b[5]), (1.0, 1.0, 1.0));
        let mut s = RollingFit::new(2);
        let st: Vec<_> = y.iter().map(|&v| s.update(v).map(|f| f.slope)).collect();
        assert_eq!(st, vec![None, Some(1.0), None, None, Some(1.0), Some(1.0)]);
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::indicators::proptest_support::{assert_columns_agree, series};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn streaming_equals_batch(s in series(200), period in 2usize..30) {
            let mut st = RollingFit::new(period);
            let rows: Vec<Option<LinearFit>> = s.close.iter().map(|&c| st.update(c)).collect();
            let batch = rolling_fit(&s.close, period);
            prop_assert_eq!(&rows, &batch);
            let col = |f: fn(&LinearFit) -> f64| rows.iter().map(|r| r.as_ref().map_or(f64::NAN, f)).collect::<Vec<_>>();
            assert_columns_agree("slope", &col(|f| f.slope), &rolling_slope(&s.close, period));
            prop_assert!(rows.iter().flatten().all(|f| (-1.0..=1.0).contains(&f.correlation) && f.sd >= 0.0));
        }
    }
}
