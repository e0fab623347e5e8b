//! Chaikin accumulation/distribution line, as TA-Lib's `AD`: a running sum
//! of `((close − low) − (high − close)) / (high − low) · volume`, adding
//! nothing for a candle whose high − low is not positive. Defined from the
//! first candle.

/// One candle's money-flow volume, TA-Lib's way (0 when high − low ≤ 0).
#[inline]
#[must_use]
pub fn money_flow_volume(high: f64, low: f64, close: f64, volume: f64) -> f64 {
    let range = high - low;
    if range > 0.0 {
        (((close - low) - (high - close)) / range) * volume
    } else {
        0.0
    }
}

/// Streaming A/D line.
#[derive(Debug, Clone, Default)]
pub struct Ad {
    value: f64,
}

impl Ad {
    /// A new A/D line at 0.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one candle.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64, volume: f64) -> Option<f64> {
        // TA-Lib adds only when the range is positive; adding 0.0 otherwise
        // would turn a −0.0 total into +0.0, which prints the same anyway.
        if high - low > 0.0 {
            self.value += money_flow_volume(high, low, close, volume);
        }
        Some(self.value)
    }
}

/// Batch A/D line.
///
/// # Panics
/// When the slices differ in length.
#[must_use]
pub fn ad(high: &[f64], low: &[f64], close: &[f64], volume: &[f64]) -> Vec<f64> {
    assert!(high.len() == low.len() && low.len() == close.len() && close.len() == volume.len());
    let mut acc = 0.0;
    (0..close.len())
        .map(|i| {
            if high[i] - low[i] > 0.0 {
                acc += money_flow_volume(high[i], low[i], close[i], volume[i]);
            }
            acc
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn talib_reference_values() {
        // talib.AD([1,2,3,3,3], [.5,1,2,3,3], [.7,1.5,2.5,3,3], [10..50]) = -2 each
        let h = [1.0, 2.0, 3.0, 3.0, 3.0];
        let l = [0.5, 1.0, 2.0, 3.0, 3.0];
        let c = [0.7, 1.5, 2.5, 3.0, 3.0];
        let v = [10.0, 20.0, 30.0, 40.0, 50.0];
        let out = ad(&h, &l, &c, &v);
        for x in out {
            assert!((x + 2.0).abs() < 1e-12);
        }
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
        fn streaming_equals_batch(s in series(300)) {
            let mut st = Ad::new();
            let streamed: Vec<f64> = (0..s.len())
                .map(|i| or_nan(st.update(s.high[i], s.low[i], s.close[i], s.volume[i])))
                .collect();
            assert_columns_agree("ad", &streamed, &ad(&s.high, &s.low, &s.close, &s.volume));
        }
    }
}
