//! End-to-end tests of `qtrade kernels`: the built-in kernels compile to
//! PTX through NVRTC (found through `QTRADE_NVRTC_DIR`, the lib directory of
//! the `nvidia-cuda-nvrtc-cu12` wheel, put on LD_LIBRARY_PATH), a broken
//! source fails with NVRTC's log, and without libnvrtc the command says so
//! and exits non-zero.
//!
//! Without `QTRADE_NVRTC_DIR` the tests that need NVRTC skip with a message,
//! except under CI (`CI` set), where they fail.

use std::path::PathBuf;
use std::process::{Command, Output};

fn nvrtc_dir() -> Option<PathBuf> {
    match std::env::var_os("QTRADE_NVRTC_DIR") {
        Some(d) => {
            let d = PathBuf::from(d);
            assert!(
                d.join("libnvrtc.so.12").exists(),
                "QTRADE_NVRTC_DIR={}: no libnvrtc.so.12 there",
                d.display()
            );
            Some(d)
        }
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "QTRADE_NVRTC_DIR is not set: CI must install the NVRTC wheel (see .ci/run)"
            );
            eprintln!("SKIPPED: QTRADE_NVRTC_DIR is not set (the nvidia-cuda-nvrtc-cu12 lib dir)");
            None
        }
    }
}

fn kernels(lib: Option<&PathBuf>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qtrade"));
    cmd.arg("kernels").args(args);
    match lib {
        Some(d) => cmd.env("LD_LIBRARY_PATH", d),
        None => cmd.env_remove("LD_LIBRARY_PATH"),
    };
    cmd.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("qtrade-kernels-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn the_kernels_compile_and_their_ptx_is_written() {
    let Some(lib) = nvrtc_dir() else { return };
    let dir = temp_dir("emit");
    let o = kernels(
        Some(&lib),
        &["--arch", "sm_90", "--emit-ptx", dir.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let line = out
        .lines()
        .find(|l| l.starts_with("battery.cu sm_90 "))
        .unwrap_or_else(|| panic!("no battery.cu line in {out:?}"));
    let bytes: usize = line.split(' ').nth(2).unwrap().parse().unwrap();
    let ptx = std::fs::read_to_string(dir.join("battery.ptx")).unwrap();
    assert_eq!(ptx.len(), bytes, "the printed size is the PTX written");
    assert!(
        ptx.contains(".target sm_90"),
        "{}",
        &ptx[..ptx.len().min(400)]
    );
    assert!(ptx.contains(".entry battery_kernel"), "no entry point");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_compile_error_fails_with_nvrtcs_log() {
    let Some(lib) = nvrtc_dir() else { return };
    let dir = temp_dir("bad");
    let bad = dir.join("bad.cu");
    std::fs::write(
        &bad,
        "extern \"C\" __global__ void k(double* x) { x[0] = undefined_sym; }\n",
    )
    .unwrap();
    let o = kernels(Some(&lib), &["--file", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    let err = text(&o.stderr);
    assert!(err.contains("undefined_sym"), "no NVRTC log: {err}");
    assert!(err.contains("bad.cu: does not compile"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unknown_arch_is_refused() {
    let o = kernels(None, &["--arch", "sm90"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("unknown --arch"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn without_libnvrtc_it_says_so_and_fails() {
    let o = kernels(None, &["--arch", "sm_90"]);
    if o.status.success() {
        // libnvrtc is on the system's default search path here.
        eprintln!("SKIPPED: libnvrtc loads without LD_LIBRARY_PATH on this machine");
        assert!(text(&o.stdout).contains("battery.cu sm_90"));
        return;
    }
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("libnvrtc"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(o.stdout.is_empty());
}
