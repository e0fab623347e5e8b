//! Every recorded Binance sample (PROTOCOL.md §10) parses into its typed
//! message. The samples are copied into `tests/data/binance/samples/` so
//! this test never depends on `../shared`; a second test checks that the
//! copies still match `../shared/binance/samples` when that exists.

use quantumtrade::exchange::binance::decimal::{Decimal, Price, Quantity};
use quantumtrade::exchange::binance::error::{ApiError, ErrorClass, ErrorCode};
use quantumtrade::exchange::binance::filters::{OrderKind, SymbolFilter};
use quantumtrade::exchange::binance::order::{
    AlgoStatus, ExecutionType, MarginType, OrderStatus, OrderType, PositionSide, Side,
};
use quantumtrade::exchange::binance::parse::{WsBody, parse_ws_message};
use quantumtrade::exchange::binance::rest::{
    AccountV2, AccountV3, AlgoCancelResponse, AlgoOrderResponse, Balance, BookTickerSnapshot,
    CodeMsgResponse, DepthSnapshot, ExchangeInfo, FundingRateRecord, LeverageResponse,
    ListenKeyResponse, OpenInterest, OpenInterestHist, OrderResponse, PositionRiskV2,
    PositionRiskV3, PremiumIndex, RateLimit, RestKline, ServerTime, SymbolInfo, Ticker24hStats,
};
use quantumtrade::exchange::binance::user_data::{AccountUpdateReason, ExpiryReason, UserEvent};
use quantumtrade::exchange::binance::ws::{ControlRequest, ControlResult, MarketEvent};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/binance/samples")
}

fn load_all() -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(samples_dir()).expect("samples dir") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            out.insert(name, std::fs::read(&path).expect("read sample"));
        }
    }
    out
}

fn load(name: &str) -> Vec<u8> {
    std::fs::read(samples_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn rest<T: DeserializeOwned>(name: &str, bytes: &[u8]) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("{name}: {e}"))
}

fn ws(name: &str, bytes: &[u8]) -> Result<WsBody, String> {
    parse_ws_message(bytes)
        .map(|m| m.body)
        .map_err(|e| format!("{name}: {e}"))
}

fn market(name: &str, bytes: &[u8]) -> Result<MarketEvent, String> {
    match ws(name, bytes)? {
        WsBody::Market(m) => Ok(m),
        other => Err(format!("{name}: expected a market event, got {other:?}")),
    }
}

fn user(name: &str, bytes: &[u8]) -> Result<UserEvent, String> {
    match ws(name, bytes)? {
        WsBody::User(u) => Ok(*u),
        other => Err(format!("{name}: expected a user event, got {other:?}")),
    }
}

