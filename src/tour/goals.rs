//! When a tour step has made its point: pure functions of the trained weights and metrics,
//! tested natively on hand-built solutions (and on broken ones, so that each can fail).

use polytope_core::tms::{InstanceMetrics, PhaseCell, REPRESENTED_NORM, Regime, instance_metrics};

/// Features of an instance with `‖W_i‖` above the represented threshold.
pub fn represented(met: &InstanceMetrics) -> usize {
    met.norms.iter().filter(|x| **x > REPRESENTED_NORM).count()
}

/// The largest distance of a represented feature's `D_i` from `target`, when every one of
/// the instance's `n` features is represented (`None` otherwise).
pub fn shape_error(met: &InstanceMetrics, target: f32) -> Option<f32> {
    (represented(met) == met.norms.len()).then(|| {
        met.dimensionality
            .iter()
            .map(|d| (d - target).abs())
            .fold(0.0, f32::max)
    })
}

/// How close a feature's `D_i` must be to a named fraction to count as that shape.
pub const SHAPE_TOLERANCE: f32 = 0.06;

/// Five features around a pentagon: all represented, every `D_i` near 2/5.
pub fn is_pentagon(met: &InstanceMetrics) -> bool {
    met.norms.len() == 5 && shape_error(met, 0.4).is_some_and(|e| e < SHAPE_TOLERANCE)
}

/// Superposition grows with sparsity: the densest instance keeps at most `m` features, each
/// in a dimension of its own, and the sparsest represents clearly more than `m`, sharing.
pub fn sparsity_made_its_point(
    dense: &InstanceMetrics,
    sparse: &InstanceMetrics,
    m: usize,
) -> bool {
    let shared = |met: &InstanceMetrics| {
        met.norms
            .iter()
            .zip(&met.superposition)
            .filter(|(n, s)| **n > REPRESENTED_NORM && **s > 0.5)
            .count()
    };
    represented(dense) <= m
        && shared(dense) == 0
        && represented(sparse) > m + m / 2
        && shared(sparse) * 2 > represented(sparse)
}

/// Dimensions per feature falls with sparsity and pauses at 1/2: `(1/(1-S), D*)` of every
/// instance, densest first.
pub fn dims_made_its_point(points: &[(f64, f32)]) -> bool {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return false;
    };
    let near_half = points
        .iter()
        .filter(|(_, d)| (d - 0.5).abs() < 0.05)
        .count();
    first.1 > 0.85 && last.1 < 0.45 && near_half >= 1
}

/// Neurons of `W` (`m x n`) that carry two or more features (weights above 0.3).
pub fn polysemantic_neurons(w: &[f32], m: usize, n: usize) -> usize {
    (0..m)
        .filter(|k| {
            w[k * n..(k + 1) * n]
                .iter()
                .filter(|x| x.abs() > 0.3)
                .count()
                >= 2
        })
        .count()
}

/// Computing `|x|` in superposition: with dense inputs every neuron serves one feature; with
/// sparse inputs the model computes more features than half its neurons (each `|x_i|` needs
/// two ReLU neurons when done without superposition), and neurons serve several features.
pub fn computation_made_its_point(
    dense_w: &[f32],
    sparse_w: &[f32],
    sparse: &InstanceMetrics,
    m: usize,
    n: usize,
) -> bool {
    polysemantic_neurons(dense_w, m, n) == 0
        && represented(sparse) > m / 2
        && polysemantic_neurons(sparse_w, m, n) * 2 >= m
}

/// The outputs `x' = ReLU(WᵀW x + b)` of a toy model (`W` is `m x n`), and the values before
/// the ReLU.
pub fn outputs(w: &[f32], b: &[f32], m: usize, n: usize, x: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let h: Vec<f32> = (0..m)
        .map(|k| (0..n).map(|j| w[k * n + j] * x[j]).sum())
        .collect();
    let pre: Vec<f32> = (0..n)
        .map(|i| (0..m).map(|k| w[k * n + i] * h[k]).sum::<f32>() + b[i])
        .collect();
    (pre.iter().map(|v| v.max(0.0)).collect(), pre)
}

/// The features of a 2-D model in the order of their directions' angles.
pub fn angular_order(w: &[f32], n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let angle = |j: usize| w[n + j].atan2(w[j]);
    order.sort_by(|a, b| angle(*a).total_cmp(&angle(*b)));
    order
}

/// What the interference step shows on a trained pentagon (`W` is `2 x 5`).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Interference {
    /// One feature on: its own output above 0.5 and every other output below a quarter of it,
    /// although some of them received a positive signal before the bias and the ReLU (a trained
    /// pentagon's bias settles near -0.25 while a neighbour receives about 0.3: a small leak
    /// remains, the ReLU cuts most of it).
    pub single_clean: bool,
    /// Two features that are not neighbours on: the feature between them outputs more than 0.1
    /// (a mistake).
    pub pair_misfires: bool,
}

pub fn interference(w: &[f32], b: &[f32]) -> Interference {
    let (m, n) = (2, 5);
    if w.len() != m * n || b.len() != n {
        return Interference::default();
    }
    let mut leaked = false;
    let single_clean = (0..n).all(|i| {
        let mut x = vec![0.0; n];
        x[i] = 1.0;
        let (out, pre) = outputs(w, b, m, n, &x);
        leaked |= (0..n).any(|j| j != i && pre[j] - b[j] > 0.05);
        out[i] > 0.5 && (0..n).all(|j| j == i || out[j] < 0.25 * out[i])
    }) && leaked;
    let order = angular_order(w, n);
    let pair_misfires = (0..n).any(|k| {
        let (a, mid, c) = (order[k], order[(k + 1) % n], order[(k + 2) % n]);
        let mut x = vec![0.0; n];
        x[a] = 1.0;
        x[c] = 1.0;
        outputs(w, b, m, n, &x).0[mid] > 0.1
    });
    Interference {
        single_clean,
        pair_misfires,
    }
}

