//! The CPU reference trainer for sparse autoencoders.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::config::{SaeConfig, SaeConfigError};
use super::metrics::{density_histogram, mmcs, normalized_rows};
use super::model::{Forward, Layout, SaeParams, forward_backward, reconstruct};
use super::source::ActivationSource;
use crate::optim::{OptimizerConfig, OptimizerKind, StepScalars, adam_update};
use crate::rng::HostRng;

/// Batches used for calibration and evaluation come from step numbers training never reaches.
const CALIBRATION_STEP: u32 = u32::MAX - 64;
const EVAL_STEP: u32 = u32::MAX - 32;

/// Why an SAE run stopped.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum SaeTrainError {
    #[error("invalid settings: {0}")]
    Config(#[from] SaeConfigError),
    #[error("the data has {data} values per row but the dictionary expects d_in = {config}")]
    DimensionMismatch { data: usize, config: usize },
    #[error("training diverged: the loss is not finite at step {step}; lower the learning rate")]
    Diverged { step: u32 },
    #[error(
        "the state has {params} parameters and {latents} latents; the configuration needs {expected_params} and {expected_latents}"
    )]
    StateMismatch {
        params: usize,
        latents: usize,
        expected_params: usize,
        expected_latents: usize,
    },
}

/// Everything needed to continue a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SaeState {
    pub step: u32,
    pub params: Vec<f32>,
    pub adam_m: Vec<f32>,
    pub adam_v: Vec<f32>,
    /// The step at which each latent last fired.
    pub last_fired: Vec<u32>,
    /// Firing counts of each latent over the current window, and inputs seen in it.
    pub window_fired: Vec<u64>,
    pub window_inputs: u64,
    /// The last complete window's densities (empty before the first window completes).
    pub densities: Vec<f64>,
    /// Inputs are multiplied by this before training (1 unless the variant scales them).
    pub input_scale: f32,
}

impl SaeState {
    /// Whether latent `i` has not fired for `window` steps (the dead-latent rule of every
    /// variant, of the GPU's firing kernel and of the lab's plots).
    pub fn is_dead(&self, i: usize, window: u32) -> bool {
        self.step.saturating_sub(self.last_fired[i]) >= window
    }

    /// Whether the state's sizes are those of `cfg` (a checkpoint of another run is refused).
    pub fn check_matches(&self, cfg: &SaeConfig) -> Result<(), SaeTrainError> {
        let (p, s) = (cfg.param_count(), cfg.s());
        let sizes_match = self.params.len() == p
            && self.adam_m.len() == p
            && self.adam_v.len() == p
            && self.last_fired.len() == s
            && self.window_fired.len() == s
            && (self.densities.is_empty() || self.densities.len() == s);
        if sizes_match {
            Ok(())
        } else {
            Err(SaeTrainError::StateMismatch {
                params: self.params.len(),
                latents: self.last_fired.len(),
                expected_params: p,
                expected_latents: s,
            })
        }
    }
}

/// One step's numbers.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepStats {
    pub step: u32,
    pub loss: f32,
    pub recon: f32,
    pub sparsity: f32,
    pub aux: f32,
    pub mse: f32,
    pub explained_variance: f32,
    pub l0: f32,
    pub l1: f32,
    pub dead_fraction: f32,
}

/// A view of a run with the steps since the previous snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct SaeSnapshot {
    pub state: SaeState,
    pub stats: Vec<StepStats>,
    /// `(step, latents resampled)` since the previous snapshot.
    pub resamples: Vec<(u32, u32)>,
}

/// The evaluation of a dictionary on held-out batches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SaeEval {
    /// Mean squared error per element, in the data's own units.
    pub mse: f32,
    /// Squared error over the variance of the data.
    pub nmse: f32,
    pub explained_variance: f32,
    pub l0: f32,
    pub l1: f32,
    pub dead_fraction: f32,
    /// Latents that never fired in the evaluation batches nor the last window.
    pub dead: u32,
    pub density_histogram: Vec<u32>,
    pub mmcs: Option<f32>,
    pub mmcs_reverse: Option<f32>,
}

