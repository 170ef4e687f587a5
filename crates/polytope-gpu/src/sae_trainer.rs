//! Trains a sparse autoencoder on the GPU: the twin of `polytope_core::sae::SaeTrainer`.
//!
//! The data source lives on the host: the caller hands [`GpuSaeTrainer::run_steps`] the scaled
//! batches of several steps (what `SaeTrainer::fill_batch` + `batch()` produce), which are
//! uploaded in one write per submission. On the GPU a step is
//!
//! - per micro-batch (a copy of its inputs, then 5 dispatches): [`crate::sae_encode`],
//!   [`crate::sae_activate`], [`crate::sae_decode`], [`crate::sae_backward`], [`crate::sae_grad`];
//! - once: [`crate::sae_update`] and [`crate::sae_firing`].
//!
//! The batch is split into micro-batches only when its `[B, d_sae]` intermediates do not fit one
//! storage binding, so a step is normally 7 dispatches. Many steps go in one submission, each
//! with its own uniform entry (a dynamic offset); the per-step statistics come back in one small
//! readback per submission, the state only when [`GpuSaeTrainer::read_state`] asks for it.
//!
//! Firing bookkeeping stays on the GPU (`last_fired`, the window's counts as `u32`, the counts of
//! the last complete window); the host tracks what is deterministic (the step, the inputs seen in
//! the window) and turns counts into densities exactly as the CPU does.
//!
//! Buffer creation, uploads and submissions run inside error scopes: an error of this trainer's
//! work comes back from its next call as a typed [`GpuError`], and every later call returns the
//! same error (rebuild from the host's state: `SaeBackendTrainer::move_to`).

use polytope_core::sae::{
    Layout, SaeConfig, SaeState, SaeTrainError, StepStats, Variant, step_scalars,
};

use polytope_core::memory::{Part, sae_param_count};

use crate::device::{AdapterSummary, GpuContext, GpuError};
use crate::error::{DeviceLimit, SaeBackendError};
use crate::kernel::{ComputeKernel, Work, attribute};
use crate::memory::{BufferKind, BufferPlan};
use crate::readback::{Captured, capture, f32s, submit_and_read};
use crate::sae_common::{HISTORY_WORDS, ROW_STATS, ROW_WORKGROUP, SAE_UNIFORM_SIZE, SaeUniform};
use crate::{sae_activate, sae_backward, sae_decode, sae_encode, sae_firing, sae_grad, sae_update};

/// Steps encoded per submission at most.
const MAX_STEPS_PER_SUBMIT: u32 = 64;
/// The upload buffer of a submission's batches aims to stay below this size.
const UPLOAD_TARGET_BYTES: u64 = 64 << 20;
/// Rows per micro-batch at most (one workgroup per row in two kernels).
const MAX_MICRO_BATCH: u64 = 32_768;
/// Kernels dispatched per micro-batch (the first five of `kernels`); the last two run once per
/// step.
const PER_MICRO_BATCH: usize = 5;

struct Buffers {
    uniform: wgpu::Buffer,
    grad: wgpu::Buffer,
    z: wgpu::Buffer,
    f: wgpu::Buffer,
    side: wgpu::Buffer,
    dz: wgpu::Buffer,
    dx: wgpu::Buffer,
    upload: wgpu::Buffer,
    x: wgpu::Buffer,
    params: wgpu::Buffer,
    adam_m: wgpu::Buffer,
    adam_v: wgpu::Buffer,
    norms: wgpu::Buffer,
    last_fired: wgpu::Buffer,
    window_fired: wgpu::Buffer,
    density_counts: wgpu::Buffer,
    flags: wgpu::Buffer,
    history: wgpu::Buffer,
    stats_staging: wgpu::Buffer,
    state_staging: wgpu::Buffer,
}

/// GPU trainer for one [`SaeConfig`].
pub struct GpuSaeTrainer {
    ctx: GpuContext,
    cfg: SaeConfig,
    step: u32,
    input_scale: f32,
    /// Inputs seen in the current density window (deterministic: tracked on the host).
    window_inputs: u64,
    /// The densities of the last complete window, as uploaded; replaced by the GPU's counts
    /// once a window completes there (`density_inputs` is then that window's input count).
    densities: Vec<f64>,
    density_inputs: Option<u64>,
    mb_cap: u32,
    steps_per_submit: u32,
    uniform_stride: u64,
    kernels: [ComputeKernel; 7],
    bind_groups: [wgpu::BindGroup; 7],
    buffers: Buffers,
    /// Errors of creating buffers and of uploads, checked by the next submission.
    pending: Vec<Captured>,
    /// The first GPU error: the trainer does no more work after one.
    failed: Option<GpuError>,
}

