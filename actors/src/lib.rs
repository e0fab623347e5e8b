//! # `quantumtrade-actors` library: venue I/O shared by the `qtrade`
//! binary and the end-to-end tests
//!
//! The node's actors live in the binary; what both the binary and the
//! tests under `actors/tests/` need to drive a venue lives here.
//!
//! Modules:
//! - [`venue`]: clients of real (or simulated) exchanges: Binance USDⓈ-M
//!   REST with rate limiting and signing, and the WebSocket market stream
//!   with reconnect and gap backfill.
//! - [`gpu`]: CUDA through cudarc (library guard, NVRTC, the CUDA battery
//!   backend); here so that `examples/gpu_check.rs` measures the very
//!   backend the node runs.
//!
//! No feature flags yet.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod gpu;
pub mod venue;
