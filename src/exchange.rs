//! Venue protocol types and logic, free of I/O: what is sent and received,
//! parsed and validated, so the actors only move bytes.
//!
//! - [`binance`]: Binance USDⓈ-M perpetual futures (REST, WebSocket market
//!   and user streams, signing, filters, order-book sequencing).
//! - [`sim`]: the pure core of the simulated Binance exchange that
//!   `qtrade sim-exchange` serves (market state, REST answers, stream
//!   sessions, weight accounting).

pub mod binance;
pub mod sim;
