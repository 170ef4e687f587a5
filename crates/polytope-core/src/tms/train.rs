//! The CPU reference trainer: the same numbers as the GPU trainer, in plain Rust.
//!
//! Work can be done in slices of a few samples ([`CpuTrainer::run_slice`]) so that the
//! browser's CPU fallback never blocks the page for long, or in whole steps
//! ([`CpuTrainer::run_steps`]), across threads when the `parallel` feature is on. Both give
//! identical numbers: instances are independent and each sums its samples in order.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::config::{ConfigError, TmsConfig};
use super::dense::{self, DenseWork};
use super::model::init_params;
use crate::optim::{StepScalars, adam_update};

/// Everything needed to continue training exactly where it stopped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Steps completed.
    pub step: u32,
    /// All instances' parameters, `[I, P]`.
    pub params: Vec<f32>,
    /// Adam's first moments, `[I, P]`.
    pub adam_m: Vec<f32>,
    /// Adam's second moments, `[I, P]`.
    pub adam_v: Vec<f32>,
}

impl TrainState {
    pub fn initial(cfg: &TmsConfig) -> Self {
        let total = cfg.total_params();
        Self {
            step: 0,
            params: init_params(cfg),
            adam_m: vec![0.0; total],
            adam_v: vec![0.0; total],
        }
    }
}

/// A consistent view of a run after some steps, with the losses of the steps since the
/// previous snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub state: TrainState,
    /// Step of the first row of `losses`.
    pub first_loss_step: u32,
    /// Loss of every instance at every step since the previous snapshot, `[steps, I]`.
    pub losses: Vec<f32>,
}

impl Snapshot {
    /// The most recent loss of each instance (empty if no step has run since the last snapshot).
    pub fn last_losses(&self, instances: usize) -> &[f32] {
        if self.losses.len() < instances {
            &[]
        } else {
            &self.losses[self.losses.len() - instances..]
        }
    }
}

/// Why training stopped.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum TrainError {
    #[error("invalid settings: {0}")]
    Config(#[from] ConfigError),
    #[error(
        "training diverged: instance {instance} has a non-finite loss or weights at step {step}; lower the learning rate or change the settings"
    )]
    Diverged { instance: usize, step: u32 },
    #[error("the state has {params} parameters; the configuration needs {expected}")]
    StateMismatch { params: usize, expected: usize },
}

/// Per-worker buffers, reused across samples and steps.
struct Work {
    dense: DenseWork,
    grad: Vec<f32>,
}

impl Work {
    fn new(cfg: &TmsConfig) -> Self {
        Self {
            dense: DenseWork::new(cfg),
            grad: vec![0.0; cfg.params_per_instance()],
        }
    }
}

/// Trains all instances of a [`TmsConfig`] on the CPU.
pub struct CpuTrainer {
    cfg: TmsConfig,
    state: TrainState,
    work: Work,
    /// Position inside the current step: the next instance and sample to process.
    cursor_instance: usize,
    cursor_sample: u32,
    loss_acc: f32,
    /// Loss of each instance at the current step, filled as instances finish it.
    step_losses: Vec<f32>,
    first_loss_step: u32,
    history: Vec<f32>,
}

impl CpuTrainer {
    pub fn new(cfg: TmsConfig) -> Result<Self, ConfigError> {
        let state = TrainState::initial(&cfg);
        Self::from_state(cfg, state)
    }

    /// Continues a run from a saved state (for example a GPU snapshot after a lost device).
    pub fn from_state(cfg: TmsConfig, state: TrainState) -> Result<Self, ConfigError> {
        cfg.validate()?;
        assert_eq!(
            state.params.len(),
            cfg.total_params(),
            "state does not match config"
        );
        let work = Work::new(&cfg);
        let instances = cfg.instance_count();
        Ok(Self {
            first_loss_step: state.step,
            state,
            work,
            cursor_instance: 0,
            cursor_sample: 0,
            loss_acc: 0.0,
            step_losses: vec![0.0; instances],
            history: Vec::new(),
            cfg,
        })
    }

    pub fn config(&self) -> &TmsConfig {
        &self.cfg
    }

    pub fn state(&self) -> &TrainState {
        &self.state
    }

    /// Whether every instance has completed the same number of steps.
    pub fn at_step_boundary(&self) -> bool {
        self.cursor_instance == 0 && self.cursor_sample == 0
    }

    /// Takes the losses recorded since the previous snapshot along with a copy of the state.
    /// Call at a step boundary (see [`Self::at_step_boundary`]); mid-step, some instances are
    /// one step ahead of `state.step`.
    pub fn snapshot(&mut self) -> Snapshot {
        let snap = Snapshot {
            state: self.state.clone(),
            first_loss_step: self.first_loss_step,
            losses: std::mem::take(&mut self.history),
        };
        self.first_loss_step = self.state.step;
        snap
    }

