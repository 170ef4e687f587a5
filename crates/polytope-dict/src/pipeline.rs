//! `polytope dict pipeline`: every step from the registry corpora to the browser's files, in
//! order, each one resuming from what an earlier run left in the working directory.
//! `--tiny` runs the whole chain on a slice of the corpus with a tiny model (the CI check).

use std::path::PathBuf;
use std::time::Instant;

use crate::Error;
use crate::limits::bound;
use crate::work::write_atomic;
use crate::{activations, build, corpus, defaults, model, sae, tokenizer};

#[derive(clap::Args, Clone)]
pub struct Args {
    #[arg(long, default_value = "target/dict")]
    pub work: PathBuf,
    #[arg(long, default_value = "public/data")]
    pub out: PathBuf,
    /// A tiny model and a slice of the corpus: the whole chain in a minute or two.
    #[arg(long)]
    pub tiny: bool,
    /// Tokenizer vocabulary.
    #[arg(long)]
    pub vocab: Option<u32>,
    /// Training steps of each model (32 x 64 tokens each).
    #[arg(long)]
    pub model_steps: Option<u32>,
    /// Activations sampled per model for the dictionaries.
    #[arg(long)]
    pub acts: Option<u32>,
    /// Dictionary sizes trained on model A.
    #[arg(long, value_delimiter = ',')]
    pub sizes: Option<Vec<u32>>,
    /// The size also trained on model B (universality).
    #[arg(long)]
    pub match_size: Option<u32>,
    #[arg(long)]
    pub sae_steps: Option<u32>,
    #[arg(long, default_value_t = 512)]
    pub sae_batch: u32,
    #[arg(long, default_value = "topk")]
    pub variant: String,
    #[arg(long, default_value_t = 16)]
    pub k: u32,
    /// Where the dictionaries train: cpu or gpu.
    #[arg(long, value_parser = ["cpu", "gpu"], default_value = "cpu")]
    pub backend: String,
    #[arg(long)]
    pub eval_tokens: Option<u32>,
    /// Run only up to and including this step: corpus, tokenizer, models, activations, saes, build.
    #[arg(long)]
    pub until: Option<String>,
}

/// The steps' options, all worked out (and checked) before the first step runs.
struct Plan {
    corpus: corpus::Args,
    tokenizer: tokenizer::Args,
    models: Vec<model::Args>,
    activations: Vec<activations::Args>,
    saes: Vec<sae::Args>,
    build: build::Args,
}

impl Plan {
    fn new(args: &Args) -> Result<Self, Error> {
        let t = args.tiny;
        let sizes = args.sizes.clone().unwrap_or_else(|| {
            if t {
                vec![64, 128]
            } else {
                vec![512, 2048, 4096]
            }
        });
        bound("--sizes (count)", sizes.len(), 1, 32)?;
        let match_size = args.match_size.unwrap_or(if t { 64 } else { 2048 });

        let mut corpus: corpus::Args = defaults()?;
        corpus.cache = args.work.join("cache");
        corpus.out = args.work.join("corpus");
        // About 1 MB held out: enough evaluation tokens for rare features.
        corpus.val_fraction = 0.04;
        if t {
            corpus.slice = Some(150_000);
        }
        let mut tokenizer: tokenizer::Args = defaults()?;
        tokenizer.corpus = args.work.join("corpus");
        tokenizer.vocab = args.vocab.unwrap_or(if t { 320 } else { 2048 }) as usize;
        tokenizer.out = args.work.join("tokenizer.json");
        let mut models = Vec::new();
        let mut acts = Vec::new();
        for m in ["A", "B"] {
            let mut c: model::Args = defaults()?;
            c.work.clone_from(&args.work);
            c.model = m.into();
            c.steps = args.model_steps.unwrap_or(if t { 60 } else { 6000 });
            c.checkpoint_every = if t { 30 } else { 250 };
            if t {
                (c.d_model, c.d_mlp, c.heads, c.ctx, c.batch) = (32, 64, 2, 32, 16);
            }
            models.push(c);
            let mut c: activations::Args = defaults()?;
            c.work.clone_from(&args.work);
            c.model = m.into();
            c.count = args.acts.unwrap_or(if t { 16_384 } else { 1_000_000 }) as usize;
            c.per_context = if t { 8 } else { 16 };
            acts.push(c);
        }
        let mut dicts: Vec<(&str, u32)> = sizes.iter().map(|z| ("A", *z)).collect();
        dicts.push(("B", match_size));
        let mut saes = Vec::new();
        for (m, size) in &dicts {
            let mut c: sae::Args = defaults()?;
            c.work.clone_from(&args.work);
            c.model = (*m).into();
            c.d_sae = *size;
            c.variant.clone_from(&args.variant);
            c.k = args.k.min(*size);
            c.steps = args.sae_steps.unwrap_or(if t { 150 } else { 4000 });
            c.batch = if t { 128 } else { args.sae_batch };
            c.backend.clone_from(&args.backend);
            saes.push(c);
        }
        let mut build: build::Args = defaults()?;
        build.work.clone_from(&args.work);
        build.out.clone_from(&args.out);
        // Every dictionary, then both models' neurons (the identity dictionaries: the
        // comparison of neurons with features).
        build.dicts = dicts
            .iter()
            .map(|(m, z)| format!("{}-{z}", m.to_lowercase()))
            .chain(["neurons-a".to_owned(), "neurons-b".to_owned()])
            .collect();
        build.eval_tokens = args.eval_tokens.unwrap_or(if t { 16_384 } else { 300_000 }) as usize;
        if t {
            build.loss_windows = 64;
            build.tsne_epochs = 200;
            build.text_sample = 20_000;
        }
        let plan = Self {
            corpus,
            tokenizer,
            models,
            activations: acts,
            saes,
            build,
        };
        plan.validate()?;
        Ok(plan)
    }

