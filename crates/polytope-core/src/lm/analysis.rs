//! What a dictionary's features do over a stream of tokens: running an SAE on MLP activations,
//! and the per-feature statistics the feature browser shows (densities, top activations,
//! quantile samples, histograms, correlations, splitting edges, cross-model matches).
//!
//! Everything works on [`SparseCodes`]: the active features of each token, which is what
//! makes a pass over hundreds of thousands of tokens with thousands of features cheap.

use crate::dict::SaeWeights;
use crate::lm::model::gemm;
use crate::rng::HostRng;
use crate::sae::{Variant, top_k_row};

/// Dense latent activations `[rows, d_sae]` of `x` (`[rows, d_in]`, in the activations' own
/// units): the browser's and the pipeline's one encoder.
pub fn sae_encode(w: &SaeWeights, x: &[f32]) -> Vec<f32> {
    let (n, s) = (w.d_in as usize, w.d_sae as usize);
    let rows = x.len() / n;
    let subtract = matches!(w.variant, Variant::L1_2023 | Variant::TopK);
    let mut xs: Vec<f32> = x.iter().map(|v| v * w.normalize_scale).collect();
    if subtract {
        for row in xs.chunks_exact_mut(n) {
            for (v, b) in row.iter_mut().zip(&w.b_dec) {
                *v -= b;
            }
        }
    }
    let mut z = vec![0.0f32; rows * s];
    for row in z.chunks_exact_mut(s) {
        row.copy_from_slice(&w.b_enc);
    }
    gemm(rows, n, s, &xs, false, &w.w_enc, true, 1.0, &mut z);
    let mut mask = vec![false; s];
    let mut scratch = Vec::new();
    for row in z.chunks_exact_mut(s) {
        match w.variant {
            Variant::L1_2023 | Variant::L1_2024 => row.iter_mut().for_each(|v| *v = v.max(0.0)),
            Variant::TopK => {
                top_k_row(row, w.k.unwrap_or(1) as usize, &mut mask, &mut scratch);
            }
            Variant::JumpRelu => {
                for (v, t) in row.iter_mut().zip(&w.threshold) {
                    if *v <= *t {
                        *v = 0.0;
                    }
                }
            }
        }
    }
    z
}

/// Reconstructions `[rows, d_in]` from latent activations, in the activations' own units.
pub fn sae_decode(w: &SaeWeights, f: &[f32]) -> Vec<f32> {
    let (n, s) = (w.d_in as usize, w.d_sae as usize);
    let rows = f.len() / s;
    let mut x = vec![0.0f32; rows * n];
    for row in x.chunks_exact_mut(n) {
        row.copy_from_slice(&w.b_dec);
    }
    gemm(rows, s, n, f, false, &w.w_dec, false, 1.0, &mut x);
    let inv = 1.0 / w.normalize_scale;
    for v in &mut x {
        *v *= inv;
    }
    x
}

/// The active features of every token, row by row (compressed sparse rows).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SparseCodes {
    pub d_sae: usize,
    /// `offsets[t]..offsets[t + 1]` index `features` and `values` for token `t`.
    pub offsets: Vec<usize>,
    pub features: Vec<u32>,
    pub values: Vec<f32>,
}

impl SparseCodes {
    pub fn new(d_sae: usize) -> Self {
        Self {
            d_sae,
            offsets: vec![0],
            features: Vec::new(),
            values: Vec::new(),
        }
    }

    pub fn rows(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn row(&self, t: usize) -> (&[u32], &[f32]) {
        let r = self.offsets[t]..self.offsets[t + 1];
        (&self.features[r.clone()], &self.values[r])
    }

    /// Feature `f`'s activation at token `t` (0 when inactive).
    pub fn value(&self, t: usize, f: u32) -> f32 {
        let (fs, vs) = self.row(t);
        fs.iter().position(|x| *x == f).map_or(0.0, |i| vs[i])
    }

    /// Appends dense rows `[rows, d_sae]`.
    pub fn push_dense(&mut self, dense: &[f32]) {
        for row in dense.chunks_exact(self.d_sae) {
            for (f, v) in row.iter().enumerate() {
                if *v > 0.0 {
                    self.features.push(f as u32);
                    self.values.push(*v);
                }
            }
            self.offsets.push(self.features.len());
        }
    }

    /// Mean number of active features per token.
    pub fn l0(&self) -> f64 {
        self.features.len() as f64 / self.rows().max(1) as f64
    }
}

/// Per-feature totals over all tokens.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FeatureTotals {
    pub count: u64,
    pub sum: f64,
    pub sum_sq: f64,
    pub max: f32,
}

