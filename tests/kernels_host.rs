//! The GPU battery kernel (kernels/battery.cu) run on the CPU: the same
//! source compiled as host C++ with kernels/host/prelude.h, driven by
//! kernels/host/harness.cpp, compared cell by cell with the Rust battery
//! ([`compute`]) under the contract's tolerance (|gpu − cpu| ≤
//! 1e-9·max(1, |cpu|), NaN exactly where the CPU has NaN).
//!
//! Every series goes into one ragged batch, as the node sends them: random
//! walks of many lengths (0 to 1500 candles, across every warm-up edge),
//! walks with flat and zero-volume stretches, every golden input and the
//! sample klines. Columns outside
//! [`KERNEL_COLUMNS`](quantumtrade::node::battery_layout::KERNEL_COLUMNS)
//! must come back untouched, so that list cannot drift from the kernel.
//!
//! Needs a C++ compiler (`$CXX`, else `g++`, else `clang++`). Without one the
//! test skips with a message, except under CI (`CI` set), where it fails.

use quantumtrade::indicators::battery::{COLUMN_COUNT, Column, compute};
use quantumtrade::market::kline_csv::read_klines_path;
use quantumtrade::market::random_walk::random_walk;
use quantumtrade::market::{Candle, OhlcvSeries};
use quantumtrade::market::{Interval, Symbol};
use quantumtrade::node::battery_batch::{BatteryJob, compute_job};
use quantumtrade::node::battery_layout::{KERNEL_COLUMNS, PackedBatch, merge_row};
use quantumtrade::node::battery_resident::{ResidentLayout, Staging};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What the harness fills the output with before the kernel runs: a NaN
/// with a payload no arithmetic produces.
const UNTOUCHED: u64 = 0x7ff8_dead_beef_0001;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The first C++ compiler that answers `--version`.
fn compiler() -> Option<String> {
    let candidates = std::env::var("CXX")
        .ok()
        .into_iter()
        .chain(["g++".to_owned(), "clang++".to_owned()]);
    candidates.into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// The harness, built once for every test of this file (tests run on
/// threads; two builds to one path would race).
fn build_harness() -> Option<PathBuf> {
    static HARNESS: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    HARNESS.get_or_init(compile_harness).clone()
}

/// Compiles the harness; `None` (after saying why) where no compiler exists
/// outside CI.
fn compile_harness() -> Option<PathBuf> {
    let Some(cxx) = compiler() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "no C++ compiler ($CXX, g++, clang++): CI must install one"
        );
        eprintln!("SKIPPED: no C++ compiler ($CXX, g++, clang++) to build the kernel harness");
        return None;
    };
    let exe = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("qt_battery_harness");
    let kernels = root().join("kernels");
    // -ffp-contract=off: no fused multiply-adds, as NVRTC's --fmad=false.
    let out = Command::new(&cxx)
        .args([
            "-O2",
            "-std=c++17",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-ffp-contract=off",
        ])
        .arg("-include")
        .arg(kernels.join("host/prelude.h"))
        .arg("-o")
        .arg(&exe)
        .arg(kernels.join("host/harness.cpp"))
        .output()
        .unwrap_or_else(|e| panic!("{cxx}: {e}"));
    assert!(
        out.status.success(),
        "{cxx} failed on kernels/battery.cu:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(exe)
}

/// Runs the harness over `batch` (`mode`: "" for battery_kernel, "groups"
/// for battery_groups_kernel); the kernel's output buffer.
fn run_harness(exe: &Path, batch: &PackedBatch, mode: &str) -> Vec<f64> {
    let mut input = Vec::new();
    let symbols = i64::try_from(batch.symbols()).unwrap();
    let total = i64::try_from(batch.total()).unwrap();
    for v in [symbols, total]
        .iter()
        .chain(&batch.offsets)
        .chain(&batch.open_time)
    {
        input.extend_from_slice(&v.to_ne_bytes());
    }
    for col in [&batch.high, &batch.low, &batch.close, &batch.volume] {
        for v in col {
            input.extend_from_slice(&v.to_ne_bytes());
        }
    }
    input.extend_from_slice(&f64::from_bits(UNTOUCHED).to_ne_bytes());
    let out = harness_f64s(exe, mode, input);
    assert_eq!(out.len(), batch.output_len(), "output size");
    out
}

/// Runs the harness in `mode` ("" for the default) on `input`; its output
/// as f64s.
fn harness_f64s(exe: &Path, mode: &str, input: Vec<u8>) -> Vec<f64> {
    let mut child = Command::new(exe)
        .args((!mode.is_empty()).then_some(mode))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "harness {mode}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .chunks_exact(8)
        .map(|b| f64::from_ne_bytes(b.try_into().unwrap()))
        .collect()
}

