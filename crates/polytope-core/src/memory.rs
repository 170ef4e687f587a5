//! A run's memory, estimated from its configuration before anything is allocated, so that a
//! run too large for the machine is refused with a message instead of crashing a page
//! (`capacity overflow`) or a process.
//!
//! [`tms_cpu`] and [`sae_cpu`] count what the CPU trainers allocate, as a typed
//! [`MemoryEstimate`]; [`MemoryEstimate::check`] compares it with a stated [`Budget`]: the wasm
//! heap in the browser, a native budget for the CLI. The GPU trainers size their buffers in
//! `polytope-gpu` (`memory.rs`), which checks every buffer against the device's limits and
//! reports its buffers in the same breakdown.
//!
//! Every size is computed in `u64` from the configuration's `u32` fields (saturating), so an
//! absurd configuration gives a huge estimate rather than an overflow on 32-bit targets.

use std::fmt;

use serde::Serialize;
use thiserror::Error;

use crate::sae::{SaeConfig, Variant};
use crate::tms::TmsConfig;

/// The wasm heap a run may use: a 32-bit heap grows to at most 4 GiB, and browsers refuse
/// much less on phones; 1 GiB leaves room for the page, its plots and the data.
pub const WASM_HEAP_BUDGET: u64 = 1 << 30;
/// A native run's budget (the CLI and the dictionary pipeline): 16 GiB, under the memory of
/// the machines this project trains on (23 GiB here, 128 GiB on the GPU machine).
pub const NATIVE_BUDGET: u64 = 16 << 30;

/// Where a run's memory goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Parameters,
    Gradients,
    /// Adam's moments.
    OptimizerState,
    /// Inputs and per-input vectors of the samples in flight (`[B, d_in]` and the like).
    Batch,
    /// Per-latent or per-hidden-unit values of the samples in flight (`[B, d_sae]`).
    Activations,
    /// Copies made to hand results back: snapshots, readback staging, loss history.
    Staging,
    /// Evaluation, metrics and resampling.
    Evaluation,
    /// The data source's own memory (synthetic features, an activation file).
    Data,
    /// Uniforms and bookkeeping (GPU only).
    Other,
}

