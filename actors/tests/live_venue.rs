//! End-to-end tests of `[trading] venue = "binance"`: the real node
//! trading on the real `qtrade sim-exchange` over loopback, read through
//! the node's `/state` and events and the simulator's signed REST API.
//!
//! The node takes its market from the simulator too (`[market] venue =
//! "binance"` at the simulator's REST and WebSocket), so both see the same
//! prices: a position the node opens is the one the simulator holds, and
//! stops and take-profits sit where the node put them.

mod sim_support;
mod support;

use quantumtrade::exchange::binance::order::{ClientOrderId, Side};
use quantumtrade::exchange::binance::rate_limit::Cost;
use quantumtrade::exchange::binance::request::{
    Endpoint, HttpMethod, NewOrder, NewOrderType, ResponseType, Security,
};
use quantumtrade_actors::venue::binance::{Credentials, RestClient};
use serde_json::Value;
use sim_support::Sim;
use std::collections::{BTreeMap, BTreeSet};
use support::{Node, block, execution_measured, positions_from_state, same_positions};

const TOKEN: &str = "test-admin-token-0123456789";

/// Each test runs a simulator and a node; run one test at a time so that
/// a loaded CI machine (two cores) gives each pair the time it needs.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Waits for what these tests wait on: the node warms up from the
/// simulator's klines before it trades, and keeps trading, so a moment
/// when its book and the simulator agree (positions and stops) can take a
/// while on a busy machine.
fn wait_for<T>(what: &str, probe: impl FnMut() -> Option<T>) -> T {
    support::wait_for_within(std::time::Duration::from_secs(240), what, probe)
}

/// The simulator's account keys (test values).
fn keys() -> (String, String) {
    ("k".repeat(64), "s".repeat(64))
}

/// The simulator's fault-injection token.
const SIM_TOKEN: &str = "sim-admin-token";

/// The simulator: thirty symbols at 120x (a minute every 0.5 s: the node
/// reads the venue's positions before it books each minute), a deep
/// account, fault injection on, and a request-weight limit the node's
/// market feed and these tests' polling (every 100 ms) together never
/// reach (the limiter has its own tests).
fn sim() -> Sim {
    let (key, secret) = keys();
    Sim::launch(
        "symbols = 30\nhistory_minutes = 120\nmax_history_minutes = 1680\nspeed = 120.0\n\
         initial_balance_usdt = 100000000.0\nweight_limit_per_minute = 1000000\n",
        &["--api-key", &key, "--api-secret", &secret],
        &[("QTRADE_SIM_ADMIN_TOKEN", SIM_TOKEN)],
        1,
    )
}

/// The simulator's market (its klines warm the node), relaxed limits (as
/// node_trading.rs), stops far enough that positions stay open while the
/// tests look at them, and the live venue at `sim`.
fn config(sim: &Sim) -> String {
    format!(
        "[node]\nadmin_token = \"{TOKEN}\"\n\
         [market]\nvenue = \"binance\"\nrest_url = \"{0}\"\nws_url = \"{1}\"\n\
         warmup_minutes = 120\nscreen_refresh_ms = 2000\n\
         [trading]\nvenue = \"binance\"\nrest_url = \"{0}\"\n\
         [trading.engine.limits]\nmax_var_fraction = 0.5\ndaily_loss_limit = 0.9\nmax_drawdown = 0.95\n\
         [trading.engine.sizing]\natr_stop_multiple = 50.0\n\
         [trading.engine.management]\ntrail_atrs = 50.0\n",
        sim.http(),
        sim.ws()
    )
}

fn env() -> Vec<(&'static str, String)> {
    let (key, secret) = keys();
    vec![
        ("QTRADE_BINANCE_API_KEY", key),
        ("QTRADE_BINANCE_API_SECRET", secret),
    ]
}

fn start(sim: &Sim) -> Node {
    let env = env();
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Node::start_with(&config(sim), &pairs)
}

fn restart(node: &mut Node) {
    let env = env();
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    node.restart(&pairs);
}

