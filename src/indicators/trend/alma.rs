//! Arnaud Legoux moving average, as shared/INDICATORS.md defines it:
//! window w, offset o, sigma σ: m = o·(w − 1), s = w/σ, weights
//! W_i = exp(−(i − m)² / (2s²)) for i = 0..w−1 (i = w − 1 the newest
//! candle); value = Σ W_i·close[t − w + 1 + i] / Σ W_i. Defined from index
//! w − 1. The node uses ALMA(9, 0.85, 6).

use crate::indicators::window::Window;

/// ALMA weights, normalised to sum to 1 (oldest first).
fn weights(window: usize, offset: f64, sigma: f64) -> Box<[f64]> {
    let m = offset * (window as f64 - 1.0);
    let s = window as f64 / sigma;
    let raw: Vec<f64> = (0..window)
        .map(|i| (-(i as f64 - m).powi(2) / (2.0 * s * s)).exp())
        .collect();
    let total: f64 = raw.iter().sum();
    raw.into_iter().map(|w| w / total).collect()
}

/// Streaming ALMA; O(window) per update.
#[derive(Debug, Clone)]
pub struct Alma {
    weights: Box<[f64]>,
    window: Window,
}

impl Alma {
    /// ALMA over `window` closes with `offset` and `sigma`.
    ///
    /// # Panics
    /// When `window` is 0.
    #[must_use]
    pub fn new(window: usize, offset: f64, sigma: f64) -> Self {
        assert!(window > 0, "window must be positive");
        Self {
            weights: weights(window, offset, sigma),
            window: Window::new(window),
        }
    }

    /// Feeds one close.
    #[inline]
    pub fn update(&mut self, close: f64) -> Option<f64> {
        self.window.push(close);
        self.window.is_full().then(|| {
            self.window
                .iter()
                .zip(self.weights.iter())
                .map(|(x, w)| x * w)
                .sum()
        })
    }
}

/// Batch ALMA.
///
/// # Panics
/// When `window` is 0.
#[must_use]
pub fn alma(close: &[f64], window: usize, offset: f64, sigma: f64) -> Vec<f64> {
    assert!(window > 0, "window must be positive");
    let w = weights(window, offset, sigma);
    let mut out = vec![f64::NAN; close.len()];
    for (t, o) in out.iter_mut().enumerate().skip(window - 1) {
        *o = close[t + 1 - window..=t]
            .iter()
            .zip(w.iter())
            .map(|(x, w)| x * w)
            .sum();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::or_nan;
    use crate::indicators::proptest_support::{assert_columns_agree, series};
    use proptest::prelude::*;

    #[test]
    fn weights_peak_near_the_newest_candle_and_sum_to_one() {
        let w = weights(9, 0.85, 6.0);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        let peak = w
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap()
            .0;
        assert_eq!(peak, 7); // m = 0.85·8 = 6.8
    }

    #[test]
    fn constant_series_gives_the_constant() {
        let out = alma(&[4.0; 12], 9, 0.85, 6.0);
        assert!(out[7].is_nan());
        assert!(out[8..].iter().all(|v| (v - 4.0).abs() < 1e-12));
    }

    proptest! {
        #[test]
        fn streaming_equals_batch(s in series(200), window in 1usize..20) {
            let mut st = Alma::new(window, 0.85, 6.0);
            let streamed: Vec<f64> = s.close.iter().map(|&c| or_nan(st.update(c))).collect();
            assert_columns_agree("alma", &streamed, &alma(&s.close, window, 0.85, 6.0));
        }
    }
}
