//! Toy models of superposition (Elhage et al. 2022): configuration, presets, data, the CPU
//! reference trainer and the metrics computed from any snapshot.

mod config;
mod data;
mod dense;
mod metrics;
mod model;
mod phase;
mod phase_settings;
mod presets;
mod report;
mod settings;
mod train;

pub use config::{
    ConfigError, Correlation, InstanceSpec, MAX_HIDDEN, ModelKind, TmsConfig, loss_scale,
};
pub use data::{LANE_CHOICE_BASE, RowSampler, feature_value, sample_features};
pub use dense::TILE;
pub use metrics::{
    GeometryGraph, InstanceMetrics, REPRESENTED_NORM, geometry_graph, gram, instance_metrics,
};
pub use model::{SampleScratch, accumulate_param_grads, forward_backward_sample, init_params};
pub use phase::{
    PhaseCell, PhaseSpec, Regime, classify, superposition_threshold_2_1, theory_regime,
};
pub use phase_settings::{MAX_PHASE_MODELS, MAX_PHASE_RESOLUTION, PhaseSettings};
pub use presets::{PRESET_NAMES, Preset, preset, preset_settings};
pub use report::{InstanceReport, RunReport};
pub use settings::{
    DensitySpec, ImportanceRule, MAX_TOY_FEATURES, MAX_TOY_INSTANCES, Perturb, SettingError,
    TmsSettings,
};
pub use train::{CpuTrainer, Snapshot, TrainError, TrainState, first_non_finite_instance};