/// The point minimising the summed distance to the rows of `x` (Weiszfeld's iterations).
pub fn geometric_median(x: &[f32], dim: usize, iterations: usize) -> Vec<f32> {
    let rows = x.len() / dim;
    let mut y: Vec<f64> = vec![0.0; dim];
    for row in x.chunks(dim) {
        for (a, b) in y.iter_mut().zip(row) {
            *a += f64::from(*b) / rows as f64;
        }
    }
    for _ in 0..iterations {
        let mut num = vec![0.0f64; dim];
        let mut den = 0.0f64;
        for row in x.chunks(dim) {
            let dist = row
                .iter()
                .zip(&y)
                .map(|(a, b)| (f64::from(*a) - b).powi(2))
                .sum::<f64>()
                .sqrt();
            let w = 1.0 / dist.max(1e-8);
            den += w;
            for (n, a) in num.iter_mut().zip(row) {
                *n += w * f64::from(*a);
            }
        }
        for (a, n) in y.iter_mut().zip(&num) {
            *a = n / den;
        }
    }
    y.iter().map(|v| *v as f32).collect()
}

/// Trains a dictionary on the CPU.
pub struct SaeTrainer {
    cfg: SaeConfig,
    source: Box<dyn ActivationSource>,
    state: SaeState,
    batch: Vec<f32>,
    grad: Vec<f32>,
    /// The dead mask of the current step (reused between steps).
    dead: Vec<bool>,
    history: Vec<StepStats>,
    resamples: Vec<(u32, u32)>,
}

impl SaeTrainer {
    pub fn new(cfg: SaeConfig, source: Box<dyn ActivationSource>) -> Result<Self, SaeTrainError> {
        let state = Self::initial_state(&cfg, source)?;
        Self::from_parts(cfg, state.1, state.0)
    }

    /// The initial state of `cfg` on `source` (calibrates the input scale and `b_dec`).
    pub fn initial_state(
        cfg: &SaeConfig,
        mut source: Box<dyn ActivationSource>,
    ) -> Result<(SaeState, Box<dyn ActivationSource>), SaeTrainError> {
        cfg.validate()?;
        if source.d_in() != cfg.n() {
            return Err(SaeTrainError::DimensionMismatch {
                data: source.d_in(),
                config: cfg.n(),
            });
        }
        let n = cfg.n();
        let rows = 2048usize;
        let mut sample = vec![0.0f32; rows * n];
        source.fill(CALIBRATION_STEP, &mut sample);
        let input_scale = if cfg.variant.scales_input() {
            let mean_norm = sample
                .chunks(n)
                .map(|r| r.iter().map(|v| v * v).sum::<f32>().sqrt())
                .sum::<f32>()
                / rows as f32;
            ((n as f32).sqrt() / mean_norm.max(1e-12)).min(1e6)
        } else {
            1.0
        };
        for v in &mut sample {
            *v *= input_scale;
        }
        let b_dec = if cfg.variant.pre_bias() {
            geometric_median(&sample, n, 30)
        } else {
            geometric_median(&sample, n, 0) // the mean
        };
        let params = SaeParams::init(cfg, &b_dec);
        let len = params.data.len();
        let s = cfg.s();
        Ok((
            SaeState {
                step: 0,
                params: params.data,
                adam_m: vec![0.0; len],
                adam_v: vec![0.0; len],
                last_fired: vec![0; s],
                window_fired: vec![0; s],
                window_inputs: 0,
                densities: Vec::new(),
                input_scale,
            },
            source,
        ))
    }