/// The tests' own signed client, at the simulator's rate limits (these
/// tests poll every 100 ms: under the documented 2400 weight a minute the
/// client would wait out the rest of each minute, and a look at node and
/// venue that straddles such a wait compares two different moments).
fn client(sim: &Sim) -> RestClient {
    let (key, secret) = keys();
    let rest =
        RestClient::new(&sim.http(), Some(Credentials::new(&key, &secret).unwrap())).unwrap();
    block(rest.exchange_info()).unwrap();
    rest
}

/// The simulator's positions: symbol → signed quantity.
fn sim_positions(rest: &RestClient) -> BTreeMap<String, f64> {
    block(rest.position_risk())
        .unwrap()
        .into_iter()
        .filter(|r| r.position_amt.to_f64() != 0.0)
        .map(|r| (r.symbol.0, r.position_amt.to_f64()))
        .collect()
}

/// Symbols with an open STOP_MARKET closePosition algo order at the sim.
fn sim_stops(rest: &RestClient) -> BTreeSet<String> {
    sim_closes(rest, "StopMarket").into_keys().collect()
}

/// The open closePosition algo orders of type `kind` (`StopMarket`,
/// `TakeProfitMarket`) at the sim: symbol → their algo ids.
fn sim_closes(rest: &RestClient, kind: &str) -> BTreeMap<String, Vec<i64>> {
    let mut out: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for a in block(rest.every_open_algo_order()).unwrap() {
        if a.close_position && format!("{:?}", a.order_type) == kind {
            out.entry(a.symbol.0).or_default().push(a.algo_id.0);
        }
    }
    out
}

/// Each take-profit `/state` shows (beside its position's stop) is open
/// at the sim, exactly once, and the sim holds no other: symbol → its algo
/// id. (A short's target three stop distances under the entry can be under
/// zero with these tests' far stops: that position holds none.)
fn take_profits(node: &Node, rest: &RestClient) -> Option<BTreeMap<String, i64>> {
    let s = node.state();
    let held = positions_from_state(&s);
    let tps = sim_closes(rest, "TakeProfitMarket");
    let orders = s["open_orders"].as_array().unwrap();
    let shown = |sym: &str, kind: &str| {
        orders
            .iter()
            .any(|o| o["symbol"] == sym && o["kind"] == kind && o["reduce_only"] == true)
    };
    let with_tp: BTreeSet<&String> = held
        .keys()
        .filter(|sym| shown(sym, "TAKE_PROFIT_MARKET"))
        .collect();
    let all = held.keys().all(|sym| shown(sym, "STOP_MARKET"))
        && with_tp
            .iter()
            .all(|sym| tps.get(*sym).is_some_and(|ids| ids.len() == 1))
        && tps.keys().all(|sym| with_tp.contains(sym));
    (all && positions_from_state(&node.state()) == held).then(|| {
        with_tp
            .into_iter()
            .map(|sym| (sym.clone(), tps[sym][0]))
            .collect()
    })
}

/// Every client order id the simulator saw for the thirty symbols.
fn sim_client_ids(rest: &RestClient) -> Vec<String> {
    const ALL_ORDERS: Endpoint = Endpoint {
        method: HttpMethod::Get,
        path: "/fapi/v1/allOrders",
        security: Security::Signed,
    };
    let mut ids = Vec::new();
    for i in 0..30 {
        let symbol = format!("SYN{i:03}USDT");
        let body = block(rest.send(
            ALL_ORDERS,
            &[("symbol", &symbol), ("limit", "1000")],
            Cost::weight(5),
        ))
        .unwrap();
        let orders: Vec<Value> = serde_json::from_slice(&body).unwrap();
        ids.extend(
            orders
                .iter()
                .map(|o| o["clientOrderId"].as_str().unwrap().to_owned()),
        );
    }
    ids
}

/// The node's positions equal the simulator's, each protected by its stop
/// there (read node, sim, node again so a change in between retries).
fn agreeing(node: &Node, rest: &RestClient) -> Option<BTreeMap<String, f64>> {
    agreement(node, rest).ok()
}

