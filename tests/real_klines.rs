//! The battery over every real kline file of `../shared/data/klines` (161
//! files, 1.4 million candles; see its README): each file reads, streaming
//! gives what batch gives under the contract's tolerance, and every column
//! stays within its bounds. Files are checked in parallel; every problem of
//! every file is collected and reported at once.
//!
//! Skipped, with a line on stderr, where that folder is absent (a checkout
//! without ../shared). `QUANTUMTRADE_KLINES_DIR` names another folder.

mod support;

use quantumtrade::indicators::battery::{Column, Table};
use quantumtrade::market::kline_csv::read_klines_path;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;
use support::{REL_TOL, cell, matches, run_both};

/// Inclusive bounds of the bounded columns. Values may overshoot by the
/// contract's rounding tolerance (a smoothed 100 may read 100.00000000000001).
const BOUNDS: &[(Column, f64, f64)] = &[
    (Column::Rsi14, 0.0, 100.0),
    (Column::StochRsiK, 0.0, 100.0),
    (Column::StochRsiD, 0.0, 100.0),
    (Column::Mfi14, 0.0, 100.0),
    (Column::Adx14, 0.0, 100.0),
    (Column::PlusDi14, 0.0, 100.0),
    (Column::MinusDi14, 0.0, 100.0),
    (Column::Willr14, -100.0, 0.0),
];

/// One kind of problem in one file: how often, and where first.
struct Problem {
    file: String,
    /// What was checked, e.g. `stream = batch: rsi_14`.
    check: String,
    count: usize,
    first_row: usize,
    open_time: i64,
    detail: String,
}

fn slack(bound: f64) -> f64 {
    REL_TOL * bound.abs().max(1.0)
}

/// Collects `count` and the first row of the rows where `bad(row)` gives a
/// description.
fn scan(
    file: &str,
    check: String,
    table: &Table,
    bad: impl Fn(usize) -> Option<String>,
) -> Option<Problem> {
    let mut hits = (0..table.len()).filter_map(|r| bad(r).map(|d| (r, d)));
    let (first_row, detail) = hits.next()?;
    Some(Problem {
        file: file.to_string(),
        check,
        count: 1 + hits.count(),
        first_row,
        open_time: table.open_time[first_row],
        detail,
    })
}

/// Every problem of one file.
fn check_file(path: &Path) -> (usize, Vec<Problem>) {
    let file = path.file_name().map_or_else(
        || path.display().to_string(),
        |f| f.to_string_lossy().into(),
    );
    let candles = match read_klines_path(path) {
        Ok(c) => c,
        Err(e) => {
            let problem = Problem {
                file,
                check: "read_klines_path".into(),
                count: 1,
                first_row: 0,
                open_time: 0,
                detail: e.to_string(),
            };
            return (0, vec![problem]);
        }
    };
    let (batch, stream) = run_both(&candles);
    let mut out = Vec::new();

    for &c in Column::ALL {
        let b = batch.column(c);
        out.extend(scan(
            &file,
            format!("stream = batch: {}", c.name()),
            &batch,
            |r| {
                let s = stream[r][c as usize];
                (!matches(s, b[r])).then(|| format!("stream {}, batch {}", cell(s), cell(b[r])))
            },
        ));
        out.extend(scan(
            &file,
            format!("finite or empty: {}", c.name()),
            &batch,
            |r| b[r].is_infinite().then(|| format!("batch {}", b[r])),
        ));
    }
    for &(c, lo, hi) in BOUNDS {
        let v = batch.column(c);
        out.extend(scan(
            &file,
            format!("{} in [{lo}, {hi}]", c.name()),
            &batch,
            |r| (v[r] < lo - slack(lo) || v[r] > hi + slack(hi)).then(|| cell(v[r])),
        ));
    }
    let (up, mid, lo) = (
        batch.column(Column::BbUpper),
        batch.column(Column::BbMiddle),
        batch.column(Column::BbLower),
    );
    out.extend(scan(
        &file,
        "bb_lower <= bb_middle <= bb_upper".into(),
        &batch,
        |r| {
            // Any NaN among the three makes both comparisons false: only
            // defined, disordered bands are reported.
            (lo[r] > mid[r] || mid[r] > up[r]).then(|| {
                format!(
                    "lower {}, middle {}, upper {}",
                    cell(lo[r]),
                    cell(mid[r]),
                    cell(up[r])
                )
            })
        },
    ));
    out.extend(scan(&file, "bands empty together".into(), &batch, |r| {
        let empty = [lo[r], mid[r], up[r]].map(f64::is_nan);
        (empty[0] != empty[1] || empty[1] != empty[2]).then(|| format!("empty: {empty:?}"))
    }));
    let dir = batch.column(Column::SupertrendDir);
    out.extend(scan(
        &file,
        "supertrend_dir is 1, -1 or empty".into(),
        &batch,
        |r| {
            let d = dir[r];
            (!(d.is_nan() || d == 1.0 || d == -1.0)).then(|| cell(d))
        },
    ));
    (candles.len(), out)
}

fn kline_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|f| f.to_str())
                .is_some_and(|f| f.ends_with(".csv") || f.ends_with(".csv.gz"))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn battery_on_every_real_kline_file() {
    // A checkout outside the usual layout (a git worktree elsewhere) can
    // point at the folder with QUANTUMTRADE_KLINES_DIR.
    let dir = std::env::var_os("QUANTUMTRADE_KLINES_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/klines"),
        PathBuf::from,
    );
    if !dir.is_dir() {
        eprintln!(
            "skipping: ../shared/data/klines not found ({}; set QUANTUMTRADE_KLINES_DIR to use another folder)",
            dir.display()
        );
        return;
    }
    let files = kline_files(&dir);
    assert!(!files.is_empty(), "{}: no kline files", dir.display());
    let started = Instant::now();
    let results: Vec<(usize, Vec<Problem>)> = files.par_iter().map(|p| check_file(p)).collect();
    let rows: usize = results.iter().map(|(n, _)| n).sum();
    let problems: Vec<Problem> = results.into_iter().flat_map(|(_, p)| p).collect();
    eprintln!(
        "real klines: {} files, {rows} candles, batch + stream battery in {:.1?}",
        files.len(),
        started.elapsed()
    );
    if problems.is_empty() {
        return;
    }
    let mut by_check: BTreeMap<&str, Vec<&Problem>> = BTreeMap::new();
    for p in &problems {
        by_check.entry(p.check.as_str()).or_default().push(p);
    }
    let mut report = format!(
        "real klines: {} kinds of problem over {} files:\n",
        by_check.len(),
        files.len()
    );
    for (check, ps) in &by_check {
        let rows_bad: usize = ps.iter().map(|p| p.count).sum();
        let _ = writeln!(report, "\n{check}: {} files, {rows_bad} rows", ps.len());
        for p in ps.iter().take(5) {
            let _ = writeln!(
                report,
                "  {:<22} {:>6} rows; first row {} (open_time {}): {}",
                p.file, p.count, p.first_row, p.open_time, p.detail
            );
        }
        if ps.len() > 5 {
            let _ = writeln!(report, "  ... and {} more files", ps.len() - 5);
        }
    }
    panic!("{report}");
}
