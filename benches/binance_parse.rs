//! Criterion benchmarks of the Binance WebSocket parser: messages parsed
//! per second for combined-stream `kline` and `bookTicker` frames, with
//! `serde_json::Value` parsing of the same bytes as the peer (what a
//! client without typed payloads would do, before it even reads a field).
//!
//! - `ws_parse/kline/typed`, `ws_parse/kline/value`
//! - `ws_parse/bookTicker/typed`, `ws_parse/bookTicker/value`
//!
//! Run: `cargo bench --bench binance_parse`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use quantumtrade::exchange::binance::parse::parse_ws_message;
use std::hint::black_box;

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

criterion_group!(benches, parse);
criterion_main!(benches);
