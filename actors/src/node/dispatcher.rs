//! GpuDispatcher: owns the compute device and runs batches of battery jobs
//! on it. A sync actor on its own thread, because a batch is blocking work
//! that must not stall the actors' event loop. The backend is the CPU
//! (rayon) or CUDA (`[indicators] backend`). Metrics: batch sizes and
//! times, the oldest job's wait before its batch started, and a device's
//! kernel and transfer times and bytes.

use super::telemetry::ActorStat;
use actix::{Actor, Handler, Message, SyncContext};
use quantumtrade::node::battery_batch::{BatteryBackend, BatteryJob, BatteryResult, DeviceTimes};
use std::sync::Arc;
use std::time::Instant;

/// Histogram buckets of `qtrade_dispatcher_batch_seconds`.
pub const BATCH_BUCKETS: &[f64] = &[
    1e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.5, 1.0,
];

/// A batch of jobs and when its oldest job was submitted; the reply holds
/// one result per job, in order (empty when the backend failed: the jobs
/// are then counted as errors).
#[derive(Message)]
#[rtype(result = "Vec<BatteryResult>")]
pub struct RunBatch(pub Vec<BatteryJob>, pub Instant);

/// A device batch's kernel and transfer times and bytes, as metrics.
fn record_device_times(backend: &'static str, t: &DeviceTimes) {
    metrics::histogram!("qtrade_dispatcher_kernel_seconds", "backend" => backend)
        .record(t.kernel_s);
    for (direction, secs, bytes) in [
        ("up", t.upload_s, t.bytes_up),
        ("down", t.download_s, t.bytes_down),
    ] {
        metrics::histogram!("qtrade_dispatcher_transfer_seconds", "backend" => backend, "direction" => direction)
            .record(secs);
        metrics::counter!("qtrade_dispatcher_transfer_bytes_total", "backend" => backend, "direction" => direction)
            .increment(bytes as u64);
    }
}

/// The dispatcher.
pub struct GpuDispatcher {
    backend: Box<dyn BatteryBackend>,
    stat: Arc<ActorStat>,
    batches: u64,
    jobs: u64,
}

impl GpuDispatcher {
    /// A dispatcher over `backend`.
    #[must_use]
    pub fn new(backend: Box<dyn BatteryBackend>, stat: Arc<ActorStat>) -> Self {
        stat.set_state(format!("backend {}", backend.name()));
        Self {
            backend,
            stat,
            batches: 0,
            jobs: 0,
        }
    }
}

impl Actor for GpuDispatcher {
    type Context = SyncContext<Self>;
}

impl Handler<RunBatch> for GpuDispatcher {
    type Result = Vec<BatteryResult>;

    fn handle(&mut self, msg: RunBatch, _: &mut SyncContext<Self>) -> Vec<BatteryResult> {
        let stat = Arc::clone(&self.stat);
        let n = msg.0.len();
        let start = Instant::now();
        let backend = self.backend.name();
        metrics::histogram!("qtrade_dispatcher_queue_seconds", "backend" => backend)
            .record(start.saturating_duration_since(msg.1).as_secs_f64());
        let out = stat.run(|| self.backend.run(&msg.0));
        let took = start.elapsed().as_secs_f64();
        metrics::histogram!("qtrade_dispatcher_batch_seconds", "backend" => backend).record(took);
        if let Some(t) = self.backend.device_times().filter(|_| out.is_some()) {
            record_device_times(backend, &t);
        }
        #[expect(clippy::cast_precision_loss, reason = "a batch size")]
        metrics::histogram!("qtrade_dispatcher_batch_jobs", "backend" => backend).record(n as f64);
        match out {
            Some(results) => {
                self.batches += 1;
                self.jobs += n as u64;
                self.stat.set_state(format!(
                    "backend {backend} batches {} jobs {}",
                    self.batches, self.jobs
                ));
                results
            }
            None => {
                metrics::counter!("qtrade_errors_total", "kind" => "dispatcher_batch")
                    .increment(n as u64);
                Vec::new()
            }
        }
    }
}
