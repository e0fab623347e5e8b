//! Typed request parameters for the trading endpoints, in the current API
//! generation (PROTOCOL.md §0, §6.2, §6.4): LIMIT and MARKET orders go to
//! `POST /fapi/v1/order`, conditional orders to `POST /fapi/v1/algoOrder`.
//! The types make the pre-2025-12-09 mistake (a `STOP_MARKET` on
//! `/fapi/v1/order`, answered with `-4120`) impossible to express.
//!
//! Each request yields its parameters in a fixed order; [`super::sign`]
//! appends `recvWindow`, `timestamp` and the signature.

use super::decimal::{Decimal, Price, Quantity};
use super::order::{AlgoId, ClientOrderId, OrderId, PositionSide, Side};

/// HTTP method of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// DELETE.
    Delete,
}

/// Security type of an endpoint (§3): what the request must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Security {
    /// Public.
    None,
    /// API key header only (`MARKET_DATA`, `USER_STREAM`).
    ApiKey,
    /// API key header and signature (`TRADE`, `USER_DATA`).
    Signed,
}

/// A REST endpoint: method, path and security.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// Method.
    pub method: HttpMethod,
    /// Path below the REST base.
    pub path: &'static str,
    /// Security type.
    pub security: Security,
}

impl Endpoint {
    const fn new(method: HttpMethod, path: &'static str, security: Security) -> Self {
        Self {
            method,
            path,
            security,
        }
    }

    /// `GET /fapi/v1/time`.
    pub const TIME: Self = Self::new(HttpMethod::Get, "/fapi/v1/time", Security::None);
    /// `GET /fapi/v1/exchangeInfo`.
    pub const EXCHANGE_INFO: Self =
        Self::new(HttpMethod::Get, "/fapi/v1/exchangeInfo", Security::None);
    /// `GET /fapi/v1/klines`.
    pub const KLINES: Self = Self::new(HttpMethod::Get, "/fapi/v1/klines", Security::None);
    /// `GET /fapi/v1/depth`.
    pub const DEPTH: Self = Self::new(HttpMethod::Get, "/fapi/v1/depth", Security::None);
    /// `GET /fapi/v1/ticker/24hr`.
    pub const TICKER_24HR: Self =
        Self::new(HttpMethod::Get, "/fapi/v1/ticker/24hr", Security::None);
    /// `GET /fapi/v1/ticker/bookTicker`.
    pub const BOOK_TICKER: Self = Self::new(
        HttpMethod::Get,
        "/fapi/v1/ticker/bookTicker",
        Security::None,
    );
    /// `GET /fapi/v1/premiumIndex`.
    pub const PREMIUM_INDEX: Self =
        Self::new(HttpMethod::Get, "/fapi/v1/premiumIndex", Security::None);
    /// `GET /fapi/v1/fundingRate`.
    pub const FUNDING_RATE: Self =
        Self::new(HttpMethod::Get, "/fapi/v1/fundingRate", Security::None);
    /// `GET /fapi/v1/openInterest`.
    pub const OPEN_INTEREST: Self =
        Self::new(HttpMethod::Get, "/fapi/v1/openInterest", Security::None);
    /// `POST /fapi/v1/order`.
    pub const NEW_ORDER: Self = Self::new(HttpMethod::Post, "/fapi/v1/order", Security::Signed);
    /// `DELETE /fapi/v1/order`.
    pub const CANCEL_ORDER: Self =
        Self::new(HttpMethod::Delete, "/fapi/v1/order", Security::Signed);
    /// `GET /fapi/v1/order`.
    pub const QUERY_ORDER: Self = Self::new(HttpMethod::Get, "/fapi/v1/order", Security::Signed);
    /// `GET /fapi/v1/openOrders`.
    pub const OPEN_ORDERS: Self =
        Self::new(HttpMethod::Get, "/fapi/v1/openOrders", Security::Signed);
    /// `DELETE /fapi/v1/allOpenOrders`.
    pub const CANCEL_ALL_OPEN_ORDERS: Self = Self::new(
        HttpMethod::Delete,
        "/fapi/v1/allOpenOrders",
        Security::Signed,
    );
    /// `POST /fapi/v1/algoOrder`.
    pub const NEW_ALGO_ORDER: Self =
        Self::new(HttpMethod::Post, "/fapi/v1/algoOrder", Security::Signed);
    /// `DELETE /fapi/v1/algoOrder`.
    pub const CANCEL_ALGO_ORDER: Self =
        Self::new(HttpMethod::Delete, "/fapi/v1/algoOrder", Security::Signed);
    /// `GET /fapi/v1/openAlgoOrders`.
    pub const OPEN_ALGO_ORDERS: Self =
        Self::new(HttpMethod::Get, "/fapi/v1/openAlgoOrders", Security::Signed);
    /// `GET /fapi/v1/userTrades`.
    pub const USER_TRADES: Self =
        Self::new(HttpMethod::Get, "/fapi/v1/userTrades", Security::Signed);
    /// `GET /fapi/v3/positionRisk`.
    pub const POSITION_RISK_V3: Self =
        Self::new(HttpMethod::Get, "/fapi/v3/positionRisk", Security::Signed);
    /// `GET /fapi/v3/account`.
    pub const ACCOUNT_V3: Self = Self::new(HttpMethod::Get, "/fapi/v3/account", Security::Signed);
    /// `GET /fapi/v3/balance`.
    pub const BALANCE_V3: Self = Self::new(HttpMethod::Get, "/fapi/v3/balance", Security::Signed);
    /// `POST /fapi/v1/leverage`.
    pub const LEVERAGE: Self = Self::new(HttpMethod::Post, "/fapi/v1/leverage", Security::Signed);
    /// `POST /fapi/v1/marginType`.
    pub const MARGIN_TYPE: Self =
        Self::new(HttpMethod::Post, "/fapi/v1/marginType", Security::Signed);
    /// `POST /fapi/v1/listenKey` (key header, no signature).
    pub const LISTEN_KEY_START: Self =
        Self::new(HttpMethod::Post, "/fapi/v1/listenKey", Security::ApiKey);
    /// `PUT /fapi/v1/listenKey`.
    pub const LISTEN_KEY_KEEPALIVE: Self =
        Self::new(HttpMethod::Put, "/fapi/v1/listenKey", Security::ApiKey);
    /// `DELETE /fapi/v1/listenKey`.
    pub const LISTEN_KEY_CLOSE: Self =
        Self::new(HttpMethod::Delete, "/fapi/v1/listenKey", Security::ApiKey);
}

