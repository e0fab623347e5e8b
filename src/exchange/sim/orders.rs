//! Orders, conditional (algo) orders and trades of the simulated account,
//! and the Binance shapes they are answered in: REST bodies (PROTOCOL.md
//! §6.2, §6.4) and the `ORDER_TRADE_UPDATE` / `ALGO_UPDATE` events (§7.3,
//! §7.5), field for field as the samples show them.

use super::market::fixed;
use crate::exchange::binance::Decimal;
use crate::exchange::binance::order::{
    AlgoStatus, ExecutionType, OrderStatus, OrderType, Side, TimeInForce, WorkingType,
};
use serde::Serialize;
use serde_json::{Value, json};

/// The wire name of a serde enum (`"GTC"`, `"STOP_MARKET"`, ...).
#[must_use]
pub fn wire<T: Serialize>(v: T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Money as Binance writes balances: eight decimals.
#[must_use]
pub fn money(x: f64) -> String {
    // `-0.00000000` would read as a change where there is none.
    let x = if x.abs() < 5e-9 { 0.0 } else { x };
    format!("{x:.8}")
}

/// One order on the matching engine (LIMIT or MARKET; a triggered algo
/// order keeps its conditional type in `orig_type`).
#[derive(Debug, Clone, PartialEq)]
pub struct SimOrder {
    /// Order id.
    pub order_id: i64,
    /// Client order id.
    pub client_order_id: String,
    /// Symbol name.
    pub symbol: String,
    /// Symbol index in the market.
    pub index: usize,
    /// Side.
    pub side: Side,
    /// `LIMIT` or `MARKET`.
    pub order_type: OrderType,
    /// The type as placed (the conditional type for a triggered algo order).
    pub orig_type: OrderType,
    /// Time in force (`GTC` for MARKET, as Binance reports it).
    pub time_in_force: TimeInForce,
    /// Ordered quantity.
    pub orig_qty: Decimal,
    /// Limit price (0 for MARKET).
    pub price: Decimal,
    /// Trigger price of the algo order this came from (0 otherwise).
    pub stop_price: Decimal,
    /// Reduce-only.
    pub reduce_only: bool,
    /// Close-all (from a `closePosition` algo order).
    pub close_position: bool,
    /// Working type of the algo order this came from.
    pub working_type: WorkingType,
    /// Status.
    pub status: OrderStatus,
    /// Filled quantity.
    pub executed_qty: Decimal,
    /// Filled notional.
    pub cum_quote: f64,
    /// Creation time (simulated ms).
    pub time: i64,
    /// Last update (simulated ms).
    pub update_time: i64,
    /// Price decimals of the symbol.
    pub price_decimals: usize,
}

/// The fill an `ORDER_TRADE_UPDATE` of execution type `TRADE` reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FillReport {
    /// Trade id.
    pub trade_id: i64,
    /// Filled quantity.
    pub qty: Decimal,
    /// Fill price.
    pub price: f64,
    /// Commission (USDT).
    pub commission: f64,
    /// Realized PnL.
    pub realized: f64,
    /// Maker side.
    pub maker: bool,
}

impl SimOrder {
    /// True while the order can still fill.
    #[must_use]
    pub fn is_open(&self) -> bool {
        !self.status.is_final()
    }

    /// Average fill price (0 before any fill).
    #[must_use]
    pub fn avg_price(&self) -> f64 {
        let q = self.executed_qty.to_f64();
        if q > 0.0 { self.cum_quote / q } else { 0.0 }
    }

    fn common(&self) -> serde_json::Map<String, Value> {
        let pd = self.price_decimals;
        let v = json!({
            "avgPrice": fixed(self.avg_price(), pd + 2),
            "clientOrderId": self.client_order_id,
            "cumQuote": money(self.cum_quote),
            "executedQty": self.executed_qty.to_string(),
            "orderId": self.order_id,
            "origQty": self.orig_qty.to_string(),
            "origType": wire(self.orig_type),
            "price": self.price.to_string(),
            "reduceOnly": self.reduce_only,
            "side": wire(self.side),
            "positionSide": "BOTH",
            "status": wire(self.status),
            "stopPrice": self.stop_price.to_string(),
            "closePosition": self.close_position,
            "symbol": self.symbol,
            "timeInForce": wire(self.time_in_force),
            "type": wire(self.order_type),
            "updateTime": self.update_time,
            "workingType": wire(self.working_type),
            "priceProtect": false,
            "priceMatch": "NONE",
            "selfTradePreventionMode": "EXPIRE_MAKER",
            "goodTillDate": 0,
        });
        match v {
            Value::Object(m) => m,
            _ => serde_json::Map::new(),
        }
    }

    /// `POST` / `DELETE /fapi/v1/order` body (`rest_order_new.json`).
    #[must_use]
    pub fn new_order_json(&self) -> Value {
        let mut m = self.common();
        m.insert("cumQty".into(), json!(self.executed_qty.to_string()));
        Value::Object(m)
    }

