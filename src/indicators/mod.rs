//! The indicator battery.
//!
//! Every indicator comes in two forms that give the same numbers:
//! - **streaming**: a small state struct whose `update` takes one new input
//!   (a close, or a [`Candle`](crate::market::Candle)) and returns
//!   `Option<value>`: `None` while warming up or where the value is undefined;
//! - **batch**: a function over whole slices returning one `Vec<f64>` per
//!   output, `f64::NAN` where the streaming form would return `None`.
//!
//! Where TA-Lib has the indicator, TA-Lib 0.8.1 (the PyPI `ta-lib==0.8.2`
//! wheel) is the definition: same seeding, same first valid index and the
//! same edge rules (see [`talib_compat`]). Golden files in
//! `tests/data/golden` hold its numbers; `scripts/make_golden.py` makes them.
//!
//! Families: [`momentum`], [`trend`], [`volatility`], [`volume`]; the
//! [`battery`] runs all of them and names the output columns.

pub mod battery;
pub mod momentum;
#[cfg(test)]
pub(crate) mod proptest_support;
pub mod regression;
pub mod table_csv;
pub mod talib_compat;
pub mod trend;
pub mod volatility;
pub mod volume;
pub mod window;
pub mod window_extremes;

/// Turns a streaming result into the batch convention (NaN = empty).
#[inline]
#[must_use]
pub fn or_nan(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::NAN)
}