/// The buffers of the last step's last micro-batch ([`GpuSaeTrainer::read_trace`]), `rows`
/// rows each: `z`, `f` and `side` (`[rows, s]`: AuxK activations for TopK, d theta
/// contributions for JumpReLU), `d_xhat` and `d_e_hat` (`[rows, n]`), `dz` (`[rows, s]`), and
/// `grad` (`[P]`: before `sae_update`'s whole-batch terms, see `sae_grad.wgsl`).
#[derive(Clone, Debug)]
pub struct GpuTrace {
    pub rows: usize,
    pub z: Vec<f32>,
    pub f: Vec<f32>,
    pub side: Vec<f32>,
    pub d_xhat: Vec<f32>,
    pub d_e_hat: Vec<f32>,
    pub dz: Vec<f32>,
    pub grad: Vec<f32>,
}

/// How an SAE run is laid out on a device ([`GpuSaeTrainer::plan`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaePlan {
    /// Rows per micro-batch: the whole batch unless the binding limit forces micro-batches.
    pub micro_batch: u32,
    pub steps_per_submit: u32,
    pub uniform_stride: u64,
    pub buffers: BufferPlan,
}

/// `sum ||x - mean(x)||^2` over a batch (the CPU's explained-variance denominator).
fn total_sq(x: &[f32], n: usize) -> f64 {
    let rows = x.len() / n;
    let mut mean = vec![0.0f32; n];
    for row in x.chunks(n) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v;
        }
    }
    for m in &mut mean {
        *m /= rows as f32;
    }
    x.chunks(n)
        .flat_map(|row| row.iter().zip(&mean).map(|(v, m)| f64::from(v - m).powi(2)))
        .sum()
}

/// Latents dead at `state.step` (the CPU's `dead_mask`).
fn dead_count(cfg: &SaeConfig, state: &SaeState) -> u32 {
    state
        .last_fired
        .iter()
        .filter(|l| state.step.saturating_sub(**l) >= cfg.dead_window)
        .count() as u32
}

impl GpuSaeTrainer {
    /// Uploads `state` and prepares buffers and kernels for `cfg`. Errors the device reports
    /// while creating them (out of memory, say) come back from the first [`Self::run_steps`].
    pub fn new(
        ctx: &GpuContext,
        cfg: SaeConfig,
        state: &SaeState,
    ) -> Result<Self, SaeBackendError> {
        Self::with_binding_limit(ctx, cfg, state, None)
    }

    /// Like [`Self::new`], but sizes buffers as if one binding could hold at most
    /// `binding_limit` bytes (tests use it to force micro-batches).
    pub fn with_binding_limit(
        ctx: &GpuContext,
        cfg: SaeConfig,
        state: &SaeState,
        binding_limit: Option<u64>,
    ) -> Result<Self, SaeBackendError> {
        cfg.validate().map_err(SaeTrainError::from)?;
        state.check_matches(&cfg)?;
        let window_inputs = u64::from(cfg.dead_window) * u64::from(cfg.batch);
        if window_inputs > u64::from(u32::MAX) {
            return Err(GpuError::TooLarge {
                what: "the firing counts of one dead window (dead_window x batch)",
                needed: window_inputs,
                allowed: u64::from(u32::MAX),
                limit: DeviceLimit::Counter32,
            }
            .into());
        }
        ctx.health.check()?;
        let (built, created) = capture(&ctx.device, "creating the SAE trainer", || {
            Self::build(ctx, cfg, binding_limit)
        });
        let mut trainer = built?;
        trainer.pending.push(created);
        trainer.upload(state);
        Ok(trainer)
    }

