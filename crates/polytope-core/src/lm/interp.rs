//! Automatic interpretability measures of a unit's activations over the evaluation tokens,
//! computed the same way for dictionary features, MLP neurons and random directions. The
//! definitions, their thresholds and their weaknesses are in docs/interpretability.md; the
//! constants below are the ones it names.

use crate::lm::analysis::{SparseCodes, best_correlations, cooccurrence, feature_totals, median};
use crate::lm::model::gemm;
use crate::rng::HostRng;

/// A unit with fewer active tokens than this is not scored.
pub const MIN_ACTIVE: usize = 10;
/// A unit "fires" where its activation reaches this fraction of its maximum.
pub const FIRE_FRACTION: f32 = 0.25;
/// Most tokens in a token rule.
pub const RULE_TOKENS: usize = 10;
/// Tokens of context before an activation, and the spacing between chosen activations.
pub const CONTEXT_WINDOW: usize = 16;
/// Most activations whose contexts are compared.
pub const CONTEXT_TOP: usize = 50;
/// Random contexts of the chance baseline, and their seed.
pub const CONTEXT_BASELINE: usize = 200;
pub const CONTEXT_SEED: u32 = 7;
/// Random directions per model in the control, and the seed (plus the model's index).
pub const CONTROL_UNITS: usize = 512;
pub const CONTROL_SEED: u32 = 9;
/// Resamples and seed of the bootstrap intervals.
pub const BOOTSTRAP_RESAMPLES: usize = 2000;
pub const BOOTSTRAP_SEED: u32 = 11;
/// The generators' stream ("interp").
const STREAM: u32 = 0x1A7E;
/// The measures, in the order they are stored: the two per-unit readability measures of
/// [`unit_scores`], then [`universality`] (a unit against the other model's units).
pub const MEASURES: [&str; 3] = ["token_rule", "context", "universality"];
/// The position of [`universality`] in [`MEASURES`].
pub const UNIVERSALITY: usize = 2;

/// What every unit's scores are computed against: the evaluation tokens, their counts, the
/// inverse document frequencies and the chance level of context similarity.
pub struct Corpus<'a> {
    tokens: &'a [u16],
    /// The model's context length: a context never reaches into the previous window.
    ctx: usize,
    counts: Vec<u32>,
    idf: Vec<f32>,
    baseline: f32,
}

/// One unit's activations: the tokens where it is above 0, ascending, and its values there.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Column {
    pub positions: Vec<u32>,
    pub values: Vec<f32>,
}

impl<'a> Corpus<'a> {
    /// `tokens` are the evaluation tokens (ids below `vocab`), read in windows of `ctx`.
    pub fn new(tokens: &'a [u16], vocab: usize, ctx: usize) -> Self {
        let mut counts = vec![0u32; vocab.max(1)];
        for t in tokens {
            if let Some(c) = counts.get_mut(*t as usize) {
                *c += 1;
            }
        }
        let n = tokens.len().max(1) as f64;
        let idf = counts
            .iter()
            .map(|c| {
                if *c > 0 {
                    (n / f64::from(*c)).ln() as f32
                } else {
                    0.0
                }
            })
            .collect();
        let mut corpus = Self {
            tokens,
            ctx: ctx.max(1),
            counts,
            idf,
            baseline: 0.0,
        };
        let mut rng = HostRng::new(CONTEXT_SEED, STREAM);
        let mut picks = Vec::with_capacity(CONTEXT_BASELINE);
        if !tokens.is_empty() {
            let bound = u32::try_from(tokens.len()).unwrap_or(u32::MAX);
            for _ in 0..CONTEXT_BASELINE {
                picks.push(rng.next_below(bound) as usize);
            }
        }
        corpus.baseline = corpus.mean_pair_cosine(&picks).unwrap_or(0.0);
        corpus
    }

    /// The chance level of [`context_similarity`]'s mean cosine.
    pub fn baseline(&self) -> f32 {
        self.baseline
    }

