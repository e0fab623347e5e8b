//! Scenario tests of the simulated exchange's trading side, driven through
//! `SimExchange::request` with signed requests and a scripted wall clock:
//! every answer and user-data event is parsed back with the client's
//! Binance types.

use quantumtrade::exchange::binance::filters::OrderKind;
use quantumtrade::exchange::binance::order::{
    AlgoStatus, ExecutionType, OrderStatus, OrderType, Side,
};
use quantumtrade::exchange::binance::parse::{WsBody, parse_ws_message};
use quantumtrade::exchange::binance::rest::{
    AccountV2, AccountV3, AlgoCancelResponse, AlgoOrderResponse, Balance, CodeMsgResponse,
    ExchangeInfo, LeverageResponse, ListenKeyResponse, OrderResponse, PositionRiskV2,
    PositionRiskV3,
};
use quantumtrade::exchange::binance::sign::{ApiSecret, signed_query};
use quantumtrade::exchange::binance::user_data::UserEvent;
use quantumtrade::exchange::binance::{ApiError, SymbolRules};
use quantumtrade::exchange::sim::{Credentials, RestReply, RestRequest, SimConfig, SimExchange};
use serde::de::DeserializeOwned;
use serde_json::Value;

const KEY: &str = "simkey0123456789";
const SECRET: &str = "simsecret0123456789abcdef";
const WALL: i64 = 1_767_312_000_000 + 3 * 3_600_000 + 500;
const SYMBOL: &str = "SYN001USDT";
const MINUTE: i64 = 60_000;

fn exchange(speed: f64) -> SimExchange {
    let config = SimConfig {
        symbols: 3,
        history_minutes: 120,
        max_history_minutes: 120 + 1440,
        speed,
        ..SimConfig::default()
    };
    SimExchange::new(config, WALL)
        .unwrap()
        .with_credentials(Credentials::new(KEY, SECRET))
}

fn signed(
    x: &mut SimExchange,
    method: &str,
    path: &str,
    p: &[(&str, &str)],
    wall: i64,
) -> RestReply {
    let q = signed_query(&ApiSecret::new(SECRET), p, None, wall);
    x.request(&RestRequest {
        method,
        path,
        query: &q,
        body: "",
        api_key: Some(KEY),
        wall_ms: wall,
    })
}

fn ok<T: DeserializeOwned>(r: &RestReply) -> T {
    assert_eq!(r.status, 200, "{}", r.body);
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body))
}

fn code(r: &RestReply) -> i64 {
    assert_ne!(r.status, 200, "{}", r.body);
    ApiError::from_body(r.body.as_bytes()).unwrap().code.code()
}

fn rules(x: &mut SimExchange) -> SymbolRules {
    let info: ExchangeInfo = ok(&x.rest("GET", "/fapi/v1/exchangeInfo", "", WALL));
    info.symbols
        .iter()
        .find(|s| s.symbol == SYMBOL)
        .unwrap()
        .rules()
        .unwrap()
}

/// A quantity worth about `usdt` at the mark price, on the step grid.
fn qty_for(x: &mut SimExchange, usdt: f64) -> String {
    let i = x.market().index_of(SYMBOL).unwrap();
    let mark = x.market().mark_price(i);
    rules(x)
        .round_qty(usdt / mark, OrderKind::Market)
        .unwrap()
        .to_string()
}

fn listen(x: &mut SimExchange, wall: i64) -> String {
    let r = x.request(&RestRequest {
        method: "POST",
        path: "/fapi/v1/listenKey",
        query: "",
        body: "",
        api_key: Some(KEY),
        wall_ms: wall,
    });
    ok::<ListenKeyResponse>(&r).listen_key
}

fn user_events(x: &mut SimExchange) -> Vec<UserEvent> {
    x.take_user_frames()
        .iter()
        .map(
            |f| match parse_ws_message(f.payload.as_bytes()).unwrap().body {
                WsBody::User(e) => *e,
                other => panic!("not a user event: {other:?}"),
            },
        )
        .collect()
}

