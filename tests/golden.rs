//! The battery against the golden files of `tests/data/golden`: TA-Lib 0.8.1
//! output (and straightforward Python for the columns TA-Lib lacks), made by
//! `scripts/make_golden.py`.
//!
//! Every `<set>.input.csv.gz` is run through the batch battery
//! ([`compute`](quantumtrade::indicators::battery::compute)) and the streaming
//! one ([`BatteryStream`](quantumtrade::indicators::battery::BatteryStream)),
//! and every cell of both is compared with `<set>.expected.csv.gz` under the
//! contract's tolerance (shared/INDICATORS.md): |ours − ref| ≤
//! 1e-9·max(1, |ref|), empty exactly where the reference is empty.
//!
//! Nothing stops at the first difference: every set, mode and column is
//! checked, and the failure message lists each failing column with the sets
//! it fails on, its count of bad rows and its first bad row (ours against
//! the reference), then the columns that pass everywhere, so one run shows
//! the state of the whole battery.
//!
//! The timeframe sets (`<set>.15m`, `<set>.1h`) hold inputs already aggregated
//! by the Python script, so this test does not depend on the Rust
//! aggregation. `xrpeth_1m.input` is the whole 1m file that
//! `xrpeth_1m.15m.input` was aggregated from: a test of
//! `quantumtrade::market::aggregate` can aggregate the one and compare with
//! the other.

mod support;

use flate2::read::GzDecoder;
use quantumtrade::indicators::battery::{COLUMN_COUNT, COLUMNS};
use quantumtrade::market::kline_csv::read_klines_path;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use support::{cell, matches, run_both};

const EXPECTED_SUFFIX: &str = ".expected.csv.gz";
const INPUT_SUFFIX: &str = ".input.csv.gz";

/// One expected table: NaN where the reference cell is empty.
struct Expected {
    open_time: Vec<i64>,
    /// Column-major, in `COLUMNS` order.
    columns: Vec<Vec<f64>>,
}

/// Reads an expected file.
///
/// # Panics
/// When the file is not in the `qtrade indicators` layout: a broken golden
/// file, not a battery failure.
fn read_expected(path: &Path) -> Expected {
    let name = path.display();
    let file = File::open(path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut lines = BufReader::new(GzDecoder::new(file)).lines();
    let header = lines
        .next()
        .unwrap_or_else(|| panic!("{name}: empty"))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let want = format!("open_time,{}", COLUMNS.join(","));
    assert_eq!(
        header, want,
        "{name}: header differs from open_time + battery::COLUMNS"
    );
    let mut out = Expected {
        open_time: Vec::new(),
        columns: vec![Vec::new(); COLUMN_COUNT],
    };
    for (i, line) in lines.enumerate() {
        let line = line.unwrap_or_else(|e| panic!("{name}: {e}"));
        let line_no = i + 2;
        let mut fields = line.split(',');
        let t = fields.next().unwrap_or_default();
        out.open_time.push(
            t.parse()
                .unwrap_or_else(|_| panic!("{name}:{line_no}: open_time {t:?}")),
        );
        let mut n = 0;
        for (c, text) in fields.enumerate() {
            assert!(c < COLUMN_COUNT, "{name}:{line_no}: too many fields");
            let v = if text.is_empty() {
                f64::NAN
            } else {
                text.parse()
                    .unwrap_or_else(|_| panic!("{name}:{line_no}: {text:?}"))
            };
            out.columns[c].push(v);
            n += 1;
        }
        assert_eq!(n, COLUMN_COUNT, "{name}:{line_no}: field count");
    }
    out
}

/// How one set, mode and column differ from the reference.
struct Mismatch {
    set: String,
    mode: &'static str,
    /// A battery column, or `open_time` when the rows themselves differ.
    column: &'static str,
    bad_rows: usize,
    rows: usize,
    first_row: usize,
    open_time: i64,
    ours: String,
    reference: String,
}

/// Compares `ours(column, row)` with `expected` for every cell.
fn compare(
    set: &str,
    mode: &'static str,
    expected: &Expected,
    ours_open_time: &[i64],
    ours: impl Fn(usize, usize) -> f64,
) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let rows = expected.open_time.len().min(ours_open_time.len());
    let bad_time: Vec<usize> = (0..rows)
        .filter(|&r| ours_open_time[r] != expected.open_time[r])
        .collect();
    if ours_open_time.len() != expected.open_time.len() || !bad_time.is_empty() {
        let first = bad_time.first().copied().unwrap_or(rows);
        out.push(Mismatch {
            set: set.to_string(),
            mode,
            column: "open_time",
            bad_rows: bad_time.len() + ours_open_time.len().abs_diff(expected.open_time.len()),
            rows: expected.open_time.len(),
            first_row: first,
            open_time: expected.open_time.get(first).copied().unwrap_or(-1),
            ours: format!(
                "{} rows, {:?}",
                ours_open_time.len(),
                ours_open_time.get(first)
            ),
            reference: format!(
                "{} rows, {:?}",
                expected.open_time.len(),
                expected.open_time.get(first)
            ),
        });
    }
    for (c, name) in COLUMNS.iter().enumerate() {
        let reference = &expected.columns[c];
        let mut bad = (0..rows).filter(|&r| !matches(ours(c, r), reference[r]));
        let Some(first) = bad.next() else { continue };
        out.push(Mismatch {
            set: set.to_string(),
            mode,
            column: name,
            bad_rows: 1 + bad.count(),
            rows,
            first_row: first,
            open_time: expected.open_time[first],
            ours: cell(ours(c, first)),
            reference: cell(reference[first]),
        });
    }
    out
}

