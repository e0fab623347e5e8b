//! The simulated account's trading engine: order entry with Binance's
//! checks, matching against the simulated market, conditional (algo)
//! orders, and the user-data events each change produces.
//!
//! Order entry (`POST /fapi/v1/order`, PROTOCOL.md §6.2), in order:
//! 1. `symbol` (`-1121`), `side` (`-1117`), `type` (`-1116`; a conditional
//!    type is `-4120`, §0), `positionSide` other than `BOTH` (`-4061`).
//! 2. Mandatory `quantity`, and for LIMIT `price` and `timeInForce`
//!    (`-1102`); unknown `timeInForce` (`-1115`).
//! 3. `newClientOrderId`: regex (`-1100`), over 36 chars (`-4015`), equal
//!    to an open order's (`-4116`).
//! 4. More decimals than the symbol's precision (`-1111`), then the symbol
//!    filters (tick `-4014`, step `-4023`, min notional `-4164` at the mark
//!    price for MARKET, percent band `-4016`/`-4024`).
//! 5. `reduceOnly` on a flat position or in its direction (`-2022`); a
//!    reduce-only MARKET larger than the position is cut to it.
//! 6. Margin: notional / leverage above the available balance (`-2019`).
//! 7. Execution: MARKET fills at once at the touch (ask for BUY, bid for
//!    SELL) moved by the configured slippage, as taker. A LIMIT that
//!    crosses the book fills at the touch as taker (GTX is rejected with
//!    `-5022`); one that does not is GTC → rests, IOC → expires, FOK →
//!    `-5021`.
//!
//! Prices of fills and triggers follow [`fill_model`]; parameters are read
//! by the `params` module; conditional orders live in `algo`, the read
//! endpoints (positions, account, balance) in `view`.
//!
//! Matching on the market's step ([`Account::on_minute`]): a resting BUY
//! fills at its price, as maker, when the minute traded below it; a SELL
//! when it traded above it. Conditional orders trigger on the minute's
//! trade range (`CONTRACT_PRICE`) or the mark price (`MARK_PRICE`) by the
//! rules of §6.3, then place a MARKET or LIMIT order.
//!
//! Funding ([`Account::settle_funding`], §7.4): at each funding time every
//! open position pays `amount × mark × rate` (a long pays a positive
//! rate, a short receives it), booked as a `FUNDING_FEE` income with an
//! `ACCOUNT_UPDATE` of reason `FUNDING_FEE`: balances only for a cross
//! position, balances and the position for an isolated one.
//!
//! The simulator fills the whole quantity (no depth model) and keeps no
//! liquidation engine (liquidation price is reported as 0).

use super::fill_model;
use super::ledger::{FillEffect, Ledger};
use super::market::{SimMarket, fixed};
use super::orders::{AlgoOrder, FillReport, SimOrder, SimTrade, money};
use super::params::{
    bad_precision, bool_param, client_id, decimal_param, enum_param, err, filter_error, get,
    int_param, limit_param, one_way, required, side_param,
};
use super::rest::{Params, RestError, mandatory, not_valid, symbol_filters};
use crate::exchange::binance::Decimal;
use crate::exchange::binance::filters::{SymbolFilter, SymbolRules};
use crate::exchange::binance::order::{
    AlgoStatus, ExecutionType, MarginType, OrderStatus, OrderType, Side, TimeInForce, WorkingType,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;

mod algo;
mod view;

/// Fees, slippage and starting balance of the account.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AccountSettings {
    /// USDT balance at start.
    pub initial_balance: f64,
    /// Maker fee rate.
    pub maker_fee_rate: f64,
    /// Taker fee rate.
    pub taker_fee_rate: f64,
    /// MARKET slippage in basis points.
    pub slippage_bps: f64,
    /// Leverage before any change.
    pub default_leverage: u32,
}

