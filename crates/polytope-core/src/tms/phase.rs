//! Phase diagrams (the paper's Figure "phase change"): for a grid of feature densities and
//! relative importances of one extra feature, train `k` models per cell, drop the worst, and
//! classify what happened to the extra feature.
//!
//! Two setups: `n = 2, m = 1` (importances `[1, r]`) and `n = 3, m = 2` (`[1, 1, r]`). The
//! extra feature is the last one. All cells and models train together as the instances of one
//! run, so a 32 x 32 grid with 10 models per cell is a single run of 10,240 instances.

use serde::{Deserialize, Serialize};

use super::config::{Correlation, InstanceSpec, ModelKind, TmsConfig};
use super::metrics::{REPRESENTED_NORM, instance_metrics};
use crate::optim::OptimizerConfig;

/// What the extra feature ended up as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Regime {
    /// Its direction is (nearly) zero.
    NotLearned,
    /// It has a dimension to itself: (nearly) orthogonal to every other represented feature.
    Dedicated,
    /// It shares a dimension with another feature (for example an antipodal pair).
    Superposition,
    /// Anything else (partially learned, several features collapsed, ...).
    Other,
}

impl Regime {
    pub const ALL: [Self; 4] = [
        Self::NotLearned,
        Self::Dedicated,
        Self::Superposition,
        Self::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::NotLearned => "not-learned",
            Self::Dedicated => "dedicated",
            Self::Superposition => "superposition",
            Self::Other => "other",
        }
    }
}

/// Superposition of the extra feature above this counts as sharing a dimension; below
/// [`DEDICATED_BELOW`] as having its own.
const SHARED_ABOVE: f32 = 0.5;
const DEDICATED_BELOW: f32 = 0.1;

/// Classifies the last feature of one trained model (`W` is `m x n`, row-major).
pub fn classify(w: &[f32], m: usize, n: usize) -> Regime {
    let met = instance_metrics(w, m, n);
    let e = n - 1;
    if met.norms[e] < REPRESENTED_NORM {
        return Regime::NotLearned;
    }
    let sup = met.superposition[e];
    if sup > SHARED_ABOVE {
        Regime::Superposition
    } else if sup < DEDICATED_BELOW {
        Regime::Dedicated
    } else {
        Regime::Other
    }
}

/// A phase-diagram grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseSpec {
    /// 2 (with `m = 1`) or 3 (with `m = 2`).
    pub n: u32,
    pub m: u32,
    /// Cells per axis.
    pub resolution: u32,
    /// Models trained per cell; the one with the highest loss is dropped before voting.
    pub models: u32,
    pub steps: u32,
    pub batch: u32,
    pub learning_rate: f64,
    pub seed: u32,
    /// Densities run log-spaced from `density_max` (top row) down to `density_min`.
    pub density_min: f32,
    pub density_max: f32,
    /// Relative importances of the extra feature, log-spaced (columns).
    pub importance_min: f32,
    pub importance_max: f32,
}

