//! End-to-end tests of the trading side of `qtrade sim-exchange`: the real
//! binary with an account (`--api-key`/`--api-secret`) on a free loopback
//! port, signed requests over reqwest, the user-data stream over
//! tokio-tungstenite, and every answer parsed with the core's Binance types.

mod sim_support;

use futures_util::StreamExt;
use quantumtrade::exchange::binance::filters::OrderKind;
use quantumtrade::exchange::binance::order::{ExecutionType, OrderStatus};
use quantumtrade::exchange::binance::parse::{WsBody, parse_ws_message};
use quantumtrade::exchange::binance::rest::{
    AccountV2, ExchangeInfo, ListenKeyResponse, OrderResponse, PositionRiskV2, PremiumIndex,
};
use quantumtrade::exchange::binance::sign::{ApiSecret, signed_query};
use quantumtrade::exchange::binance::user_data::UserEvent;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

const KEY: &str = "e2eApiKey0123456789abcdef";
const SECRET: &str = "e2eSecret0123456789abcdefghijkl";
/// Longest wait for any one expected event.
const WAIT: Duration = Duration::from_secs(10);

/// The shared simulator with this file's account.
struct Sim(sim_support::Sim);

impl std::ops::Deref for Sim {
    type Target = sim_support::Sim;

    fn deref(&self) -> &sim_support::Sim {
        &self.0
    }
}

impl Sim {
    /// Three symbols at 60×, the account of [`KEY`] and [`SECRET`], and the
    /// three banner lines (address, account, key).
    fn start() -> Self {
        Self(sim_support::Sim::launch(
            "symbols = 3\nhistory_minutes = 120\nmax_history_minutes = 1560\nspeed = 60.0\n",
            &["--api-key", KEY, "--api-secret", SECRET],
            &[],
            3,
        ))
    }

    /// A signed request with the parameters in the query string (GET) or
    /// in a form body (other methods).
    async fn signed(
        &self,
        method: reqwest::Method,
        path: &str,
        params: &[(&str, &str)],
    ) -> reqwest::Response {
        let q = signed_query(&ApiSecret::new(SECRET), params, None, now_ms());
        self.send_raw(method, path, &q).await
    }

    async fn send_raw(&self, method: reqwest::Method, path: &str, q: &str) -> reqwest::Response {
        let client = reqwest::Client::new();
        let req = if method == reqwest::Method::GET {
            client.get(self.url(&format!("{path}?{q}")))
        } else {
            client
                .request(method, self.url(path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(q.to_string())
        };
        req.header("X-MBX-APIKEY", KEY).send().await.unwrap()
    }

    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        params: &[(&str, &str)],
    ) -> T {
        let resp = self.signed(method, path, params).await;
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert_eq!(status, 200, "{path}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"))
    }

    /// Symbol 1, a quantity worth about 150 USDT, and a price 3 % under
    /// the mark on the tick grid.
    async fn order_terms(&self) -> (String, String, String) {
        let info: ExchangeInfo = reqwest::get(self.url("/fapi/v1/exchangeInfo"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let s = &info.symbols[1];
        let rules = s.rules().unwrap();
        let sym = s.symbol.as_str().to_string();
        let mark: PremiumIndex =
            reqwest::get(self.url(&format!("/fapi/v1/premiumIndex?symbol={sym}")))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
        let qty = rules
            .round_qty(150.0 / mark.mark_price, OrderKind::Market)
            .unwrap()
            .to_string();
        let price = rules
            .round_price(
                mark.mark_price * 0.97,
                quantumtrade::exchange::binance::decimal::RoundingMode::Down,
            )
            .unwrap()
            .to_string();
        (sym, qty, price)
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap())
}

#[tokio::test]
async fn banner_masks_the_key_and_hides_the_secret() {
    let sim = Sim::start();
    assert!(sim.banner.contains("e2eA…cdef"), "{}", sim.banner);
    assert!(!sim.banner.contains(KEY));
    assert!(!sim.banner.contains(&SECRET[..8]), "{}", sim.banner);
}

#[tokio::test]
async fn signed_market_order_round_trips() {
    let sim = Sim::start();
    let (sym, qty, _) = sim.order_terms().await;
    let resp = sim
        .signed(
            reqwest::Method::POST,
            "/fapi/v1/order",
            &[
                ("symbol", &sym),
                ("side", "BUY"),
                ("type", "MARKET"),
                ("quantity", &qty),
                ("newOrderRespType", "RESULT"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-mbx-order-count-10s"], "1");
    assert_eq!(resp.headers()["x-mbx-order-count-1m"], "1");
    // IP weight 0: only exchangeInfo and premiumIndex (1 each) were
    // counted this minute (fewer if the minute turned in between).
    let used: u32 = resp.headers()["x-mbx-used-weight-1m"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(used <= 2, "{used}");
    let order: OrderResponse = resp.json().await.unwrap();
    assert_eq!(order.status, OrderStatus::Filled);
    assert_eq!(order.executed_qty.to_string(), qty);

    let pos: Vec<PositionRiskV2> = sim
        .json(
            reqwest::Method::GET,
            "/fapi/v2/positionRisk",
            &[("symbol", &sym)],
        )
        .await;
    assert_eq!(pos[0].position_amt.to_string(), qty);
    assert!(pos[0].entry_price > 0.0);
    let account: AccountV2 = sim
        .json(reqwest::Method::GET, "/fapi/v2/account", &[])
        .await;
    let fee = qty.parse::<f64>().unwrap() * order.avg_price.unwrap().to_f64() * 0.0005;
    assert!(
        (account.totals.total_wallet_balance - (10_000.0 - fee)).abs() < 1e-6,
        "{}",
        account.totals.total_wallet_balance
    );
    let trades: Vec<serde_json::Value> = sim
        .json(
            reqwest::Method::GET,
            "/fapi/v1/userTrades",
            &[("symbol", &sym)],
        )
        .await;
    assert_eq!(trades.len(), 1);
    assert_eq!(trades[0]["orderId"], order.order_id.0);
    let income: Vec<serde_json::Value> =
        sim.json(reqwest::Method::GET, "/fapi/v1/income", &[]).await;
    assert_eq!(income.len(), 1);
    assert_eq!(income[0]["incomeType"], "COMMISSION");
}

#[tokio::test]
async fn limit_order_rests_and_is_cancelled() {
    let sim = Sim::start();
    let (sym, qty, price) = sim.order_terms().await;
    let order: OrderResponse = sim
        .json(
            reqwest::Method::POST,
            "/fapi/v1/order",
            &[
                ("symbol", &sym),
                ("side", "BUY"),
                ("type", "LIMIT"),
                ("timeInForce", "GTC"),
                ("quantity", &qty),
                ("price", &price),
                ("newClientOrderId", "rest-1"),
            ],
        )
        .await;
    assert_eq!(order.status, OrderStatus::New);
    let open: Vec<OrderResponse> = sim
        .json(reqwest::Method::GET, "/fapi/v1/openOrders", &[])
        .await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].client_order_id.as_str(), "rest-1");
    assert_eq!(open[0].price.to_string(), price);
    let cancelled: OrderResponse = sim
        .json(
            reqwest::Method::DELETE,
            "/fapi/v1/order",
            &[("symbol", &sym), ("orderId", &order.order_id.0.to_string())],
        )
        .await;
    assert_eq!(cancelled.status, OrderStatus::Canceled);
    let open: Vec<OrderResponse> = sim
        .json(reqwest::Method::GET, "/fapi/v1/openOrders", &[])
        .await;
    assert!(open.is_empty());
}

#[tokio::test]
async fn bad_signature_and_stale_timestamp_get_binance_errors() {
    let sim = Sim::start();
    let q = signed_query(&ApiSecret::new(SECRET), &[], None, now_ms());
    let tampered = q.replacen("timestamp=", "recvWindow=7000&timestamp=", 1);
    let resp = sim
        .send_raw(reqwest::Method::GET, "/fapi/v2/balance", &tampered)
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"code":-1022,"msg":"Signature for this request is not valid."}"#
    );
    let stale = signed_query(&ApiSecret::new(SECRET), &[], None, now_ms() - 60_000);
    let resp = sim
        .send_raw(reqwest::Method::GET, "/fapi/v2/balance", &stale)
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}"#
    );
    let resp = reqwest::get(sim.url(&format!("/fapi/v2/balance?{q}")))
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"code":-2014,"msg":"API-key format invalid."}"#
    );
}

