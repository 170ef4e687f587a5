//! One SAE parity trial, run on every device: native tests (lavapipe) and browser tests (WebGPU
//! in headless Chromium) call [`run_sae_case`], which trains the same configuration on the GPU
//! ([`GpuSaeTrainer`], fed by a host twin of the data source) and on the CPU reference
//! ([`SaeTrainer`]) and compares every parameter, every step's statistics, and the firing
//! bookkeeping.
//!
//! Tolerances (absolute, on every parameter): [`SAE_TOLERANCE_ONE_STEP`] after one step, where
//! only rounding differs (summation order of the products and reductions, FMA contraction, `exp`
//! and `sqrt`); [`SAE_TOLERANCE_100_STEPS`] after 100 steps: Adam divides each gradient by its
//! running RMS, so a last-bit difference in a gradient that is nearly zero can move a parameter by
//! up to a learning rate (1e-3) per step (the toy-model parity tests use the same bounds).
//! Measured on lavapipe: at most 1.2e-7 after one step and 4.8e-7 after 100 steps. The firing bookkeeping (`step`, `last_fired`,
//! `window_fired`, `window_inputs`, `densities`) must agree exactly: a latent that fires on one
//! backend and not on the other is a real difference, not rounding.

use std::fmt;

use polytope_core::sae::{
    Layout, SaeConfig, SaeState, SaeTrainer, StepStats, SyntheticSource, SyntheticSpec, Variant,
    forward_backward_traced,
};
use serde::Serialize;

use crate::device::GpuContext;
use crate::error::SaeBackendError;
use crate::sae_trainer::GpuSaeTrainer;

/// Absolute tolerance on every parameter after one step.
pub const SAE_TOLERANCE_ONE_STEP: f32 = 1e-5;
/// Absolute tolerance on every parameter after 100 steps (see the module documentation).
pub const SAE_TOLERANCE_100_STEPS: f32 = 1e-4;
/// Relative tolerance on every step's loss terms (`|a - b| <= tol * (1 + |a|)`).
pub const SAE_LOSS_TOLERANCE: f32 = 1e-4;

/// A configuration, its data, and the points at which GPU and CPU are compared.
#[derive(Clone, Debug)]
pub struct SaeParityCase {
    pub name: String,
    pub cfg: SaeConfig,
    pub spec: SyntheticSpec,
    /// `(steps trained so far, absolute tolerance on every parameter)`, increasing steps.
    pub checkpoints: Vec<(u32, f32)>,
    /// Pretend the device allows only this many bytes per binding (forces micro-batches).
    pub binding_limit: Option<u64>,
    /// `(count, bias)`: the first `count` latents start with this encoder bias (a negative one
    /// keeps them from firing, so that they die and TopK's AuxK runs).
    pub initial_bias: Option<(usize, f32)>,
}

/// The small configuration of a variant the parity tests use: d_in 16, d_sae 64, batch 64,
/// 100 steps, a dead window of 20 steps (so latents die and AuxK runs), no resampling.
pub fn small_sae_config(variant: Variant) -> SaeConfig {
    let mut cfg = SaeConfig::recommended(variant, 16, 64, 100);
    cfg.batch = 64;
    cfg.resample_at.clear();
    cfg.dead_window = 20;
    cfg
}

impl SaeParityCase {
    /// The standard case of `variant`: 1 and 100 steps.
    pub fn standard(variant: Variant) -> Self {
        Self {
            name: variant.name().to_owned(),
            cfg: small_sae_config(variant),
            spec: SyntheticSpec::default_for(16, 32),
            checkpoints: vec![(1, SAE_TOLERANCE_ONE_STEP), (100, SAE_TOLERANCE_100_STEPS)],
            binding_limit: None,
            initial_bias: None,
        }
    }

    /// One case per variant, and TopK with dead latents ([`Self::topk_with_dead_latents`]).
    pub fn all() -> Vec<Self> {
        let mut cases: Vec<Self> = Variant::ALL.into_iter().map(Self::standard).collect();
        cases.push(Self::topk_with_dead_latents());
        cases
    }

