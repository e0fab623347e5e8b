//! `[indicators] backend` on a machine without CUDA, end to end through
//! `qtrade run`: "auto" starts on the CPU, says so once on stderr and in
//! `qtrade_gpu_backend_info{backend="cpu",reason="driver_missing"} 1`;
//! "cuda" refuses to start with a clear error. Skips on a machine that has
//! an NVIDIA driver (`/dev/nvidiactl`), where neither outcome is expected.

use std::io::{BufRead, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const CONFIG: &str = "[node]\nspeed = 600.0\n[market]\nsymbols = 8\nwarmup_minutes = 60\n";

fn has_driver() -> bool {
    Path::new("/dev/nvidiactl").exists()
}

fn setup(name: &str, backend: &str) -> (PathBuf, Command) {
    let dir = std::env::temp_dir().join(format!("qtrade-gpu-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("node.toml");
    std::fs::write(
        &config,
        format!("{CONFIG}[indicators]\nbackend = \"{backend}\"\n"),
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qtrade"));
    cmd.args(["run", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    (dir, cmd)
}

#[tokio::test]
async fn auto_falls_back_to_the_cpu_and_says_so_once() {
    if has_driver() {
        eprintln!("SKIPPED: an NVIDIA driver is present");
        return;
    }
    let (dir, mut cmd) = setup("auto", "auto");
    let mut child = cmd.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let url = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .trim()
        .to_owned();
    // Give the dispatcher a few batches, then read the metric.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let metrics = reqwest::get(format!("{url}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        metrics.contains("# HELP qtrade_gpu_backend_info "),
        "no help text for qtrade_gpu_backend_info"
    );
    let info: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("qtrade_gpu_backend_info{"))
        .collect();
    assert_eq!(info.len(), 1, "{info:?}");
    assert!(
        info[0].contains("backend=\"cpu\"")
            && info[0].contains("reason=\"driver_missing\"")
            && info[0].ends_with(" 1"),
        "{}",
        info[0]
    );
    let notes: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("computing on the CPU"))
        .collect();
    assert_eq!(notes.len(), 1, "{stderr}");
    assert!(notes[0].contains("libcuda"), "{}", notes[0]);
}

#[test]
fn cuda_refuses_to_start_without_a_gpu() {
    if has_driver() {
        eprintln!("SKIPPED: an NVIDIA driver is present");
        return;
    }
    let (dir, mut cmd) = setup("cuda", "cuda");
    let o = cmd.output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        o.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("indicators.backend = \"cuda\" needs a usable CUDA GPU")
            && err.contains("libcuda"),
        "{err}"
    );
}