/// Time in force a LIMIT order may carry here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitTimeInForce {
    /// Good till cancel.
    Gtc,
    /// Immediate or cancel.
    Ioc,
    /// Fill or kill.
    Fok,
    /// Post-only.
    Gtx,
}

impl LimitTimeInForce {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Gtc => "GTC",
            Self::Ioc => "IOC",
            Self::Fok => "FOK",
            Self::Gtx => "GTX",
        }
    }
}

/// `POST /fapi/v1/order` type: only LIMIT and MARKET since 2025-12-09.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NewOrderType {
    /// LIMIT with price and time in force.
    Limit {
        /// Limit price.
        price: Price,
        /// Time in force.
        time_in_force: LimitTimeInForce,
    },
    /// MARKET.
    Market,
}

/// Response detail asked for with `newOrderRespType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseType {
    /// `ACK` (default).
    Ack,
    /// `RESULT`: final status for MARKET and IOC/FOK LIMIT orders.
    Result,
}

impl ResponseType {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Ack => "ACK",
            Self::Result => "RESULT",
        }
    }
}

/// A new LIMIT or MARKET order (§6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// Symbol (upper case).
    pub symbol: String,
    /// Side.
    pub side: Side,
    /// Position side: `None` sends nothing (`BOTH`, one-way mode);
    /// `LONG`/`SHORT` are mandatory in hedge mode.
    pub position_side: Option<PositionSide>,
    /// Type and its price.
    pub order_type: NewOrderType,
    /// Quantity.
    pub quantity: Quantity,
    /// Reduce-only (not allowed in hedge mode).
    pub reduce_only: bool,
    /// Our id for the order.
    pub client_order_id: ClientOrderId,
    /// Response detail.
    pub response_type: ResponseType,
}

impl NewOrder {
    /// Parameters in send order (without `recvWindow`/`timestamp`).
    #[must_use]
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![
            ("symbol", self.symbol.clone()),
            ("side", self.side.as_str().to_string()),
        ];
        if let Some(ps) = self.position_side {
            p.push(("positionSide", ps.as_str().to_string()));
        }
        match self.order_type {
            NewOrderType::Limit {
                price,
                time_in_force,
            } => {
                p.push(("type", "LIMIT".into()));
                p.push(("timeInForce", time_in_force.as_str().into()));
                p.push(("quantity", self.quantity.to_string()));
                p.push(("price", price.to_string()));
            }
            NewOrderType::Market => {
                p.push(("type", "MARKET".into()));
                p.push(("quantity", self.quantity.to_string()));
            }
        }
        if self.reduce_only {
            p.push(("reduceOnly", "true".into()));
        }
        p.push((
            "newClientOrderId",
            self.client_order_id.as_str().to_string(),
        ));
        p.push(("newOrderRespType", self.response_type.as_str().into()));
        p
    }
}

