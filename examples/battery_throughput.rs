//! Times the batch battery over a universe of random-walk symbols and the
//! streaming battery per candle, and measures indicator state per symbol.
//! Prints one JSON line; benches/compare_talib.py runs it beside TA-Lib.
//!
//! `cargo run --release --example battery_throughput -- [--symbols N] [--candles N] [--seed S] [--repeats R]`

use mimalloc::MiMalloc;
use quantumtrade::indicators::battery::{
    BatteryStream, Column, ColumnSet, compute, compute_selected,
};
use quantumtrade::market::random_walk::{random_walk, random_walk_series};
use rayon::prelude::*;
use std::alloc::{GlobalAlloc, Layout};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Counts live heap bytes so indicator state can be measured exactly; the
/// memory itself comes from mimalloc, the allocator `qtrade` ships with.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to mimalloc and only counts sizes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { MiMalloc.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { MiMalloc.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The columns TA-Lib also computes, from its 18 functions.
const TALIB_COLUMNS: &[Column] = &[
    Column::Rsi14,
    Column::StochRsiK,
    Column::StochRsiD,
    Column::Willr14,
    Column::Cci20,
    Column::Macd,
    Column::MacdSignal,
    Column::MacdHist,
    Column::Ema20,
    Column::Sma20,
    Column::T35,
    Column::Psar,
    Column::PlusDi14,
    Column::MinusDi14,
    Column::Adx14,
    Column::BbUpper,
    Column::BbMiddle,
    Column::BbLower,
    Column::Atr14,
    Column::Natr14,
    Column::Ad,
    Column::Obv,
    Column::Mfi14,
];

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("numeric argument"))
}

/// CPU seconds used by this process so far (user + system, all threads).
/// Wall time on a shared machine counts other processes' time slices; CPU
/// time does not, so it is what the TA-Lib comparison divides.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    #[allow(unsafe_code)]
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &raw mut u);
        u
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let symbols = arg(&args, "--symbols", 400);
    let candles = arg(&args, "--candles", 10_000) as usize;
    let seed = arg(&args, "--seed", 42);
    let repeats = arg(&args, "--repeats", 5) as usize;

    let universe: Vec<_> = (0..symbols)
        .map(|s| random_walk_series(seed, s, candles, 0))
        .collect();
    let checksum: f64 = universe.iter().map(|s| s.close.iter().sum::<f64>()).sum();

    let subset = ColumnSet::from_columns(TALIB_COLUMNS);
    // (median wall seconds, median CPU seconds) over the repeats.
    let time = |f: &dyn Fn()| {
        let (wall, cpu): (Vec<f64>, Vec<f64>) = (0..repeats)
            .map(|_| {
                let (t0, c0) = (Instant::now(), cpu_seconds());
                f();
                (t0.elapsed().as_secs_f64(), cpu_seconds() - c0)
            })
            .unzip();
        (median(wall), median(cpu))
    };
    let (talib18, talib18_cpu) = time(&|| {
        universe.par_iter().for_each(|s| {
            black_box(compute_selected(s, subset));
        });
    });
    let (battery34, battery34_cpu) = time(&|| {
        universe.par_iter().for_each(|s| {
            black_box(compute(s));
        });
    });
    // The same work on one thread: the per-core comparison with TA-Lib,
    // free of rayon's idle spinning, which counts as CPU time.
    let (_, talib18_1t_cpu) = time(&|| {
        for s in &universe {
            black_box(compute_selected(s, subset));
        }
    });
    let (_, battery34_1t_cpu) = time(&|| {
        for s in &universe {
            black_box(compute(s));
        }
    });

    // Streaming: per-candle latency on a warmed battery.
    let feed = random_walk(seed, 0, 60_000, 0);
    let mut stream = BatteryStream::new();
    for c in &feed[..10_000] {
        stream.update(c);
    }
    let mut lat = Vec::with_capacity(50_000);
    for c in &feed[10_000..] {
        let t0 = Instant::now();
        black_box(stream.update(black_box(c)));
        lat.push(t0.elapsed().as_nanos() as f64);
    }
    lat.sort_by(f64::total_cmp);
    let p = |q: f64| lat[((lat.len() - 1) as f64 * q) as usize];

    // State per symbol: bytes held by 1000 batteries (the structs live in
    // the Vec's buffer, their windows on the heap), divided by 1000.
    let before = LIVE.load(Ordering::Relaxed);
    let many: Vec<BatteryStream> = (0..1000).map(|_| BatteryStream::new()).collect();
    let state_bytes = (LIVE.load(Ordering::Relaxed) - before) / 1000;
    drop(many);

    println!(
        "{{\"symbols\":{symbols},\"candles\":{candles},\"threads\":{},\"checksum\":{checksum},\"talib18_s\":{talib18},\"talib18_cpu_s\":{talib18_cpu},\"battery34_s\":{battery34},\"battery34_cpu_s\":{battery34_cpu},\"talib18_1t_cpu_s\":{talib18_1t_cpu},\"battery34_1t_cpu_s\":{battery34_1t_cpu},\"stream_median_ns\":{},\"stream_p99_ns\":{},\"state_bytes\":{state_bytes}}}",
        rayon::current_num_threads(),
        p(0.5),
        p(0.99),
    );
}
