//! `polytope dict train-model`: trains the one-layer transformer on the corpus, writing a
//! checkpoint every few hundred steps and resuming from it when run again.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use polytope_core::lm::file::{LmMetadata, to_bytes};
use polytope_core::lm::model::LmConfig;
use polytope_core::lm::train::{LmTrainConfig, LmTrainer, evaluate};

use crate::Error;
use crate::work::{load_tokenizer, load_tokens, model_dir, read, write_atomic};

#[derive(clap::Args, Clone)]
pub struct Args {
    /// The pipeline's working directory.
    #[arg(long, default_value = "target/dict")]
    pub work: PathBuf,
    /// Which model: A or B (they differ only in seed).
    #[arg(long, default_value = "A")]
    pub model: String,
    /// Seed; default 1 for A, 2 for B.
    #[arg(long)]
    pub seed: Option<u32>,
    #[arg(long, default_value_t = 6000)]
    pub steps: u32,
    /// Sequences per step.
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Tokens per sequence (the context length).
    #[arg(long, default_value_t = 64)]
    pub ctx: usize,
    #[arg(long, default_value_t = 128)]
    pub d_model: usize,
    #[arg(long, default_value_t = 512)]
    pub d_mlp: usize,
    #[arg(long, default_value_t = 4)]
    pub heads: usize,
    #[arg(long, default_value_t = 3e-3)]
    pub lr: f64,
    /// Write a checkpoint every this many steps.
    #[arg(long, default_value_t = 250)]
    pub checkpoint_every: u32,
    /// Start over even if a checkpoint exists.
    #[arg(long)]
    pub restart: bool,
    /// Print one JSON object to stdout at the end.
    #[arg(long)]
    pub json: bool,
}

pub fn default_seed(model: &str) -> u32 {
    if model.eq_ignore_ascii_case("b") {
        2
    } else {
        1
    }
}

