//! CCI extreme flag: classifies a CCI value as overbought, oversold or
//! neutral against two thresholds (by default the customary +100 / −100).
//!
//! Definition, for thresholds `oversold < overbought`:
//! - [`CciExtreme::Overbought`] when cci > overbought (strictly above);
//! - [`CciExtreme::Oversold`] when cci < oversold (strictly below);
//! - [`CciExtreme::Neutral`] otherwise, thresholds included;
//! - no flag (`None`) where the CCI itself is undefined (NaN / warm-up), so
//!   the flag is first defined where [`cci`](super::cci) is: index
//!   `period − 1`.

use crate::indicators::momentum::cci::Cci;

/// Where a CCI value sits relative to the thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CciExtreme {
    /// Above the overbought threshold.
    Overbought,
    /// Below the oversold threshold.
    Oversold,
    /// Between the thresholds, inclusive.
    Neutral,
}

impl CciExtreme {
    /// +1 overbought, −1 oversold, 0 neutral: the flag as a number column.
    #[must_use]
    pub fn sign(self) -> i8 {
        match self {
            Self::Overbought => 1,
            Self::Oversold => -1,
            Self::Neutral => 0,
        }
    }
}

/// Thresholds of the CCI extreme flag.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CciThresholds {
    /// CCI strictly above this is overbought.
    pub overbought: f64,
    /// CCI strictly below this is oversold.
    pub oversold: f64,
}

impl Default for CciThresholds {
    /// +100 / −100, Lambert's conventional bands.
    fn default() -> Self {
        Self {
            overbought: 100.0,
            oversold: -100.0,
        }
    }
}

impl CciThresholds {
    /// Classifies one CCI value; `None` when it is NaN (undefined).
    #[inline]
    #[must_use]
    pub fn classify(&self, cci: f64) -> Option<CciExtreme> {
        if cci.is_nan() {
            None
        } else if cci > self.overbought {
            Some(CciExtreme::Overbought)
        } else if cci < self.oversold {
            Some(CciExtreme::Oversold)
        } else {
            Some(CciExtreme::Neutral)
        }
    }

    fn validate(&self) {
        assert!(
            self.oversold < self.overbought,
            "CCI oversold threshold must be below the overbought one"
        );
    }
}

/// Streaming CCI extreme flag: a [`Cci`] and its classification.
#[derive(Debug, Clone)]
pub struct CciExtremeFlag {
    cci: Cci,
    thresholds: CciThresholds,
}

impl CciExtremeFlag {
    /// A flag over a CCI of `period` candles.
    ///
    /// # Panics
    /// When `period < 2` or the thresholds are not `oversold < overbought`.
    #[must_use]
    pub fn new(period: usize, thresholds: CciThresholds) -> Self {
        thresholds.validate();
        Self {
            cci: Cci::new(period),
            thresholds,
        }
    }

    /// Feeds one candle's high, low and close.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<CciExtreme> {
        let v = self.cci.update(high, low, close)?;
        self.thresholds.classify(v)
    }
}

/// Batch flag over a CCI column: `None` where the CCI is NaN.
///
/// # Panics
/// When the thresholds are not `oversold < overbought`.
#[must_use]
pub fn cci_extreme(cci: &[f64], thresholds: CciThresholds) -> Vec<Option<CciExtreme>> {
    thresholds.validate();
    cci.iter().map(|&v| thresholds.classify(v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_against_default_thresholds() {
        let t = CciThresholds::default();
        let got = cci_extreme(&[f64::NAN, 150.0, 100.0, 0.0, -100.0, -100.5], t);
        assert_eq!(
            got,
            vec![
                None,
                Some(CciExtreme::Overbought),
                Some(CciExtreme::Neutral),
                Some(CciExtreme::Neutral),
                Some(CciExtreme::Neutral),
                Some(CciExtreme::Oversold),
            ]
        );
        let signs: Vec<i8> = got.iter().flatten().map(|e| e.sign()).collect();
        assert_eq!(signs, vec![1, 0, 0, 0, -1]);
    }

    #[test]
    fn streaming_flags_the_cci() {
        // tp = close: CCI(3) at index 2 is exactly 100 (see cci's test), so
        // a 99 threshold flags it overbought.
        let x = [1.0, 2.0, 6.0];
        let t = CciThresholds {
            overbought: 99.0,
            oversold: -99.0,
        };
        let mut s = CciExtremeFlag::new(3, t);
        let st: Vec<_> = x.iter().map(|&v| s.update(v, v, v)).collect();
        assert_eq!(st, vec![None, None, Some(CciExtreme::Overbought)]);
    }

    #[test]
    #[should_panic(expected = "oversold threshold")]
    fn rejects_inverted_thresholds() {
        let _ = CciExtremeFlag::new(
            20,
            CciThresholds {
                overbought: -100.0,
                oversold: 100.0,
            },
        );
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::indicators::momentum::cci::cci;
    use crate::indicators::proptest_support::series;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn streaming_equals_batch(s in series(300), period in 2usize..30, band in 1.0f64..300.0) {
            let t = CciThresholds { overbought: band, oversold: -band };
            let mut st = CciExtremeFlag::new(period, t);
            let streamed: Vec<Option<CciExtreme>> = (0..s.len())
                .map(|i| st.update(s.high[i], s.low[i], s.close[i]))
                .collect();
            let batch = cci_extreme(&cci(&s.high, &s.low, &s.close, period), t);
            prop_assert_eq!(streamed, batch);
        }
    }
}
