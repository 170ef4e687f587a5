//! One preset per figure of the paper (settings from `shared/reference/tms.md`).

use super::config::{Correlation, InstanceSpec, ModelKind, TmsConfig};
use crate::optim::OptimizerConfig;

/// Every preset name, in the order the interface lists them.
pub const PRESET_NAMES: [&str; 10] = [
    "intro",
    "sparsity-sweep",
    "large-sweep",
    "dims-per-feature",
    "dims-per-feature-400",
    "privileged-basis",
    "abs",
    "correlated",
    "anticorrelated",
    "perturbed",
];

/// A named configuration and the paper figure it reproduces.
#[derive(Clone, Debug, PartialEq)]
pub struct Preset {
    pub name: &'static str,
    pub figure: &'static str,
    pub config: TmsConfig,
}

/// `base^-linspace(0, 1, count)`: from 1 down to `1 / base`, log-spaced.
fn log_sweep(base: f32, count: usize) -> Vec<f32> {
    (0..count)
        .map(|t| {
            let frac = if count > 1 {
                t as f32 / (count - 1) as f32
            } else {
                0.0
            };
            base.powf(-frac)
        })
        .collect()
}

/// `decay^i` for `i` in `0..n`.
fn geometric(decay: f32, n: u32) -> Vec<f32> {
    (0..n).map(|i| decay.powi(i as i32)).collect()
}

fn config(
    model: ModelKind,
    n: u32,
    m: u32,
    importance: &[f32],
    densities: &[f32],
    steps: u32,
) -> TmsConfig {
    TmsConfig {
        model,
        n_features: n,
        n_hidden: m,
        correlation: Correlation::Independent,
        instances: densities
            .iter()
            .map(|p| InstanceSpec::uniform(n, *p, importance))
            .collect(),
        batch_size: 1024,
        steps,
        optimizer: OptimizerConfig::default(),
        seed: 0,
    }
}

/// The preset called `name`, if there is one.
pub fn preset(name: &str) -> Option<Preset> {
    let paper_sparsities = [1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001];
    let (figure, cfg) = match name {
        "intro" => (
            "Superposition appears with sparsity (5 features, 2 dimensions)",
            config(
                ModelKind::Relu,
                5,
                2,
                &geometric(0.9, 5),
                &log_sweep(20.0, 10),
                10_000,
            ),
        ),
        "sparsity-sweep" => (
            "Superposition as a function of sparsity (20 features, 5 dimensions)",
            config(
                ModelKind::Relu,
                20,
                5,
                &geometric(0.7, 20),
                &paper_sparsities,
                10_000,
            ),
        ),
        "large-sweep" => (
            "The notebook's larger sweep (100 features, 20 dimensions)",
            config(
                ModelKind::Relu,
                100,
                20,
                &log_sweep(100.0, 100),
                &log_sweep(20.0, 20),
                10_000,
            ),
        ),
        "dims-per-feature" => (
            "Dimensions per feature against sparsity (200 features, 20 dimensions)",
            config(
                ModelKind::Relu,
                200,
                20,
                &[1.0; 200],
                &log_sweep(20.0, 20),
                10_000,
            ),
        ),
        "dims-per-feature-400" => (
            "Dimensions per feature as in the paper (400 features, 30 dimensions)",
            config(
                ModelKind::Relu,
                400,
                30,
                &[1.0; 400],
                &log_sweep(20.0, 20),
                10_000,
            ),
        ),
        "privileged-basis" => (
            "Superposition in a privileged basis (10 features, 5 neurons)",
            config(
                ModelKind::Privileged,
                10,
                5,
                &geometric(0.75, 10),
                &[0.75, 0.35, 0.15, 0.1, 0.06, 0.02, 0.01],
                10_000,
            ),
        ),
        "abs" => (
            "Computation in superposition: y = |x| (100 features, 40 neurons)",
            config(
                ModelKind::Abs,
                100,
                40,
                &geometric(0.8, 100),
                &paper_sparsities,
                30_000,
            ),
        ),
        "correlated" | "anticorrelated" => {
            let mut cfg = config(
                ModelKind::Relu,
                4,
                2,
                &[1.0; 4],
                &[0.25, 0.1, 0.05, 0.025],
                10_000,
            );
            cfg.correlation = if name == "correlated" {
                Correlation::Correlated { set_size: 2 }
            } else {
                Correlation::Anticorrelated { set_size: 2 }
            };
            let figure = if name == "correlated" {
                "Correlated feature pairs settle orthogonally (4 features, 2 dimensions)"
            } else {
                "Anticorrelated feature pairs settle antipodally (4 features, 2 dimensions)"
            };
            (figure, cfg)
        }
        "perturbed" => {
            let mut cfg = config(ModelKind::Relu, 5, 2, &[1.0; 5], &[0.05; 11], 10_000);
            // Feature 0's density runs from 1/4 to 4 times the others' (log-spaced).
            for (t, inst) in cfg.instances.iter_mut().enumerate() {
                let factor = 4f32.powf(t as f32 / 5.0 - 1.0);
                inst.feature_probability[0] = (0.05 * factor).min(1.0);
            }
            (
                "A pentagon collapses when one feature becomes sparser (5 features, 2 dimensions)",
                cfg,
            )
        }
        _ => return None,
    };
    let name = PRESET_NAMES.iter().find(|p| **p == name)?;
    Some(Preset {
        name,
        figure,
        config: cfg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid() {
        for name in PRESET_NAMES {
            let p = preset(name).expect(name);
            p.config
                .validate()
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        assert!(preset("nope").is_none());
    }

    #[test]
    fn intro_matches_the_paper() {
        let c = preset("intro").unwrap().config;
        assert_eq!((c.n_features, c.n_hidden, c.instances.len()), (5, 2, 10));
        let first = &c.instances[0].feature_probability;
        let last = &c.instances[9].feature_probability;
        assert!((first[0] - 1.0).abs() < 1e-6 && (last[0] - 0.05).abs() < 1e-6);
        assert!((c.instances[0].importance[4] - 0.9f32.powi(4)).abs() < 1e-6);
    }
}
