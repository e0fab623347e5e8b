//! `qtrade kernels`: compiles every `kernels/*.cu` (compiled into the
//! binary) to PTX through the same NVRTC path the node uses, and prints
//! each file's PTX size; `--emit-ptx DIR` also writes the PTX, for ptxas
//! in CI. `--file` compiles other sources instead (kernel work in
//! progress, and the test of the compile-error path). Needs libnvrtc only,
//! no GPU and no driver.

use crate::gpu::guard::{GpuError, Libraries};
use crate::gpu::kernel_source::ALL;
use crate::gpu::nvrtc;
use anyhow::{Context as _, bail};
use std::path::PathBuf;

/// Arguments of `qtrade kernels`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// GPU architecture to compile for (sm_50 ... sm_120).
    #[arg(long, default_value = nvrtc::DEFAULT_ARCH)]
    pub arch: String,
    /// Also write each kernel's PTX to DIR (battery.cu as DIR/battery.ptx).
    #[arg(long, value_name = "DIR")]
    pub emit_ptx: Option<PathBuf>,
    /// Compile these .cu files instead of the built-in kernels.
    #[arg(long, value_name = "FILE")]
    pub file: Vec<PathBuf>,
}

/// Runs the command.
///
/// # Errors
/// An unknown architecture, no libnvrtc, a kernel that does not compile
/// (with NVRTC's log), or an unwritable `--emit-ptx` directory.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let Some(arch) = nvrtc::arch(&args.arch) else {
        bail!(
            "unknown --arch {:?}: expected one of {}",
            args.arch,
            nvrtc::ARCHES.join(" ")
        );
    };
    if let Err(e @ GpuError::NvrtcMissing) = Libraries::detect().require_nvrtc() {
        bail!("cannot compile kernels: {e}");
    }
    if let Some(dir) = &args.emit_ptx {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut sources: Vec<(String, String)> = Vec::new();
    for path in &args.file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        sources.push((name, text));
    }
    if args.file.is_empty() {
        sources = ALL
            .iter()
            .map(|k| (k.file.to_owned(), k.text.to_owned()))
            .collect();
    }
    for (file, text) in &sources {
        match nvrtc::compile_text(file, text, arch) {
            Ok(ptx) => {
                println!("{file} {arch} {} bytes of PTX", ptx.len());
                if let Some(dir) = &args.emit_ptx {
                    let path = dir.join(file.replace(".cu", ".ptx"));
                    std::fs::write(&path, &ptx)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                }
            }
            // The log spans lines: print it whole before the one-line error.
            Err(GpuError::Compile { file, status, log }) => {
                eprintln!("{log}");
                bail!("{file}: does not compile for {arch} ({status})");
            }
            Err(e) => return Err(e).with_context(|| format!("{file}: cannot compile")),
        }
    }
    Ok(())
}
