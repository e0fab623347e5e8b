//! `qtrade indicators` end to end against the TA-Lib golden files: the real
//! binary reads one-minute candles, aggregates them to 15 minutes itself, and
//! its CSV must match the reference computed on Python's own aggregation,
//! cell by cell, under the contract's tolerance.

use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/golden")
        .join(name)
}

fn gunzip(path: &Path) -> String {
    let mut s = String::new();
    GzDecoder::new(std::fs::File::open(path).expect("golden file"))
        .read_to_string(&mut s)
        .expect("gzip text");
    s
}

fn cells(line: &str) -> Vec<Option<f64>> {
    line.split(',')
        .map(|c| (!c.is_empty()).then(|| c.parse::<f64>().expect("number")))
        .collect()
}

/// Runs `qtrade indicators` and compares with the expected CSV.
fn check(input: &Path, timeframe: &str, expected: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_qtrade"))
        .args(["indicators", "--candles"])
        .arg(input)
        .args(["--timeframe", timeframe])
        .output()
        .expect("qtrade runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours = String::from_utf8(out.stdout).expect("utf-8");
    let want = gunzip(expected);
    let (ours, want): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), want.lines().collect());
    assert_eq!(ours[0], want[0], "header");
    assert_eq!(ours.len(), want.len(), "row count");
    let header: Vec<&str> = want[0].split(',').collect();
    let mut bad = Vec::new();
    for (row, (o, w)) in ours.iter().zip(&want).enumerate().skip(1) {
        for (col, (a, b)) in cells(o).into_iter().zip(cells(w)).enumerate() {
            let ok = match (a, b) {
                (None, None) => true,
                (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                _ => false,
            };
            if !ok {
                bad.push(format!("row {row} {}: ours {a:?} ref {b:?}", header[col]));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} cells differ, first: {:?}",
        bad.len(),
        &bad[..bad.len().min(5)]
    );
}

#[test]
fn one_minute_file_aggregated_to_15m_matches_talib() {
    check(
        &golden("xrpeth_1m.input.csv.gz"),
        "15m",
        &golden("xrpeth_1m.15m.expected.csv.gz"),
    );
}

#[test]
fn real_btc_week_at_15m_and_1h_matches_talib() {
    let src =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/klines/BTCUSDT-1m.csv.gz");
    if !src.exists() {
        eprintln!(
            "skipping: {} not found (../shared is absent)",
            src.display()
        );
        return;
    }
    check(&src, "15m", &golden("btcusdt_1m.15m.expected.csv.gz"));
    check(&src, "1h", &golden("btcusdt_1m.1h.expected.csv.gz"));
}