    /// Continues from a saved state (for example a GPU snapshot).
    pub fn from_parts(
        cfg: SaeConfig,
        source: Box<dyn ActivationSource>,
        state: SaeState,
    ) -> Result<Self, SaeTrainError> {
        cfg.validate()?;
        if source.d_in() != cfg.n() {
            return Err(SaeTrainError::DimensionMismatch {
                data: source.d_in(),
                config: cfg.n(),
            });
        }
        state.check_matches(&cfg)?;
        let len = state.params.len();
        Ok(Self {
            batch: vec![0.0; cfg.batch as usize * cfg.n()],
            grad: vec![0.0; len],
            dead: Vec::new(),
            history: Vec::new(),
            resamples: Vec::new(),
            cfg,
            source,
            state,
        })
    }

    pub fn config(&self) -> &SaeConfig {
        &self.cfg
    }

    pub fn state(&self) -> &SaeState {
        &self.state
    }

    /// Replaces the state (for example with one read back from the GPU).
    pub fn set_state(&mut self, state: SaeState) {
        self.state = state;
    }

    /// The batch last filled by [`Self::fill_batch`], scaled.
    pub fn batch(&self) -> &[f32] {
        &self.batch
    }

    pub fn source(&self) -> &dyn ActivationSource {
        self.source.as_ref()
    }

    pub fn source_mut(&mut self) -> &mut dyn ActivationSource {
        self.source.as_mut()
    }

    /// Gives the data source back (to resume on another backend).
    pub fn into_parts(self) -> (SaeState, Box<dyn ActivationSource>) {
        (self.state, self.source)
    }

    pub fn run_steps(&mut self, steps: u32) -> Result<(), SaeTrainError> {
        for _ in 0..steps {
            self.step()?;
        }
        Ok(())
    }

    pub fn snapshot(&mut self) -> SaeSnapshot {
        SaeSnapshot {
            state: self.state.clone(),
            stats: std::mem::take(&mut self.history),
            resamples: std::mem::take(&mut self.resamples),
        }
    }

    /// The batch of `step`, scaled.
    pub fn fill_batch(&mut self, step: u32) {
        self.source.fill(step, &mut self.batch);
        let scale = self.state.input_scale;
        if scale != 1.0 {
            for v in &mut self.batch {
                *v *= scale;
            }
        }
    }

    /// Latents that have not fired within the dead window.
    pub fn dead_mask(&self) -> Vec<bool> {
        (0..self.state.last_fired.len())
            .map(|i| self.state.is_dead(i, self.cfg.dead_window))
            .collect()
    }

    fn step(&mut self) -> Result<(), SaeTrainError> {
        let step = self.state.step;
        self.fill_batch(step);
        let window = self.cfg.dead_window;
        let state = &self.state;
        self.dead.clear();
        self.dead
            .extend((0..state.last_fired.len()).map(|i| state.is_dead(i, window)));
        let fwd = forward_backward(
            &self.cfg,
            &self.state.params,
            &self.batch,
            step,
            &self.dead,
            &mut self.grad,
        );
        if !fwd.loss().is_finite() || !all_finite(&self.grad) {
            return Err(SaeTrainError::Diverged { step });
        }
        let scalars = step_scalars(&self.cfg, step);
        apply_update(&self.cfg, &mut self.state, &mut self.grad, &scalars);
        self.after_step(&fwd, step);
        Ok(())
    }

    /// Bookkeeping shared with the GPU trainer's snapshots: firing, densities, history.
    fn after_step(&mut self, fwd: &Forward, step: u32) {
        record_firing(
            &mut self.state,
            &fwd.fired,
            self.cfg.batch,
            step,
            self.cfg.dead_window,
        );
        let s = self.state.last_fired.len();
        let dead = (0..s)
            .filter(|i| self.state.is_dead(*i, self.cfg.dead_window))
            .count();
        let dead_fraction = dead as f32 / s.max(1) as f32;
        self.history.push(StepStats {
            step,
            loss: fwd.loss(),
            recon: fwd.recon,
            sparsity: fwd.sparsity,
            aux: fwd.aux,
            mse: fwd.mse / (self.state.input_scale * self.state.input_scale),
            explained_variance: (1.0 - fwd.residual_sq / fwd.total_sq.max(1e-30)) as f32,
            l0: fwd.l0,
            l1: fwd.l1,
            dead_fraction,
        });
        self.state.step = step + 1;
        if self.cfg.resample_at.contains(&self.state.step) {
            let count = self.resample();
            self.resamples.push((self.state.step, count));
        }
    }

