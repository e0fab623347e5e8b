#!/usr/bin/env python3
"""ema_cross throughput: QuantumTrade's backtest against NautilusTrader's.

Both run the reference strategy (EMA(10)/EMA(30) cross, buy 1 when flat and
fast > slow, sell it all when long and not) over the same candles: a
SplitMix64 random walk (benches/bench_candles.py over benches/splitmix_walk.py,
the generator of quantumtrade::market::random_walk), prices rounded to 4 decimals so that
Nautilus' fixed-precision prices hold them exactly. Two shapes: 1 symbol x
500,000 one-minute candles and 50 symbols x 10,000.

Timed: only the replay. For QuantumTrade, `elapsed_s` of report.json
(`qtrade backtest --strategy ema_cross`, release build: the strategy over
every symbol, reading the CSV files excluded); for Nautilus,
`BacktestEngine.run()` (bars already wrangled and added). Medians of
`--repeats` (QuantumTrade) and `--nt-repeats` (Nautilus) runs. Nautilus fills a market order within the bar it was sent on
(its bar matching walks open-high-low-close), while ema_cross fills at the
next open: fills differ, the work per candle does not.

Usage:
    cargo build --release -p quantumtrade-actors
    pip install nautilus_trader numpy pandas
    python3 benches/compare_nautilus.py [--repeats 3]
Prints a markdown table for BENCHMARKS.md.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

import numpy as np
import pandas as pd

from bench_candles import START_MS, candles, write_csvs

from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig, StrategyConfig
from nautilus_trader.indicators import ExponentialMovingAverage
from nautilus_trader.model.currencies import BTC, USDT
from nautilus_trader.model.data import Bar, BarType
from nautilus_trader.model.enums import AccountType, OmsType, OrderSide
from nautilus_trader.model.identifiers import InstrumentId, Symbol, TraderId, Venue
from nautilus_trader.model.instruments import CryptoPerpetual
from nautilus_trader.model.objects import Money, Price, Quantity
from nautilus_trader.persistence.wranglers import BarDataWrangler
from nautilus_trader.trading.strategy import Strategy


def ours(binary, data, repeats):
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "klines")
        os.mkdir(src)
        write_csvs(src, data)
        runs = []
        for _ in range(repeats):
            rep = os.path.join(d, "report")
            subprocess.run([binary, "backtest", "--strategy", "ema_cross", "--data", src,
                            "--qty", "1", "--cash", "1000000", "--report", rep],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with open(os.path.join(rep, "report.json")) as f:
                r = json.load(f)
            runs.append(r)
        t = statistics.median(r["elapsed_s"] for r in runs)
        return t, runs[0]["candles"], runs[0]["metrics"]["trades"]


class EmaCrossConfig(StrategyConfig, frozen=True):
    instrument_id: InstrumentId
    bar_type: BarType


class EmaCross(Strategy):
    def __init__(self, config):
        super().__init__(config)
        self.fast = ExponentialMovingAverage(10)
        self.slow = ExponentialMovingAverage(30)
        self.qty = Quantity.from_str("1.000")
        self.trades = 0

    def on_start(self):
        self.register_indicator_for_bars(self.config.bar_type, self.fast)
        self.register_indicator_for_bars(self.config.bar_type, self.slow)
        self.subscribe_bars(self.config.bar_type)

    def on_bar(self, bar: Bar):
        if not self.slow.initialized:
            return
        iid = self.config.instrument_id
        want_long = self.fast.value > self.slow.value
        flat = self.portfolio.is_flat(iid)
        if want_long and flat:
            self.submit_order(self.order_factory.market(iid, OrderSide.BUY, self.qty))
            self.trades += 1
        elif not want_long and self.portfolio.is_net_long(iid):
            self.submit_order(self.order_factory.market(iid, OrderSide.SELL, self.qty))


def instrument(name):
    return CryptoPerpetual(
        instrument_id=InstrumentId(symbol=Symbol(f"{name}-PERP"), venue=Venue("BINANCE")),
        raw_symbol=Symbol(name), base_currency=BTC, quote_currency=USDT,
        settlement_currency=USDT, is_inverse=False, price_precision=4,
        price_increment=Price.from_str("0.0001"), size_precision=3,
        size_increment=Quantity.from_str("0.001"), max_quantity=Quantity.from_str("1000000.000"),
        min_quantity=Quantity.from_str("0.001"), max_notional=None, min_notional=None,
        max_price=Price.from_str("1000000.0000"), min_price=Price.from_str("0.0001"),
        margin_init=Decimal("0.05"), margin_maint=Decimal("0.025"),
        maker_fee=Decimal("0.0004"), taker_fee=Decimal("0.0004"), ts_event=0, ts_init=0,
    )


def nautilus_once(data):
    o, h, l, c, v = data
    engine = BacktestEngine(BacktestEngineConfig(
        trader_id=TraderId("BENCH-001"), logging=LoggingConfig(bypass_logging=True)))
    engine.add_venue(venue=Venue("BINANCE"), oms_type=OmsType.NETTING,
                     account_type=AccountType.MARGIN, base_currency=None,
                     starting_balances=[Money(1_000_000, USDT)])
    index = pd.to_datetime(START_MS + 60_000 + 60_000 * np.arange(o.shape[1], dtype=np.int64),
                           unit="ms", utc=True)
    bars = 0
    for s in range(o.shape[0]):
        inst = instrument(f"S{s:03d}USDT")
        engine.add_instrument(inst)
        bar_type = BarType.from_str(f"{inst.id}-1-MINUTE-LAST-EXTERNAL")
        df = pd.DataFrame({"open": o[s], "high": h[s], "low": l[s], "close": c[s],
                           "volume": v[s]}, index=index)
        data_s = BarDataWrangler(bar_type, inst).process(df)
        engine.add_data(data_s)
        bars += len(data_s)
        engine.add_strategy(EmaCross(EmaCrossConfig(
            instrument_id=inst.id, bar_type=bar_type, order_id_tag=f"{s:03d}")))
    t0 = time.perf_counter()
    engine.run()
    took = time.perf_counter() - t0
    orders = len(engine.cache.orders())
    engine.dispose()
    return took, bars, orders


def nautilus(data, repeats):
    runs = [nautilus_once(data) for _ in range(repeats)]
    return statistics.median(r[0] for r in runs), runs[0][1], runs[0][2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/qtrade")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--nt-repeats", type=int, default=1,
                    help="Nautilus runs (minutes each at 500,000 candles)")
    a = ap.parse_args()
    print("| shape | QuantumTrade candles/s | NautilusTrader candles/s | ratio | QT closed trades | NT orders |")
    print("|---|---|---|---|---|---|")
    for n_symbols, n in [(1, 500_000), (50, 10_000)]:
        data = candles(n_symbols, n)
        qt_s, qt_candles, qt_trades = ours(a.binary, data, a.repeats)
        nt_s, nt_bars, nt_orders = nautilus(data, a.nt_repeats)
        assert qt_candles == nt_bars == n_symbols * n, (qt_candles, nt_bars)
        qt_rate, nt_rate = qt_candles / qt_s, nt_bars / nt_s
        print(f"| {n_symbols} x {n:,} | {qt_rate:,.0f} | {nt_rate:,.0f} | **{qt_rate / nt_rate:,.0f}x** "
              f"| {qt_trades} | {nt_orders} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
