//! Simple moving average, as TA-Lib's `SMA`.

use crate::indicators::window::Window;

/// Streaming SMA over `period` values; first defined at the `period`-th value.
///
/// Keeps TA-Lib's running sum (add the new value, divide, subtract the
/// oldest) so results agree with TA-Lib to the last bits on long series.
#[derive(Debug, Clone)]
pub struct Sma {
    window: Window,
    sum: f64,
}

impl Sma {
    /// A new SMA.
    ///
    /// # Panics
    /// When `period` is 0.
    #[must_use]
    pub fn new(period: usize) -> Self {
        Self {
            window: Window::new(period),
            sum: 0.0,
        }
    }

    /// Feeds one value.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        // `sum` holds the newest `period - 1` values, as TA-Lib's running
        // total does between steps: add the new value, divide, then drop the
        // oldest value of the full window.
        self.window.push(x);
        self.sum += x;
        if !self.window.is_full() {
            return None;
        }
        let out = self.sum / self.window.capacity() as f64;
        self.sum -= self.window.get(0);
        Some(out)
    }
}

/// Batch SMA (NaN before index `period - 1`).
///
/// # Panics
/// When `period` is 0.
#[must_use]
pub fn sma(x: &[f64], period: usize) -> Vec<f64> {
    assert!(period > 0, "period must be positive");
    let mut out = vec![f64::NAN; x.len()];
    if x.len() < period {
        return out;
    }
    let mut sum: f64 = x[..period - 1].iter().sum();
    for i in period - 1..x.len() {
        sum += x[i];
        out[i] = sum / period as f64;
        sum -= x[i + 1 - period];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_period_average() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = sma(&x, 3);
        assert!(b[0].is_nan() && b[1].is_nan());
        assert_eq!(&b[2..], &[2.0, 3.0, 4.0]);
        let mut s = Sma::new(3);
        let st: Vec<_> = x.iter().map(|&v| s.update(v)).collect();
        assert_eq!(st, vec![None, None, Some(2.0), Some(3.0), Some(4.0)]);
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
        fn streaming_equals_batch(s in series(300), period in 1usize..40) {
            let mut st = Sma::new(period);
            let streamed: Vec<f64> = s.close.iter().map(|&x| or_nan(st.update(x))).collect();
            assert_columns_agree("sma", &streamed, &sma(&s.close, period));
        }
    }
}
