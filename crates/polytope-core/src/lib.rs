//! # polytope-core
//!
//! The pure maths of Polytope: toy models of superposition, their data, the CPU reference
//! trainer (the "twin" of every GPU kernel), metrics and file formats. No GPU, DOM or UI
//! dependency: everything here runs in plain `cargo test` and in the browser's wasm.
//!
//! ## Conventions
//! - `n` is the number of features, `m` the number of hidden dimensions, `B` the batch size,
//!   `I` the number of instances (independent models trained side by side).
//! - A weight matrix `W` is stored row-major as `m` rows of `n` values: `w[k * n + j]` is
//!   hidden dimension `k` of feature `j`'s direction `W_j` (column `j`).
//! - All instances of a run share one flat parameter vector; instance `i` owns
//!   `params[i * P .. (i + 1) * P]` with `P = TmsConfig::params_per_instance()`.
//! - Random numbers come from the counter-based generator in [`rng`], implemented bit for bit
//!   in WGSL too, so the CPU and the GPU draw the very same batches.
//! - Arithmetic is `f32` like the kernels; `f64` only where a scalar is computed once on the CPU
//!   and handed to both backends (learning rates, bias corrections).

pub mod dict;
pub mod lm;
pub mod memory;
pub mod optim;
pub mod rng;
pub mod sae;
pub mod settings;
pub mod tms;
