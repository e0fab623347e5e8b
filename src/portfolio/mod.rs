//! Portfolio: open positions and what they are worth.
//!
//! - [`position`]: one position's accounting (one-way, USDT-margined, as
//!   Binance does it), its ATR trailing stop and its partial exits at R
//!   multiples.

pub mod position;