/// Every golden set: (name, input, expected), sorted by name.
fn golden_sets() -> Vec<(String, PathBuf, PathBuf)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/golden");
    let mut sets: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter_map(|p| {
            let file = p.file_name()?.to_str()?;
            let set = file.strip_suffix(EXPECTED_SUFFIX)?.to_string();
            let input = dir.join(format!("{set}{INPUT_SUFFIX}"));
            Some((set, input, p))
        })
        .collect();
    sets.sort();
    sets
}

/// Checks one set both ways; returns every mismatch.
fn check_set(set: &str, input: &Path, expected: &Path) -> Vec<Mismatch> {
    let candles = read_klines_path(input).unwrap_or_else(|e| panic!("{e}"));
    let expected = read_expected(expected);
    let (batch, stream) = run_both(&candles);
    let mut out = compare(set, "batch", &expected, &batch.open_time, |c, r| {
        batch.columns[c][r]
    });
    let stream_times: Vec<i64> = candles.iter().map(|c| c.open_time).collect();
    out.extend(compare(set, "stream", &expected, &stream_times, |c, r| {
        stream[r][c]
    }));
    out
}

/// The failure message: a block per failing column, then the passing ones.
fn summary(sets: usize, mismatches: &[Mismatch]) -> String {
    let mut by_column: BTreeMap<usize, Vec<&Mismatch>> = BTreeMap::new();
    for m in mismatches {
        let order = COLUMNS
            .iter()
            .position(|c| *c == m.column)
            .map_or(0, |p| p + 1);
        by_column.entry(order).or_default().push(m);
    }
    let failing: Vec<&str> = by_column.values().map(|ms| ms[0].column).collect();
    let passing: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .filter(|c| !failing.contains(c))
        .collect();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "golden: {} of {} columns differ from the reference ({sets} sets, batch and stream; \
         tolerance 1e-9·max(1,|ref|)):",
        failing.iter().filter(|c| **c != "open_time").count(),
        COLUMNS.len(),
    );
    let _ = writeln!(s, "failing: {}", failing.join(", "));
    for ms in by_column.values() {
        let sets_failing = ms
            .iter()
            .map(|m| m.set.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let _ = writeln!(
            s,
            "\n{}: fails on {sets_failing} of {sets} sets",
            ms[0].column
        );
        let mut i = 0;
        while i < ms.len() {
            let m = ms[i];
            // Batch and stream failing alike (the usual case) share a line.
            let twin = ms.get(i + 1).filter(|n| {
                n.set == m.set
                    && n.bad_rows == m.bad_rows
                    && n.first_row == m.first_row
                    && n.ours == m.ours
            });
            let mode = if twin.is_some() { "both" } else { m.mode };
            i += if twin.is_some() { 2 } else { 1 };
            let _ = writeln!(
                s,
                "  {:<22} {:<6} {:>5}/{:<5} bad; first row {} (open_time {}): ours {}, ref {}",
                m.set, mode, m.bad_rows, m.rows, m.first_row, m.open_time, m.ours, m.reference
            );
        }
    }
    let _ = writeln!(
        s,
        "\npassing on every set, batch and stream ({}): {}",
        passing.len(),
        passing.join(", ")
    );
    s
}

#[test]
fn battery_matches_golden_files() {
    let sets = golden_sets();
    assert!(
        sets.len() >= 10,
        "expected the golden sets of tests/data/golden, found {}",
        sets.len()
    );
    let mismatches: Vec<Mismatch> = sets
        .par_iter()
        .flat_map_iter(|(set, input, expected)| check_set(set, input, expected))
        .collect();
    let report = summary(sets.len(), &mismatches);
    if !mismatches.is_empty() {
        panic!("{report}");
    }
    eprintln!("{report}");
}