#[test]
fn market_order_round_trip() {
    let mut x = exchange(60.0);
    let key = listen(&mut x, WALL);
    assert!(x.listen_key_valid(&key, WALL));
    let qty = qty_for(&mut x, 200.0);
    let r = signed(
        &mut x,
        "POST",
        "/fapi/v1/order",
        &[
            ("symbol", SYMBOL),
            ("side", "BUY"),
            ("type", "MARKET"),
            ("quantity", &qty),
            ("newClientOrderId", "e2e-1"),
            ("newOrderRespType", "RESULT"),
        ],
        WALL,
    );
    assert_eq!(r.order_count, Some((1, 1)));
    let o: OrderResponse = ok(&r);
    assert_eq!(o.status, OrderStatus::Filled);
    assert_eq!(o.client_order_id.as_str(), "e2e-1");
    assert_eq!(o.executed_qty.to_string(), qty);
    let avg = o.avg_price.unwrap().to_f64();
    let i = x.market().index_of(SYMBOL).unwrap();
    let (book, _) = x.market().book(i);
    // Filled at the ask plus 1 bp of slippage, rounded up to the tick.
    let tick = rules(&mut x).price.tick_size.to_f64();
    assert!(
        avg > book.ask && avg <= book.ask * 1.0001 + tick,
        "{avg} vs {}",
        book.ask
    );

    let pos: Vec<PositionRiskV2> = ok(&signed(
        &mut x,
        "GET",
        "/fapi/v2/positionRisk",
        &[("symbol", SYMBOL)],
        WALL,
    ));
    assert_eq!(pos.len(), 1);
    assert_eq!(pos[0].position_amt.to_string(), qty);
    assert!((pos[0].entry_price - avg).abs() < 1e-6);
    assert_eq!(pos[0].leverage, 20);

    let q = qty.parse::<f64>().unwrap();
    let fee = q * avg * 0.0005;
    let acct: AccountV2 = ok(&signed(&mut x, "GET", "/fapi/v2/account", &[], WALL));
    assert!((acct.totals.total_wallet_balance - (10_000.0 - fee)).abs() < 1e-6);
    let upnl = q * (x.market().mark_price(i) - avg);
    assert!((acct.totals.total_unrealized_profit - upnl).abs() < 1e-6);
    let v3: AccountV3 = ok(&signed(&mut x, "GET", "/fapi/v3/account", &[], WALL));
    assert_eq!(v3.positions.len(), 1);
    let bal: Vec<Balance> = ok(&signed(&mut x, "GET", "/fapi/v3/balance", &[], WALL));
    assert!((bal[0].balance - (10_000.0 - fee)).abs() < 1e-6);
    let p3: Vec<PositionRiskV3> = ok(&signed(&mut x, "GET", "/fapi/v3/positionRisk", &[], WALL));
    assert_eq!(p3.len(), 1, "v3 lists only symbols with a position");

    let trades: Vec<Value> = ok(&signed(
        &mut x,
        "GET",
        "/fapi/v1/userTrades",
        &[("symbol", SYMBOL)],
        WALL,
    ));
    assert_eq!(trades.len(), 1);
    assert_eq!(trades[0]["orderId"], o.order_id.0);
    assert_eq!(trades[0]["buyer"], true);
    let income: Vec<Value> = ok(&signed(&mut x, "GET", "/fapi/v1/income", &[], WALL));
    assert_eq!(income.len(), 1);
    assert_eq!(income[0]["incomeType"], "COMMISSION");
    let paid: f64 = income[0]["income"].as_str().unwrap().parse().unwrap();
    assert!((paid + fee).abs() < 1e-7);

    let events = user_events(&mut x);
    let kinds: Vec<String> = events
        .iter()
        .map(|e| match e {
            UserEvent::OrderTradeUpdate(u) => format!("{:?}", u.order.execution_type),
            UserEvent::AccountUpdate(_) => "ACCOUNT".into(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(kinds, ["New", "Trade", "ACCOUNT"]);
    let UserEvent::OrderTradeUpdate(t) = &events[1] else {
        unreachable!()
    };
    assert_eq!(t.order.status, OrderStatus::Filled);
    assert_eq!(t.order.last_filled_qty.to_string(), qty);
    assert!((t.order.commission.unwrap() - fee).abs() < 1e-7);
    let UserEvent::AccountUpdate(a) = &events[2] else {
        unreachable!()
    };
    assert_eq!(a.data.positions[0].position_amt.to_string(), qty);
    assert!((a.data.balances[0].wallet_balance - (10_000.0 - fee)).abs() < 1e-6);

    // Close it: realized PnL booked, position flat, nothing unrealized.
    let r = signed(
        &mut x,
        "POST",
        "/fapi/v1/order",
        &[
            ("symbol", SYMBOL),
            ("side", "SELL"),
            ("type", "MARKET"),
            ("quantity", &qty),
            ("reduceOnly", "true"),
        ],
        WALL + 1,
    );
    let ack: OrderResponse = ok(&r);
    assert_eq!(
        ack.status,
        OrderStatus::New,
        "ACK answers the accepted order"
    );
    let pos: Vec<PositionRiskV2> = ok(&signed(
        &mut x,
        "GET",
        "/fapi/v2/positionRisk",
        &[("symbol", SYMBOL)],
        WALL + 1,
    ));
    assert!(pos[0].position_amt.is_zero());
    assert_eq!(pos[0].unrealized_profit, 0.0);
    let income: Vec<Value> = ok(&signed(
        &mut x,
        "GET",
        "/fapi/v1/income",
        &[("incomeType", "REALIZED_PNL")],
        WALL + 1,
    ));
    assert_eq!(income.len(), 1);
}

#[test]
fn limit_order_rests_then_fills_when_traded_through() {
    let mut x = exchange(60.0);
    listen(&mut x, WALL);
    let i = x.market().index_of(SYMBOL).unwrap();
    let (book, _) = x.market().book(i);
    let r = rules(&mut x);
    let price = r
        .round_price(
            book.bid * 0.999,
            quantumtrade::exchange::binance::decimal::RoundingMode::Down,
        )
        .unwrap()
        .to_string();
    let qty = qty_for(&mut x, 100.0);
    let o: OrderResponse = ok(&signed(
        &mut x,
        "POST",
        "/fapi/v1/order",
        &[
            ("symbol", SYMBOL),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("timeInForce", "GTC"),
            ("quantity", &qty),
            ("price", &price),
        ],
        WALL,
    ));
    assert_eq!(o.status, OrderStatus::New);
    let open: Vec<OrderResponse> = ok(&signed(
        &mut x,
        "GET",
        "/fapi/v1/openOrders",
        &[("symbol", SYMBOL)],
        WALL,
    ));
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].order_id, o.order_id);
    // One simulated minute per wall second; stop at the first fill.
    let mut wall = WALL;
    let mut filled_at = None;
    for _ in 0..2000 {
        wall += 1000;
        x.advance(wall, false);
        let q: OrderResponse = ok(&signed(
            &mut x,
            "GET",
            "/fapi/v1/order",
            &[("symbol", SYMBOL), ("orderId", &o.order_id.0.to_string())],
            wall,
        ));
        if q.status == OrderStatus::Filled {
            filled_at = Some(q);
            break;
        }
    }
    let q = filled_at.expect("the market never traded through the bid");
    assert_eq!(
        q.avg_price.unwrap().to_string().parse::<f64>().unwrap(),
        price.parse::<f64>().unwrap()
    );
    let events = user_events(&mut x);
    let trade = events
        .iter()
        .find_map(|e| match e {
            UserEvent::OrderTradeUpdate(u) if u.order.execution_type == ExecutionType::Trade => {
                Some(u)
            }
            _ => None,
        })
        .unwrap();
    assert!(trade.order.is_maker);
    let fee = qty.parse::<f64>().unwrap() * price.parse::<f64>().unwrap() * 0.0002;
    assert!((trade.order.commission.unwrap() - fee).abs() < 1e-7);
    let open: Vec<OrderResponse> = ok(&signed(&mut x, "GET", "/fapi/v1/openOrders", &[], wall));
    assert!(open.is_empty());
}

#[test]
fn cancel_and_cancel_all() {
    let mut x = exchange(60.0);
    let i = x.market().index_of(SYMBOL).unwrap();
    let (book, _) = x.market().book(i);
    let r = rules(&mut x);
    let far = r
        .round_price(
            book.bid * 0.97,
            quantumtrade::exchange::binance::decimal::RoundingMode::Down,
        )
        .unwrap()
        .to_string();
    let qty = qty_for(&mut x, 100.0);
    let place = |x: &mut SimExchange, cid: &str| -> OrderResponse {
        ok(&signed(
            x,
            "POST",
            "/fapi/v1/order",
            &[
                ("symbol", SYMBOL),
                ("side", "BUY"),
                ("type", "LIMIT"),
                ("timeInForce", "GTC"),
                ("quantity", &qty),
                ("price", &far),
                ("newClientOrderId", cid),
            ],
            WALL,
        ))
    };
    place(&mut x, "a");
    place(&mut x, "b");
    let dup = signed(
        &mut x,
        "POST",
        "/fapi/v1/order",
        &[
            ("symbol", SYMBOL),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("timeInForce", "GTC"),
            ("quantity", &qty),
            ("price", &far),
            ("newClientOrderId", "a"),
        ],
        WALL,
    );
    assert_eq!(code(&dup), -4116);
    let c: OrderResponse = ok(&signed(
        &mut x,
        "DELETE",
        "/fapi/v1/order",
        &[("symbol", SYMBOL), ("origClientOrderId", "a")],
        WALL,
    ));
    assert_eq!(c.status, OrderStatus::Canceled);
    let again = signed(
        &mut x,
        "DELETE",
        "/fapi/v1/order",
        &[("symbol", SYMBOL), ("origClientOrderId", "a")],
        WALL,
    );
    assert_eq!(code(&again), -2011);
    let all: CodeMsgResponse = ok(&signed(
        &mut x,
        "DELETE",
        "/fapi/v1/allOpenOrders",
        &[("symbol", SYMBOL)],
        WALL,
    ));
    assert!(all.is_success());
    let open: Vec<OrderResponse> = ok(&signed(&mut x, "GET", "/fapi/v1/openOrders", &[], WALL));
    assert!(open.is_empty());
    let hist: Vec<OrderResponse> = ok(&signed(
        &mut x,
        "GET",
        "/fapi/v1/allOrders",
        &[("symbol", SYMBOL)],
        WALL,
    ));
    assert_eq!(hist.len(), 2);
    assert!(hist.iter().all(|o| o.status == OrderStatus::Canceled));
    let missing = signed(
        &mut x,
        "GET",
        "/fapi/v1/order",
        &[("symbol", SYMBOL), ("orderId", "42")],
        WALL,
    );
    assert_eq!(code(&missing), -2013);
    // Cancelled orders are still queryable, but no longer open.
    let id = c.order_id.0.to_string();
    let q = [("symbol", SYMBOL), ("orderId", id.as_str())];
    ok::<OrderResponse>(&signed(&mut x, "GET", "/fapi/v1/order", &q, WALL));
    assert_eq!(
        code(&signed(&mut x, "GET", "/fapi/v1/openOrder", &q, WALL)),
        -2013
    );
    let mode: quantumtrade::exchange::binance::rest::PositionModeResponse = ok(&signed(
        &mut x,
        "GET",
        "/fapi/v1/positionSide/dual",
        &[],
        WALL,
    ));
    assert!(!mode.dual_side_position);
    let set = |x: &mut SimExchange, v: &str| {
        code(&signed(
            x,
            "POST",
            "/fapi/v1/positionSide/dual",
            &[("dualSidePosition", v)],
            WALL,
        ))
    };
    assert_eq!(set(&mut x, "false"), -4059);
    assert_eq!(set(&mut x, "true"), -1130);
}

#[test]
fn order_rejections_carry_binance_codes() {
    let mut x = exchange(60.0);
    let i = x.market().index_of(SYMBOL).unwrap();
    let (book, _) = x.market().book(i);
    let r = rules(&mut x);
    let qty = qty_for(&mut x, 100.0);
    let tick = r.price.tick_size.to_f64();
    let step = r.lot.step_size.to_f64();
    let pd = r.price.tick_size.scale() as usize;
    let qd = r.lot.step_size.scale() as usize;
    let bid = format!("{:.pd$}", book.bid);
    let ask = format!("{:.pd$}", book.ask);
    let mut order = |extra: &[(&str, &str)]| {
        let mut p = vec![("symbol", SYMBOL), ("side", "BUY")];
        p.extend_from_slice(extra);
        code(&signed(&mut x, "POST", "/fapi/v1/order", &p, WALL))
    };
    assert_eq!(order(&[("type", "STOP_MARKET"), ("quantity", &qty)]), -4120);
    assert_eq!(order(&[("type", "MARKET")]), -1102);
    assert_eq!(order(&[("type", "BOGUS"), ("quantity", &qty)]), -1116);
    assert_eq!(
        order(&[("type", "LIMIT"), ("quantity", &qty), ("price", &bid)]),
        -1102,
        "timeInForce is mandatory for LIMIT"
    );
    let off_tick = format!("{:.*}", pd + 1, book.bid - tick / 2.0);
    assert!([-4014, -1111].contains(&order(&[
        ("type", "LIMIT"),
        ("timeInForce", "GTC"),
        ("quantity", &qty),
        ("price", &off_tick)
    ])),);
    let half_step = format!("{:.*}", qd + 1, qty.parse::<f64>().unwrap() + step / 2.0);
    assert!([-4023, -1111].contains(&order(&[("type", "MARKET"), ("quantity", &half_step)])));
    let tiny = format!("{step:.qd$}");
    assert_eq!(order(&[("type", "MARKET"), ("quantity", &tiny)]), -4164);
    assert_eq!(
        order(&[
            ("type", "LIMIT"),
            ("timeInForce", "GTX"),
            ("quantity", &qty),
            ("price", &ask)
        ]),
        -5022
    );
    assert_eq!(
        order(&[
            ("type", "MARKET"),
            ("quantity", &qty),
            ("reduceOnly", "true")
        ]),
        -2022
    );
    assert_eq!(
        order(&[
            ("type", "MARKET"),
            ("quantity", &qty),
            ("positionSide", "LONG")
        ]),
        -4061
    );
    let huge = qty_for(&mut x, 10_000.0 * 25.0);
    let mut p = vec![("symbol", SYMBOL), ("side", "BUY"), ("type", "MARKET")];
    p.push(("quantity", &huge));
    assert_eq!(
        code(&signed(&mut x, "POST", "/fapi/v1/order", &p, WALL)),
        -2019
    );
    let p = [
        ("symbol", "NOPEUSDT"),
        ("side", "BUY"),
        ("type", "MARKET"),
        ("quantity", "1"),
    ];
    assert_eq!(
        code(&signed(&mut x, "POST", "/fapi/v1/order", &p, WALL)),
        -1121
    );
}

#[test]
fn auth_failures_and_listen_key_rules() {
    let mut x = exchange(1.0);
    let q = signed_query(&ApiSecret::new(SECRET), &[], None, WALL);
    fn req<'a>(api_key: Option<&'a str>, query: &'a str, wall: i64) -> RestRequest<'a> {
        RestRequest {
            method: "GET",
            path: "/fapi/v2/balance",
            query,
            body: "",
            api_key,
            wall_ms: wall,
        }
    }
    assert_eq!(x.request(&req(Some(KEY), &q, WALL)).status, 200);
    let r = x.request(&req(None, &q, WALL));
    assert_eq!((r.status, code(&r)), (401, -2014));
    assert_eq!(code(&x.request(&req(Some("nope"), &q, WALL))), -2015);
    let tampered = q.replace("timestamp=", "recvWindow=6000&timestamp=");
    assert_eq!(code(&x.request(&req(Some(KEY), &tampered, WALL))), -1022);
    assert_eq!(code(&x.request(&req(Some(KEY), &q, WALL + 5_001))), -1021);
    assert_eq!(code(&x.request(&req(Some(KEY), &q, WALL - 1_000))), -1021);
    let keep = |x: &mut SimExchange, wall| {
        x.request(&RestRequest {
            method: "PUT",
            path: "/fapi/v1/listenKey",
            query: "",
            body: "",
            api_key: Some(KEY),
            wall_ms: wall,
        })
    };
    assert_eq!(code(&keep(&mut x, WALL)), -1125);
    let k = listen(&mut x, WALL);
    assert_eq!(listen(&mut x, WALL + 10), k, "same key while active");
    assert_eq!(
        ok::<ListenKeyResponse>(&keep(&mut x, WALL + 30 * MINUTE)).listen_key,
        k
    );
    // Valid 60 minutes after the keepalive, then a listenKeyExpired event.
    x.advance(WALL + 89 * MINUTE, false);
    assert!(x.listen_key_valid(&k, WALL + 89 * MINUTE));
    assert!(x.take_user_frames().is_empty());
    x.advance(WALL + 91 * MINUTE, false);
    let frames = x.take_user_frames();
    assert_eq!(frames.len(), 1);
    let WsBody::User(e) = parse_ws_message(frames[0].payload.as_bytes()).unwrap().body else {
        panic!("not a user event")
    };
    assert!(
        matches!(*e, UserEvent::ListenKeyExpired(ref k2) if k2.listen_key.as_deref() == Some(k.as_str()))
    );
    assert!(!x.listen_key_valid(&k, WALL + 91 * MINUTE));
}

#[test]
fn leverage_and_margin_type() {
    let mut x = exchange(60.0);
    let l: LeverageResponse = ok(&signed(
        &mut x,
        "POST",
        "/fapi/v1/leverage",
        &[("symbol", SYMBOL), ("leverage", "5")],
        WALL,
    ));
    assert_eq!(l.leverage, 5);
    let r = signed(
        &mut x,
        "POST",
        "/fapi/v1/leverage",
        &[("symbol", SYMBOL), ("leverage", "126")],
        WALL,
    );
    assert_eq!(code(&r), -4028);
    let m = |x: &mut SimExchange, t: &str| {
        signed(
            x,
            "POST",
            "/fapi/v1/marginType",
            &[("symbol", SYMBOL), ("marginType", t)],
            WALL,
        )
    };
    assert_eq!(code(&m(&mut x, "CROSSED")), -4046);
    assert!(ok::<CodeMsgResponse>(&m(&mut x, "ISOLATED")).is_success());
    let qty = qty_for(&mut x, 100.0);
    ok::<OrderResponse>(&signed(
        &mut x,
        "POST",
        "/fapi/v1/order",
        &[
            ("symbol", SYMBOL),
            ("side", "SELL"),
            ("type", "MARKET"),
            ("quantity", &qty),
        ],
        WALL,
    ));
    assert_eq!(code(&m(&mut x, "CROSSED")), -4048);
    let pos: Vec<PositionRiskV2> = ok(&signed(
        &mut x,
        "GET",
        "/fapi/v2/positionRisk",
        &[("symbol", SYMBOL)],
        WALL,
    ));
    assert_eq!(pos[0].leverage, 5);
    assert!(pos[0].position_amt.is_negative());
    let iw = pos[0].isolated_wallet.unwrap();
    let expect = (pos[0].position_amt.to_f64() * pos[0].entry_price).abs() / 5.0;
    assert!((iw - expect).abs() < 1e-6, "{iw} vs {expect}");
}

#[test]
fn stop_market_close_position_triggers_and_closes() {
    let mut x = exchange(60.0);
    listen(&mut x, WALL);
    let qty = qty_for(&mut x, 100.0);
    ok::<OrderResponse>(&signed(
        &mut x,
        "POST",
        "/fapi/v1/order",
        &[
            ("symbol", SYMBOL),
            ("side", "BUY"),
            ("type", "MARKET"),
            ("quantity", &qty),
        ],
        WALL,
    ));
    let i = x.market().index_of(SYMBOL).unwrap();
    let last = x.market().last_price(i);
    let r = rules(&mut x);
    let round = |p: f64| {
        r.round_price(
            p,
            quantumtrade::exchange::binance::decimal::RoundingMode::Down,
        )
        .unwrap()
        .to_string()
    };
    let algo = |x: &mut SimExchange, side: &str, trigger: &str| {
        signed(
            x,
            "POST",
            "/fapi/v1/algoOrder",
            &[
                ("algoType", "CONDITIONAL"),
                ("symbol", SYMBOL),
                ("side", side),
                ("type", "STOP_MARKET"),
                ("triggerPrice", trigger),
                ("closePosition", "true"),
            ],
            WALL,
        )
    };
    // A SELL stop above the last price would fire at once.
    assert_eq!(code(&algo(&mut x, "SELL", &round(last * 1.01))), -2021);
    let a: AlgoOrderResponse = ok(&algo(&mut x, "SELL", &round(last * 0.998)));
    assert_eq!(a.algo_status, AlgoStatus::New);
    assert_eq!(a.order_type, OrderType::StopMarket);
    let q: AlgoOrderResponse = ok(&signed(
        &mut x,
        "GET",
        "/fapi/v1/algoOrder",
        &[("algoId", &a.algo_id.0.to_string())],
        WALL,
    ));
    assert_eq!(q.algo_id, a.algo_id);
    let extra: AlgoOrderResponse = ok(&algo(&mut x, "SELL", &round(last * 0.5)));
    let c: AlgoCancelResponse = ok(&signed(
        &mut x,
        "DELETE",
        "/fapi/v1/algoOrder",
        &[("algoId", &extra.algo_id.0.to_string())],
        WALL,
    ));
    assert_eq!(c.code, 200);
    let mut wall = WALL;
    let mut fired = false;
    for _ in 0..5000 {
        wall += 1000;
        x.advance(wall, false);
        let pos: Vec<PositionRiskV2> = ok(&signed(
            &mut x,
            "GET",
            "/fapi/v2/positionRisk",
            &[("symbol", SYMBOL)],
            wall,
        ));
        if pos[0].position_amt.is_zero() {
            fired = true;
            break;
        }
    }
    assert!(fired, "the stop never triggered");
    let events = user_events(&mut x);
    let statuses: Vec<AlgoStatus> = events
        .iter()
        .filter_map(|e| match e {
            UserEvent::AlgoUpdate(u) if u.order.algo_id == a.algo_id => Some(u.order.status),
            _ => None,
        })
        .collect();
    assert_eq!(
        statuses,
        [AlgoStatus::New, AlgoStatus::Triggered, AlgoStatus::Finished]
    );
    let closing = events
        .iter()
        .find_map(|e| match e {
            UserEvent::OrderTradeUpdate(u)
                if u.order.orig_type == Some(OrderType::StopMarket)
                    && u.order.status == OrderStatus::Filled =>
            {
                Some(u)
            }
            _ => None,
        })
        .expect("the triggered order filled");
    assert_eq!(closing.order.side, Side::Sell);
    assert!(closing.order.reduce_only);
    let open: Vec<AlgoOrderResponse> =
        ok(&signed(&mut x, "GET", "/fapi/v1/openAlgoOrders", &[], wall));
    assert!(open.is_empty());
}

#[test]
fn funding_is_charged_at_the_funding_time() {
    let mut x = exchange(60.0);
    listen(&mut x, WALL);
    let qty = qty_for(&mut x, 1_000.0);
    ok::<OrderResponse>(&signed(
        &mut x,
        "POST",
        "/fapi/v1/order",
        &[
            ("symbol", SYMBOL),
            ("side", "BUY"),
            ("type", "MARKET"),
            ("quantity", &qty),
        ],
        WALL,
    ));
    x.take_user_frames();
    // 03:00 now; at 60x the 08:00 funding is 300 wall seconds away.
    x.advance(WALL + 299_000, false);
    assert!(user_events(&mut x).is_empty(), "no funding before 08:00");
    x.advance(WALL + 301_000, false);
    let events = user_events(&mut x);
    assert_eq!(events.len(), 1);
    let UserEvent::AccountUpdate(a) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        a.data.reason,
        quantumtrade::exchange::binance::user_data::AccountUpdateReason::FundingFee
    );
    assert!(
        a.data.positions.is_empty(),
        "cross funding lists no position"
    );
    let income: Vec<Value> = ok(&signed(
        &mut x,
        "GET",
        "/fapi/v1/income",
        &[("incomeType", "FUNDING_FEE")],
        WALL + 301_000,
    ));
    assert_eq!(income.len(), 1);
    assert_eq!(income[0]["time"].as_i64().unwrap() % (8 * 3_600_000), 0);
    let paid: f64 = income[0]["income"].as_str().unwrap().parse().unwrap();
    // A long pays about 1e-4 of its ~1000 USDT notional.
    assert!(paid < -0.05 && paid > -0.2, "{paid}");
}