/// Trigger price source of a conditional order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TriggerSource {
    /// `MARK_PRICE`.
    MarkPrice,
    /// `CONTRACT_PRICE` (the venue default).
    ContractPrice,
}

/// The conditional order types of `POST /fapi/v1/algoOrder` (§6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlgoOrderType {
    /// `STOP_MARKET`: market order once the trigger is crossed.
    StopMarket {
        /// Trigger price.
        trigger_price: Price,
    },
    /// `TAKE_PROFIT_MARKET`.
    TakeProfitMarket {
        /// Trigger price.
        trigger_price: Price,
    },
    /// `STOP`: limit order at `price` once triggered.
    Stop {
        /// Trigger price.
        trigger_price: Price,
        /// Limit price.
        price: Price,
    },
    /// `TAKE_PROFIT`: limit order at `price` once triggered.
    TakeProfit {
        /// Trigger price.
        trigger_price: Price,
        /// Limit price.
        price: Price,
    },
    /// `TRAILING_STOP_MARKET`.
    TrailingStopMarket {
        /// Callback rate in percent (0.1 to 10, §6.4).
        callback_rate: Decimal,
        /// Activation price (default: latest price).
        activate_price: Option<Price>,
    },
}

/// How much a conditional order closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlgoSize {
    /// A fixed quantity, optionally reduce-only.
    Quantity {
        /// Quantity.
        quantity: Quantity,
        /// Reduce-only.
        reduce_only: bool,
    },
    /// `closePosition=true`: the whole position (STOP_MARKET and
    /// TAKE_PROFIT_MARKET only; no quantity, no reduceOnly).
    ClosePosition,
}

/// A new conditional order (`algoType=CONDITIONAL`, §6.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlgoOrder {
    /// Symbol (upper case).
    pub symbol: String,
    /// Side.
    pub side: Side,
    /// Position side (`None`: one-way mode).
    pub position_side: Option<PositionSide>,
    /// Type and prices.
    pub order_type: AlgoOrderType,
    /// Size.
    pub size: AlgoSize,
    /// Trigger price source.
    pub trigger_source: TriggerSource,
    /// Price protection.
    pub price_protect: bool,
    /// Our id for it.
    pub client_algo_id: ClientOrderId,
}

impl NewAlgoOrder {
    /// Parameters in send order (without `recvWindow`/`timestamp`).
    #[must_use]
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![
            ("algoType", "CONDITIONAL".to_string()),
            ("symbol", self.symbol.clone()),
            ("side", self.side.as_str().to_string()),
        ];
        if let Some(ps) = self.position_side {
            p.push(("positionSide", ps.as_str().to_string()));
        }
        match self.order_type {
            AlgoOrderType::StopMarket { trigger_price } => {
                p.push(("type", "STOP_MARKET".into()));
                p.push(("triggerPrice", trigger_price.to_string()));
            }
            AlgoOrderType::TakeProfitMarket { trigger_price } => {
                p.push(("type", "TAKE_PROFIT_MARKET".into()));
                p.push(("triggerPrice", trigger_price.to_string()));
            }
            AlgoOrderType::Stop {
                trigger_price,
                price,
            } => {
                p.push(("type", "STOP".into()));
                p.push(("triggerPrice", trigger_price.to_string()));
                p.push(("price", price.to_string()));
            }
            AlgoOrderType::TakeProfit {
                trigger_price,
                price,
            } => {
                p.push(("type", "TAKE_PROFIT".into()));
                p.push(("triggerPrice", trigger_price.to_string()));
                p.push(("price", price.to_string()));
            }
            AlgoOrderType::TrailingStopMarket {
                callback_rate,
                activate_price,
            } => {
                p.push(("type", "TRAILING_STOP_MARKET".into()));
                p.push(("callbackRate", callback_rate.to_string()));
                if let Some(a) = activate_price {
                    p.push(("activatePrice", a.to_string()));
                }
            }
        }
        match self.size {
            AlgoSize::Quantity {
                quantity,
                reduce_only,
            } => {
                p.push(("quantity", quantity.to_string()));
                if reduce_only {
                    p.push(("reduceOnly", "true".into()));
                }
            }
            AlgoSize::ClosePosition => p.push(("closePosition", "true".into())),
        }
        p.push((
            "workingType",
            match self.trigger_source {
                TriggerSource::MarkPrice => "MARK_PRICE",
                TriggerSource::ContractPrice => "CONTRACT_PRICE",
            }
            .into(),
        ));
        if self.price_protect {
            p.push(("priceProtect", "true".into()));
        }
        p.push(("clientAlgoId", self.client_algo_id.as_str().to_string()));
        p
    }
}

