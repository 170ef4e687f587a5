//! The uniform shared by the SAE training kernels (`sae_common.wgsl`).

use bytemuck::{Pod, Zeroable};
use polytope_core::optim::StepScalars;
use polytope_core::sae::SaeConfig;

/// One entry per (step, micro-batch). Field order and size match `SaeUniform` in WGSL.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct SaeUniform {
    pub n: u32,
    pub s: u32,
    pub batch: u32,
    pub mb_start: u32,
    pub mb_len: u32,
    pub variant: u32,
    pub k: u32,
    pub k_aux: u32,
    pub step: u32,
    pub dead_window: u32,
    pub first_mb: u32,
    pub history_row: u32,
    pub lam: f32,
    pub inv_b: f32,
    pub recon_c: f32,
    pub alpha: f32,
    pub bandwidth: f32,
    pub step_size: f32,
    pub sqrt_bc2: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub adam_eps: f32,
    pub decay_factor: f32,
    pub padding: u32,
}

pub const SAE_UNIFORM_SIZE: u64 = std::mem::size_of::<SaeUniform>() as u64;
const _: () = assert!(SAE_UNIFORM_SIZE == 96, "must match the WGSL struct");

/// Words per row of the per-row statistics (`ROW_STATS` in WGSL).
pub const ROW_STATS: u64 = 5;
/// Words per step of the statistics history (`HISTORY_WORDS` in WGSL).
pub const HISTORY_WORDS: usize = 8;
/// Threads per workgroup of the one-workgroup-per-row kernels (`ROW_WORKGROUP` in WGSL).
pub const ROW_WORKGROUP: u32 = 256;

impl SaeUniform {
    /// The parts that do not change from step to step.
    pub fn for_run(cfg: &SaeConfig) -> Self {
        let b = cfg.batch;
        let elements = (b as usize * cfg.n()) as f32;
        Self {
            n: cfg.d_in,
            s: cfg.d_sae,
            batch: b,
            variant: cfg.variant.code(),
            k: cfg.k,
            k_aux: cfg.k_aux,
            dead_window: cfg.dead_window,
            inv_b: 1.0 / b as f32,
            // The CPU's `c`: 2 / elements (mean over elements) or 2 / batch.
            recon_c: if cfg.variant.mean_over_elements() {
                2.0 / elements
            } else {
                2.0 / b as f32
            },
            alpha: cfg.aux_coefficient,
            bandwidth: cfg.bandwidth,
            ..Self::default()
        }
    }

    /// This entry for one micro-batch of one step.
    #[must_use]
    pub fn at(
        mut self,
        cfg: &SaeConfig,
        step: u32,
        scalars: &StepScalars,
        mb_start: u32,
        mb_len: u32,
        history_row: u32,
    ) -> Self {
        self.step = step;
        self.mb_start = mb_start;
        self.mb_len = mb_len;
        self.first_mb = u32::from(mb_start == 0);
        self.history_row = history_row;
        self.lam = cfg.sparsity_at(step);
        self.step_size = scalars.step_size;
        self.sqrt_bc2 = scalars.sqrt_bias_correction2;
        self.beta1 = scalars.beta1;
        self.beta2 = scalars.beta2;
        self.adam_eps = scalars.eps;
        self.decay_factor = scalars.decay_factor;
        self
    }
}