    /// Anthropic's resampling: dead latents get the directions of inputs the dictionary
    /// reconstructs badly (sampled with probability proportional to the squared loss).
    /// Returns how many latents were resampled.
    pub fn resample(&mut self) -> u32 {
        let dead: Vec<usize> = self
            .dead_mask()
            .iter()
            .enumerate()
            .filter(|(_, d)| **d)
            .map(|(i, _)| i)
            .collect();
        if dead.is_empty() {
            return 0;
        }
        let n = self.cfg.n();
        let s = self.cfg.s();
        let l = Layout::new(&self.cfg);
        // A pool of inputs and their losses.
        let pool_batches = 8u32;
        let mut pool = Vec::with_capacity(pool_batches as usize * self.batch.len());
        for k in 0..pool_batches {
            self.fill_batch(CALIBRATION_STEP - 1 - k - self.state.step % 1024);
            pool.extend_from_slice(&self.batch);
        }
        // One batch at a time: the encoder's [B, d_sae] activations of the whole pool would be
        // eight times a step's.
        let mut weights: Vec<f64> = Vec::with_capacity(pool.len() / n);
        for batch in pool.chunks(self.batch.len()) {
            let x_hat = reconstruct(&self.cfg, &self.state.params, batch);
            weights.extend(batch.chunks(n).zip(x_hat.chunks(n)).map(|(x, y)| {
                let loss: f64 = x.iter().zip(y).map(|(a, b)| f64::from(a - b).powi(2)).sum();
                loss * loss
            }));
        }
        let total: f64 = weights.iter().sum();
        let b_dec = self.state.params[l.b_dec..l.b_dec + n].to_vec();
        let alive_norm = {
            let alive: Vec<usize> = (0..s).filter(|i| !dead.contains(i)).collect();
            if alive.is_empty() {
                1.0
            } else {
                alive
                    .iter()
                    .map(|i| {
                        (0..n)
                            .map(|k| self.state.params[l.w_enc + k * s + i].powi(2))
                            .sum::<f32>()
                            .sqrt()
                    })
                    .sum::<f32>()
                    / alive.len() as f32
            }
        };
        let mut rng = HostRng::new(self.cfg.seed, 0x2E5A_0000 ^ self.state.step);
        for i in &dead {
            // Sample an input by squared loss.
            let mut target = rng.next_unit() * total;
            let mut pick = 0;
            for (r, w) in weights.iter().enumerate() {
                pick = r;
                if target < *w {
                    break;
                }
                target -= w;
            }
            let x = &pool[pick * n..(pick + 1) * n];
            let mut dir: Vec<f32> = x.iter().zip(&b_dec).map(|(a, b)| a - b).collect();
            let norm = dir.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
            for v in &mut dir {
                *v /= norm;
            }
            let p = &mut self.state.params;
            for k in 0..n {
                p[l.w_dec + i * n + k] = dir[k];
                p[l.w_enc + k * s + i] = dir[k] * 0.2 * alive_norm;
            }
            p[l.b_enc + i] = 0.0;
            for idx in (0..n)
                .map(|k| l.w_dec + i * n + k)
                .chain((0..n).map(|k| l.w_enc + k * s + i))
                .chain([l.b_enc + *i])
            {
                self.state.adam_m[idx] = 0.0;
                self.state.adam_v[idx] = 0.0;
            }
            self.state.last_fired[*i] = self.state.step;
        }
        dead.len() as u32
    }

