//! Shared proptest strategies and comparisons for the indicator property
//! tests (streaming = batch, bounds): random candle series with the shapes
//! that break indicators in practice.

use crate::market::{Candle, OhlcvSeries};
use proptest::prelude::*;

/// The contract's tolerance: |a − b| ≤ 1e-9·max(1, |b|), NaN only where NaN.
#[must_use]
pub fn close_enough(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

/// Asserts two columns agree under [`close_enough`], naming the first index
/// that does not.
///
/// # Panics
/// When lengths differ or a value disagrees.
pub fn assert_columns_agree(name: &str, streaming: &[f64], batch: &[f64]) {
    assert_eq!(streaming.len(), batch.len(), "{name}: lengths differ");
    for (i, (s, b)) in streaming.iter().zip(batch).enumerate() {
        assert!(
            close_enough(*s, *b),
            "{name}: index {i}: streaming {s} vs batch {b}"
        );
    }
}

/// One step of a random walk: relative move, candle range, volume, and
/// whether this candle is flat (high = low = open = close = previous close).
fn step() -> impl Strategy<Value = (f64, f64, f64, f64, f64, bool)> {
    (
        -0.03f64..0.03,
        0.0f64..0.02,
        0.0f64..1.0,
        0.0f64..1.0,
        prop_oneof![3 => 0.0f64..1000.0, 1 => Just(0.0)],
        prop::bool::weighted(0.15),
    )
}

/// Random candle series of 0..`max_len` candles one minute apart, at a random
/// price scale from 1e-6 to 1e5, with flat stretches and zero volumes.
pub fn candles(max_len: usize) -> impl Strategy<Value = Vec<Candle>> {
    (
        prop_oneof![
            Just(1e-6),
            Just(0.01),
            Just(1.0),
            Just(100.0),
            Just(50_000.0)
        ],
        prop::collection::vec(step(), 0..max_len),
    )
        .prop_map(|(scale, steps)| {
            let mut out = Vec::with_capacity(steps.len());
            let mut prev = scale;
            for (i, (ret, range, o, c, vol, flat)) in steps.into_iter().enumerate() {
                let t = 1_600_000_000_000 + i as i64 * 60_000;
                if flat {
                    out.push(Candle::ohlcv(t, prev, prev, prev, prev, vol));
                    continue;
                }
                let mid = prev * (1.0 + ret);
                let high = mid * (1.0 + range / 2.0);
                let low = mid * (1.0 - range / 2.0);
                let open = low + (high - low) * o;
                let close = low + (high - low) * c;
                out.push(Candle::ohlcv(t, open, high, low, close, vol));
                prev = close;
            }
            out
        })
}

/// [`candles`] as a column-oriented series.
pub fn series(max_len: usize) -> impl Strategy<Value = OhlcvSeries> {
    candles(max_len).prop_map(|c| OhlcvSeries::from(c.as_slice()))
}
