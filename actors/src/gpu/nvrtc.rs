//! Kernel sources to PTX with NVRTC, the one compile path of the node and
//! of `qtrade kernels`.
//!
//! Contraction into fused multiply-adds is off (`--fmad=false`): the CPU
//! battery rounds every product and sum separately, and the GPU must give
//! the same numbers to 1e-9 relative (shared/INDICATORS.md, Tolerance).

use super::guard::{GpuError, Libraries};
use super::kernel_source::KernelSource;
use cudarc::nvrtc::{CompileError, CompileOptions, Ptx};

/// GPU architectures `--arch` accepts (NVRTC 12.9 targets).
pub const ARCHES: &[&str] = &[
    "sm_50", "sm_52", "sm_53", "sm_60", "sm_61", "sm_62", "sm_70", "sm_72", "sm_75", "sm_80",
    "sm_86", "sm_87", "sm_89", "sm_90", "sm_90a", "sm_100", "sm_120",
];

/// The architecture NVRTC is asked for when none is given.
pub const DEFAULT_ARCH: &str = "sm_90";

/// `name` as one of [`ARCHES`] (NVRTC's options want a `'static` str).
#[must_use]
pub fn arch(name: &str) -> Option<&'static str> {
    ARCHES.iter().copied().find(|a| *a == name)
}

/// The options every kernel is compiled with.
#[must_use]
pub fn options(arch: &'static str) -> CompileOptions {
    CompileOptions {
        arch: Some(arch),
        fmad: Some(false),
        prec_div: Some(true),
        prec_sqrt: Some(true),
        ftz: Some(false),
        name: None,
        ..CompileOptions::default()
    }
}

/// Compiles the source text `text` of kernel file `file` to PTX text for
/// `arch`.
///
/// # Errors
/// [`GpuError::NvrtcMissing`] when libnvrtc does not load (checked before
/// calling cudarc, which would panic), [`GpuError::Compile`] with NVRTC's
/// log when the source does not compile.
pub fn compile_text(file: &str, text: &str, arch: &'static str) -> Result<String, GpuError> {
    Libraries::detect().require_nvrtc()?;
    let mut opts = options(arch);
    opts.name = Some(file.to_owned());
    cudarc::nvrtc::compile_ptx_with_opts(text, opts)
        .map(|ptx: Ptx| ptx.to_src())
        .map_err(|e| compile_error(file.to_owned(), e))
}

/// [`compile_text`] of a built-in kernel source.
///
/// # Errors
/// As [`compile_text`].
pub fn compile(src: &KernelSource, arch: &'static str) -> Result<String, GpuError> {
    compile_text(src.file, src.text, arch)
}

fn compile_error(file: String, e: CompileError) -> GpuError {
    match e {
        CompileError::CompileError { nvrtc, log, .. } => GpuError::Compile {
            file,
            status: format!("{nvrtc:?}"),
            log: log.to_string_lossy().trim_end().to_owned(),
        },
        other => GpuError::Compile {
            file,
            status: format!("{other:?}"),
            log: String::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arch_names_are_checked() {
        assert_eq!(arch("sm_90"), Some("sm_90"));
        assert_eq!(arch("sm90"), None);
        assert_eq!(options("sm_80").fmad, Some(false));
    }
}