pub fn feature_totals(codes: &SparseCodes) -> Vec<FeatureTotals> {
    let mut out = vec![FeatureTotals::default(); codes.d_sae];
    for (f, v) in codes.features.iter().zip(&codes.values) {
        let t = &mut out[*f as usize];
        t.count += 1;
        t.sum += f64::from(*v);
        t.sum_sq += f64::from(*v) * f64::from(*v);
        t.max = t.max.max(*v);
    }
    out
}

/// The `k` largest activations of every feature, `(token, value)` descending; at most one per
/// stretch of `spacing` tokens, so the examples are not the same passage twice.
pub fn top_activations(codes: &SparseCodes, k: usize, spacing: usize) -> Vec<Vec<(u32, f32)>> {
    // Gather candidates per feature (a bounded number, by value), then pick with spacing.
    let cap = k * 8;
    let mut cand: Vec<Vec<(u32, f32)>> = vec![Vec::new(); codes.d_sae];
    for t in 0..codes.rows() {
        let (fs, vs) = codes.row(t);
        for (f, v) in fs.iter().zip(vs) {
            let c = &mut cand[*f as usize];
            c.push((t as u32, *v));
            if c.len() >= cap * 2 {
                c.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                c.truncate(cap);
            }
        }
    }
    cand.into_iter()
        .map(|mut c| {
            c.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let mut chosen: Vec<(u32, f32)> = Vec::with_capacity(k);
            for (t, v) in c {
                if chosen
                    .iter()
                    .all(|(u, _)| (i64::from(*u) - i64::from(t)).unsigned_abs() as usize >= spacing)
                {
                    chosen.push((t, v));
                    if chosen.len() == k {
                        break;
                    }
                }
            }
            chosen
        })
        .collect()
}

/// One activation interval of a feature: how many tokens fall in it, and a sample of them
/// `(token, value)`.
pub type QuantileSample = (u64, Vec<(u32, f32)>);

/// `groups` equal-width intervals of `(0, max]` per feature, with the number of tokens in each
/// and up to `per_group` of them drawn uniformly at random (reservoir sampling, seeded).
pub fn quantile_samples(
    codes: &SparseCodes,
    max: &[f32],
    groups: usize,
    per_group: usize,
    seed: u32,
) -> Vec<Vec<QuantileSample>> {
    let mut out: Vec<Vec<QuantileSample>> = vec![vec![(0, Vec::new()); groups]; codes.d_sae];
    let mut rng = HostRng::new(seed, 0x0001_0A17);
    for t in 0..codes.rows() {
        let (fs, vs) = codes.row(t);
        for (f, v) in fs.iter().zip(vs) {
            let m = max[*f as usize];
            if m <= 0.0 {
                continue;
            }
            let g = (((v / m) * groups as f32).ceil() as usize).clamp(1, groups) - 1;
            let (count, sample) = &mut out[*f as usize][g];
            *count += 1;
            if sample.len() < per_group {
                sample.push((t as u32, *v));
            } else {
                let j = (rng.next_unit() * *count as f64) as usize;
                if j < per_group {
                    sample[j] = (t as u32, *v);
                }
            }
        }
    }
    for f in &mut out {
        for (_, s) in f.iter_mut() {
            s.sort_by(|a, b| b.1.total_cmp(&a.1));
        }
    }
    out
}

/// Histograms of each feature's nonzero activations over `(0, max]` in `bins` bins.
pub fn activation_histograms(codes: &SparseCodes, max: &[f32], bins: usize) -> Vec<Vec<u32>> {
    let mut out = vec![vec![0u32; bins]; codes.d_sae];
    for (f, v) in codes.features.iter().zip(&codes.values) {
        let m = max[*f as usize];
        if m > 0.0 {
            let b = (((v / m) * bins as f32).ceil() as usize).clamp(1, bins) - 1;
            out[*f as usize][b] += 1;
        }
    }
    out
}

/// Dot products of every pair of features' activations over the tokens where both fire, and
/// for the masked cosine similarity the squared activations of each side over those tokens:
/// `(dot, sq_a, sq_b)`, each `[a.d_sae, b.d_sae]` row-major.
pub fn cooccurrence(
    a: &SparseCodes,
    b: &SparseCodes,
    masked: bool,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    assert_eq!(a.rows(), b.rows(), "both codes must cover the same tokens");
    let (sa, sb) = (a.d_sae, b.d_sae);
    let mut dot = vec![0.0f32; sa * sb];
    let (mut qa, mut qb) = if masked {
        (vec![0.0f32; sa * sb], vec![0.0f32; sa * sb])
    } else {
        (Vec::new(), Vec::new())
    };
    for t in 0..a.rows() {
        let (fa, va) = a.row(t);
        let (fb, vb) = b.row(t);
        for (i, x) in fa.iter().zip(va) {
            let base = *i as usize * sb;
            for (j, y) in fb.iter().zip(vb) {
                let k = base + *j as usize;
                dot[k] += x * y;
                if masked {
                    qa[k] += x * x;
                    qb[k] += y * y;
                }
            }
        }
    }
    (dot, qa, qb)
}

