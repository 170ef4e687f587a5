//! One SAE training API over both backends, with resampling and evaluation on the host.

use polytope_core::sae::{
    ActivationSource, SaeConfig, SaeEval, SaeSnapshot, SaeTrainError, SaeTrainer, StepStats,
};

use crate::device::GpuContext;
use crate::sae_trainer::GpuSaeTrainer;
use crate::trainer::BackendKind;

/// An SAE trainer on either backend. On the GPU, `host` owns the data source, fills the
/// batches, resamples dead latents (at `cfg.resample_at`, exactly as the CPU does) and
/// evaluates; its state is brought up to date at the end of every [`Self::advance`].
// There is one trainer per page or command: the variants' size difference does not matter.
#[allow(clippy::large_enum_variant)]
pub enum SaeBackendTrainer {
    Cpu(SaeTrainer),
    Gpu {
        host: SaeTrainer,
        gpu: GpuSaeTrainer,
    },
}

impl SaeBackendTrainer {
    /// A fresh run of `cfg` on `source` (calibrated on the host), trained on `backend`; the GPU
    /// backend needs `ctx`.
    pub fn new(
        cfg: SaeConfig,
        source: Box<dyn ActivationSource>,
        backend: BackendKind,
        ctx: Option<&GpuContext>,
    ) -> Result<Self, SaeTrainError> {
        let host = SaeTrainer::new(cfg, source)?;
        Self::from_host(host, backend, ctx)
    }

    /// Continues `host`'s run (its configuration and state) on `backend`.
    pub fn from_host(
        host: SaeTrainer,
        backend: BackendKind,
        ctx: Option<&GpuContext>,
    ) -> Result<Self, SaeTrainError> {
        match backend {
            BackendKind::Cpu => Ok(Self::Cpu(host)),
            BackendKind::Gpu => {
                let ctx = ctx.ok_or_else(|| {
                    SaeTrainError::Device("the GPU backend needs a GPU context".into())
                })?;
                let gpu = GpuSaeTrainer::new(ctx, host.config().clone(), host.state())?;
                Ok(Self::Gpu { host, gpu })
            }
        }
    }

    pub fn backend(&self) -> BackendKind {
        match self {
            Self::Cpu(_) => BackendKind::Cpu,
            Self::Gpu { .. } => BackendKind::Gpu,
        }
    }

    pub fn config(&self) -> &SaeConfig {
        match self {
            Self::Cpu(t) | Self::Gpu { host: t, .. } => t.config(),
        }
    }

    /// Steps completed.
    pub fn step(&self) -> u32 {
        match self {
            Self::Cpu(t) => t.state().step,
            Self::Gpu { gpu, .. } => gpu.step(),
        }
    }

    /// The host trainer: the CPU trainer itself, or the GPU run's host side (data source,
    /// resampling, evaluation; its state is current after every [`Self::advance`]).
    pub fn host(&self) -> &SaeTrainer {
        match self {
            Self::Cpu(t) | Self::Gpu { host: t, .. } => t,
        }
    }

    /// Trains `steps` steps and returns the state with the statistics and resamplings since
    /// the previous call.
    pub async fn advance(&mut self, steps: u32) -> Result<SaeSnapshot, SaeTrainError> {
        match self {
            Self::Cpu(t) => {
                t.run_steps(steps)?;
                Ok(t.snapshot())
            }
            Self::Gpu { host, gpu } => {
                let mut stats: Vec<StepStats> = Vec::with_capacity(steps as usize);
                let mut resamples = Vec::new();
                let end = gpu.step().saturating_add(steps);
                while gpu.step() < end {
                    let at = gpu.step();
                    // Stop at the next resampling step, and after one submission's worth.
                    let next_resample = host
                        .config()
                        .resample_at
                        .iter()
                        .copied()
                        .filter(|r| *r > at)
                        .min()
                        .unwrap_or(u32::MAX);
                    let k = (end.min(next_resample) - at).min(gpu.steps_per_submit());
                    let mut batches = Vec::with_capacity(k as usize * host.batch().len());
                    for step in at..at + k {
                        host.fill_batch(step);
                        batches.extend_from_slice(host.batch());
                    }
                    stats.extend(gpu.run_steps(&batches, k).await?);
                    if host.config().resample_at.contains(&gpu.step()) {
                        let state = gpu.read_state().await?;
                        host.set_state(state);
                        let count = host.resample();
                        gpu.upload(host.state());
                        resamples.push((gpu.step(), count));
                    }
                }
                let state = gpu.read_state().await?;
                host.set_state(state.clone());
                Ok(SaeSnapshot {
                    state,
                    stats,
                    resamples,
                })
            }
        }
    }

    /// Evaluates the current dictionary on `batches` held-out batches (on the host).
    pub fn evaluate(&mut self, batches: u32) -> SaeEval {
        match self {
            Self::Cpu(t) | Self::Gpu { host: t, .. } => t.evaluate(batches),
        }
    }

    /// The CPU trainer to continue on (after a lost device, say), at the state of the last
    /// completed [`Self::advance`].
    pub fn into_cpu(self) -> SaeTrainer {
        match self {
            Self::Cpu(t) | Self::Gpu { host: t, .. } => t,
        }
    }
}
