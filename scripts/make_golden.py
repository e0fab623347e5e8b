#!/usr/bin/env python3
"""Makes the golden files of the indicator battery (tests/data/golden).

For every data set it writes, gzip-compressed and byte-for-byte reproducible:

- ``<set>.input.csv.gz``: klines in the Binance CSV layout (12 columns, with
  the header line), what ``qtrade indicators --candles`` reads;
- ``<set>.expected.csv.gz``: what ``qtrade indicators`` must print for it:
  header ``open_time,<34 columns>``, one row per candle, an empty cell where
  a value is undefined, numbers as Python ``repr(float)``.

Timeframe sets (``<set>.15m.*``, ``<set>.1h.*``) hold a 1m input already
aggregated here, per shared/INDICATORS.md, so the Rust test needs no
aggregation code.

Columns that TA-Lib has come from TA-Lib (``pip install ta-lib==0.8.2 numpy``:
TA-Lib C 0.8.1, the version shared/INDICATORS.md pins); the others (alma_9,
vidya_14, supertrend, supertrend_dir, bb_percent_b, bb_width, vwap, cmf_20)
from the plain loops below, written from the formulas of INDICATORS.md and
independent of the Rust code.

Usage: python3 scripts/make_golden.py   (from anywhere; needs
/work/shared/data/klines, i.e. ../shared/data/klines from the repository
root, for the real-candle sets).
"""

import gzip
import io
import math
import os
import sys

import numpy as np
import talib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "golden")
KLINES = os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "klines"))
if not os.path.isdir(KLINES):
    KLINES = "/work/shared/data/klines"

HEADER = (
    "open_time,open,high,low,close,volume,close_time,quote_volume,count,"
    "taker_buy_volume,taker_buy_quote_volume,ignore"
)

COLUMNS = [
    "rsi_14", "stochrsi_k", "stochrsi_d", "willr_14", "cci_20",
    "macd", "macd_signal", "macd_hist", "ema_20", "sma_20", "alma_9",
    "vidya_14", "t3_5", "supertrend", "supertrend_dir", "psar",
    "plus_di_14", "minus_di_14", "adx_14",
    "bb_upper", "bb_middle", "bb_lower", "bb_percent_b", "bb_width",
    "kc_upper", "kc_middle", "kc_lower", "atr_14", "natr_14",
    "vwap", "ad", "cmf_20", "obv", "mfi_14",
]

MIN = 60_000
DAY = 86_400_000
NAN = float("nan")


# --------------------------------------------------------------------------
# Candles


class Candles:
    """Column-oriented candles plus the text of the rows as written."""

    def __init__(self, open_time, o, h, l, c, v, interval_ms, lines=None):
        self.open_time = [int(t) for t in open_time]
        self.open = np.asarray(o, dtype=np.float64)
        self.high = np.asarray(h, dtype=np.float64)
        self.low = np.asarray(l, dtype=np.float64)
        self.close = np.asarray(c, dtype=np.float64)
        self.volume = np.asarray(v, dtype=np.float64)
        self.interval_ms = interval_ms
        self.lines = lines  # exact source rows, when copied from a file

    def __len__(self):
        return len(self.open_time)

    def validate(self):
        prev = None
        for i in range(len(self)):
            o, h, l, c, v = (self.open[i], self.high[i], self.low[i],
                             self.close[i], self.volume[i])
            assert all(math.isfinite(x) and x >= 0 for x in (o, h, l, c, v)), i
            assert l <= h and l <= o <= h and l <= c <= h, i
            assert prev is None or self.open_time[i] > prev, i
            prev = self.open_time[i]

    def csv_text(self):
        out = [HEADER]
        if self.lines is not None:
            out.extend(self.lines)
        else:
            for i in range(len(self)):
                t = self.open_time[i]
                out.append(
                    f"{t},{fmt(self.open[i])},{fmt(self.high[i])},"
                    f"{fmt(self.low[i])},{fmt(self.close[i])},"
                    f"{fmt(self.volume[i])},{t + self.interval_ms - 1},0,0,0,0,0"
                )
        return "\n".join(out) + "\n"


