//! The CUDA battery backend, in two modes:
//! - batch ([`CudaBackend::table`], `qtrade indicators --device gpu`): whole
//!   histories packed into the kernel's structure-of-arrays layout
//!   ([`PackedBatch`]), kernels/battery.cu with one thread per series, every
//!   row read back;
//! - live (the dispatcher's batches, [`BatteryBackend::run`]): windows
//!   resident on the device ([`super::resident`]), only new candles up and
//!   only each job's last row back.
//!
//! Columns the kernel does not compute (none today: `KERNEL_COLUMNS` is all
//! 34) come from the CPU battery.
//!
//! UNVERIFIED ON HARDWARE: written and built on a machine with no GPU. The
//! kernel bodies are checked on the CPU (tests/kernels_host.rs), the source
//! compiles with NVRTC and assembles with ptxas in CI, and the buffer
//! bookkeeping is unit-tested in `quantumtrade::node::battery_layout`; the
//! device calls below have never run.

use super::guard::{GpuError, Libraries};
use super::kernel_source::BATTERY;
use super::launch::{between, driver, launch_config, mark};
use super::nvrtc;
use super::resident::ResidentBattery;
use cudarc::driver::sys::CUdevice_attribute;
use cudarc::driver::{CudaContext, CudaFunction, CudaSlice, CudaStream, PushKernelArg as _};
use cudarc::nvrtc::Ptx;
use quantumtrade::indicators::battery::{COLUMN_COUNT, ColumnSet, Table, compute_selected};
use quantumtrade::market::{Candle, OhlcvSeries};
use quantumtrade::node::battery_batch::{
    BatteryBackend, BatteryJob, BatteryResult, DeviceTimes, compute_job,
};
use quantumtrade::node::battery_layout::{
    KERNEL_COLUMNS, PackedBatch, cpu_only_columns, merge_row,
};
use quantumtrade::node::gpu_check::{BatchTimings, DeviceInfo, copy_bandwidth, cuda_version_text};
use rayon::prelude::*;
use std::sync::Arc;
use std::time::Instant;

/// The battery on GPU 0.
pub struct CudaBackend {
    stream: Arc<CudaStream>,
    kernel: CudaFunction,
    groups_kernel: CudaFunction,
    batch_kernel: BatchKernel,
    resident: ResidentBattery,
    /// The columns the kernels leave to the CPU (`cpu_only_columns`).
    cpu_part: ColumnSet,
    times: Option<DeviceTimes>,
    device: String,
    failed_once: bool,
}

impl std::fmt::Debug for CudaBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CudaBackend")
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

/// Which kernel a whole-history batch runs (the device check times both).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BatchKernel {
    /// `battery_kernel`: one thread per series, the whole battery.
    PerSeries,
    /// `battery_groups_kernel`: one thread per series and indicator group.
    #[default]
    Grouped,
    /// `battery_groups_kernel` launched with only its first `n` tasks (1
    /// to [`BATCH_TASKS`]): a profile, not a battery. The tasks run side by
    /// side, so a prefix's kernel time is its slowest task's, and the `n`
    /// where the time jumps names the task that bounds the batch.
    GroupedFirst(u32),
}

impl BatchKernel {
    /// Thread blocks along y (the indicator groups and CCI's chunks).
    fn groups(self) -> u32 {
        match self {
            Self::PerSeries => 1,
            Self::Grouped => BATCH_TASKS,
            Self::GroupedFirst(n) => n.clamp(1, BATCH_TASKS),
        }
    }
}

/// Tasks of `battery_groups_kernel` (`QT_BATCH_TASKS` in battery.cu): the
/// indicator groups, CCI split in three stretches of the history.
pub const BATCH_TASKS: u32 = 19;

/// Device copies of a packed batch's inputs.
struct BatchInputs {
    open_time: CudaSlice<i64>,
    high: CudaSlice<f64>,
    low: CudaSlice<f64>,
    close: CudaSlice<f64>,
    volume: CudaSlice<f64>,
    offsets: CudaSlice<i64>,
}

