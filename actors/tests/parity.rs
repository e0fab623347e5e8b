//! Parity between a backtest and the node trading live-style: the same
//! recorded candles (tests/data/parity: 20 real contracts × 480 minutes)
//! served by the real `qtrade sim-exchange --data` and traded by the real
//! node over loopback (`[market]` and `[trading]` venue `binance`, the
//! replay at 60×), and replayed by `qtrade backtest` with the same config
//! (its default engine: the node's own actors on a simulated clock; the
//! pure-core engine equals it, tests/backtest_actors.rs), give the same
//! orders and the same fills.
//!
//! The simulator starts with its replay clock held, so the node warms up
//! on the same 180 minutes of history the backtest warms up on; the clock
//! runs once the node has a symbol actor for every contract.

mod sim_support;
mod support;

use serde_json::Value;
use sim_support::Sim;
use std::path::PathBuf;
use std::time::Duration;
use support::{Node, TempDir, block, json_events, wait_for_within};

/// Contracts in the data.
const SYMBOLS: usize = 20;
/// Minutes of history before the first traded minute.
const WARMUP: usize = 180;
/// Starting cash of both.
const CASH: f64 = 100_000.0;
/// The simulator's admin token (its clock).
const SIM_TOKEN: &str = "parity-sim-admin-token";

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/parity")
}

fn keys() -> (String, String) {
    ("k".repeat(64), "s".repeat(64))
}

/// The node's config; the backtest reads the same file (its `[market]`
/// warm-up, analysis, selection and `[trading.engine]` knobs). Fees,
/// slippage and the quoted spread are the simulator's below. The screen is
/// read once a wall minute: at 60x a faster refresh spends the venue's
/// request weight (24h tickers weigh 40), and the client's limiter would
/// hold orders back.
fn node_config(sim_http: &str, sim_ws: &str) -> String {
    format!(
        "[market]\nvenue = \"binance\"\nrest_url = \"{sim_http}\"\nws_url = \"{sim_ws}\"\n\
         warmup_minutes = {WARMUP}\nscreen_refresh_ms = 60000\n\
         [screen]\nmin_quote_volume_24h = 0.0\n\
         [trading]\nvenue = \"binance\"\nrest_url = \"{sim_http}\"\ncash = {CASH}\n\
         [trading.engine]\nfee_rate = 0.0004\nslippage_bps = 1.0\nspread_bps = 2.0\n"
    )
}

const SIM_CONFIG: &str = "replay_speed = 60.0\nreplay_hold = true\n\
     replay_warmup_minutes = 180\nreplay_spread_bps = 2.0\nslippage_bps = 1.0\n\
     taker_fee_rate = 0.0004\ninitial_balance_usdt = 100000000.0\n";