/// For each feature of `a`, the `k` features of `b` with the highest cosine similarity of
/// activations (excluding itself when `a` and `b` are the same dictionary).
pub fn top_cosine(
    dot: &[f32],
    norm_a: &[f64],
    norm_b: &[f64],
    k: usize,
    same: bool,
) -> Vec<Vec<(u32, f32)>> {
    let sb = norm_b.len();
    (0..norm_a.len())
        .map(|i| {
            let mut best: Vec<(u32, f32)> = Vec::new();
            if norm_a[i] == 0.0 {
                return best;
            }
            for j in 0..sb {
                if (same && i == j) || norm_b[j] == 0.0 {
                    continue;
                }
                let d = dot[i * sb + j];
                if d <= 0.0 {
                    continue;
                }
                let c = (f64::from(d) / (norm_a[i] * norm_b[j])) as f32;
                push_top(&mut best, (j as u32, c), k);
            }
            best
        })
        .collect()
}

/// Masked cosine similarity (Towards Monosemanticity's splitting measure): the cosine of two
/// features' activations over the tokens where one of them fires, taking whichever side's
/// mask gives the larger value. `sum_sq_a[i]` is `||a_i||^2` over all tokens.
pub fn masked_cosine(
    dot: &[f32],
    qa: &[f32],
    qb: &[f32],
    sum_sq_a: &[f64],
    sum_sq_b: &[f64],
    i: usize,
    j: usize,
) -> f32 {
    let sb = sum_sq_b.len();
    let k = i * sb + j;
    let d = f64::from(dot[k]);
    if d <= 0.0 {
        return 0.0;
    }
    // Over the tokens where b_j fires: a restricted there (qa) against all of b_j.
    let on_b = d / (f64::from(qa[k]) * sum_sq_b[j]).sqrt().max(1e-30);
    // Over the tokens where a_i fires.
    let on_a = d / (f64::from(qb[k]) * sum_sq_a[i]).sqrt().max(1e-30);
    on_a.max(on_b).min(1.0) as f32
}

/// Pearson correlation of every feature of `a` with every feature of `b` over all `n` tokens,
/// reduced to each `a` feature's best match `(feature of b, correlation)`.
pub fn best_correlations(
    dot: &[f32],
    ta: &[FeatureTotals],
    tb: &[FeatureTotals],
    n: u64,
) -> Vec<Option<(u32, f32)>> {
    let n = n as f64;
    let sb = tb.len();
    let sd = |t: &FeatureTotals| (n * t.sum_sq - t.sum * t.sum).max(0.0).sqrt();
    let sdb: Vec<f64> = tb.iter().map(sd).collect();
    ta.iter()
        .enumerate()
        .map(|(i, a)| {
            let sda = sd(a);
            if sda == 0.0 {
                return None;
            }
            let mut best: Option<(u32, f32)> = None;
            for j in 0..sb {
                if sdb[j] == 0.0 {
                    continue;
                }
                let c = (n * f64::from(dot[i * sb + j]) - a.sum * tb[j].sum) / (sda * sdb[j]);
                if best.is_none_or(|(_, b)| c as f32 > b) {
                    best = Some((j as u32, c as f32));
                }
            }
            best
        })
        .collect()
}

/// Keeps the `k` largest by value, descending.
pub fn push_top(v: &mut Vec<(u32, f32)>, item: (u32, f32), k: usize) {
    if v.len() == k && v.last().is_some_and(|l| l.1 >= item.1) {
        return;
    }
    let at = v.partition_point(|x| x.1 >= item.1);
    v.insert(at, item);
    v.truncate(k);
}

