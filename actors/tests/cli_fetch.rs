//! `qtrade fetch` against the real `qtrade sim-exchange`: a range fetched
//! in two runs, one of them killed midway and one leaving a torn last
//! line, ends up as one file with every bar once, equal to the venue's.

mod sim_support;

use quantumtrade::market::kline_csv::read_klines_path;
use sim_support::Sim;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const M: i64 = 60_000;

fn fetch(sim: &Sim, out: &Path, start: i64, end: i64, page: u32) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_qtrade"));
    c.args([
        "fetch",
        "--symbols",
        "SYN000USDT,syn001usdt",
        "--interval",
        "1m",
    ])
    .args(["--start", &start.to_string(), "--end", &end.to_string()])
    .arg("--out")
    .arg(out)
    .args(["--base-url", &sim.http(), "--page", &page.to_string()])
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    c
}

fn run_ok(mut c: Command) {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn server_time(sim: &Sim) -> i64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let body: serde_json::Value = reqwest::get(format!("{}/fapi/v1/time", sim.http()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["serverTime"].as_i64().unwrap()
    })
}

fn out_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("qtrade-fetch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn assert_complete(file: &Path, start: i64, end: i64) {
    let candles = read_klines_path(file).unwrap();
    let opens: Vec<i64> = candles.iter().map(|c| c.open_time).collect();
    let want: Vec<i64> = (start..end).step_by(usize::try_from(M).unwrap()).collect();
    assert_eq!(opens, want, "{}", file.display());
}

#[test]
fn two_runs_with_a_torn_line_make_one_gap_free_file() {
    let sim = Sim::start("");
    let now = server_time(&sim);
    let start = (now - 200 * M).div_euclid(M) * M;
    let (mid, end) = (start + 47 * M, start + 150 * M);
    let out = out_dir("twice");
    run_ok(fetch(&sim, &out, start, mid, 20));
    let file = out.join("SYN000USDT-1m.csv");
    assert_complete(&file, start, mid);
    // A run killed in the middle of a write leaves half a line.
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(&format!("{mid},1.5,1."));
    std::fs::write(&file, text).unwrap();
    run_ok(fetch(&sim, &out, start, end, 20));
    assert_complete(&file, start, end);
    assert_complete(&out.join("SYN001USDT-1m.csv"), start, end);
    // A third run has nothing to add.
    run_ok(fetch(&sim, &out, start, end, 20));
    assert_complete(&file, start, end);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_killed_run_resumes_without_gap_or_duplicate() {
    let sim = Sim::start("");
    let now = server_time(&sim);
    let start = (now - 230 * M).div_euclid(M) * M;
    let end = start + 220 * M;
    let out = out_dir("killed");
    // Small pages so the run takes many requests; kill it once the first
    // file has rows (wherever it then is, the rerun must complete it).
    let mut child = fetch(&sim, &out, start, end, 2).spawn().unwrap();
    let file = out.join("SYN000USDT-1m.csv");
    for _ in 0..200 {
        if std::fs::metadata(&file).is_ok_and(|m| m.len() > 200) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    let at_kill = std::fs::read_to_string(&file).map_or(0, |t| t.lines().count());
    eprintln!("killed with {at_kill} lines of 221 in the first file");
    run_ok(fetch(&sim, &out, start, end, 50));
    assert_complete(&file, start, end);
    assert_complete(&out.join("SYN001USDT-1m.csv"), start, end);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn an_unknown_symbol_fails_with_one_line() {
    let sim = Sim::start("");
    let out = out_dir("unknown");
    let mut c = Command::new(env!("CARGO_BIN_EXE_qtrade"));
    c.args([
        "fetch",
        "--symbols",
        "NOPEUSDT",
        "--start",
        "2026-01-01",
        "--end",
        "2026-01-02",
    ])
    .arg("--out")
    .arg(&out)
    .args(["--base-url", &sim.http()]);
    let o = c.output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("qtrade: error: klines of NOPEUSDT"),
        "{err}"
    );
    assert!(last.contains("-1121"), "{err}");
    let _ = std::fs::remove_dir_all(&out);
}