impl PhaseSpec {
    /// The paper's axes: density 1 .. 0.01, relative importance 0.1 .. 10.
    pub fn paper(n: u32, m: u32) -> Self {
        Self {
            n,
            m,
            resolution: 16,
            models: 4,
            steps: 2000,
            batch: 256,
            learning_rate: 1e-2,
            seed: 0,
            density_min: 0.01,
            density_max: 1.0,
            importance_min: 0.1,
            importance_max: 10.0,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if !matches!((self.n, self.m), (2, 1) | (3, 2)) {
            return Err(format!(
                "phase diagrams are defined for n = 2, m = 1 and n = 3, m = 2; got n = {}, m = {}",
                self.n, self.m
            ));
        }
        if !(2..=64).contains(&self.resolution) {
            return Err(format!(
                "resolution must be between 2 and 64, got {}",
                self.resolution
            ));
        }
        if !(1..=32).contains(&self.models) {
            return Err(format!(
                "models per cell must be between 1 and 32, got {}",
                self.models
            ));
        }
        let ok = |a: f32, b: f32| a > 0.0 && a < b && b.is_finite();
        if !ok(self.density_min, self.density_max) || self.density_max > 1.0 {
            return Err("densities must satisfy 0 < min < max <= 1".into());
        }
        if !ok(self.importance_min, self.importance_max) {
            return Err("importances must satisfy 0 < min < max".into());
        }
        Ok(())
    }

    fn log_axis(lo: f32, hi: f32, count: u32) -> Vec<f32> {
        (0..count)
            .map(|t| {
                let frac = if count > 1 {
                    t as f32 / (count - 1) as f32
                } else {
                    0.0
                };
                lo * (hi / lo).powf(frac)
            })
            .collect()
    }

    /// Density of each row, from dense (row 0) to sparse.
    pub fn densities(&self) -> Vec<f32> {
        let mut d = Self::log_axis(self.density_min, self.density_max, self.resolution);
        d.reverse();
        d
    }

    /// Relative importance of each column, increasing.
    pub fn importances(&self) -> Vec<f32> {
        Self::log_axis(self.importance_min, self.importance_max, self.resolution)
    }

    /// Instance index of model `k` of cell `(row, col)`.
    pub fn instance(&self, row: u32, col: u32, k: u32) -> usize {
        ((row * self.resolution + col) * self.models + k) as usize
    }

    /// The single run that trains every model of every cell.
    pub fn config(&self) -> TmsConfig {
        let densities = self.densities();
        let importances = self.importances();
        let mut instances =
            Vec::with_capacity((self.resolution * self.resolution * self.models) as usize);
        for p in &densities {
            for r in &importances {
                let mut importance = vec![1.0; self.n as usize];
                importance[self.n as usize - 1] = *r;
                for _ in 0..self.models {
                    instances.push(InstanceSpec {
                        feature_probability: vec![*p; self.n as usize],
                        importance: importance.clone(),
                    });
                }
            }
        }
        TmsConfig {
            model: ModelKind::Relu,
            n_features: self.n,
            n_hidden: self.m,
            correlation: Correlation::Independent,
            instances,
            batch_size: self.batch,
            steps: self.steps,
            optimizer: OptimizerConfig {
                learning_rate: self.learning_rate,
                ..OptimizerConfig::default()
            },
            seed: self.seed,
        }
    }

    /// Votes of the kept models of cell `(row, col)` and the winning regime, from all
    /// instances' parameters and their last losses.
    pub fn cell(&self, row: u32, col: u32, params: &[f32], losses: &[f32]) -> PhaseCell {
        let (n, m) = (self.n as usize, self.m as usize);
        let per = (self.m as usize + 1) * n;
        let mut models: Vec<(f32, Regime)> = (0..self.models)
            .map(|k| {
                let i = self.instance(row, col, k);
                let w = &params[i * per..i * per + m * n];
                let loss = losses.get(i).copied().unwrap_or(f32::NAN);
                (
                    if loss.is_finite() {
                        loss
                    } else {
                        f32::INFINITY
                    },
                    classify(w, m, n),
                )
            })
            .collect();
        models.sort_by(|a, b| a.0.total_cmp(&b.0));
        if models.len() > 1 {
            models.pop();
        }
        let votes: Vec<Regime> = models.iter().map(|(_, r)| *r).collect();
        // Most votes wins; ties go to the regime of the lowest-loss model.
        let count = |r: Regime| votes.iter().filter(|v| **v == r).count();
        let best = votes[0];
        let regime = Regime::ALL
            .into_iter()
            .max_by_key(|r| (count(*r), *r == best))
            .unwrap_or(best);
        PhaseCell {
            density: self.densities()[row as usize],
            relative_importance: self.importances()[col as usize],
            votes,
            regime,
        }
    }
}

/// One cell of a phase diagram (the CLI's `--json` prints these).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseCell {
    pub density: f32,
    pub relative_importance: f32,
    /// Regime of each kept model, lowest loss first.
    pub votes: Vec<Regime>,
    pub regime: Regime,
}

