//! One SAE training API over both backends, with resampling and evaluation on the host.

use polytope_core::sae::{
    ActivationSource, SaeConfig, SaeEval, SaeSnapshot, SaeTrainer, StepStats,
};

use crate::device::GpuContext;
use crate::error::SaeBackendError;
use crate::sae_trainer::GpuSaeTrainer;
use crate::trainer::BackendKind;

/// An SAE trainer on either backend. The host (`polytope_core::sae::SaeTrainer`) always owns
/// the data source and the run's state as of the last completed [`Self::advance`]; on the GPU it
/// also fills the batches, resamples dead latents (at `cfg.resample_at`, exactly as the CPU
/// does) and evaluates.
///
/// After a GPU error, [`Self::move_to`] rebuilds the GPU side on another context (a new device
/// after a lost one) or moves the run to the CPU, from the host's state.
pub struct SaeBackendTrainer {
    host: SaeTrainer,
    gpu: Option<GpuSaeTrainer>,
}

impl SaeBackendTrainer {
    /// A fresh run of `cfg` on `source` (calibrated on the host), trained on `ctx`'s GPU when
    /// given, else on the CPU.
    pub fn new(
        cfg: SaeConfig,
        source: Box<dyn ActivationSource>,
        ctx: Option<&GpuContext>,
    ) -> Result<Self, SaeBackendError> {
        let mut trainer = Self::on_cpu(SaeTrainer::new(cfg, source)?);
        trainer.move_to(ctx)?;
        Ok(trainer)
    }

    /// Continues `host`'s run (its configuration and state) on the CPU.
    pub fn on_cpu(host: SaeTrainer) -> Self {
        Self { host, gpu: None }
    }

    /// Continues the run on `ctx`'s GPU (`None`: on the CPU) from the host's state, the state of
    /// the last completed [`Self::advance`]. Used to start on the GPU and to recover: after
    /// `BackendError::Gpu(e) if e.is_device_lost()`, request a new context and move there. On
    /// an error the run stays on the CPU, ready to continue there.
    pub fn move_to(&mut self, ctx: Option<&GpuContext>) -> Result<(), SaeBackendError> {
        self.gpu = None;
        if let Some(ctx) = ctx {
            let cfg = self.host.config().clone();
            self.gpu = Some(GpuSaeTrainer::new(ctx, cfg, self.host.state())?);
        }
        Ok(())
    }

    pub fn backend(&self) -> BackendKind {
        if self.gpu.is_some() {
            BackendKind::Gpu
        } else {
            BackendKind::Cpu
        }
    }

    pub fn config(&self) -> &SaeConfig {
        self.host.config()
    }

    /// Steps completed.
    pub fn step(&self) -> u32 {
        match &self.gpu {
            Some(gpu) => gpu.step(),
            None => self.host.state().step,
        }
    }

    /// The GPU trainer, when the run is on the GPU.
    pub fn gpu(&self) -> Option<&GpuSaeTrainer> {
        self.gpu.as_ref()
    }

    /// The host trainer: the CPU trainer itself, or the GPU run's host side (data source,
    /// resampling, evaluation; its state is current after every [`Self::advance`]).
    pub fn host(&self) -> &SaeTrainer {
        &self.host
    }

    /// Trains `steps` steps and returns the state with the statistics and resamplings since
    /// the previous call.
    pub async fn advance(&mut self, steps: u32) -> Result<SaeSnapshot, SaeBackendError> {
        let host = &mut self.host;
        match &mut self.gpu {
            None => {
                host.run_steps(steps)?;
                Ok(host.snapshot())
            }
            Some(gpu) => {
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
        self.host.evaluate(batches)
    }

    /// The host trainer at the state of the last completed [`Self::advance`] (to continue on
    /// the CPU, or to save).
    pub fn into_host(self) -> SaeTrainer {
        self.host
    }
}