/// The phase diagram shows its phase change: the densest row has no superposition (the extra
/// feature is dropped or gets its own dimension, both seen), and most cells of the two
/// sparsest rows are in superposition.
pub fn phase_made_its_point(cells: &[PhaseCell], resolution: usize) -> bool {
    if resolution < 2 || cells.len() != resolution * resolution {
        return false;
    }
    let row = |r: usize| &cells[r * resolution..(r + 1) * resolution];
    let top = row(0);
    let has = |cells: &[PhaseCell], g: Regime| cells.iter().any(|c| c.regime == g);
    let sparse: Vec<&PhaseCell> = row(resolution - 1)
        .iter()
        .chain(row(resolution - 2))
        .collect();
    let shared = sparse
        .iter()
        .filter(|c| c.regime == Regime::Superposition)
        .count();
    !has(top, Regime::Superposition)
        && has(top, Regime::NotLearned)
        && has(top, Regime::Dedicated)
        && shared * 2 > sparse.len()
}

/// An SAE's size and cost: features, parameters (encoder and decoder weights and biases) and
/// training arithmetic per activation (about 12 d f: forward 4, backward 8).
pub fn sae_scale(width: f64, expansion: f64) -> (f64, f64, f64) {
    let features = width * expansion;
    let params = 2.0 * width * features + width + features;
    (features, params, 12.0 * width * features)
}

/// Metrics of `W` (`m x n`).
pub fn metrics(w: &[f32], m: usize, n: usize) -> InstanceMetrics {
    instance_metrics(w, m, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unit columns at the given angles in a plane, scaled by `r`.
    fn plane(angles: &[f32], r: f32) -> Vec<f32> {
        let n = angles.len();
        let mut w = vec![0.0; 2 * n];
        for (j, a) in angles.iter().enumerate() {
            w[j] = r * a.cos();
            w[n + j] = r * a.sin();
        }
        w
    }

    fn pentagon() -> Vec<f32> {
        let tau = std::f32::consts::TAU;
        plane(
            &[
                0.0,
                tau / 5.0,
                2.0 * tau / 5.0,
                3.0 * tau / 5.0,
                4.0 * tau / 5.0,
            ],
            1.1,
        )
    }

    #[test]
    fn a_pentagon_is_recognised_and_two_digons_are_not() {
        assert!(is_pentagon(&metrics(&pentagon(), 2, 5)));
        let pi = std::f32::consts::PI;
        let digons = plane(&[0.0, pi, pi / 2.0, 1.5 * pi, 0.0], 1.0);
        let mut w = digons;
        w[4] = 0.0;
        w[9] = 0.0;
        assert!(!is_pentagon(&metrics(&w, 2, 5)));
    }

    #[test]
    fn a_pentagon_with_a_negative_bias_is_clean_alone_and_misfires_in_pairs() {
        let w = pentagon();
        // Neighbours get 1.21 cos 72° = 0.37 before the bias; the bias removes it.
        let b = vec![-0.4; 5];
        let r = interference(&w, &b);
        assert!(r.single_clean && r.pair_misfires, "{r:?}");
        // A trained pentagon's bias (about -0.25) leaves a small leak, well under the own output.
        assert!(interference(&w, &[-0.25; 5]).single_clean);
        // Without the bias the neighbours fire: not clean.
        assert!(!interference(&w, &[0.0; 5]).single_clean);
    }

    #[test]
    fn the_phase_goal_needs_all_three_regimes_in_their_places() {
        use Regime::{Dedicated, NotLearned, Superposition};
        let cell = |regime| PhaseCell {
            density: 1.0,
            relative_importance: 1.0,
            votes: vec![regime],
            regime,
        };
        let three = |top: [Regime; 3], mid: [Regime; 3], low: [Regime; 3]| -> Vec<PhaseCell> {
            top.iter()
                .chain(&mid)
                .chain(&low)
                .map(|r| cell(*r))
                .collect()
        };
        let good = three(
            [NotLearned, Dedicated, Dedicated],
            [Superposition, Superposition, Dedicated],
            [Superposition, Superposition, Superposition],
        );
        assert!(phase_made_its_point(&good, 3));
        let no_shared = three(
            [NotLearned, Dedicated, Dedicated],
            [Dedicated, Dedicated, Dedicated],
            [Dedicated, Superposition, Dedicated],
        );
        assert!(!phase_made_its_point(&no_shared, 3));
    }

    #[test]
    fn dims_per_feature_must_fall_and_pause_at_one_half() {
        assert!(dims_made_its_point(&[
            (1.0, 1.0),
            (2.0, 0.52),
            (3.0, 0.49),
            (20.0, 0.2)
        ]));
        assert!(!dims_made_its_point(&[(1.0, 1.0), (2.0, 0.7), (20.0, 0.2)]));
        assert!(!dims_made_its_point(&[(1.0, 0.6), (2.0, 0.5), (20.0, 0.2)]));
    }

    #[test]
    fn the_essays_example_has_twenty_billion_parameters() {
        let (f, p, _) = sae_scale(10_000.0, 100.0);
        assert_eq!(f, 1e6);
        assert!((p / 2e10 - 1.0).abs() < 1e-3, "{p}");
    }

    #[test]
    fn polysemantic_neurons_are_counted() {
        // 2 neurons x 3 features: neuron 0 carries features 0 and 1.
        let w = [0.9, 0.8, 0.0, 0.0, 0.0, 1.0];
        assert_eq!(polysemantic_neurons(&w, 2, 3), 1);
    }
}