    /// `GET /fapi/v1/order`, `openOrders`, `allOrders` element
    /// (`rest_order_query.json`): no `cumQty`, plus `time`.
    #[must_use]
    pub fn query_json(&self) -> Value {
        let mut m = self.common();
        m.insert("time".into(), json!(self.time));
        Value::Object(m)
    }

    /// `ORDER_TRADE_UPDATE` for this order in its current state
    /// (`user_ORDER_TRADE_UPDATE.json`); `fill` is the trade of an
    /// execution of type `TRADE`.
    #[must_use]
    pub fn trade_update_json(
        &self,
        execution: ExecutionType,
        fill: Option<FillReport>,
        expiry_reason: u8,
        now: i64,
    ) -> Value {
        let pd = self.price_decimals;
        let f = fill.unwrap_or(FillReport {
            trade_id: 0,
            qty: Decimal::ZERO,
            price: 0.0,
            commission: 0.0,
            realized: 0.0,
            maker: false,
        });
        let open_notional = if self.is_open() && self.order_type == OrderType::Limit {
            (self.orig_qty.to_f64() - self.executed_qty.to_f64()) * self.price.to_f64()
        } else {
            0.0
        };
        let (bids, asks) = match self.side {
            Side::Buy => (open_notional, 0.0),
            Side::Sell => (0.0, open_notional),
        };
        json!({
            "e": "ORDER_TRADE_UPDATE",
            "E": now,
            "T": now,
            "o": {
                "s": self.symbol,
                "c": self.client_order_id,
                "S": wire(self.side),
                "o": wire(self.order_type),
                "f": wire(self.time_in_force),
                "q": self.orig_qty.to_string(),
                "p": self.price.to_string(),
                "ap": fixed(self.avg_price(), pd + 2),
                "sp": self.stop_price.to_string(),
                "x": wire(execution),
                "X": wire(self.status),
                "i": self.order_id,
                "l": f.qty.to_string(),
                "z": self.executed_qty.to_string(),
                "L": fixed(f.price, pd),
                "N": "USDT",
                "n": money(f.commission),
                "T": now,
                "t": f.trade_id,
                "b": money(bids),
                "a": money(asks),
                "m": f.maker,
                "R": self.reduce_only,
                "wt": wire(self.working_type),
                "ot": wire(self.orig_type),
                "ps": "BOTH",
                "cp": self.close_position,
                "pP": false,
                "si": 0,
                "ss": 0,
                "rp": money(f.realized),
                "V": "EXPIRE_MAKER",
                "pm": "NONE",
                "gtd": 0,
                "er": expiry_reason.to_string(),
            }
        })
    }
}

/// One conditional order waiting on the Algo Service (§6.4).
#[derive(Debug, Clone, PartialEq)]
pub struct AlgoOrder {
    /// Algo id.
    pub algo_id: i64,
    /// Client algo id.
    pub client_algo_id: String,
    /// Symbol name.
    pub symbol: String,
    /// Symbol index in the market.
    pub index: usize,
    /// Side.
    pub side: Side,
    /// `STOP_MARKET`, `TAKE_PROFIT_MARKET`, `STOP`, `TAKE_PROFIT` or
    /// `TRAILING_STOP_MARKET`.
    pub order_type: OrderType,
    /// Time in force of the order placed on trigger.
    pub time_in_force: TimeInForce,
    /// Quantity (`None` with `closePosition`).
    pub quantity: Option<Decimal>,
    /// Limit price of `STOP` / `TAKE_PROFIT`.
    pub price: Option<Decimal>,
    /// Trigger price (not for trailing stops).
    pub trigger_price: Option<Decimal>,
    /// Price the trigger watches.
    pub working_type: WorkingType,
    /// Close the whole position on trigger.
    pub close_position: bool,
    /// Reduce-only.
    pub reduce_only: bool,
    /// Trailing stop activation price.
    pub activate_price: Option<Decimal>,
    /// Trailing stop callback rate in percent.
    pub callback_rate: Option<Decimal>,
    /// Status.
    pub status: AlgoStatus,
    /// Creation time (simulated ms).
    pub create_time: i64,
    /// Last update (simulated ms).
    pub update_time: i64,
    /// Trigger time (0 before).
    pub trigger_time: i64,
    /// Order placed on trigger.
    pub actual_order_id: Option<i64>,
    /// Trailing stop: best price seen since activation (highest for SELL,
    /// lowest for BUY); `None` before activation.
    pub extreme: Option<f64>,
    /// Failure reason (`rm`).
    pub reason: String,
}