    /// TopK where 16 latents start with encoder bias -0.3 and the dead window is 10 steps:
    /// they die early, so the AuxK selection, loss and gradients are compared too.
    pub fn topk_with_dead_latents() -> Self {
        let mut case = Self::standard(Variant::TopK);
        "topk, dead latents".clone_into(&mut case.name);
        case.cfg.dead_window = 10;
        case.initial_bias = Some((16, -0.3));
        case
    }

    /// TopK on wide rows: d_in 32, d_sae 4096, k 32, k_aux 256, batch 32, half the latents
    /// starting with a negative bias and a 3-step dead window, compared after 1 and 10 steps.
    /// Exercises the radix select over rows longer than a workgroup (16 entries per thread),
    /// with many candidates per row.
    pub fn wide_topk() -> Self {
        let mut cfg = SaeConfig::recommended(Variant::TopK, 32, 4096, 100);
        cfg.batch = 32;
        cfg.k = 32;
        cfg.k_aux = 256;
        cfg.dead_window = 3;
        cfg.resample_at.clear();
        Self {
            name: "topk, d_sae 4096".to_owned(),
            cfg,
            spec: SyntheticSpec::default_for(32, 64),
            checkpoints: vec![(1, SAE_TOLERANCE_ONE_STEP), (10, SAE_TOLERANCE_100_STEPS)],
            binding_limit: None,
            initial_bias: Some((2048, -0.3)),
        }
    }

    /// `variant` with a binding limit of 9000 bytes: 35-row micro-batches (35 + 29 rows).
    ///
    /// JumpReLU is compared after 40 steps instead of 100: with this seed and the
    /// micro-batches' summation order, one pre-activation lands within rounding of its
    /// threshold at step 43 and fires on one backend only (measured: L0 differs by exactly one
    /// activation, 1/64, at that step and nowhere before), a discontinuity rather than an error.
    pub fn micro_batched(variant: Variant) -> Self {
        let mut case = Self::standard(variant);
        case.name = format!("{}, micro-batched", variant.name());
        case.binding_limit = Some(9000);
        if variant == Variant::JumpRelu {
            case.checkpoints[1].0 = 40;
        }
        case
    }
}

/// How one checkpoint compared.
#[derive(Clone, Debug, Serialize)]
pub struct SaeCheckpoint {
    pub steps: u32,
    pub max_abs_diff: f32,
    /// Largest relative difference of any loss term (loss, recon, sparsity, aux) of any step.
    pub max_loss_diff: f32,
    /// Largest difference of L0, L1, dead fraction and explained variance of any step.
    pub max_stat_diff: f32,
    /// Firing bookkeeping identical.
    pub bookkeeping_equal: bool,
    pub tolerance: f32,
}

/// The outcome of a case.
#[derive(Clone, Debug, Serialize)]
pub struct SaeParityResult {
    pub name: String,
    pub micro_batches: u32,
    pub dispatches_per_step: u32,
    pub checkpoints: Vec<SaeCheckpoint>,
    /// Steps (on the CPU) with dead latents, where TopK's AuxK ran.
    pub steps_with_dead: u32,
    /// The last step's statistics on each backend.
    pub gpu_last: Option<StepStats>,
    pub cpu_last: Option<StepStats>,
}

impl SaeParityResult {
    pub fn passed(&self) -> bool {
        !self.checkpoints.is_empty()
            && self.checkpoints.iter().all(|c| {
                c.max_abs_diff <= c.tolerance
                    && c.max_loss_diff <= SAE_LOSS_TOLERANCE
                    && c.bookkeeping_equal
            })
    }
}

impl fmt::Display for SaeParityResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} micro-batch(es), {} dispatches/step, {} steps with dead latents):",
            self.name, self.micro_batches, self.dispatches_per_step, self.steps_with_dead
        )?;
        for c in &self.checkpoints {
            write!(
                f,
                " after {} steps max |dW| {:.2e} (tolerance {:.0e}), max rel |dloss| {:.2e}, \
                 max |dstat| {:.2e}, bookkeeping {};",
                c.steps,
                c.max_abs_diff,
                c.tolerance,
                c.max_loss_diff,
                c.max_stat_diff,
                if c.bookkeeping_equal {
                    "equal"
                } else {
                    "DIFFERENT"
                }
            )?;
        }
        write!(f, " {}", if self.passed() { "ok" } else { "FAILED" })
    }
}

