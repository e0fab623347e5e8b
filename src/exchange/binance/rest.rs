//! Typed REST responses of the USDⓈ-M endpoints this node uses
//! (PROTOCOL.md §4 market data, §6 trading and account, §7.1 listenKey).
//!
//! Unknown fields are ignored; fields the newest SDK drops or older pages
//! lack are `Option` or defaulted. Order prices and quantities keep
//! exchange precision; balances, PnL and market statistics are `f64`.

use super::decimal::{
    Decimal, Price, Quantity, StrF64, bool_lenient, f64_str, i64_lenient, opt_decimal, opt_f64_str,
};
use super::filters::{RulesError, SymbolFilter, SymbolRules};
use super::order::{
    AlgoId, AlgoStatus, ClientOrderId, MarginType, OrderId, OrderStatus, OrderType, PositionSide,
    PriceMatch, SelfTradePrevention, Side, TimeInForce, VenueSymbol, WorkingType,
};
use super::ws::Level;
use crate::market::Candle;
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};

/// `GET /fapi/v1/time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerTime {
    /// Server time (ms).
    pub server_time: i64,
}

/// Kind of a rate limiter (§4.2, §8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RateLimitType {
    /// IP request weight.
    RequestWeight,
    /// Account order count.
    Orders,
    /// Raw request count.
    RawRequests,
    /// A limiter this client does not know.
    #[serde(other)]
    Unknown,
}

/// Window unit of a rate limiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RateLimitInterval {
    /// Seconds.
    Second,
    /// Minutes.
    Minute,
    /// Hours.
    Hour,
    /// Days.
    Day,
}

impl RateLimitInterval {
    /// Length of one unit in milliseconds.
    #[must_use]
    pub const fn millis(self) -> i64 {
        match self {
            Self::Second => 1_000,
            Self::Minute => 60_000,
            Self::Hour => 3_600_000,
            Self::Day => 86_400_000,
        }
    }
}

/// One rate limiter: `limit` per `interval_num × interval`
/// (`exchangeInfo.rateLimits` and `GET /fapi/v1/rateLimit/order`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    /// Limiter kind.
    pub rate_limit_type: RateLimitType,
    /// Window unit.
    pub interval: RateLimitInterval,
    /// Window length in units.
    pub interval_num: u32,
    /// Limit per window.
    pub limit: u32,
}

impl RateLimit {
    /// Window length in milliseconds.
    #[must_use]
    pub fn window_ms(&self) -> i64 {
        self.interval.millis() * i64::from(self.interval_num)
    }
}

/// An asset of `exchangeInfo.assets`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetInfo {
    /// Asset.
    pub asset: String,
    /// Usable as margin in multi-assets mode.
    pub margin_available: bool,
    /// Auto-exchange threshold (`null` when none).
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub auto_asset_exchange: Option<f64>,
}

/// Contract status (§1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContractStatus {
    /// Not yet trading.
    PendingTrading,
    /// Trading.
    Trading,
    /// Before delivery.
    PreDelivering,
    /// Delivering.
    Delivering,
    /// Delivered.
    Delivered,
    /// Before settlement.
    PreSettle,
    /// Settling.
    Settling,
    /// Closed.
    Close,
    /// A status this client does not know.
    #[serde(other)]
    Unknown,
}

/// Contract type (§1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContractType {
    /// Perpetual.
    Perpetual,
    /// Current month.
    CurrentMonth,
    /// Next month.
    NextMonth,
    /// Current quarter.
    CurrentQuarter,
    /// Next quarter.
    NextQuarter,
    /// Perpetual being delivered.
    PerpetualDelivering,
    /// Not a contract (empty string) or a type this client does not know.
    #[serde(other)]
    Unknown,
}