    /// The idf-weighted bag of the tokens before `t` in its window, L2-normalised; `None` when
    /// it is empty (the first token of a window, or only tokens of every document).
    fn bag(&self, t: usize) -> Option<Vec<(u16, f32)>> {
        let start = (t / self.ctx) * self.ctx;
        let from = t.saturating_sub(CONTEXT_WINDOW).max(start);
        let mut toks: Vec<u16> = self.tokens.get(from..t)?.to_vec();
        toks.sort_unstable();
        let mut bag: Vec<(u16, f32)> = Vec::with_capacity(toks.len());
        for tok in toks {
            let w = self.idf.get(tok as usize).copied().unwrap_or(0.0);
            match bag.last_mut() {
                Some((last, v)) if *last == tok => *v += w,
                _ => bag.push((tok, w)),
            }
        }
        let norm = bag.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
        if norm <= 0.0 {
            return None;
        }
        for (_, v) in &mut bag {
            *v /= norm;
        }
        Some(bag)
    }

    /// Mean cosine similarity over all pairs of the contexts of `positions` (those with an
    /// empty context left out); `None` with fewer than two contexts.
    fn mean_pair_cosine(&self, positions: &[usize]) -> Option<f32> {
        let mut sum = vec![0.0f64; self.counts.len()];
        let mut k = 0usize;
        for p in positions {
            if let Some(bag) = self.bag(*p) {
                for (tok, v) in bag {
                    sum[tok as usize] += f64::from(v);
                }
                k += 1;
            }
        }
        if k < 2 {
            return None;
        }
        // ||sum||^2 = k (each bag has norm 1) + 2 * sum over pairs of their cosines.
        let sq: f64 = sum.iter().map(|v| v * v).sum();
        Some(((sq - k as f64) / (k as f64 * (k - 1) as f64)) as f32)
    }
}

/// The two readability measures of one unit (the first two of [`MEASURES`]); NaN for a unit
/// with fewer than [`MIN_ACTIVE`] active tokens.
pub fn unit_scores(corpus: &Corpus<'_>, col: &Column) -> [f32; 2] {
    if col.positions.len() < MIN_ACTIVE {
        return [f32::NAN; 2];
    }
    [token_rule(corpus, col), context_similarity(corpus, col)]
}

/// The F1 score of the best rule "the current token is one of at most [`RULE_TOKENS`] tokens"
/// for predicting where the unit reaches [`FIRE_FRACTION`] of its maximum, the set grown
/// greedily by F1 gain.
pub fn token_rule(corpus: &Corpus<'_>, col: &Column) -> f32 {
    let max = col.values.iter().copied().fold(0.0f32, f32::max);
    if max <= 0.0 {
        return f32::NAN;
    }
    let mut fired: Vec<u16> = col
        .positions
        .iter()
        .zip(&col.values)
        .filter(|(_, v)| **v >= FIRE_FRACTION * max)
        .filter_map(|(p, _)| corpus.tokens.get(*p as usize).copied())
        .collect();
    let n_fire = fired.len() as f64;
    fired.sort_unstable();
    // (token, times it fired there, times it occurs).
    let mut cands: Vec<(u16, f64, f64)> = Vec::new();
    for tok in fired {
        match cands.last_mut() {
            Some((last, c, _)) if *last == tok => *c += 1.0,
            _ => cands.push((
                tok,
                1.0,
                f64::from(corpus.counts.get(tok as usize).copied().unwrap_or(1).max(1)),
            )),
        }
    }
    let (mut tp, mut predicted, mut best) = (0.0f64, 0.0f64, 0.0f64);
    for _ in 0..RULE_TOKENS {
        let mut pick: Option<(usize, f64)> = None;
        for (i, (_, c, n)) in cands.iter().enumerate() {
            let f1 = 2.0 * (tp + c) / (n_fire + predicted + n);
            if pick.is_none_or(|(_, b)| f1 > b) {
                pick = Some((i, f1));
            }
        }
        match pick {
            Some((i, f1)) if f1 > best + 1e-12 => {
                let (_, c, n) = cands.swap_remove(i);
                tp += c;
                predicted += n;
                best = f1;
            }
            _ => break,
        }
    }
    best as f32
}

