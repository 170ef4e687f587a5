//! One training API over both backends.
//!
//! Errors are [`TmsBackendError`]s: the training's own (`TrainError`, from the core crate) or
//! the GPU's ([`crate::GpuError`], with its kind). After a lost device, a caller requests a new
//! context and calls [`TmsTrainer::new`] with it and the last snapshot's state.

use polytope_core::tms::{CpuTrainer, Snapshot, TmsConfig, TrainState};
use serde::Serialize;

use crate::device::GpuContext;
use crate::error::TmsBackendError;
use crate::tms_trainer::{GpuTrainer, check_state};

/// Where training runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Cpu,
    Gpu,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Gpu => "gpu",
        }
    }
}

/// A toy-model trainer on either backend.
// There is one trainer per page or command: the variants' size difference does not matter.
#[allow(clippy::large_enum_variant)]
pub enum TmsTrainer {
    Cpu(CpuTrainer),
    Gpu(GpuTrainer),
}

impl TmsTrainer {
    /// A trainer on `ctx` when given, else on the CPU, starting from `state` (a fresh
    /// `TrainState::initial`, or the last snapshot's state to resume a run, on a new device
    /// after a lost one for example).
    pub fn new(
        ctx: Option<&GpuContext>,
        cfg: TmsConfig,
        state: TrainState,
    ) -> Result<Self, TmsBackendError> {
        cfg.validate()?;
        check_state(&cfg, &state)?;
        Ok(match ctx {
            Some(ctx) => Self::Gpu(GpuTrainer::new(ctx, cfg, &state)?),
            None => Self::Cpu(CpuTrainer::from_state(cfg, state)?),
        })
    }

    pub fn backend(&self) -> BackendKind {
        match self {
            Self::Cpu(_) => BackendKind::Cpu,
            Self::Gpu(_) => BackendKind::Gpu,
        }
    }

    pub fn config(&self) -> &TmsConfig {
        match self {
            Self::Cpu(t) => t.config(),
            Self::Gpu(t) => t.config(),
        }
    }

    /// Steps completed (on the CPU, by every instance).
    pub fn step(&self) -> u32 {
        match self {
            Self::Cpu(t) => t.state().step,
            Self::Gpu(t) => t.step(),
        }
    }

    /// Trains up to `steps` steps. The GPU runs them all and returns a snapshot. The CPU works
    /// for at most `cpu_budget_samples` sample passes (so a page stays responsive) and returns a
    /// snapshot only when it stops at a step boundary.
    pub async fn advance(
        &mut self,
        steps: u32,
        cpu_budget_samples: u64,
    ) -> Result<Option<Snapshot>, TmsBackendError> {
        match self {
            Self::Gpu(t) => t.run_steps(steps).await.map(Some),
            Self::Cpu(t) => {
                t.run_slice(cpu_budget_samples, steps)?;
                Ok(t.at_step_boundary().then(|| t.snapshot()))
            }
        }
    }

    /// Runs exactly `steps` steps to completion and returns the snapshot (CLI and tests).
    pub async fn run_to_completion(&mut self, steps: u32) -> Result<Snapshot, TmsBackendError> {
        match self {
            Self::Gpu(t) => t.run_steps(steps).await,
            Self::Cpu(t) => {
                t.run_steps(steps)?;
                Ok(t.snapshot())
            }
        }
    }
}