/// The typed parse for one sample file, by name; `Err` for a failed parse
/// or a file with no mapping (so a new sample cannot go untested).
fn parse_sample(name: &str, bytes: &[u8]) -> Result<&'static str, String> {
    let expect = |ok: bool, what: &'static str| {
        if ok {
            Ok(what)
        } else {
            Err(format!("{name}: not a {what}"))
        }
    };
    if let Some(code) = name
        .strip_prefix("error_")
        .and_then(|s| s.strip_suffix(".json"))
    {
        let e: ApiError = rest(name, bytes)?;
        let code: i64 = code.parse().map_err(|_| format!("{name}: bad code"))?;
        return expect(e.code.code() == code, "ApiError");
    }
    match name {
        "rest_account_v2.json" => rest::<AccountV2>(name, bytes).map(|_| "AccountV2"),
        "rest_account_v3.json" => rest::<AccountV3>(name, bytes).map(|_| "AccountV3"),
        "rest_algoOrder_cancel.json" => {
            rest::<AlgoCancelResponse>(name, bytes).map(|_| "AlgoCancelResponse")
        }
        "rest_algoOrder_new.json" => {
            rest::<AlgoOrderResponse>(name, bytes).map(|_| "AlgoOrderResponse")
        }
        "rest_openAlgoOrders.json" => {
            rest::<Vec<AlgoOrderResponse>>(name, bytes).map(|_| "Vec<AlgoOrderResponse>")
        }
        "rest_allOpenOrders_delete.json" | "rest_marginType.json" => {
            rest::<CodeMsgResponse>(name, bytes).map(|_| "CodeMsgResponse")
        }
        "rest_balance_v2.json" | "rest_balance_v3.json" => {
            rest::<Vec<Balance>>(name, bytes).map(|_| "Vec<Balance>")
        }
        "rest_depth.json" => rest::<DepthSnapshot>(name, bytes).map(|_| "DepthSnapshot"),
        "rest_exchangeInfo.json" => rest::<ExchangeInfo>(name, bytes).map(|_| "ExchangeInfo"),
        "rest_exchangeInfo_symbol.json" => rest::<SymbolInfo>(name, bytes).map(|_| "SymbolInfo"),
        "rest_fundingRate.json" => {
            rest::<Vec<FundingRateRecord>>(name, bytes).map(|_| "Vec<FundingRateRecord>")
        }
        "rest_klines.json" => rest::<Vec<RestKline>>(name, bytes).map(|_| "Vec<RestKline>"),
        "rest_leverage.json" => rest::<LeverageResponse>(name, bytes).map(|_| "LeverageResponse"),
        "rest_listenKey_post.json" | "rest_listenKey_put.json" => {
            rest::<ListenKeyResponse>(name, bytes).map(|_| "ListenKeyResponse")
        }
        "rest_openInterest.json" => rest::<OpenInterest>(name, bytes).map(|_| "OpenInterest"),
        "rest_openInterestHist.json" => {
            rest::<Vec<OpenInterestHist>>(name, bytes).map(|_| "Vec<OpenInterestHist>")
        }
        "rest_openOrders.json" => {
            rest::<Vec<OrderResponse>>(name, bytes).map(|_| "Vec<OrderResponse>")
        }
        "rest_order_cancel.json" | "rest_order_new.json" | "rest_order_query.json" => {
            rest::<OrderResponse>(name, bytes).map(|_| "OrderResponse")
        }
        "rest_positionRisk_v2.json" => {
            rest::<Vec<PositionRiskV2>>(name, bytes).map(|_| "Vec<PositionRiskV2>")
        }
        "rest_positionRisk_v3.json" => {
            rest::<Vec<PositionRiskV3>>(name, bytes).map(|_| "Vec<PositionRiskV3>")
        }
        "rest_premiumIndex.json" => rest::<PremiumIndex>(name, bytes).map(|_| "PremiumIndex"),
        "rest_rateLimit_order.json" => {
            rest::<Vec<RateLimit>>(name, bytes).map(|_| "Vec<RateLimit>")
        }
        "rest_ticker_24hr.json" => rest::<Ticker24hStats>(name, bytes).map(|_| "Ticker24hStats"),
        "rest_ticker_24hr_all.json" => {
            rest::<Vec<Ticker24hStats>>(name, bytes).map(|_| "Vec<Ticker24hStats>")
        }
        "rest_ticker_bookTicker.json" => {
            rest::<BookTickerSnapshot>(name, bytes).map(|_| "BookTickerSnapshot")
        }
        "rest_time.json" => rest::<ServerTime>(name, bytes).map(|_| "ServerTime"),
        "user_ACCOUNT_CONFIG_UPDATE_leverage.json"
        | "user_ACCOUNT_CONFIG_UPDATE_multiassets.json" => expect(
            matches!(user(name, bytes)?, UserEvent::AccountConfigUpdate(_)),
            "AccountConfigUpdate",
        ),
        "user_ACCOUNT_UPDATE.json" => expect(
            matches!(user(name, bytes)?, UserEvent::AccountUpdate(_)),
            "AccountUpdate",
        ),
        "user_ALGO_UPDATE.json" => expect(
            matches!(user(name, bytes)?, UserEvent::AlgoUpdate(_)),
            "AlgoUpdate",
        ),
        "user_MARGIN_CALL.json" => expect(
            matches!(user(name, bytes)?, UserEvent::MarginCall(_)),
            "MarginCall",
        ),
        "user_ORDER_TRADE_UPDATE.json" => expect(
            matches!(user(name, bytes)?, UserEvent::OrderTradeUpdate(_)),
            "OrderTradeUpdate",
        ),
        "user_TRADE_LITE.json" => expect(
            matches!(user(name, bytes)?, UserEvent::TradeLite(_)),
            "TradeLite",
        ),
        "user_listenKeyExpired.json" => expect(
            matches!(user(name, bytes)?, UserEvent::ListenKeyExpired(_)),
            "ListenKeyExpired",
        ),
        "ws_aggTrade.json" => expect(
            matches!(market(name, bytes)?, MarketEvent::AggTrade(_)),
            "AggTrade",
        ),
        "ws_bookTicker.json" => expect(
            matches!(market(name, bytes)?, MarketEvent::BookTicker(_)),
            "BookTicker",
        ),
        "ws_combined_kline.json" | "ws_kline.json" => expect(
            matches!(market(name, bytes)?, MarketEvent::Kline(_)),
            "KlineEvent",
        ),
        "ws_depth_diff.json" | "ws_depth_partial.json" => expect(
            matches!(market(name, bytes)?, MarketEvent::Depth(_)),
            "DepthUpdate",
        ),
        "ws_markPrice.json" => expect(
            matches!(market(name, bytes)?, MarketEvent::MarkPrice(_)),
            "MarkPriceUpdate",
        ),
        "ws_markPrice_arr.json" => expect(
            matches!(market(name, bytes)?, MarketEvent::MarkPrices(v) if v.len() == 1),
            "Vec<MarkPriceUpdate>",
        ),
        "ws_miniTicker.json" => expect(
            matches!(market(name, bytes)?, MarketEvent::MiniTicker(_)),
            "MiniTicker24h",
        ),
        "ws_ticker.json" => expect(
            matches!(market(name, bytes)?, MarketEvent::Ticker(_)),
            "Ticker24h",
        ),
        "ws_ticker_arr.json" => expect(
            matches!(market(name, bytes)?, MarketEvent::Tickers(v) if v.len() == 1),
            "Vec<Ticker24h>",
        ),
        "ws_error_unknown_property.json" => {
            expect(matches!(ws(name, bytes)?, WsBody::Error(_)), "ControlError")
        }
        n if n.starts_with("ws_") && n.ends_with("_request.json") => {
            rest::<ControlRequest>(name, bytes).map(|_| "ControlRequest")
        }
        n if n.starts_with("ws_") && n.ends_with("_response.json") => {
            expect(matches!(ws(name, bytes)?, WsBody::Reply(_)), "ControlReply")
        }
        _ => Err(format!("{name}: no type mapped for this sample")),
    }
}

