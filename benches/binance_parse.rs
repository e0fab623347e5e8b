//! Criterion benchmarks of the Binance WebSocket parser: messages parsed
//! per second for combined-stream `kline` and `bookTicker` frames, with
//! `serde_json::Value` parsing of the same bytes as the peer (what a
//! client without typed payloads would do, before it even reads a field).
//!
//! - `ws_parse/kline/typed`, `ws_parse/kline/value`
//! - `ws_parse/bookTicker/typed`, `ws_parse/bookTicker/value`
//!
//! - `frame_to_candle/typed`: a closed 1m kline frame (combined stream) to
//!   the candle delivered by the gap/duplicate guard (`KlineContinuity`),
//!   the client's whole path from bytes to candle; `frame_to_candle/value`:
//!   the same through `serde_json::Value` and field lookups (no guard).
//!
//! Run: `cargo bench --bench binance_parse`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use quantumtrade::exchange::binance::kline_continuity::KlineContinuity;
use quantumtrade::exchange::binance::parse::{WsBody, parse_ws_message};
use quantumtrade::exchange::binance::ws::MarketEvent;
use quantumtrade::market::Candle;
use std::hint::black_box;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn sample(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/data/binance/samples/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    // Compact, in the venue's key order (a `Value` round trip would sort
    // the keys).
    let mut out = Vec::new();
    let (mut in_str, mut escaped) = (false, false);
    for b in std::fs::read(&path).expect("sample") {
        if in_str {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
            }
        } else if b == b'"' {
            in_str = true;
        } else if b.is_ascii_whitespace() {
            continue;
        }
        out.push(b);
    }
    out
}

fn combined(stream: &str, raw: &[u8]) -> Vec<u8> {
    let mut out = format!("{{\"stream\":\"{stream}\",\"data\":").into_bytes();
    out.extend_from_slice(raw);
    out.push(b'}');
    out
}

fn parse(c: &mut Criterion) {
    let frames = [
        ("kline", sample("ws_combined_kline.json")),
        (
            "bookTicker",
            combined("btcusdt@bookTicker", &sample("ws_bookTicker.json")),
        ),
    ];
    let mut g = c.benchmark_group("ws_parse");
    g.throughput(Throughput::Elements(1));
    for (name, frame) in &frames {
        assert!(parse_ws_message(frame).is_ok(), "{name} sample must parse");
        g.bench_function(format!("{name}/typed"), |b| {
            b.iter(|| parse_ws_message(black_box(frame)));
        });
        g.bench_function(format!("{name}/value"), |b| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(frame)));
        });
    }
    g.finish();
}

/// Closed 1m kline frames with consecutive open times.
fn closed_klines(n: usize) -> Vec<Vec<u8>> {
    (0..n as i64)
        .map(|i| {
            let t = 1_638_747_660_000 + i * 60_000;
            format!(
                "{{\"stream\":\"btcusdt@kline_1m\",\"data\":{{\"e\":\"kline\",\"E\":{e},\"s\":\"BTCUSDT\",\"k\":{{\"t\":{t},\"T\":{end},\"s\":\"BTCUSDT\",\"i\":\"1m\",\"f\":100,\"L\":200,\"o\":\"48125.10\",\"c\":\"48130.55\",\"h\":\"48140.00\",\"l\":\"48101.20\",\"v\":\"152.331\",\"n\":1024,\"x\":true,\"q\":\"7331234.51\",\"V\":\"80.1\",\"Q\":\"3855120.11\",\"B\":\"0\"}}}}}}",
                e = t + 60_000,
                end = t + 59_999
            )
            .into_bytes()
        })
        .collect()
}

fn value_candle(frame: &[u8]) -> Option<Candle> {
    let v: serde_json::Value = serde_json::from_slice(frame).ok()?;
    let k = &v["data"]["k"];
    let num = |key: &str| k[key].as_str().and_then(|s| s.parse::<f64>().ok());
    Some(Candle {
        open_time: k["t"].as_i64()?,
        open: num("o")?,
        high: num("h")?,
        low: num("l")?,
        close: num("c")?,
        volume: num("v")?,
        quote_volume: num("q")?,
        trades: k["n"].as_u64()?,
        taker_buy_volume: num("V")?,
        taker_buy_quote_volume: num("Q")?,
    })
}

fn frame_to_candle(c: &mut Criterion) {
    const N: usize = 10_000;
    let frames = closed_klines(N);
    let mut g = c.benchmark_group("frame_to_candle");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(4));
    g.bench_function("typed", |b| {
        b.iter_custom(|iters| {
            let mut cont = KlineContinuity::new(60_000);
            let start = Instant::now();
            for i in 0..iters as usize {
                if i % N == 0 {
                    cont = KlineContinuity::new(60_000);
                }
                let Ok(m) = parse_ws_message(&frames[i % N]) else {
                    continue;
                };
                if let WsBody::Market(MarketEvent::Kline(k)) = m.body {
                    black_box(cont.on_live(k.kline.to_candle()));
                }
            }
            start.elapsed()
        });
    });
    g.bench_function("value", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for i in 0..iters as usize {
                black_box(value_candle(&frames[i % N]));
            }
            start.elapsed()
        });
    });
    g.finish();
}

criterion_group!(benches, parse, frame_to_candle);
criterion_main!(benches);