#[test]
fn rest_and_event_shapes_match_the_samples() {
    use std::collections::BTreeSet;
    fn keys(v: &Value) -> BTreeSet<String> {
        v.as_object().unwrap().keys().cloned().collect()
    }
    fn sample(name: &str) -> Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/binance/samples")
            .join(name);
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }
    let mut x = exchange(60.0);
    listen(&mut x, WALL);
    let qty = qty_for(&mut x, 100.0);
    let r = signed(
        &mut x,
        "POST",
        "/fapi/v1/order",
        &[
            ("symbol", SYMBOL),
            ("side", "BUY"),
            ("type", "MARKET"),
            ("quantity", &qty),
        ],
        WALL,
    );
    let order: Value = ok(&r);
    assert_eq!(keys(&order), keys(&sample("rest_order_new.json")));
    let i = x.market().index_of(SYMBOL).unwrap();
    let last = x.market().last_price(i);
    let trigger = rules(&mut x)
        .round_price(
            last * 0.9,
            quantumtrade::exchange::binance::decimal::RoundingMode::Down,
        )
        .unwrap()
        .to_string();
    let algo: Value = ok(&signed(
        &mut x,
        "POST",
        "/fapi/v1/algoOrder",
        &[
            ("algoType", "CONDITIONAL"),
            ("symbol", SYMBOL),
            ("side", "SELL"),
            ("type", "STOP_MARKET"),
            ("triggerPrice", &trigger),
            ("quantity", &qty),
        ],
        WALL,
    ));
    let open_algo = sample("rest_openAlgoOrders.json");
    let open_algo = open_algo.as_array().map_or(&open_algo, |a| &a[0]);
    assert_eq!(keys(&algo), keys(&sample("rest_algoOrder_new.json")));
    let open: Value = ok(&signed(&mut x, "GET", "/fapi/v1/openAlgoOrders", &[], WALL));
    assert_eq!(keys(&open[0]), keys(open_algo));
    for (path, name) in [
        ("/fapi/v2/positionRisk", "rest_positionRisk_v2.json"),
        ("/fapi/v3/positionRisk", "rest_positionRisk_v3.json"),
        ("/fapi/v2/balance", "rest_balance_v2.json"),
        ("/fapi/v3/balance", "rest_balance_v3.json"),
    ] {
        let ours: Value = ok(&signed(&mut x, "GET", path, &[], WALL));
        assert_eq!(keys(&ours[0]), keys(&sample(name)[0]), "{path}");
    }
    for (path, name) in [
        ("/fapi/v2/account", "rest_account_v2.json"),
        ("/fapi/v3/account", "rest_account_v3.json"),
    ] {
        let ours: Value = ok(&signed(&mut x, "GET", path, &[], WALL));
        let theirs = sample(name);
        assert_eq!(keys(&ours), keys(&theirs), "{path}");
        assert_eq!(
            keys(&ours["assets"][0]),
            keys(&theirs["assets"][0]),
            "{path}"
        );
        assert_eq!(
            keys(&ours["positions"][0]),
            keys(&theirs["positions"][0]),
            "{path}"
        );
    }
    let frames = x.take_user_frames();
    let by_type = |e: &str| -> Value {
        let f = frames.iter().find(|f| f.event_type == e).unwrap();
        serde_json::from_str(&f.payload).unwrap()
    };
    let otu = by_type("ORDER_TRADE_UPDATE");
    let s = sample("user_ORDER_TRADE_UPDATE.json");
    assert_eq!(keys(&otu), keys(&s));
    // `AP` and `cr` belong to trailing stops only.
    let mut expected = keys(&s["o"]);
    expected.remove("AP");
    expected.remove("cr");
    assert_eq!(keys(&otu["o"]), expected);
    let au = by_type("ACCOUNT_UPDATE");
    let s = sample("user_ACCOUNT_UPDATE.json");
    assert_eq!(keys(&au), keys(&s));
    assert_eq!(keys(&au["a"]), keys(&s["a"]));
    assert_eq!(keys(&au["a"]["B"][0]), keys(&s["a"]["B"][0]));
    assert_eq!(keys(&au["a"]["P"][0]), keys(&s["a"]["P"][0]));
    let algo_up = by_type("ALGO_UPDATE");
    let s = sample("user_ALGO_UPDATE.json");
    assert_eq!(keys(&algo_up), keys(&s));
    assert_eq!(keys(&algo_up["o"]), keys(&s["o"]));
}

