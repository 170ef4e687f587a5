//! Trains every instance of a toy-model run on the GPU.
//!
//! A step is three dispatches ([`crate::tms_sample`], [`crate::tms_grad`], [`crate::tms_adam`]);
//! when the batch's scratch does not fit one storage binding, the batch is split into chunks and
//! the first two run once per chunk. Many steps are encoded into one submission, each with its
//! own uniform entry (a dynamic offset), and results come back in one asynchronous readback at
//! the end of [`GpuTrainer::run_steps`], never per step.
//!
//! Buffer creation and every submission run inside error scopes ([`crate::readback::capture`]):
//! an error of this trainer's work comes back from its next call as a typed [`GpuError`], and
//! every later call returns the same error (drop the trainer and rebuild from the last
//! snapshot).

use polytope_core::tms::{Snapshot, TmsConfig, TrainError, TrainState, first_non_finite_instance};

use polytope_core::memory::{Part, tms_params_per_instance};

use crate::device::{AdapterSummary, GpuContext, GpuError};
use crate::error::TmsBackendError;
use crate::kernel::{ComputeKernel, Work, attribute};
use crate::memory::{BufferKind, BufferPlan};
use crate::readback::{Captured, capture, f32s, submit_and_read};
use crate::tms_common::{STEP_UNIFORM_SIZE, StepUniform};
use crate::{tms_adam, tms_grad, tms_sample};

/// Steps encoded per submission at most (the loss history holds one row per step).
const MAX_STEPS_PER_SUBMIT: u32 = 256;
/// The gradient kernel aims for at least this many threads: small models split the batch into
/// up to [`MAX_SPLITS`] sample ranges summed in parallel.
const TARGET_GRAD_THREADS: u64 = 16_384;
const MAX_SPLITS: u64 = 32;

struct Buffers {
    uniform: wgpu::Buffer,
    params: wgpu::Buffer,
    adam_m: wgpu::Buffer,
    adam_v: wgpu::Buffer,
    loss_history: wgpu::Buffer,
    staging: wgpu::Buffer,
}

/// GPU trainer for one [`TmsConfig`].
pub struct GpuTrainer {
    ctx: GpuContext,
    cfg: TmsConfig,
    step: u32,
    chunk_cap: u32,
    splits: u32,
    uniform_stride: u64,
    steps_per_submit: u32,
    kernels: [ComputeKernel; 3],
    bind_groups: [wgpu::BindGroup; 3],
    buffers: Buffers,
    /// The errors of creating the buffers and pipelines, checked by the first submission.
    created: Option<Captured>,
    /// The first GPU error: the trainer does no more work after one.
    failed: Option<GpuError>,
}

/// Whether `state` holds the parameters of `cfg` (sizes in u64: no overflow on wasm32).
pub(crate) fn check_state(cfg: &TmsConfig, state: &TrainState) -> Result<(), TrainError> {
    let expected = (cfg.instances.len() as u64).saturating_mul(tms_params_per_instance(cfg));
    if state.params.len() as u64 == expected {
        Ok(())
    } else {
        Err(TrainError::StateMismatch {
            params: state.params.len(),
            expected: usize::try_from(expected).unwrap_or(usize::MAX),
        })
    }
}

/// How a toy-model run is laid out on a device ([`GpuTrainer::plan`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TmsPlan {
    /// Samples per chunk: the whole batch unless the binding limit forces chunks.
    pub chunk_cap: u32,
    /// Sample ranges the gradient kernel sums in parallel.
    pub splits: u32,
    pub steps_per_submit: u32,
    pub uniform_stride: u64,
    pub buffers: BufferPlan,
}

impl GpuTrainer {
    /// Uploads `state` and prepares buffers and kernels for `cfg`. Errors the device reports
    /// while creating them (out of memory, say) come back from the first [`Self::run_steps`].
    pub fn new(
        ctx: &GpuContext,
        cfg: TmsConfig,
        state: &TrainState,
    ) -> Result<Self, TmsBackendError> {
        Self::with_binding_limit(ctx, cfg, state, None)
    }

