//! Tick to order inside the node: a closed 1m kline frame as it comes off
//! the WebSocket, to the signed order request ready to be written to the
//! venue. The path is the node's: typed parse and continuity guard, the
//! symbol's analysis (battery on four timeframes, regime, score, composite
//! signals), the signal desk's ranking of the selection, the risk desk's
//! sizing, VaR budget and limits, and the `POST /fapi/v1/order` query string
//! with its HMAC-SHA256 signature. Network, journal fsync and actor hops
//! are outside it (the actor hop has its own bench, `actor_hop`).
//!
//! `cargo bench --bench tick_to_order` prints criterion's estimate and then
//! the p50 and p99 of 20,000 timed ticks, and how many ended in an order.

use criterion::{Criterion, criterion_group};
use quantumtrade::analysis::breakout::BreakoutSettings;
use quantumtrade::events::signal::SymbolScore;
use quantumtrade::exchange::binance::filters::SymbolRules;
use quantumtrade::exchange::binance::kline_continuity::KlineContinuity;
use quantumtrade::exchange::binance::parse::{WsBody, parse_ws_message};
use quantumtrade::exchange::binance::sign::{ApiSecret, signed_query};
use quantumtrade::exchange::binance::ws::MarketEvent;
use quantumtrade::indicators::battery::Column;
use quantumtrade::market::synthetic::{SyntheticConfig, SyntheticMarket};
use quantumtrade::market::{Candle, Interval, Symbol};
use quantumtrade::node::symbol::{SymbolAnalyzer, SymbolConfig};
use quantumtrade::risk::limits::RiskLimits;
use quantumtrade::selection::correlation::ReturnWindows;
use quantumtrade::signals::ranker::RankerConfig;
use quantumtrade::trading::paper::{PaperConfig, rules_of};
use quantumtrade::trading::risk_desk::{EntryDecision, GateInput, RiskDesk};
use quantumtrade::trading::signal_desk::{SignalDesk, SignalInput};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Warm-up minutes before the measured ticks.
const WARM: usize = 600;
/// Ticks prepared (the analysis is reset to the warm state after them).
const TICKS: usize = 2_000;

/// Everything a tick touches, warmed up.
#[derive(Clone)]
struct Pipeline {
    symbol: Symbol,
    analyzer: SymbolAnalyzer,
    continuity: KlineContinuity,
    scores: BTreeMap<Symbol, SymbolScore>,
    top: Vec<Symbol>,
    returns: BTreeMap<Symbol, Vec<f64>>,
    windows: ReturnWindows,
    rules: SymbolRules,
    signals: SignalDesk,
    risk: RiskDesk,
}

fn frame(s: &Symbol, c: &Candle) -> Vec<u8> {
    let lower = s.as_str().to_lowercase();
    format!(
        "{{\"stream\":\"{lower}@kline_1m\",\"data\":{{\"e\":\"kline\",\"E\":{e},\"s\":\"{s}\",\"k\":{{\"t\":{t},\"T\":{end},\"s\":\"{s}\",\"i\":\"1m\",\"f\":100,\"L\":200,\"o\":\"{o}\",\"c\":\"{cl}\",\"h\":\"{h}\",\"l\":\"{l}\",\"v\":\"{v}\",\"n\":{n},\"x\":true,\"q\":\"{q}\",\"V\":\"{tb}\",\"Q\":\"{tq}\",\"B\":\"0\"}}}}}}",
        e = c.open_time + 60_000,
        t = c.open_time,
        end = c.open_time + 59_999,
        o = c.open,
        cl = c.close,
        h = c.high,
        l = c.low,
        v = c.volume,
        n = c.trades,
        q = c.quote_volume,
        tb = c.taker_buy_volume,
        tq = c.taker_buy_quote_volume,
    )
    .into_bytes()
}

