//! The settings of an SAE run.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A training recipe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Variant {
    /// Towards Monosemanticity (2023): pre-encoder bias tied to the decoder bias (initialised
    /// at the geometric median), unit-norm decoder rows with the parallel gradient removed,
    /// L1 penalty, resampling of dead latents.
    #[serde(rename = "l1-2023")]
    L1_2023,
    /// Anthropic's April 2024 update: no pre-encoder bias, unconstrained decoder, L1 weighted by
    /// decoder norms with a warm-up, data scaled so that `E||x|| = sqrt(d_in)`.
    #[serde(rename = "l1-2024")]
    L1_2024,
    /// Gao et al. (2024): keep the `k` largest pre-activations; an auxiliary loss makes dead
    /// latents model the residual (AuxK).
    #[serde(rename = "topk")]
    TopK,
    /// Rajamanoharan et al. (2024): `f = z H(z - theta)` with learned thresholds, trained with
    /// straight-through estimators and an L0 penalty.
    #[serde(rename = "jumprelu")]
    JumpRelu,
}

impl Variant {
    pub const ALL: [Self; 4] = [Self::L1_2023, Self::L1_2024, Self::TopK, Self::JumpRelu];

    pub fn name(self) -> &'static str {
        match self {
            Self::L1_2023 => "l1-2023",
            Self::L1_2024 => "l1-2024",
            Self::TopK => "topk",
            Self::JumpRelu => "jumprelu",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.name() == name)
    }

    /// The code the kernels switch on.
    pub fn code(self) -> u32 {
        match self {
            Self::L1_2023 => 0,
            Self::L1_2024 => 1,
            Self::TopK => 2,
            Self::JumpRelu => 3,
        }
    }

    /// Whether the encoder sees `x - b_dec`.
    pub fn pre_bias(self) -> bool {
        matches!(self, Self::L1_2023 | Self::TopK)
    }

    /// Whether decoder rows are kept at unit norm.
    pub fn unit_decoder(self) -> bool {
        matches!(self, Self::L1_2023 | Self::TopK)
    }

    /// Whether inputs are scaled so that `E||x|| = sqrt(d_in)`.
    pub fn scales_input(self) -> bool {
        matches!(self, Self::L1_2024 | Self::JumpRelu)
    }

    /// The reconstruction loss is a mean over elements (2023) rather than a mean over samples
    /// of the squared norm (the later recipes).
    pub fn mean_over_elements(self) -> bool {
        self == Self::L1_2023
    }
}

/// Everything that defines an SAE run apart from its data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SaeConfig {
    pub variant: Variant,
    pub d_in: u32,
    pub d_sae: u32,
    /// Active latents per input (TopK).
    pub k: u32,
    /// Dead latents the auxiliary loss uses per input (TopK).
    pub k_aux: u32,
    /// Weight of the auxiliary loss (TopK; 1/32 in Gao et al.).
    pub aux_coefficient: f32,
    /// The sparsity penalty: L1 (2023, 2024) or L0 (JumpReLU).
    pub sparsity_coefficient: f32,
    /// Steps over which the sparsity penalty ramps up from 0 (2024: 5 % of the run).
    pub sparsity_warmup_steps: u32,
    /// JumpReLU: the straight-through estimator's rectangle width and the initial threshold.
    pub bandwidth: f32,
    pub initial_threshold: f32,
    pub batch: u32,
    pub steps: u32,
    pub learning_rate: f64,
    /// Linear warm-up from 0 over this many steps.
    pub warmup_steps: u32,
    /// The learning rate decays linearly to 0 over the last `decay_fraction` of the run.
    pub decay_fraction: f32,
    /// Steps at which dead latents are resampled (2023).
    pub resample_at: Vec<u32>,
    /// A latent that has not fired for this many steps is dead.
    pub dead_window: u32,
    pub seed: u32,
}

/// Why a configuration cannot run.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum SaeConfigError {
    #[error("{name} must be between {min} and {max}, got {value}")]
    OutOfRange {
        name: &'static str,
        min: f64,
        max: f64,
        value: f64,
    },
}

fn range(name: &'static str, value: f64, min: f64, max: f64) -> Result<(), SaeConfigError> {
    if value.is_finite() && value >= min && value <= max {
        Ok(())
    } else {
        Err(SaeConfigError::OutOfRange {
            name,
            min,
            max,
            value,
        })
    }
}

