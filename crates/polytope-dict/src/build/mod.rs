//! `polytope dict build`: runs the models and their dictionaries over the evaluation tokens
//! and writes everything the feature browser reads (docs/dictionary-format.md): the index,
//! the tokenizer, the evaluation tokens, a text sample, the models, and per dictionary a
//! manifest, the feature list, the weights and the detail chunks.
//!
//! The steps, one module each, in the order [`run`] calls them:
//! [`inputs`] (tokenizer, evaluation tokens, models) -> [`encode`] (each model's MLP
//! activations, each dictionary's sparse codes and reconstruction metrics) -> [`loss`] (loss
//! recovered with the reconstruction spliced in) -> [`cross`] (cross-dictionary statistics:
//! best matches in the other model, the neuron baseline, split edges) -> [`map`] (the t-SNE
//! feature map) -> [`features`] (per-feature statistics: the list and the details) ->
//! [`write`] (the files, the index, the provenance README, the SAELens exports).

mod cross;
mod encode;
mod features;
mod inputs;
mod loss;
mod map;
mod readme;
mod write;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

pub use encode::activations;
use inputs::Inputs;
use polytope_core::dict::{DictKind, MAX_CHUNK_FEATURES, UnitScores};
use polytope_core::lm::interp::{Corpus, UNIVERSALITY};

use crate::Error;
use crate::limits::{bound, bound_f64, fits};
use crate::scores::{self, Group, GroupScores};

#[derive(clap::Args, Clone)]
pub struct Args {
    #[arg(long, default_value = "target/dict")]
    pub work: PathBuf,
    /// Where the browser's files go.
    #[arg(long, default_value = "public/data")]
    pub out: PathBuf,
    /// Dictionaries to ship, as MODEL-SIZE (trained with `polytope dict train-sae`), and
    /// neurons-MODEL for a model's MLP neurons (the identity dictionary: nothing to train).
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
    /// The story's units for index.json (a JSON list of highlights, docs/dictionary-format.md):
    /// each claim is checked against the new data and the build fails if one breaks.
    #[arg(long)]
    pub highlights: Option<PathBuf>,
    /// t-SNE iterations for the feature map.
    #[arg(long, default_value_t = 750)]
    pub tsne_epochs: usize,
    #[arg(long, default_value_t = 3)]
    pub seed: u32,
}

/// Bins of the activation and logit histograms.
const BINS: usize = 50;

fn dict_failure(what: &str) -> impl Fn(polytope_core::dict::DictError) -> Error + '_ {
    move |e| Error::Run(format!("{what}: {e}"))
}

impl Args {
    /// The options' bounds, checked before anything is read: every count that ends up in a
    /// `u8` of the chunk format is at most 255, sizes within the format's limits.
    pub fn validate(&self) -> Result<(), Error> {
        if self.dicts.is_empty() {
            return Err(Error::Usage("--dicts names no dictionary".into()));
        }
        if self.before > 32
            || self.after > 32
            || self.chunk == 0
            || self.top == 0
            || self.groups == 0
        {
            return Err(Error::Usage(
                "--before/--after must be at most 32; --chunk, --top and --groups positive".into(),
            ));
        }
        bound("--dicts (count)", self.dicts.len(), 1, 64)?;
        for id in &self.dicts {
            let id = inputs::parse_id(id)?;
            if id.kind == DictKind::Sae {
                bound("--dicts (size)", id.size, 1, 131_072)?;
            }
        }
        bound("--eval-tokens", self.eval_tokens, 1, 10_000_000)?;
        bound("--loss-windows", self.loss_windows, 1, 1_000_000)?;
        bound("--top", self.top, 1, 255)?;
        bound("--groups", self.groups, 1, 255)?;
        bound("--per-group", self.per_group, 1, 255)?;
        bound("--chunk", self.chunk, 1, MAX_CHUNK_FEATURES)?;
        bound_f64("--ultralow", f64::from(self.ultralow), 1e-12, 1.0)?;
        bound("--text-sample", self.text_sample, 1, 100_000_000)?;
        bound("--tsne-epochs", self.tsne_epochs, 1, 100_000)?;
        Ok(())
    }
}

/// Bytes the build holds at its peak: every model's activations over the evaluation tokens,
/// every dictionary's sparse codes (at most 64 active features a token assumed for the
/// estimate) and the largest co-occurrence matrices (three `[d_sae, d_sae']` f32 matrices for
/// a split pair).
fn build_bytes(inputs: &Inputs) -> u64 {
    let n = inputs.n_eval as u64;
    let acts: u64 = inputs
        .models
        .values()
        .map(|m| n * m.lm.config.d_mlp as u64 * 4)
        .sum();
    let codes = inputs.ids.len() as u64 * n * 64 * 8;
    let pair = inputs
        .ids
        .iter()
        .flat_map(|a| {
            inputs
                .ids
                .iter()
                .map(move |b| u64::from(a.size) * u64::from(b.size))
        })
        .max()
        .unwrap_or(0)
        * 12;
    acts + codes + pair
}

