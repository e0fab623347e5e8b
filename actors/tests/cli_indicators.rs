//! End-to-end tests of `qtrade indicators`: the real binary on small kline
//! files, checked against the contract in shared/INDICATORS.md.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

const MIN: i64 = 60_000;
/// 2021-05-13 00:00 UTC: a day boundary, so every timeframe is aligned.
const T0: i64 = 1_620_864_000_000;
const HEADER: &str = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore";

/// A unique path in the temp dir, removed (if it exists) on drop.
struct TempPath(PathBuf);

impl std::ops::Deref for TempPath {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A fresh, unique path in the temp dir for this test process.
fn temp_path(name: &str) -> TempPath {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    TempPath(std::env::temp_dir().join(format!("qtrade-cli-{}-{n}-{name}", std::process::id())))
}

/// Writes `text` to a fresh file named `name` and returns its path.
fn write_file(name: &str, text: &str) -> TempPath {
    let p = temp_path(name);
    std::fs::write(&*p, text).unwrap();
    p
}

/// `n` valid 1m rows from `start`, a gentle random-ish walk, full layout.
fn rows(start: i64, n: usize) -> String {
    let mut s = String::new();
    let mut price = 100.0_f64;
    for i in 0..n {
        let t = start + i as i64 * MIN;
        let step = ((i * 7919) % 13) as f64 / 10.0 - 0.6;
        let open = price;
        let close = (price + step).max(1.0);
        let high = open.max(close) + 0.25;
        let low = open.min(close) - 0.25;
        let vol = 1.0 + (i % 5) as f64;
        s.push_str(&format!(
            "{t},{open},{high},{low},{close},{vol},{},{},{},{},{},0\n",
            t + MIN - 1,
            vol * close,
            i % 9,
            vol / 2.0,
            vol * close / 2.0
        ));
        price = close;
    }
    s
}

fn qtrade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qtrade"))
        .args(args)
        .output()
        .expect("run qtrade")
}

