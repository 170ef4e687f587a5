//! What a trained toy model has learned, computed from its weight matrix `W` (`m x n`,
//! row-major; column `W_i` is feature `i`'s direction). Formulas from Elhage et al. 2022.

use serde::{Deserialize, Serialize};

/// A feature counts as represented when its direction is at least this long (the paper's
/// figures use about 1 for represented and about 0 for not).
pub const REPRESENTED_NORM: f32 = 0.5;
/// Norms below this are treated as zero (no direction to normalise).
const TINY_NORM: f32 = 1e-6;

/// Per-feature and per-instance quantities of one instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceMetrics {
    /// `||W_i||`.
    pub norms: Vec<f32>,
    /// `sum_{j != i} (W^_i . W_j)^2` with `W^_i = W_i / ||W_i||` (0 for unlearned features).
    pub superposition: Vec<f32>,
    /// Feature dimensionality `D_i = ||W_i||^2 / sum_j (W^_i . W_j)^2` (0 when `W_i = 0`).
    pub dimensionality: Vec<f32>,
    /// Dimensions per feature `D* = m / ||W||_F^2`.
    pub dims_per_feature: f32,
}

/// `W^T W` (`n x n`, row-major).
pub fn gram(w: &[f32], m: usize, n: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; n * n];
    for k in 0..m {
        let row = &w[k * n..(k + 1) * n];
        for (i, wi) in row.iter().enumerate() {
            if *wi == 0.0 {
                continue;
            }
            for (o, wj) in out[i * n..(i + 1) * n].iter_mut().zip(row) {
                *o += wi * wj;
            }
        }
    }
    out
}

/// Per-feature metrics without forming `W^T W`: with `M = W W^T` (`m x m`),
/// `sum_j (W_i . W_j)^2 = W_i^T M W_i`, so the cost is `O(m^2 n)` instead of `O(m n^2)`,
/// which keeps live metrics cheap for 400 features.
pub fn instance_metrics(w: &[f32], m: usize, n: usize) -> InstanceMetrics {
    // M = W W^T, accumulated in f64 for stability of the differences below.
    let mut mm = vec![0.0f64; m * m];
    for a in 0..m {
        let ra = &w[a * n..(a + 1) * n];
        for b in a..m {
            let rb = &w[b * n..(b + 1) * n];
            let dot: f64 = ra
                .iter()
                .zip(rb)
                .map(|(x, y)| f64::from(*x) * f64::from(*y))
                .sum();
            mm[a * m + b] = dot;
            mm[b * m + a] = dot;
        }
    }
    let mut norms = vec![0.0f32; n];
    let mut superposition = vec![0.0f32; n];
    let mut dimensionality = vec![0.0f32; n];
    let mut col = vec![0.0f64; m];
    for i in 0..n {
        for (k, c) in col.iter_mut().enumerate() {
            *c = f64::from(w[k * n + i]);
        }
        let norm_sq: f64 = col.iter().map(|c| c * c).sum();
        norms[i] = norm_sq.sqrt() as f32;
        if norms[i] < TINY_NORM {
            continue;
        }
        // total = sum_j (W_i . W_j)^2, including j = i.
        let mut total = 0.0f64;
        for a in 0..m {
            let row: f64 = (0..m).map(|b| mm[a * m + b] * col[b]).sum();
            total += col[a] * row;
        }
        let others = (total - norm_sq * norm_sq).max(0.0);
        superposition[i] = (others / norm_sq) as f32;
        dimensionality[i] = (norm_sq * norm_sq / total.max(f64::MIN_POSITIVE)) as f32;
    }
    let frobenius_sq: f32 = w.iter().map(|x| x * x).sum();
    let dims_per_feature = if frobenius_sq > TINY_NORM {
        m as f32 / frobenius_sq
    } else {
        0.0
    };
    InstanceMetrics {
        norms,
        superposition,
        dimensionality,
        dims_per_feature,
    }
}

/// The feature geometry graph: a node per represented feature, an edge where two directions
/// interfere (`|W_i . W_j|` above a threshold). Its connected components are the tegum factors
/// of the geometry (for example a triangle and two digons).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeometryGraph {
    /// `(i, j, |W_i . W_j|)` with `i < j`.
    pub edges: Vec<(u32, u32, f32)>,
    /// Components of represented features, each sorted, largest first.
    pub components: Vec<Vec<u32>>,
}

/// Union-find root with path halving.
fn find(parent: &mut [usize], mut a: usize) -> usize {
    while parent[a] != a {
        parent[a] = parent[parent[a]];
        a = parent[a];
    }
    a
}

