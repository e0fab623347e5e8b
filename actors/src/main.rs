//! # `qtrade`: the QuantumTrade command line
//!
//! The entry point of the node's binary. Each subcommand lives in its own
//! module under [`cli`]; this file only hands the process over to it.
//!
//! Subcommands:
//! - `indicators`: the indicator battery over a kline CSV file, as CSV
//!   (contract in shared/INDICATORS.md).
//! - `sim-exchange`: a Binance USDⓈ-M compatible exchange on loopback
//!   ([`sim_exchange`]).
//! - `run`: the node, offline on the synthetic market by default.
//! - `events`: the node's event store (or its dead letters), one line per
//!   record, optionally following it.
//! - `inspect`: a running node's actors as a table.
//! - `halt` / `resume`: the kill switch of a running node.
//! - `fetch`: historical klines from Binance (or the simulator) into CSV.
//!
//! Venue clients live in the crate's library (`quantumtrade_actors::venue`)
//! so that the end-to-end tests drive them too.
//! - `kernels`: compiles `kernels/*.cu` to PTX with NVRTC (the GPU
//!   backend's compile path), printing each file's PTX size.
//!
//! No feature flags: CUDA is loaded at run time when present ([`gpu`]).
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod cli;
use quantumtrade_actors::gpu;
mod node;
mod report;
mod sim_exchange;

/// glibc hands freed indicator columns back to the OS and faults them in
/// again on the next batch; mimalloc keeps them (a third of batch time).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