fn opt_dec(d: Option<Decimal>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

impl AlgoOrder {
    /// True while waiting for its trigger.
    #[must_use]
    pub fn is_open(&self) -> bool {
        matches!(self.status, AlgoStatus::New)
    }

    /// `POST /fapi/v1/algoOrder` body (`rest_algoOrder_new.json`).
    #[must_use]
    pub fn json(&self) -> Value {
        let mut v = self.open_json();
        if let Value::Object(m) = &mut v {
            for k in [
                "actualOrderId",
                "actualPrice",
                "tpTriggerPrice",
                "tpPrice",
                "slTriggerPrice",
                "slPrice",
                "tpOrderType",
            ] {
                m.remove(k);
            }
            m.entry("activatePrice").or_insert(json!(""));
            m.entry("callbackRate").or_insert(json!(""));
        }
        v
    }

    /// `GET /fapi/v1/algoOrder`, `openAlgoOrders` and `allAlgoOrders`
    /// element (`rest_openAlgoOrders.json`): adds the triggered order's id
    /// and price; `activatePrice`/`callbackRate` only for trailing stops.
    #[must_use]
    pub fn open_json(&self) -> Value {
        let mut v = json!({
            "algoId": self.algo_id,
            "clientAlgoId": self.client_algo_id,
            "algoType": "CONDITIONAL",
            "orderType": wire(self.order_type),
            "symbol": self.symbol,
            "side": wire(self.side),
            "positionSide": "BOTH",
            "timeInForce": wire(self.time_in_force),
            "quantity": self.quantity.map_or_else(|| "0".to_string(), |q| q.to_string()),
            "algoStatus": wire(self.status),
            "actualOrderId": self.actual_order_id.map(|i| i.to_string()).unwrap_or_default(),
            "actualPrice": "0",
            "triggerPrice": opt_dec(self.trigger_price),
            "price": self.price.map_or_else(|| "0".to_string(), |p| p.to_string()),
            "icebergQuantity": null,
            "tpTriggerPrice": "0.000",
            "tpPrice": "0.000",
            "slTriggerPrice": "0.000",
            "slPrice": "0.000",
            "tpOrderType": "",
            "selfTradePreventionMode": "NONE",
            "workingType": wire(self.working_type),
            "priceMatch": "NONE",
            "closePosition": self.close_position,
            "priceProtect": false,
            "reduceOnly": self.reduce_only,
            "createTime": self.create_time,
            "updateTime": self.update_time,
            "triggerTime": self.trigger_time,
            "goodTillDate": 0,
        });
        if self.order_type == OrderType::TrailingStopMarket
            && let Value::Object(m) = &mut v
        {
            m.insert("activatePrice".into(), json!(opt_dec(self.activate_price)));
            m.insert("callbackRate".into(), json!(opt_dec(self.callback_rate)));
        }
        v
    }

    /// `ALGO_UPDATE` for this algo order (`user_ALGO_UPDATE.json`);
    /// `actual` is the order placed on trigger, once there is one.
    #[must_use]
    pub fn update_json(&self, actual: Option<&SimOrder>, now: i64) -> Value {
        let (ai, ap, aq, act) = match actual {
            Some(o) => (
                o.order_id.to_string(),
                fixed(o.avg_price(), o.price_decimals + 2),
                o.executed_qty.to_string(),
                wire(o.order_type),
            ),
            None => (
                String::new(),
                "0.00000".to_string(),
                "0.00000".to_string(),
                "0".to_string(),
            ),
        };
        json!({
            "e": "ALGO_UPDATE",
            "T": now,
            "E": now,
            "o": {
                "caid": self.client_algo_id,
                "aid": self.algo_id,
                "at": "CONDITIONAL",
                "o": wire(self.order_type),
                "s": self.symbol,
                "S": wire(self.side),
                "ps": "BOTH",
                "f": wire(self.time_in_force),
                "q": self.quantity.map_or_else(|| "0".to_string(), |q| q.to_string()),
                "X": wire(self.status),
                "ai": ai,
                "ap": ap,
                "aq": aq,
                "act": act,
                "tp": opt_dec(self.trigger_price),
                "p": self.price.map_or_else(|| "0".to_string(), |p| p.to_string()),
                "V": "NONE",
                "wt": wire(self.working_type),
                "pm": "NONE",
                "cp": self.close_position,
                "pP": false,
                "R": self.reduce_only,
                "tt": self.trigger_time,
                "gtd": 0,
                "rm": self.reason,
            }
        })
    }
}

/// One fill of the account (`GET /fapi/v1/userTrades`).
#[derive(Debug, Clone, PartialEq)]
pub struct SimTrade {
    /// Trade id.
    pub id: i64,
    /// Order id.
    pub order_id: i64,
    /// Symbol.
    pub symbol: String,
    /// Side.
    pub side: Side,
    /// Price.
    pub price: f64,
    /// Quantity.
    pub qty: Decimal,
    /// Commission (USDT).
    pub commission: f64,
    /// Realized PnL.
    pub realized: f64,
    /// Maker side.
    pub maker: bool,
    /// Time (simulated ms).
    pub time: i64,
    /// Price decimals of the symbol.
    pub price_decimals: usize,
}

impl SimTrade {
    /// The `userTrades` element.
    #[must_use]
    pub fn json(&self) -> Value {
        json!({
            "buyer": self.side == Side::Buy,
            "commission": money(self.commission),
            "commissionAsset": "USDT",
            "id": self.id,
            "maker": self.maker,
            "orderId": self.order_id,
            "price": fixed(self.price, self.price_decimals),
            "qty": self.qty.to_string(),
            "quoteQty": money(self.price * self.qty.to_f64()),
            "realizedPnl": money(self.realized),
            "side": wire(self.side),
            "positionSide": "BOTH",
            "symbol": self.symbol,
            "time": self.time,
        })
    }
}