    /// Like [`Self::new`], but sizes buffers as if one binding could hold at most
    /// `binding_limit` bytes (tests use it to force a chunked batch).
    pub fn with_binding_limit(
        ctx: &GpuContext,
        cfg: TmsConfig,
        state: &TrainState,
        binding_limit: Option<u64>,
    ) -> Result<Self, TmsBackendError> {
        cfg.validate()?;
        check_state(&cfg, state)?;
        ctx.health.check()?;
        let (built, created) = capture(&ctx.device, "creating the toy-model trainer", || {
            Self::build(ctx, cfg, state, binding_limit)
        });
        let mut trainer = built?;
        trainer.created = Some(created);
        Ok(trainer)
    }

    /// How `cfg` is laid out on a device with `adapter`'s limits (and a binding limit when
    /// given): the batch's chunking and every buffer, checked against the limits without
    /// touching the device. [`Self::new`] allocates exactly these buffers.
    pub fn plan(
        adapter: &AdapterSummary,
        cfg: &TmsConfig,
        binding_limit: Option<u64>,
    ) -> Result<TmsPlan, GpuError> {
        let mut buffers = BufferPlan::new(adapter, binding_limit);
        let limit = buffers.binding_limit();
        let instances = cfg.instances.len() as u64;
        let (n, m) = (u64::from(cfg.n_features), u64::from(cfg.n_hidden));
        let param_count = instances.saturating_mul(tms_params_per_instance(cfg));
        let param_bytes = param_count.saturating_mul(4);
        buffers.check_binding("the parameters of all instances", param_bytes)?;
        // The widest per-sample scratch row decides how many samples fit one binding.
        let row_bytes = 4 * instances * n.max(2 * m);
        buffers.check_binding("one sample of every instance", row_bytes)?;
        let chunk_cap = (limit / row_bytes).min(u64::from(cfg.batch_size)) as u32;
        let chunks = u64::from(cfg.batch_size.div_ceil(chunk_cap));
        let splits = TARGET_GRAD_THREADS
            .div_ceil(param_count)
            .min(MAX_SPLITS)
            .min(u64::from(chunk_cap))
            .min(limit / param_bytes)
            .max(1) as u32;
        let history_row_bytes = 4 * instances;
        let steps_per_submit = (limit / history_row_bytes)
            .min(u64::from(MAX_STEPS_PER_SUBMIT))
            .max(1) as u32;
        let uniform_stride = STEP_UNIFORM_SIZE
            .next_multiple_of(u64::from(adapter.min_uniform_buffer_offset_alignment));
        let rows = u64::from(chunk_cap) * instances;
        let history_bytes = history_row_bytes * u64::from(steps_per_submit);
        buffers.add_uniforms(
            "tms uniforms",
            uniform_stride,
            u64::from(steps_per_submit) * chunks,
        )?;
        buffers.add_state(
            ["tms params", "tms adam m", "tms adam v"],
            "the parameters of all instances",
            param_bytes,
        )?;
        let split_bytes = param_bytes.saturating_mul(u64::from(splits));
        buffers.add_storage(&[
            (
                "tms spec",
                "the feature probabilities and importances",
                Part::Data,
                8 * instances * n,
                true,
            ),
            (
                "tms xs",
                "the inputs of a chunk of samples",
                Part::Batch,
                4 * rows * n,
                false,
            ),
            (
                "tms gs",
                "the output gradients of a chunk of samples",
                Part::Batch,
                4 * rows * n,
                false,
            ),
            (
                "tms hu",
                "the hidden values of a chunk of samples",
                Part::Activations,
                8 * rows * m,
                false,
            ),
            (
                "tms sample loss",
                "the losses of a chunk of samples",
                Part::Batch,
                4 * rows,
                false,
            ),
            (
                "tms grad partials",
                "the gradient partial sums",
                Part::Gradients,
                split_bytes,
                false,
            ),
            (
                "tms loss partials",
                "the loss partial sums",
                Part::Gradients,
                4 * instances * u64::from(splits),
                false,
            ),
            (
                "tms loss history",
                "the losses of one submission",
                Part::Staging,
                history_bytes,
                true,
            ),
        ])?;
        buffers.add(
            "tms staging",
            "the readback of the state and losses",
            Part::Staging,
            param_bytes.saturating_mul(3).saturating_add(history_bytes),
            BufferKind::Staging,
            false,
        )?;
        Ok(TmsPlan {
            chunk_cap,
            splits,
            steps_per_submit,
            uniform_stride,
            buffers,
        })
    }

