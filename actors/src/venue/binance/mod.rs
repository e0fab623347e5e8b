//! Binance USDⓈ-M futures clients (PROTOCOL.md): the I/O around
//! `quantumtrade::exchange::binance`.
//!
//! - [`credentials`]: API key and secret from the environment or a 0600
//!   file, never shown.
//! - [`rest`]: the REST client: typed market calls, thin signed calls,
//!   server-time offset, every request through the rate limiter.
//! - [`orders`]: order queries and conditional (algo) orders for the
//!   live executor.
//! - [`market_stream`]: the WebSocket market client: combined streams,
//!   live subscribe, ping/pong, reconnect with jittered backoff, and closed
//!   klines without gaps or duplicates across reconnects.
//! - [`user_stream`]: the user data stream: listen key kept alive and
//!   renewed, reconnects with REST reconciliation, each update once.
//! - [`depth_stream`]: a local order book from the diff depth stream and
//!   REST snapshots, resynced whenever the update chain breaks.

pub mod credentials;
pub mod depth_stream;
pub mod market_stream;
pub mod orders;
pub mod rest;
pub mod user_stream;

pub use credentials::Credentials;
pub use market_stream::{MarketStream, MarketStreamConfig, StreamCommand, StreamUpdate};
pub use rest::{RestClient, RestError};

/// Production REST base (PROTOCOL.md §1).
pub const REST_BASE: &str = "https://fapi.binance.com";
/// Production WebSocket base (PROTOCOL.md §2.1).
pub const WS_BASE: &str = "wss://fstream.binance.com";
