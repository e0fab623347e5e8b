#!/usr/bin/env python3
"""Times TA-Lib against QuantumTrade's batch battery on the same candles.

Both sides generate the same 400 symbols x 10,000 one-minute candles
(SplitMix64 random walk, bit-identical to quantumtrade::market::random_walk;
the checksums are compared). TA-Lib runs the 18 functions the battery shares
with it, once in one process and once split over as many processes as the
machine has cores (fork, inputs inherited, so no pickling is timed).
QuantumTrade runs the same 18 and the whole 34-column battery with rayon,
via `cargo run --release --example battery_throughput`.

Usage:  pip install ta-lib==0.8.2 numpy && python3 benches/compare_talib.py
Prints a markdown table for BENCHMARKS.md.
"""
import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys
import time

import numpy as np
import talib

from splitmix_walk import random_walk

SEED = 42
M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


DATA = None

# Each function the battery's TA-Lib columns come from, alone, for
# `--per-function` (STOCH is timed on a precomputed RSI, as the battery
# shares it).
PER_FUNCTION = [
    ("rsi_14", lambda h, l, c, v, rsi: talib.RSI(c, 14)),
    ("stoch on rsi (stochrsi_k/d)", lambda h, l, c, v, rsi: talib.STOCH(rsi, rsi, rsi, 14, 3, 0, 3, 0)),
    ("willr_14", lambda h, l, c, v, rsi: talib.WILLR(h, l, c, 14)),
    ("cci_20", lambda h, l, c, v, rsi: talib.CCI(h, l, c, 20)),
    ("macd", lambda h, l, c, v, rsi: talib.MACD(c, 12, 26, 9)),
    ("ema_20", lambda h, l, c, v, rsi: talib.EMA(c, 20)),
    ("sma_20", lambda h, l, c, v, rsi: talib.SMA(c, 20)),
    ("t3_5", lambda h, l, c, v, rsi: talib.T3(c, 5, 0.7)),
    ("sar (psar)", lambda h, l, c, v, rsi: talib.SAR(h, l, 0.02, 0.2)),
    ("plus_di + minus_di + adx", lambda h, l, c, v, rsi: (talib.PLUS_DI(h, l, c, 14), talib.MINUS_DI(h, l, c, 14), talib.ADX(h, l, c, 14))),
    ("bbands", lambda h, l, c, v, rsi: talib.BBANDS(c, 20, 2, 2, 0)),
    ("atr_14", lambda h, l, c, v, rsi: talib.ATR(h, l, c, 14)),
    ("natr_14", lambda h, l, c, v, rsi: talib.NATR(h, l, c, 14)),
    ("ad", lambda h, l, c, v, rsi: talib.AD(h, l, c, v)),
    ("obv", lambda h, l, c, v, rsi: talib.OBV(c, v)),
    ("mfi_14", lambda h, l, c, v, rsi: talib.MFI(h, l, c, v, 14)),
]


def talib18(h, l, c, v):
    """The 18 TA-Lib functions behind the battery's TA-Lib columns: RSI
    once, STOCH on it, then the others."""
    rsi = talib.RSI(c, 14)
    for _, fn in PER_FUNCTION[1:]:
        fn(h, l, c, v, rsi[14:])


def per_function(symbols, candles, repeats):
    """ns per candle of each TA-Lib function on one thread, best of
    `repeats`, on the candles `cargo run --release --example column_costs`
    uses (seed 42, the same symbols and length)."""
    _, h, l, c, v = random_walk(SEED, symbols, candles)
    rsi = [talib.RSI(c[s], 14)[14:] for s in range(symbols)]
    print(f"TA-Lib {talib.__version__}, ns per candle, 1 thread, best of {repeats}, {symbols} x {candles}")
    for name, fn in PER_FUNCTION:
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            for s in range(symbols):
                fn(h[s], l[s], c[s], v[s], rsi[s])
            best = min(best, time.perf_counter() - t0)
        print(f"{name:30s} {best / (symbols * candles) * 1e9:7.2f}")


