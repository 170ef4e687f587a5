//! The uniform shared by the toy-model training kernels (`tms_common.wgsl`).

use bytemuck::{Pod, Zeroable};
use polytope_core::optim::StepScalars;
use polytope_core::tms::{TmsConfig, loss_scale};

/// One entry per (step, batch chunk). Field order and size match `StepUniform` in WGSL.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct StepUniform {
    pub seed: u32,
    pub step: u32,
    pub chunk_start: u32,
    pub chunk_len: u32,
    pub n: u32,
    pub m: u32,
    pub instances: u32,
    pub chunk_cap: u32,
    pub model: u32,
    pub correlation: u32,
    pub set_size: u32,
    pub params_per_instance: u32,
    pub loss_scale: f32,
    pub step_size: f32,
    pub sqrt_bc2: f32,
    pub decay_factor: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub first_chunk: u32,
    pub history_row: u32,
    pub splits: u32,
    pub split_len: u32,
    pub padding: u32,
}

pub const STEP_UNIFORM_SIZE: u64 = std::mem::size_of::<StepUniform>() as u64;
const _: () = assert!(STEP_UNIFORM_SIZE == 96, "must match the WGSL struct");

impl StepUniform {
    /// The parts that do not change from step to step.
    pub fn for_run(cfg: &TmsConfig, chunk_cap: u32, splits: u32) -> Self {
        Self {
            splits,
            seed: cfg.seed,
            n: cfg.n_features,
            m: cfg.n_hidden,
            instances: cfg.instances.len() as u32,
            chunk_cap,
            model: cfg.model.code(),
            correlation: cfg.correlation.code(),
            set_size: cfg.correlation.set_size(),
            params_per_instance: cfg.params_per_instance() as u32,
            loss_scale: loss_scale(cfg.batch_size, cfg.n_features),
            ..Self::default()
        }
    }

    /// This entry for one chunk of one step.
    #[must_use]
    pub fn at(
        mut self,
        step: u32,
        scalars: &StepScalars,
        chunk_start: u32,
        chunk_len: u32,
        history_row: u32,
    ) -> Self {
        self.step = step;
        self.chunk_start = chunk_start;
        self.chunk_len = chunk_len;
        self.first_chunk = u32::from(chunk_start == 0);
        self.split_len = chunk_len.div_ceil(self.splits.max(1));
        self.history_row = history_row;
        self.step_size = scalars.step_size;
        self.sqrt_bc2 = scalars.sqrt_bias_correction2;
        self.decay_factor = scalars.decay_factor;
        self.beta1 = scalars.beta1;
        self.beta2 = scalars.beta2;
        self.eps = scalars.eps;
        self
    }
}