    /// Processes at most `budget_samples` sample passes (one sample of one instance each) and
    /// at most `max_steps` steps, stopping early at a step boundary once the budget cannot
    /// cover another whole step, and returns the number of steps completed.
    pub fn run_slice(&mut self, budget_samples: u64, max_steps: u32) -> Result<u32, TrainError> {
        let batch = self.cfg.batch_size;
        let instances = self.cfg.instance_count();
        let per_step = u64::from(batch) * instances as u64;
        let mut budget = budget_samples;
        let mut completed = 0;
        while budget > 0 && completed < max_steps {
            if self.at_step_boundary() && completed > 0 && budget < per_step {
                break;
            }
            let take = (u64::from(batch - self.cursor_sample)).min(budget) as u32;
            let i = self.cursor_instance;
            let scalars = self.scalars();
            let loss = self.run_instance_samples(i, self.cursor_sample, take);
            self.loss_acc += loss;
            self.cursor_sample += take;
            budget -= u64::from(take);
            if self.cursor_sample == batch {
                self.finish_instance(i, &scalars);
                if self.cursor_instance == instances {
                    completed += 1;
                    self.finish_step()?;
                }
            }
        }
        Ok(completed)
    }

    /// Runs whole steps (first finishing a step in progress).
    pub fn run_steps(&mut self, steps: u32) -> Result<(), TrainError> {
        if !self.at_step_boundary() {
            let rest = u64::from(self.cfg.batch_size - self.cursor_sample)
                + u64::from(self.cfg.batch_size)
                    * (self.cfg.instance_count() - self.cursor_instance - 1) as u64;
            self.run_slice(rest, 1)?;
        }
        for _ in 0..steps {
            self.run_whole_step()?;
        }
        Ok(())
    }

    fn scalars(&self) -> StepScalars {
        self.cfg.optimizer.scalars(self.state.step, self.cfg.steps)
    }

    fn run_instance_samples(&mut self, i: usize, from: u32, count: u32) -> f32 {
        let per = self.cfg.params_per_instance();
        if from == 0 {
            self.work.grad.fill(0.0);
        }
        let params = &self.state.params[i * per..(i + 1) * per];
        instance_samples(
            &self.cfg,
            self.state.step,
            i,
            params,
            from,
            count,
            &mut self.work,
        )
    }

    fn finish_instance(&mut self, i: usize, scalars: &StepScalars) {
        let per = self.cfg.params_per_instance();
        let range = i * per..(i + 1) * per;
        apply_adam(
            &mut self.state.params[range.clone()],
            &mut self.state.adam_m[range.clone()],
            &mut self.state.adam_v[range],
            &self.work.grad,
            scalars,
        );
        self.step_losses[i] = self.loss_acc;
        self.loss_acc = 0.0;
        self.cursor_instance += 1;
        self.cursor_sample = 0;
    }

    fn finish_step(&mut self) -> Result<(), TrainError> {
        let step = self.state.step;
        self.cursor_instance = 0;
        self.state.step += 1;
        self.history.extend_from_slice(&self.step_losses);
        // A ReLU can hide a non-finite weight from the loss, so look at both.
        let bad_loss = self.step_losses.iter().position(|l| !l.is_finite());
        let bad_weights =
            || first_non_finite_instance(&self.state.params, self.cfg.params_per_instance());
        if let Some(instance) = bad_loss.or_else(bad_weights) {
            return Err(TrainError::Diverged { instance, step });
        }
        Ok(())
    }

    #[cfg(not(feature = "parallel"))]
    fn run_whole_step(&mut self) -> Result<(), TrainError> {
        let per_step = u64::from(self.cfg.batch_size) * self.cfg.instance_count() as u64;
        self.run_slice(per_step, 1).map(|_| ())
    }

    #[cfg(feature = "parallel")]
    fn run_whole_step(&mut self) -> Result<(), TrainError> {
        use rayon::prelude::*;
        let per = self.cfg.params_per_instance();
        let scalars = self.scalars();
        let cfg = &self.cfg;
        let step = self.state.step;
        let batch = cfg.batch_size;
        self.state
            .params
            .par_chunks_mut(per)
            .zip(self.state.adam_m.par_chunks_mut(per))
            .zip(self.state.adam_v.par_chunks_mut(per))
            .zip(self.step_losses.par_iter_mut())
            .enumerate()
            .for_each_init(
                || Work::new(cfg),
                |work, (i, (((params, m), v), loss))| {
                    work.grad.fill(0.0);
                    *loss = instance_samples(cfg, step, i, params, 0, batch, work);
                    apply_adam(params, m, v, &work.grad, &scalars);
                },
            );
        self.cursor_instance = self.cfg.instance_count();
        self.finish_step()
    }
}

/// Forward and backward passes of samples `from .. from + count` of instance `i`, adding
/// their gradients to `work.grad`; returns their share of the loss.
fn instance_samples(
    cfg: &TmsConfig,
    step: u32,
    i: usize,
    params: &[f32],
    from: u32,
    count: u32,
    work: &mut Work,
) -> f32 {
    dense::instance_samples(
        cfg,
        step,
        i,
        params,
        from,
        count,
        &mut work.dense,
        &mut work.grad,
    )
}

/// The first instance whose parameters (`[I, per]`) contain a NaN or an infinity.
pub fn first_non_finite_instance(params: &[f32], per: usize) -> Option<usize> {
    params
        .iter()
        .position(|p| !p.is_finite())
        .map(|i| i / per.max(1))
}

fn apply_adam(params: &mut [f32], m: &mut [f32], v: &mut [f32], grad: &[f32], s: &StepScalars) {
    for (((p, mk), vk), gk) in params.iter_mut().zip(m).zip(v).zip(grad) {
        *p = adam_update(*p, *gk, mk, vk, s);
    }
}