impl CudaBackend {
    /// Opens GPU 0 and loads the battery kernel, compiled for the device's
    /// architecture.
    ///
    /// # Errors
    /// A missing library (checked first: cudarc would panic), no device, or
    /// a kernel that does not compile or load.
    pub fn new() -> Result<Self, GpuError> {
        Libraries::detect().require_all()?;
        let ctx = CudaContext::new(0).map_err(driver)?;
        let device = ctx.name().map_err(driver)?;
        let (major, minor) = ctx.compute_capability().map_err(driver)?;
        let arch = nvrtc::arch(&format!("sm_{major}{minor}")).unwrap_or(nvrtc::DEFAULT_ARCH);
        let ptx = nvrtc::compile(&BATTERY, arch)?;
        let module = ctx.load_module(Ptx::from_src(ptx)).map_err(driver)?;
        let load = |name: &str| module.load_function(name).map_err(driver);
        let kernel = load("battery_kernel")?;
        let groups_kernel = load("battery_groups_kernel")?;
        let resident = ResidentBattery::new(
            load("scatter_candles_kernel")?,
            load("battery_rows_kernel")?,
        );
        Ok(Self {
            stream: ctx.default_stream(),
            kernel,
            groups_kernel,
            batch_kernel: BatchKernel::default(),
            resident,
            cpu_part: cpu_only_columns(),
            times: None,
            device,
            failed_once: false,
        })
    }

    /// The whole battery table of one series: the kernel's columns from
    /// the GPU, the others from the CPU (`qtrade indicators --device gpu`).
    ///
    /// # Errors
    /// A driver error.
    pub fn table(&self, candles: &[Candle]) -> Result<Table, GpuError> {
        let batch = PackedBatch::pack([candles]);
        let out = self.launch(&batch)?;
        let mut table = compute_selected(&OhlcvSeries::from(candles), self.cpu_part);
        for &c in KERNEL_COLUMNS {
            table.columns[c as usize] = batch.column(&out, c, 0).to_vec();
        }
        Ok(table)
    }

    /// Launches only the first `n` indicator groups of the live kernel
    /// from now on ([`ResidentBattery::set_groups`]): a profile for the
    /// device check, never the node's setting.
    pub fn set_live_groups(&mut self, n: u32) {
        self.resident.set_groups(n);
    }

    /// The kernel whole-history batches run ([`BatchKernel::Grouped`]
    /// unless set).
    pub fn set_batch_kernel(&mut self, kernel: BatchKernel) {
        self.batch_kernel = kernel;
    }

    /// The kernel's output buffer for `batch`.
    fn launch(&self, batch: &PackedBatch) -> Result<Vec<f64>, GpuError> {
        let s = &self.stream;
        let mut out = self.alloc_output(batch)?;
        let inputs = self.upload(batch)?;
        self.launch_on(batch, &inputs, &mut out, self.batch_kernel)?;
        s.clone_dtoh(&out).map_err(driver)
    }

    /// A zeroed output buffer for `batch`.
    fn alloc_output(&self, batch: &PackedBatch) -> Result<CudaSlice<f64>, GpuError> {
        self.stream
            .alloc_zeros::<f64>(batch.output_len().max(1))
            .map_err(driver)
    }

    /// `batch`'s inputs copied to the device.
    fn upload(&self, batch: &PackedBatch) -> Result<BatchInputs, GpuError> {
        let s = &self.stream;
        Ok(BatchInputs {
            open_time: s.clone_htod(&batch.open_time).map_err(driver)?,
            high: s.clone_htod(&batch.high).map_err(driver)?,
            low: s.clone_htod(&batch.low).map_err(driver)?,
            close: s.clone_htod(&batch.close).map_err(driver)?,
            volume: s.clone_htod(&batch.volume).map_err(driver)?,
            offsets: s.clone_htod(&batch.offsets).map_err(driver)?,
        })
    }

    /// Launches `which` over uploaded `inputs` into `out` (from
    /// [`Self::alloc_output`] for the same kernel).
    fn launch_on(
        &self,
        batch: &PackedBatch,
        inputs: &BatchInputs,
        out: &mut CudaSlice<f64>,
        which: BatchKernel,
    ) -> Result<(), GpuError> {
        let symbols = i32::try_from(batch.symbols()).map_err(driver)?;
        let total = i64::try_from(batch.total()).map_err(driver)?;
        let cfg = launch_config(batch.symbols(), which.groups())?;
        let kernel = match which {
            BatchKernel::PerSeries => &self.kernel,
            BatchKernel::Grouped | BatchKernel::GroupedFirst(_) => &self.groups_kernel,
        };
        let mut launch = self.stream.launch_builder(kernel);
        launch
            .arg(&inputs.open_time)
            .arg(&inputs.high)
            .arg(&inputs.low)
            .arg(&inputs.close)
            .arg(&inputs.volume)
            .arg(&inputs.offsets)
            .arg(&symbols)
            .arg(&total)
            .arg(out);
        // SAFETY: both kernels take (i64 open times and four f64 arrays of
        // `total`, i64 offsets of symbols + 1, i32 symbols, i64 total, an f64
        // output of COLUMN_COUNT × total, as alloc_output sizes it); each
        // thread reads and writes only its own symbol's range, and a group
        // (or a CCI stretch) only its own cells.
        #[expect(unsafe_code, reason = "a kernel launch is unsafe in cudarc")]
        let launched = unsafe { launch.launch(cfg) };
        launched.map(drop).map_err(driver)
    }