/// Builds the geometry graph with edges where `|W_i . W_j| > threshold`.
pub fn geometry_graph(w: &[f32], m: usize, n: usize, threshold: f32) -> GeometryGraph {
    let g = gram(w, m, n);
    let represented: Vec<bool> = (0..n)
        .map(|i| g[i * n + i].max(0.0).sqrt() > REPRESENTED_NORM)
        .collect();
    let mut parent: Vec<usize> = (0..n).collect();
    let mut edges = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            let weight = g[i * n + j].abs();
            if represented[i] && represented[j] && weight > threshold {
                edges.push((i as u32, j as u32, weight));
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<u32>> = std::collections::BTreeMap::new();
    for i in (0..n).filter(|i| represented[*i]) {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(i as u32);
    }
    let mut components: Vec<Vec<u32>> = groups.into_values().collect();
    components.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    GeometryGraph { edges, components }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Columns of `W` given as `n` vectors in `m` dimensions.
    fn from_columns(cols: &[Vec<f32>]) -> (Vec<f32>, usize, usize) {
        let (n, m) = (cols.len(), cols[0].len());
        let mut w = vec![0.0; m * n];
        for (j, c) in cols.iter().enumerate() {
            for (k, v) in c.iter().enumerate() {
                w[k * n + j] = *v;
            }
        }
        (w, m, n)
    }

    fn regular_polygon(count: usize) -> Vec<Vec<f32>> {
        (0..count)
            .map(|i| {
                let a = std::f32::consts::TAU * i as f32 / count as f32;
                vec![a.cos(), a.sin()]
            })
            .collect()
    }

    #[test]
    fn sticky_fractions_of_regular_polytopes() {
        // Pentagon in 2-D: D_i = 2/5; triangle: 2/3; digon (antipodal pair in 1-D): 1/2.
        for (count, expected) in [(5, 0.4), (3, 2.0 / 3.0), (2, 0.5)] {
            let (w, m, n) = from_columns(&regular_polygon(count));
            let met = instance_metrics(&w, m, n);
            for d in &met.dimensionality {
                assert!((d - expected).abs() < 1e-5, "{count}-gon: D_i {d}");
            }
            assert!((met.dims_per_feature - 2.0 / count as f32).abs() < 1e-5);
        }
        // Tetrahedron in 3-D: 3/4.
        let s = 1.0 / 3.0f32.sqrt();
        let tetra = vec![
            vec![s, s, s],
            vec![s, -s, -s],
            vec![-s, s, -s],
            vec![-s, -s, s],
        ];
        let (w, m, n) = from_columns(&tetra);
        for d in instance_metrics(&w, m, n).dimensionality {
            assert!((d - 0.75).abs() < 1e-5, "tetrahedron D_i {d}");
        }
    }

    /// The fast formula agrees with the definition computed from the full `W^T W`.
    #[test]
    fn fast_metrics_match_the_definition() {
        let mut rng = crate::rng::HostRng::new(3, 4);
        let (m, n) = (4, 9);
        let w: Vec<f32> = (0..m * n).map(|_| rng.next_normal() as f32).collect();
        let g = gram(&w, m, n);
        let met = instance_metrics(&w, m, n);
        for i in 0..n {
            let norm_sq = g[i * n + i];
            let others: f32 = (0..n)
                .filter(|j| *j != i)
                .map(|j| g[i * n + j].powi(2) / norm_sq)
                .sum();
            assert!((met.superposition[i] - others).abs() < 1e-4 * (1.0 + others));
            assert!((met.dimensionality[i] - norm_sq / (norm_sq + others)).abs() < 1e-5);
        }
    }

    #[test]
    fn orthogonal_features_have_no_superposition() {
        let (w, m, n) = from_columns(&[vec![1.0, 0.0], vec![0.0, 1.0], vec![0.0, 0.0]]);
        let met = instance_metrics(&w, m, n);
        assert_eq!(met.norms, vec![1.0, 1.0, 0.0]);
        assert_eq!(met.superposition, vec![0.0, 0.0, 0.0]);
        assert_eq!(met.dimensionality, vec![1.0, 1.0, 0.0]);
        assert!((met.dims_per_feature - 1.0).abs() < 1e-6);
    }

    #[test]
    fn geometry_graph_finds_tegum_factors() {
        // Two antipodal pairs on orthogonal axes plus an unlearned feature.
        let (w, m, n) = from_columns(&[
            vec![1.0, 0.0],
            vec![0.0, 1.0],
            vec![-1.0, 0.0],
            vec![0.0, -1.0],
            vec![0.0, 0.01],
        ]);
        let graph = geometry_graph(&w, m, n, 0.1);
        assert_eq!(graph.components, vec![vec![0, 2], vec![1, 3]]);
        assert_eq!(graph.edges.len(), 2);
    }
}