/// Largest absolute difference of two equally long slices (infinite when either is not finite).
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return f32::INFINITY;
    }
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

fn rel(a: f32, b: f32) -> f32 {
    if a.is_finite() && b.is_finite() {
        (a - b).abs() / (1.0 + a.abs())
    } else {
        f32::INFINITY
    }
}

/// Whether the firing bookkeeping of two states is identical.
pub fn bookkeeping_equal(a: &SaeState, b: &SaeState) -> bool {
    a.step == b.step
        && a.last_fired == b.last_fired
        && a.window_fired == b.window_fired
        && a.window_inputs == b.window_inputs
        && a.densities == b.densities
        && a.input_scale == b.input_scale
}

/// Compares the statistics of the same steps: (largest relative loss-term difference, largest
/// other statistic difference).
pub fn compare_stats(cpu: &[StepStats], gpu: &[StepStats]) -> (f32, f32) {
    if cpu.len() != gpu.len() {
        return (f32::INFINITY, f32::INFINITY);
    }
    let (mut loss, mut stat) = (0.0f32, 0.0f32);
    for (c, g) in cpu.iter().zip(gpu) {
        if c.step != g.step {
            return (f32::INFINITY, f32::INFINITY);
        }
        for (a, b) in [
            (c.loss, g.loss),
            (c.recon, g.recon),
            (c.sparsity, g.sparsity),
        ]
        .into_iter()
        .chain([(c.aux, g.aux), (c.mse, g.mse)])
        {
            loss = loss.max(rel(a, b));
        }
        for (a, b) in [
            (c.l0, g.l0),
            (c.l1, g.l1),
            (c.dead_fraction, g.dead_fraction),
            (c.explained_variance, g.explained_variance),
        ] {
            stat = stat.max(rel(a, b));
        }
    }
    (loss, stat)
}

/// Trains the case on the GPU of `ctx` and on the CPU and compares them at each checkpoint.
pub async fn run_sae_case(
    ctx: &GpuContext,
    case: &SaeParityCase,
) -> Result<SaeParityResult, SaeBackendError> {
    let source = || Box::new(SyntheticSource::new(case.spec.clone()));
    let mut state = SaeTrainer::initial_state(&case.cfg, source())?.0;
    if let Some((count, bias)) = case.initial_bias {
        let b_enc = Layout::new(&case.cfg).b_enc;
        state.params[b_enc..b_enc + count.min(case.cfg.s())].fill(bias);
    }
    let mut cpu = SaeTrainer::from_parts(case.cfg.clone(), source(), state.clone())?;
    // The GPU's batches come from a twin of the CPU's source.
    let mut feeder = SaeTrainer::from_parts(case.cfg.clone(), source(), state.clone())?;
    let mut gpu =
        GpuSaeTrainer::with_binding_limit(ctx, case.cfg.clone(), &state, case.binding_limit)?;
    let mut checkpoints = Vec::new();
    let mut done = 0;
    let (mut gpu_last, mut cpu_last) = (None, None);
    let mut steps_with_dead = 0;
    for (steps, tolerance) in &case.checkpoints {
        let k = steps - done;
        cpu.run_steps(k)?;
        let cpu_snap = cpu.snapshot();
        let mut batches = Vec::with_capacity(k as usize * feeder.batch().len());
        for step in done..*steps {
            feeder.fill_batch(step);
            batches.extend_from_slice(feeder.batch());
        }
        let gpu_stats = gpu.run_steps(&batches, k).await?;
        let gpu_state = gpu.read_state().await?;
        done = *steps;
        let (max_loss_diff, max_stat_diff) = compare_stats(&cpu_snap.stats, &gpu_stats);
        steps_with_dead += cpu_snap
            .stats
            .iter()
            .filter(|s| s.dead_fraction > 0.0)
            .count() as u32;
        gpu_last = gpu_stats.last().copied();
        cpu_last = cpu_snap.stats.last().copied();
        checkpoints.push(SaeCheckpoint {
            steps: *steps,
            max_abs_diff: max_abs_diff(&cpu_snap.state.params, &gpu_state.params),
            max_loss_diff,
            max_stat_diff,
            bookkeeping_equal: bookkeeping_equal(&cpu_snap.state, &gpu_state),
            tolerance: *tolerance,
        });
    }
    Ok(SaeParityResult {
        name: case.name.clone(),
        micro_batches: gpu.micro_batches(),
        dispatches_per_step: gpu.dispatches_per_step(),
        checkpoints,
        steps_with_dead,
        gpu_last,
        cpu_last,
    })
}

