//! The account as the read endpoints show it (PROTOCOL.md §6.5):
//! `positionRisk` v2 (every symbol, configuration included) and v3 (only
//! symbols with a position or open order, margin fields instead),
//! `account` v2/v3 and `balance`, in single-asset mode (USDT only).
//!
//! Margin: a position's initial margin is its notional at the mark price
//! divided by its leverage; open orders hold their remaining notional at
//! their price divided by the leverage; the maintenance margin is a flat
//! 0.4 % of the notional; isolated margin is the entry notional divided by
//! the leverage. The available balance is wallet + unrealized PnL − both
//! initial margins.

use super::{Account, margin_word, max_notional};
use crate::exchange::binance::order::MarginType;
use crate::exchange::sim::market::{SimMarket, fixed};
use crate::exchange::sim::orders::money;
use crate::exchange::sim::params::get;
use crate::exchange::sim::rest::{Params, RestError};
use serde_json::{Value, json};

impl Account {
    /// Margin free for new positions: wallet + unrealized − initial margin
    /// of positions and open orders.
    #[must_use]
    pub fn available_balance(&self, market: &SimMarket) -> f64 {
        let mark = |s: &str| market.index_of(s).map_or(0.0, |i| market.mark_price(i));
        let upnl = self.ledger.unrealized(mark);
        let pos_margin: f64 = self
            .ledger
            .positions()
            .map(|(s, p)| p.initial_margin(mark(s)))
            .sum();
        self.ledger.wallet() + upnl - pos_margin - self.open_order_margin(market)
    }

    pub(super) fn open_order_margin(&self, market: &SimMarket) -> f64 {
        self.orders
            .values()
            .filter(|o| o.is_open() && !o.reduce_only)
            .map(|o| {
                let lev = self.ledger.position(&o.symbol).leverage.max(1);
                let left = o.orig_qty.to_f64() - o.executed_qty.to_f64();
                let px = if o.price.is_zero() {
                    market.mark_price(o.index)
                } else {
                    o.price.to_f64()
                };
                left * px / f64::from(lev)
            })
            .sum()
    }

    pub(super) fn cross_wallet(&self) -> f64 {
        self.ledger.wallet()
            - self
                .ledger
                .positions()
                .map(|(_, p)| p.isolated_wallet())
                .sum::<f64>()
    }

    /// One position row in both `positionRisk` shapes; `v3` drops the
    /// configuration fields and adds the margin ones (§6.5).
    pub(super) fn position_row(&self, market: &SimMarket, i: usize, v3: bool) -> Value {
        let name = Self::name(market, i);
        let p = self.ledger.position(&name);
        let mark = market.mark_price(i);
        let notional = p.amount_f64() * mark;
        let iw = p.isolated_wallet();
        let mut row = json!({
            "symbol": name,
            "positionSide": "BOTH",
            "positionAmt": p.amount.to_string(),
            "entryPrice": fixed(p.entry_price, 8),
            "breakEvenPrice": fixed(p.entry_price, 8),
            "markPrice": fixed(mark, 8),
            "unRealizedProfit": money(p.unrealized(mark)),
            "liquidationPrice": "0",
            "isolatedMargin": money(iw + if iw > 0.0 { p.unrealized(mark) } else { 0.0 }),
            "notional": money(notional),
            "isolatedWallet": money(iw),
            "updateTime": p.update_time,
        });
        if let Value::Object(m) = &mut row {
            if v3 {
                m.insert("marginAsset".into(), json!("USDT"));
                let im = p.initial_margin(mark);
                m.insert("initialMargin".into(), json!(money(im)));
                m.insert("maintMargin".into(), json!(money(notional.abs() * 0.004)));
                m.insert("positionInitialMargin".into(), json!(money(im)));
                m.insert("openOrderInitialMargin".into(), json!("0"));
                m.insert("adl".into(), json!(0));
                m.insert("bidNotional".into(), json!("0"));
                m.insert("askNotional".into(), json!("0"));
            } else {
                m.insert("leverage".into(), json!(p.leverage.to_string()));
                m.insert("maxNotionalValue".into(), json!(max_notional(p.leverage)));
                m.insert("marginType".into(), json!(margin_word(p.margin_type)));
                m.insert("isAutoAddMargin".into(), json!("false"));
            }
        }
        row
    }

    pub(super) fn active_symbols(&self, market: &SimMarket) -> Vec<usize> {
        (0..market.profiles().len())
            .filter(|&i| {
                let name = Self::name(market, i);
                !self.ledger.position(&name).amount.is_zero()
                    || self.orders.values().any(|o| o.index == i && o.is_open())
            })
            .collect()
    }

    /// `GET /fapi/v2/positionRisk` (every symbol, or `symbol`) and
    /// `GET /fapi/v3/positionRisk` (symbols with a position or open order).
    ///
    /// # Errors
    /// Bad symbol.
    pub fn position_risk(
        &self,
        market: &SimMarket,
        p: &Params,
        v3: bool,
    ) -> Result<Value, RestError> {
        let symbols = match get(p, "symbol") {
            Some(_) => vec![Self::symbol(market, p)?],
            None if v3 => self.active_symbols(market),
            None => (0..market.profiles().len()).collect(),
        };
        Ok(Value::Array(
            symbols
                .into_iter()
                .map(|i| self.position_row(market, i, v3))
                .collect(),
        ))
    }

