//! The node's per-actor logic, free of actors: what a symbol actor computes
//! on a closed candle ([`symbol`]), how the universe changes between two
//! screens ([`universe`]), the batched battery the GPU dispatcher runs
//! ([`battery_batch`]), its packing for the GPU kernel ([`battery_layout`]),
//! the histories kept resident on the device between batches
//! ([`battery_resident`]), the GPU device check's arithmetic and report
//! ([`gpu_check`]), the restart and reconnect delays ([`backoff`]), the
//! node's state with its snapshots and rollback ([`state_manager`]), and the
//! alert rules with hysteresis ([`alert_rules`]) over process measurements
//! ([`process_stats`]), and the market data of a Binance-compatible venue
//! ([`venue_feed`]). The actors in `quantumtrade-actors` are thin shells
//! around these.

pub mod alert_rules;
pub mod backoff;
pub mod battery_batch;
pub mod battery_layout;
pub mod battery_resident;
pub mod gpu_check;
pub mod process_stats;
pub mod state_manager;
pub mod symbol;
pub mod universe;
pub mod venue_feed;