/// The one simulated account.
#[derive(Debug, Clone)]
pub struct Account {
    settings: AccountSettings,
    ledger: Ledger,
    rules: Vec<SymbolRules>,
    orders: BTreeMap<i64, SimOrder>,
    algos: BTreeMap<i64, AlgoOrder>,
    trades: Vec<SimTrade>,
    next_order_id: i64,
    next_algo_id: i64,
    next_trade_id: i64,
    next_client_id: u64,
    events: Vec<Value>,
}

/// Parameters of an order about to be executed.
struct Entry {
    index: usize,
    side: Side,
    order_type: OrderType,
    orig_type: OrderType,
    tif: TimeInForce,
    qty: Decimal,
    price: Decimal,
    stop_price: Decimal,
    reduce_only: bool,
    close_position: bool,
    working_type: WorkingType,
    client_id: Option<String>,
}

impl Account {
    /// An account on `market` with `settings`.
    ///
    /// # Panics
    /// When the market's own filters do not parse (a broken invariant of
    /// [`symbol_filters`]).
    #[must_use]
    pub fn new(market: &SimMarket, settings: AccountSettings) -> Self {
        let rules = (0..market.profiles().len())
            .map(|i| {
                let filters: Vec<SymbolFilter> =
                    serde_json::from_value(symbol_filters(market, i)).expect("sim filters parse");
                SymbolRules::from_filters(&filters).expect("sim filters are complete")
            })
            .collect();
        Self {
            settings,
            ledger: Ledger::new(settings.initial_balance, settings.default_leverage),
            rules,
            orders: BTreeMap::new(),
            algos: BTreeMap::new(),
            trades: Vec::new(),
            next_order_id: 1_000_001,
            next_algo_id: 2_000_001,
            next_trade_id: 1,
            next_client_id: 1,
            events: Vec::new(),
        }
    }

