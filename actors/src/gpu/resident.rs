//! The CUDA backend's live mode: every (symbol, timeframe) keeps its candle
//! window resident in device memory between batches. A batch uploads only
//! the candles its slots lack (planned by
//! [`quantumtrade::node::battery_resident`]), scatters them into place,
//! computes each window where it lies — one thread per job and indicator
//! group, so a tick waits for the slowest group rather than the whole
//! battery — and reads back only each job's last row: per tick one candle
//! a job goes up and 34 values a job come back, in two copies up (the
//! plan's integers and the new candles' values, `Staging`) and one down,
//! into device and host buffers kept between batches (a tick allocates
//! nothing).
//!
//! The buffers grow (all their content dropped, uploaded again by the next
//! batch) when a window is longer than a slot or there are more keys than
//! slots, to twice the need, up to [`MAX_SLOTS`] slots.
//!
//! UNVERIFIED ON HARDWARE: written on a machine with no GPU. The plan and
//! both kernels run on the CPU in `tests/kernels_host.rs`
//! (`resident_batches_read_back_the_cpu_backends_rows`); the device calls
//! below have never run.

use super::guard::GpuError;
use super::launch::{between, driver, launch_config, mark};
use cudarc::driver::{CudaFunction, CudaSlice, CudaStream, PushKernelArg as _};
use quantumtrade::indicators::battery::{COLUMN_COUNT, Row};
use quantumtrade::node::battery_batch::{BatteryJob, DeviceTimes};
use quantumtrade::node::battery_resident::ResidentLayout;
use std::sync::Arc;

/// Most slots the buffers grow to (beyond, the least recently used
/// window is evicted): 4,096 windows of 1,000 candles take about 1.3 GB
/// with the kernel's output columns.
pub const MAX_SLOTS: usize = 4096;

/// Indicator groups of `battery_rows_kernel` (`QT_GROUPS` in battery.cu):
/// one thread per job and group.
pub const GROUPS: u32 = 17;

/// The device buffers: candles slot-major, and the kernel's columns over
/// them.
struct Buffers {
    open_time: CudaSlice<i64>,
    high: CudaSlice<f64>,
    low: CudaSlice<f64>,
    close: CudaSlice<f64>,
    volume: CudaSlice<f64>,
    out: CudaSlice<f64>,
}

impl Buffers {
    fn alloc(stream: &Arc<CudaStream>, candles: usize) -> Result<Self, GpuError> {
        let n = candles.max(1);
        Ok(Self {
            open_time: stream.alloc_zeros::<i64>(n).map_err(driver)?,
            high: stream.alloc_zeros::<f64>(n).map_err(driver)?,
            low: stream.alloc_zeros::<f64>(n).map_err(driver)?,
            close: stream.alloc_zeros::<f64>(n).map_err(driver)?,
            volume: stream.alloc_zeros::<f64>(n).map_err(driver)?,
            out: stream
                .alloc_zeros::<f64>(COLUMN_COUNT * n)
                .map_err(driver)?,
        })
    }
}

/// A device buffer kept between batches, grown (to twice the need) when a
/// batch needs more: a tick allocates nothing.
struct Staged<T> {
    buf: Option<CudaSlice<T>>,
}

impl<T: cudarc::driver::DeviceRepr + cudarc::driver::ValidAsZeroBits> Staged<T> {
    fn new() -> Self {
        Self { buf: None }
    }

    /// The buffer, at least `n` long.
    fn at_least(
        &mut self,
        stream: &Arc<CudaStream>,
        n: usize,
    ) -> Result<&mut CudaSlice<T>, GpuError> {
        if self.buf.as_ref().is_none_or(|b| b.len() < n) {
            self.buf = None;
            self.buf = Some(stream.alloc_zeros::<T>((2 * n).max(1)).map_err(driver)?);
        }
        Ok(self.buf.as_mut().expect("allocated above"))
    }
}

/// Resident windows on one device.
pub struct ResidentBattery {
    layout: ResidentLayout,
    buffers: Option<Buffers>,
    /// The batch's packed integers (`Staging::ints`) and candle values.
    ints: Staged<i64>,
    values: Staged<f64>,
    /// The jobs' last rows.
    rows_out: Staged<f64>,
    /// Host side of the rows, reused.
    host_rows: Vec<f64>,
    scatter: CudaFunction,
    rows: CudaFunction,
    /// Indicator groups launched: all of them, except in a profile.
    groups: u32,
}

impl std::fmt::Debug for ResidentBattery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResidentBattery")
            .field("slots", &self.layout.slots())
            .field("capacity", &self.layout.capacity())
            .finish_non_exhaustive()
    }
}

impl ResidentBattery {
    /// Nothing resident yet; `scatter` and `rows` are battery.cu's
    /// `scatter_candles_kernel` and `battery_rows_kernel`.
    #[must_use]
    pub fn new(scatter: CudaFunction, rows: CudaFunction) -> Self {
        Self {
            layout: ResidentLayout::new(0, 1),
            buffers: None,
            ints: Staged::new(),
            values: Staged::new(),
            rows_out: Staged::new(),
            host_rows: Vec::new(),
            scatter,
            rows,
            groups: GROUPS,
        }
    }

    /// Launches only the first `n` indicator groups (1 to [`GROUPS`]) from
    /// now on: a profile of which group bounds a tick, not a battery (the
    /// other groups' columns of the rows are left as they were).
    pub fn set_groups(&mut self, n: u32) {
        self.groups = n.clamp(1, GROUPS);
    }

