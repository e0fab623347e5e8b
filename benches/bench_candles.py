#!/usr/bin/env python3
"""The benchmarks' candle data set: SplitMix64 walk written as Binance kline CSV.

The walk is benches/splitmix_walk.py (bit-identical to
quantumtrade::market::random_walk), prices rounded to 4 decimals and volumes
to 3, one `SxxxUSDT-1m.csv` per symbol. Needs only numpy, so the data set can
be made without NautilusTrader installed (compare_nautilus.py imports it from
here).

Usage:
    python3 benches/bench_candles.py DIR N_SYMBOLS N_CANDLES
e.g. `python3 benches/bench_candles.py /tmp/k50 50 43200` (the node
pipeline benchmark in BENCHMARKS.md).
"""
import os
import sys

import numpy as np

from splitmix_walk import random_walk

START_MS = 1_700_000_000_000 // 60_000 * 60_000
SEED = 7


def candles(n_symbols, n):
    o, h, l, c, v = random_walk(SEED, n_symbols, n)
    r = lambda a: np.round(a, 4)
    return r(o), r(h), r(l), r(c), np.round(v, 3)


def write_csvs(dirname, data):
    o, h, l, c, v = data
    times = START_MS + 60_000 * np.arange(o.shape[1], dtype=np.int64)
    for s in range(o.shape[0]):
        with open(os.path.join(dirname, f"S{s:03d}USDT-1m.csv"), "w") as f:
            for i in range(o.shape[1]):
                t = int(times[i])
                f.write(f"{t},{o[s,i]:.4f},{h[s,i]:.4f},{l[s,i]:.4f},{c[s,i]:.4f},{v[s,i]:.3f},"
                        f"{t + 59_999},0,0,0,0,0\n")


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    dirname, n_symbols, n = argv[1], int(argv[2]), int(argv[3])
    os.makedirs(dirname, exist_ok=True)
    write_csvs(dirname, candles(n_symbols, n))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
