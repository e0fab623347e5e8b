//! End-to-end tests of the trading actors in paper mode: the real node on
//! the accelerated synthetic market, read through `/state`, `qtrade events`
//! and the kill switch's endpoints; restarted after SIGTERM and after
//! SIGKILL on the same data directory.

mod support;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use support::{
    Node, execution_measured, positions_from_state, same_positions, side_sign, wait_for,
};

const TOKEN: &str = "test-admin-token-0123456789";

/// Limits wide enough that the synthetic market trades without halting
/// (the halts have their own tests), and a token for the kill switch.
fn config(extra: &str) -> String {
    format!(
        "[node]\nadmin_token = \"{TOKEN}\"\n\
         [trading.engine.limits]\nmax_var_fraction = 0.5\ndaily_loss_limit = 0.9\nmax_drawdown = 0.95\n{extra}"
    )
}

fn of<'a>(all: &'a [Value], event: &str) -> Vec<&'a Value> {
    all.iter().filter(|e| e["event"] == event).collect()
}

/// Positions as the store's events leave them: symbol → signed quantity.
fn positions_from_events(all: &[Value]) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for e in all {
        let sym = e["symbol"].as_str().unwrap_or_default().to_owned();
        match e["event"].as_str() {
            Some("OrderFilled") => {
                let sign = side_sign(&e["side"]);
                *out.entry(sym).or_insert(0.0) += sign * e["qty"].as_f64().unwrap();
            }
            _ => continue,
        }
    }
    out.retain(|_, q: &mut f64| q.abs() > 1e-9);
    out
}

