//! The battery [`Table`] as CSV, the output of `qtrade indicators`
//! (shared/INDICATORS.md): a header `open_time,<COLUMNS>`, then one row per
//! candle, numbers as the shortest text that reads back to the same `f64`
//! and empty cells for NaN.

use crate::float_text::push_value;
use crate::indicators::battery::{COLUMNS, Table};
use std::fmt::Write as _;
use std::io::{self, Write};

/// The header line, without its line break: `open_time,` then [`COLUMNS`].
#[must_use]
pub fn header() -> String {
    let mut h = String::from("open_time");
    for c in COLUMNS {
        h.push(',');
        h.push_str(c);
    }
    h
}

/// Writes `table` as CSV: [`header`], then one line per row with the open
/// time and every column through [`push_value`]. Lines end in `\n`. Wrap `w`
/// in a `BufWriter` when it is unbuffered.
///
/// # Errors
/// Any I/O error of `w`.
pub fn write_table<W: Write>(mut w: W, table: &Table) -> io::Result<()> {
    let mut line = header();
    line.push('\n');
    w.write_all(line.as_bytes())?;
    for (i, t) in table.open_time.iter().enumerate() {
        line.clear();
        let _ = write!(line, "{t}");
        for col in &table.columns {
            line.push(',');
            push_value(&mut line, col[i]);
        }
        line.push('\n');
        w.write_all(line.as_bytes())?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::battery::{COLUMN_COUNT, compute};
    use crate::market::{Candle, OhlcvSeries};

    #[test]
    fn writes_header_and_rows() {
        let s: OhlcvSeries = (0..3)
            .map(|i| Candle::ohlcv(i * 60_000, 1.0, 2.0, 0.5, 1.5, 10.0))
            .collect::<Vec<_>>()
            .iter()
            .collect();
        let mut out = Vec::new();
        write_table(&mut out, &compute(&s)).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("open_time,rsi_14,"));
        assert_eq!(lines[0].split(',').count(), COLUMN_COUNT + 1);
        assert!(lines[2].starts_with("60000,"));
        assert_eq!(lines[3].split(',').count(), COLUMN_COUNT + 1);
    }
}
