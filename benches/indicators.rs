//! Criterion benchmarks of the indicator battery.
//!
//! - `battery_batch/400x10000`: all columns over 400 symbols × 10,000
//!   one-minute candles, symbols spread over cores with rayon (the
//!   TA-Lib comparison lives in benches/compare_talib.py).
//! - `battery_batch/1x10000`: one symbol on one core.
//! - `battery_stream/one_candle`: one closed candle through every column of
//!   a warmed-up streaming battery (goal: 300 ns median).
//!
//! Run: `cargo bench --bench indicators`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use quantumtrade::indicators::battery::{BatteryStream, compute};
use quantumtrade::market::random_walk::{random_walk, random_walk_series};
use rayon::prelude::*;
use std::hint::black_box;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn batch(c: &mut Criterion) {
    let mut g = c.benchmark_group("battery_batch");
    g.sample_size(10);
    let universe: Vec<_> = (0..400)
        .map(|s| random_walk_series(42, s, 10_000, 0))
        .collect();
    g.throughput(Throughput::Elements(400 * 10_000));
    g.bench_function(BenchmarkId::from_parameter("400x10000"), |b| {
        b.iter(|| {
            universe
                .par_iter()
                .map(|s| compute(black_box(s)).len())
                .sum::<usize>()
        });
    });
    g.throughput(Throughput::Elements(10_000));
    g.bench_function(BenchmarkId::from_parameter("1x10000"), |b| {
        b.iter(|| compute(black_box(&universe[0])));
    });
    g.finish();
}

fn stream(c: &mut Criterion) {
    let candles = random_walk(42, 0, 20_000, 0);
    let (warm, feed) = candles.split_at(10_000);
    let mut battery = BatteryStream::new();
    for candle in warm {
        battery.update(candle);
    }
    let mut i = 0;
    c.bench_function("battery_stream/one_candle", |b| {
        b.iter(|| {
            let row = battery.update(black_box(&feed[i % feed.len()]));
            i += 1;
            black_box(row)
        });
    });
}

criterion_group!(benches, batch, stream);
criterion_main!(benches);
