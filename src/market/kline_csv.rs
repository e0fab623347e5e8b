//! Klines in the Binance CSV layout:
//! `open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore`,
//! with or without that header line; only the first six columns are required.
//!
//! Reading validates every row against the input rules of
//! shared/INDICATORS.md and refuses the whole file at the first bad row, with
//! the file, the 1-based line number and the problem, so a caller never
//! computes on part of a file.

use super::{Candle, Interval};
use crate::float_text::push_value;
use flate2::read::MultiGzDecoder;
use std::fmt;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

/// Open times above this are microseconds (newer Binance archive files).
pub const MICROS_THRESHOLD: i64 = 100_000_000_000_000;

/// The header line Binance archive files carry (and [`write_klines`] writes).
pub const HEADER: &str = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore";

/// Names of the twelve columns, for error messages.
const COLUMN_NAMES: [&str; 12] = [
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_volume",
    "count",
    "taker_buy_volume",
    "taker_buy_quote_volume",
    "ignore",
];

/// What is wrong with one row.
#[derive(Debug, Clone, PartialEq)]
pub enum RowProblem {
    /// Fewer than the six required fields.
    TooFewFields {
        /// Fields found.
        found: usize,
    },
    /// A field that is not a number.
    BadNumber {
        /// Column name.
        column: &'static str,
        /// The text found.
        text: String,
    },
    /// A price or volume that is NaN or infinite.
    NonFinite {
        /// Column name.
        column: &'static str,
    },
    /// A negative price or volume.
    Negative {
        /// Column name.
        column: &'static str,
        /// The value found.
        value: f64,
    },
    /// High below low.
    HighBelowLow {
        /// The high.
        high: f64,
        /// The low.
        low: f64,
    },
    /// Open or close outside [low, high].
    OutsideRange {
        /// `open` or `close`.
        column: &'static str,
        /// The value found.
        value: f64,
        /// The low.
        low: f64,
        /// The high.
        high: f64,
    },
    /// Open time not after the previous row's.
    NotIncreasing {
        /// Previous open time (ms).
        previous: i64,
        /// This row's open time (ms).
        this: i64,
    },
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooFewFields { found } => {
                write!(
                    f,
                    "too few fields: {found}, need at least 6 (open_time,open,high,low,close,volume)"
                )
            }
            Self::BadNumber { column, text } => write!(f, "{column}: not a number: {text:?}"),
            Self::NonFinite { column } => write!(f, "{column}: not a finite number"),
            Self::Negative { column, value } => write!(f, "{column}: negative value {value}"),
            Self::HighBelowLow { high, low } => write!(f, "high {high} is below low {low}"),
            Self::OutsideRange {
                column,
                value,
                low,
                high,
            } => {
                write!(f, "{column} {value} is outside [low {low}, high {high}]")
            }
            Self::NotIncreasing { previous, this } => write!(
                f,
                "open_time {this} is not after the previous row's {previous} (must be strictly increasing)"
            ),
        }
    }
}

/// Why a kline file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum KlineCsvError {
    /// The file could not be opened or read.
    #[error("{file}: {source}")]
    Io {
        /// File name as given.
        file: String,
        /// The I/O error.
        source: io::Error,
    },
    /// A row breaks the input rules.
    #[error("{file}: line {line}: {problem}")]
    Row {
        /// File name as given.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        problem: RowProblem,
    },
}