/// One symbol of `exchangeInfo.symbols` (§4.2).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SymbolInfo {
    /// Symbol.
    pub symbol: VenueSymbol,
    /// Pair.
    pub pair: String,
    /// Contract type.
    pub contract_type: ContractType,
    /// Delivery date (ms; 2100-12-25 for perpetuals).
    pub delivery_date: i64,
    /// Listing time (ms).
    pub onboard_date: i64,
    /// Contract status.
    pub status: ContractStatus,
    /// Base asset.
    pub base_asset: String,
    /// Quote asset.
    pub quote_asset: String,
    /// Margin asset.
    pub margin_asset: String,
    /// Display precision of prices (not the tick size: use the filters).
    pub price_precision: u32,
    /// Display precision of quantities (not the step size).
    pub quantity_precision: u32,
    /// Base asset precision.
    pub base_asset_precision: u32,
    /// Quote precision.
    pub quote_precision: u32,
    /// Underlying type (`COIN`, ...).
    #[serde(default)]
    pub underlying_type: String,
    /// Underlying sub-types.
    #[serde(default)]
    pub underlying_sub_type: Vec<String>,
    /// Threshold used by `priceProtect` on conditional orders.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub trigger_protect: Option<f64>,
    /// Liquidation fee rate.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub liquidation_fee: Option<f64>,
    /// Largest deviation from mark a MARKET order may reach.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub market_take_bound: Option<f64>,
    /// Validation filters.
    pub filters: Vec<SymbolFilter>,
    /// Allowed order types.
    #[serde(default)]
    pub order_types: Vec<OrderType>,
    /// Allowed time-in-force values.
    #[serde(default)]
    pub time_in_force: Vec<TimeInForce>,
}

impl SymbolInfo {
    /// The symbol's trading rules.
    ///
    /// # Errors
    /// [`RulesError`] when a mandatory filter is missing.
    pub fn rules(&self) -> Result<SymbolRules, RulesError> {
        SymbolRules::from_filters(&self.filters)
    }

    /// True for a USDT-margined perpetual that is trading.
    #[must_use]
    pub fn is_trading_usdt_perpetual(&self) -> bool {
        self.contract_type == ContractType::Perpetual
            && self.status == ContractStatus::Trading
            && self.quote_asset == "USDT"
            && self.margin_asset == "USDT"
    }
}

/// `GET /fapi/v1/exchangeInfo`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeInfo {
    /// Rate limiters.
    pub rate_limits: Vec<RateLimit>,
    /// Server time (ignore; use `/fapi/v1/time`).
    pub server_time: i64,
    /// Margin assets.
    #[serde(default)]
    pub assets: Vec<AssetInfo>,
    /// Symbols.
    pub symbols: Vec<SymbolInfo>,
    /// Time zone (`UTC`).
    #[serde(default)]
    pub timezone: String,
}

/// One row of `GET /fapi/v1/klines`: a 12-element array (§4.3).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(from = "KlineRow")]
pub struct RestKline {
    /// Open time (ms).
    pub open_time: i64,
    /// Open.
    pub open: f64,
    /// High.
    pub high: f64,
    /// Low.
    pub low: f64,
    /// Close.
    pub close: f64,
    /// Base volume.
    pub volume: f64,
    /// Close time (ms).
    pub close_time: i64,
    /// Quote volume.
    pub quote_volume: f64,
    /// Number of trades.
    pub trades: u64,
    /// Taker buy base volume.
    pub taker_buy_volume: f64,
    /// Taker buy quote volume.
    pub taker_buy_quote_volume: f64,
}

#[derive(Deserialize)]
struct KlineRow(
    i64,
    StrF64,
    StrF64,
    StrF64,
    StrF64,
    StrF64,
    i64,
    StrF64,
    u64,
    StrF64,
    StrF64,
    IgnoredAny,
);

impl From<KlineRow> for RestKline {
    fn from(r: KlineRow) -> Self {
        Self {
            open_time: r.0,
            open: r.1.0,
            high: r.2.0,
            low: r.3.0,
            close: r.4.0,
            volume: r.5.0,
            close_time: r.6,
            quote_volume: r.7.0,
            trades: r.8,
            taker_buy_volume: r.9.0,
            taker_buy_quote_volume: r.10.0,
        }
    }
}

