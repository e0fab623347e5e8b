//! TA-Lib's floating-point edge rules, shared by every port of a TA-Lib
//! function so that flat stretches and tiny prices decide rows the same way.
//!
//! Measured against the TA-Lib 0.8.1 of the PyPI `ta-lib==0.8.2` wheel (the
//! contract's reference), not taken from older sources: 0.8.1 has no 1e-8
//! `TA_IS_ZERO` band (RSI, DI, NATR still compute at prices of 1e-10);
//! where it tests for zero it tests exactly, or with the scaled test below.

/// TA-Lib's true range at a candle with a previous close:
/// max(high − low, |prev_close − high|, |prev_close − low|), compared in
/// TA-Lib's order.
#[inline]
#[must_use]
pub fn true_range(high: f64, low: f64, prev_close: f64) -> f64 {
    let mut greatest = high - low;
    let v2 = (prev_close - high).abs();
    if v2 > greatest {
        greatest = v2;
    }
    let v3 = (prev_close - low).abs();
    if v3 > greatest {
        greatest = v3;
    }
    greatest
}

/// TA-Lib 0.8.1's `TA_IS_ZERO_SCALED(v, scale)`: |v| ≤ 1e-14·scale, where
/// `scale` is |a| + |b| of the two operands whose difference is `v`. Used by
/// 0.8.1 wherever a difference of comparable prices decides a row (STOCH and
/// WILLR ranges, CCI deviations, MFI typical-price changes), so that
/// rounding noise counts as zero at every price scale.
#[inline]
#[must_use]
pub fn is_zero_scaled(v: f64, scale: f64) -> bool {
    // Multiply-compare as TA-Lib writes it (no fused form), for identical rows.
    v.abs() <= 0.000_000_000_000_01 * scale
}
