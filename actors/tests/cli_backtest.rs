//! `qtrade backtest` end to end: the real binary replays the committed
//! reference sets and its report.json agrees with backtesting.py's trades
//! and final equity (tests/data/backtest, scripts/make_ema_cross_expected.py);
//! report.html is one self-contained page with its charts.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn qtrade(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_qtrade"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("qtrade-bt-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn report(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

#[test]
fn ema_cross_reports_what_backtesting_py_computes() {
    for set in ["synth_30", "btcusdt_1m_sample", "ethusdt_5m"] {
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(
                repo().join(format!("tests/data/backtest/{set}.ema_cross.json")),
            )
            .unwrap(),
        )
        .unwrap();
        let dir = tmp(set);
        let out = qtrade(&[
            "backtest",
            "--strategy",
            "ema_cross",
            "--data",
            expected["input"].as_str().unwrap(),
            "--qty",
            &expected["qty"].to_string(),
            "--cash",
            &expected["cash"].to_string(),
            "--report",
            dir.to_str().unwrap(),
        ]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{set}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("final equity"), "{stdout}");
        let r = report(&dir);
        let m = &r["metrics"];
        let want = expected["final_equity"].as_f64().unwrap();
        let got = m["final_equity"].as_f64().unwrap();
        assert!((got - want).abs() <= 1e-9 * want, "{set}: {got} vs {want}");
        let closed: Vec<&Value> = r["trades"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| !t["exit_time"].is_null())
            .collect();
        let want_trades = expected["closed_trades"].as_array().unwrap();
        assert_eq!(closed.len(), want_trades.len(), "{set}");
        assert_eq!(m["trades"].as_u64().unwrap() as usize, want_trades.len());
        for (o, w) in closed.iter().zip(want_trades) {
            for (ours, theirs) in [
                ("entry_price", "entry_price"),
                ("exit_price", "exit_price"),
                ("pnl", "pnl"),
            ] {
                let (a, b) = (o[ours].as_f64().unwrap(), w[theirs].as_f64().unwrap());
                assert!(
                    (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                    "{set} {ours}: {a} vs {b}"
                );
            }
        }
        assert_eq!(r["candles"], expected["candles"]);
        for key in [
            "total_return",
            "sharpe",
            "sortino",
            "max_drawdown",
            "win_rate",
            "profit_factor",
            "fees",
        ] {
            assert!(m.get(key).is_some(), "{key}");
        }
        assert!(r["elapsed_s"].as_f64().unwrap() >= 0.0);
        let eq = r["equity"].as_array().unwrap();
        assert_eq!(eq.len() as u64, expected["candles"].as_u64().unwrap());
        let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
        assert!(html.starts_with("<!doctype html>") && html.trim_end().ends_with("</html>"));
        assert!(
            html.matches("<svg").count() >= 3,
            "equity/drawdown, PnL by symbol, trades on price"
        );
        assert!(!html.contains("src=\"http"), "self-contained");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn the_time_range_narrows_the_replay() {
    let dir = tmp("range");
    let out = qtrade(&[
        "backtest",
        "--strategy",
        "ema_cross",
        "--data",
        "tests/data/sample/BTCUSDT-1m-sample.csv",
        "--from",
        "0",
        "--to",
        "2100-01-01",
        "--report",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let all = report(&dir)["candles"].as_u64().unwrap();
    let first = report(&dir)["equity"][0][0].as_i64().unwrap();
    let out = qtrade(&[
        "backtest",
        "--strategy",
        "ema_cross",
        "--data",
        "tests/data/sample/BTCUSDT-1m-sample.csv",
        "--from",
        &(first + 60_000 * 100).to_string(),
        "--report",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert_eq!(report(&dir)["candles"].as_u64().unwrap(), all - 100);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_node_strategy_replays_the_pipeline_deterministically() {
    let golden = repo().join("tests/data/golden");
    let dir = tmp("node");
    let mut args: Vec<String> = [
        "backtest",
        "--strategy",
        "node",
        "--cash",
        "100000",
        "--report",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    args.push(dir.display().to_string());
    args.push("--data".into());
    for n in ["btcusdt_1m", "bttusdt_1m", "xrpeth_1m", "synth_30"] {
        args.push(
            golden
                .join(format!("{n}.input.csv.gz"))
                .display()
                .to_string(),
        );
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = qtrade(&argv);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = report(&dir);
    assert_eq!(first["strategy"], "node");
    let m = &first["metrics"];
    let trades = first["trades"].as_array().unwrap();
    // Equity = cash + every trade's net PnL (closed and marked open).
    let pnl: f64 = trades.iter().map(|t| t["pnl"].as_f64().unwrap()).sum();
    let fin = m["final_equity"].as_f64().unwrap();
    assert!(
        (fin - (100_000.0 + pnl)).abs() < 1e-6 * 100_000.0,
        "{fin} vs {pnl}"
    );
    for t in trades {
        assert!(t["entry_price"].as_f64().unwrap() > 0.0);
        assert!(matches!(t["side"].as_str(), Some("long" | "short")));
    }
    let exposure = m["exposure"].as_f64().unwrap();
    assert!(
        exposure > 0.0 && exposure <= 1.0 || trades.is_empty(),
        "{exposure}"
    );
    // Every fill belongs to an order; fees add up to the metric.
    let (orders, fills) = (
        first["orders"].as_array().unwrap(),
        first["fills"].as_array().unwrap(),
    );
    assert!(fills.len() <= orders.len() && fills.len() >= trades.len());
    let fees: f64 = fills.iter().map(|f| f["fee"].as_f64().unwrap()).sum();
    let want = m["fees"].as_f64().unwrap();
    assert!(
        (fees - want).abs() < 1e-6 * want.max(1.0),
        "{fees} vs {want}"
    );
    let out = qtrade(&argv);
    assert!(out.status.success());
    assert_eq!(
        (&report(&dir)["trades"], &report(&dir)["orders"]),
        (&first["trades"], &first["orders"]),
        "same data, same trades and orders"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn refusals_are_one_clear_line() {
    let dir = tmp("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let good =
        std::fs::read_to_string(repo().join("tests/data/sample/BTCUSDT-1m-sample.csv")).unwrap();
    let mut lines: Vec<&str> = good.lines().collect();
    lines[4] = "1,2,3";
    let bad = dir.join("BAD-1m.csv");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let out = qtrade(&[
        "backtest",
        "--strategy",
        "ema_cross",
        "--data",
        bad.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("BAD-1m.csv") && err.contains("line 5"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let sample = repo().join("tests/data/sample/BTCUSDT-1m-sample.csv");
    let out = qtrade(&[
        "backtest",
        "--replay-spread-bps",
        "2000",
        "--data",
        sample.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("--replay-spread-bps"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