    /// Each job's last row, none for a job the device did not compute
    /// (the plan's `elsewhere`: the caller computes it on the CPU), and the
    /// batch's device times.
    ///
    /// # Errors
    /// A driver error; nothing resident is trusted afterwards.
    pub fn run(
        &mut self,
        stream: &Arc<CudaStream>,
        jobs: &[BatteryJob],
    ) -> Result<(Vec<Option<Row>>, DeviceTimes), GpuError> {
        if let Some((slots, capacity)) = self.layout.wanted(jobs, MAX_SLOTS) {
            // Freed before the larger ones are asked for.
            self.buffers = None;
            self.layout = ResidentLayout::new(slots, capacity);
            self.buffers = Some(Buffers::alloc(stream, self.layout.len())?);
        }
        let result = self.run_planned(stream, jobs);
        if result.is_err() {
            self.layout.forget();
        }
        result
    }

    fn run_planned(
        &mut self,
        stream: &Arc<CudaStream>,
        jobs: &[BatteryJob],
    ) -> Result<(Vec<Option<Row>>, DeviceTimes), GpuError> {
        let Some(b) = self.buffers.as_mut().filter(|_| !jobs.is_empty()) else {
            // No buffers: no job has a candle (or there is no job).
            return Ok((
                vec![Some([f64::NAN; COLUMN_COUNT]); jobs.len()],
                DeviceTimes::default(),
            ));
        };
        let plan = self.layout.plan(jobs);
        let staged = plan.staging(jobs);
        let [begin, len, dst, time] = staged.parts();
        let count = staged.count;
        let stride = i64::try_from(self.layout.len()).map_err(driver)?;
        let n_jobs = i32::try_from(jobs.len()).map_err(driver)?;
        let rows_len = jobs.len() * COLUMN_COUNT;
        let start = mark(stream)?;
        let ints = self.ints.at_least(stream, staged.ints.len())?;
        stream.memcpy_htod(&staged.ints, ints).map_err(driver)?;
        let values = self.values.at_least(stream, staged.values.len())?;
        if count > 0 {
            stream.memcpy_htod(&staged.values, values).map_err(driver)?;
        }
        let rows = self.rows_out.at_least(stream, rows_len)?;
        let uploaded = mark(stream)?;
        if count > 0 {
            let n = i64::try_from(count).map_err(driver)?;
            let (dst, time) = (ints.slice(dst), ints.slice(time));
            let mut launch = stream.launch_builder(&self.scatter);
            launch
                .arg(&dst)
                .arg(&time)
                .arg(&*values)
                .arg(&n)
                .arg(&mut b.open_time)
                .arg(&mut b.high)
                .arg(&mut b.low)
                .arg(&mut b.close)
                .arg(&mut b.volume);
            // SAFETY: matches scatter_candles_kernel's signature (i64 dst
            // and times of `count`, f64 values of at least 4 × count, i64
            // count, the five candle buffers); every dst is inside the
            // buffers (the plan's indices are below slots × capacity).
            #[expect(unsafe_code, reason = "a kernel launch is unsafe in cudarc")]
            let launched = unsafe { launch.launch(launch_config(count, 1)?) };
            launched.map_err(driver)?;
        }
        let (begin, len) = (ints.slice(begin), ints.slice(len));
        let mut launch = stream.launch_builder(&self.rows);
        launch
            .arg(&b.open_time)
            .arg(&b.high)
            .arg(&b.low)
            .arg(&b.close)
            .arg(&b.volume)
            .arg(&begin)
            .arg(&len)
            .arg(&n_jobs)
            .arg(&stride)
            .arg(&mut b.out)
            .arg(&mut *rows);
        // SAFETY: matches battery_rows_kernel's signature (i64 times and
        // four f64 candle buffers of `stride`, i64 begin and len of `jobs`,
        // i32 jobs, i64 stride, f64 columns of 34 × stride, f64 rows of at
        // least 34 × jobs); windows lie inside one slot each, no two jobs
        // share a slot and no two groups a column, so threads write
        // disjoint cells, and every cell of the jobs' rows is written.
        #[expect(unsafe_code, reason = "a kernel launch is unsafe in cudarc")]
        let launched = unsafe { launch.launch(launch_config(jobs.len(), self.groups)?) };
        launched.map_err(driver)?;
        let computed = mark(stream)?;
        self.host_rows.resize(rows_len, f64::NAN);
        stream
            .memcpy_dtoh(&rows.slice(..rows_len), &mut self.host_rows)
            .map_err(driver)?;
        let done = mark(stream)?;
        done.synchronize().map_err(driver)?;
        let host = &self.host_rows;
        let times = DeviceTimes {
            upload_s: between(&start, &uploaded)?,
            kernel_s: between(&uploaded, &computed)?,
            download_s: between(&computed, &done)?,
            bytes_up: staged.bytes_up(),
            bytes_down: host.len() * 8,
        };
        let mut on_device = vec![true; jobs.len()];
        for &j in &plan.elsewhere {
            on_device[j] = false;
        }
        let out = host
            .chunks_exact(COLUMN_COUNT)
            .zip(on_device)
            .map(|(cells, here)| {
                let mut row = [f64::NAN; COLUMN_COUNT];
                row.copy_from_slice(cells);
                here.then_some(row)
            })
            .collect();
        Ok((out, times))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::kernel_source::BATTERY;

    #[test]
    fn the_launch_shape_matches_the_kernel_source() {
        assert!(
            BATTERY
                .text
                .contains(&format!("#define QT_GROUPS {GROUPS}\n")),
            "GROUPS differs from battery.cu's QT_GROUPS"
        );
    }
}