/// The one-minute kline files in `dir` (`*-1m.csv`, `*-1m.csv.gz`, the
/// names `qtrade fetch` writes), sorted by name.
///
/// # Errors
/// When `dir` cannot be listed.
pub fn minute_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with("-1m.csv") || n.ends_with("-1m.csv.gz"))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Reads and validates a kline file; `.gz` files (by extension or gzip magic
/// bytes) are decompressed on the fly.
///
/// # Errors
/// [`KlineCsvError`] naming the file, and the line and problem of the first
/// bad row.
pub fn read_klines_path(path: &Path) -> Result<Vec<Candle>, KlineCsvError> {
    let name = path.display().to_string();
    let io_err = |source| KlineCsvError::Io {
        file: name.clone(),
        source,
    };
    let mut file = BufReader::new(File::open(path).map_err(io_err)?);
    let gz = file.fill_buf().map_err(io_err)?.starts_with(&[0x1f, 0x8b]);
    if gz {
        read_klines(BufReader::new(MultiGzDecoder::new(file)), &name)
    } else {
        read_klines(file, &name)
    }
}

/// Reads and validates klines from `reader`; `file` names the source in errors.
///
/// # Errors
/// [`KlineCsvError`] for an I/O failure or the first bad row.
pub fn read_klines<R: BufRead>(reader: R, file: &str) -> Result<Vec<Candle>, KlineCsvError> {
    let mut out = Vec::new();
    let mut previous: Option<i64> = None;
    for (idx, line) in reader.lines().enumerate() {
        let line_no = idx + 1;
        let line = line.map_err(|source| KlineCsvError::Io {
            file: file.to_string(),
            source,
        })?;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if line_no == 1 && is_header(line) {
            continue;
        }
        let row_err = |problem| KlineCsvError::Row {
            file: file.to_string(),
            line: line_no,
            problem,
        };
        let candle = parse_row(line).map_err(row_err)?;
        if let Some(prev) = previous
            && candle.open_time <= prev
        {
            return Err(row_err(RowProblem::NotIncreasing {
                previous: prev,
                this: candle.open_time,
            }));
        }
        previous = Some(candle.open_time);
        out.push(candle);
    }
    Ok(out)
}

fn is_header(line: &str) -> bool {
    line.split(',')
        .next()
        .is_some_and(|f| f.trim().trim_matches('"').eq_ignore_ascii_case("open_time"))
}

fn parse_f64(fields: &[&str], col: usize) -> Result<f64, RowProblem> {
    let column = COLUMN_NAMES[col];
    let text = fields[col].trim();
    let v: f64 = text.parse().map_err(|_| RowProblem::BadNumber {
        column,
        text: text.to_string(),
    })?;
    if !v.is_finite() {
        return Err(RowProblem::NonFinite { column });
    }
    if v < 0.0 {
        return Err(RowProblem::Negative { column, value: v });
    }
    Ok(v)
}

fn parse_optional_f64(fields: &[&str], col: usize) -> Result<f64, RowProblem> {
    match fields.get(col) {
        Some(f) if !f.trim().is_empty() => parse_f64(fields, col),
        _ => Ok(0.0),
    }
}

fn parse_open_time(text: &str) -> Result<i64, RowProblem> {
    let text = text.trim();
    let bad = || RowProblem::BadNumber {
        column: "open_time",
        text: text.to_string(),
    };
    let raw: i64 = match text.parse::<i64>() {
        Ok(v) => v,
        // Some exports write integral times as floats ("1620950400000.0").
        Err(_) => {
            let f: f64 = text.parse().map_err(|_| bad())?;
            if !f.is_finite() || f.fract() != 0.0 || f.abs() > 9.0e18 {
                return Err(bad());
            }
            f as i64
        }
    };
    Ok(if raw > MICROS_THRESHOLD {
        raw / 1000
    } else {
        raw
    })
}

fn parse_count(fields: &[&str]) -> Result<u64, RowProblem> {
    let Some(text) = fields.get(8).map(|s| s.trim()).filter(|s| !s.is_empty()) else {
        return Ok(0);
    };
    if let Ok(v) = text.parse::<u64>() {
        return Ok(v);
    }
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() && f >= 0.0 && f.fract() == 0.0 => Ok(f as u64),
        _ => Err(RowProblem::BadNumber {
            column: "count",
            text: text.to_string(),
        }),
    }
}

/// Parses and validates one data row (no ordering check).
///
/// # Errors
/// The [`RowProblem`] of the row.
pub fn parse_row(line: &str) -> Result<Candle, RowProblem> {
    let fields: Vec<&str> = line.split(',').collect();
    if fields.len() < 6 {
        return Err(RowProblem::TooFewFields {
            found: fields.len(),
        });
    }
    let open_time = parse_open_time(fields[0])?;
    let open = parse_f64(&fields, 1)?;
    let high = parse_f64(&fields, 2)?;
    let low = parse_f64(&fields, 3)?;
    let close = parse_f64(&fields, 4)?;
    let volume = parse_f64(&fields, 5)?;
    let quote_volume = parse_optional_f64(&fields, 7)?;
    let trades = parse_count(&fields)?;
    let taker_buy_volume = parse_optional_f64(&fields, 9)?;
    let taker_buy_quote_volume = parse_optional_f64(&fields, 10)?;
    if high < low {
        return Err(RowProblem::HighBelowLow { high, low });
    }
    for (column, value) in [("open", open), ("close", close)] {
        if value < low || value > high {
            return Err(RowProblem::OutsideRange {
                column,
                value,
                low,
                high,
            });
        }
    }
    Ok(Candle {
        open_time,
        open,
        high,
        low,
        close,
        volume,
        quote_volume,
        trades,
        taker_buy_volume,
        taker_buy_quote_volume,
    })
}