def run_range(bounds):
    lo, hi = bounds
    _, h, l, c, v = DATA
    for s in range(lo, hi):
        talib18(h[s], l[s], c[s], v[s])
    return hi - lo


def median_time(fn, repeats):
    """Median wall seconds and median CPU seconds of this process."""
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    mid = len(wall) // 2
    return sorted(wall)[mid], sorted(cpu)[mid]


def main():
    global DATA, SYMBOLS, CANDLES, REPEATS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--symbols", type=int, default=400)
    ap.add_argument("--candles", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--per-function", action="store_true",
                    help="time each TA-Lib function alone (pair with the column_costs example)")
    a = ap.parse_args()
    if a.per_function:
        per_function(a.symbols, a.candles, a.repeats)
        return
    SYMBOLS, CANDLES, REPEATS = a.symbols, a.candles, a.repeats
    cores = os.cpu_count() or 1
    DATA = random_walk(SEED, SYMBOLS, CANDLES)
    checksum = float(DATA[3].sum())
    single, single_cpu = median_time(lambda: run_range((0, SYMBOLS)), REPEATS)
    chunks = [(i * SYMBOLS // cores, (i + 1) * SYMBOLS // cores) for i in range(cores)]
    with mp.get_context("fork").Pool(cores) as pool:
        pool.map(run_range, [(0, 1)] * cores)  # warm the workers
        multi, _ = median_time(lambda: pool.map(run_range, chunks), REPEATS)

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(
        ["cargo", "run", "--quiet", "--release", "--example", "battery_throughput", "--",
         "--symbols", str(SYMBOLS), "--candles", str(CANDLES), "--seed", str(SEED),
         "--repeats", str(REPEATS)],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout
    rust = json.loads(out.strip().splitlines()[-1])
    if abs(rust["checksum"] - checksum) > 1e-6 * abs(checksum):
        sys.exit(f"data differ: rust checksum {rust['checksum']} vs python {checksum}")

    rows = [
        ("TA-Lib, 18 functions, 1 process", single, single_cpu, None),
        (f"TA-Lib, 18 functions, {cores} processes", multi, None, None),
        (f"QuantumTrade, same 18 columns, rayon on {rust['threads']} threads",
         rust["talib18_s"], rust["talib18_1t_cpu_s"], True),
        (f"QuantumTrade, all 34 columns, rayon on {rust['threads']} threads",
         rust["battery34_s"], rust["battery34_1t_cpu_s"], True),
    ]
    load = os.getloadavg()[0]
    print(f"{SYMBOLS} symbols x {CANDLES} candles, median of {REPEATS}, {cores} cores, "
          f"load average {load:.2f} at the end, TA-Lib {talib.__version__}, "
          f"checksum {checksum:.6f} (equal on both sides)\n")
    print("CPU s: process CPU time of the work done on one thread (TA-Lib: its one process;"
          " QuantumTrade: the same symbols in a plain loop), so the last column compares"
          " work per core whatever else the machine is running.\n")
    print("| run | wall s | CPU s (1 thread) | wall vs TA-Lib 1 process | wall vs TA-Lib all cores | per-core vs TA-Lib |")
    print("|---|---|---|---|---|---|")
    for name, secs, cpu, ours in rows:
        r1 = f"{single / secs:.2f}x" if ours else ""
        rn = f"{multi / secs:.2f}x" if ours else ""
        rc = f"{single_cpu / cpu:.2f}x" if ours else ""
        cpu_cell = f"{cpu:.3f}" if cpu is not None else ""
        print(f"| {name} | {secs:.3f} | {cpu_cell} | {r1} | {rn} | {rc} |")
    print(f"\nstreaming, one candle through all 34 columns: median {rust['stream_median_ns']:.0f} ns, "
          f"p99 {rust['stream_p99_ns']:.0f} ns; indicator state per symbol: {rust['state_bytes']} bytes")


if __name__ == "__main__":
    main()