/// The positions when the node's book (read before and after the venue)
/// and the simulator's positions agree and each venue position has its
/// stop; otherwise what disagreed, for the message of a failed wait.
fn agreement(node: &Node, rest: &RestClient) -> Result<BTreeMap<String, f64>, String> {
    let before = positions_from_state(&node.state());
    let venue = sim_positions(rest);
    let stops = sim_stops(rest);
    let after = positions_from_state(&node.state());
    if before != after {
        return Err(format!("the node's book moved: {before:?} -> {after:?}"));
    }
    if !same_positions(&before, &venue) {
        return Err(format!("node {before:?}, venue {venue:?}"));
    }
    match venue.keys().find(|s| !stops.contains(*s)) {
        Some(naked) => Err(format!(
            "{naked} has no stop at the venue (stops: {stops:?})"
        )),
        None => Ok(before),
    }
}

/// Waits until node and venue agree on a non-empty set of positions;
/// a failed wait says what the last look saw.
fn wait_for_agreement(node: &Node, rest: &RestClient, what: &str) -> BTreeMap<String, f64> {
    let mut last = String::new();
    let found =
        support::wait_for_within_or(std::time::Duration::from_secs(240), || {
            match agreement(node, rest) {
                Ok(p) if !p.is_empty() => Some(p),
                Ok(_) => {
                    last = "both flat".into();
                    None
                }
                Err(e) => {
                    last = e;
                    None
                }
            }
        });
    found.unwrap_or_else(|| panic!("gave up waiting for {what}; last seen: {last}"))
}

fn no_duplicates(ids: &[String]) {
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(
        unique.len(),
        ids.len(),
        "a client order id was sent twice: {ids:?}"
    );
}

#[test]
fn orders_reach_the_sim_positions_agree_and_survive_a_sigkill() {
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let sim = sim();
    let rest = client(&sim);
    let mut node = start(&sim);
    // (a) Orders reach the simulator; a position opens on both sides.
    let held = wait_for_agreement(
        &node,
        &rest,
        "positions held at the sim and the node, each with its stop",
    );
    // Every order the node placed is one the simulator knows, by our id.
    // The node's events are read first: an order filled in them is at the
    // simulator by then (read the other way round, one placed and filled
    // in between looks unknown).
    let all = node.events();
    let ids = sim_client_ids(&rest);
    assert!(!ids.is_empty());
    no_duplicates(&ids);
    let placed: BTreeSet<String> = all
        .iter()
        .filter(|e| e["event"] == "OrderPlaced")
        .map(|e| e["client_id"].as_str().unwrap().to_owned())
        .collect();
    let known: BTreeSet<&String> = ids.iter().collect();
    let answered: BTreeSet<&str> = all
        .iter()
        .filter(|e| e["event"] == "OrderFilled")
        .map(|e| e["client_id"].as_str().unwrap())
        .collect();
    for id in &placed {
        if answered.contains(id.as_str()) && id.starts_with("qt-") {
            assert!(known.contains(id), "{id} filled but unknown to the sim");
        }
    }
    eprintln!("held at the sim: {held:?}");
    // The orders' REST round trips and fills were timed, their slippage
    // measured.
    wait_for("execution histograms on /metrics", || {
        execution_measured(&node, "binance")
    });
    let s = node.state();
    assert!(s["halted"].is_null(), "{}", s["halted"]);

    // Each position's take-profit is held at the sim beside its stop
    // (checked with what the simulator holds, read once before the kill).
    let tps = wait_for("the take-profits beside the stops", || {
        take_profits(&node, &rest).filter(|t| !t.is_empty())
    });
    let venue_before = sim_positions(&rest);

    // (b) SIGKILL, restart on the same data directory.
    node.kill9();
    restart(&mut node);
    let venue_after = wait_for("positions agreeing after the restart", || {
        agreeing(&node, &rest)
    });
    let s = node.state();
    assert!(s["halted"].is_null(), "{}", s["halted"]);
    // The take-profits are still there, each once; a position the restart
    // left as it was keeps the very order it had (not sent again).
    let tps_after = wait_for(
        "the take-profits beside the stops after the restart",
        || take_profits(&node, &rest),
    );
    for (sym, id) in &tps {
        if venue_before.get(sym) == venue_after.get(sym) && tps_after.contains_key(sym) {
            assert_eq!(tps_after[sym], *id, "{sym}: take-profit replaced");
        }
    }
    // The kill switch flattens through the venue: the exits carry ids
    // that continue the journaled sequence, none reused, and each closed
    // position's stop is cancelled at the simulator.
    let before = sim_client_ids(&rest).len();
    let (status, body) = node.post("/halt?by=test", Some(TOKEN));
    assert_eq!(status, 200, "{body}");
    wait_for(
        "flat at the node and the sim, no stop or take-profit left",
        || {
            let flat = positions_from_state(&node.state()).is_empty()
                && sim_positions(&rest).is_empty()
                && sim_stops(&rest).is_empty()
                && sim_closes(&rest, "TakeProfitMarket").is_empty();
            flat.then_some(())
        },
    );
    let ids = sim_client_ids(&rest);
    assert!(ids.len() > before, "no exit reached the sim");
    no_duplicates(&ids);
}

