//! Conditional orders on the Algo Service (PROTOCOL.md §0, §6.4, §7.5):
//! placing them (`-2021` when the trigger would fire at once), querying
//! and cancelling them, and triggering them on the market's step
//! (rules in [`fill_model`]): a fired order places its MARKET or LIMIT
//! order (`TRIGGERED`, then `FINISHED` once that order is done) or is
//! `REJECTED` with the reason in `rm`.

use super::{AbsValue, Account, Entry};
use crate::exchange::binance::Decimal;
use crate::exchange::binance::filters::OrderKind;
use crate::exchange::binance::order::{AlgoStatus, OrderType, Side, TimeInForce, WorkingType};
use crate::exchange::sim::fill_model;
use crate::exchange::sim::market::SimMarket;
use crate::exchange::sim::orders::AlgoOrder;
use crate::exchange::sim::params::{
    bad_precision, bool_param, client_id, decimal_param, enum_param, err, filter_error, get,
    int_param, limit_param, one_way, required, side_param,
};
use crate::exchange::sim::rest::{Params, RestError, mandatory, not_valid};
use serde_json::{Value, json};

impl Account {
    /// `POST /fapi/v1/algoOrder` (§6.4): validates, refuses a trigger that
    /// would fire at once (`-2021`), and stores the order `NEW`.
    ///
    /// # Errors
    /// The Binance error to answer.
    pub fn new_algo_order(
        &mut self,
        market: &SimMarket,
        p: &Params,
        now: i64,
    ) -> Result<Value, RestError> {
        match get(p, "algoType") {
            None => return Err(mandatory("algoType")),
            Some("CONDITIONAL") => {}
            Some(_) => return Err(not_valid("algoType")),
        }
        let index = Self::symbol(market, p)?;
        let side = side_param(p)?;
        required(p, "type")?;
        let order_type: OrderType = enum_param(p, "type", || err(-1116, "Invalid orderType."))?
            .ok_or_else(|| mandatory("type"))?;
        if !order_type.is_conditional() {
            return Err(err(-1116, "Invalid orderType."));
        }
        one_way(p)?;
        let tif: TimeInForce = enum_param(p, "timeInForce", || err(-1115, "Invalid timeInForce."))?
            .unwrap_or(TimeInForce::Gtc);
        let working_type: WorkingType = enum_param(p, "workingType", || not_valid("workingType"))?
            .unwrap_or(WorkingType::ContractPrice);
        let close_position = bool_param(p, "closePosition")?;
        let reduce_only = bool_param(p, "reduceOnly")?;
        let quantity = decimal_param(p, "quantity")?;
        if close_position && (quantity.is_some() || reduce_only) {
            return Err(not_valid("closePosition"));
        }
        if !close_position && quantity.is_none() {
            return Err(mandatory("quantity"));
        }
        let price = decimal_param(p, "price")?;
        let trigger_price = decimal_param(p, "triggerPrice")?;
        let activate_price = decimal_param(p, "activatePrice")?;
        let callback_rate = decimal_param(p, "callbackRate")?;
        let trailing = order_type == OrderType::TrailingStopMarket;
        if trailing {
            let cr = callback_rate.ok_or_else(|| mandatory("callbackRate"))?;
            let cr_f = cr.to_f64();
            if !(0.1..=10.0).contains(&cr_f) {
                return Err(not_valid("callbackRate"));
            }
        } else if trigger_price.is_none() {
            return Err(mandatory("triggerPrice"));
        }
        if matches!(order_type, OrderType::Stop | OrderType::TakeProfit) && price.is_none() {
            return Err(mandatory("price"));
        }
        let pd = market.price_decimals(index);
        let rules = &self.rules[index];
        for px in [price, trigger_price, activate_price].into_iter().flatten() {
            if px.scale() as usize > pd {
                return Err(bad_precision());
            }
            rules.check_price(px.into()).map_err(|v| filter_error(&v))?;
        }
        if let Some(q) = quantity {
            if q.scale() as usize > market.qty_decimals(index) {
                return Err(bad_precision());
            }
            rules
                .check_qty(q.into(), OrderKind::Market)
                .map_err(|v| filter_error(&v))?;
        }
        let client_algo_id = match client_id(p, "clientAlgoId")? {
            Some(c) => {
                if self
                    .algos
                    .values()
                    .any(|a| a.is_open() && a.client_algo_id == c)
                {
                    return Err(err(-4116, "ClientOrderId is duplicated."));
                }
                c
            }
            None => self.fresh_client_id("simalgo"),
        };
        let latest = match working_type {
            WorkingType::MarkPrice => market.mark_price(index),
            _ => market.last_price(index),
        };
        let immediate = match (order_type, trigger_price) {
            (OrderType::TrailingStopMarket, _) => activate_price.is_some_and(|a| {
                let a = a.to_f64();
                match side {
                    Side::Sell => a < latest,
                    Side::Buy => a > latest,
                }
            }),
            (t, Some(tp)) => fill_model::fires(t, side, tp.to_f64(), latest, latest),
            (_, None) => false,
        };
        if immediate {
            return Err(err(-2021, "Order would immediately trigger."));
        }
        let algo_id = self.next_algo_id;
        self.next_algo_id += 1;
        let algo = AlgoOrder {
            algo_id,
            client_algo_id,
            symbol: Self::name(market, index),
            index,
            side,
            order_type,
            time_in_force: tif,
            quantity,
            price,
            trigger_price,
            working_type,
            close_position,
            reduce_only,
            activate_price,
            callback_rate,
            status: AlgoStatus::New,
            create_time: now,
            update_time: now,
            trigger_time: 0,
            actual_order_id: None,
            // Without an activation price the trailing starts at once.
            extreme: if trailing && activate_price.is_none() {
                Some(latest)
            } else {
                None
            },
            reason: String::new(),
        };
        let body = algo.json();
        self.events.push(algo.update_json(None, now));
        self.algos.insert(algo_id, algo);
        Ok(body)
    }

