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
use super::nvrtc;
use super::resident::ResidentBattery;
use cudarc::driver::{CudaContext, CudaFunction, CudaStream, LaunchConfig, PushKernelArg as _};
use cudarc::nvrtc::Ptx;
use quantumtrade::indicators::battery::{COLUMN_COUNT, ColumnSet, Table, compute_selected};
use quantumtrade::market::{Candle, OhlcvSeries};
use quantumtrade::node::battery_batch::{
    BatteryBackend, BatteryJob, BatteryResult, DeviceTimes, compute_job,
};
use quantumtrade::node::battery_layout::{
    KERNEL_COLUMNS, PackedBatch, cpu_only_columns, merge_row,
};
use rayon::prelude::*;
use std::sync::Arc;

/// Threads per block: one symbol per thread, a few hundred symbols a batch.
const BLOCK: u32 = 128;

/// The battery on GPU 0.
pub struct CudaBackend {
    stream: Arc<CudaStream>,
    kernel: CudaFunction,
    resident: ResidentBattery,
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

fn driver(e: impl std::fmt::Debug) -> GpuError {
    GpuError::Driver(format!("{e:?}"))
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
        let resident = ResidentBattery::new(
            load("scatter_candles_kernel")?,
            load("battery_rows_kernel")?,
        );
        Ok(Self {
            stream: ctx.default_stream(),
            kernel,
            resident,
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
        let mut table = compute_selected(&OhlcvSeries::from(candles), cpu_only_columns());
        for &c in KERNEL_COLUMNS {
            table.columns[c as usize] = batch.column(&out, c, 0).to_vec();
        }
        Ok(table)
    }

    /// The kernel's output buffer for `batch`.
    fn launch(&self, batch: &PackedBatch) -> Result<Vec<f64>, GpuError> {
        let s = &self.stream;
        let symbols = i32::try_from(batch.symbols()).map_err(driver)?;
        let total = i64::try_from(batch.total()).map_err(driver)?;
        let open_time = s.clone_htod(&batch.open_time).map_err(driver)?;
        let high = s.clone_htod(&batch.high).map_err(driver)?;
        let low = s.clone_htod(&batch.low).map_err(driver)?;
        let close = s.clone_htod(&batch.close).map_err(driver)?;
        let volume = s.clone_htod(&batch.volume).map_err(driver)?;
        let offsets = s.clone_htod(&batch.offsets).map_err(driver)?;
        let mut out = s
            .alloc_zeros::<f64>(batch.output_len().max(1))
            .map_err(driver)?;
        let blocks = u32::try_from(batch.symbols())
            .map_err(driver)?
            .div_ceil(BLOCK);
        let cfg = LaunchConfig {
            grid_dim: (blocks.max(1), 1, 1),
            block_dim: (BLOCK, 1, 1),
            shared_mem_bytes: 0,
        };
        let mut launch = s.launch_builder(&self.kernel);
        launch
            .arg(&open_time)
            .arg(&high)
            .arg(&low)
            .arg(&close)
            .arg(&volume)
            .arg(&offsets)
            .arg(&symbols)
            .arg(&total)
            .arg(&mut out);
        // SAFETY: the argument list matches battery_kernel's signature
        // (i64 open times and four f64 arrays of `total`, i64 offsets of symbols + 1, i32, i64,
        // an f64 output of COLUMN_COUNT * total), and each thread reads and
        // writes only its own symbol's range.
        #[expect(unsafe_code, reason = "a kernel launch is unsafe in cudarc")]
        let launched = unsafe { launch.launch(cfg) };
        launched.map_err(driver)?;
        s.clone_dtoh(&out).map_err(driver)
    }

    fn try_run(&mut self, jobs: &[BatteryJob]) -> Result<Vec<BatteryResult>, GpuError> {
        let (rows, times) = self.resident.run(&self.stream, jobs)?;
        self.times = Some(times);
        let cpu_part = cpu_only_columns();
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