/// Median of finite values (NaN when there are none).
pub fn median(values: &mut [f32]) -> f32 {
    values.sort_by(f32::total_cmp);
    if values.is_empty() {
        return f32::NAN;
    }
    let m = values.len() / 2;
    if values.len() % 2 == 1 {
        values[m]
    } else {
        0.5 * (values[m - 1] + values[m])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(rows: &[&[(u32, f32)]], d: usize) -> SparseCodes {
        let mut c = SparseCodes::new(d);
        for r in rows {
            let mut dense = vec![0.0; d];
            for (f, v) in *r {
                dense[*f as usize] = *v;
            }
            c.push_dense(&dense);
        }
        c
    }

    #[test]
    fn statistics_on_a_small_stream() {
        let c = codes(
            &[
                &[(0, 1.0), (2, 0.5)],
                &[(0, 3.0)],
                &[],
                &[(1, 2.0), (2, 1.0)],
                &[(0, 2.0), (2, 1.0)],
            ],
            3,
        );
        assert_eq!(c.rows(), 5);
        assert_eq!(c.value(3, 1), 2.0);
        assert_eq!(c.value(2, 1), 0.0);
        let t = feature_totals(&c);
        assert_eq!(t[0].count, 3);
        assert_eq!(t[0].max, 3.0);
        let top = top_activations(&c, 2, 1);
        assert_eq!(top[0], vec![(1, 3.0), (4, 2.0)]);
        let spaced = top_activations(&c, 2, 3);
        assert_eq!(spaced[0], vec![(1, 3.0), (4, 2.0)]);
        let spaced = top_activations(&c, 3, 2);
        assert_eq!(
            spaced[0],
            vec![(1, 3.0), (4, 2.0)],
            "token 0 is within 2 of token 1"
        );
        let q = quantile_samples(&c, &[3.0, 2.0, 1.0], 3, 5, 1);
        // feature 0: 1.0 -> group 0, 2.0 -> group 1, 3.0 -> group 2
        assert_eq!(q[0][0].0, 1);
        assert_eq!(q[0][1].0, 1);
        assert_eq!(q[0][2].1, vec![(1, 3.0)]);
        let h = activation_histograms(&c, &[3.0, 2.0, 1.0], 3);
        assert_eq!(h[0], vec![1, 1, 1]);
        let (dot, qa, qb) = cooccurrence(&c, &c, true);
        assert_eq!(dot[2], 1.0 * 0.5 + 2.0 * 1.0); // features 0 and 2
        assert_eq!(qa[2], 1.0 + 4.0);
        assert_eq!(qb[2], 0.25 + 1.0);
        let ss: Vec<f64> = t.iter().map(|x| x.sum_sq).collect();
        let norms: Vec<f64> = ss.iter().map(|x| x.sqrt()).collect();
        let cos = top_cosine(&dot, &norms, &norms, 2, true);
        assert_eq!(cos[0][0].0, 2);
        assert!(cos[0].iter().all(|(j, _)| *j != 0));
        // Masked on feature 2's tokens (0, 3, 4): (1, 0, 2) . (0.5, 1, 1) / (sqrt 5 * 1.5);
        // on feature 0's tokens (0, 1, 4) it is 2.5 / (sqrt 14 * sqrt 1.25): the larger wins.
        let m = masked_cosine(&dot, &qa, &qb, &ss, &ss, 0, 2);
        assert!((m - 2.5 / (5f32.sqrt() * 1.5)).abs() < 1e-6, "{m}");
        let best = best_correlations(&dot, &t, &t, 5);
        assert_eq!(
            best[1].map(|b| b.0),
            Some(1),
            "a feature correlates best with itself"
        );
    }

    #[test]
    fn encode_decode_agree_with_the_trainer() {
        use crate::sae::{SaeConfig, SaeParams, encode, reconstruct};
        for variant in [
            Variant::L1_2023,
            Variant::TopK,
            Variant::L1_2024,
            Variant::JumpRelu,
        ] {
            let mut cfg = SaeConfig::recommended(variant, 6, 10, 100);
            cfg.k = 3;
            let mut rng = HostRng::new(4, 4);
            let b_dec: Vec<f32> = (0..6).map(|_| rng.next_normal() as f32 * 0.1).collect();
            let mut p = SaeParams::init(&cfg, &b_dec);
            for v in &mut p.data[p.layout.b_enc..p.layout.w_dec] {
                *v = rng.next_normal() as f32 * 0.05;
            }
            let x: Vec<f32> = (0..24).map(|_| rng.next_normal() as f32).collect();
            let w = SaeWeights::from_params(&cfg, &p, 1.0).expect("weights");
            let ours = sae_encode(&w, &x);
            let theirs = encode(&cfg, &p.data, &x);
            for (a, b) in ours.iter().zip(&theirs) {
                assert!((a - b).abs() < 1e-5, "{variant:?}: {a} vs {b}");
            }
            let rec = sae_decode(&w, &ours);
            let rec2 = reconstruct(&cfg, &p.data, &x);
            for (a, b) in rec.iter().zip(&rec2) {
                assert!((a - b).abs() < 1e-5, "{variant:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn push_top_keeps_the_largest() {
        let mut v = Vec::new();
        for (i, x) in [0.3, 0.9, 0.1, 0.5, 0.7].iter().enumerate() {
            push_top(&mut v, (i as u32, *x), 3);
        }
        assert_eq!(v, vec![(1, 0.9), (4, 0.7), (3, 0.5)]);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
    }
}
