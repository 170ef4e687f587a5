//! Where activations come from: synthetic data with known features, the hidden layer of a
//! trained toy model, or an activation file.

use std::sync::Arc;

use ndarray::ArrayView2;
use ndarray::linalg::general_mat_mul;
use serde::{Deserialize, Serialize};

use super::file::ActivationFile;
use crate::rng::{HostRng, lane_u32, pcg, sample_key};
use crate::tms::{Correlation, RowSampler, TmsConfig, TrainState, feature_value};

/// A stream of batches of activation vectors.
pub trait ActivationSource {
    fn d_in(&self) -> usize;
    /// Fills `out` (`[batch, d_in]`, row-major) with the batch of `step`; the same step always
    /// gives the same batch.
    fn fill(&mut self, step: u32, out: &mut [f32]);
    /// Unit directions of the features behind the data (`[n_true, d_in]`), when known.
    fn ground_truth(&self) -> Option<&[f32]>;
    /// A short description for reports.
    fn describe(&self) -> String;
}

/// Synthetic data: `n_true` random unit directions, each present with its own probability
/// (log-spaced from `p_max` to `p_min`), with magnitude `U[0, 1]`, summed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyntheticSpec {
    pub d_in: u32,
    pub n_true: u32,
    pub p_max: f32,
    pub p_min: f32,
    /// Sets of features that fire together (correlated) or exclusively (anticorrelated).
    pub correlation: Correlation,
    pub seed: u32,
}

impl SyntheticSpec {
    /// A test-friendly default: `n_true` features in `d_in` dimensions, about four active
    /// per input.
    pub fn default_for(d_in: u32, n_true: u32) -> Self {
        Self {
            d_in,
            n_true,
            p_max: (8.0 / n_true as f32).min(1.0),
            p_min: (1.0 / n_true as f32).min(1.0),
            correlation: Correlation::Independent,
            seed: 0,
        }
    }
}

pub struct SyntheticSource {
    spec: SyntheticSpec,
    directions: Vec<f32>,
    probability: Vec<f32>,
    sampler: RowSampler,
    coefficients: Vec<f32>,
}

/// `count` random unit vectors in `dim` dimensions, row-major.
fn random_directions(count: usize, dim: usize, seed: u32, stream: u32) -> Vec<f32> {
    let mut rng = HostRng::new(seed, stream);
    let mut out = vec![0.0f32; count * dim];
    for row in out.chunks_mut(dim) {
        let mut norm = 0.0f64;
        for v in row.iter_mut() {
            let g = rng.next_normal();
            *v = g as f32;
            norm += g * g;
        }
        let inv = 1.0 / norm.sqrt().max(1e-12);
        for v in row.iter_mut() {
            *v = (f64::from(*v) * inv) as f32;
        }
    }
    out
}

impl SyntheticSource {
    pub fn new(spec: SyntheticSpec) -> Self {
        let n = spec.n_true as usize;
        let directions = random_directions(n, spec.d_in as usize, spec.seed, 0x5AE0_0001);
        let probability: Vec<f32> = (0..n)
            .map(|j| {
                let frac = if n > 1 {
                    j as f32 / (n - 1) as f32
                } else {
                    0.0
                };
                spec.p_max * (spec.p_min / spec.p_max).powf(frac)
            })
            .collect();
        let sampler = RowSampler::new(&probability, false);
        Self {
            spec,
            directions,
            probability,
            sampler,
            coefficients: Vec::new(),
        }
    }

    pub fn spec(&self) -> &SyntheticSpec {
        &self.spec
    }

    /// The probability of each true feature.
    pub fn probabilities(&self) -> &[f32] {
        &self.probability
    }
}

impl ActivationSource for SyntheticSource {
    fn d_in(&self) -> usize {
        self.spec.d_in as usize
    }

    fn fill(&mut self, step: u32, out: &mut [f32]) {
        let (d, n) = (self.spec.d_in as usize, self.spec.n_true as usize);
        let batch = out.len() / d;
        self.coefficients.resize(batch * n, 0.0);
        for (s, row) in self.coefficients.chunks_mut(n).enumerate() {
            let key = sample_key(self.spec.seed ^ 0x5AE5_EED5, step, 0, s as u32);
            if self.spec.correlation == Correlation::Independent {
                self.sampler.row(key, row);
            } else {
                for (j, a) in row.iter_mut().enumerate() {
                    *a = feature_value(
                        key,
                        j as u32,
                        n as u32,
                        &self.probability,
                        self.spec.correlation,
                        false,
                    );
                }
            }
        }
        // x = coefficients · directions. The coefficients are mostly zeros (a few features
        // present per input), so a row is the sum of its present features' directions;
        // a dense product only pays when a quarter or more are present.
        let present = self.coefficients.iter().filter(|a| **a != 0.0).count();
        if present * 4 < self.coefficients.len() {
            for (x, a) in out
                .chunks_exact_mut(d)
                .zip(self.coefficients.chunks_exact(n))
            {
                x.fill(0.0);
                for (j, a) in a.iter().enumerate().filter(|(_, a)| **a != 0.0) {
                    for (xk, tk) in x.iter_mut().zip(&self.directions[j * d..(j + 1) * d]) {
                        *xk += a * tk;
                    }
                }
            }
            return;
        }
        let a = ArrayView2::from_shape((batch, n), &self.coefficients).expect("shape");
        let t = ArrayView2::from_shape((n, d), &self.directions).expect("shape");
        let mut x = ndarray::ArrayViewMut2::from_shape((batch, d), out).expect("shape");
        general_mat_mul(1.0, &a, &t, 0.0, &mut x);
    }

