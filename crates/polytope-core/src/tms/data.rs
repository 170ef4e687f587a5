//! Synthetic inputs: sparse features with values `U[0, 1]` (or `U[-1, 1]` for the abs model).
//!
//! Lanes of a sample key (see [`crate::rng`]) are assigned so that any feature's value is a
//! function of the key alone, which is what lets the GPU generate its batches itself:
//! - lane `2 s`: whether set `s` is active (independent features are sets of one);
//! - lane `2 j + 1`: the value of feature `j`;
//! - lane `LANE_CHOICE_BASE + s`: which member of anticorrelated set `s` is present.

use super::config::Correlation;
use crate::rng::lane_unit;

/// First lane of the anticorrelated member choices (above every presence and value lane for
/// the largest supported `n`).
pub const LANE_CHOICE_BASE: u32 = 1 << 20;

/// The value of feature `j` in the sample with key `key`.
///
/// `probability` holds the instance's per-feature probabilities; `signed` draws nonzero values
/// from `U[-1, 1]` instead of `U[0, 1]`.
#[inline]
pub fn feature_value(
    key: u32,
    j: u32,
    n: u32,
    probability: &[f32],
    correlation: Correlation,
    signed: bool,
) -> f32 {
    let set_size = correlation.set_size();
    let set = j / set_size;
    let first = set * set_size;
    let active = lane_unit(key, 2 * set) < probability[first as usize];
    let present = match correlation {
        Correlation::Independent | Correlation::Correlated { .. } => active,
        Correlation::Anticorrelated { .. } => {
            let members = set_size.min(n - first);
            let u = lane_unit(key, LANE_CHOICE_BASE + set);
            let chosen = ((u * members as f32) as u32).min(members - 1);
            active && j - first == chosen
        }
    };
    if !present {
        return 0.0;
    }
    let v = lane_unit(key, 2 * j + 1);
    if signed { 2.0 * v - 1.0 } else { v }
}

/// Fills `x` (length `n`) with one sample.
pub fn sample_features(
    key: u32,
    probability: &[f32],
    correlation: Correlation,
    signed: bool,
    x: &mut [f32],
) {
    let n = x.len() as u32;
    for (j, xj) in x.iter_mut().enumerate() {
        *xj = feature_value(key, j as u32, n, probability, correlation, signed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::sample_key;

    fn batch(n: u32, p: f32, correlation: Correlation, samples: u32) -> Vec<Vec<f32>> {
        let prob = vec![p; n as usize];
        (0..samples)
            .map(|s| {
                let mut x = vec![0.0; n as usize];
                sample_features(sample_key(3, 0, 0, s), &prob, correlation, false, &mut x);
                x
            })
            .collect()
    }

    #[test]
    fn independent_density_and_values() {
        let xs = batch(8, 0.2, Correlation::Independent, 20_000);
        let nonzero = xs.iter().flatten().filter(|v| **v != 0.0).count();
        let density = nonzero as f64 / (8.0 * 20_000.0);
        assert!((density - 0.2).abs() < 0.01, "density {density}");
        let mean: f64 = xs
            .iter()
            .flatten()
            .filter(|v| **v != 0.0)
            .map(|v| f64::from(*v))
            .sum::<f64>()
            / nonzero as f64;
        assert!((mean - 0.5).abs() < 0.01, "mean value {mean}");
    }

    #[test]
    fn correlated_sets_switch_together() {
        for x in batch(4, 0.3, Correlation::Correlated { set_size: 2 }, 2000) {
            assert_eq!(x[0] == 0.0, x[1] == 0.0);
            assert_eq!(x[2] == 0.0, x[3] == 0.0);
        }
    }

    #[test]
    fn anticorrelated_sets_have_one_member() {
        let xs = batch(4, 0.5, Correlation::Anticorrelated { set_size: 2 }, 4000);
        let mut active_sets = 0;
        for x in &xs {
            assert!(x[0] == 0.0 || x[1] == 0.0);
            assert!(x[2] == 0.0 || x[3] == 0.0);
            active_sets += usize::from(x[0] != 0.0 || x[1] != 0.0);
        }
        let frac = active_sets as f64 / xs.len() as f64;
        assert!((frac - 0.5).abs() < 0.03, "active fraction {frac}");
    }

    #[test]
    fn signed_values_cover_both_signs() {
        let prob = vec![1.0; 64];
        let mut x = vec![0.0; 64];
        sample_features(
            sample_key(1, 2, 3, 4),
            &prob,
            Correlation::Independent,
            true,
            &mut x,
        );
        assert!(x.iter().any(|v| *v < 0.0) && x.iter().any(|v| *v > 0.0));
        assert!(x.iter().all(|v| (-1.0..1.0).contains(v)));
    }
}