impl Part {
    pub const ALL: [Self; 9] = [
        Self::Parameters,
        Self::Gradients,
        Self::OptimizerState,
        Self::Batch,
        Self::Activations,
        Self::Staging,
        Self::Evaluation,
        Self::Data,
        Self::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Parameters => "parameters",
            Self::Gradients => "gradients",
            Self::OptimizerState => "optimizer state",
            Self::Batch => "batch buffers",
            Self::Activations => "activations",
            Self::Staging => "staging",
            Self::Evaluation => "evaluation",
            Self::Data => "data",
            Self::Other => "other",
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Bytes per [`Part`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MemoryEstimate {
    pub parameters: u64,
    pub gradients: u64,
    pub optimizer_state: u64,
    pub batch: u64,
    pub activations: u64,
    pub staging: u64,
    pub evaluation: u64,
    pub data: u64,
    pub other: u64,
}

impl MemoryEstimate {
    /// The bytes of one part.
    pub fn get(&self, part: Part) -> u64 {
        match part {
            Part::Parameters => self.parameters,
            Part::Gradients => self.gradients,
            Part::OptimizerState => self.optimizer_state,
            Part::Batch => self.batch,
            Part::Activations => self.activations,
            Part::Staging => self.staging,
            Part::Evaluation => self.evaluation,
            Part::Data => self.data,
            Part::Other => self.other,
        }
    }

    /// Adds `bytes` to `part` (saturating).
    pub fn add(&mut self, part: Part, bytes: u64) {
        let slot = match part {
            Part::Parameters => &mut self.parameters,
            Part::Gradients => &mut self.gradients,
            Part::OptimizerState => &mut self.optimizer_state,
            Part::Batch => &mut self.batch,
            Part::Activations => &mut self.activations,
            Part::Staging => &mut self.staging,
            Part::Evaluation => &mut self.evaluation,
            Part::Data => &mut self.data,
            Part::Other => &mut self.other,
        };
        *slot = slot.saturating_add(bytes);
    }

    pub fn total(&self) -> u64 {
        Part::ALL
            .iter()
            .fold(0u64, |acc, p| acc.saturating_add(self.get(*p)))
    }

    /// The part with the most bytes (named in messages: it is what to make smaller).
    pub fn largest(&self) -> Part {
        Part::ALL
            .into_iter()
            .max_by_key(|p| self.get(*p))
            .unwrap_or(Part::Parameters)
    }

    /// Whether the run fits `budget`.
    pub fn check(&self, budget: Budget) -> Result<(), MemoryError> {
        let needed = self.total();
        if needed <= budget.bytes() {
            return Ok(());
        }
        let largest = self.largest();
        Err(MemoryError::OverBudget {
            needed,
            allowed: budget.bytes(),
            budget,
            largest,
            largest_bytes: self.get(largest),
        })
    }
}

/// A stated memory budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Budget {
    /// [`WASM_HEAP_BUDGET`]
    WasmHeap,
    /// [`NATIVE_BUDGET`]
    Native,
}

impl Budget {
    /// The budget of the target this is compiled for.
    pub fn of_this_target() -> Self {
        if cfg!(target_arch = "wasm32") {
            Self::WasmHeap
        } else {
            Self::Native
        }
    }

    pub fn bytes(self) -> u64 {
        match self {
            Self::WasmHeap => WASM_HEAP_BUDGET,
            Self::Native => NATIVE_BUDGET,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::WasmHeap => "browser's memory budget (wasm heap)",
            Self::Native => "native memory budget",
        }
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a run is refused before it starts.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum MemoryError {
    #[error(
        "this run needs about {} (its {largest} alone {}), more than the {budget} of {}; use fewer instances, features, latents or a smaller batch",
        mib(*needed), mib(*largest_bytes), mib(*allowed)
    )]
    OverBudget {
        needed: u64,
        allowed: u64,
        budget: Budget,
        largest: Part,
        largest_bytes: u64,
    },
}

/// Bytes as MiB for messages (`1.5 GiB` above 1024 MiB).
pub fn mib(bytes: u64) -> String {
    let mib = bytes as f64 / f64::from(1u32 << 20);
    if mib >= 1024.0 {
        format!("{:.1} GiB", mib / 1024.0)
    } else {
        format!("{mib:.1} MiB")
    }
}

/// `a * b * ...` in u64, saturating.
fn prod(factors: &[u64]) -> u64 {
    factors.iter().fold(1u64, |acc, f| acc.saturating_mul(*f))
}

/// Bytes of an f32 array of these dimensions.
pub fn f32s(dims: &[u64]) -> u64 {
    prod(dims).saturating_mul(4)
}

/// Steps of losses a snapshot may carry (the app asks at least every 256 steps).
const HISTORY_STEPS: u64 = 256;

/// Parameters of one toy-model instance, in u64: `W`, `W2^T` for the abs model, `b`.
pub fn tms_params_per_instance(cfg: &TmsConfig) -> u64 {
    let (n, m) = (u64::from(cfg.n_features), u64::from(cfg.n_hidden));
    let mats: u64 = if cfg.model.untied() { 2 } else { 1 };
    prod(&[mats, m, n]).saturating_add(n)
}

/// What the CPU toy-model trainer allocates: the state, `workers` copies of the per-thread
/// scratch (tiles of [`crate::tms::TILE`] samples and a gradient), a snapshot, and the metrics
/// of one instance at a time.
pub fn tms_cpu(cfg: &TmsConfig, workers: usize) -> MemoryEstimate {
    let instances = cfg.instances.len() as u64;
    let (n, m) = (u64::from(cfg.n_features), u64::from(cfg.n_hidden));
    let p = tms_params_per_instance(cfg);
    let w = workers.max(1) as u64;
    let tile = crate::tms::TILE as u64;
    let mut e = MemoryEstimate::default();
    e.add(Part::Parameters, f32s(&[instances, p]));
    e.add(Part::OptimizerState, f32s(&[2, instances, p]));
    e.add(Part::Gradients, f32s(&[w, p]));
    // x, pre-activations [TILE, n]; h, u [TILE, m]; two weight gradients [m, n]; two [n].
    let tile_bytes = f32s(&[tile, 2 * (n + m)])
        .saturating_add(f32s(&[2, m, n]))
        .saturating_add(f32s(&[2, n]));
    e.add(Part::Batch, tile_bytes.saturating_mul(w));
    e.add(
        Part::Staging,
        f32s(&[3, instances, p]).saturating_add(f32s(&[HISTORY_STEPS, instances])),
    );
    // One instance's Gram matrix at a time, and a few per-feature numbers per instance.
    e.add(
        Part::Evaluation,
        f32s(&[n, n]).saturating_add(f32s(&[4, instances, n])),
    );
    // Feature probabilities and importances.
    e.add(Part::Data, f32s(&[2, instances, n]));
    e
}

/// Parameters of an SAE, in u64 (`SaeConfig::param_count` without 32-bit overflow).
pub fn sae_param_count(cfg: &SaeConfig) -> u64 {
    let (n, s) = (u64::from(cfg.d_in), u64::from(cfg.d_sae));
    let theta = if cfg.variant == Variant::JumpRelu {
        s
    } else {
        0
    };
    prod(&[2, n, s]).saturating_add(s + n + theta)
}

/// `[B, d_sae]` arrays the CPU SAE step holds at once (f32 each, plus one byte per boolean
/// mask): pre-activations, activations, `dL/df` (reused for `dL/dz`), and for TopK the AuxK
/// activations and their gradient.
fn sae_cpu_activation_bytes(cfg: &SaeConfig) -> u64 {
    let (b, s) = (u64::from(cfg.batch), u64::from(cfg.d_sae));
    let (floats, masks) = if cfg.variant == Variant::TopK {
        (5, 2)
    } else {
        (3, 1)
    };
    prod(&[b, s]).saturating_mul(4 * floats + masks)
}

/// What the CPU SAE trainer (the host of a GPU run too) allocates, plus `data_bytes` for its
/// data source (`4 x features x d_in` for synthetic data, the activation file's size for a
/// file): the state, the gradient, a step's `[B, d_in]` and `[B, d_sae]` arrays, a snapshot,
/// evaluation and resampling one batch at a time.
pub fn sae_cpu(cfg: &SaeConfig, data_bytes: u64) -> MemoryEstimate {
    let (n, s, b) = (
        u64::from(cfg.d_in),
        u64::from(cfg.d_sae),
        u64::from(cfg.batch),
    );
    let p = sae_param_count(cfg);
    let mut e = MemoryEstimate::default();
    e.add(Part::Parameters, f32s(&[p]));
    e.add(Part::Gradients, f32s(&[p]));
    e.add(Part::OptimizerState, f32s(&[2, p]));
    // The batch, its centred copy, the reconstruction, its error and gradient, the encoder
    // input's gradient, and for AuxK the residual's reconstruction and gradient.
    e.add(Part::Batch, f32s(&[9, b, n]));
    e.add(Part::Activations, sae_cpu_activation_bytes(cfg));
    // A snapshot: parameters, moments, and per-latent bookkeeping (u32 + u64 + f64).
    e.add(Part::Staging, f32s(&[3, p]).saturating_add(prod(&[20, s])));
    // Evaluation's scratch gradient, and resampling's pool of 8 batches with their losses.
    e.add(
        Part::Evaluation,
        f32s(&[p])
            .saturating_add(f32s(&[8, b, n]))
            .saturating_add(prod(&[8, b, 8])),
    );
    e.add(Part::Data, data_bytes);
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tms::preset;

    #[test]
    fn toy_model_estimate_counts_every_part() {
        let cfg = preset("intro").unwrap().config;
        let instances = cfg.instances.len() as u64;
        let (n, m) = (u64::from(cfg.n_features), u64::from(cfg.n_hidden));
        let p = m * n + n;
        assert_eq!(tms_params_per_instance(&cfg), p);
        let e = tms_cpu(&cfg, 2);
        assert_eq!(e.parameters, 4 * instances * p);
        assert_eq!(e.optimizer_state, 8 * instances * p);
        assert_eq!(e.gradients, 2 * 4 * p);
        assert_eq!(e.batch, 2 * 4 * (128 * 2 * (n + m) + 2 * m * n + 2 * n));
        assert_eq!(e.staging, 4 * (3 * instances * p + 256 * instances));
        assert_eq!(e.evaluation, 4 * (n * n + 4 * instances * n));
        assert_eq!(e.data, 8 * instances * n);
        assert_eq!(
            e.total(),
            e.parameters
                + e.optimizer_state
                + e.gradients
                + e.batch
                + e.staging
                + e.evaluation
                + e.data
        );
        assert!(e.check(Budget::WasmHeap).is_ok());
    }

    /// 4096 instances of 4096 -> 64 (the issue's `/toy?n=4096&m=64&density=sweep:...:4096`):
    /// 1.07e9 parameters, 4 GiB each for the weights and 8 GiB for Adam.
    #[test]
    fn a_sweep_of_4096_wide_models_is_refused_in_the_browser_and_natively() {
        let mut cfg = preset("intro").unwrap().config;
        cfg.n_features = 4096;
        cfg.n_hidden = 64;
        let one = cfg.instances[0].clone();
        cfg.instances = vec![one; 4096];
        let e = tms_cpu(&cfg, 1);
        assert_eq!(e.parameters, 4 * 4096 * (64 * 4096 + 4096));
        assert_eq!(e.parameters, 4_362_076_160);
        let err = e.check(Budget::WasmHeap).unwrap_err();
        let MemoryError::OverBudget {
            allowed, largest, ..
        } = &err;
        assert_eq!(*allowed, 1 << 30);
        assert_eq!(*largest, Part::Staging);
        assert!(
            err.to_string()
                .contains("browser's memory budget (wasm heap) of 1.0 GiB"),
            "{err}"
        );
        assert!(e.check(Budget::Native).is_err(), "{} bytes", e.total());
    }

    /// `/sae?d_sae=16384&batch=8192&backend=cpu` on 512-wide inputs: the `[B, d_sae]` arrays
    /// alone are 8192 x 16384 x 22 bytes (TopK) = 2.75 GiB.
    #[test]
    fn a_wide_sae_with_a_big_batch_is_refused_in_the_browser() {
        let mut cfg = SaeConfig::recommended(Variant::TopK, 512, 16_384, 1000);
        cfg.batch = 8192;
        let e = sae_cpu(&cfg, 0);
        let p = 2 * 512 * 16_384 + 16_384 + 512;
        assert_eq!(sae_param_count(&cfg), p);
        assert_eq!(e.parameters, 4 * p);
        assert_eq!(e.activations, 8192 * 16_384 * 22);
        assert_eq!(e.batch, 4 * 9 * 8192 * 512);
        assert_eq!(e.largest(), Part::Activations);
        assert!(e.check(Budget::WasmHeap).is_err());
        assert!(e.check(Budget::Native).is_ok());
        // The small default run fits the browser.
        let small = SaeConfig::recommended(Variant::L1_2023, 32, 256, 3000);
        let e = sae_cpu(&small, 4 * 128 * 32);
        assert_eq!(e.activations, 256 * 256 * 13);
        assert!(e.total() < 4 << 20, "{}", e.total());
        assert!(e.check(Budget::WasmHeap).is_ok());
    }

    #[test]
    fn sizes_saturate_instead_of_overflowing() {
        let mut cfg = SaeConfig::recommended(Variant::JumpRelu, u32::MAX, u32::MAX, 10);
        cfg.batch = u32::MAX;
        let e = sae_cpu(&cfg, u64::MAX);
        assert_eq!(e.total(), u64::MAX);
        assert!(e.check(Budget::Native).is_err());
        assert_eq!(mib(3 << 29), "1.5 GiB");
        assert_eq!(mib(5 << 19), "2.5 MiB");
    }
}