#[test]
fn paper_trading_trades_and_every_fill_traces_back_to_a_selection() {
    let node = Node::start(&config(""), &[]);
    let all = wait_for("two positions opened", || {
        let all = node.events();
        (of(&all, "PositionOpened").len() >= 2).then_some(all)
    });
    let by_id: BTreeMap<&str, &Value> =
        all.iter().map(|e| (e["id"].as_str().unwrap(), e)).collect();
    let cause = |e: &Value| -> &Value {
        let c = e["cause"]
            .as_str()
            .unwrap_or_else(|| panic!("no cause: {e}"));
        by_id
            .get(c)
            .unwrap_or_else(|| panic!("cause {c} not stored"))
    };
    for opened in of(&all, "PositionOpened") {
        let fill = cause(opened);
        assert_eq!(fill["event"], "OrderFilled", "{opened}");
        assert_eq!(fill["symbol"], opened["symbol"]);
        let placed = cause(fill);
        assert_eq!(placed["event"], "OrderPlaced");
        assert_eq!(placed["client_id"], fill["client_id"]);
        let signal = cause(placed);
        assert_eq!(signal["event"], "EntrySignal");
        // The signal carries the market inputs that made it: the candles'
        // taker flow, the synthetic book's spread and sizes, the paper
        // funding rate.
        let inputs = &signal["candidate"]["inputs"];
        let num = |k: &str| {
            inputs[k]
                .as_f64()
                .unwrap_or_else(|| panic!("{k} not a finite number: {signal}"))
        };
        assert!((0.0..=1.0).contains(&num("taker_buy_ratio")), "{inputs}");
        assert!((-1.0..=1.0).contains(&num("trade_flow_imbalance")));
        assert!(num("spread") > 0.0 && num("max_spread") > 0.0, "{inputs}");
        assert!(num("bid_size") > 0.0 && num("ask_size") > 0.0);
        assert_eq!(num("funding_rate"), 0.0001);
        assert!(num("price_change").is_finite() && num("velocity").is_finite());
        let selection = cause(signal);
        assert_eq!(selection["event"], "TopFiveSelected");
        // The selection that caused it scored the symbol on a closed candle.
        let sym = opened["symbol"].as_str().unwrap();
        let scored = selection["scores"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["symbol"] == sym)
            .unwrap_or_else(|| panic!("{sym} not in its selection"));
        assert!(scored["open_time"].as_i64().unwrap() > 0);
        // Booked with the minute after the decision's.
        assert!(fill["venue_ts"].as_i64() > signal["venue_ts"].as_i64());
    }
    // Every fill belongs to exactly one placed order, and no client order
    // id was ever used twice.
    let placed = of(&all, "OrderPlaced");
    let ids: BTreeSet<&str> = placed
        .iter()
        .map(|p| p["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), placed.len(), "a client order id was reused");
    for f in of(&all, "OrderFilled") {
        assert!(ids.contains(f["client_id"].as_str().unwrap()), "{f}");
    }
    // Once the symbols have seen a window of live minutes, the synthetic
    // market's open interest gives signals an open-interest change.
    let all = wait_for("an entry signal with an open-interest change", || {
        let all = node.events();
        of(&all, "EntrySignal")
            .iter()
            .any(|e| e["candidate"]["inputs"]["oi_change"].is_number())
            .then_some(all)
    });
    for e in of(&all, "EntrySignal") {
        let oi = &e["candidate"]["inputs"]["oi_change"];
        assert!(oi.is_null() || oi.as_f64().unwrap().abs() < 1.0, "{e}");
    }
    let s = node.state();
    assert!(s["equity"].as_f64().unwrap() > 0.0);
    assert!(s["cash"].as_f64().unwrap() > 0.0);
    assert!(s["halted"].is_null(), "{}", s["halted"]);
    // The fills were timed and their slippage measured.
    wait_for("execution histograms on /metrics", || {
        execution_measured(&node, "paper")
    });
}

#[test]
fn the_kill_switch_flattens_halts_and_the_halt_survives_a_restart() {
    let mut node = Node::start(&config(""), &[]);
    wait_for("a position", || {
        (!node.state()["positions"].as_array().unwrap().is_empty()).then_some(())
    });
    assert_eq!(node.post("/halt", None).0, 401);
    assert_eq!(
        node.post("/halt", Some("wrong-token-wrong-token-00")).0,
        401
    );
    let (status, body) = node.post("/halt?by=test", Some(TOKEN));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["halted"]["KillSwitch"]["by"], "test");
    wait_for("flat, with no open orders", || {
        let s = node.state();
        (s["positions"].as_array().unwrap().is_empty()
            && s["open_orders"].as_array().unwrap().is_empty())
        .then_some(())
    });
    let entries_at_halt = of(&node.events(), "OrderPlaced")
        .iter()
        .filter(|o| o["reduce_only"] == false)
        .count();
    // Minutes go by (10 a second); signals keep coming, entries do not.
    wait_for("rejections while halted", || {
        let all = node.events();
        let halted = all
            .iter()
            .filter(|e| e["event"] == "EntryRejected" && e["rejection"].get("Halted").is_some())
            .count();
        (halted >= 3).then_some(())
    });
    let all = node.events();
    let entries = of(&all, "OrderPlaced")
        .iter()
        .filter(|o| o["reduce_only"] == false)
        .count();
    assert_eq!(entries, entries_at_halt, "an entry was placed while halted");

    assert!(node.stop());
    node.restart(&[]);
    let s = node.state();
    assert_eq!(s["halted"]["KillSwitch"]["by"], "test", "{s}");
    // `qtrade resume` finds the node through its data directory and needs
    // the token from the environment.
    let resume = |token: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_qtrade"))
            .args(["resume", "--by", "test", "--data-dir"])
            .arg(node.data_dir())
            .env("QTRADE_ADMIN_TOKEN", token)
            .output()
            .unwrap()
    };
    let refused = resume("wrong-token-wrong-token-00");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("refused the token"));
    assert!(node.state()["halted"].get("KillSwitch").is_some());
    let out = resume(TOKEN);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains(TOKEN));
    assert!(node.state()["halted"].is_null());
    assert!(
        of(&node.events(), "Resumed")
            .iter()
            .any(|e| e["by"] == "test")
    );
}