pub fn run(args: &Args) -> Result<(), Error> {
    let started = Instant::now();
    args.validate()?;
    let highlights = inputs::highlights(args)?;
    let inputs = inputs::load(args)?;
    fits(
        "this build",
        build_bytes(&inputs),
        "choose fewer --eval-tokens or smaller dictionaries",
    )?;
    eprintln!(
        "build: {} evaluation tokens, {} dictionaries",
        inputs.n_eval,
        inputs.ids.len()
    );

    let acts = encode::model_activations(&inputs);
    let mut dicts = Vec::with_capacity(inputs.ids.len());
    for id in &inputs.ids {
        let t = Instant::now();
        let mut d = match id.kind {
            DictKind::Sae => encode::encode(args, &inputs, &acts, &id.model, id.size)?,
            DictKind::Neurons => encode::neurons(args, &inputs, &acts, &id.model)?,
        };
        loss::measure(args, &inputs, &mut d);
        eprintln!(
            "build: {}: EV {:.3}, L0 {:.1}, dead {}, ultralow {}, loss {:.4} / SAE {:.4} / zero {:.4} -> {:.1} % recovered ({:.1} s)",
            d.id,
            d.metrics.explained_variance,
            d.metrics.l0,
            d.metrics.dead,
            d.metrics.ultralow,
            d.metrics.loss_orig,
            d.metrics.loss_sae,
            d.metrics.loss_zero,
            100.0 * d.metrics.loss_recovered,
            t.elapsed().as_secs_f64()
        );
        dicts.push(d);
    }
    // Interpretability (docs/interpretability.md): every model's neurons and control, and
    // every dictionary, over the same evaluation tokens.
    let t = Instant::now();
    let corpus = Corpus::new(inputs.eval(), inputs.vocab, inputs.ctx);
    let mut model_scores = BTreeMap::new();
    for (i, (m, h)) in acts.iter().enumerate() {
        let d = inputs.models[m].lm.config.d_mlp;
        model_scores.insert(m.clone(), scores::model_scores(&corpus, h, d, i as u32));
    }
    drop(acts);
    scores::model_universality(&mut model_scores);
    let mut dict_scores: Vec<UnitScores> = dicts
        .iter()
        .map(|d| match d.kind {
            DictKind::Neurons => model_scores[&d.model].neurons.clone(),
            DictKind::Sae => scores::dictionary_scores(&corpus, &d.codes),
        })
        .collect();
    let (sae_at, paired): (Vec<usize>, Vec<scores::Paired<'_>>) = dicts
        .iter()
        .enumerate()
        .filter(|(_, d)| d.kind == DictKind::Sae)
        .map(|(i, d)| {
            (
                i,
                scores::Paired {
                    model: &d.model,
                    d_sae: d.weights.d_sae as usize,
                    codes: &d.codes,
                },
            )
        })
        .unzip();
    for (i, best) in sae_at
        .into_iter()
        .zip(scores::dictionary_universality(&paired))
    {
        if let Some(best) = best {
            dict_scores[i].set_measure(UNIVERSALITY, &best);
        }
    }
    let mut interp = Vec::new();
    for (d, s) in dicts.iter().zip(&dict_scores) {
        if d.kind == DictKind::Sae {
            interp.push(GroupScores {
                name: d.id.clone(),
                model: d.model.clone(),
                group: Group::Dictionary,
                scores: s.clone(),
            });
        }
    }
    for (m, s) in &model_scores {
        for (group, what, scores) in [
            (Group::Neurons, "neurons", &s.neurons),
            (Group::Control, "control", &s.control),
        ] {
            interp.push(GroupScores {
                name: format!("{what} {m}"),
                model: m.clone(),
                group,
                scores: scores.clone(),
            });
        }
    }
    eprintln!(
        "build: interpretability scores in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let (matches, universality) = cross::matches(&dicts, inputs.n_eval);
    // The neurons' universality: already measured when both models' neurons were built as
    // dictionaries, otherwise the median of the neurons' stored universality scores (the same
    // measure over the same evaluation tokens).
    let neuron_baseline = universality
        .iter()
        .find(|u| u["from"] == "neurons-a" && u["to"] == "neurons-b")
        .and_then(|u| u["median_best_correlation"].as_f64())
        .map(|m| m as f32)
        .or_else(|| {
            let mut v = model_scores.get("A")?.neurons.scored(UNIVERSALITY);
            Some(polytope_core::lm::analysis::median(&mut v)).filter(|m| m.is_finite())
        });
    if let Some(b) = neuron_baseline {
        eprintln!("build: neurons A vs B: median best correlation {b:.3}");
    }

    let out = write::Out::new(&args.out)?;
    let shared = write::shared_files(args, &inputs, &out, &model_scores)?;
    let mut entries = Vec::with_capacity(dicts.len());
    for i in 0..dicts.len() {
        let t = Instant::now();
        let (related, splits) = cross::split_edges(&dicts, i);
        let map = map::feature_map(&dicts[i].weights, args.tsne_epochs);
        let best = matches.get(&i).map(|(_, best)| best.as_slice());
        let (list, details) = features::analyse(args, &inputs, &dicts[i], splits, &map, best);
        let links = write::Links {
            related: related.iter().map(|j| dicts[*j].id.clone()).collect(),
            match_dict: matches.get(&i).map(|(j, _)| dicts[*j].id.clone()),
        };
        entries.push(write::dictionary(
            args,
            &inputs,
            &out,
            &dicts[i],
            &list,
            &details,
            links,
            &dict_scores[i],
        )?);
        eprintln!(
            "build: wrote {} ({:.1} s)",
            dicts[i].id,
            t.elapsed().as_secs_f64()
        );
    }
    let index = write::index(&inputs, &out, shared, entries, highlights)?;
    let report = readme::Report {
        dicts: &dicts,
        universality: &universality,
        neurons: neuron_baseline,
        n_eval: inputs.n_eval,
        interp: &interp,
    };
    write::provenance(args, &out, &index, &report, started)?;
    println!("{}", readme::summary_line(&report, &args.out));
    Ok(())
}
