//! TA-Lib's floating-point edge rules, shared by every port of a TA-Lib
//! function so that flat stretches and tiny prices decide rows the same way.

/// TA-Lib's `TA_IS_ZERO`: |v| < 1e-8.
#[inline]
#[must_use]
pub fn is_zero(v: f64) -> bool {
    -0.000_000_01 < v && v < 0.000_000_01
}

/// TA-Lib's `TA_IS_ZERO_OR_NEG`: v < 1e-8.
#[inline]
#[must_use]
pub fn is_zero_or_neg(v: f64) -> bool {
    v < 0.000_000_01
}

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
