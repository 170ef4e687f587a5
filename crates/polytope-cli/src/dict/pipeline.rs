//! `polytope dict pipeline`: every step from the registry corpora to the browser's files, in
//! order, each one resuming from what an earlier run left in the working directory.
//! `--tiny` runs the whole chain on a slice of the corpus with a tiny model (the CI check).

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;

use super::work::write_atomic;
use crate::Failure;

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

#[derive(Parser)]
struct Wrap<T: clap::Args> {
    #[command(flatten)]
    inner: T,
}

fn parse<T: clap::Args>(name: &str, flags: &[String]) -> Result<T, Failure> {
    let argv = std::iter::once(name.to_owned()).chain(flags.iter().cloned());
    Wrap::<T>::try_parse_from(argv)
        .map(|w| w.inner)
        .map_err(|e| Failure::Usage(format!("{name}: {e}")))
}

#[allow(clippy::needless_pass_by_value)] // called with literals and numbers alike
fn s<T: ToString>(v: T) -> String {
    v.to_string()
}

pub fn run(args: &Args) -> Result<(), Failure> {
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
    let work = s(args.work.display());
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
            Failure::Usage(format!(
                "--until {u:?}: expected one of {}",
                order.join(", ")
            ))
        })?,
        None => order.len() - 1,
    };
    let mut timings = Vec::new();
    let mut step =
        |name: &str, f: &mut dyn FnMut() -> Result<(), Failure>| -> Result<bool, Failure> {
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
        let mut flags = vec![
            s("--cache"),
            format!("{work}/cache"),
            s("--out"),
            format!("{work}/corpus"),
            // About 1 MB held out: enough evaluation tokens for rare features.
            s("--val-fraction"),
            s(0.04),
        ];
        if t {
            flags.extend([s("--slice"), s(150_000)]);
        }
        super::corpus::run(&parse::<super::corpus::Args>("corpus", &flags)?)
    })?;
    step("tokenizer", &mut || {
        let flags = vec![
            s("--corpus"),
            format!("{work}/corpus"),
            s("--vocab"),
            s(vocab),
            s("--out"),
            format!("{work}/tokenizer.json"),
        ];
        super::tokenizer::run(&parse::<super::tokenizer::Args>("tokenizer", &flags)?)
    })?;
    let shape: Vec<String> = if t {
        [
            "--d-model",
            "32",
            "--d-mlp",
            "64",
            "--heads",
            "2",
            "--ctx",
            "32",
            "--batch",
            "16",
        ]
        .iter()
        .map(s)
        .collect()
    } else {
        Vec::new()
    };
    step("models", &mut || {
        for m in ["A", "B"] {
            let mut flags = vec![
                s("--work"),
                work.clone(),
                s("--model"),
                s(m),
                s("--steps"),
                s(model_steps),
                s("--checkpoint-every"),
                s(if t { 30 } else { 250 }),
            ];
            flags.extend(shape.iter().cloned());
            super::model::run(&parse::<super::model::Args>("train-model", &flags)?)?;
        }
        Ok(())
    })?;
    step("activations", &mut || {
        for m in ["A", "B"] {
            let flags = vec![
                s("--work"),
                work.clone(),
                s("--model"),
                s(m),
                s("--count"),
                s(acts),
                s("--per-context"),
                s(if t { 8 } else { 16 }),
            ];
            super::activations::run(&parse::<super::activations::Args>("activations", &flags)?)?;
        }
        Ok(())
    })?;
    let mut dicts: Vec<(String, u32)> = sizes.iter().map(|z| (s("A"), *z)).collect();
    dicts.push((s("B"), match_size));
    step("saes", &mut || {
        for (m, size) in &dicts {
            let flags = vec![
                s("--work"),
                work.clone(),
                s("--model"),
                m.clone(),
                s("--d-sae"),
                s(size),
                s("--variant"),
                args.variant.clone(),
                s("--k"),
                s(args.k.min(*size)),
                s("--steps"),
                s(sae_steps),
                s("--batch"),
                s(if t { 128 } else { args.sae_batch }),
                s("--backend"),
                args.backend.clone(),
            ];
            super::sae::run(&parse::<super::sae::Args>("train-sae", &flags)?)?;
        }
        Ok(())
    })?;
    step("build", &mut || {
        let list: Vec<String> = dicts
            .iter()
            .map(|(m, z)| format!("{}-{z}", m.to_lowercase()))
            .collect();
        let mut flags = vec![
            s("--work"),
            work.clone(),
            s("--out"),
            s(args.out.display()),
            s("--dicts"),
            list.join(","),
            s("--eval-tokens"),
            s(eval_tokens),
        ];
        if t {
            flags.extend([
                s("--loss-windows"),
                s(64),
                s("--tsne-epochs"),
                s(200),
                s("--text-sample"),
                s(20_000),
            ]);
        }
        super::build::run(&parse::<super::build::Args>("build", &flags)?)
    })?;
    write_atomic(
        &args.work.join("pipeline.json"),
        serde_json::to_string_pretty(&serde_json::json!({ "steps": timings }))
            .unwrap_or_default()
            .as_bytes(),
    )?;
    Ok(())
}
