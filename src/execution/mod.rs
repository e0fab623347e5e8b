//! Execution: the life of one order from the decision to its last fill,
//! as the ExecutorActor drives it against a venue.
//!
//! - [`order`]: the order state machine, idempotent in fills, with the
//!   latencies and slippage it measures.

pub mod order;
