//! Chaikin money-flow trend: whether money is flowing in or out, and whether
//! that flow is building, read from the [`cmf`](super::cmf) column.
//!
//! Definition, over the last `period` CMF values (default 10, oldest first):
//! - **slope**: the least-squares slope of those values against time (CMF
//!   units per candle; see [`regression`](crate::indicators::regression));
//! - **state**, with `cmf` the newest value:
//!   - [`CmfTrendState::Accumulating`] when cmf > `accumulation` (default
//!     +0.05) and slope > 0;
//!   - [`CmfTrendState::Distributing`] when cmf < `distribution` (default
//!     −0.05) and slope < 0;
//!   - [`CmfTrendState::Neutral`] otherwise (thresholds and a zero slope
//!     included).
//!
//! Empty (`None` / NaN) until `period` CMF values have been fed, and while
//! any of the last `period` is NaN: the CMF is undefined in its warm-up and
//! over a zero-volume window. With a CMF of period p the trend is first
//! defined at index p + period − 2.

use crate::indicators::regression::{RollingFit, linear_fit};

/// The money-flow trend's classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmfTrendState {
    /// Positive money flow that is rising.
    Accumulating,
    /// Negative money flow that is falling.
    Distributing,
    /// Anything else.
    Neutral,
}

impl CmfTrendState {
    /// +1 accumulating, −1 distributing, 0 neutral: the state as a number
    /// column.
    #[must_use]
    pub fn sign(self) -> i8 {
        match self {
            Self::Accumulating => 1,
            Self::Distributing => -1,
            Self::Neutral => 0,
        }
    }
}

/// Parameters of the CMF trend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CmfTrendParams {
    /// CMF values in the slope's window (≥ 2).
    pub period: usize,
    /// CMF strictly above this (with a positive slope) is accumulation.
    pub accumulation: f64,
    /// CMF strictly below this (with a negative slope) is distribution.
    pub distribution: f64,
}

impl Default for CmfTrendParams {
    /// Slope over 10 values; ±0.05 thresholds.
    fn default() -> Self {
        Self {
            period: 10,
            accumulation: 0.05,
            distribution: -0.05,
        }
    }
}

impl CmfTrendParams {
    /// Classifies the newest CMF value and the window's slope.
    #[inline]
    #[must_use]
    pub fn classify(&self, cmf: f64, slope: f64) -> CmfTrendState {
        if cmf > self.accumulation && slope > 0.0 {
            CmfTrendState::Accumulating
        } else if cmf < self.distribution && slope < 0.0 {
            CmfTrendState::Distributing
        } else {
            CmfTrendState::Neutral
        }
    }

    fn validate(&self) {
        assert!(self.period >= 2, "CMF trend period must be at least 2");
        assert!(
            self.distribution <= self.accumulation,
            "CMF distribution threshold must not exceed the accumulation one"
        );
    }
}

/// One candle's CMF trend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CmfTrendValue {
    /// Least-squares slope of the last `period` CMF values, per candle.
    pub slope: f64,
    /// The classification.
    pub state: CmfTrendState,
}

/// Streaming CMF trend, fed the CMF column one value at a time.
#[derive(Debug, Clone)]
pub struct CmfTrend {
    params: CmfTrendParams,
    fit: RollingFit,
}

impl CmfTrend {
    /// A new CMF trend.
    ///
    /// # Panics
    /// When `period < 2` or `distribution > accumulation`.
    #[must_use]
    pub fn new(params: CmfTrendParams) -> Self {
        params.validate();
        Self {
            params,
            fit: RollingFit::new(params.period),
        }
    }

    /// Feeds one CMF value (NaN where the CMF is undefined).
    #[inline]
    pub fn update(&mut self, cmf: f64) -> Option<CmfTrendValue> {
        let fit = self.fit.update(cmf)?;
        Some(CmfTrendValue {
            slope: fit.slope,
            state: self.params.classify(cmf, fit.slope),
        })
    }
}