impl RestKline {
    /// The core's candle.
    #[must_use]
    pub fn to_candle(&self) -> Candle {
        Candle {
            open_time: self.open_time,
            open: self.open,
            high: self.high,
            low: self.low,
            close: self.close,
            volume: self.volume,
            quote_volume: self.quote_volume,
            trades: self.trades,
            taker_buy_volume: self.taker_buy_volume,
            taker_buy_quote_volume: self.taker_buy_quote_volume,
        }
    }
}

/// `GET /fapi/v1/ticker/24hr` (one element of the array form too). No bid/ask.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticker24hStats {
    /// Symbol.
    pub symbol: VenueSymbol,
    /// Price change.
    #[serde(deserialize_with = "f64_str")]
    pub price_change: f64,
    /// Price change percent.
    #[serde(deserialize_with = "f64_str")]
    pub price_change_percent: f64,
    /// Weighted average price.
    #[serde(deserialize_with = "f64_str")]
    pub weighted_avg_price: f64,
    /// Last price.
    #[serde(deserialize_with = "f64_str")]
    pub last_price: f64,
    /// Last quantity.
    #[serde(deserialize_with = "f64_str")]
    pub last_qty: f64,
    /// Open price.
    #[serde(deserialize_with = "f64_str")]
    pub open_price: f64,
    /// High price.
    #[serde(deserialize_with = "f64_str")]
    pub high_price: f64,
    /// Low price.
    #[serde(deserialize_with = "f64_str")]
    pub low_price: f64,
    /// Base volume.
    #[serde(deserialize_with = "f64_str")]
    pub volume: f64,
    /// Quote volume.
    #[serde(deserialize_with = "f64_str")]
    pub quote_volume: f64,
    /// Window open time (ms).
    pub open_time: i64,
    /// Window close time (ms).
    pub close_time: i64,
    /// First trade id.
    pub first_id: i64,
    /// Last trade id.
    pub last_id: i64,
    /// Trade count.
    pub count: u64,
}

/// `GET /fapi/v1/ticker/bookTicker`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookTickerSnapshot {
    /// Symbol.
    pub symbol: VenueSymbol,
    /// Best bid.
    #[serde(deserialize_with = "f64_str")]
    pub bid_price: f64,
    /// Best bid quantity.
    #[serde(deserialize_with = "f64_str")]
    pub bid_qty: f64,
    /// Best ask.
    #[serde(deserialize_with = "f64_str")]
    pub ask_price: f64,
    /// Best ask quantity.
    #[serde(deserialize_with = "f64_str")]
    pub ask_qty: f64,
    /// Time (ms).
    pub time: i64,
    /// Announced 2023-09-20 but absent from the current sample (§11 item 5).
    #[serde(default)]
    pub last_update_id: Option<i64>,
}

/// `GET /fapi/v1/depth`: the snapshot that seeds a local book (§2.6 step 2).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DepthSnapshot {
    /// Update id the snapshot is current to.
    #[serde(rename = "lastUpdateId")]
    pub last_update_id: i64,
    /// Message time (ms).
    #[serde(rename = "E", default)]
    pub event_time: i64,
    /// Transaction time (ms).
    #[serde(rename = "T", default)]
    pub transaction_time: i64,
    /// Bids.
    pub bids: Vec<Level>,
    /// Asks.
    pub asks: Vec<Level>,
}

/// `GET /fapi/v1/premiumIndex` (one element of the array form too).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PremiumIndex {
    /// Symbol.
    pub symbol: VenueSymbol,
    /// Mark price.
    #[serde(deserialize_with = "f64_str")]
    pub mark_price: f64,
    /// Index price.
    #[serde(deserialize_with = "f64_str")]
    pub index_price: f64,
    /// Estimated settle price.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub estimated_settle_price: Option<f64>,
    /// Last funding rate.
    #[serde(deserialize_with = "f64_str")]
    pub last_funding_rate: f64,
    /// Interest rate.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub interest_rate: Option<f64>,
    /// Next funding time (ms).
    pub next_funding_time: i64,
    /// Time (ms).
    pub time: i64,
}

