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
    let per_candle = |set: ColumnSet| {
        let t0 = Instant::now();
        for s in &universe {
            black_box(compute_selected(s, set));
        }
        t0.elapsed().as_secs_f64() * 1e9 / (symbols * candles) as f64
    };
    println!("column, ns per candle (1 thread, {symbols} x {candles})");
    for &c in Column::ALL {
        println!(
            "{:<16} {:>7.2}",
            c.name(),
            per_candle(ColumnSet::from_columns(&[c]))
        );
    }
    println!("{:<16} {:>7.2}", "none", per_candle(ColumnSet::default()));
    println!("{:<16} {:>7.2}", "all", per_candle(ColumnSet::ALL));
}