    #[allow(clippy::too_many_lines)]
    /// How `cfg` is laid out on a device with `adapter`'s limits (and a binding limit when
    /// given): the micro-batches and every buffer, checked against the limits without touching
    /// the device. [`Self::new`] allocates exactly these buffers.
    pub fn plan(
        adapter: &AdapterSummary,
        cfg: &SaeConfig,
        binding_limit: Option<u64>,
    ) -> Result<SaePlan, GpuError> {
        let mut buffers = BufferPlan::new(adapter, binding_limit);
        let limit = buffers.binding_limit();
        let (n, s, b) = (
            u64::from(cfg.d_in),
            u64::from(cfg.d_sae),
            u64::from(cfg.batch),
        );
        let param_bytes = sae_param_count(cfg).saturating_mul(4);
        buffers.check_binding("the SAE parameters", param_bytes)?;
        buffers.check_binding("one row of latents", 4 * s)?;
        buffers.check_binding("one row of inputs", 8 * n)?;
        buffers.check_binding("the per-row statistics", 4 * ROW_STATS * b)?;
        // At least 1: the checks above guarantee that one row fits.
        let mb_cap = (limit / (4 * s))
            .min(limit / (8 * n))
            .min(b)
            .min(MAX_MICRO_BATCH);
        let step_bytes = 4 * b * n;
        if step_bytes > adapter.max_buffer_size {
            return Err(GpuError::TooLarge {
                what: "one step's batch",
                needed: step_bytes,
                allowed: adapter.max_buffer_size,
                limit: DeviceLimit::BufferSize,
            });
        }
        let max_upload = adapter
            .max_buffer_size
            .min(UPLOAD_TARGET_BYTES.max(step_bytes));
        let steps_per_submit =
            (max_upload / step_bytes).clamp(1, u64::from(MAX_STEPS_PER_SUBMIT)) as u32;
        let chunks = b.div_ceil(mb_cap);
        let uniform_stride = SAE_UNIFORM_SIZE
            .next_multiple_of(u64::from(adapter.min_uniform_buffer_offset_alignment));
        let history_bytes = 4 * HISTORY_WORDS as u64 * u64::from(steps_per_submit);
        let latents = "a value per latent";
        let act = "the [batch, d_sae] values of one micro-batch";
        let act_bytes = 4 * mb_cap * s;
        buffers.add_uniforms(
            "sae uniforms",
            uniform_stride,
            u64::from(steps_per_submit) * chunks,
        )?;
        buffers.add(
            "sae batches",
            "the batches of one submission",
            Part::Batch,
            step_bytes * u64::from(steps_per_submit),
            BufferKind::Upload,
            false,
        )?;
        buffers.add_state(
            ["sae params", "sae adam m", "sae adam v"],
            "the SAE parameters",
            param_bytes,
        )?;
        buffers.add_storage(&[
            (
                "sae x",
                "the inputs of one micro-batch",
                Part::Batch,
                4 * mb_cap * n,
                true,
            ),
            (
                "sae grad",
                "the gradient",
                Part::Gradients,
                param_bytes,
                true,
            ),
            // Copyable: the per-kernel parity tests read them ([`GpuSaeTrainer::read_trace`]).
            ("sae z", act, Part::Activations, act_bytes, true),
            ("sae f", act, Part::Activations, act_bytes, true),
            ("sae side", act, Part::Activations, act_bytes, true),
            ("sae dz", act, Part::Activations, act_bytes, true),
            (
                "sae dx",
                "the reconstruction gradients of one micro-batch",
                Part::Batch,
                8 * mb_cap * n,
                true,
            ),
            (
                "sae row stats",
                "the per-row statistics",
                Part::Batch,
                4 * ROW_STATS * b,
                false,
            ),
            ("sae col", latents, Part::Activations, 8 * s, false),
            ("sae norms", latents, Part::Other, 4 * s, true),
            ("sae last fired", latents, Part::Other, 4 * s, true),
            ("sae window fired", latents, Part::Other, 4 * s, true),
            ("sae density counts", latents, Part::Other, 4 * s, true),
            ("sae flags", "the flags", Part::Other, 16, true),
            (
                "sae history",
                "the statistics of one submission",
                Part::Staging,
                history_bytes,
                true,
            ),
        ])?;
        buffers.add(
            "sae stats staging",
            "the readback of one submission's statistics",
            Part::Staging,
            history_bytes,
            BufferKind::Staging,
            false,
        )?;
        buffers.add(
            "sae state staging",
            "the readback of the state",
            Part::Staging,
            param_bytes.saturating_mul(3).saturating_add(12 * s),
            BufferKind::Staging,
            false,
        )?;
        Ok(SaePlan {
            micro_batch: mb_cap as u32,
            steps_per_submit,
            uniform_stride,
            buffers,
        })
    }