/// One record of `GET /fapi/v1/fundingRate`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FundingRateRecord {
    /// Symbol.
    pub symbol: VenueSymbol,
    /// Funding rate.
    #[serde(deserialize_with = "f64_str")]
    pub funding_rate: f64,
    /// Funding time (ms).
    pub funding_time: i64,
    /// Mark price at funding (may be empty for old records).
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub mark_price: Option<f64>,
}

/// `GET /fapi/v1/openInterest`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenInterest {
    /// Open interest (base asset).
    #[serde(deserialize_with = "f64_str")]
    pub open_interest: f64,
    /// Symbol.
    pub symbol: VenueSymbol,
    /// Time (ms).
    pub time: i64,
}

/// One record of `GET /futures/data/openInterestHist`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenInterestHist {
    /// Symbol.
    pub symbol: VenueSymbol,
    /// Open interest (base asset).
    #[serde(deserialize_with = "f64_str")]
    pub sum_open_interest: f64,
    /// Open interest value (USDT).
    #[serde(deserialize_with = "f64_str")]
    pub sum_open_interest_value: f64,
    /// Circulating supply per CMC.
    #[serde(
        rename = "CMCCirculatingSupply",
        default,
        deserialize_with = "opt_f64_str"
    )]
    pub cmc_circulating_supply: Option<f64>,
    /// Time (ms; a string in the docs sample, an integer in the SDK).
    #[serde(deserialize_with = "i64_lenient")]
    pub timestamp: i64,
}

/// An order as `POST`/`DELETE`/`GET /fapi/v1/order` and
/// `GET /fapi/v1/openOrders` return it (§6.2): one shape, with the fields
/// that only some of them carry optional.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderResponse {
    /// Client order id.
    pub client_order_id: ClientOrderId,
    /// Cumulative quantity (new/cancel only).
    #[serde(default)]
    pub cum_qty: Option<Quantity>,
    /// Cumulative quote (dropped from the July-2026 SDK model).
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub cum_quote: Option<f64>,
    /// Executed quantity.
    pub executed_qty: Quantity,
    /// Order id.
    pub order_id: OrderId,
    /// Average price (dropped from the July-2026 SDK model).
    #[serde(default, deserialize_with = "opt_decimal")]
    pub avg_price: Option<Decimal>,
    /// Original quantity.
    pub orig_qty: Quantity,
    /// Price (`0` for MARKET).
    pub price: Price,
    /// Reduce-only.
    #[serde(default)]
    pub reduce_only: bool,
    /// Side.
    pub side: Side,
    /// Position side.
    pub position_side: PositionSide,
    /// Status.
    pub status: OrderStatus,
    /// Stop price (ignored for LIMIT/MARKET).
    #[serde(default, deserialize_with = "opt_decimal")]
    pub stop_price: Option<Decimal>,
    /// Close-all.
    #[serde(default)]
    pub close_position: bool,
    /// Symbol.
    pub symbol: VenueSymbol,
    /// Order time (query/open orders only).
    #[serde(default)]
    pub time: Option<i64>,
    /// Time in force.
    pub time_in_force: TimeInForce,
    /// Order type.
    #[serde(rename = "type")]
    pub order_type: OrderType,
    /// Original order type.
    #[serde(default)]
    pub orig_type: Option<OrderType>,
    /// Activation price (trailing orders).
    #[serde(default, deserialize_with = "opt_decimal")]
    pub activate_price: Option<Decimal>,
    /// Callback rate (trailing orders).
    #[serde(default, deserialize_with = "opt_decimal")]
    pub price_rate: Option<Decimal>,
    /// Last update time (ms).
    pub update_time: i64,
    /// Working type.
    #[serde(default)]
    pub working_type: Option<WorkingType>,
    /// Price protection.
    #[serde(default)]
    pub price_protect: bool,
    /// Price match mode.
    #[serde(default)]
    pub price_match: Option<PriceMatch>,
    /// Self-trade prevention mode.
    #[serde(default)]
    pub self_trade_prevention_mode: Option<SelfTradePrevention>,
    /// GTD auto-cancel time (ms, `0` when none).
    #[serde(default)]
    pub good_till_date: i64,
}