def fmt(x):
    return repr(float(x))


def read_kline_file(path, start=0, stop=None):
    with gzip.open(path, "rt") as f:
        lines = f.read().splitlines()
    assert lines[0].startswith("open_time")
    rows = [r for r in lines[1:] if r.strip()][start:stop]
    cols = [r.split(",") for r in rows]
    t = [int(c[0]) for c in cols]
    t = [x // 1000 if x > 10**14 else x for x in t]
    vals = [[float(c[k]) for c in cols] for k in range(1, 6)]
    interval = min(b - a for a, b in zip(t, t[1:]))
    return Candles(t, *vals, interval_ms=interval, lines=rows)


def aggregate(c, tf_ms):
    """Buckets aligned to multiples of tf_ms since the epoch: open first,
    high max, low min, close last, volume sum; every non-empty bucket a row."""
    buckets = {}
    order = []
    for i in range(len(c)):
        b = c.open_time[i] - c.open_time[i] % tf_ms
        if b not in buckets:
            buckets[b] = []
            order.append(b)
        buckets[b].append(i)
    t, o, h, l, cl, v = [], [], [], [], [], []
    for b in order:
        idx = buckets[b]
        t.append(b)
        o.append(c.open[idx[0]])
        h.append(max(c.high[i] for i in idx))
        l.append(min(c.low[i] for i in idx))
        cl.append(c.close[idx[-1]])
        s = 0.0
        for i in idx:  # in time order, as a streaming aggregator adds
            s += c.volume[i]
        v.append(s)
    return Candles(t, o, h, l, cl, v, interval_ms=tf_ms)


# --------------------------------------------------------------------------
# Synthetic candles


def price_text(ticks, exp):
    """The double nearest to ticks·10^exp, as a decimal price would read."""
    return float(f"{int(ticks)}e{exp}")


def synthetic(seed, level, exp, n, start_ms, features=True):
    """A random walk starting at level·10^exp on a tick grid of 10^exp (coarse
    for the tiny prices, so equal closes and high = low candles are common), with:
    flat stretches (high = low = open = close, with and without volume),
    zero-volume stretches (flat, moving, and the first 20 minutes of a day),
    single missing minutes, a
    multi-hour gap across 00:00 UTC, a gap that starts exactly at 00:00,
    and a crash-and-rebound stretch."""
    rng = np.random.default_rng(seed)
    flat_vol = set(range(400, 440))  # flat, volume > 0
    flat_zero = set(range(900, 960))  # flat, volume 0 (a dead market)
    zero_moving = set(range(1300, 1345))  # volume 0, prices moving
    crash = set(range(1800, 1880))
    rebound = set(range(1880, 1930))
    t = start_ms
    times, o, h, l, c, v = [], [], [], [], [], []
    prev_close = level
    vol_scale = 100.0 / price_text(level, exp)
    day_gap_done = midnight_gap_done = False
    for i in range(n):
        if features:
            # gaps in time
            if rng.random() < 0.03:
                t += MIN * int(rng.integers(1, 4))
            tod = t % DAY
            if not day_gap_done and i > 1000 and tod >= DAY - 50 * MIN:
                t += 3 * 60 * MIN + 17 * MIN  # 23:1x -> 02:xx next day
                day_gap_done = True
            elif day_gap_done and not midnight_gap_done and i > 2200 and tod == DAY - MIN:
                t += MIN + 45 * MIN  # 23:59 -> 00:45, nothing at 00:00
                midnight_gap_done = True
        if features and i in flat_vol | flat_zero:
            p = prev_close
            oo = hh = ll = cc = p
            vv = 0.0 if i in flat_zero else float(rng.lognormal(0, 1)) * vol_scale
        else:
            sigma = 0.002
            drift = 0.0
            if features and i in crash:
                sigma, drift = 0.02, -0.012
            elif features and i in rebound:
                sigma, drift = 0.012, 0.008
            oo = prev_close
            if rng.random() < 0.05:  # opening jump
                oo = max(1.0, round(oo * (1 + rng.normal(0, sigma))))
            cc = max(1.0, round(oo * math.exp(drift + rng.normal(0, sigma))))
            wick = abs(rng.normal(0, sigma * 0.7, size=2)) * oo
            hh = max(oo, cc) + round(wick[0])
            ll = max(1.0, min(oo, cc) - round(wick[1]))
            vv = float(rng.lognormal(0, 1)) * vol_scale
            if features and i in crash:
                vv *= 8
            if features and i in zero_moving:
                vv = 0.0
        if features and t // DAY == start_ms // DAY + 1 and t % DAY < 20 * MIN:
            vv = 0.0  # a day that opens without volume: vwap empty until it trades
        times.append(t)
        o.append(oo)
        h.append(hh)
        l.append(ll)
        c.append(cc)
        v.append(vv)
        prev_close = cc
        t += MIN
    prices = [[price_text(x, exp) for x in col] for col in (o, h, l, c)]
    vols = [float(f"{x:.6g}") for x in v]
    return Candles(times, *prices, vols, interval_ms=MIN)


def flat_start(seed, n, start_ms):
    """60 identical candles with no volume, then 60 identical with volume,
    then a random walk: every indicator seeds on a flat market."""
    rng = np.random.default_rng(seed)
    times = [start_ms + i * MIN for i in range(n)]
    o, h, l, c, v = [], [], [], [], []
    p = 3000
    for i in range(n):
        if i < 120:
            o.append(p), h.append(p), l.append(p), c.append(p)
            v.append(0.0 if i < 60 else 5.0)
            continue
        oo = p
        cc = max(1, oo + int(rng.integers(-4, 5)))
        hh = max(oo, cc) + int(rng.integers(0, 3))
        ll = min(oo, cc) - int(rng.integers(0, 3))
        o.append(oo), h.append(hh), l.append(ll), c.append(cc)
        v.append(float(rng.integers(0, 50)))
        p = cc
    prices = [[price_text(x, -2) for x in col] for col in (o, h, l, c)]
    return Candles(times, *prices, v, interval_ms=MIN)


# --------------------------------------------------------------------------
# The battery


def alma(close, w=9, offset=0.85, sigma=6.0):
    m = offset * (w - 1)
    s = w / sigma
    weights = [math.exp(-((i - m) ** 2) / (2 * s * s)) for i in range(w)]
    total = sum(weights)
    out = [NAN] * len(close)
    for t in range(w - 1, len(close)):
        acc = 0.0
        for i in range(w):
            acc += weights[i] * close[t - w + 1 + i]
        out[t] = acc / total
    return out


def vidya(close, period=14, cmo=9):
    alpha = 2.0 / (period + 1)
    out = [NAN] * len(close)
    if len(close) <= cmo:
        return out
    out[cmo] = float(close[cmo])
    for t in range(cmo + 1, len(close)):
        up = down = 0.0
        for j in range(t - cmo + 1, t + 1):
            d = close[j] - close[j - 1]
            if d > 0:
                up += d
            elif d < 0:
                down -= d
        k = 0.0 if up + down == 0 else abs(up - down) / (up + down)
        out[t] = alpha * k * close[t] + (1 - alpha * k) * out[t - 1]
    return out


def supertrend(high, low, close, period=10, mult=3.0):
    n = len(close)
    atr = talib.ATR(high, low, close, period)
    st, dirs = [NAN] * n, [NAN] * n
    valid = [i for i in range(n) if not math.isnan(atr[i])]
    if not valid:
        return st, dirs
    f = valid[0]
    upper = lower = None
    d = -1
    for t in range(f, n):
        hl2 = (high[t] + low[t]) / 2
        bu, bl = hl2 + mult * atr[t], hl2 - mult * atr[t]
        if t == f:
            upper, lower, d = bu, bl, -1
        else:
            new_upper = bu if (bu < upper or close[t - 1] > upper) else upper
            new_lower = bl if (bl > lower or close[t - 1] < lower) else lower
            upper, lower = new_upper, new_lower
            if d == -1:
                d = 1 if close[t] > upper else -1
            else:
                d = -1 if close[t] < lower else 1
        st[t] = lower if d == 1 else upper
        dirs[t] = float(d)
    return st, dirs


def vwap(open_time, high, low, close, volume):
    out = [NAN] * len(close)
    day = None
    pv = vol = 0.0
    for t in range(len(close)):
        d = open_time[t] // DAY
        if d != day:
            day, pv, vol = d, 0.0, 0.0
        tp = (high[t] + low[t] + close[t]) / 3
        pv += tp * volume[t]
        vol += volume[t]
        if vol != 0:
            out[t] = pv / vol
    return out


def cmf(high, low, close, volume, period=20):
    n = len(close)
    mfv = []
    for t in range(n):
        rng = high[t] - low[t]
        if rng == 0:
            mfv.append(0.0)
        else:
            mfv.append(((close[t] - low[t]) - (high[t] - close[t])) / rng * volume[t])
    out = [NAN] * n
    for t in range(period - 1, n):
        sv = math.fsum(volume[t - period + 1: t + 1])
        if sv != 0:
            out[t] = math.fsum(mfv[t - period + 1: t + 1]) / sv
    return out


def stochrsi(rsi):
    n = len(rsi)
    k, d = np.full(n, NAN), np.full(n, NAN)
    valid = np.flatnonzero(~np.isnan(rsi))
    if len(valid) == 0:
        return k, d
    f = valid[0]
    r = np.ascontiguousarray(rsi[f:], dtype=np.float64)
    sk, sd = talib.STOCH(r, r, r, fastk_period=14, slowk_period=3, slowk_matype=0,
                         slowd_period=3, slowd_matype=0)
    k[f:], d[f:] = sk, sd
    return k, d


def battery(c):
    o, h, l, cl, v = c.open, c.high, c.low, c.close, c.volume
    col = {}
    col["rsi_14"] = talib.RSI(cl, 14)
    col["stochrsi_k"], col["stochrsi_d"] = stochrsi(col["rsi_14"])
    col["willr_14"] = talib.WILLR(h, l, cl, 14)
    col["cci_20"] = talib.CCI(h, l, cl, 20)
    col["macd"], col["macd_signal"], col["macd_hist"] = talib.MACD(cl, 12, 26, 9)
    col["ema_20"] = talib.EMA(cl, 20)
    col["sma_20"] = talib.SMA(cl, 20)
    col["alma_9"] = alma(cl)
    col["vidya_14"] = vidya(cl)
    col["t3_5"] = talib.T3(cl, 5, 0.7)
    col["supertrend"], col["supertrend_dir"] = supertrend(h, l, cl)
    col["psar"] = talib.SAR(h, l, 0.02, 0.2)
    col["plus_di_14"] = talib.PLUS_DI(h, l, cl, 14)
    col["minus_di_14"] = talib.MINUS_DI(h, l, cl, 14)
    col["adx_14"] = talib.ADX(h, l, cl, 14)
    up, mid, lo = talib.BBANDS(cl, 20, 2.0, 2.0, 0)
    col["bb_upper"], col["bb_middle"], col["bb_lower"] = up, mid, lo
    pb, bw = [NAN] * len(c), [NAN] * len(c)
    for t in range(len(c)):
        if math.isnan(up[t]):
            continue
        if up[t] != lo[t]:
            pb[t] = (cl[t] - lo[t]) / (up[t] - lo[t])
        if mid[t] != 0:
            bw[t] = (up[t] - lo[t]) / mid[t]
    col["bb_percent_b"], col["bb_width"] = pb, bw
    kc_mid = talib.EMA(cl, 20)
    atr10 = talib.ATR(h, l, cl, 10)
    col["kc_middle"] = np.where(np.isnan(atr10), NAN, kc_mid)
    col["kc_upper"] = kc_mid + 2 * atr10
    col["kc_lower"] = kc_mid - 2 * atr10
    col["atr_14"] = talib.ATR(h, l, cl, 14)
    col["natr_14"] = talib.NATR(h, l, cl, 14)
    col["vwap"] = vwap(c.open_time, h, l, cl, v)
    col["ad"] = talib.AD(h, l, cl, v)
    col["cmf_20"] = cmf(h, l, cl, v)
    col["obv"] = talib.OBV(cl, v)
    col["mfi_14"] = talib.MFI(h, l, cl, v, 14)
    assert set(col) == set(COLUMNS)
    return [np.asarray(col[name], dtype=np.float64) for name in COLUMNS]


def expected_text(c):
    cols = battery(c)
    dir_idx = COLUMNS.index("supertrend_dir")
    out = ["open_time," + ",".join(COLUMNS)]
    for t in range(len(c)):
        cells = [str(c.open_time[t])]
        for k, values in enumerate(cols):
            x = float(values[t])
            if math.isnan(x):
                cells.append("")
            elif k == dir_idx:
                cells.append(str(int(x)))
            else:
                assert math.isfinite(x), (COLUMNS[k], t, x)
                cells.append(repr(x))
        out.append(",".join(cells))
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------
# Output


def write_gz(path, text):
    raw = io.BytesIO()
    # mtime 0 and no file name: the same text always gives the same bytes
    with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0, filename="") as g:
        g.write(text.encode())
    with open(path, "wb") as f:
        f.write(raw.getvalue())