#[test]
fn after_sigkill_the_node_restores_its_positions_and_never_reuses_an_order_id() {
    let mut node = Node::start(&config(""), &[]);
    wait_for("an open position", || {
        (!node.state()["positions"].as_array().unwrap().is_empty()).then_some(())
    });
    node.kill9();
    node.restart(&[]);
    // The book the node restored equals what its own fills add up to (read
    // twice around the events, so a fill in between retries).
    wait_for("state and events agreeing", || {
        let before = positions_from_state(&node.state());
        let all = node.events();
        let after = positions_from_state(&node.state());
        (before == after && same_positions(&before, &positions_from_events(&all))).then_some(())
    });
    let s = node.state();
    assert!(
        s["halted"].is_null(),
        "venue and book disagreed: {}",
        s["halted"]
    );
    // Each position is protected by a stop held at the venue.
    for p in s["positions"].as_array().unwrap() {
        assert!(
            s["open_orders"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["symbol"] == p["symbol"] && o["kind"] == "STOP_MARKET"),
            "{p} has no stop: {s}"
        );
    }
    wait_for("an order after the restart", || {
        let all = node.events();
        let runs: BTreeSet<&str> = of(&all, "OrderPlaced")
            .iter()
            .map(|o| o["id"].as_str().unwrap().split('-').next().unwrap())
            .collect();
        (runs.len() >= 2).then_some(())
    });
    let all = node.events();
    let placed = of(&all, "OrderPlaced");
    let ids: BTreeSet<&str> = placed
        .iter()
        .map(|p| p["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), placed.len(), "a client order id was sent twice");
}

#[test]
fn each_entry_limit_stops_entries_through_the_node() {
    // No room for any position: every entry is refused, with the reason.
    let node = Node::start(&config("max_open_positions = 0\n"), &[]);
    let all = wait_for("refusals", || {
        let all = node.events();
        (of(&all, "EntryRejected").len() >= 3).then_some(all)
    });
    for r in of(&all, "EntryRejected") {
        assert_eq!(r["rejection"]["MaxPositions"], 0, "{r}");
    }
    assert!(of(&all, "OrderPlaced").is_empty());
    drop(node);
    // A VaR budget nothing fits in.
    let node = Node::start(
        &config("").replace("max_var_fraction = 0.5", "max_var_fraction = 0.000000001"),
        &[],
    );
    let all = wait_for("VaR refusals", || {
        let all = node.events();
        (of(&all, "EntryRejected").len() >= 3).then_some(all)
    });
    assert!(of(&all, "OrderPlaced").is_empty());
    assert!(of(&all, "EntryRejected").iter().all(|r| {
        r["rejection"].get("Var").is_some() || r["rejection"].get("TooSmall").is_some()
    }));
    drop(node);
    // A daily-loss limit any loss breaches: the first losing minute halts.
    let node = Node::start(
        &config("").replace("daily_loss_limit = 0.9", "daily_loss_limit = 0.0000001"),
        &[],
    );
    wait_for("a daily-loss halt", || {
        node.state()["halted"].get("DailyLoss").map(|_| ())
    });
    let all = node.events();
    let halt_seq = all
        .iter()
        .find(|e| e["event"] == "RiskAction")
        .map(|e| e["seq"].as_u64().unwrap())
        .unwrap();
    // Entries decided after the halt are refused.
    wait_for("refusals after the halt", || {
        let all = node.events();
        let n = all
            .iter()
            .filter(|e| e["event"] == "EntryRejected" && e["seq"].as_u64().unwrap() > halt_seq)
            .count();
        (n >= 2).then_some(())
    });
    let all = node.events();
    let late_entries = all
        .iter()
        .filter(|e| {
            e["event"] == "OrderPlaced"
                && e["reduce_only"] == false
                && e["seq"].as_u64().unwrap() > halt_seq
        })
        .count();
    assert_eq!(late_entries, 0, "an entry after the daily-loss halt");
}
