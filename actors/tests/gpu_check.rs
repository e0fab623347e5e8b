//! The device check (`examples/gpu_check.rs`) without a GPU: on a machine
//! without CUDA it must say in one line what is missing and exit 2, without
//! a panic (cudarc's, were the guard skipped) and without a report (skipped
//! where an NVIDIA driver is present, `/dev/nvidiactl`); and its dry run,
//! a CPU stand-in in the GPU's place, must go through every step and write
//! the whole report, so that the device session's few minutes are not
//! spent on the check's own bugs. The example is built here through cargo,
//! as a test cannot name an example's binary.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn has_driver() -> bool {
    Path::new("/dev/nvidiactl").exists()
}

/// The example's executable, built once.
fn gpu_check_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(build_gpu_check)
}

/// Builds the example in this test's profile and returns its executable.
fn build_gpu_check() -> PathBuf {
    // target/<profile>/deps/<this test>: the profile directory names the
    // profile the test was built in, so the build below reuses its
    // artifacts.
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev".to_owned(),
        Some(other) => other.to_owned(),
    };
    let out = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "build",
            "--quiet",
            "-p",
            "quantumtrade-actors",
            "--example",
            "gpu_check",
            "--profile",
            &profile,
            "--message-format=json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "building the example failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "gpu_check")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo named no gpu_check executable")
}

#[test]
fn without_cuda_the_check_names_what_is_missing_and_exits_2() {
    if has_driver() {
        eprintln!("SKIPPED: an NVIDIA driver is present");
        return;
    }
    let bin = gpu_check_binary();
    let dir = std::env::temp_dir().join(format!("qtrade-gpu-check-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let o = Command::new(bin)
        .args(["--quick", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        o.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected: {stderr}");
    assert!(
        lines[0].starts_with("gpu_check: CUDA is not usable here: ")
            && lines[0].contains("libcuda")
            && lines[0].contains("nothing was measured"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!dir.exists(), "no report without a device");
}

#[test]
fn a_dry_run_goes_through_every_step_and_writes_the_report() {
    let dir = std::env::temp_dir().join(format!("qtrade-gpu-dry-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let klines = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/klines");
    let o = Command::new(gpu_check_binary())
        .args([
            "--dry-run",
            "--quick",
            "--seed",
            "7",
            "--symbols",
            "6",
            "--candles",
            "400",
            "--window",
            "60",
            "--ticks",
            "4",
            "--klines",
        ])
        .arg(&klines)
        .arg("--out")
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stderr}\n{stdout}");
    let md = std::fs::read_to_string(dir.join("gpu_check.md")).unwrap();
    assert_eq!(md, stdout, "stdout is the report");
    for want in [
        "# GPU check: CPU stand-in (--dry-run: no GPU was measured)",
        "mode: quick, dry run on the CPU; seed: 7",
        "| real 1m candles, `CudaBackend::table` (4 files) | 4 |",
        "| real 1m candles, one ragged batch (4 files) | 4 |",
        "| random walk, ragged lengths 0..1000 | 29 | 2061 |",
        "| random walk, the timed batch (6 × 400) | 6 | 2400 |",
        "| live tick rows, `BatteryBackend::run` (3 ticks × 6 symbols, last rows) | 6 | 360 |",
        "## Batch throughput: 6 symbols × 400 candles (median of 2)",
        "## Live tick: 6 symbols, one new 1m candle each, window 60 (after 5 warm-up ticks)",
        "CUDA fallbacks to the CPU during the ticks: 0.",
        "Overall: correctness PASSED.",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }
    assert!(!md.contains("## Errors"), "{md}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("gpu_check.json")).unwrap())
            .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(json["seed"], 7);
    assert_eq!(json["errors"].as_array().map(Vec::len), Some(0));
    let cases = json["correctness"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for c in cases {
        let columns = c["agreement"]["columns"].as_array().unwrap();
        assert_eq!(columns.len(), 34, "{}", c["name"]);
        let compared: u64 = columns
            .iter()
            .map(|k| k["compared"].as_u64().unwrap())
            .sum();
        assert!(compared > 0, "{}", c["name"]);
    }
    assert_eq!(json["batch"]["floor"]["candles"], 2400);
    assert_eq!(json["batch"]["floor"]["bytes_written"], 2400 * 34 * 8);
    assert_eq!(json["tick"]["gpu"]["samples"], 4);
    assert_eq!(json["tick"]["cpu"]["samples"], 4);
}