/// The backtest's report.json over the data with `config`.
fn backtest(config: &std::path::Path, out: &std::path::Path) -> Value {
    let o = support::qtrade(
        &[
            "backtest",
            "--data",
            data_dir().to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--cash",
            &CASH.to_string(),
            "--report",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

fn get(url: &str, token: Option<&str>) -> Value {
    block(async {
        let mut r = reqwest::Client::new().get(url);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap().json().await.unwrap()
    })
}

/// An order as both sides list it: minute, symbol, buy, quantity,
/// reduce-only.
type Order = (i64, String, bool, f64, bool);
/// A fill: symbol, buy, quantity, price, fee.
type Fill = (String, bool, f64, f64, f64);

fn backtest_orders(r: &Value) -> Vec<Order> {
    let mut v: Vec<Order> = r["orders"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "MARKET")
        .map(|o| {
            (
                o["time"].as_i64().unwrap(),
                o["symbol"].as_str().unwrap().to_owned(),
                o["side"] == "buy",
                o["qty"].as_f64().unwrap(),
                o["reduce_only"].as_bool().unwrap(),
            )
        })
        .collect();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v
}

fn backtest_fills(r: &Value) -> Vec<Fill> {
    let mut v: Vec<Fill> = r["fills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["symbol"].as_str().unwrap().to_owned(),
                f["side"] == "buy",
                f["qty"].as_f64().unwrap(),
                f["price"].as_f64().unwrap(),
                f["fee"].as_f64().unwrap(),
            )
        })
        .collect();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v
}

/// The market orders the node decided (its own `qt-` ids; the orders a
/// fired stop or take-profit placed are the venue's).
fn node_orders(events: &[Value]) -> Vec<Order> {
    let mut v: Vec<Order> = events
        .iter()
        .filter(|e| e["event"] == "OrderPlaced")
        .filter(|e| e["client_id"].as_str().unwrap().starts_with("qt-"))
        .map(|e| {
            (
                e["venue_ts"].as_i64().unwrap(),
                e["symbol"].as_str().unwrap().to_owned(),
                e["side"] == "Long",
                e["qty"].as_f64().unwrap(),
                e["reduce_only"].as_bool().unwrap(),
            )
        })
        .collect();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v
}

/// The node's fills, but those of orders decided on `last_minute` (the
/// backtest has no later minute to book them on).
fn node_fills(events: &[Value], last_minute: i64) -> Vec<Fill> {
    let late: std::collections::BTreeSet<&str> = events
        .iter()
        .filter(|e| e["event"] == "OrderPlaced" && e["venue_ts"] == last_minute)
        .filter_map(|e| e["client_id"].as_str())
        .collect();
    let mut v: Vec<Fill> = events
        .iter()
        .filter(|e| e["event"] == "OrderFilled")
        .filter(|e| !e["client_id"].as_str().is_some_and(|c| late.contains(c)))
        .map(|e| {
            (
                e["symbol"].as_str().unwrap().to_owned(),
                e["side"] == "Long",
                e["qty"].as_f64().unwrap(),
                e["price"].as_f64().unwrap(),
                e["fee"].as_f64().unwrap(),
            )
        })
        .collect();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn the_node_on_the_simulator_trades_what_the_backtest_trades() {
    let (key, secret) = keys();
    let sim = Sim::launch(
        SIM_CONFIG,
        &[
            "--data",
            data_dir().to_str().unwrap(),
            "--api-key",
            &key,
            "--api-secret",
            &secret,
        ],
        &[("QTRADE_SIM_ADMIN_TOKEN", SIM_TOKEN)],
        1,
    );
    let config = node_config(&sim.http(), &sim.ws());
    let dir = TempDir::new("parity");
    let config_path = dir.0.join("node.toml");
    std::fs::write(&config_path, &config).unwrap();

    let report = backtest(&config_path, &dir.0.join("report"));
    let want_orders = backtest_orders(&report);
    let want_fills = backtest_fills(&report);
    let entries = want_orders.iter().filter(|o| !o.4).count();
    assert!(
        entries >= 5 && want_orders.len() > entries,
        "the data must make the backtest trade: {want_orders:?}"
    );
    let last_minute = report["equity"].as_array().unwrap().last().unwrap()[0]
        .as_i64()
        .unwrap();

    let node = Node::start_with(
        &config,
        &[
            ("QTRADE_BINANCE_API_KEY", key.as_str()),
            ("QTRADE_BINANCE_API_SECRET", secret.as_str()),
        ],
    );
    // Warm: the history delivered and a symbol actor per contract.
    wait_for_within(Duration::from_secs(120), "the node's warm-up", || {
        let actors = get(&format!("{}/actors", node.url), None);
        let list = actors["actors"].as_array().or(actors.as_array())?.clone();
        let symbol_actors = list.iter().filter(|a| a["kind"] == "SymbolActor").count();
        let warm = list.iter().any(|a| {
            a["kind"] == "MarketDataHub"
                && a["state"]
                    .as_str()
                    .is_some_and(|s| s.starts_with(&format!("minute {WARMUP} ")))
        });
        (warm && symbol_actors == SYMBOLS).then_some(())
    });
    let run = block(async {
        reqwest::Client::new()
            .post(sim.url("/admin/clock?run=true"))
            .bearer_auth(SIM_TOKEN)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert!(run.is_success(), "{run}");

    // The replay's 300 live minutes take 300 s at 60x.
    let events = wait_for_within(Duration::from_secs(600), "the last minute decided", || {
        let ev = json_events(&node.data_dir(), &[]);
        ev.iter()
            .any(|e| e["event"] == "TopFiveSelected" && e["venue_ts"] == last_minute)
            .then_some(ev)
    });
    // Orders decided on the last minute are sent once it is selected.
    std::thread::sleep(Duration::from_secs(3));
    let events = {
        let later = json_events(&node.data_dir(), &[]);
        if later.len() >= events.len() {
            later
        } else {
            events
        }
    };

    let got_orders = node_orders(&events);
    assert_eq!(
        got_orders, want_orders,
        "the node's orders (left) and the backtest's (right)"
    );
    // Fills up to the last minute (the backtest books none after it).
    let got_fills = node_fills(&events, last_minute);
    assert_eq!(
        got_fills.len(),
        want_fills.len(),
        "fills: node {got_fills:?}\nbacktest {want_fills:?}"
    );
    for (g, w) in got_fills.iter().zip(&want_fills) {
        assert!(
            g.0 == w.0 && g.1 == w.1 && g.2 == w.2 && close(g.3, w.3) && close(g.4, w.4),
            "fill: node {g:?} vs backtest {w:?}"
        );
    }
    // No order placed twice.
    let ids: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "OrderPlaced")
        .filter_map(|e| e["client_id"].as_str())
        .collect();
    let unique: std::collections::BTreeSet<&&str> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
}