/// Batch CMF trend over a CMF column: `None` where the streaming form is.
///
/// # Panics
/// When `period < 2` or `distribution > accumulation`.
#[must_use]
pub fn cmf_trend(cmf: &[f64], params: CmfTrendParams) -> Vec<Option<CmfTrendValue>> {
    params.validate();
    let p = params.period;
    (0..cmf.len())
        .map(|t| {
            let fit = linear_fit(&cmf[(t + 1).checked_sub(p)?..=t])?;
            Some(CmfTrendValue {
                slope: fit.slope,
                state: params.classify(cmf[t], fit.slope),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p3() -> CmfTrendParams {
        CmfTrendParams {
            period: 3,
            ..CmfTrendParams::default()
        }
    }

    #[test]
    fn classifies_by_level_and_slope() {
        // windows: [.., 0.0, 0.1, 0.2] slope 0.1, cmf 0.2 → accumulating;
        // [0.1, 0.2, 0.03] slope −0.035, cmf 0.03 → neutral;
        // [0.2, 0.03, −0.2] slope −0.2, cmf −0.2 → distributing;
        // [0.03, −0.2, −0.1] slope −0.065, cmf −0.1 → distributing.
        let x = [f64::NAN, 0.0, 0.1, 0.2, 0.03, -0.2, -0.1];
        let b = cmf_trend(&x, p3());
        assert!(b[..3].iter().all(Option::is_none));
        let slopes: Vec<f64> = b[3..].iter().map(|v| v.unwrap().slope).collect();
        let want = [0.1, -0.035, -0.2, -0.065];
        for (g, w) in slopes.iter().zip(want) {
            assert!((g - w).abs() < 1e-15, "{g} vs {w}");
        }
        let states: Vec<CmfTrendState> = b[3..].iter().map(|v| v.unwrap().state).collect();
        use CmfTrendState::*;
        assert_eq!(
            states,
            vec![Accumulating, Neutral, Distributing, Distributing]
        );
        let mut s = CmfTrend::new(p3());
        let st: Vec<_> = x.iter().map(|&v| s.update(v)).collect();
        assert_eq!(st, b);
    }

    #[test]
    fn rising_but_below_threshold_is_neutral() {
        let b = cmf_trend(&[0.01, 0.02, 0.05], p3());
        assert_eq!(b[2].unwrap().state, CmfTrendState::Neutral);
        assert_eq!(CmfTrendState::Distributing.sign(), -1);
    }

    #[test]
    #[should_panic(expected = "distribution threshold")]
    fn rejects_inverted_thresholds() {
        let _ = CmfTrend::new(CmfTrendParams {
            accumulation: -0.1,
            distribution: 0.1,
            ..CmfTrendParams::default()
        });
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::indicators::proptest_support::series;
    use crate::indicators::volume::cmf::{Cmf, cmf};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn streaming_equals_batch(s in series(300), cmf_period in 1usize..25, period in 2usize..15) {
            let p = CmfTrendParams { period, ..CmfTrendParams::default() };
            let mut c = Cmf::new(cmf_period);
            let mut st = CmfTrend::new(p);
            let streamed: Vec<Option<CmfTrendValue>> = (0..s.len())
                .map(|i| st.update(c.update(s.high[i], s.low[i], s.close[i], s.volume[i]).unwrap_or(f64::NAN)))
                .collect();
            let col = cmf(&s.high, &s.low, &s.close, &s.volume, cmf_period);
            let batch = cmf_trend(&col, p);
            prop_assert_eq!(&streamed, &batch);
            for (t, v) in batch.iter().enumerate() {
                if let Some(v) = v {
                    // CMF lies in [−1, 1], so its slope over a window is bounded
                    // by 2 per candle.
                    prop_assert!(v.slope.abs() <= 2.0 + 1e-12);
                    if v.state == CmfTrendState::Accumulating {
                        prop_assert!(col[t] > 0.05 && v.slope > 0.0);
                    }
                }
            }
        }
    }
}