    fn build(
        ctx: &GpuContext,
        cfg: TmsConfig,
        state: &TrainState,
        binding_limit: Option<u64>,
    ) -> Result<Self, GpuError> {
        let plan = Self::plan(&ctx.adapter, &cfg, binding_limit)?;
        let TmsPlan {
            chunk_cap,
            splits,
            steps_per_submit,
            uniform_stride,
            ref buffers,
        } = plan;
        let create = |label| buffers.create(ctx, label);
        let uniform = create("tms uniforms");
        let spec = create("tms spec");
        let params = create("tms params");
        let adam_m = create("tms adam m");
        let adam_v = create("tms adam v");
        let xs = create("tms xs");
        let gs = create("tms gs");
        let hu = create("tms hu");
        let sample_loss = create("tms sample loss");
        let grad = create("tms grad partials");
        let loss_acc = create("tms loss partials");
        let loss_history = create("tms loss history");
        let staging = create("tms staging");

        let mut spec_data = Vec::with_capacity(2 * cfg.n() * cfg.instance_count());
        for inst in &cfg.instances {
            for (p, w) in inst.feature_probability.iter().zip(&inst.importance) {
                spec_data.extend_from_slice(&[*p, *w]);
            }
        }
        ctx.queue
            .write_buffer(&spec, 0, bytemuck::cast_slice(&spec_data));

        let kernels = [
            tms_sample::kernel(&ctx.device),
            tms_grad::kernel(&ctx.device),
            tms_adam::kernel(&ctx.device),
        ];
        let bind_groups = [
            kernels[0].bind(
                &ctx.device,
                &[&uniform, &spec, &params, &xs, &gs, &hu, &sample_loss],
            ),
            kernels[1].bind(
                &ctx.device,
                &[&uniform, &xs, &gs, &hu, &sample_loss, &grad, &loss_acc],
            ),
            kernels[2].bind(
                &ctx.device,
                &[
                    &uniform,
                    &grad,
                    &loss_acc,
                    &params,
                    &adam_m,
                    &adam_v,
                    &loss_history,
                ],
            ),
        ];
        let mut trainer = Self {
            ctx: ctx.clone(),
            cfg,
            step: 0,
            chunk_cap,
            splits,
            uniform_stride,
            steps_per_submit,
            kernels,
            bind_groups,
            buffers: Buffers {
                uniform,
                params,
                adam_m,
                adam_v,
                loss_history,
                staging,
            },
            created: None,
            failed: None,
        };
        trainer.upload(state);
        Ok(trainer)
    }

    /// Replaces the parameters and optimizer state (resuming a run).
    pub fn upload(&mut self, state: &TrainState) {
        assert_eq!(state.params.len(), self.cfg.total_params());
        let q = &self.ctx.queue;
        q.write_buffer(&self.buffers.params, 0, bytemuck::cast_slice(&state.params));
        q.write_buffer(&self.buffers.adam_m, 0, bytemuck::cast_slice(&state.adam_m));
        q.write_buffer(&self.buffers.adam_v, 0, bytemuck::cast_slice(&state.adam_v));
        self.step = state.step;
    }

    pub fn config(&self) -> &TmsConfig {
        &self.cfg
    }

    pub fn step(&self) -> u32 {
        self.step
    }

    /// Samples per chunk: the whole batch unless the device's binding limit forces chunks.
    pub fn chunk_cap(&self) -> u32 {
        self.chunk_cap
    }

