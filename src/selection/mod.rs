//! Universe screening and symbol selection: which contracts qualify, what
//! regime each is in, how it scores, and the diversified top five.
//!
//! The pipeline, each step a pure function of its inputs:
//! [`screen`] (liquidity, spread, status) → [`regime`] detection →
//! [`score`] with regime-dependent weights → [`top`]: decay for recently
//! traded symbols and a greedy pick that skips symbols too correlated
//! ([`correlation`]) with one already picked.

pub mod correlation;
pub mod regime;
pub mod score;
pub mod screen;
pub mod top;
