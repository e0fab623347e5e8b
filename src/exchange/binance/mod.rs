//! Binance USDⓈ-M perpetual futures: the protocol, free of I/O.
//!
//! Everything here follows `../shared/binance/PROTOCOL.md` (cited by
//! section) in its current generation (§0): split `/public`, `/market` and
//! `/private` WebSocket routes, conditional orders on `/fapi/v1/algoOrder`
//! with `ALGO_UPDATE` events.
//!
//! Modules:
//! - [`decimal`]: exact decimals and the exchange-precision [`Price`] and
//!   [`Quantity`]; serde adapters for Binance's numbers-as-strings.
//! - [`order`]: order vocabulary (side, type, status, ...) and id newtypes.
//! - [`stream_name`]: stream names, the route of each, connection URLs.
//! - [`ws`]: market stream payloads and live subscribe/unsubscribe messages.
//! - [`user_data`]: user data stream events.
//! - [`user_sync`]: exactly-once user updates across reconnects (dedup and
//!   reconciliation bookkeeping).
//! - [`rest`]: REST response bodies.
//! - [`error`]: Binance error codes and what to do about each.
//! - [`sign`]: HMAC-SHA256 request signing.
//! - [`filters`]: symbol filters and the order checks they imply.
//! - [`parse`]: the total WebSocket frame parser and its malformed counter.
//! - [`request`]: endpoints and typed order / algo-order request parameters.
//! - [`depth_book`]: the local order book and its diff-stream sequencer.
//! - [`rate_limit`]: the client's REST weight and order-count limiter.
//! - [`kline_continuity`]: gap-free, duplicate-free closed klines across
//!   reconnects (live stream merged with REST backfill).

pub mod decimal;
pub mod depth_book;
pub mod error;
pub mod filters;
pub mod kline_continuity;
pub mod order;
pub mod parse;
pub mod rate_limit;
pub mod request;
pub mod rest;
pub mod sign;
pub mod stream_name;
pub mod user_data;
pub mod user_sync;
pub mod ws;

pub use decimal::{Decimal, Price, Quantity};
pub use depth_book::{DepthAction, DepthBook, ResyncReason};
pub use error::{ApiError, ErrorClass, ErrorCode, RestFailure};
pub use filters::{FilterViolation, SymbolRules};
pub use kline_continuity::{BackfillRange, KlineContinuity};
pub use parse::{MalformedCounter, ParseError, WsBody, WsMessage, parse_ws_message};
pub use rate_limit::{Cost, RateLimiter, Throttle};
pub use stream_name::{Route, StreamName};
pub use user_data::UserEvent;
pub use ws::MarketEvent;
