//! The settings of a toy-model run: one model shape, many instances.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::optim::OptimizerConfig;

/// Largest hidden size the kernels support: each GPU thread keeps a hidden vector in registers.
pub const MAX_HIDDEN: u32 = 64;
/// Bounds that keep a run inside what a browser tab can hold.
const MAX_FEATURES: u32 = 4096;
/// Instances (models) one run trains together at most.
pub const MAX_INSTANCES: u32 = 65_536;
const MAX_BATCH: u32 = 65_536;

/// The architecture of a toy model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// `x' = ReLU(W^T W x + b)`, tied weights: the paper's main model.
    Relu,
    /// `x' = W^T W x + b`: the baseline that never superposes.
    Linear,
    /// `h = ReLU(W x)`, `x' = ReLU(W^T h + b)`: hidden neurons get a privileged basis.
    Privileged,
    /// `h = ReLU(W1 x)`, `y' = ReLU(W2 h + b)`, target `|x|`, inputs in `[-1, 1]`: computation
    /// in superposition with untied weights.
    Abs,
}

impl ModelKind {
    pub const ALL: [Self; 4] = [Self::Relu, Self::Linear, Self::Privileged, Self::Abs];

    pub fn name(self) -> &'static str {
        match self {
            Self::Relu => "relu",
            Self::Linear => "linear",
            Self::Privileged => "privileged",
            Self::Abs => "abs",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The code the kernels switch on.
    pub fn code(self) -> u32 {
        match self {
            Self::Relu => 0,
            Self::Linear => 1,
            Self::Privileged => 2,
            Self::Abs => 3,
        }
    }

    /// Whether the model has a second, untied weight matrix.
    pub fn untied(self) -> bool {
        self == Self::Abs
    }
}

/// How features co-occur.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Correlation {
    /// Each feature is present on its own draw.
    Independent,
    /// Consecutive sets of `set_size` features are present or absent together (one shared draw,
    /// with the probability of the set's first feature); their values are independent.
    Correlated { set_size: u32 },
    /// A set is active with the probability of its first feature; when active, exactly one
    /// member, chosen uniformly, is present.
    Anticorrelated { set_size: u32 },
}

impl Correlation {
    pub fn name(self) -> &'static str {
        match self {
            Self::Independent => "independent",
            Self::Correlated { .. } => "correlated",
            Self::Anticorrelated { .. } => "anticorrelated",
        }
    }

    /// Features per set (1 for independent features).
    pub fn set_size(self) -> u32 {
        match self {
            Self::Independent => 1,
            Self::Correlated { set_size } | Self::Anticorrelated { set_size } => set_size,
        }
    }

    /// The code the kernels switch on.
    pub fn code(self) -> u32 {
        match self {
            Self::Independent => 0,
            Self::Correlated { .. } => 1,
            Self::Anticorrelated { .. } => 2,
        }
    }
}

/// What makes one instance different from the others.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceSpec {
    /// Probability that each feature is present (1 - sparsity), one per feature.
    pub feature_probability: Vec<f32>,
    /// Weight of each feature's error in the loss, one per feature.
    pub importance: Vec<f32>,
}

impl InstanceSpec {
    /// The same density for every feature.
    pub fn uniform(n: u32, probability: f32, importance: &[f32]) -> Self {
        Self {
            feature_probability: vec![probability; n as usize],
            importance: importance.to_vec(),
        }
    }
}

/// A complete, reproducible description of a toy-model run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TmsConfig {
    pub model: ModelKind,
    pub n_features: u32,
    pub n_hidden: u32,
    pub correlation: Correlation,
    pub instances: Vec<InstanceSpec>,
    pub batch_size: u32,
    /// Length of the run: the learning-rate schedule ends here.
    pub steps: u32,
    pub optimizer: OptimizerConfig,
    pub seed: u32,
}

/// Why a configuration cannot run.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum ConfigError {
    #[error("{name} must be between {min} and {max}, got {value}")]
    OutOfRange {
        name: &'static str,
        min: u64,
        max: u64,
        value: u64,
    },
    #[error("instance {instance}: {what}")]
    Instance { instance: usize, what: String },
    #[error("optimizer: {0}")]
    Optimizer(String),
    #[error("the {kind} model needs at least {min} features per set; set size is {set_size}")]
    SetSize {
        kind: &'static str,
        min: u32,
        set_size: u32,
    },
}

fn check_range(name: &'static str, value: u32, min: u32, max: u32) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange {
            name,
            min: u64::from(min),
            max: u64::from(max),
            value: u64::from(value),
        })
    }
}

impl TmsConfig {
    pub fn n(&self) -> usize {
        self.n_features as usize
    }

    pub fn m(&self) -> usize {
        self.n_hidden as usize
    }

    pub fn instance_count(&self) -> usize {
        self.instances.len()
    }

    /// Parameters per instance: `W` (`m x n`), `W2^T` (`m x n`, abs model only), then `b` (`n`).
    pub fn params_per_instance(&self) -> usize {
        let mats = if self.model.untied() { 2 } else { 1 };
        mats * self.m() * self.n() + self.n()
    }

    /// Offset of the bias inside an instance's parameters.
    pub fn bias_offset(&self) -> usize {
        self.params_per_instance() - self.n()
    }

    pub fn total_params(&self) -> usize {
        self.params_per_instance() * self.instance_count()
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range("n_features", self.n_features, 1, MAX_FEATURES)?;
        check_range("n_hidden", self.n_hidden, 1, MAX_HIDDEN)?;
        check_range("batch_size", self.batch_size, 1, MAX_BATCH)?;
        check_range("steps", self.steps, 1, 10_000_000)?;
        check_range(
            "instances",
            u32::try_from(self.instances.len()).unwrap_or(u32::MAX),
            1,
            MAX_INSTANCES,
        )?;
        let set_size = self.correlation.set_size();
        check_range("set_size", set_size, 1, self.n_features)?;
        if matches!(self.correlation, Correlation::Anticorrelated { .. }) && set_size < 2 {
            return Err(ConfigError::SetSize {
                kind: "anticorrelated",
                min: 2,
                set_size,
            });
        }
        let n = self.n();
        for (i, inst) in self.instances.iter().enumerate() {
            let err = |what: String| ConfigError::Instance { instance: i, what };
            if inst.feature_probability.len() != n || inst.importance.len() != n {
                return Err(err(format!(
                    "needs {n} feature probabilities and importances, got {} and {}",
                    inst.feature_probability.len(),
                    inst.importance.len()
                )));
            }
            if let Some(p) = inst
                .feature_probability
                .iter()
                .find(|p| !(0.0..=1.0).contains(*p))
            {
                return Err(err(format!("feature probability {p} is outside [0, 1]")));
            }
            if let Some(w) = inst
                .importance
                .iter()
                .find(|w| !w.is_finite() || **w < 0.0 || **w > 1e6)
            {
                return Err(err(format!("importance {w} is outside [0, 1e6]")));
            }
        }
        self.optimizer.validate().map_err(ConfigError::Optimizer)
    }
}

/// The factor turning a squared error into its share of the loss: the loss is a mean over the
/// batch and the features (and a sum over instances).
pub fn loss_scale(batch_size: u32, n_features: u32) -> f32 {
    1.0 / (batch_size as f32 * n_features as f32)
}