/// How much more alike the contexts of the unit's strongest (spaced) activations are than
/// random contexts: `(S - B) / (1 - B)`, clamped to `[-1, 1]`.
pub fn context_similarity(corpus: &Corpus<'_>, col: &Column) -> f32 {
    let mut order: Vec<usize> = (0..col.positions.len()).collect();
    order.sort_by(|a, b| {
        col.values[*b]
            .total_cmp(&col.values[*a])
            .then(col.positions[*a].cmp(&col.positions[*b]))
    });
    let mut chosen: Vec<usize> = Vec::with_capacity(CONTEXT_TOP);
    for i in order {
        let p = col.positions[i] as usize;
        if chosen.iter().all(|c| c.abs_diff(p) >= CONTEXT_WINDOW) {
            chosen.push(p);
            if chosen.len() == CONTEXT_TOP {
                break;
            }
        }
    }
    let Some(s) = corpus.mean_pair_cosine(&chosen) else {
        return f32::NAN;
    };
    let b = corpus.baseline;
    if b >= 1.0 {
        return f32::NAN;
    }
    ((s - b) / (1.0 - b)).clamp(-1.0, 1.0)
}

/// The columns of `width` units of dense activations `[rows, width]` (values above 0 only).
pub fn dense_columns(dense: &[f32], width: usize) -> Vec<Column> {
    let mut cols = vec![Column::default(); width];
    if width == 0 {
        return cols;
    }
    for (t, row) in dense.chunks_exact(width).enumerate() {
        for (c, v) in cols.iter_mut().zip(row) {
            if *v > 0.0 {
                c.positions.push(t as u32);
                c.values.push(*v);
            }
        }
    }
    cols
}

/// The same activations row by row: the codes of `columns` (one per unit) over `rows` tokens.
pub fn column_codes(columns: &[Column], rows: usize) -> SparseCodes {
    let mut counts = vec![0usize; rows + 1];
    for c in columns {
        for p in &c.positions {
            if let Some(n) = counts.get_mut(*p as usize + 1) {
                *n += 1;
            }
        }
    }
    for t in 0..rows {
        counts[t + 1] += counts[t];
    }
    let total = counts[rows];
    let mut codes = SparseCodes {
        d_sae: columns.len(),
        offsets: counts.clone(),
        features: vec![0; total],
        values: vec![0.0; total],
    };
    // Units in order, so every row's features come out ascending.
    let mut next = counts;
    for (u, c) in columns.iter().enumerate() {
        for (p, v) in c.positions.iter().zip(&c.values) {
            if let Some(at) = next.get_mut(*p as usize).filter(|_| (*p as usize) < rows) {
                codes.features[*at] = u as u32;
                codes.values[*at] = *v;
                *at += 1;
            }
        }
    }
    codes
}

/// `count` random unit vectors of `d` coordinates, `[count, d]`, from `seed`.
pub fn random_directions(d: usize, count: usize, seed: u32) -> Vec<f32> {
    let mut rng = HostRng::new(seed, STREAM);
    let mut out = Vec::with_capacity(d * count);
    for _ in 0..count {
        let v: Vec<f64> = (0..d).map(|_| rng.next_normal()).collect();
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-30);
        out.extend(v.iter().map(|x| (x / norm) as f32));
    }
    out
}

/// The control's activations `max(0, u . (h - mean h))` for directions `dirs` (`[count, d]`)
/// over activations `h` (`[rows, d]`), `[rows, count]`.
pub fn control_activations(h: &[f32], d: usize, dirs: &[f32]) -> Vec<f32> {
    if d == 0 {
        return Vec::new();
    }
    let rows = h.len() / d;
    let count = dirs.len() / d;
    let mut mean = vec![0.0f64; d];
    for row in h.chunks_exact(d) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += f64::from(*v);
        }
    }
    // u . (h - mean) = u . h - u . mean: the offset goes in as the initial value.
    let offsets: Vec<f32> = dirs
        .chunks_exact(d)
        .map(|u| {
            -(u.iter()
                .zip(&mean)
                .map(|(a, m)| f64::from(*a) * m / rows.max(1) as f64)
                .sum::<f64>()) as f32
        })
        .collect();
    let mut out = Vec::with_capacity(rows * count);
    for _ in 0..rows {
        out.extend_from_slice(&offsets);
    }
    gemm(rows, d, count, h, false, dirs, true, 1.0, &mut out);
    for v in &mut out {
        *v = v.max(0.0);
    }
    out
}