#[test]
fn every_sample_parses_into_its_type() {
    let all = load_all();
    assert!(
        all.len() >= 81,
        "expected the 81 samples, found {}",
        all.len()
    );
    let failures: Vec<String> = all
        .iter()
        .filter_map(|(name, bytes)| parse_sample(name, bytes).err())
        .collect();
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}

#[test]
fn copies_match_shared_samples() {
    let shared = std::env::var_os("QT_SHARED_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
        PathBuf::from,
    );
    let dir = shared.join("binance/samples");
    if !dir.is_dir() {
        eprintln!(
            "skipping: {} is absent; the repo copies in tests/data/binance/samples are used",
            dir.display()
        );
        return;
    }
    let ours = load_all();
    for entry in std::fs::read_dir(&dir).expect("shared samples") {
        let path = entry.expect("dir entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let theirs = std::fs::read(&path).expect("read shared sample");
        assert_eq!(
            ours.get(&name),
            Some(&theirs),
            "{name} differs from ../shared: re-copy the samples"
        );
    }
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn kline_fields() {
    let MarketEvent::Kline(k) = market("ws_kline.json", &load("ws_kline.json")).unwrap() else {
        panic!("not a kline")
    };
    assert_eq!(k.symbol, "BTCUSDT");
    assert_eq!(k.kline.close, 0.0020);
    assert_eq!(k.kline.high, 0.0025);
    assert_eq!(k.kline.trades, 100);
    assert!(!k.kline.is_closed);
    assert_eq!(k.kline.close_time - k.kline.open_time, 60_000 - 1);
    let candle = k.kline.to_candle();
    assert_eq!(candle.open, 0.0010);

    let m = parse_ws_message(&load("ws_combined_kline.json")).unwrap();
    assert_eq!(m.stream.as_deref(), Some("btcusdt@kline_1m"));

    let rows: Vec<RestKline> = rest("rest_klines.json", &load("rest_klines.json")).unwrap();
    assert_eq!(rows[0].open_time, 1_499_040_000_000);
    assert_eq!(rows[0].close, 0.015_771);
    assert_eq!(rows[0].trades, 308);
}

#[test]
fn depth_fields_keep_exchange_precision() {
    let MarketEvent::Depth(dp) = market("ws_depth_diff.json", &load("ws_depth_diff.json")).unwrap()
    else {
        panic!("not depth")
    };
    assert_eq!(
        (
            dp.first_update_id,
            dp.final_update_id,
            dp.prev_final_update_id
        ),
        (157, 160, 149)
    );
    assert_eq!(dp.bids[0].price, Price(d("0.0024")));
    assert_eq!(dp.asks[0].qty, Quantity(d("100")));
    let snap: DepthSnapshot = rest("rest_depth.json", &load("rest_depth.json")).unwrap();
    assert_eq!(snap.last_update_id, 1_027_024);
    assert_eq!(snap.bids[0].qty, Quantity(d("431")));
}

#[test]
fn order_fields() {
    let o: OrderResponse = rest("rest_order_new.json", &load("rest_order_new.json")).unwrap();
    assert_eq!(o.status, OrderStatus::New);
    assert_eq!(o.order_id.0, 22_542_179);
    assert_eq!(o.orig_qty, Quantity(d("10")));
    assert_eq!(o.position_side, PositionSide::Short);
    let c: OrderResponse = rest("rest_order_cancel.json", &load("rest_order_cancel.json")).unwrap();
    assert_eq!(c.status, OrderStatus::Canceled);
    assert_eq!(c.price_rate, Some(d("0.3")));
    let q: OrderResponse = rest("rest_order_query.json", &load("rest_order_query.json")).unwrap();
    assert_eq!(q.time, Some(1_579_276_756_075));
    assert!(q.cum_qty.is_none());

    let a: AlgoOrderResponse =
        rest("rest_algoOrder_new.json", &load("rest_algoOrder_new.json")).unwrap();
    assert_eq!(a.algo_status, AlgoStatus::New);
    assert_eq!(a.order_type, OrderType::TakeProfit);
    assert_eq!(a.trigger_price, Some(d("750")));
    assert_eq!(a.callback_rate, None);
    let cancel: AlgoCancelResponse = rest(
        "rest_algoOrder_cancel.json",
        &load("rest_algoOrder_cancel.json"),
    )
    .unwrap();
    assert_eq!(cancel.code, 200);
    let m: CodeMsgResponse = rest("rest_marginType.json", &load("rest_marginType.json")).unwrap();
    assert!(m.is_success());
}

#[test]
fn user_event_fields() {
    let UserEvent::OrderTradeUpdate(u) = user(
        "user_ORDER_TRADE_UPDATE.json",
        &load("user_ORDER_TRADE_UPDATE.json"),
    )
    .unwrap() else {
        panic!("not an order update")
    };
    assert_eq!(u.order.status, OrderStatus::New);
    assert_eq!(u.order.execution_type, ExecutionType::New);
    assert_eq!(u.order.side, Side::Sell);
    assert_eq!(u.order.order_type, OrderType::TrailingStopMarket);
    assert_eq!(u.order.orig_qty, Quantity(d("0.001")));
    assert_eq!(u.order.activation_price, Some(d("7476.89")));
    assert_eq!(u.order.expiry_reason, ExpiryReason::None);

    let UserEvent::AlgoUpdate(a) =
        user("user_ALGO_UPDATE.json", &load("user_ALGO_UPDATE.json")).unwrap()
    else {
        panic!("not an algo update")
    };
    assert_eq!(a.order.status, AlgoStatus::Canceled);
    assert_eq!(a.order.matching_order_id(), None);
    assert_eq!(a.order.reason.as_deref(), Some("Reduce Only reject"));

    let UserEvent::AccountUpdate(acc) = user(
        "user_ACCOUNT_UPDATE.json",
        &load("user_ACCOUNT_UPDATE.json"),
    )
    .unwrap() else {
        panic!("not an account update")
    };
    assert_eq!(acc.data.reason, AccountUpdateReason::Order);
    assert_eq!(acc.data.balances.len(), 2);
    assert_eq!(acc.data.positions[2].position_amt, d("-10"));
    assert_eq!(acc.data.positions[2].margin_type, MarginType::Isolated);

    let UserEvent::MarginCall(mc) =
        user("user_MARGIN_CALL.json", &load("user_MARGIN_CALL.json")).unwrap()
    else {
        panic!("not a margin call")
    };
    assert_eq!(mc.positions[0].margin_type, MarginType::Crossed);
}

#[test]
fn exchange_info_rules() {
    let info: ExchangeInfo =
        rest("rest_exchangeInfo.json", &load("rest_exchangeInfo.json")).unwrap();
    assert_eq!(info.rate_limits[0].limit, 2400);
    assert_eq!(info.rate_limits[0].window_ms(), 60_000);
    let sym = &info.symbols[0];
    assert!(sym.is_trading_usdt_perpetual());
    assert_eq!(sym.filters.len(), 6);
    assert!(matches!(sym.filters[0], SymbolFilter::PriceFilter(_)));
    let rules = sym.rules().unwrap();
    assert_eq!(rules.price.tick_size, d("0.0001"));
    assert_eq!(rules.min_notional, Some(d("5")));
    assert_eq!(rules.max_num_orders, Some(200));
    assert_eq!(
        rules.round_qty(12.7, OrderKind::Limit).unwrap(),
        Quantity(d("12"))
    );
}

#[test]
fn positions_and_errors() {
    let v2: Vec<PositionRiskV2> = rest(
        "rest_positionRisk_v2.json",
        &load("rest_positionRisk_v2.json"),
    )
    .unwrap();
    assert_eq!(v2[0].leverage, 4);
    assert_eq!(v2[0].margin_type, MarginType::Crossed);
    assert!(!v2[0].is_auto_add_margin);
    let v3: Vec<PositionRiskV3> = rest(
        "rest_positionRisk_v3.json",
        &load("rest_positionRisk_v3.json"),
    )
    .unwrap();
    assert_eq!(v3[1].position_amt, d("-1"));
    assert_eq!(v3[1].adl, Some(2));

    let e: ApiError = rest("error_-4120.json", &load("error_-4120.json")).unwrap();
    assert_eq!(e.code, ErrorCode::StopOrderSwitchAlgo);
    assert_eq!(e.code.class(), ErrorClass::Fatal);
    let e: ApiError = rest("error_-1021.json", &load("error_-1021.json")).unwrap();
    assert_eq!(e.code.class(), ErrorClass::ClockSkew);
    let e: ApiError = rest("error_-1125.json", &load("error_-1125.json")).unwrap();
    assert_eq!(e.code.class(), ErrorClass::ListenKeyExpired);
}

#[test]
fn control_messages() {
    let r: ControlRequest = rest(
        "ws_subscribe_request.json",
        &load("ws_subscribe_request.json"),
    )
    .unwrap();
    assert_eq!(
        r.to_json(),
        r#"{"method":"SUBSCRIBE","params":["btcusdt@aggTrade","btcusdt@depth"],"id":1}"#
    );
    let WsBody::Reply(reply) = ws(
        "ws_list_subscriptions_response.json",
        &load("ws_list_subscriptions_response.json"),
    )
    .unwrap() else {
        panic!("not a reply")
    };
    assert_eq!(
        reply.result,
        ControlResult::Streams(vec!["btcusdt@aggTrade".into()])
    );
}
