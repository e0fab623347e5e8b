//! Signals: from a selected symbol's analysis to a ranked, directional
//! trade idea with a confidence, as the SignalActor produces them.
//!
//! - [`factors`]: the multi-factor score (technical .40, fundamental .30,
//!   sentiment .15, microstructure .15), each factor a directional reading
//!   in [−1, 1].
//! - [`inputs`]: the factors' market inputs from candles (taker flow,
//!   price and open-interest change) and the venue (book, funding), read
//!   the same way by the node and the backtest.
//! - [`confidence`]: the signal type's online hit rate and the
//!   confirmations that make a reading trustworthy.
//! - [`conditions`]: the market's conditions (trend, volatility,
//!   correlation, liquidity).
//! - [`ranker`]: the five ranking steps.

pub mod conditions;
pub mod confidence;
pub mod factors;
pub mod inputs;
pub mod ranker;