/// A conditional order as `POST /fapi/v1/algoOrder` and
/// `GET /fapi/v1/openAlgoOrders` return it (§6.4).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlgoOrderResponse {
    /// Algo id.
    pub algo_id: AlgoId,
    /// Client algo id.
    pub client_algo_id: ClientOrderId,
    /// Algo type (`CONDITIONAL`).
    pub algo_type: String,
    /// Order type.
    pub order_type: OrderType,
    /// Symbol.
    pub symbol: VenueSymbol,
    /// Side.
    pub side: Side,
    /// Position side.
    pub position_side: PositionSide,
    /// Time in force.
    pub time_in_force: TimeInForce,
    /// Quantity (empty with closePosition).
    #[serde(default, deserialize_with = "opt_decimal")]
    pub quantity: Option<Decimal>,
    /// Status.
    pub algo_status: AlgoStatus,
    /// Trigger price.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub trigger_price: Option<Decimal>,
    /// Limit price.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub price: Option<Decimal>,
    /// Matching-engine order id once triggered (open-algo list only; `""` before).
    #[serde(default)]
    pub actual_order_id: Option<String>,
    /// Actual price (open-algo list only).
    #[serde(default, deserialize_with = "opt_decimal")]
    pub actual_price: Option<Decimal>,
    /// Self-trade prevention mode.
    #[serde(default)]
    pub self_trade_prevention_mode: Option<SelfTradePrevention>,
    /// Working type.
    #[serde(default)]
    pub working_type: Option<WorkingType>,
    /// Price match.
    #[serde(default)]
    pub price_match: Option<PriceMatch>,
    /// Close-all.
    #[serde(default)]
    pub close_position: bool,
    /// Price protection.
    #[serde(default)]
    pub price_protect: bool,
    /// Reduce-only.
    #[serde(default)]
    pub reduce_only: bool,
    /// Activation price (trailing; `""` otherwise).
    #[serde(default, deserialize_with = "opt_decimal")]
    pub activate_price: Option<Decimal>,
    /// Callback rate (trailing; `""` otherwise).
    #[serde(default, deserialize_with = "opt_decimal")]
    pub callback_rate: Option<Decimal>,
    /// Creation time (ms).
    pub create_time: i64,
    /// Update time (ms).
    pub update_time: i64,
    /// Trigger time (ms, `0` before trigger).
    #[serde(default)]
    pub trigger_time: i64,
    /// GTD time (ms, `0` when none).
    #[serde(default)]
    pub good_till_date: i64,
}

/// A `code` that Binance writes as an integer on some success bodies and as
/// a string on others (`DELETE /fapi/v1/algoOrder`, §3).
fn code_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    i64_lenient(d)
}

/// `DELETE /fapi/v1/algoOrder`: `{"algoId","clientAlgoId","code":"200","msg"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlgoCancelResponse {
    /// Algo id.
    pub algo_id: AlgoId,
    /// Client algo id.
    pub client_algo_id: ClientOrderId,
    /// `200` on success (a string on the wire).
    #[serde(deserialize_with = "code_lenient")]
    pub code: i64,
    /// Message.
    pub msg: String,
}

/// A success body carrying `{"code":200,"msg":…}`: `POST /fapi/v1/marginType`,
/// `POST /fapi/v1/positionSide/dual`, `DELETE /fapi/v1/allOpenOrders` (§3).
/// Errors are detected by HTTP status and a negative code, never by the
/// mere presence of `code`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CodeMsgResponse {
    /// `200` on success.
    #[serde(deserialize_with = "code_lenient")]
    pub code: i64,
    /// Message.
    pub msg: String,
}

impl CodeMsgResponse {
    /// True for `code == 200`.
    #[must_use]
    pub const fn is_success(&self) -> bool {
        self.code == 200
    }
}

