//! The summary of an SAE run: what `polytope sae --json` prints. Field names are a public
//! interface.

use serde::{Deserialize, Serialize};

use super::config::SaeConfig;
use super::metrics::DENSITY_BINS;
use super::train::SaeEval;

/// The density histogram with its bin edges.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DensityHistogram {
    /// Lower edges of the bins in `log10(density)`.
    pub log10_lower_edges: Vec<f32>,
    /// Latents per bin.
    pub counts: Vec<u32>,
    /// Latents that never fired.
    pub dead: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SaeReport {
    pub variant: String,
    pub source: String,
    pub d_in: u32,
    pub d_sae: u32,
    pub steps: u32,
    pub seed: u32,
    pub backend: String,
    pub mse: f32,
    pub nmse: f32,
    pub explained_variance: f32,
    pub l0: f32,
    pub l1: f32,
    pub dead_fraction: f32,
    /// Mean over true features of the best cosine with a learned decoder direction.
    pub mmcs: Option<f32>,
    /// Mean over learned latents of the best cosine with a true feature.
    pub mmcs_reverse: Option<f32>,
    pub density_histogram: DensityHistogram,
    /// `(step, latents)` of each resampling.
    pub resamples: Vec<(u32, u32)>,
}

impl SaeReport {
    pub fn new(
        cfg: &SaeConfig,
        source: &str,
        backend: &str,
        steps: u32,
        eval: &SaeEval,
        resamples: Vec<(u32, u32)>,
    ) -> Self {
        Self {
            variant: cfg.variant.name().into(),
            source: source.into(),
            d_in: cfg.d_in,
            d_sae: cfg.d_sae,
            steps,
            seed: cfg.seed,
            backend: backend.into(),
            mse: eval.mse,
            nmse: eval.nmse,
            explained_variance: eval.explained_variance,
            l0: eval.l0,
            l1: eval.l1,
            dead_fraction: eval.dead_fraction,
            mmcs: eval.mmcs,
            mmcs_reverse: eval.mmcs_reverse,
            density_histogram: DensityHistogram {
                log10_lower_edges: (0..DENSITY_BINS).map(|b| -7.0 + 0.25 * b as f32).collect(),
                counts: eval.density_histogram[1..].to_vec(),
                dead: eval.density_histogram[0],
            },
            resamples,
        }
    }
}