    fn ground_truth(&self) -> Option<&[f32]> {
        Some(&self.directions)
    }

    fn describe(&self) -> String {
        format!(
            "synthetic: {} features in {} dimensions, densities {} .. {}",
            self.spec.n_true, self.spec.d_in, self.spec.p_max, self.spec.p_min
        )
    }
}

/// The hidden activations `h = W x` of one instance of a trained toy model, on the toy model's
/// own data; the ground truth is the directions `W_i` of its represented features.
pub struct ToySource {
    cfg: TmsConfig,
    instance: usize,
    /// `W` of the instance, `[m, n]`.
    w: Vec<f32>,
    truth: Vec<f32>,
    seed: u32,
    x: Vec<f32>,
}

impl ToySource {
    /// Activations of `instance` of a run at `state`; features with `||W_i|| > 0.5` are the
    /// ground truth.
    pub fn new(cfg: &TmsConfig, state: &TrainState, instance: usize, seed: u32) -> Self {
        let (n, m) = (cfg.n(), cfg.m());
        let per = cfg.params_per_instance();
        let w = state.params[instance * per..instance * per + m * n].to_vec();
        let mut truth = Vec::new();
        for j in 0..n {
            let col: Vec<f32> = (0..m).map(|k| w[k * n + j]).collect();
            let norm = col.iter().map(|v| v * v).sum::<f32>().sqrt();
            if norm > crate::tms::REPRESENTED_NORM {
                truth.extend(col.iter().map(|v| v / norm));
            }
        }
        Self {
            cfg: cfg.clone(),
            instance,
            w,
            truth,
            seed,
            x: vec![0.0; n],
        }
    }

    /// `W` of the toy model, `[m, n]`.
    pub fn weights(&self) -> &[f32] {
        &self.w
    }
}

impl ActivationSource for ToySource {
    fn d_in(&self) -> usize {
        self.cfg.m()
    }

    fn fill(&mut self, step: u32, out: &mut [f32]) {
        let (n, m) = (self.cfg.n(), self.cfg.m());
        let spec = &self.cfg.instances[self.instance];
        let signed = self.cfg.model == crate::tms::ModelKind::Abs;
        for (s, h) in out.chunks_mut(m).enumerate() {
            let key = sample_key(
                self.seed ^ 0x70E5_EED5,
                step,
                self.instance as u32,
                s as u32,
            );
            crate::tms::sample_features(
                key,
                &spec.feature_probability,
                self.cfg.correlation,
                signed,
                &mut self.x,
            );
            for (k, hk) in h.iter_mut().enumerate() {
                *hk = self.w[k * n..(k + 1) * n]
                    .iter()
                    .zip(&self.x)
                    .map(|(a, b)| a * b)
                    .sum();
            }
        }
    }

    fn ground_truth(&self) -> Option<&[f32]> {
        Some(&self.truth)
    }

    fn describe(&self) -> String {
        format!(
            "toy model: hidden layer ({} dimensions) of instance {} ({} features)",
            self.cfg.m(),
            self.instance,
            self.cfg.n()
        )
    }
}

/// Rows of an activation file, drawn at random (a pure function of the seed and the step).
pub struct FileSource {
    file: Arc<ActivationFile>,
    seed: u32,
    label: String,
    description: Option<String>,
}

impl FileSource {
    pub fn new(file: ActivationFile, seed: u32, label: impl Into<String>) -> Self {
        Self::shared(Arc::new(file), seed, label)
    }

    /// Over rows kept elsewhere too (the lab's language-model activations, computed once and
    /// reused by every run), without copying them.
    pub fn shared(file: Arc<ActivationFile>, seed: u32, label: impl Into<String>) -> Self {
        Self {
            file,
            seed,
            label: label.into(),
            description: None,
        }
    }

    /// Replaces the description reports show.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    pub fn file(&self) -> &ActivationFile {
        &self.file
    }
}

impl ActivationSource for FileSource {
    fn d_in(&self) -> usize {
        self.file.d_in
    }

    fn fill(&mut self, step: u32, out: &mut [f32]) {
        let d = self.file.d_in;
        let key = pcg(self.seed ^ 0xF11E_5EED) ^ pcg(step);
        for (s, row) in out.chunks_mut(d).enumerate() {
            let r = ((u64::from(lane_u32(key, s as u32)) * self.file.count as u64) >> 32) as usize;
            row.copy_from_slice(&self.file.data[r * d..(r + 1) * d]);
        }
    }

    fn ground_truth(&self) -> Option<&[f32]> {
        None
    }

    fn describe(&self) -> String {
        self.description.clone().unwrap_or_else(|| {
            format!(
                "file {}: {} rows of {} values",
                self.label, self.file.count, self.file.d_in
            )
        })
    }
}
