#!/usr/bin/env python3
"""Expected ema_cross results from backtesting.py, the independent engine
QuantumTrade's accounting is checked against (tests/ema_cross_parity.rs).

Rules (issue: backtests): EMA(10) and EMA(30), alpha = 2/(n+1), seeded with
the first close; from index 29 want long iff fast > slow; buy qty when flat
and wanting long, close when long and not; fills at the next open;
commission 0.04% per fill; an open position at the end stays open, marked at
the last close.

Usage:  pip install backtesting==0.6.6 pandas numpy
        python3 scripts/make_ema_cross_expected.py
Writes tests/data/backtest/<set>.ema_cross.json.
"""
import gzip
import json
import os
import warnings

import numpy as np
import pandas as pd
from backtesting import Backtest, Strategy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "backtest")

# (set name, input file relative to the repository, qty, cash)
SETS = [
    ("btcusdt_1m_sample", "tests/data/sample/BTCUSDT-1m-sample.csv", 1, 1_000_000),
    ("synth_30", "tests/data/golden/synth_30.input.csv.gz", 100, 1_000_000),
    ("ethusdt_5m", "tests/data/golden/ethusdt_5m.input.csv.gz", 10, 1_000_000),
]


def read(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        rows = [line.split(",") for line in f.read().splitlines()[1:] if line]
    return pd.DataFrame(
        {
            "Open": [float(r[1]) for r in rows],
            "High": [float(r[2]) for r in rows],
            "Low": [float(r[3]) for r in rows],
            "Close": [float(r[4]) for r in rows],
            "Volume": [float(r[5]) for r in rows],
        },
        index=pd.to_datetime([int(r[0]) for r in rows], unit="ms"),
    )


def ema(x, n):
    a = 2.0 / (n + 1.0)
    out = np.empty(len(x))
    out[0] = x[0]
    for i in range(1, len(x)):
        out[i] = a * x[i] + (1.0 - a) * out[i - 1]
    return out


def strategy(qty):
    class EmaCross(Strategy):
        def init(self):
            self.fast = self.I(ema, self.data.Close, 10)
            self.slow = self.I(ema, self.data.Close, 30)

        def next(self):
            if len(self.data) - 1 < 29:
                return
            want = self.fast[-1] > self.slow[-1]
            if not self.position and want:
                self.buy(size=qty)
            elif self.position and not want:
                self.position.close()

    return EmaCross


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, rel, qty, cash in SETS:
        df = read(os.path.join(ROOT, rel))
        bt = Backtest(df, strategy(qty), cash=cash, commission=0.0004, trade_on_close=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stats = bt.run()
        trades = [
            {
                "qty": float(t.Size),
                "entry_index": int(t.EntryBar),
                "exit_index": int(t.ExitBar),
                "entry_price": float(t.EntryPrice),
                "exit_price": float(t.ExitPrice),
                "pnl": float(t.PnL),
                "fees": float(t.Commission),
            }
            for t in stats._trades.itertuples()
        ]
        doc = {
            "input": rel,
            "engine": "backtesting.py 0.6.6, trade_on_close=False, commission=0.0004",
            "qty": qty,
            "cash": cash,
            "candles": len(df),
            "closed_trades": trades,
            "final_equity": float(stats["Equity Final [$]"]),
        }
        with open(os.path.join(OUT, f"{name}.ema_cross.json"), "w") as f:
            json.dump(doc, f, indent=1)
        print(f"{name}: {len(trades)} closed trades, final equity {doc['final_equity']:.6f}")


if __name__ == "__main__":
    main()
