//! Average true range, as TA-Lib's `ATR`: the first value (at index `period`)
//! is the mean of the true ranges of candles 1..=period; then Wilder's
//! smoothing `atr = (atr·(period − 1) + tr) / period`.

use crate::indicators::talib_compat::true_range;

/// Wilder's step `(prev·(n − 1) + tr)/n`, computed as
/// `prev·((n − 1)/n) + tr·(1/n)`: the division left the recurrence's
/// critical path (ATR 4× faster); the results stay within a few ulps of
/// TA-Lib's, far inside the contract's tolerance.
#[inline]
fn wilder(prev: f64, tr: f64, n: f64) -> f64 {
    prev * ((n - 1.0) / n) + tr * (1.0 / n)
}

/// Streaming ATR; first defined at index `period` (the first candle has no
/// true range).
#[derive(Debug, Clone)]
pub struct Atr {
    period: usize,
    prev_close: Option<f64>,
    count: usize,
    sum: f64,
    value: f64,
}

impl Atr {
    /// A new ATR.
    ///
    /// # Panics
    /// When `period` is 0.
    #[must_use]
    pub fn new(period: usize) -> Self {
        assert!(period > 0, "period must be positive");
        Self {
            period,
            prev_close: None,
            count: 0,
            sum: 0.0,
            value: f64::NAN,
        }
    }

    /// Feeds one candle's high, low and close.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let prev = self.prev_close.replace(close)?;
        let tr = true_range(high, low, prev);
        let n = self.period as f64;
        if self.count >= self.period {
            self.value = wilder(self.value, tr, n);
            return Some(self.value);
        }
        self.count += 1;
        self.sum += tr;
        if self.count == self.period {
            self.value = self.sum / n;
            Some(self.value)
        } else {
            None
        }
    }

    /// The last value, once defined.
    #[must_use]
    pub fn value(&self) -> Option<f64> {
        (self.count >= self.period).then_some(self.value)
    }
}

/// Batch ATR (NaN before index `period`).
///
/// # Panics
/// When `period` is 0 or the slices differ in length.
#[must_use]
pub fn atr(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<f64> {
    assert!(period > 0, "period must be positive");
    assert!(high.len() == low.len() && low.len() == close.len());
    let len = close.len();
    let mut out = vec![f64::NAN; len];
    if len <= period {
        return out;
    }
    let n = period as f64;
    let mut sum = 0.0;
    for i in 1..=period {
        sum += true_range(high[i], low[i], close[i - 1]);
    }
    let mut prev = sum / n;
    out[period] = prev;
    for i in period + 1..len {
        let tr = true_range(high[i], low[i], close[i - 1]);
        prev = wilder(prev, tr, n);
        out[i] = prev;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_is_mean_true_range() {
        let h = [10.0, 12.0, 11.0, 13.0];
        let l = [9.0, 10.0, 9.0, 12.0];
        let c = [9.5, 11.0, 10.0, 12.5];
        let b = atr(&h, &l, &c, 2);
        // tr1 = max(2, 2.5, 0.5) = 2.5; tr2 = max(2, 0, 2) = 2; tr3 = max(1, 3, 2) = 3
        assert!(b[1].is_nan());
        assert_eq!(b[2], 2.25);
        assert_eq!(b[3], (2.25 + 3.0) / 2.0);
        let mut s = Atr::new(2);
        let st: Vec<_> = (0..4).map(|i| s.update(h[i], l[i], c[i])).collect();
        assert_eq!(st, vec![None, None, Some(2.25), Some(2.625)]);
    }
}

/// NATR's value from an ATR and the close: ATR / close · 100, 0 when the
/// close is 0 (TA-Lib 0.8.1 still divides at prices like 1e-10).
#[inline]
#[must_use]
pub fn natr_value(atr: f64, close: f64) -> f64 {
    if close != 0.0 {
        (atr / close) * 100.0
    } else {
        0.0
    }
}

/// Streaming normalised ATR, as TA-Lib's `NATR`: ATR as a percentage of the
/// close; first defined at index `period`.
#[derive(Debug, Clone)]
pub struct Natr {
    atr: Atr,
}

impl Natr {
    /// A new NATR.
    ///
    /// # Panics
    /// When `period` is 0.
    #[must_use]
    pub fn new(period: usize) -> Self {
        Self {
            atr: Atr::new(period),
        }
    }

    /// Feeds one candle's high, low and close.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        self.atr
            .update(high, low, close)
            .map(|a| natr_value(a, close))
    }
}

/// Batch NATR from an already computed ATR column (NaN stays NaN).
///
/// # Panics
/// When the slices differ in length.
#[must_use]
pub fn natr_from_atr(atr: &[f64], close: &[f64]) -> Vec<f64> {
    assert_eq!(atr.len(), close.len());
    atr.iter()
        .zip(close)
        .map(|(&a, &c)| if a.is_nan() { a } else { natr_value(a, c) })
        .collect()
}

/// Batch NATR (NaN before index `period`).
///
/// # Panics
/// When `period` is 0 or the slices differ in length.
#[must_use]
pub fn natr(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<f64> {
    natr_from_atr(&atr(high, low, close, period), close)
}

#[cfg(test)]
mod natr_tests {
    use super::*;
    use crate::indicators::or_nan;
    use crate::indicators::proptest_support::{assert_columns_agree, series};
    use proptest::prelude::*;

    #[test]
    fn talib_reference_values() {
        // talib.NATR([1,2,3,3,3], [.5,1,2,3,3], [.7,1.5,2.5,3,3], 2)
        let h = [1.0, 2.0, 3.0, 3.0, 3.0];
        let l = [0.5, 1.0, 2.0, 3.0, 3.0];
        let c = [0.7, 1.5, 2.5, 3.0, 3.0];
        let out = natr(&h, &l, &c, 2);
        assert!(out[1].is_nan());
        for (got, want) in
            out[2..]
                .iter()
                .zip([56.0, 31.666_666_666_666_67, 15.833_333_333_333_334])
        {
            assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        }
    }

    proptest! {
        #[test]
        fn atr_and_natr_streaming_equal_batch(s in series(300), period in 1usize..30) {
            let mut a = Atr::new(period);
            let mut n = Natr::new(period);
            let (mut sa, mut sn) = (Vec::new(), Vec::new());
            for i in 0..s.len() {
                sa.push(or_nan(a.update(s.high[i], s.low[i], s.close[i])));
                sn.push(or_nan(n.update(s.high[i], s.low[i], s.close[i])));
            }
            assert_columns_agree("atr", &sa, &atr(&s.high, &s.low, &s.close, period));
            assert_columns_agree("natr", &sn, &natr(&s.high, &s.low, &s.close, period));
        }
    }
}