    /// Every step's bounds, so that an absurd option fails at once, not hours in.
    fn validate(&self) -> Result<(), Error> {
        let step = |name: &str, r: Result<(), Error>| {
            r.map_err(|e| match e {
                Error::Usage(m) => Error::Usage(format!("the {name} step: {m}")),
                other => other,
            })
        };
        step("corpus", self.corpus.validate())?;
        step("tokenizer", self.tokenizer.validate())?;
        for m in &self.models {
            step("models", m.validate())?;
        }
        for a in &self.activations {
            step("activations (--acts)", a.validate())?;
        }
        for s in &self.saes {
            step("saes", s.validate())?;
        }
        step("build", self.build.validate())
    }
}

pub fn run(args: &Args) -> Result<(), Error> {
    let order = [
        "corpus",
        "tokenizer",
        "models",
        "activations",
        "saes",
        "build",
    ];
    let last = match &args.until {
        Some(u) => order.iter().position(|o| o == u).ok_or_else(|| {
            Error::Usage(format!(
                "--until {u:?}: expected one of {}",
                order.join(", ")
            ))
        })?,
        None => order.len() - 1,
    };
    let plan = Plan::new(args)?;
    let mut timings = Vec::new();
    let mut step = |name: &str, f: &mut dyn FnMut() -> Result<(), Error>| -> Result<bool, Error> {
        let i = order.iter().position(|o| *o == name).unwrap_or(0);
        if i > last {
            return Ok(false);
        }
        let started = Instant::now();
        eprintln!("pipeline: {name}");
        f()?;
        let secs = started.elapsed().as_secs_f64();
        eprintln!("pipeline: {name} done in {secs:.1} s");
        timings.push(serde_json::json!({"step": name, "seconds": secs}));
        Ok(true)
    };
    step("corpus", &mut || corpus::run(&plan.corpus))?;
    step("tokenizer", &mut || tokenizer::run(&plan.tokenizer))?;
    step("models", &mut || {
        plan.models.iter().try_for_each(model::run)
    })?;
    step("activations", &mut || {
        plan.activations.iter().try_for_each(activations::run)
    })?;
    step("saes", &mut || plan.saes.iter().try_for_each(sae::run))?;
    step("build", &mut || build::run(&plan.build))?;
    write_atomic(
        &args.work.join("pipeline.json"),
        serde_json::to_string_pretty(&serde_json::json!({ "steps": timings }))
            .unwrap_or_default()
            .as_bytes(),
    )?;
    Ok(())
}