    fn build(
        ctx: &GpuContext,
        cfg: SaeConfig,
        binding_limit: Option<u64>,
    ) -> Result<Self, GpuError> {
        let plan = Self::plan(&ctx.adapter, &cfg, binding_limit)?;
        let create = |label| plan.buffers.create(ctx, label);
        let uniform = create("sae uniforms");
        let upload = create("sae batches");
        let x = create("sae x");
        let params = create("sae params");
        let adam_m = create("sae adam m");
        let adam_v = create("sae adam v");
        let grad = create("sae grad");
        let z = create("sae z");
        let f = create("sae f");
        let side = create("sae side");
        let dz = create("sae dz");
        let dx = create("sae dx");
        let row_stats = create("sae row stats");
        let col = create("sae col");
        let norms = create("sae norms");
        let last_fired = create("sae last fired");
        let window_fired = create("sae window fired");
        let density_counts = create("sae density counts");
        let flags = create("sae flags");
        let history = create("sae history");
        let stats_staging = create("sae stats staging");
        let state_staging = create("sae state staging");
        let SaePlan {
            micro_batch: mb_cap,
            steps_per_submit,
            uniform_stride,
            ..
        } = plan;

        let d = &ctx.device;
        let kernels = [
            sae_encode::kernel(d),
            sae_activate::kernel(d),
            sae_decode::kernel(d),
            sae_backward::kernel(d),
            sae_grad::kernel(d),
            sae_update::kernel(d),
            sae_firing::kernel(d),
        ];
        let u = &uniform;
        let bind_groups = [
            kernels[0].bind(d, &[u, &x, &params, &z]),
            kernels[1].bind(d, &[u, &z, &params, &last_fired, &flags, &f, &side]),
            kernels[2].bind(
                d,
                &[u, &x, &params, &f, &side, &flags, &norms, &dx, &row_stats],
            ),
            kernels[3].bind(d, &[u, &dx, &params, &f, &z, &norms, &side, &dz]),
            kernels[4].bind(d, &[u, &x, &params, &dz, &f, &side, &dx, &grad, &col]),
            kernels[5].bind(
                d,
                &[
                    u, &params, &adam_m, &adam_v, &grad, &col, &norms, &flags, &history,
                ],
            ),
            kernels[6].bind(
                d,
                &[
                    u,
                    &col,
                    &row_stats,
                    &last_fired,
                    &window_fired,
                    &density_counts,
                    &flags,
                    &history,
                ],
            ),
        ];
        Ok(Self {
            ctx: ctx.clone(),
            cfg,
            step: 0,
            input_scale: 1.0,
            window_inputs: 0,
            densities: Vec::new(),
            density_inputs: None,
            mb_cap,
            steps_per_submit,
            uniform_stride,
            kernels,
            bind_groups,
            buffers: Buffers {
                uniform,
                grad,
                z,
                f,
                side,
                dz,
                dx,
                upload,
                x,
                params,
                adam_m,
                adam_v,
                norms,
                last_fired,
                window_fired,
                density_counts,
                flags,
                history,
                stats_staging,
                state_staging,
            },
            pending: Vec::new(),
            failed: None,
        })
    }

    /// Replaces the whole state (resuming a run, or after a resampling on the host). Panics if
    /// the state's sizes do not match the configuration.
    pub fn upload(&mut self, state: &SaeState) {
        assert_eq!(state.params.len(), self.cfg.param_count());
        assert_eq!(state.last_fired.len(), self.cfg.s());
        let ((), uploaded) = capture(&self.ctx.device, "uploading the SAE state", || {
            self.write_state(state);
        });
        self.pending.push(uploaded);
        self.step = state.step;
        self.input_scale = state.input_scale;
        self.window_inputs = state.window_inputs;
        self.densities.clone_from(&state.densities);
        self.density_inputs = None;
    }

    fn write_state(&self, state: &SaeState) {
        let q = &self.ctx.queue;
        let b = &self.buffers;
        q.write_buffer(&b.params, 0, bytemuck::cast_slice(&state.params));
        q.write_buffer(&b.adam_m, 0, bytemuck::cast_slice(&state.adam_m));
        q.write_buffer(&b.adam_v, 0, bytemuck::cast_slice(&state.adam_v));
        q.write_buffer(&b.last_fired, 0, bytemuck::cast_slice(&state.last_fired));
        let window: Vec<u32> = state
            .window_fired
            .iter()
            .map(|c| u32::try_from(*c).unwrap_or(u32::MAX))
            .collect();
        q.write_buffer(&b.window_fired, 0, bytemuck::cast_slice(&window));
        let l = Layout::new(&self.cfg);
        let norms: Vec<f32> = state.params[l.w_dec..l.w_dec + l.s * l.n]
            .chunks(l.n)
            .map(|r| r.iter().map(|v| v * v).sum::<f32>().sqrt())
            .collect();
        q.write_buffer(&b.norms, 0, bytemuck::cast_slice(&norms));
        let flags = [dead_count(&self.cfg, state), 0, 0, 0];
        q.write_buffer(&b.flags, 0, bytemuck::cast_slice(&flags));
    }