/// A walk with flat stretches (equal closes, high = low) and zero volume,
/// where TA-Lib's zero tests decide rows.
fn flat_stretches(seed: u64, n: usize) -> Vec<Candle> {
    let mut c = random_walk(seed, 7, n, 0);
    for i in 0..n {
        if (i / 25) % 3 == 1 {
            let p = c[i.saturating_sub(1)].close;
            let k = &mut c[i];
            (k.open, k.high, k.low, k.close) = (p, p, p, p);
            k.volume = if i % 2 == 0 { 0.0 } else { k.volume };
        }
    }
    c
}

fn series_under_test() -> Vec<(String, Vec<Candle>)> {
    let mut all = Vec::new();
    for (seed, n) in [
        0, 1, 2, 9, 13, 14, 15, 19, 20, 21, 26, 33, 34, 35, 60, 300, 1500,
    ]
    .iter()
    .enumerate()
    {
        let seed = seed as u64;
        all.push((format!("walk{seed}_{n}"), random_walk(seed, seed, *n, 0)));
    }
    all.push(("flat_500".into(), flat_stretches(3, 500)));
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("tests/data/golden"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".input.csv.gz"))
        .collect();
    files.sort();
    files.push(root().join("tests/data/sample/BTCUSDT-1m-sample.csv"));
    for f in files {
        let candles = read_klines_path(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        all.push((
            f.file_name().unwrap().to_string_lossy().into_owned(),
            candles,
        ));
    }
    all
}

fn agrees(gpu: f64, cpu: f64) -> bool {
    if gpu.is_nan() || cpu.is_nan() {
        return gpu.is_nan() && cpu.is_nan() && gpu.to_bits() != UNTOUCHED;
    }
    (gpu - cpu).abs() <= 1e-9 * cpu.abs().max(1.0)
}

/// Every column of a kernel's `row` agrees with the CPU's for `job`.
fn assert_row_agrees(row: &[f64], cpu: &[f64], what: &str, job: &BatteryJob) {
    for &c in Column::ALL {
        let (g, w) = (row[c as usize], cpu[c as usize]);
        assert!(
            agrees(g, w),
            "{what} ({} candles) {}: kernel {g:e} cpu {w:e}",
            job.candles.len(),
            c.name()
        );
    }
}

#[test]
fn kernel_on_the_cpu_matches_the_battery() {
    kernel_matches_the_battery("");
}

/// The same batch with the indicator groups on separate threads.
#[test]
fn grouped_kernel_on_the_cpu_matches_the_battery() {
    kernel_matches_the_battery("groups");
}

fn kernel_matches_the_battery(mode: &str) {
    let Some(exe) = build_harness() else {
        return;
    };
    let series = series_under_test();
    let batch = PackedBatch::pack(series.iter().map(|(_, c)| c.as_slice()));
    let out = run_harness(&exe, &batch, mode);
    let mut failures = Vec::new();
    let mut cells = 0usize;
    for (s, (name, candles)) in series.iter().enumerate() {
        let want = compute(&OhlcvSeries::from(candles.as_slice()));
        for &col in Column::ALL {
            let got = batch.column(&out, col, s);
            if !KERNEL_COLUMNS.contains(&col) {
                if let Some(t) = got.iter().position(|v| v.to_bits() != UNTOUCHED) {
                    failures.push(format!(
                        "{name} {}: written at row {t} but not in KERNEL_COLUMNS",
                        col.name()
                    ));
                }
                continue;
            }
            let cpu = want.column(col);
            let bad: Vec<usize> = (0..cpu.len())
                .filter(|&t| !agrees(got[t], cpu[t]))
                .collect();
            cells += cpu.len();
            if let Some(&t) = bad.first() {
                failures.push(format!(
                    "{name} {}: {} bad rows, first {t}: kernel {:e} cpu {:e}",
                    col.name(),
                    bad.len(),
                    got[t],
                    cpu[t]
                ));
            }
        }
    }
    assert!(cells > 0);
    assert_eq!(
        COLUMN_COUNT, 34,
        "the kernel's column indices assume 34 columns"
    );
    assert!(
        failures.is_empty(),
        "{} failures over {cells} cells:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "{} series, {} kernel columns, {cells} cells agree",
        series.len(),
        KERNEL_COLUMNS.len()
    );
}

