//! The reference strategy against backtesting.py: on the same candles, the
//! same closed trades (bars, prices, PnL, fees) and the same final equity.
//! Expected values: scripts/make_ema_cross_expected.py (backtesting 0.6.6).

use quantumtrade::backtest::ema_cross::{EmaCrossConfig, run};
use quantumtrade::market::kline_csv::read_klines_path;
use serde_json::Value;
use std::path::Path;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

fn check(set: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(
            root.join("tests/data/backtest")
                .join(format!("{set}.ema_cross.json")),
        )
        .unwrap(),
    )
    .unwrap();
    let candles = read_klines_path(&root.join(expected["input"].as_str().unwrap())).unwrap();
    assert_eq!(candles.len() as u64, expected["candles"].as_u64().unwrap());
    let cfg = EmaCrossConfig {
        qty: expected["qty"].as_f64().unwrap(),
        cash: expected["cash"].as_f64().unwrap(),
        ..EmaCrossConfig::default()
    };
    let result = run(&candles, &cfg);
    let ours: Vec<_> = result
        .trades
        .iter()
        .filter(|t| t.exit_index.is_some())
        .collect();
    let want = expected["closed_trades"].as_array().unwrap();
    assert_eq!(ours.len(), want.len(), "{set}: closed trade count");
    for (k, (o, w)) in ours.iter().zip(want).enumerate() {
        let f = |key: &str| w[key].as_f64().unwrap();
        assert_eq!(
            o.entry_index as u64,
            w["entry_index"].as_u64().unwrap(),
            "{set} trade {k}"
        );
        assert_eq!(
            o.exit_index.unwrap() as u64,
            w["exit_index"].as_u64().unwrap(),
            "{set} trade {k}"
        );
        assert!(close(o.qty, f("qty")), "{set} trade {k}: qty");
        assert!(
            close(o.entry_price, f("entry_price")),
            "{set} trade {k}: entry"
        );
        assert!(
            close(o.exit_price.unwrap(), f("exit_price")),
            "{set} trade {k}: exit"
        );
        assert!(
            close(o.fees, f("fees")),
            "{set} trade {k}: fees {} vs {}",
            o.fees,
            f("fees")
        );
        assert!(
            close(o.pnl, f("pnl")),
            "{set} trade {k}: pnl {} vs {}",
            o.pnl,
            f("pnl")
        );
    }
    let eq = expected["final_equity"].as_f64().unwrap();
    assert!(
        close(result.final_equity, eq),
        "{set}: final equity {} vs {eq}",
        result.final_equity
    );
}

#[test]
fn btc_sample_matches_backtesting_py() {
    check("btcusdt_1m_sample");
}

#[test]
fn synthetic_with_gaps_and_flats_matches_backtesting_py() {
    check("synth_30");
}

#[test]
fn eth_5m_through_the_crash_matches_backtesting_py() {
    check("ethusdt_5m");
}