    /// The first GPU error of this trainer, and the errors of its creation and uploads.
    async fn usable(&mut self) -> Result<(), GpuError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        for pending in std::mem::take(&mut self.pending) {
            pending.check(&self.ctx).await.map_err(|e| self.fail(e))?;
        }
        Ok(())
    }

    fn fail(&mut self, e: GpuError) -> GpuError {
        self.failed.get_or_insert(e).clone()
    }

    pub fn config(&self) -> &SaeConfig {
        &self.cfg
    }

    /// Steps completed.
    pub fn step(&self) -> u32 {
        self.step
    }

    /// Rows per micro-batch: the whole batch unless the binding limit forces micro-batches.
    pub fn micro_batch(&self) -> u32 {
        self.mb_cap
    }

    /// Micro-batches per step.
    pub fn micro_batches(&self) -> u32 {
        self.cfg.batch.div_ceil(self.mb_cap)
    }

    /// Compute dispatches per step: 5 per micro-batch, then the update and the firing kernels.
    pub fn dispatches_per_step(&self) -> u32 {
        5 * self.micro_batches() + 2
    }

    /// Steps encoded in one submission at most (a convenient chunk size for callers).
    pub fn steps_per_submit(&self) -> u32 {
        self.steps_per_submit
    }

    pub fn context(&self) -> &GpuContext {
        &self.ctx
    }

    /// Runs `steps` steps on `batches` (`[steps, batch, d_in]`, scaled by the state's
    /// `input_scale`: the batches of steps `self.step()..`) and returns each step's statistics.
    /// A non-finite loss or gradient stops the run with [`SaeTrainError::Diverged`] (the
    /// submission it was in has run to its end; read the state only to inspect it). Panics if
    /// `batches` does not hold `steps` batches.
    pub async fn run_steps(
        &mut self,
        batches: &[f32],
        steps: u32,
    ) -> Result<Vec<StepStats>, SaeBackendError> {
        let per_step = self.cfg.batch as usize * self.cfg.n();
        assert_eq!(
            batches.len(),
            per_step * steps as usize,
            "run_steps takes `steps` batches of batch x d_in values"
        );
        self.usable().await?;
        let mut stats = Vec::with_capacity(steps as usize);
        let mut done = 0u32;
        while done < steps {
            let k = (steps - done).min(self.steps_per_submit);
            let at = done as usize * per_step;
            let chunk = &batches[at..at + k as usize * per_step];
            let words = self.submit(chunk, k).await.map_err(|e| self.fail(e))?;
            let first = self.step;
            for (j, row) in words.chunks(HISTORY_WORDS).enumerate() {
                let step = first + j as u32;
                let st = self.stats_of(row, step, &chunk[j * per_step..(j + 1) * per_step]);
                if !st.loss.is_finite() || row[6] != 0 {
                    self.advance_host(j as u32);
                    return Err(SaeTrainError::Diverged { step }.into());
                }
                stats.push(st);
            }
            self.advance_host(k);
            done += k;
        }
        Ok(stats)
    }

    /// The host's share of `k` completed steps: the step counter and the density window.
    fn advance_host(&mut self, k: u32) {
        let window = self.cfg.dead_window.max(1);
        for _ in 0..k {
            self.window_inputs += u64::from(self.cfg.batch);
            if (self.step + 1).is_multiple_of(window) {
                self.density_inputs = Some(self.window_inputs);
                self.window_inputs = 0;
            }
            self.step += 1;
        }
    }

    /// A step's statistics from its history row, as the CPU's `after_step` computes them.
    fn stats_of(&self, row: &[u32], step: u32, batch: &[f32]) -> StepStats {
        let cfg = &self.cfg;
        let word = |i: usize| f32::from_bits(row[i]);
        let (resid, aux_sq, l0_count, l1_sum, sparse_sum) =
            (word(0), word(1), word(2), word(3), word(4));
        let inv_b = 1.0 / cfg.batch as f32;
        let elements = (cfg.batch as usize * cfg.n()) as f32;
        let lam = cfg.sparsity_at(step);
        let recon = if cfg.variant.mean_over_elements() {
            resid / elements
        } else {
            resid / cfg.batch as f32
        };
        let l0 = l0_count * inv_b;
        let l1 = l1_sum * inv_b;
        let sparsity = match cfg.variant {
            Variant::L1_2023 => lam * l1,
            Variant::L1_2024 => lam * inv_b * sparse_sum,
            Variant::TopK => 0.0,
            Variant::JumpRelu => lam * l0,
        };
        let aux = cfg.aux_coefficient * aux_sq * inv_b;
        let total = total_sq(batch, cfg.n());
        StepStats {
            step,
            loss: recon + sparsity + aux,
            recon,
            sparsity,
            aux,
            mse: resid / elements / (self.input_scale * self.input_scale),
            explained_variance: (1.0 - f64::from(resid) / total.max(1e-30)) as f32,
            l0,
            l1,
            dead_fraction: row[5] as f32 / cfg.s().max(1) as f32,
        }
    }

    /// Encodes `k` steps on `batches`, submits them, and reads back their history rows.
    async fn submit(&mut self, batches: &[f32], k: u32) -> Result<Vec<u32>, GpuError> {
        let cfg = &self.cfg;
        let batch = cfg.batch;
        let mb_cap = self.mb_cap;
        let chunks = batch.div_ceil(mb_cap);
        let base = SaeUniform::for_run(cfg);
        let stride = self.uniform_stride as usize;
        let mut uniforms = vec![0u8; stride * (k * chunks) as usize];
        for j in 0..k {
            let step = self.step + j;
            let scalars = step_scalars(cfg, step);
            for c in 0..chunks {
                let start = c * mb_cap;
                let len = mb_cap.min(batch - start);
                let entry = base.at(cfg, step, &scalars, start, len, j);
                let at = ((j * chunks + c) as usize) * stride;
                uniforms[at..at + SAE_UNIFORM_SIZE as usize]
                    .copy_from_slice(bytemuck::bytes_of(&entry));
            }
        }
        let b = &self.buffers;
        let history_bytes = 4 * (HISTORY_WORDS as u64) * u64::from(k);
        let encode = || {
            let q = &self.ctx.queue;
            q.write_buffer(&b.uniform, 0, &uniforms);
            q.write_buffer(&b.upload, 0, bytemuck::cast_slice(batches));
            q.write_buffer(&b.history, 0, &vec![0u8; history_bytes as usize]);
            self.encode_steps(k, history_bytes)
        };
        let read = submit_and_read(
            &self.ctx,
            "training the SAE",
            encode,
            &b.stats_staging,
            history_bytes,
        )
        .await;
        match read {
            Ok(bytes) => Ok(bytemuck::pod_collect_to_vec::<u8, u32>(&bytes)),
            Err(e) => {
                let rows = u64::from(self.mb_cap);
                let record = |kernel, pass: &mut wgpu::ComputePass<'_>| {
                    self.dispatch(pass, kernel, 0, rows);
                };
                Err(attribute(&self.ctx, e, &self.kernels, record).await)
            }
        }
    }

    /// Records `k` steps (their batches already in the upload buffer) and the copy of their
    /// statistics into the staging buffer.
    fn encode_steps(&self, k: u32, history_bytes: u64) -> wgpu::CommandBuffer {
        let cfg = &self.cfg;
        let batch = cfg.batch;
        let mb_cap = self.mb_cap;
        let chunks = batch.div_ceil(mb_cap);
        let stride = self.uniform_stride as usize;
        let b = &self.buffers;
        let n = cfg.n() as u64;
        let step_bytes = 4 * u64::from(batch) * n;
        let mut encoder = self
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("sae steps"),
            });
        for j in 0..k {
            for c in 0..chunks {
                let start = c * mb_cap;
                let rows = u64::from(mb_cap.min(batch - start));
                encoder.copy_buffer_to_buffer(
                    &b.upload,
                    u64::from(j) * step_bytes + 4 * u64::from(start) * n,
                    &b.x,
                    0,
                    4 * rows * n,
                );
                let offset = ((j * chunks + c) as usize * stride) as u32;
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("sae micro-batch"),
                    timestamp_writes: None,
                });
                for kernel in 0..PER_MICRO_BATCH {
                    self.dispatch(&mut pass, kernel, offset, rows);
                }
                if c + 1 == chunks {
                    let offset = ((j * chunks) as usize * stride) as u32;
                    for kernel in PER_MICRO_BATCH..self.kernels.len() {
                        self.dispatch(&mut pass, kernel, offset, rows);
                    }
                }
            }
        }
        encoder.copy_buffer_to_buffer(&b.history, 0, &b.stats_staging, 0, history_bytes);
        encoder.finish()
    }

    /// Records kernel `kernel`'s dispatch (in `kernels` order) for a micro-batch of `rows`.
    fn dispatch(&self, pass: &mut wgpu::ComputePass<'_>, kernel: usize, offset: u32, rows: u64) {
        let (n, s) = (self.cfg.n() as u64, self.cfg.s() as u64);
        let latent_groups = s.div_ceil(u64::from(ROW_WORKGROUP));
        let work = match kernel {
            // sae_encode and sae_backward: one thread per (row, latent).
            0 | 3 => Work::Threads(rows * s),
            // sae_activate and sae_decode: one workgroup per row.
            1 | 2 => Work::Groups(rows),
            // sae_grad: one thread per parameter.
            4 => Work::Threads(2 * n * s + s + n),
            // sae_update: one workgroup per W_enc row and per W_dec row, then the biases.
            5 => Work::Groups(n + s + latent_groups),
            // sae_firing: the latents, then one workgroup summing the row statistics.
            _ => Work::Groups(latent_groups + 1),
        };
        let max_groups = self.ctx.adapter.max_compute_workgroups_per_dimension;
        self.kernels[kernel].dispatch(pass, &self.bind_groups[kernel], offset, work, max_groups);
    }

    /// Reads the current state back (asynchronously), equal to what the CPU trainer holds
    /// after the same steps.
    /// What the last step's kernels left in their buffers (its last micro-batch), for the
    /// per-kernel parity tests: compare with [`polytope_core::sae::forward_backward_traced`] on
    /// the same state and batch ([`crate::sae_parity::run_kernel_case`]).
    pub async fn read_trace(&mut self) -> Result<GpuTrace, GpuError> {
        self.usable().await?;
        let read = self.read_trace_inner().await;
        read.map_err(|e| self.fail(e))
    }

    async fn read_trace_inner(&self) -> Result<GpuTrace, GpuError> {
        let (rows, n, s) = (
            u64::from(self.mb_cap.min(self.cfg.batch)),
            self.cfg.n() as u64,
            self.cfg.s() as u64,
        );
        let b = &self.buffers;
        let act = 4 * rows * s;
        let parts: [(&wgpu::Buffer, u64); 6] = [
            (&b.z, act),
            (&b.f, act),
            (&b.side, act),
            (&b.dz, act),
            (&b.dx, 8 * rows * n),
            (&b.grad, 4 * self.cfg.param_count() as u64),
        ];
        let total: u64 = parts.iter().map(|(_, bytes)| bytes).sum();
        let device = &self.ctx.device;
        let staging = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("sae trace staging"),
            size: total,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let encode = || {
            let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("sae read trace"),
            });
            let mut at = 0;
            for (buffer, bytes) in parts {
                encoder.copy_buffer_to_buffer(buffer, 0, &staging, at, bytes);
                at += bytes;
            }
            encoder.finish()
        };
        let bytes = submit_and_read(
            &self.ctx,
            "reading the SAE's intermediate values",
            encode,
            &staging,
            total,
        )
        .await?;
        let mut at = 0usize;
        let mut next = |len: u64| {
            let v = f32s(&bytes[at..at + len as usize]);
            at += len as usize;
            v
        };
        let (z, f, side, dz, dx, grad) = (
            next(act),
            next(act),
            next(act),
            next(act),
            next(8 * rows * n),
            next(4 * self.cfg.param_count() as u64),
        );
        let (rows, n) = (rows as usize, n as usize);
        let mut d_xhat = Vec::with_capacity(rows * n);
        let mut d_e_hat = Vec::with_capacity(rows * n);
        for row in dx.chunks(2 * n) {
            d_xhat.extend_from_slice(&row[..n]);
            d_e_hat.extend_from_slice(&row[n..]);
        }
        Ok(GpuTrace {
            rows,
            z,
            f,
            side,
            d_xhat,
            d_e_hat,
            dz,
            grad,
        })
    }

    pub async fn read_state(&mut self) -> Result<SaeState, GpuError> {
        self.usable().await?;
        let read = self.read_state_inner().await;
        read.map_err(|e| self.fail(e))
    }

    async fn read_state_inner(&self) -> Result<SaeState, GpuError> {
        let p = 4 * self.cfg.param_count() as u64;
        let s = 4 * self.cfg.s() as u64;
        let total = 3 * p + 3 * s;
        let device = &self.ctx.device;
        let b = &self.buffers;
        let staging = &b.state_staging;
        let encode = || {
            let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("sae read state"),
            });
            encoder.copy_buffer_to_buffer(&b.params, 0, staging, 0, p);
            encoder.copy_buffer_to_buffer(&b.adam_m, 0, staging, p, p);
            encoder.copy_buffer_to_buffer(&b.adam_v, 0, staging, 2 * p, p);
            encoder.copy_buffer_to_buffer(&b.last_fired, 0, staging, 3 * p, s);
            encoder.copy_buffer_to_buffer(&b.window_fired, 0, staging, 3 * p + s, s);
            encoder.copy_buffer_to_buffer(&b.density_counts, 0, staging, 3 * p + 2 * s, s);
            encoder.finish()
        };
        let bytes = submit_and_read(
            &self.ctx,
            "reading the SAE state back",
            encode,
            staging,
            total,
        )
        .await?;
        let (p, s) = (p as usize, s as usize);
        let u32s = |r: std::ops::Range<usize>| -> Vec<u32> {
            bytemuck::pod_collect_to_vec::<u8, u32>(&bytes[r])
        };
        let densities = match self.density_inputs {
            Some(inputs) => {
                let inputs = inputs.max(1) as f64;
                u32s(3 * p + 2 * s..3 * p + 3 * s)
                    .iter()
                    .map(|c| f64::from(*c) / inputs)
                    .collect()
            }
            None => self.densities.clone(),
        };
        Ok(SaeState {
            step: self.step,
            params: f32s(&bytes[..p]),
            adam_m: f32s(&bytes[p..2 * p]),
            adam_v: f32s(&bytes[2 * p..3 * p]),
            last_fired: u32s(3 * p..3 * p + s),
            window_fired: u32s(3 * p + s..3 * p + 2 * s)
                .into_iter()
                .map(u64::from)
                .collect(),
            window_inputs: self.window_inputs,
            densities,
            input_scale: self.input_scale,
        })
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use polytope_core::sae::{SaeConfig, SaeTrainer, SyntheticSource, SyntheticSpec, Variant};

    use super::*;
    use crate::device::{AdapterPreference, request_context};
    use crate::error::BackendError;

    /// A bind group that binds one buffer as both read-only and read-write storage passes
    /// creation but fails validation at dispatch, where wgpu's message names the buffer and not
    /// the pipeline; the error must still name the kernel (nothing runs on the device).
    #[test]
    fn an_invalid_dispatch_names_its_kernel() {
        let ctx = pollster::block_on(request_context(AdapterPreference::SoftwareWithValidation))
            .expect("lavapipe");
        let mut cfg = SaeConfig::recommended(Variant::TopK, 16, 64, 10);
        cfg.batch = 8;
        let spec = SyntheticSpec::default_for(16, 32);
        let mut feeder =
            SaeTrainer::new(cfg.clone(), Box::new(SyntheticSource::new(spec))).unwrap();
        let mut gpu = GpuSaeTrainer::new(&ctx, cfg, feeder.state()).unwrap();
        let b = &gpu.buffers;
        // sae_backward's `dz` (read-write) bound to the `params` buffer it also reads.
        let broken = gpu.kernels[3].bind(
            &ctx.device,
            &[
                &b.uniform, &b.x, &b.params, &b.x, &b.x, &b.norms, &b.x, &b.params,
            ],
        );
        gpu.bind_groups[3] = broken;
        feeder.fill_batch(0);
        let batch = feeder.batch().to_vec();
        let err = pollster::block_on(gpu.run_steps(&batch, 1)).unwrap_err();
        let BackendError::Gpu(GpuError::Validation { kernel, message }) = &err else {
            panic!("{err:?}")
        };
        eprintln!("{err}");
        assert_eq!(*kernel, Some("sae_backward"), "{message}");
        assert!(!err.is_device_lost() && !err.fails_this_run_only());
    }
}
