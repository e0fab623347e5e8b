//! What the battery's integration tests share: the contract's tolerance and
//! a compact way to print a cell.

use quantumtrade::indicators::battery::{BatteryStream, Row, Table};
use quantumtrade::market::{Candle, OhlcvSeries};

/// shared/INDICATORS.md: a value matches its reference when
/// |ours − ref| ≤ 1e-9·max(1, |ref|).
pub const REL_TOL: f64 = 1e-9;

/// True when `ours` matches `reference` under the contract's tolerance; NaN
/// means empty, and empty matches only empty.
#[must_use]
pub fn matches(ours: f64, reference: f64) -> bool {
    match (ours.is_nan(), reference.is_nan()) {
        (true, true) => true,
        (false, false) => {
            // Catches inf on either side: inf − x is never ≤ a finite bound.
            (ours - reference).abs() <= REL_TOL * reference.abs().max(1.0)
        }
        _ => false,
    }
}

/// A cell as a reader wants it: `empty` for NaN, otherwise the shortest
/// text that reads back to the same f64.
#[must_use]
pub fn cell(x: f64) -> String {
    if x.is_nan() {
        "empty".to_string()
    } else {
        format!("{x}")
    }
}

/// The battery run both ways over `candles`: batch over the whole series and
/// streaming one candle at a time.
#[must_use]
pub fn run_both(candles: &[Candle]) -> (Table, Vec<Row>) {
    let series = OhlcvSeries::from(candles);
    let batch = quantumtrade::indicators::battery::compute(&series);
    let mut stream = BatteryStream::new();
    let rows = candles.iter().map(|c| stream.update(c)).collect();
    (batch, rows)
}
