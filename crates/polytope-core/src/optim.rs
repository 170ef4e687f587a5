//! Adam and AdamW with learning-rate schedules, as PyTorch defines them.
//!
//! The per-step scalars (scheduled learning rate, bias corrections) are computed once here in
//! `f64` and handed to both backends as `f32`, so the CPU and GPU updates use identical numbers.

use serde::{Deserialize, Serialize};

/// Which update rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    Adam,
    /// Adam with decoupled weight decay (the toy-model notebook's default).
    AdamW,
}

/// How the learning rate changes over a run of `total_steps`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    Constant,
    /// Linear decay from the base rate to 0 at the last step.
    Linear,
    /// Half a cosine from the base rate to 0 at the last step.
    Cosine,
}

impl OptimizerKind {
    pub const ALL: [Self; 2] = [Self::AdamW, Self::Adam];

    pub fn name(self) -> &'static str {
        match self {
            Self::Adam => "adam",
            Self::AdamW => "adamw",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl Schedule {
    pub const ALL: [Self; 3] = [Self::Constant, Self::Linear, Self::Cosine];

    pub fn name(self) -> &'static str {
        match self {
            Self::Constant => "constant",
            Self::Linear => "linear",
            Self::Cosine => "cosine",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Optimizer settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerConfig {
    pub kind: OptimizerKind,
    pub learning_rate: f64,
    pub schedule: Schedule,
    /// Linear warm-up from 0 over this many steps (0: none).
    pub warmup_steps: u32,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    /// Decoupled weight decay; used by AdamW only.
    pub weight_decay: f64,
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        Self {
            kind: OptimizerKind::AdamW,
            learning_rate: 1e-3,
            schedule: Schedule::Constant,
            warmup_steps: 0,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        }
    }
}

/// The scalars of one optimizer step, shared by the CPU and GPU updates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepScalars {
    /// Scheduled learning rate divided by the first-moment bias correction.
    pub step_size: f32,
    /// `sqrt(1 - beta2^t)`: the second-moment bias correction under the square root.
    pub sqrt_bias_correction2: f32,
    /// Multiplier applied to a parameter before the Adam step (`1 - lr * weight_decay` for
    /// AdamW, 1 for Adam).
    pub decay_factor: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
}

impl OptimizerConfig {
    /// The scheduled learning rate at 0-based `step` of a run of `total_steps`.
    pub fn learning_rate_at(&self, step: u32, total_steps: u32) -> f64 {
        let total = f64::from(total_steps.max(1));
        let t = f64::from(step);
        let scheduled = match self.schedule {
            Schedule::Constant => self.learning_rate,
            Schedule::Linear => self.learning_rate * (1.0 - t / total).max(0.0),
            Schedule::Cosine => {
                self.learning_rate
                    * 0.5
                    * (1.0 + (std::f64::consts::PI * (t / total).min(1.0)).cos())
            }
        };
        if self.warmup_steps > 0 && step < self.warmup_steps {
            scheduled * f64::from(step + 1) / f64::from(self.warmup_steps)
        } else {
            scheduled
        }
    }

    /// Scalars for 0-based `step` (PyTorch's step count is `step + 1`).
    pub fn scalars(&self, step: u32, total_steps: u32) -> StepScalars {
        let lr = self.learning_rate_at(step, total_steps);
        let t = f64::from(step) + 1.0;
        let bias_correction1 = 1.0 - self.beta1.powf(t);
        let bias_correction2 = 1.0 - self.beta2.powf(t);
        let decay_factor = match self.kind {
            OptimizerKind::AdamW => 1.0 - lr * self.weight_decay,
            OptimizerKind::Adam => 1.0,
        };
        StepScalars {
            step_size: (lr / bias_correction1) as f32,
            sqrt_bias_correction2: bias_correction2.sqrt() as f32,
            decay_factor: decay_factor as f32,
            beta1: self.beta1 as f32,
            beta2: self.beta2 as f32,
            eps: self.eps as f32,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        let finite_pos = |x: f64| x.is_finite() && x > 0.0;
        if !finite_pos(self.learning_rate) || self.learning_rate > 10.0 {
            return Err(format!(
                "learning rate must be in (0, 10], got {}",
                self.learning_rate
            ));
        }
        if !(0.0..1.0).contains(&self.beta1) || !(0.0..1.0).contains(&self.beta2) {
            return Err("Adam betas must be in [0, 1)".into());
        }
        if !finite_pos(self.eps) {
            return Err("Adam eps must be positive".into());
        }
        if !self.weight_decay.is_finite() || !(0.0..=1.0).contains(&self.weight_decay) {
            return Err(format!(
                "weight decay must be in [0, 1], got {}",
                self.weight_decay
            ));
        }
        Ok(())
    }
}

/// One Adam/AdamW update of a single parameter: the CPU twin of the update in every kernel.
/// Returns the new parameter and updates the moment estimates in place.
#[inline]
pub fn adam_update(param: f32, grad: f32, m: &mut f32, v: &mut f32, s: &StepScalars) -> f32 {
    let p = param * s.decay_factor;
    *m = s.beta1 * *m + (1.0 - s.beta1) * grad;
    *v = s.beta2 * *v + (1.0 - s.beta2) * grad * grad;
    let denom = v.sqrt() / s.sqrt_bias_correction2 + s.eps;
    p - s.step_size * *m / denom
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_end_where_expected() {
        let mut c = OptimizerConfig::default();
        assert!((c.learning_rate_at(500, 1000) - 1e-3).abs() < 1e-12);
        c.schedule = Schedule::Linear;
        assert!((c.learning_rate_at(500, 1000) - 5e-4).abs() < 1e-12);
        assert!(c.learning_rate_at(1000, 1000).abs() < 1e-12);
        c.schedule = Schedule::Cosine;
        assert!((c.learning_rate_at(500, 1000) - 5e-4).abs() < 1e-12);
        assert!((c.learning_rate_at(0, 1000) - 1e-3).abs() < 1e-12);
        c.warmup_steps = 10;
        assert!((c.learning_rate_at(0, 1000) - 1e-4).abs() < 1e-9);
    }

    /// The first Adam step moves every parameter by almost exactly the learning rate, whatever
    /// the gradient's scale: a property of bias correction worth pinning down.
    #[test]
    fn first_adam_step_moves_by_learning_rate() {
        let c = OptimizerConfig {
            kind: OptimizerKind::Adam,
            ..OptimizerConfig::default()
        };
        let s = c.scalars(0, 100);
        for grad in [1e-4f32, 0.3, -20.0] {
            let (mut m, mut v) = (0.0, 0.0);
            let p = adam_update(1.0, grad, &mut m, &mut v, &s);
            assert!(((1.0 - p).abs() - 1e-3).abs() < 1e-6, "grad {grad}: p {p}");
            assert_eq!((1.0 - p).signum(), grad.signum());
        }
    }

    #[test]
    fn adamw_decays_weights() {
        let c = OptimizerConfig {
            weight_decay: 0.5,
            learning_rate: 0.1,
            ..OptimizerConfig::default()
        };
        let s = c.scalars(0, 10);
        let (mut m, mut v) = (0.0, 0.0);
        let p = adam_update(2.0, 0.0, &mut m, &mut v, &s);
        assert!((p - 2.0 * 0.95).abs() < 1e-6);
    }
}