/// One row of `GET /fapi/v2/positionRisk` (all symbols; one `BOTH` row in
/// one-way mode, `LONG` and `SHORT` rows in hedge mode).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionRiskV2 {
    /// Symbol.
    pub symbol: VenueSymbol,
    /// Position amount (+ long, − short).
    pub position_amt: Decimal,
    /// Entry price.
    #[serde(deserialize_with = "f64_str")]
    pub entry_price: f64,
    /// Break-even price.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub break_even_price: Option<f64>,
    /// Mark price.
    #[serde(deserialize_with = "f64_str")]
    pub mark_price: f64,
    /// Unrealised PnL.
    #[serde(rename = "unRealizedProfit", deserialize_with = "f64_str")]
    pub unrealized_profit: f64,
    /// Liquidation price (`0` when none).
    #[serde(deserialize_with = "f64_str")]
    pub liquidation_price: f64,
    /// Leverage (a string here, an integer in `POST /fapi/v1/leverage`).
    #[serde(deserialize_with = "i64_lenient")]
    pub leverage: i64,
    /// Max notional at this leverage.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub max_notional_value: Option<f64>,
    /// Margin type (`isolated`/`cross`).
    pub margin_type: MarginType,
    /// Isolated margin.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub isolated_margin: Option<f64>,
    /// Auto add margin (a string `"false"` on the wire).
    #[serde(default, deserialize_with = "bool_lenient")]
    pub is_auto_add_margin: bool,
    /// Position side.
    pub position_side: PositionSide,
    /// Notional.
    #[serde(deserialize_with = "f64_str")]
    pub notional: f64,
    /// Isolated wallet.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub isolated_wallet: Option<f64>,
    /// Update time (ms).
    pub update_time: i64,
}

/// One row of `GET /fapi/v3/positionRisk` (only symbols with a position
/// or open orders; configuration fields moved to `symbolConfig`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionRiskV3 {
    /// Symbol.
    pub symbol: VenueSymbol,
    /// Position side.
    pub position_side: PositionSide,
    /// Position amount (+ long, − short).
    pub position_amt: Decimal,
    /// Entry price.
    #[serde(deserialize_with = "f64_str")]
    pub entry_price: f64,
    /// Break-even price.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub break_even_price: Option<f64>,
    /// Mark price.
    #[serde(deserialize_with = "f64_str")]
    pub mark_price: f64,
    /// Unrealised PnL.
    #[serde(rename = "unRealizedProfit", deserialize_with = "f64_str")]
    pub unrealized_profit: f64,
    /// Liquidation price.
    #[serde(deserialize_with = "f64_str")]
    pub liquidation_price: f64,
    /// Isolated margin.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub isolated_margin: Option<f64>,
    /// Notional.
    #[serde(deserialize_with = "f64_str")]
    pub notional: f64,
    /// Margin asset.
    #[serde(default)]
    pub margin_asset: Option<String>,
    /// Isolated wallet.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub isolated_wallet: Option<f64>,
    /// Initial margin.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub initial_margin: Option<f64>,
    /// Maintenance margin.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub maint_margin: Option<f64>,
    /// Position initial margin.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub position_initial_margin: Option<f64>,
    /// Open-order initial margin.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub open_order_initial_margin: Option<f64>,
    /// ADL quantile.
    #[serde(default)]
    pub adl: Option<i64>,
    /// Bid notional.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub bid_notional: Option<f64>,
    /// Ask notional.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub ask_notional: Option<f64>,
    /// Update time (ms).
    pub update_time: i64,
}