/// The CUDA backend's path without the device: jobs packed as the backend
/// packs them, the kernel's output read back with `last_row`, merged as the
/// backend merges: each row equals the CPU backend's for the same job.
#[test]
fn packed_jobs_read_back_as_the_cpu_backends_rows() {
    let Some(exe) = build_harness() else {
        return;
    };
    let jobs: Vec<BatteryJob> = [0usize, 40, 1, 300, 0, 21, 600]
        .iter()
        .enumerate()
        .map(|(i, &n)| BatteryJob {
            symbol: Symbol::new(&format!("S{i}USDT")).unwrap(),
            timeframe: Interval::M1,
            candles: random_walk(11, i as u64, n, 0),
        })
        .collect();
    let batch = PackedBatch::pack(jobs.iter().map(|j| j.candles.as_slice()));
    let out = run_harness(&exe, &batch, "");
    for (s, job) in jobs.iter().enumerate() {
        let cpu = compute_job(job).row;
        let Some(kernel) = batch.last_row(&out, s) else {
            assert!(job.candles.is_empty(), "job {s}: no row");
            continue;
        };
        assert_row_agrees(&merge_row(&kernel, &cpu), &cpu, &format!("job {s}"), job);
    }
}

/// Runs the harness's live mode over `batches` (stride, then per batch the
/// staged plan); the rows of every batch.
fn run_rows_harness(exe: &Path, stride: usize, batches: &[Staging]) -> Vec<Vec<f64>> {
    let mut input = Vec::new();
    let mut put = |v: i64| input.extend_from_slice(&v.to_ne_bytes());
    put(i64::try_from(stride).unwrap());
    put(i64::try_from(batches.len()).unwrap());
    for b in batches {
        put(i64::try_from(b.jobs).unwrap());
        put(i64::try_from(b.count).unwrap());
        b.ints.iter().for_each(|&v| put(v));
        b.values
            .iter()
            .for_each(|v| put(i64::from_ne_bytes(v.to_ne_bytes())));
    }
    let values = harness_f64s(exe, "rows", input);
    let mut rows = Vec::new();
    let mut at = 0;
    for b in batches {
        let n = b.jobs * COLUMN_COUNT;
        rows.push(values[at..at + n].to_vec());
        at += n;
    }
    assert_eq!(at, values.len(), "output size");
    rows
}

/// The live mode without the device: batches of sliding, resized, revised,
/// repeated and oversized windows over more keys than slots, planned by
/// [`ResidentLayout`], run through the scatter and last-row kernels over
/// buffers that persist between batches: every job on the device gets the
/// CPU backend's row, and far fewer candles go up than the jobs hold.
#[test]
fn resident_batches_read_back_the_cpu_backends_rows() {
    let Some(exe) = build_harness() else {
        return;
    };
    const KEYS: usize = 8;
    let series: Vec<Vec<Candle>> = (0..KEYS)
        .map(|k| random_walk(23, k as u64, 700, 0))
        .collect();
    let mut layout = ResidentLayout::new(5, 160);
    let mut end = [150usize; KEYS];
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = |m: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        usize::try_from(rng % m as u64).unwrap()
    };
    let (mut all_jobs, mut plans, mut staged) = (Vec::new(), Vec::new(), Vec::new());
    let (mut held, mut sent) = (0usize, 0usize);
    // Steady ticks first (five keys in five slots, each window sliding by
    // one candle), then churn.
    for batch in 0..60 {
        let steady = batch < 20;
        let picks: Vec<usize> = if steady {
            (0..5).collect()
        } else {
            (0..1 + next(6)).map(|_| next(KEYS)).collect()
        };
        let jobs: Vec<BatteryJob> = picks
            .into_iter()
            .map(|k| {
                end[k] = (end[k] + if steady { 1 } else { next(3) }).min(699);
                let len = match (steady, next(10)) {
                    (true, _) => 120,
                    (false, 0) => 170,
                    (false, 1) => 1 + next(30),
                    _ => 120 + next(30),
                };
                let mut candles = series[k][end[k].saturating_sub(len)..end[k]].to_vec();
                if !steady && next(8) == 0 {
                    candles.last_mut().unwrap().volume += 1.0;
                }
                BatteryJob {
                    symbol: Symbol::new(&format!("K{k}USDT")).unwrap(),
                    timeframe: if k % 2 == 0 {
                        Interval::M1
                    } else {
                        Interval::M5
                    },
                    candles,
                }
            })
            .collect();
        let plan = layout.plan(&jobs);
        if steady && batch > 0 {
            held += jobs.iter().map(|j| j.candles.len()).sum::<usize>();
            sent += plan.uploaded();
        }
        staged.push(plan.staging(&jobs));
        plans.push(plan);
        all_jobs.push(jobs);
    }
    let rows = run_rows_harness(&exe, layout.len(), &staged);
    let mut checked = 0;
    for (b, jobs) in all_jobs.iter().enumerate() {
        for (j, job) in jobs.iter().enumerate() {
            let row = &rows[b][j * COLUMN_COUNT..(j + 1) * COLUMN_COUNT];
            if plans[b].elsewhere.contains(&j) {
                assert!(row.iter().all(|v| v.is_nan()), "batch {b} job {j}");
                continue;
            }
            assert_row_agrees(
                row,
                &compute_job(job).row,
                &format!("batch {b} job {j}"),
                job,
            );
            checked += 1;
        }
    }
    assert!(checked > 60, "{checked} jobs checked");
    // Steady ticks: one candle a job, but a whole window once a slot is
    // full (after 40 appends at 120 of 160).
    assert!(
        sent * 20 < held,
        "steady ticks uploaded {sent} candles for {held} in the jobs"
    );
    eprintln!("{checked} jobs agree; steady ticks uploaded {sent} candles for {held} in the jobs");
}

