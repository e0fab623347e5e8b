//! (placeholder, filled by the market-model work)