/// Which order a cancel or query names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderRef {
    /// By venue id (`orderId`).
    Venue(OrderId),
    /// By our id (`origClientOrderId`).
    Client(ClientOrderId),
}

/// `DELETE /fapi/v1/order` / `GET /fapi/v1/order` parameters.
#[must_use]
pub fn order_ref_params(symbol: &str, order: &OrderRef) -> Vec<(&'static str, String)> {
    let mut p = vec![("symbol", symbol.to_string())];
    match order {
        OrderRef::Venue(id) => p.push(("orderId", id.0.to_string())),
        OrderRef::Client(c) => p.push(("origClientOrderId", c.as_str().to_string())),
    }
    p
}

/// Which algo order a cancel or query names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlgoRef {
    /// By venue id (`algoId`).
    Venue(AlgoId),
    /// By our id (`clientAlgoId`).
    Client(ClientOrderId),
}

/// `DELETE /fapi/v1/algoOrder` parameters.
#[must_use]
pub fn algo_ref_params(algo: &AlgoRef) -> Vec<(&'static str, String)> {
    match algo {
        AlgoRef::Venue(id) => vec![("algoId", id.0.to_string())],
        AlgoRef::Client(c) => vec![("clientAlgoId", c.as_str().to_string())],
    }
}

/// Borrows owned parameters for [`super::sign::signed_query`].
#[must_use]
pub fn as_pairs<'a>(params: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    params.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::binance::sign::{ApiSecret, signed_query};

    fn cid(s: &str) -> ClientOrderId {
        ClientOrderId::new(s).unwrap()
    }

    #[test]
    fn limit_order_params_in_order() {
        let o = NewOrder {
            symbol: "BTCUSDT".into(),
            side: Side::Buy,
            position_side: None,
            order_type: NewOrderType::Limit {
                price: "9000".parse().unwrap(),
                time_in_force: LimitTimeInForce::Gtc,
            },
            quantity: "1".parse().unwrap(),
            reduce_only: false,
            client_order_id: cid("qt-1"),
            response_type: ResponseType::Result,
        };
        let params = o.params();
        let q = signed_query(&ApiSecret::new("k"), &as_pairs(&params), Some(5000), 1);
        assert!(q.starts_with(
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=9000&newClientOrderId=qt-1&newOrderRespType=RESULT&recvWindow=5000&timestamp=1&signature="
        ));
    }

    #[test]
    fn conditional_orders_use_algo_params() {
        let o = NewAlgoOrder {
            symbol: "BTCUSDT".into(),
            side: Side::Sell,
            position_side: Some(PositionSide::Long),
            order_type: AlgoOrderType::StopMarket {
                trigger_price: "25000.5".parse().unwrap(),
            },
            size: AlgoSize::ClosePosition,
            trigger_source: TriggerSource::MarkPrice,
            price_protect: true,
            client_algo_id: cid("qt-sl-1"),
        };
        let got: Vec<String> = o.params().iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            got.join("&"),
            "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&positionSide=LONG&type=STOP_MARKET&triggerPrice=25000.5&closePosition=true&workingType=MARK_PRICE&priceProtect=true&clientAlgoId=qt-sl-1"
        );
        assert_eq!(Endpoint::NEW_ALGO_ORDER.path, "/fapi/v1/algoOrder");
        assert_eq!(
            algo_ref_params(&AlgoRef::Venue(AlgoId(7))),
            vec![("algoId", "7".to_string())]
        );
        assert_eq!(
            order_ref_params("BTCUSDT", &OrderRef::Client(cid("a"))),
            vec![
                ("symbol", "BTCUSDT".to_string()),
                ("origClientOrderId", "a".to_string())
            ]
        );
    }
}