#[tokio::test]
async fn user_stream_pushes_order_and_account_updates() {
    let sim = Sim::start();
    let resp = reqwest::Client::new()
        .post(sim.url("/fapi/v1/listenKey"))
        .header("X-MBX-APIKEY", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let key = resp.json::<ListenKeyResponse>().await.unwrap().listen_key;
    let refused =
        tokio_tungstenite::connect_async(format!("ws://{}/private/ws/nokey", sim.addr)).await;
    assert!(refused.is_err(), "an unknown listen key is refused");
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{}/private/ws?listenKey={key}", sim.addr))
            .await
            .unwrap();
    // A second connection on the combined route, account updates only.
    let (mut only_account, _) = tokio_tungstenite::connect_async(format!(
        "ws://{}/private/stream?listenKey={key}&events=ACCOUNT_UPDATE",
        sim.addr
    ))
    .await
    .unwrap();
    let (sym, qty, _) = sim.order_terms().await;
    let _: OrderResponse = sim
        .json(
            reqwest::Method::POST,
            "/fapi/v1/order",
            &[
                ("symbol", &sym),
                ("side", "SELL"),
                ("type", "MARKET"),
                ("quantity", &qty),
            ],
        )
        .await;
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let msg = timeout(WAIT, ws.next())
            .await
            .expect("no user event in time")
            .unwrap()
            .unwrap();
        let Message::Text(text) = msg else {
            continue;
        };
        let WsBody::User(event) = parse_ws_message(text.as_bytes()).unwrap().body else {
            panic!("not a user event: {text}");
        };
        seen.push(*event);
    }
    let UserEvent::OrderTradeUpdate(new) = &seen[0] else {
        panic!("{:?}", seen[0])
    };
    assert_eq!(new.order.execution_type, ExecutionType::New);
    let UserEvent::OrderTradeUpdate(fill) = &seen[1] else {
        panic!("{:?}", seen[1])
    };
    assert_eq!(fill.order.execution_type, ExecutionType::Trade);
    assert_eq!(fill.order.status, OrderStatus::Filled);
    assert_eq!(fill.order.last_filled_qty.to_string(), qty);
    let UserEvent::AccountUpdate(acct) = &seen[2] else {
        panic!("{:?}", seen[2])
    };
    let p = &acct.data.positions[0];
    assert_eq!(p.symbol.as_str(), sym);
    assert_eq!(p.position_amt.to_string(), format!("-{qty}"));
    assert!(acct.data.balances[0].wallet_balance < 10_000.0);
    let first = loop {
        let msg = timeout(WAIT, only_account.next())
            .await
            .expect("no filtered event in time")
            .unwrap()
            .unwrap();
        if let Message::Text(text) = msg {
            break text;
        }
    };
    let wrapped: serde_json::Value = serde_json::from_str(first.as_str()).unwrap();
    assert_eq!(wrapped["stream"], key.as_str());
    assert_eq!(wrapped["data"]["e"], "ACCOUNT_UPDATE", "{first}");
}