/// Universality (Towards Monosemanticity's comparison of two models): for every unit of `a`,
/// its best Pearson correlation with any unit of `b` over the same tokens, clamped to
/// [-1, 1]; NaN for a unit with fewer than [`MIN_ACTIVE`] active tokens or no live unit in
/// `b` to compare with. The same rule for features (against the other model's dictionary of
/// the same size), neurons (against its neurons) and the control (against its random
/// directions).
pub fn universality(a: &SparseCodes, b: &SparseCodes) -> Vec<f32> {
    if a.rows() != b.rows() {
        return vec![f32::NAN; a.d_sae];
    }
    let (dot, _, _) = cooccurrence(a, b, false);
    let (ta, tb) = (feature_totals(a), feature_totals(b));
    best_correlations(&dot, &ta, &tb, a.rows() as u64)
        .into_iter()
        .zip(&ta)
        .map(|(best, t)| match best {
            Some((_, c)) if t.count >= MIN_ACTIVE as u64 && c.is_finite() => c.clamp(-1.0, 1.0),
            _ => f32::NAN,
        })
        .collect()
}

/// A difference of medians and its bootstrap interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MedianDiff {
    pub a: f32,
    pub b: f32,
    /// `median(a) - median(b)`.
    pub diff: f32,
    /// The 95 % percentile interval of the difference over [`BOOTSTRAP_RESAMPLES`] resamples of
    /// both groups.
    pub lo: f32,
    pub hi: f32,
}

