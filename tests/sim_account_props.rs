//! Property test of the simulated account through its REST answers: for
//! any sequence of signed MARKET and LIMIT orders and market steps,
//! - `positionRisk.positionAmt` is the signed sum of the `userTrades`;
//! - the wallet balance is the initial balance plus the trades' realized
//!   PnL minus their commissions (and the incomes say the same);
//! - `totalUnrealizedProfit` is `amount × (mark − entry)`, and 0 when flat.

use proptest::prelude::*;
use quantumtrade::exchange::binance::filters::OrderKind;
use quantumtrade::exchange::binance::rest::{AccountV2, ExchangeInfo, PositionRiskV2};
use quantumtrade::exchange::binance::sign::{ApiSecret, signed_query};
use quantumtrade::exchange::sim::{Credentials, RestRequest, SimConfig, SimExchange};
use serde_json::Value;

const KEY: &str = "propkey";
const SECRET: &str = "propsecret";
const WALL: i64 = 1_767_312_000_000 + 3 * 3_600_000 + 500;
const SYMBOL: &str = "SYN002USDT";

fn call(
    x: &mut SimExchange,
    method: &str,
    path: &str,
    p: &[(&str, &str)],
    wall: i64,
) -> (u16, Value) {
    let q = signed_query(&ApiSecret::new(SECRET), p, None, wall);
    let r = x.request(&RestRequest {
        method,
        path,
        query: &q,
        body: "",
        api_key: Some(KEY),
        wall_ms: wall,
    });
    (r.status, serde_json::from_str(&r.body).unwrap())
}

fn num(v: &Value) -> f64 {
    v.as_str().unwrap().parse().unwrap()
}

/// One step: BUY or SELL, notional in USDT, MARKET or a LIMIT this many
/// basis points from the mark, reduce-only, then wall seconds to advance.
fn step() -> impl Strategy<Value = (bool, u32, Option<i32>, bool, u8)> {
    (
        any::<bool>(),
        10_u32..400,
        prop::option::of(-30_i32..30),
        any::<bool>(),
        0_u8..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn account_answers_stay_consistent(steps in prop::collection::vec(step(), 1..25)) {
        let config = SimConfig {
            symbols: 3,
            history_minutes: 60,
            max_history_minutes: 60 + 1440,
            ..SimConfig::default()
        };
        let mut x = SimExchange::new(config, WALL)
            .unwrap()
            .with_credentials(Credentials::new(KEY, SECRET));
        let info: ExchangeInfo =
            serde_json::from_str(&x.rest("GET", "/fapi/v1/exchangeInfo", "", WALL).body).unwrap();
        let rules = info.symbols.iter().find(|s| s.symbol == SYMBOL).unwrap().rules().unwrap();
        let i = x.market().index_of(SYMBOL).unwrap();
        let mut wall = WALL;
        for (buy, usdt, limit_bps, reduce_only, secs) in steps {
            let mark = x.market().mark_price(i);
            let Ok(qty) = rules.round_qty(f64::from(usdt) / mark, OrderKind::Market) else {
                continue;
            };
            let qty = qty.to_string();
            let side = if buy { "BUY" } else { "SELL" };
            let ro = if reduce_only { "true" } else { "false" };
            let mut p = vec![("symbol", SYMBOL), ("side", side), ("quantity", qty.as_str()), ("reduceOnly", ro)];
            let price;
            if let Some(bps) = limit_bps {
                price = rules
                    .round_price(
                        mark * (1.0 + f64::from(bps) / 10_000.0),
                        quantumtrade::exchange::binance::decimal::RoundingMode::Nearest,
                    )
                    .unwrap()
                    .to_string();
                p.extend([("type", "LIMIT"), ("timeInForce", "GTC"), ("price", price.as_str())]);
            } else {
                p.push(("type", "MARKET"));
            }
            let (status, body) = call(&mut x, "POST", "/fapi/v1/order", &p, wall);
            if status != 200 {
                // Only the refusals this sequence can provoke.
                let code = body["code"].as_i64().unwrap();
                prop_assert!([-2022, -2019, -4164].contains(&code), "{body}");
            }
            wall += i64::from(secs) * 1000;
            x.advance(wall, false);
        }
        let (_, trades) = call(&mut x, "GET", "/fapi/v1/userTrades", &[("symbol", SYMBOL), ("limit", "1000")], wall);
        let trades = trades.as_array().unwrap().clone();
        let mut signed_sum = 0.0;
        let mut realized = 0.0;
        let mut fees = 0.0;
        for t in &trades {
            let q = num(&t["qty"]);
            signed_sum += if t["buyer"] == true { q } else { -q };
            realized += num(&t["realizedPnl"]);
            fees += num(&t["commission"]);
        }
        let (_, pos) = call(&mut x, "GET", "/fapi/v2/positionRisk", &[("symbol", SYMBOL)], wall);
        let pos: Vec<PositionRiskV2> = serde_json::from_value(pos).unwrap();
        prop_assert!((pos[0].position_amt.to_f64() - signed_sum).abs() < 1e-9,
            "{} vs {signed_sum}", pos[0].position_amt);
        let (_, acct) = call(&mut x, "GET", "/fapi/v2/account", &[], wall);
        let acct: AccountV2 = serde_json::from_value(acct).unwrap();
        let wallet = acct.totals.total_wallet_balance;
        // Answers are written with 8 decimals: allow rounding per trade.
        let tol = 1e-7 * (trades.len() as f64 + 1.0);
        prop_assert!((wallet - (10_000.0 + realized - fees)).abs() < tol,
            "wallet {wallet} vs {}", 10_000.0 + realized - fees);
        let (_, income) = call(&mut x, "GET", "/fapi/v1/income", &[("limit", "1000")], wall);
        let booked: f64 = income.as_array().unwrap().iter().map(|r| num(&r["income"])).sum();
        prop_assert!((10_000.0 + booked - wallet).abs() < tol);
        let mark = x.market().mark_price(i);
        let upnl = pos[0].position_amt.to_f64() * (mark - pos[0].entry_price);
        // Entry price and PnL are written with 8 decimals.
        let amt = pos[0].position_amt.to_f64().abs();
        prop_assert!((acct.totals.total_unrealized_profit - upnl).abs() < 1e-8 * amt + 1e-7,
            "{} vs {upnl}", acct.totals.total_unrealized_profit);
        if pos[0].position_amt.is_zero() {
            prop_assert_eq!(acct.totals.total_unrealized_profit, 0.0);
        }
    }
}
