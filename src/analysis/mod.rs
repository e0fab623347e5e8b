//! Per-symbol analysis on top of the indicator battery: price velocity,
//! volume surges, support and resistance pivots, and the logistic model
//! behind the breakout probability.

pub mod breakout;
pub mod composite;
pub mod logistic;
pub mod pivots;
pub mod velocity;
pub mod volume_surge;