#[test]
fn a_position_opened_by_hand_halts_entries_at_the_restart() {
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let sim = sim();
    let rest = client(&sim);
    let mut node = start(&sim);
    assert!(node.state()["halted"].is_null());
    assert!(node.stop());
    // A position the node did not open, on a symbol it does not hold.
    let held = sim_positions(&rest);
    let symbol = (0..30)
        .map(|i| format!("SYN{i:03}USDT"))
        .find(|s| !held.contains_key(s))
        .unwrap();
    // Worth about 1,000 USDT, a whole number of units (on every step grid).
    let price = block(rest.book_ticker(&symbol)).unwrap().ask_price;
    let qty = (1_000.0 / price).ceil().max(1.0);
    let order = NewOrder {
        symbol: symbol.clone(),
        side: Side::Buy,
        position_side: None,
        order_type: NewOrderType::Market,
        quantity: qty.to_string().parse().unwrap(),
        reduce_only: false,
        client_order_id: ClientOrderId::new("by-hand-1").unwrap(),
        response_type: ResponseType::Result,
    };
    block(rest.new_order(&order)).unwrap();
    let ids_before = sim_client_ids(&rest);
    restart(&mut node);
    let s = node.state();
    let halted = s["halted"].to_string();
    assert!(
        halted.contains("reconciliation") && halted.contains(&symbol),
        "{halted}"
    );
    // Minutes pass; entries are refused, none reaches the simulator.
    let start_seq = node
        .events()
        .iter()
        .filter_map(|e| e["seq"].as_u64())
        .max()
        .unwrap_or(0);
    wait_for("entries refused while halted", || {
        let n = node
            .events()
            .iter()
            .filter(|e| {
                e["event"] == "EntryRejected"
                    && e["rejection"].get("Halted").is_some()
                    && e["seq"].as_u64().unwrap() > start_seq
            })
            .count();
        (n >= 3).then_some(())
    });
    let entries_after = node
        .events()
        .iter()
        .filter(|e| {
            e["event"] == "OrderPlaced"
                && e["reduce_only"] == false
                && e["seq"].as_u64().unwrap() > start_seq
        })
        .count();
    assert_eq!(entries_after, 0, "an entry was sent while halted");
    let ids_after = sim_client_ids(&rest);
    let new: Vec<&String> = ids_after
        .iter()
        .filter(|i| !ids_before.contains(i))
        .collect();
    // Only exits (stop moves are algo orders, not listed here) may go out.
    for id in &new {
        let placed = node
            .events()
            .into_iter()
            .find(|e| e["event"] == "OrderPlaced" && e["client_id"] == id.as_str());
        assert!(
            placed.is_some_and(|p| p["reduce_only"] == true),
            "{id} sent while halted"
        );
    }
}

