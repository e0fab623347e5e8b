#!/usr/bin/env python3
"""Load of the running node: CPU, memory and candle-close-to-selection latency.

Starts the real `qtrade run` (release build) on the synthetic market with a
generated config, lets it settle, then measures over a window:

- CPU use of the process (utime + stime from /proc/PID/stat), as a share of
  one core and of the machine;
- resident memory (VmRSS);
- the pipeline latency from the hub routing a minute's candles to the
  selector's updated top five, from the node's own Prometheus histogram
  `qtrade_pipeline_latency_seconds` (difference of two scrapes, so only the
  window counts): mean, and p50/p90/p99 as bucket upper bounds;
- the same latency as a share of the candle interval at that speed (the
  budget: at 60x a minute lasts one second).

Usage (after `cargo build --release -p quantumtrade-actors`):

    python3 benches/node_load.py --symbols 150 --speed 60 --seconds 60
    python3 benches/node_load.py --symbols 400 --all-qualify --speed 60 --seconds 60

Standard library only.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of the whole line (1-based);
    # after the ")" split, state is index 0, so they are 11 and 12.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()


def histogram(text, name):
    buckets, total, count = {}, 0.0, 0.0
    for line in text.splitlines():
        m = re.match(rf'^{name}_bucket\{{le="([^"]+)"\}} (\S+)$', line)
        if m:
            le = float("inf") if m.group(1) == "+Inf" else float(m.group(1))
            buckets[le] = float(m.group(2))
        elif line.startswith(f"{name}_sum "):
            total = float(line.split()[1])
        elif line.startswith(f"{name}_count "):
            count = float(line.split()[1])
    return buckets, total, count


def quantile(buckets, q):
    """Upper bound of the bucket holding quantile q (cumulative counts)."""
    items = sorted(buckets.items())
    n = items[-1][1] if items else 0
    for le, c in items:
        if n and c >= q * n:
            return le
    return float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/qtrade")
    ap.add_argument("--symbols", type=int, default=150)
    ap.add_argument("--speed", type=float, default=60.0)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--settle", type=float, default=15.0)
    ap.add_argument("--all-qualify", action="store_true",
                    help="screen thresholds that let every trading contract in")
    ap.add_argument("--json", help="also write the results here")
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="qtrade-load-")
    screen = ("[screen]\nmin_quote_volume_24h = 0.0\nmax_spread = 1.0\nmin_price = 0.0\n"
              if a.all_qualify else "")
    cfg = os.path.join(tmp, "node.toml")
    with open("config/default.toml") as f:
        base = f.read()
    # The default config with the market size and speed replaced.
    base = re.sub(r"(?m)^symbols = \d+", f"symbols = {a.symbols}", base)
    base = re.sub(r"(?m)^speed = [\d.]+", f"speed = {a.speed}", base)
    if screen:
        base = re.sub(r"(?ms)^\[screen\].*?(?=^\[)", screen + "\n", base)
    with open(cfg, "w") as f:
        f.write(base)
    p = subprocess.Popen([a.binary, "run", "--config", cfg, "--listen", "127.0.0.1:0",
                          "--data-dir", os.path.join(tmp, "data")],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = p.stdout.readline().strip()
        url = line.split("listening on ", 1)[1]
        time.sleep(a.settle)
        m0, c0, t0 = get(url + "/metrics"), cpu_seconds(p.pid), time.monotonic()
        time.sleep(a.seconds)
        m1, c1, t1 = get(url + "/metrics"), cpu_seconds(p.pid), time.monotonic()
        rss = rss_bytes(p.pid)
        state = json.loads(get(url + "/state"))
        actors = json.loads(get(url + "/actors"))
    finally:
        p.terminate()
        p.wait(timeout=30)

    b0, s0, n0 = histogram(m0, "qtrade_pipeline_latency_seconds")
    b1, s1, n1 = histogram(m1, "qtrade_pipeline_latency_seconds")
    window = {le: b1[le] - b0.get(le, 0.0) for le in b1}
    n = n1 - n0
    mean = (s1 - s0) / n if n else float("nan")
    wall = t1 - t0
    cpu = (c1 - c0) / wall
    budget = 60.0 / a.speed
    out = {
        "symbols": a.symbols,
        "universe": len(state["universe"]),
        "actors": len(actors),
        "speed": a.speed,
        "window_s": round(wall, 1),
        "selections": int(n),
        "cpu_share_of_one_core": round(cpu, 4),
        "cpu_share_of_machine": round(cpu / os.cpu_count(), 4),
        "rss_mib": round(rss / 2**20, 1),
        "latency_mean_ms": round(mean * 1e3, 3),
        "latency_p50_le_ms": quantile(window, 0.5) * 1e3,
        "latency_p90_le_ms": quantile(window, 0.9) * 1e3,
        "latency_p99_le_ms": quantile(window, 0.99) * 1e3,
        "latency_mean_share_of_minute": round(mean / budget, 5),
    }
    print(json.dumps(out, indent=2))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
