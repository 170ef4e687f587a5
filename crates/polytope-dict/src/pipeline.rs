//! `polytope dict pipeline`: every step from the registry corpora to the browser's files, in
//! order, each one resuming from what an earlier run left in the working directory.
//! `--tiny` runs the whole chain on a slice of the corpus with a tiny model (the CI check).

use std::path::PathBuf;
use std::time::Instant;

use crate::Error;
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

pub fn run(args: &Args) -> Result<(), Error> {
    let t = args.tiny;
    let vocab = args.vocab.unwrap_or(if t { 320 } else { 2048 });
    let model_steps = args.model_steps.unwrap_or(if t { 60 } else { 6000 });
    let acts = args.acts.unwrap_or(if t { 16_384 } else { 1_000_000 });
    let sizes = args.sizes.clone().unwrap_or_else(|| {
        if t {
            vec![64, 128]
        } else {
            vec![512, 2048, 4096]
        }
    });
    let match_size = args.match_size.unwrap_or(if t { 64 } else { 2048 });
    let sae_steps = args.sae_steps.unwrap_or(if t { 150 } else { 4000 });
    let eval_tokens = args.eval_tokens.unwrap_or(if t { 16_384 } else { 300_000 });
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

    step("corpus", &mut || {
        let mut c: corpus::Args = defaults()?;
        c.cache = args.work.join("cache");
        c.out = args.work.join("corpus");
        // About 1 MB held out: enough evaluation tokens for rare features.
        c.val_fraction = 0.04;
        if t {
            c.slice = Some(150_000);
        }
        corpus::run(&c)
    })?;
    step("tokenizer", &mut || {
        let mut c: tokenizer::Args = defaults()?;
        c.corpus = args.work.join("corpus");
        c.vocab = vocab as usize;
        c.out = args.work.join("tokenizer.json");
        tokenizer::run(&c)
    })?;
    step("models", &mut || {
        for m in ["A", "B"] {
            let mut c: model::Args = defaults()?;
            c.work.clone_from(&args.work);
            c.model = m.into();
            c.steps = model_steps;
            c.checkpoint_every = if t { 30 } else { 250 };
            if t {
                (c.d_model, c.d_mlp, c.heads, c.ctx, c.batch) = (32, 64, 2, 32, 16);
            }
            model::run(&c)?;
        }
        Ok(())
    })?;
    step("activations", &mut || {
        for m in ["A", "B"] {
            let mut c: activations::Args = defaults()?;
            c.work.clone_from(&args.work);
            c.model = m.into();
            c.count = acts as usize;
            c.per_context = if t { 8 } else { 16 };
            activations::run(&c)?;
        }
        Ok(())
    })?;
    let mut dicts: Vec<(String, u32)> = sizes.iter().map(|z| ("A".to_owned(), *z)).collect();
    dicts.push(("B".to_owned(), match_size));
    step("saes", &mut || {
        for (m, size) in &dicts {
            let mut c: sae::Args = defaults()?;
            c.work.clone_from(&args.work);
            c.model.clone_from(m);
            c.d_sae = *size;
            c.variant.clone_from(&args.variant);
            c.k = args.k.min(*size);
            c.steps = sae_steps;
            c.batch = if t { 128 } else { args.sae_batch };
            c.backend.clone_from(&args.backend);
            sae::run(&c)?;
        }
        Ok(())
    })?;
    step("build", &mut || {
        let mut c: build::Args = defaults()?;
        c.work.clone_from(&args.work);
        c.out.clone_from(&args.out);
        c.dicts = dicts
            .iter()
            .map(|(m, z)| format!("{}-{z}", m.to_lowercase()))
            .collect();
        c.eval_tokens = eval_tokens as usize;
        if t {
            c.loss_windows = 64;
            c.tsne_epochs = 200;
            c.text_sample = 20_000;
        }
        build::run(&c)
    })?;
    write_atomic(
        &args.work.join("pipeline.json"),
        serde_json::to_string_pretty(&serde_json::json!({ "steps": timings }))
            .unwrap_or_default()
            .as_bytes(),
    )?;
    Ok(())
}