/// Columns whose live value is computed from the last window alone with
/// running sums (SMA, and the Bollinger bands on it; MFI; StochRSI's
/// smoothing), so it equals the whole run's to rounding, not to the bit.
const ROUNDED_WHEN_LIVE: &[Column] = &[
    Column::StochRsiK,
    Column::StochRsiD,
    Column::Sma20,
    Column::BbUpper,
    Column::BbMiddle,
    Column::BbLower,
    Column::BbPercentB,
    Column::BbWidth,
    Column::Mfi14,
];

/// The live rows (window indicators computed from their last window only)
/// against the grouped batch kernel's last row of the same window: every
/// kernel column bit-equal, except [`ROUNDED_WHEN_LIVE`] (1e-11 relative),
/// at every warm-up, ring and resync edge (windows ending at each of the
/// first 70 candles, and short and long windows starting mid-series), on
/// walks, flat and zero-volume stretches, the golden inputs and the sample.
#[test]
fn live_rows_are_the_batch_kernels_last_rows() {
    let Some(exe) = build_harness() else {
        return;
    };
    let series = series_under_test();
    let mut windows: Vec<&[Candle]> = Vec::new();
    for (_, c) in &series {
        let n = c.len();
        for e in (1..=n.min(70)).chain([n / 2, n].into_iter().filter(|&e| e > 70)) {
            windows.push(&c[..e]);
            for w in [41usize, 61, 500] {
                if e > w {
                    windows.push(&c[e - w..e]);
                }
            }
        }
    }
    // The reference: each window as its own series of the batch kernel.
    let batch = PackedBatch::pack(windows.iter().copied());
    let out = run_harness(&exe, &batch, "groups");
    // The live rows: each window a job of its own key in one batch.
    let jobs: Vec<BatteryJob> = windows
        .iter()
        .enumerate()
        .map(|(i, w)| BatteryJob {
            symbol: Symbol::new(&format!("W{i}USDT")).unwrap(),
            timeframe: Interval::M1,
            candles: w.to_vec(),
        })
        .collect();
    let longest = windows.iter().map(|w| w.len()).max().unwrap();
    let mut layout = ResidentLayout::new(jobs.len(), longest);
    let plan = layout.plan(&jobs);
    assert!(plan.elsewhere.is_empty(), "every window fits a slot");
    let rows = run_rows_harness(&exe, layout.len(), &[plan.staging(&jobs)]).remove(0);
    let mut failures = Vec::new();
    for (j, w) in windows.iter().enumerate() {
        let live = &rows[j * COLUMN_COUNT..(j + 1) * COLUMN_COUNT];
        let Some(whole) = batch.last_row(&out, j) else {
            assert!(live.iter().all(|v| v.is_nan()), "window {j}: empty");
            continue;
        };
        for &c in KERNEL_COLUMNS {
            let (a, b) = (live[c as usize], whole[c as usize]);
            let same = if ROUNDED_WHEN_LIVE.contains(&c) {
                (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-11 * b.abs().max(1.0)
            } else {
                a.to_bits() == b.to_bits()
            };
            if !same {
                failures.push(format!(
                    "window {j} ({} candles) {}: live {a:e} batch {b:e}",
                    w.len(),
                    c.name()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} windows differ:\n{}",
        failures.len(),
        windows.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!("{} windows: live rows equal the batch's", windows.len());
}