impl SaeConfig {
    /// Recommended settings for `variant` at these sizes and this length.
    pub fn recommended(variant: Variant, d_in: u32, d_sae: u32, steps: u32) -> Self {
        let (sparsity, lr) = match variant {
            // Tuned on synthetic data (32 dimensions, 64 features, 256 latents, 2400 steps):
            // each reaches MMCS above 0.95 there.
            Variant::L1_2023 => (1e-2, 3e-3),
            Variant::L1_2024 => (1.0, 3e-3),
            Variant::TopK => (0.0, 1e-3),
            Variant::JumpRelu => (2.0, 3e-3),
        };
        Self {
            variant,
            d_in,
            d_sae,
            k: 8,
            k_aux: (d_in / 2).clamp(1, 512),
            aux_coefficient: 1.0 / 32.0,
            sparsity_coefficient: sparsity,
            sparsity_warmup_steps: if variant == Variant::L1_2024 {
                steps / 20
            } else {
                0
            },
            bandwidth: 0.05,
            initial_threshold: 0.01,
            batch: 256,
            steps,
            learning_rate: lr,
            warmup_steps: (steps / 100).min(200),
            decay_fraction: 0.2,
            resample_at: if variant == Variant::L1_2023 {
                [1, 2, 3]
                    .iter()
                    .map(|q| steps * q / 8)
                    .filter(|s| *s > 0)
                    .collect()
            } else {
                Vec::new()
            },
            dead_window: (steps / 10).clamp(20, 12_500),
            seed: 0,
        }
    }

    pub fn n(&self) -> usize {
        self.d_in as usize
    }

    pub fn s(&self) -> usize {
        self.d_sae as usize
    }

    pub fn validate(&self) -> Result<(), SaeConfigError> {
        range("d_in", f64::from(self.d_in), 1.0, 4096.0)?;
        range("d_sae", f64::from(self.d_sae), 1.0, 131_072.0)?;
        range("k", f64::from(self.k), 1.0, f64::from(self.d_sae))?;
        range("k_aux", f64::from(self.k_aux), 1.0, f64::from(self.d_sae))?;
        range("batch", f64::from(self.batch), 1.0, 65_536.0)?;
        range("steps", f64::from(self.steps), 1.0, 1e8)?;
        range("learning rate", self.learning_rate, 1e-8, 1.0)?;
        range(
            "sparsity coefficient",
            f64::from(self.sparsity_coefficient),
            0.0,
            1e3,
        )?;
        range("bandwidth", f64::from(self.bandwidth), 1e-6, 10.0)?;
        range(
            "initial threshold",
            f64::from(self.initial_threshold),
            1e-8,
            10.0,
        )?;
        range("decay fraction", f64::from(self.decay_fraction), 0.0, 1.0)?;
        range("dead window", f64::from(self.dead_window), 1.0, 1e8)?;
        Ok(())
    }

    /// Parameters: `W_enc`, `b_enc`, `W_dec`, `b_dec`, then `log theta` (JumpReLU only).
    pub fn param_count(&self) -> usize {
        let (n, s) = (self.n(), self.s());
        2 * n * s
            + s
            + n
            + if self.variant == Variant::JumpRelu {
                s
            } else {
                0
            }
    }

    /// The learning rate at 0-based `step`: warm-up, constant, linear decay at the end.
    pub fn learning_rate_at(&self, step: u32) -> f64 {
        let t = f64::from(step);
        let total = f64::from(self.steps.max(1));
        let mut lr = self.learning_rate;
        if self.warmup_steps > 0 && step < self.warmup_steps {
            lr *= (t + 1.0) / f64::from(self.warmup_steps);
        }
        let decay_start = total * (1.0 - f64::from(self.decay_fraction));
        if t >= decay_start && self.decay_fraction > 0.0 {
            lr *= ((total - t) / (total - decay_start)).clamp(0.0, 1.0);
        }
        lr
    }

    /// The sparsity coefficient at `step`, after its warm-up.
    pub fn sparsity_at(&self, step: u32) -> f32 {
        if self.sparsity_warmup_steps > 0 && step < self.sparsity_warmup_steps {
            self.sparsity_coefficient * (step + 1) as f32 / self.sparsity_warmup_steps as f32
        } else {
            self.sparsity_coefficient
        }
    }
}
