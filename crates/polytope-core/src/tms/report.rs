//! The machine-readable summary of a run: what `polytope tms --json` prints and what
//! `window.polytope.state()` reports per instance. Field names are a public interface.

use serde::{Deserialize, Serialize};

use super::config::TmsConfig;
use super::metrics::instance_metrics;
use super::train::TrainState;

/// One instance: its settings, its loss and what it learned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceReport {
    /// Per-feature probability of being present.
    pub feature_probability: Vec<f32>,
    pub importance: Vec<f32>,
    /// Loss at the last step trained (`null` before the first step).
    pub loss: Option<f32>,
    pub norms: Vec<f32>,
    pub superposition: Vec<f32>,
    /// `D_i` per feature.
    pub dimensionality: Vec<f32>,
    /// `D* = m / ||W||_F^2`.
    pub dims_per_feature: f32,
    /// `W` row-major: `n_hidden` rows of `n_features` (for the abs model, `W1`).
    pub w: Vec<f32>,
    /// The abs model's `W2` transposed, laid out like `w`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub w2_transposed: Option<Vec<f32>>,
    pub b: Vec<f32>,
}

/// A whole run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub preset: Option<String>,
    pub model: String,
    pub correlation: String,
    pub n_features: u32,
    pub n_hidden: u32,
    /// Steps trained so far.
    pub steps: u32,
    pub seed: u32,
    pub batch_size: u32,
    pub optimizer: String,
    pub learning_rate: f64,
    pub backend: String,
    pub instances: Vec<InstanceReport>,
}

impl RunReport {
    /// Builds the report of `state`; `last_losses` holds the loss of each instance at the last
    /// step trained (empty before the first step).
    pub fn new(
        cfg: &TmsConfig,
        preset: Option<&str>,
        backend: &str,
        state: &TrainState,
        last_losses: &[f32],
    ) -> Self {
        let (n, m) = (cfg.n(), cfg.m());
        let per = cfg.params_per_instance();
        let instances = cfg
            .instances
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let p = &state.params[i * per..(i + 1) * per];
                let w = &p[..m * n];
                let met = instance_metrics(w, m, n);
                InstanceReport {
                    feature_probability: spec.feature_probability.clone(),
                    importance: spec.importance.clone(),
                    loss: last_losses.get(i).copied(),
                    norms: met.norms,
                    superposition: met.superposition,
                    dimensionality: met.dimensionality,
                    dims_per_feature: met.dims_per_feature,
                    w: w.to_vec(),
                    w2_transposed: cfg.model.untied().then(|| p[m * n..2 * m * n].to_vec()),
                    b: p[per - n..].to_vec(),
                }
            })
            .collect();
        Self {
            preset: preset.map(str::to_owned),
            model: cfg.model.name().to_owned(),
            correlation: cfg.correlation.name().to_owned(),
            n_features: cfg.n_features,
            n_hidden: cfg.n_hidden,
            steps: state.step,
            seed: cfg.seed,
            batch_size: cfg.batch_size,
            optimizer: cfg.optimizer.kind.name().to_owned(),
            learning_rate: cfg.optimizer.learning_rate,
            backend: backend.to_owned(),
            instances,
        }
    }
}