def emit(name, candles):
    candles.validate()
    write_gz(os.path.join(OUT, f"{name}.input.csv.gz"), candles.csv_text())
    write_gz(os.path.join(OUT, f"{name}.expected.csv.gz"), expected_text(candles))
    print(f"{name}: {len(candles)} rows", file=sys.stderr)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".csv.gz"):
            os.remove(os.path.join(OUT, f))

    # 2021-05-18 20:00 UTC: 3000 one-minute candles cross two midnights
    start = 1_621_368_000_000
    for name, seed, level, exp in [
        ("synth_1e-5", 11, 1000, -8),  # 1000 ticks of 1e-8: coarse, tiny
        ("synth_0.5", 12, 5000, -4),
        ("synth_30", 13, 30000, -3),
        ("synth_60000", 14, 6_000_000, -2),
    ]:
        emit(name, synthetic(seed, level, exp, 3000, start))
    emit("synth_flat_start", flat_start(15, 600, start))
    emit("synth_short", synthetic(16, 30000, -3, 25, start, features=False))

    real = [
        ("btcusdt_1m", "BTCUSDT-1m.csv.gz", 6500, 9500),
        ("bttusdt_1m", "BTTUSDT-1m.csv.gz", 6500, 9500),
        ("brdbtc_1m", "BRDBTC-1m.csv.gz", 6500, 9500),
        ("ethusdt_5m", "ETHUSDT-5m.csv.gz", 1500, 4500),
        ("xrpeth_1m", "XRPETH-1m.csv.gz", 0, None),
    ]
    for name, file, a, b in real:
        emit(name, read_kline_file(os.path.join(KLINES, file), a, b))

    # higher timeframes from whole 1m files (partial first and last buckets)
    btc = read_kline_file(os.path.join(KLINES, "BTCUSDT-1m.csv.gz"))
    emit("btcusdt_1m.15m", aggregate(btc, 15 * MIN))
    emit("btcusdt_1m.1h", aggregate(btc, 60 * MIN))
    xrp = read_kline_file(os.path.join(KLINES, "XRPETH-1m.csv.gz"))
    emit("xrpeth_1m.15m", aggregate(xrp, 15 * MIN))


if __name__ == "__main__":
    main()