/// Tolerance of each kernel's output against its CPU twin: `|gpu - cpu|` at most this times
/// the larger of 1 and the output's largest magnitude. One step from the same state and batch,
/// so only the summation order of products and reductions, FMA contraction and `exp` differ.
pub const KERNEL_TOLERANCE: f32 = 1e-5;

/// One kernel output against its CPU twin.
#[derive(Clone, Debug, Serialize)]
pub struct KernelDiff {
    /// The kernel (`sae_encode`, ...) and what of its output is compared.
    pub kernel: &'static str,
    pub output: &'static str,
    pub max_abs_diff: f32,
    /// The output's largest magnitude on the CPU.
    pub scale: f32,
    pub passed: bool,
}

/// Every kernel of one SAE step, each against its CPU twin.
#[derive(Clone, Debug, Serialize)]
pub struct KernelParityResult {
    pub name: String,
    /// The step compared (the state and batch are the CPU's at that step).
    pub step: u32,
    /// Dead latents at that step (TopK's AuxK runs when there are any).
    pub dead: usize,
    pub diffs: Vec<KernelDiff>,
}

impl KernelParityResult {
    pub fn passed(&self) -> bool {
        !self.diffs.is_empty() && self.diffs.iter().all(|d| d.passed)
    }
}

impl fmt::Display for KernelParityResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at step {} ({} dead):",
            self.name, self.step, self.dead
        )?;
        for d in &self.diffs {
            write!(
                f,
                " {} {} {:.1e}{};",
                d.kernel,
                d.output,
                d.max_abs_diff,
                if d.passed { "" } else { " FAILED" }
            )?;
        }
        write!(f, " {}", if self.passed() { "ok" } else { "FAILED" })
    }
}

fn kernel_diff(kernel: &'static str, output: &'static str, gpu: &[f32], cpu: &[f32]) -> KernelDiff {
    let scale = cpu.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let max_abs_diff = max_abs_diff(gpu, cpu);
    KernelDiff {
        kernel,
        output,
        max_abs_diff,
        scale,
        passed: max_abs_diff <= KERNEL_TOLERANCE * scale.max(1.0),
    }
}

/// The per-kernel cases: every variant at step 5, and TopK with dead latents at step 12 (its
/// dead window is 10 steps, so AuxK's kernels have work).
pub fn kernel_cases() -> Vec<(SaeParityCase, u32)> {
    let mut cases: Vec<(SaeParityCase, u32)> = Variant::ALL
        .into_iter()
        .map(|v| (SaeParityCase::standard(v), 5))
        .collect();
    cases.push((SaeParityCase::topk_with_dead_latents(), 12));
    cases
}