fn indicators(file: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["indicators", "--candles", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    qtrade(&args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// The command failed with exactly one stderr line containing every one of
/// `needles`, and printed nothing on stdout.
fn assert_refused(o: &Output, needles: &[&str]) {
    let err = stderr(o);
    assert!(!o.status.success(), "expected failure; stderr: {err}");
    assert!(o.stdout.is_empty(), "stdout not empty: {}", stdout(o));
    assert_eq!(err.lines().count(), 1, "stderr not one line: {err:?}");
    for n in needles {
        assert!(err.contains(n), "stderr {err:?} lacks {n:?}");
    }
}

fn open_times(csv: &str) -> Vec<i64> {
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect()
}

#[test]
fn header_and_one_row_per_candle() {
    let f = write_file("plain.csv", &format!("{HEADER}\n{}", rows(T0, 50)));
    let o = indicators(&f, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
    let out = stdout(&o);
    let mut lines = out.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("open_time,rsi_14,stochrsi_k,stochrsi_d,"));
    assert!(header.ends_with(",obv,mfi_14"));
    let width = header.split(',').count();
    assert_eq!(width, 35);
    assert_eq!(lines.clone().count(), 50);
    assert!(lines.all(|l| l.split(',').count() == width));
    let times = open_times(&out);
    assert_eq!(times[0], T0);
    assert_eq!(times[49], T0 + 49 * MIN);
}

#[test]
fn headerless_input_gives_the_same_table() {
    let body = rows(T0, 30);
    let a = indicators(&write_file("h.csv", &format!("{HEADER}\n{body}")), &[]);
    let b = indicators(&write_file("noh.csv", &body), &[]);
    assert!(a.status.success() && b.status.success());
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn timeframe_aggregates_into_aligned_buckets() {
    // Starts 3 minutes into a 5m bucket and ends inside a partial one.
    let f = write_file("agg.csv", &rows(T0 + 3 * MIN, 100));
    let o = indicators(&f, &["--timeframe", "5m"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let times = open_times(&stdout(&o));
    // Minutes 3..=102: buckets 0, 5, ..., 100.
    assert_eq!(times.len(), 21);
    assert_eq!(times[0], T0);
    for (i, t) in times.iter().enumerate() {
        assert_eq!(*t, T0 + i as i64 * 5 * MIN);
        assert_eq!(t % (5 * MIN), 0);
    }
    let o = indicators(&f, &["--timeframe", "1h"]);
    assert_eq!(open_times(&stdout(&o)), [T0, T0 + 60 * MIN]);
}

#[test]
fn default_timeframe_is_the_inputs_own() {
    let f = write_file("own.csv", &rows(T0, 40));
    let default = indicators(&f, &[]);
    let explicit = indicators(&f, &["--timeframe", "1m"]);
    assert!(default.status.success() && explicit.status.success());
    assert_eq!(default.stdout, explicit.stdout);
}

#[test]
fn refuses_a_timeframe_the_input_cannot_make() {
    // 5m input.
    let text: String = rows(T0, 12)
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let rest = l.split_once(',').unwrap().1;
            format!("{},{rest}\n", T0 + i as i64 * 5 * MIN)
        })
        .collect();
    let f = write_file("five.csv", &text);
    let name = f.file_name().unwrap().to_str().unwrap().to_string();
    assert_refused(
        &indicators(&f, &["--timeframe", "1m"]),
        &[&name, "shorter than the input's interval (5m)"],
    );
    assert_refused(&indicators(&f, &["--timeframe", "3m"]), &[&name, "shorter"]);
    let ok = indicators(&f, &["--timeframe", "15m"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert_eq!(open_times(&stdout(&ok)).len(), 4);
    // 3m input to 5m: not a multiple.
    let f3 = write_file(
        "three.csv",
        &format!("{T0},1,1,1,1,1\n{},1,1,1,1,1\n", T0 + 3 * MIN),
    );
    assert_refused(
        &indicators(&f3, &["--timeframe", "5m"]),
        &["not a multiple of the input's interval (3m)"],
    );
}

#[test]
fn unknown_timeframe_is_refused() {
    let f = write_file("tf.csv", &rows(T0, 5));
    assert_refused(&indicators(&f, &["--timeframe", "2m"]), &["2m", "1h"]);
}

#[test]
fn output_file_gets_the_table_and_stdout_stays_empty() {
    let f = write_file("out-in.csv", &rows(T0, 60));
    let to_stdout = indicators(&f, &[]);
    let out = temp_path("out.csv");
    let o = indicators(&f, &["--output", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    assert!(o.stderr.is_empty());
    assert_eq!(std::fs::read(&*out).unwrap(), to_stdout.stdout);
}

#[test]
fn gpu_without_a_backend_notes_it_and_prints_the_cpu_table() {
    let f = write_file("gpu.csv", &rows(T0, 60));
    let cpu = indicators(&f, &["--device", "cpu"]);
    let gpu = indicators(&f, &["--device", "gpu"]);
    assert!(gpu.status.success(), "{}", stderr(&gpu));
    assert_eq!(gpu.stdout, cpu.stdout);
    let note = stderr(&gpu);
    assert_eq!(note.lines().count(), 1, "{note}");
    assert!(note.contains("GPU"), "{note}");
}

#[test]
fn gzip_input_is_read() {
    let plain = rows(T0, 30);
    let gz = temp_path("in.csv.gz");
    let status = Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::fs::File::create(&*gz).unwrap())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(plain.as_bytes())?;
            child.wait()
        });
    // Skip where no gzip tool is installed.
    if !status.is_ok_and(|s| s.success()) {
        return;
    }
    let a = indicators(&gz, &[]);
    let b = indicators(&write_file("in.csv", &plain), &[]);
    assert!(a.status.success(), "{}", stderr(&a));
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn every_bad_row_is_refused_with_file_and_line() {
    let good = rows(T0, 3);
    let t = T0 + 3 * MIN;
    let cases = [
        (format!("{t},1,2,0.5\n"), "too few fields"),
        (format!("{t},1,x,0.5,1.5,10\n"), "high: not a number"),
        (format!("{t},1,2,0.5,1.5,abc\n"), "volume: not a number"),
        (format!("{t},1,inf,0.5,1.5,10\n"), "not a finite number"),
        (format!("{t},1,2,0.5,1.5,NaN\n"), "not a finite number"),
        (format!("{t},1,2,0.5,1.5,-1\n"), "negative"),
        (format!("{t},-1,2,0.5,1.5,1\n"), "negative"),
        (format!("{t},1,0.4,0.5,0.45,1\n"), "below low"),
        (format!("{t},3,2,0.5,1.5,10\n"), "open 3 is outside"),
        (format!("{t},1,2,0.5,2.5,10\n"), "close 2.5 is outside"),
        (
            format!("{},1,2,0.5,1.5,10\n", T0 + 2 * MIN),
            "strictly increasing",
        ),
        (
            format!("{},1,2,0.5,1.5,10\n", T0 + MIN),
            "strictly increasing",
        ),
    ];
    for (bad, problem) in cases {
        // Line 1 header, lines 2..=4 good rows, line 5 the bad one, then a
        // good row after it that must not be printed either.
        let text = format!("{HEADER}\n{good}{bad}{}", rows(T0 + 10 * MIN, 2));
        let f = write_file("bad.csv", &text);
        let name = f.file_name().unwrap().to_str().unwrap().to_string();
        let o = indicators(&f, &[]);
        assert_refused(&o, &[&name, "line 5", problem]);
        let o = indicators(&f, &["--timeframe", "5m", "--device", "gpu"]);
        assert_refused(&o, &[&name, "line 5", problem]);
    }
}

#[test]
fn bad_input_with_output_creates_no_file() {
    let f = write_file(
        "bad-out.csv",
        &format!("{}{T0},1,2\n", rows(T0 - 5 * MIN, 2)),
    );
    let out = temp_path("never.csv");
    let o = indicators(&f, &["--output", out.to_str().unwrap()]);
    assert_refused(&o, &["line 3", "too few fields"]);
    assert!(!out.exists());
}

#[test]
fn missing_and_empty_files_are_refused() {
    let missing = temp_path("missing.csv");
    let name = missing.file_name().unwrap().to_str().unwrap().to_string();
    assert_refused(&indicators(&missing, &[]), &[&name]);
    let empty = write_file("empty.csv", "");
    let name = empty.file_name().unwrap().to_str().unwrap().to_string();
    assert_refused(&indicators(&empty, &[]), &[&name, "no candles"]);
    let header_only = write_file("header-only.csv", &format!("{HEADER}\n"));
    assert_refused(&indicators(&header_only, &[]), &["no candles"]);
}

#[test]
fn missing_candles_argument_is_one_line() {
    let o = qtrade(&["indicators"]);
    assert_refused(&o, &["--candles"]);
}

#[test]
fn shipped_sample_runs() {
    let sample =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/sample/BTCUSDT-1m-sample.csv");
    let o = indicators(&sample, &["--timeframe", "5m"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let times = open_times(&stdout(&o));
    assert!((400..=401).contains(&times.len()), "{}", times.len());
    assert!(times.iter().all(|t| t % (5 * MIN) == 0));
    let o = indicators(&sample, &[]);
    assert_eq!(open_times(&stdout(&o)).len(), 2000);
}
