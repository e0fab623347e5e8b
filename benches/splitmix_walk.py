"""The SplitMix64 random walk of quantumtrade::market::random_walk, in numpy.

Bit-identical to the Rust generator (same operations in the same order), so
Python benchmarks and Rust code compute on the same candles.
"""
import numpy as np


def random_walk(seed, n_symbols, n):
    """SplitMix64 walk, vectorised over symbols; same ops as the Rust code."""
    with np.errstate(over="ignore"):
        state = (np.uint64(seed) * np.uint64(1_000_003)) + np.arange(n_symbols, dtype=np.uint64)

        def next_f64():
            nonlocal state
            state = state + np.uint64(0x9E3779B97F4A7C15)
            z = state
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            z = z ^ (z >> np.uint64(31))
            return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)

        o = np.empty((n_symbols, n)); h = np.empty_like(o); l = np.empty_like(o)
        c = np.empty_like(o); v = np.empty_like(o)
        prev = 10.0 + np.arange(n_symbols, dtype=np.float64)
        for i in range(n):
            u1, u2, u3, u4 = next_f64(), next_f64(), next_f64(), next_f64()
            op = prev
            cl = prev * (1.0 + (u1 - 0.5) * 0.004)
            rng = cl * u2 * 0.003
            o[:, i] = op
            h[:, i] = np.maximum(op, cl) + rng * u3
            l[:, i] = np.minimum(op, cl) - rng * (1.0 - u3)
            c[:, i] = cl
            v[:, i] = 1.0 + u4 * 100.0
            prev = cl
    return o, h, l, c, v
