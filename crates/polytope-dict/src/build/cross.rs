//! Step 4: statistics across dictionaries and models: each dictionary's best match in the
//! other model's dictionary of the same size (universality), the same measure for the models'
//! neurons (the paper's baseline), and split edges to the same model's other dictionaries.

use std::collections::BTreeMap;

use polytope_core::dict::{DictKind, SplitEdge};
use polytope_core::lm::analysis::{
    best_correlations, cooccurrence, masked_cosine, median, push_top,
};

use super::encode::Dict;

/// The other model's dictionary a dictionary is matched against, and each feature's best match.
pub type Match = (usize, Vec<Option<(u32, f32)>>);

/// Masked activation cosine above which a split edge is kept besides the best one (the paper's
/// threshold).
const SPLIT_THRESHOLD: f32 = 0.4;

/// Each dictionary against the other model's dictionary of the same size and kind (features
/// against features, neurons against neurons): every feature's best
/// Pearson correlation, by dictionary index, and one universality summary per pair (the median
/// over live features).
pub fn matches(dicts: &[Dict], n_eval: usize) -> (BTreeMap<usize, Match>, Vec<serde_json::Value>) {
    let mut matches: BTreeMap<usize, Match> = BTreeMap::new();
    let mut universality = Vec::new();
    for i in 0..dicts.len() {
        for j in 0..dicts.len() {
            if i != j
                && dicts[i].model != dicts[j].model
                && dicts[i].kind == dicts[j].kind
                && dicts[i].weights.d_sae == dicts[j].weights.d_sae
                && !matches.contains_key(&i)
            {
                let (dot, _, _) = cooccurrence(&dicts[i].codes, &dicts[j].codes, false);
                let best =
                    best_correlations(&dot, &dicts[i].totals, &dicts[j].totals, n_eval as u64);
                let mut values: Vec<f32> = best
                    .iter()
                    .zip(&dicts[i].totals)
                    .filter(|(_, t)| t.count > 0)
                    .filter_map(|(b, _)| b.map(|x| x.1))
                    .collect();
                let med = median(&mut values);
                eprintln!(
                    "build: {} vs {}: median best activation correlation {med:.3} over {} live features",
                    dicts[i].id,
                    dicts[j].id,
                    values.len()
                );
                universality.push(serde_json::json!({
                    "from": dicts[i].id, "to": dicts[j].id, "median_best_correlation": med,
                    "features": values.len(),
                }));
                matches.insert(i, (j, best));
            }
        }
    }
    (matches, universality)
}

/// Split edges of dictionary `i` to the same model's other dictionaries: the indices of those
/// (`related`, which `SplitEdge::dict` indexes) and each feature's edges, by masked cosine of
/// activations (the best edge always, the others above [`SPLIT_THRESHOLD`]).
pub fn split_edges(dicts: &[Dict], i: usize) -> (Vec<usize>, Vec<Vec<SplitEdge>>) {
    let d = &dicts[i];
    // Features split across SAEs of one model; neurons do not split.
    let related: Vec<usize> = (0..dicts.len())
        .filter(|j| {
            *j != i
                && d.kind == DictKind::Sae
                && dicts[*j].kind == DictKind::Sae
                && dicts[*j].model == d.model
        })
        .collect();
    let sum_sq: Vec<f64> = d.totals.iter().map(|t| t.sum_sq).collect();
    let mut splits: Vec<Vec<SplitEdge>> = vec![Vec::new(); d.weights.d_sae as usize];
    for (r, j) in related.iter().enumerate() {
        let o = &dicts[*j];
        let (dot, qa, qb) = cooccurrence(&d.codes, &o.codes, true);
        let o_sq: Vec<f64> = o.totals.iter().map(|t| t.sum_sq).collect();
        let so = o.weights.d_sae as usize;
        for (f, edges) in splits.iter_mut().enumerate() {
            let mut best: Vec<(u32, f32)> = Vec::new();
            for g in 0..so {
                if dot[f * so + g] > 0.0 {
                    let c = masked_cosine(&dot, &qa, &qb, &sum_sq, &o_sq, f, g);
                    push_top(&mut best, (g as u32, c), 6);
                }
            }
            for (k, (g, c)) in best.into_iter().enumerate() {
                if k == 0 || c >= SPLIT_THRESHOLD {
                    edges.push(SplitEdge {
                        dict: r as u8,
                        feature: g,
                        similarity: c,
                    });
                }
            }
        }
    }
    (related, splits)
}