/// Account totals shared by `GET /fapi/v2/account` and `/fapi/v3/account`
/// (USDT in single-asset mode, USD value in multi-assets mode).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountTotals {
    /// Total initial margin.
    #[serde(deserialize_with = "f64_str")]
    pub total_initial_margin: f64,
    /// Total maintenance margin.
    #[serde(deserialize_with = "f64_str")]
    pub total_maint_margin: f64,
    /// Total wallet balance.
    #[serde(deserialize_with = "f64_str")]
    pub total_wallet_balance: f64,
    /// Total unrealised PnL.
    #[serde(deserialize_with = "f64_str")]
    pub total_unrealized_profit: f64,
    /// Total margin balance.
    #[serde(deserialize_with = "f64_str")]
    pub total_margin_balance: f64,
    /// Total position initial margin.
    #[serde(deserialize_with = "f64_str")]
    pub total_position_initial_margin: f64,
    /// Total open-order initial margin.
    #[serde(deserialize_with = "f64_str")]
    pub total_open_order_initial_margin: f64,
    /// Total cross wallet balance.
    #[serde(deserialize_with = "f64_str")]
    pub total_cross_wallet_balance: f64,
    /// Total cross unrealised PnL.
    #[serde(deserialize_with = "f64_str")]
    pub total_cross_un_pnl: f64,
    /// Available balance.
    #[serde(deserialize_with = "f64_str")]
    pub available_balance: f64,
    /// Max withdraw amount.
    #[serde(deserialize_with = "f64_str")]
    pub max_withdraw_amount: f64,
}

/// One asset of an account response.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountAsset {
    /// Asset.
    pub asset: String,
    /// Wallet balance.
    #[serde(deserialize_with = "f64_str")]
    pub wallet_balance: f64,
    /// Unrealised PnL.
    #[serde(deserialize_with = "f64_str")]
    pub unrealized_profit: f64,
    /// Margin balance.
    #[serde(deserialize_with = "f64_str")]
    pub margin_balance: f64,
    /// Maintenance margin.
    #[serde(deserialize_with = "f64_str")]
    pub maint_margin: f64,
    /// Initial margin.
    #[serde(deserialize_with = "f64_str")]
    pub initial_margin: f64,
    /// Position initial margin.
    #[serde(deserialize_with = "f64_str")]
    pub position_initial_margin: f64,
    /// Open-order initial margin.
    #[serde(deserialize_with = "f64_str")]
    pub open_order_initial_margin: f64,
    /// Cross wallet balance.
    #[serde(deserialize_with = "f64_str")]
    pub cross_wallet_balance: f64,
    /// Cross unrealised PnL.
    #[serde(deserialize_with = "f64_str")]
    pub cross_un_pnl: f64,
    /// Available balance.
    #[serde(deserialize_with = "f64_str")]
    pub available_balance: f64,
    /// Max withdraw amount.
    #[serde(deserialize_with = "f64_str")]
    pub max_withdraw_amount: f64,
    /// Usable as margin (v2 only).
    #[serde(default)]
    pub margin_available: Option<bool>,
    /// Update time (ms).
    pub update_time: i64,
}

/// One position of `GET /fapi/v2/account` (all symbols).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountPositionV2 {
    /// Symbol.
    pub symbol: VenueSymbol,
    /// Initial margin.
    #[serde(deserialize_with = "f64_str")]
    pub initial_margin: f64,
    /// Maintenance margin.
    #[serde(deserialize_with = "f64_str")]
    pub maint_margin: f64,
    /// Unrealised PnL.
    #[serde(deserialize_with = "f64_str")]
    pub unrealized_profit: f64,
    /// Leverage (a string on the wire).
    #[serde(deserialize_with = "i64_lenient")]
    pub leverage: i64,
    /// Isolated margin.
    pub isolated: bool,
    /// Entry price.
    #[serde(deserialize_with = "f64_str")]
    pub entry_price: f64,
    /// Position side.
    pub position_side: PositionSide,
    /// Position amount.
    pub position_amt: Decimal,
    /// Update time (ms).
    pub update_time: i64,
}

