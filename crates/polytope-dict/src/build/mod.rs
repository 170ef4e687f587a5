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

use std::path::PathBuf;
use std::time::Instant;

use crate::Error;

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

/// Bins of the activation and logit histograms.
const BINS: usize = 50;

fn dict_failure(what: &str) -> impl Fn(polytope_core::dict::DictError) -> Error + '_ {
    move |e| Error::Run(format!("{what}: {e}"))
}

fn check_args(args: &Args) -> Result<(), Error> {
    if args.dicts.is_empty() {
        return Err(Error::Usage("--dicts names no dictionary".into()));
    }
    if args.before > 32 || args.after > 32 || args.chunk == 0 || args.top == 0 || args.groups == 0 {
        return Err(Error::Usage(
            "--before/--after must be at most 32; --chunk, --top and --groups positive".into(),
        ));
    }
    Ok(())
}

pub fn run(args: &Args) -> Result<(), Error> {
    let started = Instant::now();
    check_args(args)?;
    let inputs = inputs::load(args)?;
    eprintln!(
        "build: {} evaluation tokens, {} dictionaries",
        inputs.n_eval,
        inputs.ids.len()
    );

    let acts = encode::model_activations(&inputs);
    let mut dicts = Vec::with_capacity(inputs.ids.len());
    for (m, size) in &inputs.ids {
        let t = Instant::now();
        let mut d = encode::encode(args, &inputs, &acts, m, *size)?;
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
    drop(acts);

    let (matches, universality) = cross::matches(&dicts, inputs.n_eval);
    let neuron_baseline = cross::neuron_universality(&inputs);
    if let Some(b) = neuron_baseline {
        eprintln!("build: neurons A vs B: median best correlation {b:.3}");
    }

    let out = write::Out::new(&args.out)?;
    let shared = write::shared_files(args, &inputs, &out)?;
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
            args, &inputs, &out, &dicts[i], &list, &details, links,
        )?);
        eprintln!(
            "build: wrote {} ({:.1} s)",
            dicts[i].id,
            t.elapsed().as_secs_f64()
        );
    }
    let index = write::index(&inputs, &out, shared, entries)?;
    let report = readme::Report {
        dicts: &dicts,
        universality: &universality,
        neurons: neuron_baseline,
        n_eval: inputs.n_eval,
    };
    write::provenance(args, &out, &index, &report, started)?;
    println!("{}", readme::summary_line(&report, &args.out));
    Ok(())
}
