//! Chande's variable index dynamic average, as shared/INDICATORS.md defines
//! it: α = 2/(n + 1); k_t = |CMO_c| = |U − D| / (U + D), U and D the sums of
//! the positive and negative parts of the last c close-to-close changes
//! (k_t = 0 when U + D = 0); `vidya[c] = close[c]`; after that
//! `vidya[t] = α·k_t·close[t] + (1 − α·k_t)·vidya[t − 1]`. The node uses
//! n = 14, c = 9, so the first value is at index 9.
//!
//! U and D are summed over the window afresh (O(c)) rather than kept as
//! running totals: a total left with a 1e-18 residue after a flat stretch
//! would turn k = 0 into k ≈ 1.

use crate::indicators::window::Window;

#[inline]
fn cmo_abs(changes: impl Iterator<Item = f64>) -> f64 {
    let (mut up, mut down) = (0.0, 0.0);
    // Branch-free: the sign of a price change is a coin flip, and a
    // mispredicted branch per change cost more than the sums themselves.
    for d in changes {
        up += d.max(0.0);
        down += (-d).max(0.0);
    }
    let total = up + down;
    if total == 0.0 {
        0.0
    } else {
        (up - down).abs() / total
    }
}

/// Streaming VIDYA.
#[derive(Debug, Clone)]
pub struct Vidya {
    alpha: f64,
    changes: Window,
    prev_close: Option<f64>,
    value: Option<f64>,
}

impl Vidya {
    /// VIDYA with smoothing period `period` and CMO length `cmo`.
    ///
    /// # Panics
    /// When `cmo` is 0.
    #[must_use]
    pub fn new(period: usize, cmo: usize) -> Self {
        Self {
            alpha: 2.0 / (period as f64 + 1.0),
            changes: Window::new(cmo),
            prev_close: None,
            value: None,
        }
    }

    /// Feeds one close.
    #[inline]
    pub fn update(&mut self, close: f64) -> Option<f64> {
        if let Some(prev) = self.prev_close.replace(close) {
            self.changes.push(close - prev);
        }
        if !self.changes.is_full() {
            return None;
        }
        let v = match self.value {
            None => close,
            Some(prev) => {
                let ak = self.alpha * cmo_abs(self.changes.iter());
                ak * close + (1.0 - ak) * prev
            }
        };
        self.value = Some(v);
        Some(v)
    }
}

/// Batch VIDYA.
///
/// # Panics
/// When `cmo` is 0.
#[must_use]
pub fn vidya(close: &[f64], period: usize, cmo: usize) -> Vec<f64> {
    assert!(cmo > 0, "CMO length must be positive");
    let alpha = 2.0 / (period as f64 + 1.0);
    let mut out = vec![f64::NAN; close.len()];
    if close.len() <= cmo {
        return out;
    }
    let mut prev = close[cmo];
    out[cmo] = prev;
    for t in cmo + 1..close.len() {
        let ak = alpha * cmo_abs((t + 1 - cmo..=t).map(|i| close[i] - close[i - 1]));
        prev = ak * close[t] + (1.0 - ak) * prev;
        out[t] = prev;
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
    fn seeds_with_the_close_and_follows_a_clean_trend() {
        // Steady rise: every change positive, |CMO| = 1, so VIDYA is an EMA
        // with α = 2/15.
        let c: Vec<f64> = (0..12).map(f64::from).collect();
        let out = vidya(&c, 14, 9);
        assert!(out[8].is_nan());
        assert_eq!(out[9], 9.0);
        let a = 2.0 / 15.0;
        assert!((out[10] - (a * 10.0 + (1.0 - a) * 9.0)).abs() < 1e-12);
    }

    #[test]
    fn flat_stretch_holds_the_value() {
        let mut c = vec![5.0; 20];
        c[3] = 6.0;
        let out = vidya(&c, 14, 9);
        // From t = 13 the nine changes are all zero: k = 0, nothing moves.
        assert!(out[13..].iter().all(|&v| v == out[13]));
    }

    proptest! {
        #[test]
        fn streaming_equals_batch(s in series(200)) {
            let mut st = Vidya::new(14, 9);
            let streamed: Vec<f64> = s.close.iter().map(|&c| or_nan(st.update(c))).collect();
            assert_columns_agree("vidya", &streamed, &vidya(&s.close, 14, 9));
        }
    }
}