/// Writes candles in the Binance layout with its header line;
/// `close_time = open_time + interval − 1`. Numbers are written as the
/// shortest text that reads back to the same `f64`.
///
/// # Errors
/// Any I/O error of `w`.
pub fn write_klines<W: Write>(mut w: W, candles: &[Candle], interval: Interval) -> io::Result<()> {
    writeln!(w, "{HEADER}")?;
    let mut line = String::with_capacity(160);
    for c in candles {
        line.clear();
        let _ = write!(line, "{},", c.open_time);
        for v in [c.open, c.high, c.low, c.close, c.volume] {
            push_value(&mut line, v);
            line.push(',');
        }
        let _ = write!(line, "{},", c.open_time + interval.millis() - 1);
        push_value(&mut line, c.quote_volume);
        let _ = write!(line, ",{},", c.trades);
        push_value(&mut line, c.taker_buy_volume);
        line.push(',');
        push_value(&mut line, c.taker_buy_quote_volume);
        line.push_str(",0\n");
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Reads everything from `r` as kline CSV (convenience for tests and pipes).
///
/// # Errors
/// As [`read_klines`].
pub fn read_klines_from<R: Read>(r: R, file: &str) -> Result<Vec<Candle>, KlineCsvError> {
    read_klines(BufReader::new(r), file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<Candle>, KlineCsvError> {
        read_klines(text.as_bytes(), "t.csv")
    }

    #[test]
    fn minute_files_are_the_1m_csvs_sorted() {
        let dir = std::env::temp_dir().join(format!("qt-minute-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in [
            "B-1m.csv.gz",
            "A-1m.csv",
            "C-5m.csv",
            "notes.txt",
            "D-1m.csv.bak",
        ] {
            std::fs::write(dir.join(name), "").unwrap();
        }
        let got: Vec<String> = minute_files(&dir)
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(got, ["A-1m.csv", "B-1m.csv.gz"]);
        assert!(minute_files(&dir).is_err(), "a missing folder is an error");
    }

    fn problem(text: &str) -> (usize, String) {
        match read(text).unwrap_err() {
            KlineCsvError::Row { line, problem, .. } => (line, problem.to_string()),
            e @ KlineCsvError::Io { .. } => panic!("unexpected {e}"),
        }
    }

    #[test]
    fn reads_with_and_without_header_and_micros() {
        let body = "1620950400000,1,2,0.5,1.5,10,1620950459999,15,3,4,6,0\n";
        let a = read(&format!("{HEADER}\n{body}")).unwrap();
        let b = read(body).unwrap();
        assert_eq!(a, b);
        assert_eq!(a[0].trades, 3);
        let micros = read("1620950400000000,1,2,0.5,1.5,10\n").unwrap();
        assert_eq!(micros[0].open_time, 1_620_950_400_000);
        assert_eq!(micros[0].quote_volume, 0.0);
    }

    #[test]
    fn every_bad_row_kind_names_its_line() {
        let ok = "60000,1,2,0.5,1.5,10\n";
        let cases = [
            ("60000,1,2,0.5\n", "too few fields"),
            ("60000,1,x,0.5,1.5,10\n", "high: not a number"),
            ("60000,1,inf,0.5,1.5,10\n", "high: not a finite"),
            ("60000,1,2,0.5,1.5,-1\n", "volume: negative"),
            ("60000,1,0.4,0.5,0.45,1\n", "below low"),
            ("60000,3,2,0.5,1.5,10\n", "open 3 is outside"),
            ("60000,1,2,0.5,2.5,10\n", "close 2.5 is outside"),
            ("60000,1,2,0.5,1.5,NaN\n", "volume: not a finite"),
        ];
        for (row, want) in cases {
            let (line, msg) = problem(&format!("{HEADER}\n{ok}{row}"));
            assert_eq!(line, 3, "{row}");
            assert!(msg.contains(want), "{row}: {msg}");
        }
        let (line, msg) = problem(&format!("{ok}{ok}"));
        assert_eq!(line, 2);
        assert!(msg.contains("strictly increasing"), "{msg}");
    }

    #[test]
    fn error_names_file_and_line() {
        let e = read("60000,1,2,0.5,1.5\n").unwrap_err().to_string();
        assert!(e.starts_with("t.csv: line 1: too few fields"), "{e}");
    }

    #[test]
    fn write_then_read_round_trips() {
        let candles = vec![
            Candle::ohlcv(0, 1.0, 2.0, 0.5, 1.5, 10.0),
            Candle::ohlcv(60_000, 0.1 + 0.2, 0.4, 0.3, 0.35, 1e-9),
        ];
        let mut buf = Vec::new();
        write_klines(&mut buf, &candles, Interval::M1).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(text.lines().nth(1).unwrap().contains(",59999,"));
        assert_eq!(read(&text).unwrap(), candles);
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any text is either read or refused with an error; never a panic.
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
            let _ = read_klines(s.as_bytes(), "fuzz.csv");
        }

        /// Written candles read back exactly.
        #[test]
        fn round_trip(c in crate::indicators::proptest_support::candles(50)) {
            let mut buf = Vec::new();
            write_klines(&mut buf, &c, Interval::M1).unwrap();
            prop_assert_eq!(read_klines(buf.as_slice(), "rt.csv").unwrap(), c);
        }
    }
}