    pub(super) fn totals(&self, market: &SimMarket) -> (f64, f64, f64, f64) {
        let mark = |s: &str| market.index_of(s).map_or(0.0, |i| market.mark_price(i));
        let upnl = self.ledger.unrealized(mark);
        let im: f64 = self
            .ledger
            .positions()
            .map(|(s, p)| p.initial_margin(mark(s)))
            .sum();
        let oim = self.open_order_margin(market);
        (upnl, im, oim, self.available_balance(market))
    }

    /// `GET /fapi/v2/account` and `GET /fapi/v3/account` (single-asset
    /// mode, USDT only).
    #[must_use]
    pub fn account(&self, market: &SimMarket, v3: bool, now: i64) -> Value {
        let (upnl, im, oim, avail) = self.totals(market);
        let wb = self.ledger.wallet();
        let maint: f64 = self
            .ledger
            .positions()
            .map(|(s, p)| {
                let mark = market.index_of(s).map_or(0.0, |i| market.mark_price(i));
                (p.amount_f64() * mark).abs() * 0.004
            })
            .sum();
        let asset = json!({
            "asset": "USDT",
            "walletBalance": money(wb),
            "unrealizedProfit": money(upnl),
            "marginBalance": money(wb + upnl),
            "maintMargin": money(maint),
            "initialMargin": money(im + oim),
            "positionInitialMargin": money(im),
            "openOrderInitialMargin": money(oim),
            "crossWalletBalance": money(self.cross_wallet()),
            "crossUnPnl": money(upnl),
            "availableBalance": money(avail),
            "maxWithdrawAmount": money(avail.max(0.0)),
            "marginAvailable": true,
            "updateTime": now,
        });
        let positions: Vec<Value> = if v3 {
            self.active_symbols(market)
                .into_iter()
                .map(|i| {
                    let name = Self::name(market, i);
                    let p = self.ledger.position(&name);
                    let mark = market.mark_price(i);
                    let iw = p.isolated_wallet();
                    let notional = p.amount_f64() * mark;
                    json!({
                        "symbol": name,
                        "positionSide": "BOTH",
                        "positionAmt": p.amount.to_string(),
                        "unrealizedProfit": money(p.unrealized(mark)),
                        "isolatedMargin": money(iw + if iw > 0.0 { p.unrealized(mark) } else { 0.0 }),
                        "notional": money(notional),
                        "isolatedWallet": money(iw),
                        "initialMargin": money(p.initial_margin(mark)),
                        "maintMargin": money(notional.abs() * 0.004),
                        "updateTime": p.update_time,
                    })
                })
                .collect()
        } else {
            (0..market.profiles().len())
                .map(|i| {
                    let name = Self::name(market, i);
                    let p = self.ledger.position(&name);
                    let mark = market.mark_price(i);
                    let im = p.initial_margin(mark);
                    json!({
                        "symbol": name,
                        "initialMargin": money(im),
                        "maintMargin": money((p.amount_f64() * mark).abs() * 0.004),
                        "unrealizedProfit": money(p.unrealized(mark)),
                        "positionInitialMargin": money(im),
                        "openOrderInitialMargin": "0",
                        "leverage": p.leverage.to_string(),
                        "isolated": p.margin_type == MarginType::Isolated,
                        "entryPrice": fixed(p.entry_price, 8),
                        "maxNotional": max_notional(p.leverage),
                        "bidNotional": "0",
                        "askNotional": "0",
                        "positionSide": "BOTH",
                        "positionAmt": p.amount.to_string(),
                        "updateTime": p.update_time,
                    })
                })
                .collect()
        };
        let mut top = json!({
            "totalInitialMargin": money(im + oim),
            "totalMaintMargin": money(maint),
            "totalWalletBalance": money(wb),
            "totalUnrealizedProfit": money(upnl),
            "totalMarginBalance": money(wb + upnl),
            "totalPositionInitialMargin": money(im),
            "totalOpenOrderInitialMargin": money(oim),
            "totalCrossWalletBalance": money(self.cross_wallet()),
            "totalCrossUnPnl": money(upnl),
            "availableBalance": money(avail),
            "maxWithdrawAmount": money(avail.max(0.0)),
            "assets": [asset],
            "positions": positions,
        });
        if let Value::Object(m) = &mut top {
            if v3 {
                if let Some(Value::Array(a)) = m.get_mut("assets") {
                    for x in a {
                        if let Value::Object(o) = x {
                            o.remove("marginAvailable");
                        }
                    }
                }
            } else {
                for (k, v) in [
                    ("feeTier", json!(0)),
                    ("feeBurn", json!(false)),
                    ("canTrade", json!(true)),
                    ("canDeposit", json!(true)),
                    ("canWithdraw", json!(true)),
                    ("updateTime", json!(0)),
                    ("multiAssetsMargin", json!(false)),
                    ("tradeGroupId", json!(-1)),
                ] {
                    m.insert(k.into(), v);
                }
            }
        }
        top
    }

    /// `GET /fapi/v2/balance` = `GET /fapi/v3/balance`.
    #[must_use]
    pub fn balance(&self, market: &SimMarket, now: i64) -> Value {
        let (upnl, _, _, avail) = self.totals(market);
        json!([{
            "accountAlias": "SimTrade",
            "asset": "USDT",
            "balance": money(self.ledger.wallet()),
            "crossWalletBalance": money(self.cross_wallet()),
            "crossUnPnl": money(upnl),
            "availableBalance": money(avail),
            "maxWithdrawAmount": money(avail.max(0.0)),
            "marginAvailable": true,
            "updateTime": now,
        }])
    }
}