/// The approximate theoretical boundary for `n = 2, m = 1` with unit-norm columns: below this
/// density, antipodal superposition has a lower expected loss than the best single feature
/// (derivation in `shared/reference/tms.md`). It places the boundary too high in density
/// compared with trained models, so the interface labels it as an approximation.
pub fn superposition_threshold_2_1(relative_importance: f64) -> f64 {
    let r = relative_importance;
    if r <= 1.0 {
        4.0 * r / (2.0 + 5.0 * r)
    } else {
        4.0 / (5.0 + 2.0 * r)
    }
}

/// The expected loss of an unrepresented feature of importance `importance` and density `p`:
/// its output is the best constant (the bias, `E[x] = p/2`), so the loss is its variance.
fn ignored(importance: f64, p: f64) -> f64 {
    importance * (p / 3.0 - p * p / 4.0)
}

/// The expected loss of two features sharing one direction antipodally (unit norms, zero
/// bias): each is wrong only when both are present.
fn antipodal(importance_a: f64, importance_b: f64, p: f64) -> f64 {
    p * p * (importance_a + importance_b) / 6.0
}

/// The regime the textbook candidate solutions predict for density `p` and relative importance
/// `r` of the extra feature, with unit-norm directions and fixed biases (see
/// `shared/reference/tms.md`). An approximation: it places the boundary too high in density
/// compared with trained models.
///
/// `n = 2, m = 1`: ignore the extra feature (`r V`), dedicate the dimension to it (`V`), or
/// share it antipodally (`p^2 (1 + r) / 6`), where `V = p/3 - p^2/4`.
/// `n = 3, m = 2`: ignore it; drop one of the first two and dedicate a dimension to it; put it
/// antipodal with one of the first two; or put the first two antipodal and dedicate one to it.
pub fn theory_regime(n: u32, p: f64, r: f64) -> Regime {
    let candidates: Vec<(f64, Regime)> = if n == 2 {
        vec![
            (ignored(r, p), Regime::NotLearned),
            (ignored(1.0, p), Regime::Dedicated),
            (antipodal(1.0, r, p), Regime::Superposition),
        ]
    } else {
        vec![
            (ignored(r, p), Regime::NotLearned),
            (ignored(1.0, p), Regime::Dedicated),
            (antipodal(1.0, r, p), Regime::Superposition),
            (antipodal(1.0, 1.0, p), Regime::Dedicated),
        ]
    };
    candidates
        .into_iter()
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map_or(Regime::Other, |c| c.1)
}

