//! Step 6: per-feature statistics over the evaluation tokens, from the sparse codes: the list
//! record (density, activations, top tokens, map position, flags) and the detail record (top
//! activations, quantile samples, histograms, logit effects, neurons, correlated features, split
//! edges, best match) of every feature.

use std::collections::BTreeMap;

use polytope_core::dict::{
    Example, FLAG_DEAD, FLAG_ULTRALOW, FeatureDetail, FeatureSummary, Histogram, NO_TOKEN,
    NeuronWeight, QuantileGroup, SaeWeights, SplitEdge,
};
use polytope_core::lm::analysis::{
    activation_histograms, cooccurrence, quantile_samples, top_activations, top_cosine,
};
use polytope_core::lm::model::LmModel;

use super::encode::Dict;
use super::inputs::Inputs;
use super::{Args, BINS};

/// The list and the details of dictionary `d`, given its split edges, its map and, when it has
/// a match dictionary, each feature's best match there.
pub fn analyse(
    args: &Args,
    inputs: &Inputs,
    d: &Dict,
    mut splits: Vec<Vec<SplitEdge>>,
    map: &[[f32; 2]],
    best: Option<&[Option<(u32, f32)>]>,
) -> (Vec<FeatureSummary>, Vec<FeatureDetail>) {
    let n_eval = inputs.n_eval;
    let eval = inputs.eval();
    let model = &inputs.models[&d.model].lm;
    let s = d.weights.d_sae as usize;
    let max: Vec<f32> = d.totals.iter().map(|t| t.max).collect();
    let tops = top_activations(&d.codes, args.top, (args.before + args.after + 1) as usize);
    let quant = quantile_samples(&d.codes, &max, args.groups, args.per_group, args.seed);
    let hists = activation_histograms(&d.codes, &max, BINS);
    let norms: Vec<f64> = d.totals.iter().map(|t| t.sum_sq.sqrt()).collect();
    let (dot, _, _) = cooccurrence(&d.codes, &d.codes, false);
    let correlated = top_cosine(&dot, &norms, &norms, 8, true);
    drop(dot);
    // Logit effects of every decoder direction: W_dec W_out W_U.
    let logits = logit_effects(model, &d.weights);
    let v = model.config.vocab;

    let mut list = Vec::with_capacity(s);
    let mut details = Vec::with_capacity(s);
    for f in 0..s {
        let tot = &d.totals[f];
        let density = tot.count as f64 / n_eval as f64;
        let mut flags = 0u8;
        if tot.count == 0 {
            flags |= FLAG_DEAD;
        } else if density < f64::from(args.ultralow) {
            flags |= FLAG_ULTRALOW;
        }
        let example = |(pos, value): (u32, f32)| -> Example {
            let lo = pos.saturating_sub(args.before);
            let hi = (pos + args.after).min(n_eval as u32 - 1);
            let acts = (lo..=hi)
                .map(|p| {
                    let a = d.codes.value(p as usize, f as u32);
                    if max[f] > 0.0 {
                        (a / max[f] * 255.0).round().clamp(0.0, 255.0) as u8
                    } else {
                        0
                    }
                })
                .collect();
            Example { pos, value, acts }
        };
        let top: Vec<Example> = tops[f].iter().copied().map(example).collect();
        let mut token_counts: BTreeMap<u16, u32> = BTreeMap::new();
        for e in &top {
            *token_counts.entry(eval[e.pos as usize]).or_default() += 1;
        }
        let mut tt: Vec<(u16, u32)> = token_counts.into_iter().collect();
        tt.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut top_tokens = [NO_TOKEN; 4];
        for (slot, (tok, _)) in top_tokens.iter_mut().zip(tt) {
            *slot = tok;
        }
        let quantiles: Vec<QuantileGroup> = quant[f]
            .iter()
            .enumerate()
            .filter(|(_, (count, _))| *count > 0)
            .map(|(g, (count, sample))| QuantileGroup {
                lo: max[f] * g as f32 / args.groups as f32,
                hi: max[f] * (g + 1) as f32 / args.groups as f32,
                count: (*count).min(u64::from(u32::MAX)) as u32,
                examples: sample.iter().copied().map(example).collect(),
            })
            .rev()
            .collect();
        let lrow = &logits[f * v..(f + 1) * v];
        let mut order: Vec<usize> = (0..v).collect();
        order.sort_by(|a, b| lrow[*b].total_cmp(&lrow[*a]).then(a.cmp(b)));
        let logits_top = order[..10.min(v)]
            .iter()
            .map(|t| (*t as u16, lrow[*t]))
            .collect();
        let logits_bottom = order[v.saturating_sub(10)..]
            .iter()
            .rev()
            .map(|t| (*t as u16, lrow[*t]))
            .collect();
        let (llo, lhi) = (lrow[order[v - 1]], lrow[order[0]]);
        let mut lcounts = vec![0u32; BINS];
        for x in lrow {
            let b = if lhi > llo {
                (((x - llo) / (lhi - llo)) * BINS as f32) as usize
            } else {
                0
            };
            lcounts[b.min(BINS - 1)] += 1;
        }
        let drow = d.weights.decoder_row(f);
        let l1: f32 = drow.iter().map(|x| x.abs()).sum();
        let mut nidx: Vec<usize> = (0..drow.len()).collect();
        nidx.sort_by(|a, b| drow[*b].abs().total_cmp(&drow[*a].abs()).then(a.cmp(b)));
        let neurons = nidx[..8.min(drow.len())]
            .iter()
            .map(|n| NeuronWeight {
                neuron: *n as u16,
                weight: drow[*n],
                share: if l1 > 0.0 { drow[*n].abs() / l1 } else { 0.0 },
            })
            .collect();
        list.push(FeatureSummary {
            density: density as f32,
            max_act: max[f],
            mean_act: if tot.count > 0 {
                (tot.sum / tot.count as f64) as f32
            } else {
                0.0
            },
            top_tokens,
            map: map[f],
            flags,
        });
        details.push(FeatureDetail {
            id: f as u32,
            top,
            quantiles,
            histogram: Histogram {
                lo: 0.0,
                hi: max[f],
                counts: hists[f].clone(),
            },
            logits_top,
            logits_bottom,
            logit_histogram: Histogram {
                lo: llo,
                hi: lhi,
                counts: lcounts,
            },
            neurons,
            correlated: correlated[f].clone(),
            splits: std::mem::take(&mut splits[f]),
            best_match: best.and_then(|best| best[f]).filter(|_| tot.count > 0),
        });
    }
    (list, details)
}

/// `[d_sae, vocab]`: each decoder direction through W_out and the unembedding.
pub fn logit_effects(model: &LmModel, w: &SaeWeights) -> Vec<f32> {
    let s = w.d_sae as usize;
    let v = model.config.vocab;
    let mut out = Vec::with_capacity(s * v);
    let inv = 1.0 / w.normalize_scale;
    for f in 0..s {
        let u: Vec<f32> = w.decoder_row(f).iter().map(|x| x * inv).collect();
        out.extend(model.logit_effect(&u));
    }
    out
}
