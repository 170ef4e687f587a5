//! How good a dictionary is: recovery of known features (MMCS both ways, a matching of
//! learned latents to true features) and the density histogram.

/// `rows` rows of length `dim`, each scaled to unit norm (zero rows stay zero).
pub fn normalized_rows(data: &[f32], dim: usize) -> Vec<f32> {
    let mut out = data.to_vec();
    for row in out.chunks_mut(dim) {
        let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 1e-12 {
            for v in row.iter_mut() {
                *v /= norm;
            }
        }
    }
    out
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Mean max cosine similarity: for each row of `from` (unit rows), the largest cosine with any
/// row of `to`, averaged. `mmcs(truth, learned)` asks "is every true feature found?", the
/// reverse "is every latent a true feature?".
pub fn mmcs(from: &[f32], to: &[f32], dim: usize) -> f32 {
    let rows = from.len() / dim;
    if rows == 0 || to.is_empty() {
        return 0.0;
    }
    let total: f32 = from
        .chunks(dim)
        .map(|a| {
            to.chunks(dim)
                .map(|b| dot(a, b))
                .fold(f32::NEG_INFINITY, f32::max)
        })
        .sum();
    total / rows as f32
}

/// Pairs `(true feature, latent, cosine)`: each true feature with a distinct latent, the most
/// similar pairs first (greedy). Above a million candidate pairs, each true feature simply takes
/// its most similar latent (latents may repeat).
pub fn greedy_matching(truth: &[f32], learned: &[f32], dim: usize) -> Vec<(usize, usize, f32)> {
    let t = truth.len() / dim;
    let l = learned.len() / dim;
    let cos = |i: usize, j: usize| {
        dot(
            &truth[i * dim..(i + 1) * dim],
            &learned[j * dim..(j + 1) * dim],
        )
    };
    if t * l > 1_000_000 {
        return (0..t)
            .map(|i| {
                let (j, c) = (0..l)
                    .map(|j| (j, cos(i, j)))
                    .fold((0, f32::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
                (i, j, c)
            })
            .collect();
    }
    let mut pairs: Vec<(usize, usize, f32)> = (0..t)
        .flat_map(|i| (0..l).map(move |j| (i, j, 0.0)))
        .collect();
    for p in &mut pairs {
        p.2 = cos(p.0, p.1);
    }
    pairs.sort_by(|a, b| b.2.total_cmp(&a.2));
    let (mut used_t, mut used_l) = (vec![false; t], vec![false; l]);
    let mut out = Vec::with_capacity(t.min(l));
    for (i, j, c) in pairs {
        if !used_t[i] && !used_l[j] {
            used_t[i] = true;
            used_l[j] = true;
            out.push((i, j, c));
        }
    }
    out
}

/// Histogram bins of `log10(feature density)`: `DENSITY_BINS` bins of width 0.25 from -7 to 0,
/// plus a first bin for latents that never fired.
pub const DENSITY_BINS: usize = 28;

/// Counts of latents per density bin; index 0 holds the dead latents (density 0), then bins
/// `[-7, -6.75)`, ..., `[-0.25, 0]`.
pub fn density_histogram(densities: &[f64]) -> Vec<u32> {
    let mut hist = vec![0u32; DENSITY_BINS + 1];
    for d in densities {
        if *d <= 0.0 {
            hist[0] += 1;
        } else {
            let bin = ((d.log10() + 7.0) / 0.25)
                .floor()
                .clamp(0.0, (DENSITY_BINS - 1) as f64) as usize;
            hist[bin + 1] += 1;
        }
    }
    hist
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mmcs_and_matching_of_a_permuted_basis() {
        // Learned = the true basis permuted and one direction flipped.
        let truth = vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        let learned = vec![0.0, 1.0, 0.0, 0.0, 0.0, -1.0, 1.0, 0.0, 0.0];
        assert!((mmcs(&truth, &learned, 3) - 2.0 / 3.0).abs() < 1e-6);
        let m = greedy_matching(&truth, &learned, 3);
        assert_eq!(m.len(), 3);
        assert!(m.contains(&(0, 2, 1.0)) && m.contains(&(1, 0, 1.0)));
    }

    #[test]
    fn histogram_bins() {
        let h = density_histogram(&[0.0, 1e-7, 0.001, 0.0011, 1.0]);
        assert_eq!(h[0], 1);
        assert_eq!(h[1], 1);
        assert_eq!(h[1 + 16], 2); // log10 = -3 -> bin 16
        assert_eq!(h[DENSITY_BINS], 1);
        assert_eq!(h.iter().sum::<u32>(), 5);
    }
}
