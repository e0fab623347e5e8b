//! Sliding-window maximum and minimum over a whole slice, by the van Herk /
//! Gil-Werman method: split the series into blocks of the window length,
//! take running extremes forwards and backwards inside each block, and the
//! extreme of any window is the larger (smaller) of one backward and one
//! forward value. Three branch-free passes, O(1) per candle whatever the
//! data; max and min are exact, so the values equal any other method's.

/// `out[i]` = extreme of `x[i + 1 − p ..= i]` for `i ≥ p − 1` (earlier
/// entries unspecified), under `pick` (`f64::max` or `f64::min`).
fn rolling(x: &[f64], p: usize, pick: fn(f64, f64) -> f64, identity: f64) -> Vec<f64> {
    assert!(p > 0, "window must be positive");
    let n = x.len();
    let mut forward = vec![0.0; n];
    let mut backward = vec![0.0; n];
    for (b, block) in x.chunks(p).enumerate() {
        let base = b * p;
        let mut m = identity;
        for (j, &v) in block.iter().enumerate() {
            m = pick(m, v);
            forward[base + j] = m;
        }
        let mut m = identity;
        for (j, &v) in block.iter().enumerate().rev() {
            m = pick(m, v);
            backward[base + j] = m;
        }
    }
    // The window [i + 1 − p, i] is the tail of one block (backward) and the
    // head of the next (forward); aligned windows are one block, where both
    // hold its extreme.
    for i in (p - 1..n).rev() {
        forward[i] = pick(backward[i + 1 - p], forward[i]);
    }
    forward
}

/// Sliding maximum over windows of `p` (see the module doc).
///
/// # Panics
/// When `p` is 0.
#[must_use]
pub fn rolling_max(x: &[f64], p: usize) -> Vec<f64> {
    rolling(x, p, f64::max, f64::NEG_INFINITY)
}

/// Sliding minimum over windows of `p` (see the module doc).
///
/// # Panics
/// When `p` is 0.
#[must_use]
pub fn rolling_min(x: &[f64], p: usize) -> Vec<f64> {
    rolling(x, p, f64::min, f64::INFINITY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn equals_a_naive_scan(x in prop::collection::vec(-1e6f64..1e6, 0..200), p in 1usize..20) {
            let (mx, mn) = (rolling_max(&x, p), rolling_min(&x, p));
            for i in p.saturating_sub(1)..x.len() {
                let w = &x[i + 1 - p..=i];
                prop_assert_eq!(mx[i], w.iter().copied().fold(f64::NEG_INFINITY, f64::max));
                prop_assert_eq!(mn[i], w.iter().copied().fold(f64::INFINITY, f64::min));
            }
        }
    }
}