    fn find_algo(&self, p: &Params) -> Result<i64, RestError> {
        let by_id = int_param(p, "algoId")?;
        let found = match (by_id, get(p, "clientAlgoId")) {
            (Some(id), _) => self.algos.get(&id).map(|a| a.algo_id),
            (None, Some(c)) => self
                .algos
                .values()
                .rev()
                .find(|a| a.client_algo_id == c)
                .map(|a| a.algo_id),
            (None, None) => return Err(mandatory("algoId")),
        };
        found.ok_or_else(|| err(-2013, "Order does not exist."))
    }

    /// `GET /fapi/v1/algoOrder`.
    ///
    /// # Errors
    /// `-2013` for an unknown algo order.
    pub fn query_algo(&self, p: &Params) -> Result<Value, RestError> {
        let id = self.find_algo(p)?;
        Ok(self.algos[&id].open_json())
    }

    /// `GET /fapi/v1/openAlgoOrders`.
    ///
    /// # Errors
    /// Bad symbol.
    pub fn open_algo_orders(&self, market: &SimMarket, p: &Params) -> Result<Value, RestError> {
        let only = match get(p, "symbol") {
            Some(_) => Some(Self::symbol(market, p)?),
            None => None,
        };
        Ok(Value::Array(
            self.algos
                .values()
                .filter(|a| a.is_open() && only.is_none_or(|i| a.index == i))
                .map(AlgoOrder::open_json)
                .collect(),
        ))
    }

    /// `GET /fapi/v1/allAlgoOrders` (`symbol` required; `algoId` = from
    /// this id; `limit` default 500, max 1000).
    ///
    /// # Errors
    /// Parameter errors.
    pub fn all_algo_orders(&self, market: &SimMarket, p: &Params) -> Result<Value, RestError> {
        let index = Self::symbol(market, p)?;
        let from = int_param(p, "algoId")?.unwrap_or(i64::MIN);
        let limit = limit_param(p, 500, 1000)?;
        Ok(Value::Array(
            self.algos
                .range(from..)
                .map(|(_, a)| a)
                .filter(|a| a.index == index)
                .take(limit)
                .map(AlgoOrder::open_json)
                .collect(),
        ))
    }

    /// `DELETE /fapi/v1/algoOpenOrders`: every open algo order of `symbol`.
    ///
    /// # Errors
    /// Parameter errors.
    pub fn cancel_all_algo(
        &mut self,
        market: &SimMarket,
        p: &Params,
        now: i64,
    ) -> Result<Value, RestError> {
        let index = Self::symbol(market, p)?;
        for a in self
            .algos
            .values_mut()
            .filter(|a| a.index == index && a.is_open())
        {
            a.status = AlgoStatus::Canceled;
            a.update_time = now;
            self.events.push(a.update_json(None, now));
        }
        Ok(json!({ "code": 200, "msg": "The operation of cancel all open order is done." }))
    }