/// Runs one step of `case` from the CPU trainer's state at `step` on the GPU and compares what
/// each kernel wrote with its CPU twin in [`forward_backward_traced`]: `sae_encode` (the
/// pre-activations), `sae_activate` (the activations; TopK's AuxK activations), `sae_decode`
/// (the reconstruction gradient; AuxK's), `sae_backward` (`dL/dz`), `sae_grad` (the gradient
/// of `W_enc` and `b_enc` always, of `W_dec` except for l1-2024 and of `b_dec` without the
/// pre-encoder bias: those terms need whole-batch sums and `sae_update` adds them), and
/// `sae_update` with `sae_firing` (the parameters and the firing bookkeeping after the step).
/// The case must fit one micro-batch.
pub async fn run_kernel_case(
    ctx: &GpuContext,
    case: &SaeParityCase,
    step: u32,
) -> Result<KernelParityResult, SaeBackendError> {
    let cfg = &case.cfg;
    let source = || Box::new(SyntheticSource::new(case.spec.clone()));
    let mut state = SaeTrainer::initial_state(cfg, source())?.0;
    if let Some((count, bias)) = case.initial_bias {
        let b_enc = Layout::new(cfg).b_enc;
        state.params[b_enc..b_enc + count.min(cfg.s())].fill(bias);
    }
    let mut cpu = SaeTrainer::from_parts(cfg.clone(), source(), state)?;
    cpu.run_steps(step)?;
    let before = cpu.state().clone();
    cpu.fill_batch(step);
    let batch = cpu.batch().to_vec();
    let dead = cpu.dead_mask();
    let mut grad = vec![0.0f32; cfg.param_count()];
    let (_, trace) = forward_backward_traced(cfg, &before.params, &batch, step, &dead, &mut grad);
    cpu.run_steps(1)?;
    let after = cpu.snapshot().state;

    let mut gpu = GpuSaeTrainer::with_binding_limit(ctx, cfg.clone(), &before, None)?;
    assert_eq!(gpu.micro_batches(), 1, "a kernel case fits one micro-batch");
    gpu.run_steps(&batch, 1).await?;
    let g = gpu.read_trace().await?;
    let gpu_after = gpu.read_state().await?;

    let aux = !trace.f_aux.is_empty();
    let zeros = vec![0.0f32; g.d_e_hat.len()];
    let mut diffs = vec![
        kernel_diff("sae_encode", "z", &g.z, &trace.z),
        kernel_diff("sae_activate", "f", &g.f, &trace.f),
    ];
    if cfg.variant == Variant::TopK {
        let none = vec![0.0f32; g.side.len()];
        let f_aux = if aux { &trace.f_aux } else { &none };
        diffs.push(kernel_diff("sae_activate", "f_aux", &g.side, f_aux));
    }
    diffs.push(kernel_diff(
        "sae_decode",
        "d_xhat",
        &g.d_xhat,
        &trace.d_xhat,
    ));
    if cfg.variant == Variant::TopK {
        let d_e_hat = if aux { &trace.d_e_hat } else { &zeros };
        diffs.push(kernel_diff("sae_decode", "d_e_hat", &g.d_e_hat, d_e_hat));
    }
    diffs.push(kernel_diff("sae_backward", "d_z", &g.dz, &trace.d_z));
    let l = Layout::new(cfg);
    diffs.push(kernel_diff(
        "sae_grad",
        "dW_enc",
        &g.grad[l.w_enc..l.b_enc],
        &grad[l.w_enc..l.b_enc],
    ));
    diffs.push(kernel_diff(
        "sae_grad",
        "db_enc",
        &g.grad[l.b_enc..l.w_dec],
        &grad[l.b_enc..l.w_dec],
    ));
    if cfg.variant != Variant::L1_2024 {
        diffs.push(kernel_diff(
            "sae_grad",
            "dW_dec",
            &g.grad[l.w_dec..l.b_dec],
            &grad[l.w_dec..l.b_dec],
        ));
    }
    if !cfg.variant.pre_bias() {
        diffs.push(kernel_diff(
            "sae_grad",
            "db_dec",
            &g.grad[l.b_dec..l.log_theta],
            &grad[l.b_dec..l.log_theta],
        ));
    }
    diffs.push(kernel_diff(
        "sae_update",
        "params",
        &gpu_after.params,
        &after.params,
    ));
    let firing_equal = bookkeeping_equal(&after, &gpu_after);
    diffs.push(KernelDiff {
        kernel: "sae_firing",
        output: "bookkeeping",
        max_abs_diff: if firing_equal { 0.0 } else { f32::INFINITY },
        scale: 0.0,
        passed: firing_equal,
    });
    Ok(KernelParityResult {
        name: case.name.clone(),
        step,
        dead: dead.iter().filter(|d| **d).count(),
        diffs,
    })
}
