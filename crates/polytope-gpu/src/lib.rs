//! # polytope-gpu
//!
//! Compute on the GPU through wgpu: WebGPU in the browser, Vulkan natively (lavapipe in CI).
//! Depends on `polytope-core` only; every kernel has its CPU twin there and a parity test.
//!
//! - [`device`] is the only module that requests adapters and devices. Everything else takes
//!   the [`device::GpuContext`] it is handed, so tests and pages choose their own device.
//! - Kernels are `name.rs` + `name.wgsl` pairs ([`tms_sample`], [`tms_grad`], [`tms_adam`]);
//!   shared WGSL (`rng.wgsl`, `tms_common.wgsl`) is prepended by [`shaders`].
//! - [`tms_trainer::GpuTrainer`] runs many training steps per submission and reads results
//!   back asynchronously only when asked; [`trainer::TmsTrainer`] puts the CPU and GPU
//!   trainers behind one API.

pub mod device;
mod kernel;
pub mod parity;
pub mod readback;
pub mod shaders;
pub mod tms_adam;
pub mod tms_common;
pub mod tms_grad;
pub mod tms_sample;
pub mod tms_trainer;
pub mod trainer;

pub use device::{AdapterPreference, AdapterSummary, GpuContext, GpuError, request_context};
pub use tms_trainer::GpuTrainer;
pub use trainer::{BackendKind, TmsTrainer};
