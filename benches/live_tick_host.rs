//! The host's share of a live GPU tick: 400 symbols whose 500-candle
//! windows each slid by one closed candle, planned onto the resident
//! device buffers (`ResidentLayout::wanted` and `plan`: which slot, which
//! candles go up) and staged (`ResidentPlan::staging`: the one integer and
//! one float buffer copied up). Beside it, the peer measured in the same
//! run: the CPU backend computing the same tick, the work the device takes
//! over. The tick's goal is 200 µs including transfers, so the host part
//! must be a small share of it.
//!
//! `cargo bench --bench live_tick_host`

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use quantumtrade::market::random_walk::random_walk;
use quantumtrade::market::{Candle, Interval, Symbol};
use quantumtrade::node::battery_batch::{BatteryBackend, BatteryJob, CpuBackend};
use quantumtrade::node::battery_resident::ResidentLayout;
use std::hint::black_box;
use std::time::Duration;

const SYMBOLS: usize = 400;
const WINDOW: usize = 500;
/// Ticks prepared; the bench cycles through them (a wrap re-uploads every
/// window once, one iteration in this many).
const TICKS: usize = 4000;

/// The jobs of tick `t`: every symbol's window ending `t` candles after
/// the first.
fn jobs_at(symbols: &[Symbol], series: &[Vec<Candle>], t: usize) -> Vec<BatteryJob> {
    symbols
        .iter()
        .zip(series)
        .map(|(symbol, candles)| BatteryJob {
            symbol: symbol.clone(),
            timeframe: Interval::M5,
            candles: candles[t..t + WINDOW].to_vec(),
        })
        .collect()
}

fn live_tick(c: &mut Criterion) {
    let symbols: Vec<Symbol> = (0..SYMBOLS)
        .map(|s| Symbol::new(&format!("S{s}USDT")).expect("valid symbol"))
        .collect();
    let series: Vec<Vec<Candle>> = (0..SYMBOLS)
        .map(|s| random_walk(7, s as u64, WINDOW + TICKS, 0))
        .collect();
    let mut group = c.benchmark_group("live_tick_400x500");
    group.sample_size(50);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("host_plan_and_staging", |b| {
        let mut layout = ResidentLayout::new(2 * SYMBOLS, 2 * WINDOW);
        layout.plan(&jobs_at(&symbols, &series, 0));
        let mut tick = 0;
        b.iter_batched_ref(
            || {
                tick = tick % (TICKS - 1) + 1;
                jobs_at(&symbols, &series, tick)
            },
            |jobs| {
                assert!(layout.wanted(jobs, 4096).is_none());
                let plan = layout.plan(jobs);
                black_box(plan.staging(jobs))
            },
            BatchSize::PerIteration,
        );
    });
    group.sample_size(10);
    group.bench_function("cpu_backend", |b| {
        let jobs = jobs_at(&symbols, &series, 1);
        b.iter(|| black_box(CpuBackend.run(&jobs)));
    });
    group.finish();
}

criterion_group!(benches, live_tick);
criterion_main!(benches);