    fn try_run(&mut self, jobs: &[BatteryJob]) -> Result<Vec<BatteryResult>, GpuError> {
        let (rows, times) = self.resident.run(&self.stream, jobs)?;
        self.times = Some(times);
        let cpu_part = self.cpu_part;
        Ok(jobs
            .par_iter()
            .zip(rows)
            .map(|(job, row)| {
                let row = match row {
                    // Not on the device (see ResidentPlan::elsewhere).
                    None => compute_job(job).row,
                    Some(kernel_row) if cpu_part == ColumnSet::default() => kernel_row,
                    Some(_) if job.candles.is_empty() => [f64::NAN; COLUMN_COUNT],
                    Some(kernel_row) => {
                        let t =
                            compute_selected(&OhlcvSeries::from(job.candles.as_slice()), cpu_part);
                        merge_row(&kernel_row, &t.row(t.len() - 1))
                    }
                };
                BatteryResult {
                    symbol: job.symbol.clone(),
                    timeframe: job.timeframe,
                    open_time: job.open_time(),
                    row,
                    window: job.candles.len(),
                }
            })
            .collect())
    }
}

impl BatteryBackend for CudaBackend {
    fn name(&self) -> &'static str {
        "cuda"
    }

    fn device_times(&self) -> Option<DeviceTimes> {
        self.times
    }

    fn run(&mut self, jobs: &[BatteryJob]) -> Vec<BatteryResult> {
        self.times = None;
        match self.try_run(jobs) {
            Ok(results) => results,
            Err(e) => {
                // A failed batch is computed on the CPU rather than lost;
                // said once, counted always.
                if !self.failed_once {
                    eprintln!("qtrade: CUDA batch failed, computing on the CPU: {e}");
                    self.failed_once = true;
                }
                metrics::counter!("qtrade_errors_total", "kind" => "cuda_batch").increment(1);
                jobs.par_iter().map(compute_job).collect()
            }
        }
    }
}

// The device check's hooks (actors/examples/gpu_check.rs): the batch with
// each phase timed on the device, a bandwidth probe, and what the driver
// says about the device. Kept apart from the backend above, which the node
// runs, so that either can change without the other.