/// A warmed pipeline for the first of 8 synthetic symbols and the next
/// [`TICKS`] closed-kline frames of that symbol.
fn setup() -> (Pipeline, Vec<Vec<u8>>) {
    let mut market = SyntheticMarket::new(SyntheticConfig {
        symbols: 8,
        ..SyntheticConfig::default()
    });
    let profiles = market.profiles().to_vec();
    let mut analyzers: Vec<SymbolAnalyzer> = profiles
        .iter()
        .map(|p| {
            SymbolAnalyzer::new(
                p.instrument.symbol.clone(),
                SymbolConfig::default(),
                BreakoutSettings::default(),
            )
        })
        .collect();
    let mut windows = ReturnWindows::new(120);
    let mut closes: Vec<Vec<f64>> = vec![Vec::new(); profiles.len()];
    let mut continuity = KlineContinuity::new(60_000);
    for _ in 0..WARM {
        for m in market.step() {
            analyzers[m.index].on_candle(&m.kline);
            windows.push(
                &profiles[m.index].instrument.symbol,
                m.kline.open_time,
                m.kline.close,
            );
            closes[m.index].push(m.kline.close);
            if m.index == 0 {
                continuity.on_live(m.kline);
            }
        }
    }
    let symbol = profiles[0].instrument.symbol.clone();
    let frames: Vec<Vec<u8>> = (0..TICKS)
        .flat_map(|_| market.step())
        .filter(|m| m.index == 0)
        .map(|m| frame(&symbol, &m.kline))
        .collect();
    let scores: BTreeMap<Symbol, SymbolScore> = analyzers
        .iter()
        .filter_map(|a| a.last().map(|s| (s.symbol.clone(), s.clone())))
        .collect();
    let top: Vec<Symbol> = profiles
        .iter()
        .take(5)
        .map(|p| p.instrument.symbol.clone())
        .collect();
    let returns = profiles
        .iter()
        .zip(&closes)
        .map(|(p, c)| {
            let tail = &c[c.len() - 241..];
            (
                p.instrument.symbol.clone(),
                tail.windows(2).map(|w| w[1] / w[0] - 1.0).collect(),
            )
        })
        .collect();
    // Every ranked signal an entry, and limits that let it through: the
    // bench times the path to an order, not the strategy's selectivity.
    let cfg = PaperConfig {
        ranker: RankerConfig {
            min_strength: 0.0,
            ..RankerConfig::default()
        },
        limits: RiskLimits {
            max_var_fraction: 1.0,
            max_abs_correlation: 1.0,
            ..RiskLimits::default()
        },
        ..PaperConfig::default()
    };
    let pipeline = Pipeline {
        rules: rules_of(&profiles[0].instrument).expect("rules"),
        analyzer: analyzers.swap_remove(0),
        symbol,
        continuity,
        scores,
        top,
        returns,
        windows,
        signals: SignalDesk::new(cfg.signal_desk()),
        risk: RiskDesk::new(cfg.risk_desk(), 100_000.0, 0),
    };
    (pipeline, frames)
}

impl Pipeline {
    /// One tick; the signed query when it ends in an order.
    fn tick(&mut self, frame: &[u8], secret: &ApiSecret) -> Option<String> {
        let m = parse_ws_message(frame).ok()?;
        let WsBody::Market(MarketEvent::Kline(k)) = m.body else {
            return None;
        };
        let candle = self.continuity.on_live(k.kline.to_candle()).pop()?;
        let score = self.analyzer.on_candle(&candle)?.clone();
        let atr = self
            .analyzer
            .row(Interval::M5)
            .map_or(f64::NAN, |r| r[Column::Atr14 as usize]);
        self.scores.insert(self.symbol.clone(), score);
        let returns: BTreeMap<Symbol, &[f64]> = self
            .returns
            .iter()
            .map(|(s, r)| (s.clone(), r.as_slice()))
            .collect();
        let windows = &self.windows;
        let corr = |a: &Symbol, b: &Symbol| windows.correlation(a, b, 30);
        let ranked = self.signals.rank(&SignalInput {
            scores: &self.scores,
            top: &self.top,
            returns: &returns,
            correlation: &corr,
        });
        let signal = ranked
            .into_iter()
            .find(|r| r.candidate.symbol == self.symbol)?;
        let side = signal.entry?;
        let EntryDecision::Order(req) = self.risk.gate(
            &self.symbol,
            side,
            &GateInput {
                at: candle.open_time,
                equity: 100_000.0,
                price: candle.close,
                atr,
                rules: &self.rules,
                open: &[],
                returns: &returns,
                correlation: &corr,
            },
        ) else {
            return None;
        };
        let qty = format!("{}", req.qty);
        let params = [
            ("symbol", self.symbol.as_str()),
            ("side", if req.side.sign() > 0.0 { "BUY" } else { "SELL" }),
            ("type", "MARKET"),
            ("quantity", qty.as_str()),
            ("newClientOrderId", "qt-1-0"),
            ("newOrderRespType", "RESULT"),
        ];
        Some(signed_query(
            secret,
            &params,
            Some(5_000),
            candle.open_time + 60_000,
        ))
    }
}

fn bench(c: &mut Criterion) {
    let (warm, frames) = setup();
    let secret = ApiSecret::new("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j");
    let mut g = c.benchmark_group("tick_to_order");
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("kline_frame_to_signed_order", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut p = warm.clone();
            for i in 0..iters as usize {
                if i > 0 && i % frames.len() == 0 {
                    p = warm.clone();
                }
                let start = Instant::now();
                black_box(p.tick(black_box(&frames[i % frames.len()]), &secret));
                total += start.elapsed();
            }
            total
        });
    });
    g.finish();
}

/// p50 and p99 of individually timed ticks.
fn percentiles() {
    let (warm, frames) = setup();
    let secret = ApiSecret::new("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j");
    let mut took = Vec::new();
    let mut orders = 0usize;
    for _ in 0..10 {
        let mut p = warm.clone();
        for f in &frames {
            let start = Instant::now();
            let o = black_box(p.tick(black_box(f), &secret));
            took.push(start.elapsed());
            orders += usize::from(o.is_some());
        }
    }
    took.sort();
    let at = |q: f64| took[((took.len() as f64 * q) as usize).min(took.len() - 1)];
    println!(
        "tick_to_order: {} ticks, {} ended in an order; p50 {:.2} µs, p99 {:.2} µs, max {:.2} µs",
        took.len(),
        orders,
        at(0.50).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
        took[took.len() - 1].as_secs_f64() * 1e6
    );
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    percentiles();
}