/// One position of `GET /fapi/v3/account` (symbols with a position or
/// open orders only).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountPositionV3 {
    /// Symbol.
    pub symbol: VenueSymbol,
    /// Position side.
    pub position_side: PositionSide,
    /// Position amount.
    pub position_amt: Decimal,
    /// Unrealised PnL.
    #[serde(deserialize_with = "f64_str")]
    pub unrealized_profit: f64,
    /// Isolated margin.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub isolated_margin: Option<f64>,
    /// Notional.
    #[serde(deserialize_with = "f64_str")]
    pub notional: f64,
    /// Isolated wallet.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub isolated_wallet: Option<f64>,
    /// Initial margin.
    #[serde(deserialize_with = "f64_str")]
    pub initial_margin: f64,
    /// Maintenance margin.
    #[serde(deserialize_with = "f64_str")]
    pub maint_margin: f64,
    /// Update time (ms).
    pub update_time: i64,
}

/// `GET /fapi/v2/account`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountV2 {
    /// Fee tier.
    pub fee_tier: i64,
    /// May trade.
    pub can_trade: bool,
    /// Multi-assets mode.
    #[serde(default)]
    pub multi_assets_margin: bool,
    /// Totals.
    #[serde(flatten)]
    pub totals: AccountTotals,
    /// Assets.
    pub assets: Vec<AccountAsset>,
    /// Positions (all symbols).
    pub positions: Vec<AccountPositionV2>,
}

/// `GET /fapi/v3/account`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountV3 {
    /// Totals.
    #[serde(flatten)]
    pub totals: AccountTotals,
    /// Assets.
    pub assets: Vec<AccountAsset>,
    /// Positions (symbols with a position or open orders).
    pub positions: Vec<AccountPositionV3>,
}

/// One element of `GET /fapi/v2/balance` = `GET /fapi/v3/balance`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    /// Account alias.
    pub account_alias: String,
    /// Asset.
    pub asset: String,
    /// Wallet balance.
    #[serde(deserialize_with = "f64_str")]
    pub balance: f64,
    /// Cross wallet balance.
    #[serde(deserialize_with = "f64_str")]
    pub cross_wallet_balance: f64,
    /// Cross unrealised PnL.
    #[serde(deserialize_with = "f64_str")]
    pub cross_un_pnl: f64,
    /// Available balance.
    #[serde(deserialize_with = "f64_str")]
    pub available_balance: f64,
    /// Max withdraw amount.
    #[serde(deserialize_with = "f64_str")]
    pub max_withdraw_amount: f64,
    /// Usable as margin.
    #[serde(default)]
    pub margin_available: bool,
    /// Update time (ms).
    pub update_time: i64,
}

/// One element of `GET /fapi/v1/userTrades`: a fill of one of our orders.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserTrade {
    /// Symbol.
    pub symbol: VenueSymbol,
    /// Trade id (the `t` of the fill's `ORDER_TRADE_UPDATE`).
    pub id: i64,
    /// Order id.
    pub order_id: OrderId,
    /// Side.
    pub side: Side,
    /// Position side.
    #[serde(default)]
    pub position_side: Option<PositionSide>,
    /// Fill price.
    pub price: Price,
    /// Fill quantity.
    pub qty: Quantity,
    /// Quote quantity.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub quote_qty: Option<f64>,
    /// Realised PnL of the fill.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub realized_pnl: Option<f64>,
    /// Commission.
    #[serde(default, deserialize_with = "opt_f64_str")]
    pub commission: Option<f64>,
    /// Commission asset.
    #[serde(default)]
    pub commission_asset: Option<String>,
    /// True on the maker side.
    #[serde(default)]
    pub maker: bool,
    /// True when we bought.
    #[serde(default)]
    pub buyer: bool,
    /// Trade time (ms).
    pub time: i64,
}

/// `POST /fapi/v1/leverage` (leverage is an integer here).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeverageResponse {
    /// New leverage.
    pub leverage: u32,
    /// Max notional at that leverage.
    #[serde(deserialize_with = "f64_str")]
    pub max_notional_value: f64,
    /// Symbol.
    pub symbol: VenueSymbol,
}

/// `POST`/`PUT /fapi/v1/listenKey`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenKeyResponse {
    /// The key (the same one back while the account has an active key).
    pub listen_key: String,
}

/// `GET /fapi/v1/positionSide/dual`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionModeResponse {
    /// True in hedge mode.
    pub dual_side_position: bool,
}
