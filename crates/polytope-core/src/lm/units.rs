//! Measurements of units (MLP neurons, dictionary features, random directions) over a stretch
//! of tokens, small enough to run in a page: a unit's activations, where it fires most, and how
//! well units of two models correlate. How readable a unit is lives in [`super::interp`].
//!
//! # Shapes
//! `acts: [tokens, width]` row-major (one row per token, one column per unit).

/// Unit `u`'s activation on every token.
pub fn column(acts: &[f32], width: usize, u: usize) -> Vec<f32> {
    if width == 0 || u >= width {
        return Vec::new();
    }
    acts.chunks_exact(width).map(|row| row[u]).collect()
}

/// The positions of the `k` largest positive values, largest first.
pub fn top_positions(values: &[f32], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..values.len()).filter(|i| values[*i] > 0.0).collect();
    idx.sort_by(|a, b| values[*b].total_cmp(&values[*a]).then(a.cmp(b)));
    idx.truncate(k);
    idx
}

/// Distinct current tokens among a unit's `k` strongest activations.
pub fn distinct_top_tokens(values: &[f32], tokens: &[u16], k: usize) -> usize {
    let mut seen: Vec<u16> = top_positions(values, k)
        .into_iter()
        .filter_map(|p| tokens.get(p).copied())
        .collect();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

/// Pearson correlation (0 when either side is constant).
pub fn pearson(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    if n < 2 {
        return 0.0;
    }
    let mean = |v: &[f32]| v[..n].iter().map(|x| f64::from(*x)).sum::<f64>() / n as f64;
    let (ma, mb) = (mean(a), mean(b));
    let (mut sab, mut saa, mut sbb) = (0.0f64, 0.0f64, 0.0f64);
    for i in 0..n {
        let (x, y) = (f64::from(a[i]) - ma, f64::from(b[i]) - mb);
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    if saa <= 0.0 || sbb <= 0.0 {
        return 0.0;
    }
    (sab / (saa * sbb).sqrt()) as f32
}

/// Columns standardised to mean 0 and unit norm (`[width, tokens]`, one row per unit), so
/// that a dot product is a Pearson correlation; constant columns become zeros.
pub fn standardised(acts: &[f32], width: usize, units: &[usize]) -> Vec<Vec<f32>> {
    units
        .iter()
        .map(|u| {
            let col = column(acts, width, *u);
            let n = col.len().max(1) as f32;
            let mean = col.iter().sum::<f32>() / n;
            let centred: Vec<f32> = col.iter().map(|x| x - mean).collect();
            let norm = centred.iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                centred.iter().map(|x| x / norm).collect()
            } else {
                vec![0.0; col.len()]
            }
        })
        .collect()
}

/// For every unit of `a`, its best correlation with any unit of `b` (both standardised, over
/// the same tokens).
pub fn best_correlations(a: &[Vec<f32>], b: &[Vec<f32>]) -> Vec<f32> {
    a.iter()
        .map(|x| {
            b.iter()
                .map(|y| x.iter().zip(y).map(|(p, q)| p * q).sum::<f32>())
                .fold(0.0f32, f32::max)
        })
        .collect()
}

/// The median (0 for none).
pub fn median(values: &[f32]) -> f32 {
    let mut v: Vec<f32> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f32::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        f32::midpoint(v[m - 1], v[m])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_top_tokens_counts_the_tokens_of_the_strongest_activations() {
        let tokens = [1u16, 2, 1, 3, 1, 4, 1, 5];
        let mono = [1.0, 0.0, 0.9, 0.0, 0.8, 0.0, 0.7, 0.0];
        let poly = [1.0, 0.9, 0.0, 0.8, 0.0, 0.7, 0.0, 0.6];
        assert_eq!(distinct_top_tokens(&mono, &tokens, 4), 1);
        assert_eq!(distinct_top_tokens(&poly, &tokens, 4), 4);
    }

    #[test]
    fn correlations_find_the_matching_unit() {
        // 3 tokens x 2 units in a, 3 tokens x 2 units in b; a's unit 0 = b's unit 1.
        let a = [1.0, 0.0, 2.0, 1.0, 3.0, 0.0];
        let b = [5.0, 1.0, 5.0, 2.0, 5.0, 3.0];
        let sa = standardised(&a, 2, &[0, 1]);
        let sb = standardised(&b, 2, &[0, 1]);
        let best = best_correlations(&sa, &sb);
        assert!((best[0] - 1.0).abs() < 1e-5, "{best:?}");
        assert!((pearson(&column(&a, 2, 0), &column(&b, 2, 1)) - 1.0).abs() < 1e-5);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