pub fn run(args: &Args) -> Result<(), Error> {
    let id = args.model.to_uppercase();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::Usage(format!(
            "--model must be a short name like A or B, got {:?}",
            args.model
        )));
    }
    if args.steps == 0 || args.batch == 0 || args.ctx < 2 || args.ctx > 1024 {
        return Err(Error::Usage(
            "--steps and --batch must be positive and --ctx within 2..=1024".into(),
        ));
    }
    let tokenizer = load_tokenizer(&args.work)?;
    let train = load_tokens(&args.work, "train")?;
    let val = load_tokens(&args.work, "val")?;
    if train.len() < args.ctx * 4 || val.len() < args.ctx * 2 {
        return Err(Error::Run(format!(
            "the corpus is too small: {} training and {} validation tokens",
            train.len(),
            val.len()
        )));
    }
    let config = LmConfig {
        vocab: tokenizer.vocab_size(),
        d_model: args.d_model,
        n_heads: args.heads,
        d_mlp: args.d_mlp,
        ctx: args.ctx,
    };
    config.validate().map_err(Error::Usage)?;
    let mut tc =
        LmTrainConfig::recommended(args.seed.unwrap_or_else(|| default_seed(&id)), args.steps);
    tc.batch = args.batch;
    tc.len = args.ctx;
    tc.lr = args.lr;
    let dir = model_dir(&args.work, &id);
    let ckpt_path = dir.join("checkpoint.bin");
    let mut trainer = match read(&ckpt_path) {
        Ok(bytes) if !args.restart => {
            let t = LmTrainer::from_checkpoint(&bytes)
                .map_err(|e| Error::Run(format!("{}: {e} (use --restart)", ckpt_path.display())))?;
            if t.model.config != config || t.config != tc {
                return Err(Error::Usage(format!(
                    "{} was written with other settings; use --restart to start over",
                    ckpt_path.display()
                )));
            }
            eprintln!("model {id}: resuming at step {}", t.step);
            t
        }
        _ => LmTrainer::new(config, tc),
    };
    let mut log = String::new();
    // Training time of earlier runs of this model (a resumed run adds to it).
    let mut earlier_seconds = 0.0;
    if let Ok(old) = std::fs::read_to_string(dir.join("log.jsonl")) {
        // Keep the lines of the steps the checkpoint covers.
        for line in old.lines() {
            let step = serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|v| v["step"].as_u64());
            if step.is_some_and(|s| s <= u64::from(trainer.step)) && !args.restart {
                log.push_str(line);
                log.push('\n');
                if let Some(e) = serde_json::from_str::<serde_json::Value>(line)
                    .ok()
                    .and_then(|v| v["elapsed_s"].as_f64())
                {
                    earlier_seconds = e;
                }
            }
        }
    }
    let started = Instant::now();
    let first_step = trainer.step;
    let mut window_loss = 0.0;
    let mut window_steps = 0u32;
    while trainer.step < tc.steps {
        let loss = trainer.train_step(&train);
        if !loss.is_finite() {
            return Err(Error::Run(format!(
                "training diverged at step {} (loss {loss}); lower --lr",
                trainer.step
            )));
        }
        window_loss += loss;
        window_steps += 1;
        let step = trainer.step;
        if step % 50 == 0 || step == tc.steps {
            let secs = started.elapsed().as_secs_f64();
            let tokens_per_s =
                f64::from(step - first_step) * (tc.batch * tc.len) as f64 / secs.max(1e-9);
            let mut line = serde_json::json!({
                "step": step,
                "loss": window_loss / f64::from(window_steps),
                "lr": tc.lr_at(step - 1),
                "tokens_per_s": tokens_per_s.round(),
                "elapsed_s": (earlier_seconds + secs).round(),
            });
            if step % args.checkpoint_every == 0 || step == tc.steps {
                let v = evaluate(&trainer.model, &val, tc.len, 64);
                line["val_loss"] = serde_json::json!(v);
                write_atomic(&ckpt_path, &trainer.checkpoint())?;
            }
            eprintln!("model {id}: {line}");
            let _ = writeln!(log, "{line}");
            write_atomic(&dir.join("log.jsonl"), log.as_bytes())?;
            window_loss = 0.0;
            window_steps = 0;
        }
    }
    // The shipped model is the f16-rounded one; report its loss on the whole validation split.
    let mut model = trainer.model.clone();
    model.round_to_f16();
    let val_loss = evaluate(&model, &val, tc.len, usize::MAX);
    let unigram = unigram_entropy(&train, config.vocab);
    let seconds = earlier_seconds + started.elapsed().as_secs_f64();
    let meta = LmMetadata {
        id: id.clone(),
        seed: tc.seed,
        steps: tc.steps,
        tokens_seen: u64::from(tc.steps) * (tc.batch * tc.len) as u64,
        val_loss,
        train_seconds: seconds,
    };
    write_atomic(&dir.join("model.bin"), &to_bytes(&model, &meta))?;
    let report = serde_json::json!({
        "model": id,
        "config": config,
        "train": tc,
        "parameters": model.params.len(),
        "train_tokens": train.len(),
        "val_tokens": val.len(),
        "tokens_seen": meta.tokens_seen,
        "val_loss": val_loss,
        "unigram_entropy": unigram,
        "train_seconds": seconds,
    });
    write_atomic(
        &dir.join("report.json"),
        serde_json::to_string_pretty(&report)
            .unwrap_or_default()
            .as_bytes(),
    )?;
    if args.json {
        println!("{report}");
    } else {
        println!(
            "model {id}: validation loss {val_loss:.4} nats/token (unigram entropy {unigram:.3}) after {} tokens",
            meta.tokens_seen
        );
    }
    Ok(())
}

/// The loss of the best context-free predictor, for comparison.
fn unigram_entropy(tokens: &[u16], vocab: usize) -> f64 {
    let mut counts = vec![0u64; vocab];
    for t in tokens {
        counts[usize::from(*t).min(vocab - 1)] += 1;
    }
    let n = tokens.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f64 / n;
            -p * p.ln()
        })
        .sum()
}