impl PhaseSpec {
    /// Where [`theory_regime`] changes, as short segments in `(relative importance, density)`
    /// coordinates, traced on a `fine x fine` log grid over the spec's axes.
    pub fn theory_boundary(&self, fine: usize) -> Vec<Vec<(f64, f64)>> {
        let fine = fine.max(2);
        let axis = |lo: f32, hi: f32, t: usize| {
            let frac = t as f64 / (fine - 1) as f64;
            f64::from(lo) * (f64::from(hi) / f64::from(lo)).powf(frac)
        };
        let xs: Vec<f64> = (0..fine)
            .map(|t| axis(self.importance_min, self.importance_max, t))
            .collect();
        let ys: Vec<f64> = (0..fine)
            .map(|t| axis(self.density_min, self.density_max, t))
            .collect();
        let grid: Vec<Vec<Regime>> = ys
            .iter()
            .map(|p| xs.iter().map(|r| theory_regime(self.n, *p, *r)).collect())
            .collect();
        let mid = |a: f64, b: f64| (a * b).sqrt();
        let mut segments = Vec::new();
        for yi in 0..fine {
            for xi in 0..fine {
                if xi + 1 < fine && grid[yi][xi] != grid[yi][xi + 1] {
                    // A vertical segment between the two cells.
                    let x = mid(xs[xi], xs[xi + 1]);
                    let y0 = if yi > 0 {
                        mid(ys[yi - 1], ys[yi])
                    } else {
                        ys[yi]
                    };
                    let y1 = if yi + 1 < fine {
                        mid(ys[yi], ys[yi + 1])
                    } else {
                        ys[yi]
                    };
                    segments.push(vec![(x, y0), (x, y1)]);
                }
                if yi + 1 < fine && grid[yi][xi] != grid[yi + 1][xi] {
                    let y = mid(ys[yi], ys[yi + 1]);
                    let x0 = if xi > 0 {
                        mid(xs[xi - 1], xs[xi])
                    } else {
                        xs[xi]
                    };
                    let x1 = if xi + 1 < fine {
                        mid(xs[xi], xs[xi + 1])
                    } else {
                        xs[xi]
                    };
                    segments.push(vec![(x0, y), (x1, y)]);
                }
            }
        }
        segments
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_of_the_three_textbook_solutions() {
        // n = 2, m = 1: W = [w_1, w_extra].
        assert_eq!(classify(&[1.0, 0.0], 1, 2), Regime::NotLearned);
        assert_eq!(classify(&[0.0, 1.0], 1, 2), Regime::Dedicated);
        assert_eq!(classify(&[1.0, -1.0], 1, 2), Regime::Superposition);
        // n = 3, m = 2: extra feature orthogonal to two antipodal others: dedicated.
        let w = [1.0, -1.0, 0.0, 0.0, 0.0, 1.0];
        assert_eq!(classify(&w, 2, 3), Regime::Dedicated);
    }

    #[test]
    fn threshold_is_continuous_at_equal_importance() {
        let a = superposition_threshold_2_1(1.0);
        let b = superposition_threshold_2_1(1.0 + 1e-9);
        assert!((a - 4.0 / 7.0).abs() < 1e-12 && (a - b).abs() < 1e-6);
    }

    #[test]
    fn theory_matches_the_closed_form_threshold() {
        // For n = 2, m = 1 the winner switches to superposition exactly below p*(r).
        for r in [0.2, 0.5, 1.0, 2.0, 5.0] {
            let p_star = superposition_threshold_2_1(r);
            assert_eq!(
                theory_regime(2, p_star * 0.97, r),
                Regime::Superposition,
                "r = {r}"
            );
            assert_ne!(
                theory_regime(2, (p_star * 1.03).min(1.0), r),
                Regime::Superposition,
                "r = {r}"
            );
        }
        // Dense: the more important feature gets the dimension.
        assert_eq!(theory_regime(2, 1.0, 0.5), Regime::NotLearned);
        assert_eq!(theory_regime(2, 1.0, 2.0), Regime::Dedicated);
        let spec = PhaseSpec::paper(2, 1);
        assert!(!spec.theory_boundary(40).is_empty());
    }

    #[test]
    fn grid_layout_and_voting() {
        let spec = PhaseSpec {
            resolution: 3,
            models: 3,
            ..PhaseSpec::paper(2, 1)
        };
        let cfg = spec.config();
        assert_eq!(cfg.instances.len(), 27);
        let i = spec.instance(1, 2, 0);
        assert!((cfg.instances[i].importance[1] - 10.0).abs() < 1e-4);
        assert!((cfg.instances[i].feature_probability[0] - 0.1).abs() < 1e-6);
        // Cell (0, 0): two superposed models and one (worst) dedicated one.
        let mut params = vec![0.0f32; 27 * 4];
        let mut losses = vec![1.0f32; 27];
        for (k, (w, loss)) in [([1.0, -1.0], 0.1), ([1.0, -1.0], 0.2), ([0.0, 1.0], 0.9)]
            .iter()
            .enumerate()
        {
            let i = spec.instance(0, 0, k as u32);
            params[i * 4] = w[0];
            params[i * 4 + 1] = w[1];
            losses[i] = *loss;
        }
        let cell = spec.cell(0, 0, &params, &losses);
        assert_eq!(
            cell.votes,
            vec![Regime::Superposition, Regime::Superposition]
        );
        assert_eq!(cell.regime, Regime::Superposition);
    }
}
