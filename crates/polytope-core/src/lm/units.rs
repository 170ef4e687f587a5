//! Measurements of units (MLP neurons, dictionary features, random directions) over a stretch
//! of tokens, small enough to run in a page: a unit's activations, where it fires most, how
//! concentrated its firing is on one token, and how well units of two models correlate.
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

/// How much of a unit's strongest firing is on a single token: of its `k` largest activations
/// (positive only), the share on the most common current token. 1 for a unit that fires only
/// on one token; small for a unit whose strongest activations are spread over many tokens. A
/// unit that fires on fewer than `k / 2` tokens scores 0 (too little evidence).
pub fn token_concentration(values: &[f32], tokens: &[u16], k: usize) -> f32 {
    let top = top_positions(values, k);
    if top.len() * 2 < k || top.is_empty() {
        return 0.0;
    }
    let mut counts: Vec<(u16, usize)> = Vec::new();
    for p in &top {
        let t = tokens.get(*p).copied().unwrap_or(u16::MAX);
        match counts.iter_mut().find(|(tok, _)| *tok == t) {
            Some(c) => c.1 += 1,
            None => counts.push((t, 1)),
        }
    }
    let most = counts.iter().map(|(_, c)| *c).max().unwrap_or(0);
    most as f32 / top.len() as f32
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

/// `count` random unit directions in `dim` dimensions (Gaussian, normalised), deterministic
/// for the seed: the control that is scored like the units.
pub fn random_directions(count: usize, dim: usize, seed: u32) -> Vec<f32> {
    let mut rng = crate::rng::HostRng::new(seed, 0xD1CE);
    let mut out: Vec<f32> = (0..count * dim).map(|_| rng.next_normal() as f32).collect();
    for row in out.chunks_exact_mut(dim.max(1)) {
        let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
        for x in row {
            *x /= norm;
        }
    }
    out
}

/// Activations of directions: `ReLU(acts · d)` for each direction `d` (`[count, dim]`),
/// as `[tokens, count]`.
pub fn project_relu(acts: &[f32], dim: usize, directions: &[f32]) -> Vec<f32> {
    let count = directions.len() / dim.max(1);
    let mut out = Vec::with_capacity(acts.len() / dim.max(1) * count);
    for row in acts.chunks_exact(dim.max(1)) {
        for d in directions.chunks_exact(dim.max(1)) {
            let v: f32 = row.iter().zip(d).map(|(a, b)| a * b).sum();
            out.push(v.max(0.0));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_that_fires_on_one_token_is_concentrated_and_a_mixed_one_is_not() {
        let tokens = [1u16, 2, 1, 3, 1, 4, 1, 5];
        let mono = [1.0, 0.0, 0.9, 0.0, 0.8, 0.0, 0.7, 0.0];
        let poly = [1.0, 0.9, 0.0, 0.8, 0.0, 0.7, 0.0, 0.6];
        assert_eq!(token_concentration(&mono, &tokens, 4), 1.0);
        assert_eq!(token_concentration(&poly, &tokens, 4), 0.25);
        assert_eq!(distinct_top_tokens(&poly, &tokens, 4), 4);
        // Too few firings to judge.
        assert_eq!(token_concentration(&[1.0, 0.0, 0.0, 0.0], &tokens, 4), 0.0);
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

    #[test]
    fn random_directions_are_unit_length_and_reproducible() {
        let d = random_directions(5, 8, 3);
        for row in d.chunks(8) {
            let n: f32 = row.iter().map(|x| x * x).sum();
            assert!((n - 1.0).abs() < 1e-4);
        }
        assert_eq!(d, random_directions(5, 8, 3));
        assert_ne!(d, random_directions(5, 8, 4));
        let p = project_relu(&[1.0; 16], 8, &d);
        assert_eq!(p.len(), 2 * 5);
        assert!(p.iter().all(|v| *v >= 0.0));
    }
}