    /// The books.
    #[must_use]
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Takes the user-data events produced since the last call, in order.
    pub fn take_events(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.events)
    }

    fn symbol(market: &SimMarket, p: &Params) -> Result<usize, RestError> {
        let s = required(p, "symbol")?;
        market
            .index_of(s)
            .ok_or_else(|| err(-1121, "Invalid symbol."))
    }

    fn name(market: &SimMarket, i: usize) -> String {
        market.profiles()[i].instrument.symbol.as_str().to_string()
    }

    fn fresh_client_id(&mut self, prefix: &str) -> String {
        let id = format!("{prefix}{:020}", self.next_client_id);
        self.next_client_id += 1;
        id
    }

    /// `POST /fapi/v1/order` (steps 1–7).
    ///
    /// # Errors
    /// The Binance error to answer.
    pub fn new_order(
        &mut self,
        market: &SimMarket,
        p: &Params,
        now: i64,
    ) -> Result<Value, RestError> {
        let index = Self::symbol(market, p)?;
        if market.last_candle(index).is_none() {
            // A replayed contract before its first recorded minute has no
            // price to fill at.
            return Err(err(-4140, "Invalid symbol status for opening position."));
        }
        let side = side_param(p)?;
        required(p, "type")?;
        let order_type: OrderType = enum_param(p, "type", || err(-1116, "Invalid orderType."))?
            .ok_or_else(|| mandatory("type"))?;
        if order_type.is_conditional() {
            return Err(err(
                -4120,
                "Order type not supported for this endpoint. Please use the Algo Order API \
                 endpoints instead.",
            ));
        }
        if !matches!(order_type, OrderType::Limit | OrderType::Market) {
            return Err(err(-1116, "Invalid orderType."));
        }
        one_way(p)?;
        let qty = decimal_param(p, "quantity")?.ok_or_else(|| mandatory("quantity"))?;
        let (tif, price) = if order_type == OrderType::Limit {
            required(p, "timeInForce")?;
            let tif: TimeInForce =
                enum_param(p, "timeInForce", || err(-1115, "Invalid timeInForce."))?
                    .ok_or_else(|| mandatory("timeInForce"))?;
            if !matches!(
                tif,
                TimeInForce::Gtc | TimeInForce::Ioc | TimeInForce::Fok | TimeInForce::Gtx
            ) {
                return Err(err(-1115, "Invalid timeInForce."));
            }
            let price = decimal_param(p, "price")?.ok_or_else(|| mandatory("price"))?;
            (tif, price)
        } else {
            (TimeInForce::Gtc, Decimal::ZERO)
        };
        let client_id = client_id(p, "newClientOrderId")?;
        let reduce_only = bool_param(p, "reduceOnly")?;
        let result = match get(p, "newOrderRespType") {
            None | Some("ACK") => false,
            Some("RESULT") => true,
            Some(_) => return Err(not_valid("newOrderRespType")),
        };
        let entry = Entry {
            index,
            side,
            order_type,
            orig_type: order_type,
            tif,
            qty,
            price,
            stop_price: Decimal::ZERO,
            reduce_only,
            close_position: false,
            working_type: WorkingType::ContractPrice,
            client_id,
        };
        let (accepted, id) = self.enter(market, entry, now)?;
        let o = &self.orders[&id];
        Ok(if result { o.new_order_json() } else { accepted })
    }

    /// Steps 3–7 for a parsed order; returns the order as accepted (the
    /// `ACK` body) and its id.
    fn enter(
        &mut self,
        market: &SimMarket,
        mut e: Entry,
        now: i64,
    ) -> Result<(Value, i64), RestError> {
        let symbol = Self::name(market, e.index);
        if let Some(c) = &e.client_id
            && self
                .orders
                .values()
                .any(|o| o.is_open() && &o.client_order_id == c)
        {
            return Err(err(-4116, "ClientOrderId is duplicated."));
        }
        let (pd, qd) = (market.price_decimals(e.index), market.qty_decimals(e.index));
        if e.qty.scale() as usize > qd || e.price.scale() as usize > pd {
            return Err(bad_precision());
        }
        let rules = &self.rules[e.index];
        let mark = market.mark_price(e.index);
        // On the price grid, so that notional products stay exact decimals.
        let mark_d: Decimal = fixed(mark, pd).parse().map_err(|_| bad_precision())?;
        let check = if e.order_type == OrderType::Market {
            rules.check_market_order(e.qty.into(), mark_d.into(), e.reduce_only)
        } else {
            rules.check_limit_order(
                e.side,
                e.price.into(),
                e.qty.into(),
                Some(mark_d.into()),
                e.reduce_only,
            )
        };
        check.map_err(|v| filter_error(&v))?;
        let pos = self.ledger.position(&symbol);
        if e.reduce_only {
            let against = match e.side {
                Side::Buy => pos.amount.is_negative(),
                Side::Sell => !pos.amount.is_negative() && !pos.amount.is_zero(),
            };
            if !against {
                return Err(err(-2022, "ReduceOnly Order is rejected."));
            }
            let abs = pos.amount.abs_value();
            if e.order_type == OrderType::Market && e.qty > abs {
                e.qty = abs;
            }
        } else {
            let px = if e.order_type == OrderType::Market {
                mark
            } else {
                e.price.to_f64()
            };
            let need = e.qty.to_f64() * px / f64::from(pos.leverage.max(1));
            if need > self.available_balance(market) {
                return Err(err(-2019, "Margin is insufficient."));
            }
        }
        let (book, _) = market.book(e.index);
        let tick = self.rules[e.index].price.tick_size.to_f64();
        let crosses = e.order_type == OrderType::Market
            || fill_model::limit_crosses(e.side, e.price.to_f64(), book.bid, book.ask, tick);
        if crosses && e.tif == TimeInForce::Gtx {
            return Err(err(
                -5022,
                "Due to the order could not be executed as maker, the Post Only order will be \
                 rejected.",
            ));
        }
        if !crosses && e.tif == TimeInForce::Fok {
            return Err(err(
                -5021,
                "Due to the order could not be filled immediately, the FOK order has been \
                 rejected.",
            ));
        }
        let id = self.next_order_id;
        self.next_order_id += 1;
        let client_order_id = match e.client_id.take() {
            Some(c) => c,
            None => self.fresh_client_id("sim"),
        };
        let order = SimOrder {
            order_id: id,
            client_order_id,
            symbol,
            index: e.index,
            side: e.side,
            order_type: e.order_type,
            orig_type: e.orig_type,
            time_in_force: e.tif,
            orig_qty: e.qty,
            price: e.price,
            stop_price: e.stop_price,
            reduce_only: e.reduce_only,
            close_position: e.close_position,
            working_type: e.working_type,
            status: OrderStatus::New,
            executed_qty: Decimal::ZERO,
            cum_quote: 0.0,
            time: now,
            update_time: now,
            price_decimals: pd,
        };
        let ack = order.new_order_json();
        self.events
            .push(order.trade_update_json(ExecutionType::New, None, 0, now));
        self.orders.insert(id, order);
        if crosses {
            let px = if e.order_type == OrderType::Market {
                fill_model::market_fill_price(
                    e.side,
                    book.bid,
                    book.ask,
                    self.settings.slippage_bps,
                    tick,
                )
            } else {
                fill_model::taker_limit_price(e.side, book.bid, book.ask)
            };
            self.fill(id, (e.qty, px), false, mark, now);
        } else if e.tif == TimeInForce::Ioc {
            self.finish(id, OrderStatus::Expired, ExecutionType::Expired, 2, now);
        }
        Ok((ack, id))
    }

    /// Books a fill of `qty` at `price` on order `id`: ledger, trade,
    /// order state, `ORDER_TRADE_UPDATE` and `ACCOUNT_UPDATE`.
    fn fill(&mut self, id: i64, fill: (Decimal, f64), maker: bool, mark: f64, now: i64) {
        let (qty, price) = fill;
        let Some(o) = self.orders.get(&id) else {
            return;
        };
        let rate = if maker {
            self.settings.maker_fee_rate
        } else {
            self.settings.taker_fee_rate
        };
        let commission = qty.to_f64() * price * rate;
        let trade_id = self.next_trade_id;
        let (symbol, side) = (o.symbol.clone(), o.side);
        let Ok(FillEffect {
            realized_pnl,
            position,
            ..
        }) = self
            .ledger
            .apply_fill(&symbol, side, qty, price, commission, now, trade_id)
        else {
            // Only a zero quantity or decimal overflow gets here: nothing
            // was booked, so the order just stays as it was.
            return;
        };
        self.next_trade_id += 1;
        let Some(o) = self.orders.get_mut(&id) else {
            return;
        };
        o.executed_qty = o.executed_qty.checked_add(qty).unwrap_or(o.executed_qty);
        o.cum_quote += qty.to_f64() * price;
        o.update_time = now;
        o.status = if o.executed_qty >= o.orig_qty {
            OrderStatus::Filled
        } else {
            OrderStatus::PartiallyFilled
        };
        let report = FillReport {
            trade_id,
            qty,
            price,
            commission,
            realized: realized_pnl,
            maker,
        };
        self.trades.push(SimTrade {
            id: trade_id,
            order_id: id,
            symbol: symbol.clone(),
            side,
            price,
            qty,
            commission,
            realized: realized_pnl,
            maker,
            time: now,
            price_decimals: o.price_decimals,
        });
        let update = o.trade_update_json(ExecutionType::Trade, Some(report), 0, now);
        self.events.push(update);
        let iw = position.isolated_wallet();
        self.events.push(json!({
            "e": "ACCOUNT_UPDATE",
            "E": now,
            "T": now,
            "a": {
                "m": "ORDER",
                "B": [{
                    "a": "USDT",
                    "wb": money(self.ledger.wallet()),
                    "cw": money(self.cross_wallet()),
                    "bc": "0",
                }],
                "P": [{
                    "s": symbol,
                    "pa": position.amount.to_string(),
                    "ep": fixed(position.entry_price, 8),
                    "bep": fixed(position.entry_price, 8),
                    "cr": money(position.accumulated_realized),
                    "up": money(position.unrealized(mark)),
                    "mt": margin_word(position.margin_type),
                    "iw": money(iw),
                    "ps": "BOTH",
                }],
            }
        }));
        self.algo_progress(id, now);
    }

    /// Ends order `id` without (further) fills.
    fn finish(&mut self, id: i64, status: OrderStatus, x: ExecutionType, er: u8, now: i64) {
        if let Some(o) = self.orders.get_mut(&id) {
            o.status = status;
            o.update_time = now;
            let ev = o.trade_update_json(x, None, er, now);
            self.events.push(ev);
        }
        self.algo_progress(id, now);
    }

    /// `ALGO_UPDATE FINISHED` once the order an algo order placed is done.
    fn algo_progress(&mut self, order_id: i64, now: i64) {
        let Some(o) = self.orders.get(&order_id) else {
            return;
        };
        if o.is_open() {
            return;
        }
        let Some(a) = self
            .algos
            .values_mut()
            .find(|a| a.actual_order_id == Some(order_id) && a.status == AlgoStatus::Triggered)
        else {
            return;
        };
        a.status = AlgoStatus::Finished;
        a.update_time = now;
        let ev = a.update_json(Some(o), now);
        self.events.push(ev);
    }

    fn find_order(&self, market: &SimMarket, p: &Params) -> Result<i64, RestError> {
        let index = Self::symbol(market, p)?;
        let by_id = int_param(p, "orderId")?;
        let by_client = get(p, "origClientOrderId");
        let found = match (by_id, by_client) {
            (Some(id), _) => self
                .orders
                .get(&id)
                .filter(|o| o.index == index)
                .map(|o| o.order_id),
            (None, Some(c)) => self
                .orders
                .values()
                .rev()
                .find(|o| o.index == index && o.client_order_id == c)
                .map(|o| o.order_id),
            (None, None) => {
                return Err(mandatory("orderId"));
            }
        };
        found.ok_or_else(|| err(-2013, "Order does not exist."))
    }

    /// `GET /fapi/v1/order`.
    ///
    /// # Errors
    /// `-2013` for an unknown order, parameter errors.
    pub fn query_order(&self, market: &SimMarket, p: &Params) -> Result<Value, RestError> {
        let id = self.find_order(market, p)?;
        Ok(self.orders[&id].query_json())
    }

    /// `GET /fapi/v1/openOrder`: the order while it is open; a filled or
    /// cancelled one is `-2013` (§6.1).
    ///
    /// # Errors
    /// `-2013` for an unknown or finished order, parameter errors.
    pub fn open_order(&self, market: &SimMarket, p: &Params) -> Result<Value, RestError> {
        let id = self.find_order(market, p)?;
        let o = &self.orders[&id];
        if o.is_open() {
            Ok(o.query_json())
        } else {
            Err(err(-2013, "Order does not exist."))
        }
    }

    /// `POST /fapi/v1/positionSide/dual`: the simulated account stays in
    /// one-way mode, so `false` needs no change (`-4059`) and hedge mode
    /// is refused as an invalid value.
    ///
    /// # Errors
    /// Always: `-4059` for `false`, `-1130` for `true`, `-1102` without.
    pub fn set_position_mode(p: &Params) -> Result<Value, RestError> {
        match get(p, "dualSidePosition") {
            None => Err(mandatory("dualSidePosition")),
            Some("false") => Err(err(-4059, "No need to change position side.")),
            Some(_) => Err(not_valid("dualSidePosition")),
        }
    }

    /// `DELETE /fapi/v1/order`.
    ///
    /// # Errors
    /// `-2011 Unknown order sent.` for an unknown or finished order.
    pub fn cancel_order(
        &mut self,
        market: &SimMarket,
        p: &Params,
        now: i64,
    ) -> Result<Value, RestError> {
        let id = match self.find_order(market, p) {
            Ok(id) if self.orders[&id].is_open() => id,
            Ok(_) => return Err(err(-2011, "Unknown order sent.")),
            Err(e) if e.code == -2013 => return Err(err(-2011, "Unknown order sent.")),
            Err(e) => return Err(e),
        };
        self.finish(id, OrderStatus::Canceled, ExecutionType::Canceled, 0, now);
        Ok(self.orders[&id].new_order_json())
    }

    /// `DELETE /fapi/v1/allOpenOrders`: the symbol's open orders (whether
    /// it also cancels algo orders is not confirmed, §11 item 13; here it
    /// does not: `DELETE /fapi/v1/algoOpenOrders` does).
    ///
    /// # Errors
    /// Parameter errors.
    pub fn cancel_all(
        &mut self,
        market: &SimMarket,
        p: &Params,
        now: i64,
    ) -> Result<Value, RestError> {
        let index = Self::symbol(market, p)?;
        let ids: Vec<i64> = self
            .orders
            .values()
            .filter(|o| o.index == index && o.is_open())
            .map(|o| o.order_id)
            .collect();
        for id in ids {
            self.finish(id, OrderStatus::Canceled, ExecutionType::Canceled, 0, now);
        }
        Ok(json!({ "code": 200, "msg": "The operation of cancel all open order is done." }))
    }

    /// `GET /fapi/v1/openOrders`.
    ///
    /// # Errors
    /// Parameter errors.
    pub fn open_orders(&self, market: &SimMarket, p: &Params) -> Result<Value, RestError> {
        let only = match get(p, "symbol") {
            Some(_) => Some(Self::symbol(market, p)?),
            None => None,
        };
        Ok(Value::Array(
            self.orders
                .values()
                .filter(|o| o.is_open() && only.is_none_or(|i| o.index == i))
                .map(SimOrder::query_json)
                .collect(),
        ))
    }

    /// `GET /fapi/v1/allOrders` (`symbol` required; `orderId` = from this
    /// id; `limit` default 500, max 1000).
    ///
    /// # Errors
    /// Parameter errors.
    pub fn all_orders(&self, market: &SimMarket, p: &Params) -> Result<Value, RestError> {
        let index = Self::symbol(market, p)?;
        let from = int_param(p, "orderId")?.unwrap_or(i64::MIN);
        let limit = limit_param(p, 500, 1000)?;
        let rows: Vec<Value> = self
            .orders
            .range(from..)
            .map(|(_, o)| o)
            .filter(|o| o.index == index)
            .take(limit)
            .map(SimOrder::query_json)
            .collect();
        Ok(Value::Array(rows))
    }

    /// `GET /fapi/v1/userTrades` (`symbol` required; `fromId`; `limit`
    /// default 500, max 1000; most recent when no `fromId`).
    ///
    /// # Errors
    /// Parameter errors.
    pub fn user_trades(&self, market: &SimMarket, p: &Params) -> Result<Value, RestError> {
        let index = Self::symbol(market, p)?;
        let name = Self::name(market, index);
        let limit = limit_param(p, 500, 1000)?;
        let mine: Vec<&SimTrade> = self.trades.iter().filter(|t| t.symbol == name).collect();
        let rows: Vec<Value> = match int_param(p, "fromId")? {
            Some(from) => mine
                .iter()
                .filter(|t| t.id >= from)
                .take(limit)
                .map(|t| t.json())
                .collect(),
            None => mine[mine.len().saturating_sub(limit)..]
                .iter()
                .map(|t| t.json())
                .collect(),
        };
        Ok(Value::Array(rows))
    }

    /// `GET /fapi/v1/income` (`symbol`, `incomeType`, `startTime`,
    /// `endTime` optional; `limit` default 100, max 1000).
    ///
    /// # Errors
    /// Parameter errors.
    pub fn income(&self, market: &SimMarket, p: &Params) -> Result<Value, RestError> {
        let symbol = match get(p, "symbol") {
            Some(_) => Some(Self::name(market, Self::symbol(market, p)?)),
            None => None,
        };
        let kind = get(p, "incomeType");
        let start = int_param(p, "startTime")?.unwrap_or(i64::MIN);
        let end = int_param(p, "endTime")?.unwrap_or(i64::MAX);
        let limit = limit_param(p, 100, 1000)?;
        let rows: Vec<Value> = self
            .ledger
            .incomes()
            .iter()
            .filter(|i| symbol.as_deref().is_none_or(|s| s == i.symbol))
            .filter(|i| kind.is_none_or(|k| k == i.kind.as_str()))
            .filter(|i| (start..=end).contains(&i.time))
            .take(limit)
            .map(|i| {
                json!({
                    "symbol": i.symbol,
                    "incomeType": i.kind.as_str(),
                    "income": money(i.amount),
                    "asset": "USDT",
                    "info": i.kind.as_str(),
                    "time": i.time,
                    "tranId": i.tran_id,
                    "tradeId": if i.trade_id > 0 { i.trade_id.to_string() } else { String::new() },
                })
            })
            .collect();
        Ok(Value::Array(rows))
    }

    /// `POST /fapi/v1/leverage` (1–125).
    ///
    /// # Errors
    /// `-1102` missing, `-4028` outside 1–125, bad symbol.
    pub fn set_leverage(
        &mut self,
        market: &SimMarket,
        p: &Params,
        now: i64,
    ) -> Result<Value, RestError> {
        let index = Self::symbol(market, p)?;
        let lev = int_param(p, "leverage")?.ok_or_else(|| mandatory("leverage"))?;
        let lev = u32::try_from(lev)
            .ok()
            .filter(|l| (1..=125).contains(l))
            .ok_or_else(|| err(-4028, format!("Leverage {lev} is not valid")))?;
        let name = Self::name(market, index);
        self.ledger.set_leverage(&name, lev);
        self.events.push(json!({
            "e": "ACCOUNT_CONFIG_UPDATE", "E": now, "T": now,
            "ac": { "s": name, "l": lev },
        }));
        Ok(json!({
            "leverage": lev,
            "maxNotionalValue": max_notional(lev),
            "symbol": name,
        }))
    }

    /// `POST /fapi/v1/marginType` (`ISOLATED` | `CROSSED`).
    ///
    /// # Errors
    /// `-4046` no change needed, `-4047` open orders, `-4048` position.
    pub fn set_margin_type(&mut self, market: &SimMarket, p: &Params) -> Result<Value, RestError> {
        let index = Self::symbol(market, p)?;
        required(p, "marginType")?;
        let mt = match get(p, "marginType") {
            Some("ISOLATED") => MarginType::Isolated,
            Some("CROSSED") => MarginType::Crossed,
            _ => return Err(not_valid("marginType")),
        };
        let name = Self::name(market, index);
        let pos = self.ledger.position(&name);
        if pos.margin_type == mt {
            return Err(err(-4046, "No need to change margin type."));
        }
        if self
            .orders
            .values()
            .any(|o| o.index == index && o.is_open())
        {
            return Err(err(
                -4047,
                "Margin type cannot be changed if there exists open orders.",
            ));
        }
        if !pos.amount.is_zero() {
            return Err(err(
                -4048,
                "Margin type cannot be changed if there exists position.",
            ));
        }
        self.ledger.set_margin_type(&name, mt);
        Ok(json!({ "code": 200, "msg": "success" }))
    }

    /// Settles funding at `rate` on every open position at time `now`.
    pub fn settle_funding(&mut self, market: &SimMarket, rate: f64, now: i64) {
        let open: Vec<(String, f64)> = self
            .ledger
            .positions()
            .filter(|(_, p)| !p.amount.is_zero())
            .map(|(s, p)| (s.to_string(), p.amount_f64()))
            .collect();
        for (symbol, amount) in open {
            let Some(i) = market.index_of(&symbol) else {
                continue;
            };
            let mark = market.mark_price(i);
            let fee = -amount * mark * rate;
            self.ledger.apply_funding(&symbol, fee, now);
            let p = self.ledger.position(&symbol);
            let positions = match p.margin_type {
                MarginType::Crossed => json!([]),
                MarginType::Isolated => json!([{
                    "s": symbol,
                    "pa": p.amount.to_string(),
                    "ep": fixed(p.entry_price, 8),
                    "bep": fixed(p.entry_price, 8),
                    "cr": money(p.accumulated_realized),
                    "up": money(p.unrealized(mark)),
                    "mt": "isolated",
                    "iw": money(p.isolated_wallet()),
                    "ps": "BOTH",
                }]),
            };
            let mut data = json!({
                "m": "FUNDING_FEE",
                "B": [{
                    "a": "USDT",
                    "wb": money(self.ledger.wallet()),
                    "cw": money(self.cross_wallet()),
                    "bc": "0",
                }],
            });
            if positions.as_array().is_some_and(|a| !a.is_empty()) {
                data["P"] = positions;
            }
            self.events.push(json!({
                "e": "ACCOUNT_UPDATE", "E": now, "T": now, "a": data,
            }));
        }
    }

    /// Symbols with open orders or algo orders: the ones
    /// [`Account::on_minute`] must look at.
    #[must_use]
    pub fn watched_symbols(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .orders
            .values()
            .filter(|o| o.is_open())
            .map(|o| o.index)
            .chain(self.algos.values().filter(|a| a.is_open()).map(|a| a.index))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Matches symbol `i` against the minute that just closed (its candle
    /// and book in `market`): resting LIMIT orders, then algo triggers.
    pub fn on_minute(&mut self, market: &SimMarket, i: usize, now: i64) {
        let Some(c) = market.last_candle(i).copied() else {
            return;
        };
        let resting: Vec<i64> = self
            .orders
            .values()
            .filter(|o| o.index == i && o.is_open() && o.order_type == OrderType::Limit)
            .map(|o| o.order_id)
            .collect();
        for id in resting {
            let o = &self.orders[&id];
            let px = o.price.to_f64();
            if !fill_model::traded_through(o.side, px, c.low, c.high) {
                continue;
            }
            let mut left = o.orig_qty.checked_sub(o.executed_qty).unwrap_or_default();
            if o.reduce_only {
                let pos = self.ledger.position(&o.symbol).amount;
                let against = match o.side {
                    Side::Buy => pos.is_negative(),
                    Side::Sell => !pos.is_negative() && !pos.is_zero(),
                };
                if !against {
                    self.finish(id, OrderStatus::Expired, ExecutionType::Expired, 4, now);
                    continue;
                }
                left = left.min(pos.abs_value());
            }
            self.fill(id, (left, px), true, market.mark_price(i), now);
        }
        self.trigger_algos(market, i, c.low, c.high, c.close, now);
    }
}

fn max_notional(leverage: u32) -> String {
    // A flat bracket: 1,000,000 USDT at 20x, scaled inversely.
    format!("{}", 20_000_000 / u64::from(leverage.max(1)))
}

/// `cross` / `isolated` as the position endpoints and `ACCOUNT_UPDATE`
/// write it (§11 item 12).
fn margin_word(m: MarginType) -> &'static str {
    match m {
        MarginType::Isolated => "isolated",
        MarginType::Crossed => "cross",
    }
}

/// `|d|`.
trait AbsValue {
    fn abs_value(self) -> Self;
}

impl AbsValue for Decimal {
    fn abs_value(self) -> Self {
        if self.is_negative() {
            Decimal::ZERO.checked_sub(self).unwrap_or(self)
        } else {
            self
        }
    }
}