    /// Evaluates on `batches` held-out batches.
    pub fn evaluate(&mut self, batches: u32) -> SaeEval {
        let n = self.cfg.n();
        let s = self.cfg.s();
        let mut fired_any = vec![false; s];
        let (mut residual, mut total, mut elements) = (0.0f64, 0.0f64, 0usize);
        let (mut l0, mut l1) = (0.0f32, 0.0f32);
        let mut scratch = vec![0.0f32; self.state.params.len()];
        for k in 0..batches {
            self.fill_batch(EVAL_STEP - k);
            let fwd = forward_backward(
                &self.cfg,
                &self.state.params,
                &self.batch,
                self.cfg.steps,
                &[],
                &mut scratch,
            );
            residual += fwd.residual_sq;
            total += fwd.total_sq;
            elements += self.batch.len();
            l0 += fwd.l0 / batches as f32;
            l1 += fwd.l1 / batches as f32;
            for (f, c) in fired_any.iter_mut().zip(&fwd.fired) {
                *f |= *c > 0;
            }
        }
        let scale_sq = f64::from(self.state.input_scale).powi(2);
        let densities = if self.state.densities.is_empty() {
            window_densities(&self.state)
        } else {
            self.state.densities.clone()
        };
        let dead = (0..s)
            .filter(|i| !fired_any[*i] && densities.get(*i).is_none_or(|d| *d == 0.0))
            .count() as u32;
        let (mmcs_fwd, mmcs_rev) = match self.source.ground_truth() {
            Some(truth) if !truth.is_empty() => {
                let learned = normalized_rows(
                    &self.state.params[Layout::new(&self.cfg).w_dec..][..s * n],
                    n,
                );
                (
                    Some(mmcs(truth, &learned, n)),
                    Some(mmcs(&learned, truth, n)),
                )
            }
            _ => (None, None),
        };
        SaeEval {
            mse: (residual / elements.max(1) as f64 / scale_sq) as f32,
            nmse: (residual / total.max(1e-30)) as f32,
            explained_variance: (1.0 - residual / total.max(1e-30)) as f32,
            l0,
            l1,
            dead_fraction: dead as f32 / s as f32,
            dead,
            density_histogram: density_histogram(&densities),
            mmcs: mmcs_fwd,
            mmcs_reverse: mmcs_rev,
        }
    }
}

/// Whether every value is finite (in blocks, so that the test vectorises; on the rayon
/// pool's threads where the crate has them).
fn all_finite(values: &[f32]) -> bool {
    let block = |c: &[f32]| c.iter().fold(true, |ok, v| ok & v.is_finite());
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        values.par_chunks(1 << 14).all(block)
    }
    #[cfg(not(feature = "parallel"))]
    values.chunks(1 << 14).all(block)
}

/// Densities of the current (incomplete) window.
fn window_densities(state: &SaeState) -> Vec<f64> {
    let inputs = state.window_inputs.max(1) as f64;
    state
        .window_fired
        .iter()
        .map(|c| *c as f64 / inputs)
        .collect()
}

/// Updates firing steps and the density window after a step of `batch` inputs.
pub fn record_firing(state: &mut SaeState, fired: &[u32], batch: u32, step: u32, window: u32) {
    for (i, c) in fired.iter().enumerate() {
        if *c > 0 {
            state.last_fired[i] = step + 1;
        }
        state.window_fired[i] += u64::from(*c);
    }
    state.window_inputs += u64::from(batch);
    if (step + 1).is_multiple_of(window.max(1)) {
        state.densities = window_densities(state);
        state.window_fired.fill(0);
        state.window_inputs = 0;
    }
}

/// The optimizer scalars of `step` (Adam, the run's warm-up and decay).
pub fn step_scalars(cfg: &SaeConfig, step: u32) -> StepScalars {
    OptimizerConfig {
        kind: OptimizerKind::Adam,
        learning_rate: cfg.learning_rate_at(step),
        ..OptimizerConfig::default()
    }
    .scalars(step, cfg.steps)
}