    /// Sample ranges the gradient kernel sums in parallel.
    pub fn splits(&self) -> u32 {
        self.splits
    }

    pub fn context(&self) -> &GpuContext {
        &self.ctx
    }

    /// The first GPU error of this trainer, and the errors of its creation (once).
    async fn usable(&mut self) -> Result<(), GpuError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if let Some(created) = self.created.take() {
            created.check(&self.ctx).await.map_err(|e| self.fail(e))?;
        }
        Ok(())
    }

    fn fail(&mut self, e: GpuError) -> GpuError {
        self.failed.get_or_insert(e).clone()
    }

    /// Runs `steps` steps (in submissions of at most a few hundred) and reads back the state
    /// and the loss of every step once at the end.
    pub async fn run_steps(&mut self, steps: u32) -> Result<Snapshot, TmsBackendError> {
        self.usable().await?;
        let first_loss_step = self.step;
        let mut losses = Vec::with_capacity(steps as usize * self.cfg.instance_count());
        let mut remaining = steps;
        let mut last = None;
        while remaining > 0 {
            let k = remaining.min(self.steps_per_submit);
            let snap = self.submit(k).await.map_err(|e| self.fail(e))?;
            losses.extend_from_slice(&snap.1);
            last = Some(snap.0);
            remaining -= k;
        }
        let state = match last {
            Some(state) => state,
            None => self.read_state().await?,
        };
        let instances = self.cfg.instance_count();
        if let Some(pos) = losses.iter().position(|l| !l.is_finite()) {
            return Err(TrainError::Diverged {
                instance: pos % instances,
                step: first_loss_step + (pos / instances) as u32,
            }
            .into());
        }
        // A ReLU can hide a non-finite weight from the loss; the weights are checked at each
        // readback, so the step reported is the first readback that saw them.
        if let Some(instance) =
            first_non_finite_instance(&state.params, self.cfg.params_per_instance())
        {
            return Err(TrainError::Diverged {
                instance,
                step: first_loss_step,
            }
            .into());
        }
        Ok(Snapshot {
            state,
            first_loss_step,
            losses,
        })
    }

    /// Encodes `k` steps, submits them with a copy of the results, and waits for the readback.
    async fn submit(&mut self, k: u32) -> Result<(TrainState, Vec<f32>), GpuError> {
        let batch = self.cfg.batch_size;
        let chunks = batch.div_ceil(self.chunk_cap);
        let base = StepUniform::for_run(&self.cfg, self.chunk_cap, self.splits);
        let stride = self.uniform_stride as usize;
        let mut uniforms = vec![0u8; stride * (k * chunks) as usize];
        for s in 0..k {
            let step = self.step + s;
            let scalars = self.cfg.optimizer.scalars(step, self.cfg.steps);
            for c in 0..chunks {
                let start = c * self.chunk_cap;
                let len = self.chunk_cap.min(batch - start);
                let entry = base.at(step, &scalars, start, len, s);
                let at = ((s * chunks + c) as usize) * stride;
                uniforms[at..at + STEP_UNIFORM_SIZE as usize]
                    .copy_from_slice(bytemuck::bytes_of(&entry));
            }
        }
        let instances = self.cfg.instance_count() as u64;
        let param_threads = instances * self.cfg.params_per_instance() as u64;
        let param_bytes = 4 * param_threads;
        let history_bytes = 4 * instances * u64::from(k);
        let b = &self.buffers;
        let encode = || {
            self.ctx.queue.write_buffer(&b.uniform, 0, &uniforms);
            self.encode_steps(k, param_bytes, history_bytes)
        };
        let read = submit_and_read(
            &self.ctx,
            "training the toy models",
            encode,
            &b.staging,
            3 * param_bytes + history_bytes,
        )
        .await;
        let bytes = match read {
            Ok(bytes) => bytes,
            Err(e) => {
                let record = |kernel, pass: &mut wgpu::ComputePass<'_>| {
                    self.dispatch(pass, kernel, 0, self.chunk_cap);
                };
                return Err(attribute(&self.ctx, e, &self.kernels, record).await);
            }
        };
        self.step += k;
        let p = param_bytes as usize;
        let state = TrainState {
            step: self.step,
            params: f32s(&bytes[..p]),
            adam_m: f32s(&bytes[p..2 * p]),
            adam_v: f32s(&bytes[2 * p..3 * p]),
        };
        Ok((state, f32s(&bytes[3 * p..])))
    }

    /// Records `k` steps and the copy of the results into the staging buffer.
    fn encode_steps(&self, k: u32, param_bytes: u64, history_bytes: u64) -> wgpu::CommandBuffer {
        let mut encoder = self
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("tms steps"),
            });
        let batch = self.cfg.batch_size;
        let chunks = batch.div_ceil(self.chunk_cap);
        let stride = self.uniform_stride as usize;
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("tms steps"),
                timestamp_writes: None,
            });
            for s in 0..k {
                for c in 0..chunks {
                    let offset = ((s * chunks + c) as usize * stride) as u32;
                    let len = self.chunk_cap.min(batch - c * self.chunk_cap);
                    self.dispatch(&mut pass, 0, offset, len);
                    self.dispatch(&mut pass, 1, offset, len);
                }
                let offset = ((s * chunks) as usize * stride) as u32;
                self.dispatch(&mut pass, 2, offset, self.chunk_cap);
            }
        }
        let b = &self.buffers;
        encoder.copy_buffer_to_buffer(&b.params, 0, &b.staging, 0, param_bytes);
        encoder.copy_buffer_to_buffer(&b.adam_m, 0, &b.staging, param_bytes, param_bytes);
        encoder.copy_buffer_to_buffer(&b.adam_v, 0, &b.staging, 2 * param_bytes, param_bytes);
        encoder.copy_buffer_to_buffer(
            &b.loss_history,
            0,
            &b.staging,
            3 * param_bytes,
            history_bytes,
        );
        encoder.finish()
    }

    /// Records kernel `kernel`'s dispatch (sample, grad, adam) for a chunk of `len` samples.
    fn dispatch(&self, pass: &mut wgpu::ComputePass<'_>, kernel: usize, offset: u32, len: u32) {
        let instances = self.cfg.instance_count() as u64;
        let param_threads = instances * self.cfg.params_per_instance() as u64;
        let work = match kernel {
            0 => Work::Threads(instances * u64::from(len)),
            1 => Work::Threads(param_threads * u64::from(self.splits)),
            _ => Work::Threads(param_threads),
        };
        let max_groups = self.ctx.adapter.max_compute_workgroups_per_dimension;
        self.kernels[kernel].dispatch(pass, &self.bind_groups[kernel], offset, work, max_groups);
    }

    /// Reads the current state without training.
    pub async fn read_state(&mut self) -> Result<TrainState, GpuError> {
        self.usable().await?;
        let param_bytes = 4 * self.cfg.total_params() as u64;
        let b = &self.buffers;
        let encode = || {
            let mut encoder =
                self.ctx
                    .device
                    .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                        label: Some("tms read state"),
                    });
            encoder.copy_buffer_to_buffer(&b.params, 0, &b.staging, 0, param_bytes);
            encoder.copy_buffer_to_buffer(&b.adam_m, 0, &b.staging, param_bytes, param_bytes);
            encoder.copy_buffer_to_buffer(&b.adam_v, 0, &b.staging, 2 * param_bytes, param_bytes);
            encoder.finish()
        };
        let read = submit_and_read(
            &self.ctx,
            "reading the toy models back",
            encode,
            &b.staging,
            3 * param_bytes,
        )
        .await;
        let bytes = read.map_err(|e| self.fail(e))?;
        let p = param_bytes as usize;
        Ok(TrainState {
            step: self.step,
            params: f32s(&bytes[..p]),
            adam_m: f32s(&bytes[p..2 * p]),
            adam_v: f32s(&bytes[2 * p..3 * p]),
        })
    }
}