/// A LIMIT price `factor` × the touch, on the tick grid.
fn price_at(x: &mut SimExchange, factor: f64, buy_side_touch: bool) -> String {
    let i = x.market().index_of(SYMBOL).unwrap();
    let (book, _) = x.market().book(i);
    let touch = if buy_side_touch { book.bid } else { book.ask };
    rules(x)
        .round_price(
            touch * factor,
            quantumtrade::exchange::binance::decimal::RoundingMode::Nearest,
        )
        .unwrap()
        .to_string()
}

#[test]
fn time_in_force_rules() {
    let mut x = exchange(60.0);
    listen(&mut x, WALL);
    let qty = qty_for(&mut x, 100.0);
    let limit = |x: &mut SimExchange, side: &str, tif: &str, price: &str| {
        signed(
            x,
            "POST",
            "/fapi/v1/order",
            &[
                ("symbol", SYMBOL),
                ("side", side),
                ("type", "LIMIT"),
                ("timeInForce", tif),
                ("quantity", &qty),
                ("price", price),
                ("newOrderRespType", "RESULT"),
            ],
            WALL,
        )
    };
    let below_bid = price_at(&mut x, 0.99, true);
    let above_ask = price_at(&mut x, 1.01, false);
    // IOC that cannot fill expires (er 2); FOK is rejected.
    let o: OrderResponse = ok(&limit(&mut x, "BUY", "IOC", &below_bid));
    assert_eq!(o.status, OrderStatus::Expired);
    assert_eq!(code(&limit(&mut x, "BUY", "FOK", &below_bid)), -5021);
    // GTX that would rest is accepted as maker.
    let o: OrderResponse = ok(&limit(&mut x, "BUY", "GTX", &below_bid));
    assert_eq!(o.status, OrderStatus::New);
    // A marketable IOC fills at the touch (not at its limit), as taker.
    let i = x.market().index_of(SYMBOL).unwrap();
    let (book, _) = x.market().book(i);
    let o: OrderResponse = ok(&limit(&mut x, "BUY", "IOC", &above_ask));
    assert_eq!(o.status, OrderStatus::Filled);
    assert!((o.avg_price.unwrap().to_f64() - book.ask).abs() < 1e-9);
    // Beyond the percent band: -4016.
    let far = price_at(&mut x, 1.2, false);
    assert_eq!(code(&limit(&mut x, "BUY", "GTC", &far)), -4016);
    let expired = user_events(&mut x)
        .into_iter()
        .find_map(|e| match e {
            UserEvent::OrderTradeUpdate(u) if u.order.status == OrderStatus::Expired => Some(u),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        expired.order.expiry_reason,
        quantumtrade::exchange::binance::user_data::ExpiryReason::IocRemainder
    );
}

#[test]
fn trailing_stop_and_take_profit_limit() {
    let mut x = exchange(60.0);
    listen(&mut x, WALL);
    let qty = qty_for(&mut x, 100.0);
    ok::<OrderResponse>(&signed(
        &mut x,
        "POST",
        "/fapi/v1/order",
        &[
            ("symbol", SYMBOL),
            ("side", "BUY"),
            ("type", "MARKET"),
            ("quantity", &qty),
        ],
        WALL,
    ));
    let half = {
        let q: f64 = qty.parse().unwrap();
        rules(&mut x)
            .round_qty(q / 2.0, OrderKind::Market)
            .unwrap()
            .to_string()
    };
    // Trailing SELL: 0.5 % below the highest price since placement.
    let t: AlgoOrderResponse = ok(&signed(
        &mut x,
        "POST",
        "/fapi/v1/algoOrder",
        &[
            ("algoType", "CONDITIONAL"),
            ("symbol", SYMBOL),
            ("side", "SELL"),
            ("type", "TRAILING_STOP_MARKET"),
            ("quantity", &half),
            ("callbackRate", "0.5"),
            ("reduceOnly", "true"),
        ],
        WALL,
    ));
    assert_eq!(t.callback_rate.unwrap().to_string(), "0.5");
    // Take profit SELL LIMIT at +0.5 %: places a LIMIT at its price.
    let tp = price_at(&mut x, 1.005, false);
    let p: AlgoOrderResponse = ok(&signed(
        &mut x,
        "POST",
        "/fapi/v1/algoOrder",
        &[
            ("algoType", "CONDITIONAL"),
            ("symbol", SYMBOL),
            ("side", "SELL"),
            ("type", "TAKE_PROFIT"),
            ("quantity", &half),
            ("price", &tp),
            ("triggerPrice", &tp),
            ("reduceOnly", "true"),
        ],
        WALL,
    ));
    let mut wall = WALL;
    let mut done = (false, false);
    for _ in 0..5000 {
        wall += 1000;
        x.advance(wall, false);
        let all: Vec<AlgoOrderResponse> = ok(&signed(
            &mut x,
            "GET",
            "/fapi/v1/allAlgoOrders",
            &[("symbol", SYMBOL)],
            wall,
        ));
        let st = |id| all.iter().find(|a| a.algo_id == id).unwrap().algo_status;
        for id in [t.algo_id, p.algo_id] {
            assert!(
                matches!(
                    st(id),
                    AlgoStatus::New | AlgoStatus::Triggered | AlgoStatus::Finished
                ),
                "{:?}",
                st(id)
            );
        }
        done = (
            st(t.algo_id) != AlgoStatus::New,
            st(p.algo_id) != AlgoStatus::New,
        );
        if done.0 && done.1 {
            break;
        }
    }
    assert!(done.0, "trailing stop never triggered");
    assert!(done.1, "take profit never triggered");
    let events = user_events(&mut x);
    let tp_order = events
        .iter()
        .find_map(|e| match e {
            UserEvent::OrderTradeUpdate(u)
                if u.order.orig_type == Some(OrderType::TakeProfit)
                    && u.order.execution_type == ExecutionType::New =>
            {
                Some(u)
            }
            _ => None,
        })
        .expect("the take profit placed its order");
    assert_eq!(tp_order.order.order_type, OrderType::Limit);
    assert_eq!(tp_order.order.price.to_string(), tp);
}

#[test]
fn cancel_all_algo_orders() {
    let mut x = exchange(60.0);
    let qty = qty_for(&mut x, 100.0);
    let far = price_at(&mut x, 2.0, false);
    for _ in 0..2 {
        ok::<AlgoOrderResponse>(&signed(
            &mut x,
            "POST",
            "/fapi/v1/algoOrder",
            &[
                ("algoType", "CONDITIONAL"),
                ("symbol", SYMBOL),
                ("side", "BUY"),
                ("type", "STOP_MARKET"),
                ("quantity", &qty),
                ("triggerPrice", &far),
            ],
            WALL,
        ));
    }
    let open: Vec<AlgoOrderResponse> =
        ok(&signed(&mut x, "GET", "/fapi/v1/openAlgoOrders", &[], WALL));
    assert_eq!(open.len(), 2);
    let r: CodeMsgResponse = ok(&signed(
        &mut x,
        "DELETE",
        "/fapi/v1/algoOpenOrders",
        &[("symbol", SYMBOL)],
        WALL,
    ));
    assert!(r.is_success());
    let open: Vec<AlgoOrderResponse> =
        ok(&signed(&mut x, "GET", "/fapi/v1/openAlgoOrders", &[], WALL));
    assert!(open.is_empty());
    let missing = signed(
        &mut x,
        "DELETE",
        "/fapi/v1/algoOrder",
        &[("algoId", "1")],
        WALL,
    );
    assert_eq!(code(&missing), -2011);
}

#[test]
fn order_rate_limit_answers_429() {
    let config = SimConfig {
        symbols: 3,
        history_minutes: 60,
        max_history_minutes: 60 + 1440,
        order_limit_per_minute: 2,
        ..SimConfig::default()
    };
    let mut x = SimExchange::new(config, WALL)
        .unwrap()
        .with_credentials(Credentials::new(KEY, SECRET));
    let qty = qty_for(&mut x, 100.0);
    let p = [
        ("symbol", SYMBOL),
        ("side", "BUY"),
        ("type", "MARKET"),
        ("quantity", qty.as_str()),
    ];
    for n in 1..=2 {
        let r = signed(&mut x, "POST", "/fapi/v1/order", &p, WALL);
        assert_eq!((r.status, r.order_count), (200, Some((n, n))), "{}", r.body);
    }
    let r = signed(&mut x, "POST", "/fapi/v1/order", &p, WALL);
    assert_eq!(r.status, 429);
    assert_eq!(code(&r), -1015);
    // The next minute has room again.
    let r = signed(&mut x, "POST", "/fapi/v1/order", &p, WALL + MINUTE);
    assert_eq!(r.status, 200, "{}", r.body);
}