#[test]
fn a_refused_send_is_queried_recorded_cancelled_and_never_sent_again() {
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let sim = sim();
    let rest = client(&sim);
    // The simulator refuses the first new orders (-2010).
    let status = block(async {
        reqwest::Client::new()
            .post(sim.url("/admin/faults?kind=reject_orders&count=2"))
            .bearer_auth(SIM_TOKEN)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert!(status.is_success());
    let started = std::time::Instant::now();
    let node = start(&sim);
    let canceled = wait_for("orders recorded as not placed", || {
        let all = node.events();
        let c: Vec<String> = all
            .iter()
            .filter(|e| {
                e["event"] == "OrderCanceled"
                    && e["reason"]
                        .as_str()
                        .is_some_and(|r| r.contains("not placed"))
            })
            .map(|e| e["client_id"].as_str().unwrap().to_owned())
            .collect();
        (!c.is_empty()).then_some(c)
    });
    // Trading goes on: later orders are filled at the simulator.
    eprintln!("refusals recorded after {:?}", started.elapsed());
    wait_for_agreement(&node, &rest, "positions agreeing after the refusals");
    eprintln!("positions agreed after {:?}", started.elapsed());
    let ids = sim_client_ids(&rest);
    no_duplicates(&ids);
    for c in &canceled {
        assert!(
            !ids.contains(c),
            "{c} was recorded cancelled but reached the sim"
        );
    }
    // Each refused order was recorded once, never retried under its id.
    let all = node.events();
    for c in &canceled {
        let placed = all
            .iter()
            .filter(|e| e["event"] == "OrderPlaced" && e["client_id"] == c.as_str())
            .count();
        assert_eq!(placed, 1, "{c}");
    }
}

#[test]
fn a_position_closed_at_the_venue_is_booked_closed_and_its_stop_cancelled() {
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let sim = sim();
    let rest = client(&sim);
    let node = start(&sim);
    let held = wait_for_agreement(&node, &rest, "a position held at both, with its stop");
    let (symbol, qty) = held.into_iter().next().unwrap();
    // Its stop, and its take-profit when it has one: as many at the sim
    // as /state shows.
    let algo_ids: BTreeSet<i64> = wait_for("its conditional orders at the sim", || {
        let shown = node.state()["open_orders"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["symbol"] == symbol.as_str() && o["reduce_only"] == true)
            .count();
        let ids: BTreeSet<i64> = block(rest.every_open_algo_order())
            .unwrap()
            .into_iter()
            .filter(|a| a.symbol.0 == symbol)
            .map(|a| a.algo_id.0)
            .collect();
        (!ids.is_empty() && ids.len() == shown).then_some(ids)
    });
    let last_seq = node
        .events()
        .iter()
        .filter_map(|e| e["seq"].as_u64())
        .max()
        .unwrap_or(0);
    // Closed behind the node's back (as a fired stop would).
    let order = NewOrder {
        symbol: symbol.clone(),
        side: if qty > 0.0 { Side::Sell } else { Side::Buy },
        position_side: None,
        order_type: NewOrderType::Market,
        quantity: qty.abs().to_string().parse().unwrap(),
        reduce_only: true,
        client_order_id: ClientOrderId::new("by-hand-close").unwrap(),
        response_type: ResponseType::Result,
    };
    block(rest.new_order(&order)).unwrap();
    wait_for(
        "the close booked, the stop and take-profit cancelled",
        || {
            let all = node.events();
            let booked = all.iter().any(|e| {
                e["event"] == "PositionClosed"
                    && e["symbol"] == symbol.as_str()
                    && e["seq"].as_u64().unwrap() > last_seq
            });
            let still_open = block(rest.every_open_algo_order())
                .unwrap()
                .iter()
                .any(|a| algo_ids.contains(&a.algo_id.0));
            (booked && !still_open).then_some(())
        },
    );
    wait_for("positions agreeing after the close", || {
        agreeing(&node, &rest)
    });
    assert!(node.state()["halted"].is_null());
}
