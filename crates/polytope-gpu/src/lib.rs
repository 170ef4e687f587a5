//! # polytope-gpu
//!
//! Compute on the GPU through wgpu: WebGPU in the browser, Vulkan natively (lavapipe in CI).
//! Depends on `polytope-core` only; every kernel has its CPU twin there and a parity test.
//!
//! - [`device`] is the only module that requests adapters and devices. Everything else takes
//!   the [`device::GpuContext`] it is handed, so tests and pages choose their own device.
//! - [`error`]: [`GpuError`] keeps its kind (lost, out of memory, too large, validation naming
//!   the kernel, timeout...) so callers choose recovery without reading messages; trainers
//!   return [`BackendError`] (the core crate's training error, or a `GpuError`).
//! - Kernels are `name.rs` + `name.wgsl` pairs ([`tms_sample`], [`tms_grad`], [`tms_adam`]);
//!   shared WGSL (`rng.wgsl`, `tms_common.wgsl`) is prepended by [`shaders`].
//! - [`tms_trainer::GpuTrainer`] runs many training steps per submission and reads results
//!   back asynchronously only when asked; [`trainer::TmsTrainer`] puts the CPU and GPU
//!   trainers behind one API.
//! - [`sae_trainer::GpuSaeTrainer`] trains a sparse autoencoder (seven `sae_*` kernels, the
//!   twins of `polytope_core::sae`); [`sae::SaeBackendTrainer`] puts it and the CPU reference
//!   behind one API, with resampling and evaluation on the host.

pub mod device;
pub mod error;
mod kernel;
pub mod memory;
pub mod parity;
pub mod readback;
pub mod sae;
pub mod sae_activate;
pub mod sae_backward;
pub mod sae_common;
pub mod sae_decode;
pub mod sae_encode;
pub mod sae_firing;
pub mod sae_grad;
pub mod sae_parity;
pub mod sae_trainer;
pub mod sae_update;
pub mod shaders;
pub mod tms_adam;
pub mod tms_common;
pub mod tms_grad;
pub mod tms_sample;
pub mod tms_trainer;
pub mod trainer;

pub use device::{AdapterPreference, AdapterSummary, GpuContext, request_context};
pub use error::{BackendError, DeviceLimit, GpuError, SaeBackendError, TmsBackendError};
pub use sae::SaeBackendTrainer;
pub use sae_trainer::{GpuSaeTrainer, GpuTrace};
pub use tms_trainer::GpuTrainer;
pub use trainer::{BackendKind, TmsTrainer};
