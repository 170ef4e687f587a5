//! Sparse autoencoders: four training recipes, their data sources, the CPU reference trainer
//! (the twin of the GPU kernels in `polytope-gpu`), and the metrics that say whether a
//! dictionary recovered the features behind the data.
//!
//! # Shapes
//! `x: [B, d_in]`, `W_enc: [d_in, d_sae]`, `b_enc: [d_sae]`, `W_dec: [d_sae, d_in]` (a latent's
//! decoder direction is a contiguous row, as in SAELens), `b_dec: [d_in]`.

mod config;
mod file;
mod metrics;
mod model;
mod report;
mod settings;
mod source;
mod sparse;
mod train;

pub use config::{SaeConfig, SaeConfigError, Variant};
pub use file::{ActivationFile, ActivationFileError, Dtype, write_activation_file};
pub use metrics::{DENSITY_BINS, density_histogram, greedy_matching, mmcs, normalized_rows};
pub use model::{
    Forward, Layout, SaeParams, Trace, encode, forward_backward, forward_backward_traced,
    reconstruct, top_k_row,
};
pub use report::{DensityHistogram, SaeReport};
pub use settings::{
    MAX_D_IN, MAX_D_SAE, MAX_FEATURES, MAX_TOY_HIDDEN, SaeSettings, SettingError, SourceKind,
    parse_source,
};
pub use source::{ActivationSource, FileSource, SyntheticSource, SyntheticSpec, ToySource};
pub use train::{
    SaeEval, SaeSnapshot, SaeState, SaeTrainError, SaeTrainer, StepStats, apply_update,
    geometric_median, record_firing, step_scalars,
};
