//! One parity trial, run on every device: native tests (lavapipe), browser tests (WebGPU in
//! headless Chromium) and the app's own self-check all call [`run_case`], which trains the same
//! configuration on the GPU and on the CPU reference and compares every parameter.

use std::fmt;

use polytope_core::optim::OptimizerConfig;
use polytope_core::tms::{Correlation, CpuTrainer, InstanceSpec, ModelKind, TmsConfig, TrainState};
use serde::Serialize;

use crate::device::GpuContext;
use crate::error::TmsBackendError;
use crate::tms_trainer::GpuTrainer;

/// A configuration and the points at which GPU and CPU are compared.
#[derive(Clone, Debug)]
pub struct ParityCase {
    pub name: &'static str,
    pub cfg: TmsConfig,
    /// `(steps trained so far, absolute tolerance on every parameter)`, increasing steps.
    pub checkpoints: Vec<(u32, f32)>,
    /// Pretend the device allows only this many bytes per binding (forces batch chunks).
    pub binding_limit: Option<u64>,
}

/// Absolute tolerance after one step: only rounding differs (FMA contraction, `sqrt`).
pub const TOLERANCE_ONE_STEP: f32 = 1e-5;
/// Absolute tolerance after 200 steps: Adam normalises each gradient by its running RMS, so a
/// last-bit difference in a near-zero gradient can move a parameter by up to one learning rate
/// per step. Measured on lavapipe: at most 1.2e-7.
pub const TOLERANCE_200_STEPS: f32 = 1e-4;

fn small_config(
    model: ModelKind,
    n: u32,
    m: u32,
    correlation: Correlation,
    seed: u32,
) -> TmsConfig {
    let densities = [1.0, 0.3, 0.05];
    TmsConfig {
        model,
        n_features: n,
        n_hidden: m,
        correlation,
        instances: densities
            .iter()
            .map(|p| InstanceSpec {
                feature_probability: vec![*p; n as usize],
                importance: (0..n).map(|i| 0.9f32.powi(i as i32)).collect(),
            })
            .collect(),
        batch_size: 128,
        steps: 200,
        optimizer: OptimizerConfig::default(),
        seed,
    }
}

impl ParityCase {
    fn standard(name: &'static str, cfg: TmsConfig) -> Self {
        Self {
            name,
            cfg,
            checkpoints: vec![(1, TOLERANCE_ONE_STEP), (200, TOLERANCE_200_STEPS)],
            binding_limit: None,
        }
    }

    /// One case per model and per correlation structure.
    pub fn all() -> Vec<Self> {
        vec![
            Self::standard(
                "relu 5->2",
                small_config(ModelKind::Relu, 5, 2, Correlation::Independent, 1),
            ),
            Self::standard(
                "linear 8->3",
                small_config(ModelKind::Linear, 8, 3, Correlation::Independent, 2),
            ),
            Self::standard(
                "privileged 10->5",
                small_config(ModelKind::Privileged, 10, 5, Correlation::Independent, 3),
            ),
            Self::standard(
                "abs 12->6",
                small_config(ModelKind::Abs, 12, 6, Correlation::Independent, 4),
            ),
            Self::standard(
                "correlated 4->2",
                small_config(
                    ModelKind::Relu,
                    4,
                    2,
                    Correlation::Correlated { set_size: 2 },
                    5,
                ),
            ),
            Self::standard(
                "anticorrelated 6->2",
                small_config(
                    ModelKind::Relu,
                    6,
                    2,
                    Correlation::Anticorrelated { set_size: 3 },
                    6,
                ),
            ),
        ]
    }

    /// A case whose batch is split into chunks on the GPU (a 4 KiB binding limit).
    pub fn chunked() -> Self {
        let mut cfg = small_config(ModelKind::Relu, 20, 5, Correlation::Independent, 7);
        cfg.batch_size = 100;
        Self {
            name: "relu 20->5, chunked batch",
            cfg,
            checkpoints: vec![(1, TOLERANCE_ONE_STEP), (50, TOLERANCE_200_STEPS)],
            binding_limit: Some(4096),
        }
    }
}

/// How one checkpoint compared.
#[derive(Clone, Debug, Serialize)]
pub struct Checkpoint {
    pub steps: u32,
    pub max_abs_diff: f32,
    pub max_loss_diff: f32,
    pub tolerance: f32,
}

/// The outcome of a case.
#[derive(Clone, Debug, Serialize)]
pub struct ParityResult {
    pub name: String,
    pub chunks: u32,
    /// Sample ranges the GPU summed in parallel.
    pub splits: u32,
    pub checkpoints: Vec<Checkpoint>,
    /// Loss of each instance at the last step, on the GPU.
    pub gpu_final_loss: Vec<f32>,
    /// Loss of each instance at the last step, on the CPU.
    pub cpu_final_loss: Vec<f32>,
}

impl ParityResult {
    pub fn passed(&self) -> bool {
        !self.checkpoints.is_empty()
            && self
                .checkpoints
                .iter()
                .all(|c| c.max_abs_diff <= c.tolerance && c.max_loss_diff <= c.tolerance)
    }
}

impl fmt::Display for ParityResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} chunk(s), {} split(s)):",
            self.name, self.chunks, self.splits
        )?;
        for c in &self.checkpoints {
            write!(
                f,
                " after {} steps max |dW| {:.2e}, max |dloss| {:.2e} (tolerance {:.0e});",
                c.steps, c.max_abs_diff, c.max_loss_diff, c.tolerance
            )?;
        }
        write!(f, " {}", if self.passed() { "ok" } else { "FAILED" })
    }
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            if x.is_finite() && y.is_finite() {
                (x - y).abs()
            } else {
                f32::INFINITY
            }
        })
        .fold(0.0, f32::max)
}

/// Trains the case on the GPU of `ctx` and on the CPU and compares them at each checkpoint.
pub async fn run_case(
    ctx: &GpuContext,
    case: &ParityCase,
) -> Result<ParityResult, TmsBackendError> {
    let state = TrainState::initial(&case.cfg);
    let mut cpu = CpuTrainer::from_state(case.cfg.clone(), state.clone())?;
    let mut gpu =
        GpuTrainer::with_binding_limit(ctx, case.cfg.clone(), &state, case.binding_limit)?;
    let mut checkpoints = Vec::new();
    let mut done = 0;
    let instances = case.cfg.instance_count();
    let (mut gpu_final_loss, mut cpu_final_loss) = (Vec::new(), Vec::new());
    for (steps, tolerance) in &case.checkpoints {
        let k = steps - done;
        cpu.run_steps(k)?;
        let cpu_snap = cpu.snapshot();
        let gpu_snap = gpu.run_steps(k).await?;
        done = *steps;
        gpu_final_loss = gpu_snap.last_losses(instances).to_vec();
        cpu_final_loss = cpu_snap.last_losses(instances).to_vec();
        checkpoints.push(Checkpoint {
            steps: *steps,
            max_abs_diff: max_abs_diff(&cpu_snap.state.params, &gpu_snap.state.params),
            max_loss_diff: max_abs_diff(&cpu_snap.losses, &gpu_snap.losses),
            tolerance: *tolerance,
        });
    }
    Ok(ParityResult {
        name: case.name.to_owned(),
        chunks: case.cfg.batch_size.div_ceil(gpu.chunk_cap()),
        splits: gpu.splits(),
        checkpoints,
        gpu_final_loss,
        cpu_final_loss,
    })
}
