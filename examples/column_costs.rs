//! Prints what each battery column costs in batch, single-threaded, over
//! random-walk symbols: where to look first when the battery gets slower.
//!
//! `cargo run --release --example column_costs -- [--symbols N] [--candles N]`

use quantumtrade::indicators::battery::{Column, ColumnSet, compute_selected};
use quantumtrade::market::random_walk::random_walk_series;
use std::hint::black_box;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::time::Instant;

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("numeric argument"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let symbols = arg(&args, "--symbols", 40);
    let candles = arg(&args, "--candles", 10_000);
    let universe: Vec<_> = (0..symbols as u64)
        .map(|s| random_walk_series(42, s, candles, 0))
        .collect();
    // Best of five: the first passes pay for page faults and cold caches.
    let per_candle = |set: ColumnSet| {
        (0..5)
            .map(|_| {
                let t0 = Instant::now();
                for s in &universe {
                    black_box(compute_selected(s, set));
                }
                t0.elapsed().as_secs_f64() * 1e9 / (symbols * candles) as f64
            })
            .fold(f64::INFINITY, f64::min)
    };
    let base = per_candle(ColumnSet::default());
    println!(
        "ns per candle, 1 thread, best of 5, {symbols} x {candles}; columns net of an empty table ({base:.2} ns)"
    );
    for &c in Column::ALL {
        let net = per_candle(ColumnSet::from_columns(&[c])) - base;
        println!("{:<16} {net:>7.2}", c.name());
    }
    println!("{:<16} {:>7.2}", "all (gross)", per_candle(ColumnSet::ALL));
}
