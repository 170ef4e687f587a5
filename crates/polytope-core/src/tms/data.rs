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

/// Precomputed per-feature constants for generating independent features fast: the lanes'
/// multipliers and the presence thresholds as integers, so that a whole row is a loop the
/// compiler vectorises. Gives exactly the values of [`feature_value`].
pub struct RowSampler {
    presence_mix: Vec<u32>,
    value_mix: Vec<u32>,
    /// `ceil(p_j 2^24)`: `unit(bits) < p_j` exactly when `bits >> 8 < threshold_j`.
    threshold: Vec<u32>,
    signed: bool,
    hash_p: Vec<u32>,
    hash_v: Vec<u32>,
}

impl RowSampler {
    /// A sampler for independent features with probabilities `probability`.
    pub fn new(probability: &[f32], signed: bool) -> Self {
        let n = probability.len();
        let mut sampler = Self {
            presence_mix: (0..n as u32)
                .map(|j| (2 * j).wrapping_mul(0x9E37_79B9))
                .collect(),
            value_mix: (0..n as u32)
                .map(|j| (2 * j + 1).wrapping_mul(0x9E37_79B9))
                .collect(),
            threshold: vec![0; n],
            signed,
            hash_p: vec![0; n],
            hash_v: vec![0; n],
        };
        sampler.set_probability(probability, signed);
        sampler
    }

    /// Switches to other probabilities (another instance) without allocating.
    pub fn set_probability(&mut self, probability: &[f32], signed: bool) {
        self.signed = signed;
        for (t, p) in self.threshold.iter_mut().zip(probability) {
            *t = (f64::from(*p) * 16_777_216.0).ceil() as u32;
        }
    }

    /// Fills `x` with the sample of key `key`.
    pub fn row(&mut self, key: u32, x: &mut [f32]) {
        for (h, mix) in self.hash_p.iter_mut().zip(&self.presence_mix) {
            *h = crate::rng::pcg(key ^ mix);
        }
        for (h, mix) in self.hash_v.iter_mut().zip(&self.value_mix) {
            *h = crate::rng::pcg(key ^ mix);
        }
        let signed = self.signed;
        for (((xj, hp), hv), t) in x
            .iter_mut()
            .zip(&self.hash_p)
            .zip(&self.hash_v)
            .zip(&self.threshold)
        {
            let v = crate::rng::unit_f32(*hv);
            let v = if signed { 2.0 * v - 1.0 } else { v };
            *xj = if (hp >> 8) < *t { v } else { 0.0 };
        }
    }
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
    fn row_sampler_gives_exactly_the_reference_values() {
        let prob: Vec<f32> = (0..50)
            .map(|j| [1.0, 0.3, 0.05, 0.0, 0.999_999_9][j % 5])
            .collect();
        for signed in [false, true] {
            let mut sampler = RowSampler::new(&prob, signed);
            for s in 0..200 {
                let key = sample_key(9, 1, 2, s);
                let mut fast = vec![0.0; 50];
                let mut reference = vec![0.0; 50];
                sampler.row(key, &mut fast);
                sample_features(key, &prob, Correlation::Independent, signed, &mut reference);
                assert_eq!(fast, reference);
            }
        }
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