/// `median(a) - median(b)` with a percentile bootstrap interval (`resamples`, `seed`). NaN
/// values are left out; `None` when either group is empty.
pub fn median_difference(a: &[f32], b: &[f32], resamples: usize, seed: u32) -> Option<MedianDiff> {
    let a: Vec<f32> = a.iter().copied().filter(|v| !v.is_nan()).collect();
    let b: Vec<f32> = b.iter().copied().filter(|v| !v.is_nan()).collect();
    if a.is_empty() || b.is_empty() || resamples == 0 {
        return None;
    }
    let (ma, mb) = (median(&mut a.clone()), median(&mut b.clone()));
    let mut rng = HostRng::new(seed, STREAM);
    let mut draw = |from: &[f32], buf: &mut Vec<f32>| {
        buf.clear();
        let n = u32::try_from(from.len()).unwrap_or(u32::MAX);
        for _ in 0..from.len() {
            buf.push(from[rng.next_below(n) as usize]);
        }
        median(buf)
    };
    let (mut ba, mut bb) = (Vec::new(), Vec::new());
    let mut diffs: Vec<f32> = (0..resamples)
        .map(|_| draw(&a, &mut ba) - draw(&b, &mut bb))
        .collect();
    diffs.sort_by(f32::total_cmp);
    let at = |q: f64| diffs[((q * (resamples - 1) as f64).round() as usize).min(resamples - 1)];
    Some(MedianDiff {
        a: ma,
        b: mb,
        diff: ma - mb,
        lo: at(0.025),
        hi: at(0.975),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn universality_finds_the_matching_unit_and_skips_rare_ones() {
        // a: unit 0 fires on even rows, unit 1 on rows divisible by 3, unit 2 twice only.
        // b: unit 0 fires on rows divisible by 3 (scaled), unit 1 on even rows.
        let rows = 600;
        let mut a = SparseCodes::new(3);
        let mut b = SparseCodes::new(2);
        for t in 0..rows {
            let v = 1.0 + (t % 7) as f32;
            a.push_dense(&[
                if t % 2 == 0 { v } else { 0.0 },
                if t % 3 == 0 { 2.0 } else { 0.0 },
                if t < 2 { 1.0 } else { 0.0 },
            ]);
            b.push_dense(&[
                if t % 3 == 0 { 5.0 } else { 0.0 },
                if t % 2 == 0 { 0.5 * v } else { 0.0 },
            ]);
        }
        let u = universality(&a, &b);
        assert_eq!(u.len(), 3);
        assert!((u[0] - 1.0).abs() < 1e-4, "{u:?}");
        assert!((u[1] - 1.0).abs() < 1e-4, "{u:?}");
        assert!(
            u[2].is_nan(),
            "a unit active on 2 rows is not scored: {u:?}"
        );
        // Against itself shifted by one row, the even-row unit matches nothing well.
        let mut c = SparseCodes::new(1);
        for t in 0..rows {
            c.push_dense(&[if t % 2 == 1 { 1.0 } else { 0.0 }]);
        }
        let v = universality(&a, &c);
        assert!(v[0] < -0.5, "{v:?}");
        assert!(
            universality(&a, &SparseCodes::new(1))
                .iter()
                .all(|x| x.is_nan())
        );
    }

    #[test]
    fn column_codes_are_the_rows_of_the_columns() {
        let dense = [0.0, 1.0, 2.0, 3.0, 0.0, 0.0, 0.5, 0.0, 4.0];
        let mut rows = SparseCodes::new(3);
        rows.push_dense(&dense);
        assert_eq!(column_codes(&dense_columns(&dense, 3), 3), rows);
    }

    /// Text of 6400 tokens: a cycle of filler tokens 10..60, with token 5 at every 50th place
    /// and token 6 (a "quote" marker) opening passages where tokens 70..80 follow.
    fn text() -> Vec<u16> {
        let mut t = Vec::new();
        let mut rng = HostRng::new(3, 0);
        for i in 0..6400usize {
            let tok = if i % 50 == 0 {
                5
            } else if (i / 64) % 5 == 0 {
                70 + rng.next_below(10) as u16
            } else {
                10 + rng.next_below(50) as u16
            };
            t.push(tok);
        }
        t
    }

    fn column(tokens: &[u16], f: impl Fn(usize, u16) -> f32) -> Column {
        let mut c = Column::default();
        for (i, t) in tokens.iter().enumerate() {
            let v = f(i, *t);
            if v > 0.0 {
                c.positions.push(i as u32);
                c.values.push(v);
            }
        }
        c
    }

    #[test]
    fn a_one_token_unit_has_a_perfect_token_rule() {
        let toks = text();
        let corpus = Corpus::new(&toks, 100, 64);
        let col = column(&toks, |_, t| if t == 5 { 2.0 } else { 0.0 });
        assert!((token_rule(&corpus, &col) - 1.0).abs() < 1e-6);
        // Firing on half of token 5's occurrences: precision 1, recall 1, but the rule also
        // predicts the other half: F1 = 2 * 64 / (64 + 128).
        let half = column(&toks, |i, t| if t == 5 && i % 100 == 0 { 2.0 } else { 0.0 });
        assert!((token_rule(&corpus, &half) - 2.0 / 3.0).abs() < 1e-5);
    }

    #[test]
    fn weak_activations_do_not_count_as_firing() {
        let toks = text();
        let corpus = Corpus::new(&toks, 100, 64);
        // Strong on token 5, weak (below a quarter of the maximum) everywhere else.
        let col = column(&toks, |_, t| if t == 5 { 4.0 } else { 0.5 });
        assert!(token_rule(&corpus, &col) > 0.99);
    }

    #[test]
    fn a_diffuse_unit_scores_low_on_both_measures() {
        let toks = text();
        let corpus = Corpus::new(&toks, 100, 64);
        let mut rng = HostRng::new(5, 0);
        let vals: Vec<f32> = (0..toks.len()).map(|_| rng.next_unit() as f32).collect();
        let col = column(&toks, |i, _| if i % 3 == 0 { vals[i] } else { 0.0 });
        let [rule, ctx] = unit_scores(&corpus, &col);
        // It fires (above a quarter of its maximum) on about a quarter of all tokens,
        // whatever they are; with about 60 token types, ten of them cover a sixth of the text:
        // F1 = 2 * 0.25 * 0.17 / (0.25 + 0.17), about 0.2. The one-token unit above scores 1.
        assert!(rule < 0.3, "token rule {rule}");
        assert!(ctx.abs() < 0.15, "context {ctx}");
    }

    #[test]
    fn a_passage_unit_has_similar_contexts_beyond_chance() {
        let toks = text();
        let corpus = Corpus::new(&toks, 100, 64);
        assert!(corpus.baseline() > 0.0 && corpus.baseline() < 0.5);
        // Fires late inside the "quote" passages only, on varied tokens.
        let col = column(&toks, |i, _| {
            if (i / 64) % 5 == 0 && i % 64 >= 20 {
                1.0 + (i % 7) as f32
            } else {
                0.0
            }
        });
        let ctx = context_similarity(&corpus, &col);
        assert!(ctx > 0.5, "context {ctx}");
        // A one-token unit outside the passages: its contexts are filler, like chance.
        let plain = column(&toks, |i, t| {
            if t == 5 && (i / 64) % 5 != 0 {
                1.0
            } else {
                0.0
            }
        });
        let c = context_similarity(&corpus, &plain);
        assert!(c.abs() < 0.2, "context {c}");
    }

    #[test]
    fn rare_units_are_not_scored() {
        let toks = text();
        let corpus = Corpus::new(&toks, 100, 64);
        let col = column(
            &toks,
            |i, _| if i < 9 * 50 && i % 50 == 0 { 1.0 } else { 0.0 },
        );
        assert_eq!(col.positions.len(), 9);
        assert!(unit_scores(&corpus, &col).iter().all(|v| v.is_nan()));
    }

    #[test]
    fn control_directions_are_unit_vectors_and_centred() {
        let dirs = random_directions(8, 4, CONTROL_SEED);
        for u in dirs.chunks_exact(8) {
            let n: f32 = u.iter().map(|x| x * x).sum();
            assert!((n - 1.0).abs() < 1e-5);
        }
        // Constant activations: every centred projection is 0.
        let h = vec![1.0f32; 8 * 5];
        let a = control_activations(&h, 8, &dirs);
        assert_eq!(a.len(), 5 * 4);
        assert!(a.iter().all(|v| v.abs() < 1e-5), "{a:?}");
        // One row above the mean along the first axis: projections u[0] * 4/5 there.
        let mut h = vec![0.0f32; 8 * 5];
        h[0] = 1.0;
        let a = control_activations(&h, 8, &dirs);
        for (j, u) in dirs.chunks_exact(8).enumerate() {
            assert!((a[j] - (u[0] * 0.8).max(0.0)).abs() < 1e-5);
        }
        let cols = dense_columns(&a, 4);
        assert_eq!(cols.len(), 4);
        assert!(cols.iter().all(|c| c.positions.iter().all(|p| *p < 5)));
    }

    #[test]
    fn bootstrap_intervals_cover_the_difference_and_exclude_zero_when_far() {
        let a: Vec<f32> = (0..400).map(|i| 0.5 + (i % 20) as f32 * 0.01).collect();
        let b: Vec<f32> = (0..400).map(|i| 0.2 + (i % 20) as f32 * 0.01).collect();
        let d = median_difference(&a, &b, 500, BOOTSTRAP_SEED).unwrap();
        assert!((d.diff - 0.3).abs() < 1e-5);
        assert!(d.lo <= d.diff && d.diff <= d.hi && d.lo > 0.0);
        let same = median_difference(&a, &a, 500, BOOTSTRAP_SEED).unwrap();
        assert!(same.lo <= 0.0 && same.hi >= 0.0);
        assert!(median_difference(&[f32::NAN], &a, 10, 1).is_none());
    }
}
