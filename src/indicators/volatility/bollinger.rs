//! Bollinger bands, as TA-Lib's `BBANDS(close, 20, 2, 2, SMA)`, plus %b and
//! width.
//!
//! middle = SMA(period); σ = population standard deviation of the window
//! around that SMA; upper/lower = middle ± k·σ. First defined at index
//! `period − 1`. A window of equal closes has σ = 0 exactly (even though the
//! running-sum SMA may differ from the closes in the last bit), so the bands
//! coincide there and %b is empty.
//!
//! σ is computed in two passes over the window (Σ (x − middle)² / n) rather
//! than from a running sum of squares: at prices like 60,000 the running form
//! cancels catastrophically, while TA-Lib 0.8.1 reports the true σ of tiny
//! jitters (checked against it at 5e4 ± 1e-9).

use crate::indicators::trend::sma::{Sma, sma};
use crate::indicators::window::Window;

/// One candle's Bollinger values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BollingerValue {
    /// middle + k·σ.
    pub upper: f64,
    /// The SMA.
    pub middle: f64,
    /// middle − k·σ.
    pub lower: f64,
    /// (close − lower) / (upper − lower); NaN when the bands coincide.
    pub percent_b: f64,
    /// (upper − lower) / middle; NaN when middle = 0.
    pub width: f64,
}

/// Batch output: one vector per value.
#[derive(Debug, Clone, PartialEq)]
pub struct BollingerOutput {
    /// Upper band.
    pub upper: Vec<f64>,
    /// Middle band (SMA).
    pub middle: Vec<f64>,
    /// Lower band.
    pub lower: Vec<f64>,
    /// %b.
    pub percent_b: Vec<f64>,
    /// Band width.
    pub width: Vec<f64>,
}

#[inline]
fn value(close: f64, middle: f64, sd: f64, k: f64) -> BollingerValue {
    let dev = k * sd;
    let (upper, lower) = (middle + dev, middle - dev);
    BollingerValue {
        upper,
        middle,
        lower,
        percent_b: if upper == lower {
            f64::NAN
        } else {
            (close - lower) / (upper - lower)
        },
        width: if middle == 0.0 {
            f64::NAN
        } else {
            (upper - lower) / middle
        },
    }
}

/// σ around `mean`; exactly 0 for a window of equal values, whatever the
/// rounding residue of the running-sum SMA (TA-Lib 0.8.1 makes the bands
/// coincide there, and %b is then empty).
#[inline]
fn population_sd(window: impl Iterator<Item = f64>, mean: f64, n: f64) -> f64 {
    let (mut sum, mut lo, mut hi) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
    for x in window {
        sum += (x - mean) * (x - mean);
        lo = lo.min(x);
        hi = hi.max(x);
    }
    if lo == hi { 0.0 } else { (sum / n).sqrt() }
}

/// Streaming Bollinger bands; O(period) per update.
#[derive(Debug, Clone)]
pub struct Bollinger {
    sma: Sma,
    window: Window,
    k: f64,
}

impl Bollinger {
    /// Bands over `period` closes at `k` standard deviations.
    ///
    /// # Panics
    /// When `period` is 0.
    #[must_use]
    pub fn new(period: usize, k: f64) -> Self {
        Self {
            sma: Sma::new(period),
            window: Window::new(period),
            k,
        }
    }

    /// Feeds one close.
    #[inline]
    pub fn update(&mut self, close: f64) -> Option<BollingerValue> {
        self.window.push(close);
        let middle = self.sma.update(close)?;
        let sd = population_sd(self.window.iter(), middle, self.window.len() as f64);
        Some(value(close, middle, sd, self.k))
    }
}

/// Batch Bollinger bands.
///
/// # Panics
/// When `period` is 0.
#[must_use]
pub fn bollinger(close: &[f64], period: usize, k: f64) -> BollingerOutput {
    let n = close.len();
    let middle = sma(close, period);
    let mut out = BollingerOutput {
        upper: vec![f64::NAN; n],
        middle: vec![f64::NAN; n],
        lower: vec![f64::NAN; n],
        percent_b: vec![f64::NAN; n],
        width: vec![f64::NAN; n],
    };
    for t in period.saturating_sub(1)..n {
        let m = middle[t];
        let sd = population_sd(close[t + 1 - period..=t].iter().copied(), m, period as f64);
        let v = value(close[t], m, sd, k);
        out.upper[t] = v.upper;
        out.middle[t] = v.middle;
        out.lower[t] = v.lower;
        out.percent_b[t] = v.percent_b;
        out.width[t] = v.width;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_window_collapses_the_bands() {
        let out = bollinger(&[5.0; 25], 20, 2.0);
        assert!(out.upper[18].is_nan());
        assert_eq!(out.upper[19], 5.0);
        assert_eq!(out.lower[19], 5.0);
        assert!(out.percent_b[19].is_nan());
        assert_eq!(out.width[19], 0.0);
    }

    #[test]
    fn two_value_window() {
        // closes 1, 3: mean 2, σ 1, bands 0 and 4; close 3 sits at %b 0.75.
        let out = bollinger(&[1.0, 3.0], 2, 2.0);
        assert_eq!((out.lower[1], out.middle[1], out.upper[1]), (0.0, 2.0, 4.0));
        assert_eq!(out.percent_b[1], 0.75);
        assert_eq!(out.width[1], 2.0);
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::indicators::proptest_support::{assert_columns_agree, series};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn streaming_equals_batch(s in series(300), period in 1usize..30) {
            let mut st = Bollinger::new(period, 2.0);
            let rows: Vec<Option<BollingerValue>> = s.close.iter().map(|&c| st.update(c)).collect();
            let b = bollinger(&s.close, period, 2.0);
            let col = |f: fn(&BollingerValue) -> f64| rows.iter().map(|r| r.as_ref().map_or(f64::NAN, f)).collect::<Vec<_>>();
            assert_columns_agree("upper", &col(|v| v.upper), &b.upper);
            assert_columns_agree("middle", &col(|v| v.middle), &b.middle);
            assert_columns_agree("lower", &col(|v| v.lower), &b.lower);
            assert_columns_agree("percent_b", &col(|v| v.percent_b), &b.percent_b);
            assert_columns_agree("width", &col(|v| v.width), &b.width);
        }
    }
}