impl CudaBackend {
    /// What the driver and NVRTC report about GPU 0.
    ///
    /// # Errors
    /// A driver error.
    pub fn device_info(&self) -> Result<DeviceInfo, GpuError> {
        let ctx = self.stream.context();
        let (major, minor) = ctx.compute_capability().map_err(driver)?;
        let multiprocessors = ctx
            .attribute(CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
            .map_err(driver)?;
        let memory_bytes = ctx.total_mem().map_err(driver)? as u64;
        Ok(DeviceInfo {
            name: ctx.name().map_err(driver)?,
            arch: format!("sm_{major}{minor}"),
            multiprocessors,
            memory_bytes,
            driver_cuda_version: driver_cuda_version(),
            nvrtc_version: nvrtc_version(),
        })
    }

    /// [`Self::timed_batch_with`] the backend's batch kernel.
    ///
    /// # Errors
    /// A driver error.
    pub fn timed_batch(&self, batch: &PackedBatch) -> Result<(Vec<f64>, BatchTimings), GpuError> {
        self.timed_batch_with(batch, self.batch_kernel)
    }

    /// Runs `which` over `batch` (the node's launch: same kernel, grid and
    /// arguments) and returns the battery's columns of its output buffer
    /// with the device time of upload, kernel and download (CUDA events)
    /// and the host wall time of the call (zeroing the output buffer
    /// included there only).
    ///
    /// # Errors
    /// A driver error.
    pub fn timed_batch_with(
        &self,
        batch: &PackedBatch,
        which: BatchKernel,
    ) -> Result<(Vec<f64>, BatchTimings), GpuError> {
        let s = &self.stream;
        let started = Instant::now();
        if batch.total() == 0 {
            return Ok((Vec::new(), BatchTimings::default()));
        }
        // Allocated and zeroed before the first event: the node's launch
        // zeroes too, but that is not the kernel's traffic.
        let mut out = self.alloc_output(batch)?;
        let e0 = mark(s)?;
        let inputs = self.upload(batch)?;
        let e1 = mark(s)?;
        self.launch_on(batch, &inputs, &mut out, which)?;
        let e2 = mark(s)?;
        let host = s.clone_dtoh(&out).map_err(driver)?;
        let e3 = mark(s)?;
        s.synchronize().map_err(driver)?;
        let wall_s = started.elapsed().as_secs_f64();
        let timings = BatchTimings {
            upload_s: between(&e0, &e1)?,
            kernel_s: between(&e1, &e2)?,
            download_s: between(&e2, &e3)?,
            wall_s,
        };
        Ok((host, timings))
    }

    /// Device-memory bandwidth in bytes/s (read + write), from `repeats`
    /// device-to-device copies of `bytes` bytes timed with CUDA events
    /// after one untimed copy.
    ///
    /// # Errors
    /// A driver error (out of memory among them).
    pub fn copy_bandwidth(&self, bytes: usize, repeats: u32) -> Result<f64, GpuError> {
        let s = &self.stream;
        let n = (bytes / 8).max(1);
        let src = s.alloc_zeros::<f64>(n).map_err(driver)?;
        let mut dst = s.alloc_zeros::<f64>(n).map_err(driver)?;
        s.memcpy_dtod(&src, &mut dst).map_err(driver)?;
        let start = mark(s)?;
        for _ in 0..repeats {
            s.memcpy_dtod(&src, &mut dst).map_err(driver)?;
        }
        let end = mark(s)?;
        let seconds = between(&start, &end)?;
        s.synchronize().map_err(driver)?;
        Ok(copy_bandwidth((n * 8) as u64 * u64::from(repeats), seconds))
    }
}

/// The CUDA version the driver supports, when it answers.
fn driver_cuda_version() -> Option<String> {
    let mut v = 0;
    // SAFETY: libcuda is loaded (the backend exists); the call only writes
    // the int it is given.
    #[expect(
        unsafe_code,
        reason = "cudarc has no safe wrapper for the driver version"
    )]
    let status = unsafe { cudarc::driver::sys::cuDriverGetVersion(&raw mut v) };
    (status == cudarc::driver::sys::CUresult::CUDA_SUCCESS).then(|| cuda_version_text(v))
}

/// NVRTC's version, when it answers.
fn nvrtc_version() -> Option<String> {
    let (mut major, mut minor) = (0, 0);
    // SAFETY: libnvrtc is loaded (the kernel compiled); the call only
    // writes the two ints it is given.
    #[expect(unsafe_code, reason = "cudarc has no safe wrapper for NVRTC's version")]
    let status = unsafe { cudarc::nvrtc::sys::nvrtcVersion(&raw mut major, &raw mut minor) };
    (status == cudarc::nvrtc::sys::nvrtcResult::NVRTC_SUCCESS).then(|| format!("{major}.{minor}"))
}

#[cfg(test)]
mod device_check_tests {
    use crate::gpu::kernel_source::BATTERY;

    /// `launch_on` passes both batch kernels the same arguments; a change
    /// of either kernel's parameters must show here, on a machine without
    /// a GPU, not as a bad launch in a short device session.
    #[test]
    fn the_batch_launch_matches_both_kernel_signatures() {
        let text: String = BATTERY
            .text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for name in ["battery_kernel", "battery_groups_kernel"] {
            let from = text.find(&format!("void {name}(")).unwrap();
            let from = from + text[from..].find('(').unwrap();
            let to = from + text[from..].find(')').unwrap() + 1;
            assert_eq!(
                &text[from..to],
                "(const long long* open_time, const double* high, \
                 const double* low, const double* close, const double* volume, \
                 const long long* offsets, int symbols, long long total, double* out)",
                "{name}"
            );
        }
    }

    /// The grouped kernel's shape here is battery.cu's.
    #[test]
    fn the_grouped_launch_shape_matches_the_kernel_source() {
        use super::BatchKernel;
        let groups = BatchKernel::Grouped.groups();
        assert!(
            BATTERY
                .text
                .contains(&format!("#define QT_BATCH_TASKS {groups}\n"))
        );
    }
}