    /// `DELETE /fapi/v1/algoOrder`: `{"algoId","clientAlgoId","code":"200","msg":"success"}`.
    ///
    /// # Errors
    /// `-2011` for an unknown or finished algo order.
    pub fn cancel_algo(&mut self, p: &Params, now: i64) -> Result<Value, RestError> {
        let id = match self.find_algo(p) {
            Ok(id) if self.algos[&id].is_open() => id,
            Ok(_) => return Err(err(-2011, "Unknown order sent.")),
            Err(e) if e.code == -2013 => return Err(err(-2011, "Unknown order sent.")),
            Err(e) => return Err(e),
        };
        let Some(a) = self.algos.get_mut(&id) else {
            return Err(err(-2011, "Unknown order sent."));
        };
        a.status = AlgoStatus::Canceled;
        a.update_time = now;
        let ev = a.update_json(None, now);
        let body = json!({
            "algoId": a.algo_id, "clientAlgoId": a.client_algo_id,
            "code": "200", "msg": "success",
        });
        self.events.push(ev);
        Ok(body)
    }

    pub(super) fn trigger_algos(
        &mut self,
        market: &SimMarket,
        i: usize,
        low: f64,
        high: f64,
        close: f64,
        now: i64,
    ) {
        let mark = market.mark_price(i);
        let ids: Vec<i64> = self
            .algos
            .values()
            .filter(|a| a.index == i && a.is_open())
            .map(|a| a.algo_id)
            .collect();
        for id in ids {
            let Some(a) = self.algos.get_mut(&id) else {
                continue;
            };
            let (lo, hi, last) = if a.working_type == WorkingType::MarkPrice {
                (mark, mark, mark)
            } else {
                (low, high, close)
            };
            let fired = if a.order_type == OrderType::TrailingStopMarket {
                let rate = a.callback_rate.map_or(0.0, Decimal::to_f64) / 100.0;
                let activation = a.activate_price.map(Decimal::to_f64);
                let (extreme, fired) =
                    fill_model::trail(a.side, a.extreme, activation, rate, lo, hi, last);
                a.extreme = extreme;
                fired
            } else {
                a.trigger_price
                    .is_some_and(|tp| fill_model::fires(a.order_type, a.side, tp.to_f64(), lo, hi))
            };
            if fired {
                self.trigger(market, id, now);
            }
        }
    }

    /// Places the order of a fired algo order: `TRIGGERED` with the new
    /// order's id, or `REJECTED`/`EXPIRED` with the reason in `rm`.
    fn trigger(&mut self, market: &SimMarket, id: i64, now: i64) {
        let Some(a) = self.algos.get(&id).cloned() else {
            return;
        };
        let pos = self.ledger.position(&a.symbol).amount;
        let qty = if a.close_position {
            pos.abs_value()
        } else {
            a.quantity.unwrap_or_default()
        };
        let closes_wrong_way = a.close_position
            && match a.side {
                Side::Buy => !pos.is_negative(),
                Side::Sell => pos.is_negative() || pos.is_zero(),
            };
        let limit = matches!(a.order_type, OrderType::Stop | OrderType::TakeProfit);
        let entry = Entry {
            index: a.index,
            side: a.side,
            order_type: if limit {
                OrderType::Limit
            } else {
                OrderType::Market
            },
            orig_type: a.order_type,
            tif: if limit {
                a.time_in_force
            } else {
                TimeInForce::Gtc
            },
            qty,
            price: if limit {
                a.price.unwrap_or_default()
            } else {
                Decimal::ZERO
            },
            stop_price: a.trigger_price.unwrap_or_default(),
            reduce_only: a.reduce_only || a.close_position,
            close_position: a.close_position,
            working_type: a.working_type,
            client_id: None,
        };
        let placed = if closes_wrong_way || qty.is_zero() {
            Err(err(-2022, "ReduceOnly Order is rejected."))
        } else {
            self.enter(market, entry, now).map(|(_, oid)| oid)
        };
        let Some(a) = self.algos.get_mut(&id) else {
            return;
        };
        a.trigger_time = now;
        a.update_time = now;
        match placed {
            Ok(oid) => {
                a.status = AlgoStatus::Triggered;
                a.actual_order_id = Some(oid);
                let o = self.orders.get(&oid);
                let ev = a.update_json(o, now);
                // The TRIGGERED update goes before the order's own events.
                let at = self
                    .events
                    .iter()
                    .position(|e| e["e"] == "ORDER_TRADE_UPDATE" && e["o"]["i"] == json!(oid))
                    .unwrap_or(self.events.len());
                self.events.insert(at, ev);
                if o.is_some_and(|o| !o.is_open()) {
                    self.algo_progress(oid, now);
                }
            }
            Err(e) => {
                a.status = AlgoStatus::Rejected;
                a.reason = e.msg;
                let ev = a.update_json(None, now);
                self.events.push(ev);
            }
        }
    }
}
