//! How the CUDA backend launches and times its kernels, in both modes: the
//! launch shape (a block of [`BLOCK`] threads along x, one block row per
//! indicator group or task along y), CUDA events around each phase, and
//! driver errors as [`GpuError`].

use super::guard::GpuError;
use cudarc::driver::{CudaEvent, CudaStream, LaunchConfig, sys};

/// Threads per block: one series or job per thread, a few hundred a batch.
pub(super) const BLOCK: u32 = 128;

/// A driver call's error as the backend reports it.
pub(super) fn driver(e: impl std::fmt::Debug) -> GpuError {
    GpuError::Driver(format!("{e:?}"))
}

/// The launch shape for `threads` threads along x, `rows` block rows along
/// y (the indicator groups or tasks).
pub(super) fn launch_config(threads: usize, rows: u32) -> Result<LaunchConfig, GpuError> {
    let blocks = u32::try_from(threads).map_err(driver)?.div_ceil(BLOCK);
    Ok(LaunchConfig {
        grid_dim: (blocks.max(1), rows, 1),
        block_dim: (BLOCK, 1, 1),
        shared_mem_bytes: 0,
    })
}

/// A timing event recorded on `stream` now.
pub(super) fn mark(stream: &CudaStream) -> Result<CudaEvent, GpuError> {
    stream
        .record_event(Some(sys::CUevent_flags::CU_EVENT_DEFAULT))
        .map_err(driver)
}

/// Seconds between two events (waits for `b`).
pub(super) fn between(a: &CudaEvent, b: &CudaEvent) -> Result<f64, GpuError> {
    Ok(f64::from(a.elapsed_ms(b).map_err(driver)?) / 1e3)
}
