//! The GPU side of the node: everything that touches CUDA, through cudarc's
//! dynamic loading so that the binary builds and runs on machines without
//! CUDA.
//!
//! - [`guard`]: checks that the CUDA libraries load before any other cudarc
//!   call (cudarc panics instead of returning an error when they are
//!   missing; shared/STACK.md §1) and names what is missing.
//! - [`kernel_source`]: the `kernels/*.cu` sources, compiled into the binary.
//! - [`nvrtc`]: compiles those sources to PTX with NVRTC.
//! - [`backend_choice`]: `[indicators] backend` ("cpu", "auto", "cuda")
//!   resolved against what the machine offers, with the reason of a
//!   fallback.
//! - [`cuda_backend`]: the CUDA [`BatteryBackend`] (unverified on hardware).
//! - [`resident`]: its live mode, windows resident on the device.
//! - `launch`: the launch shape and event timing both modes share.
//!
//! [`BatteryBackend`]: quantumtrade::node::battery_batch::BatteryBackend

pub mod backend_choice;
pub mod cuda_backend;
pub mod guard;
pub mod kernel_source;
mod launch;
pub mod nvrtc;
pub mod resident;