/// The update of one step: the decoder's parallel gradient removed (unit-norm variants), Adam,
/// and the decoder rows renormalised. The CPU twin of the SAE update kernels. `grad` is the
/// step's scratch gradient: the parallel components are removed from it in place.
pub fn apply_update(
    cfg: &SaeConfig,
    state: &mut SaeState,
    grad: &mut [f32],
    scalars: &StepScalars,
) {
    let l = Layout::new(cfg);
    let n = l.n;
    let unit = cfg.variant.unit_decoder();
    let (params, m, v) = (&mut state.params, &mut state.adam_m, &mut state.adam_v);
    // The decoder rows (one chunk each, for their projection and norm), then the rest.
    let (p_head, p_rest) = params.split_at_mut(l.w_dec);
    let (p_dec, p_tail) = p_rest.split_at_mut(l.b_dec - l.w_dec);
    let (m_head, m_rest) = m.split_at_mut(l.w_dec);
    let (m_dec, m_tail) = m_rest.split_at_mut(l.b_dec - l.w_dec);
    let (v_head, v_rest) = v.split_at_mut(l.w_dec);
    let (v_dec, v_tail) = v_rest.split_at_mut(l.b_dec - l.w_dec);
    let (g_head, g_rest) = grad.split_at_mut(l.w_dec);
    let (g_dec, g_tail) = g_rest.split_at_mut(l.b_dec - l.w_dec);
    let decoder_row = |w: &mut [f32], m: &mut [f32], v: &mut [f32], g: &mut [f32]| {
        if unit {
            // Remove the component along the (unit) row: the norm constraint's tangent space.
            let along: f32 = super::sparse::dot(w, g);
            for (gk, wk) in g.iter_mut().zip(w.iter()) {
                *gk -= along * wk;
            }
        }
        adam_slice(w, m, v, g, scalars);
        if unit {
            let norm = super::sparse::dot(w, w).sqrt().max(1e-12);
            for x in w {
                *x /= norm;
            }
        }
    };
    let plain = |w: &mut [f32], m: &mut [f32], v: &mut [f32], g: &mut [f32]| {
        adam_slice(w, m, v, g, scalars);
    };
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        let rows = n.max(1);
        p_dec
            .par_chunks_mut(rows)
            .zip(m_dec.par_chunks_mut(rows))
            .zip(v_dec.par_chunks_mut(rows))
            .zip(g_dec.par_chunks_mut(rows))
            .for_each(|(((w, m), v), g)| decoder_row(w, m, v, g));
        for (w, m, v, g) in [
            (p_head, m_head, v_head, g_head),
            (p_tail, m_tail, v_tail, g_tail),
        ] {
            w.par_chunks_mut(CHUNK)
                .zip(m.par_chunks_mut(CHUNK))
                .zip(v.par_chunks_mut(CHUNK))
                .zip(g.par_chunks_mut(CHUNK))
                .for_each(|(((w, m), v), g)| plain(w, m, v, g));
        }
    }
    #[cfg(not(feature = "parallel"))]
    {
        let rows = n.max(1);
        for (((w, m), v), g) in p_dec
            .chunks_mut(rows)
            .zip(m_dec.chunks_mut(rows))
            .zip(v_dec.chunks_mut(rows))
            .zip(g_dec.chunks_mut(rows))
        {
            decoder_row(w, m, v, g);
        }
        plain(p_head, m_head, v_head, g_head);
        plain(p_tail, m_tail, v_tail, g_tail);
    }
}

/// Parameters per task when the update runs on several threads.
#[cfg(feature = "parallel")]
const CHUNK: usize = 1 << 14;

/// Adam over a slice of parameters.
fn adam_slice(w: &mut [f32], m: &mut [f32], v: &mut [f32], g: &[f32], scalars: &StepScalars) {
    for (((p, m), v), gk) in w.iter_mut().zip(m).zip(v).zip(g) {
        *p = adam_update(*p, *gk, m, v, scalars);
    }
}
