//! `polytope dict activations`: runs the model over random contexts of the training split and
//! keeps the MLP activations (after the ReLU) at a few positions of each, shuffled, in the
//! activation file format (docs/activation-format.md).

use std::path::PathBuf;
use std::time::Instant;

use polytope_core::rng::HostRng;
use polytope_core::sae::{Dtype, write_activation_file};

use crate::Error;
use crate::work::{load_model, load_tokens, write_atomic};

#[derive(clap::Args, Clone)]
pub struct Args {
    #[arg(long, default_value = "target/dict")]
    pub work: PathBuf,
    #[arg(long, default_value = "A")]
    pub model: String,
    /// Activations to keep.
    #[arg(long, default_value_t = 1_000_000)]
    pub count: usize,
    /// Positions sampled from each context (the paper: 250 of 250+; ours are 64 long).
    #[arg(long, default_value_t = 16)]
    pub per_context: usize,
    #[arg(long, default_value_t = 7)]
    pub seed: u32,
    /// Output file; default WORK/acts-<model>.bin.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn acts_path(work: &std::path::Path, model: &str) -> PathBuf {
    work.join(format!("acts-{}.bin", model.to_lowercase()))
}

pub fn run(args: &Args) -> Result<(), Error> {
    let model = load_model(&args.work, &args.model)?;
    let ctx = model.config.ctx;
    if args.count == 0 || args.per_context == 0 || args.per_context > ctx {
        return Err(Error::Usage(format!(
            "--count must be positive and --per-context within 1..={ctx}"
        )));
    }
    let train = load_tokens(&args.work, "train")?;
    if train.len() <= ctx {
        return Err(Error::Run(
            "the training split is shorter than one context".into(),
        ));
    }
    let started = Instant::now();
    let d = model.config.d_mlp;
    let contexts = args.count.div_ceil(args.per_context);
    let mut rng = HostRng::new(args.seed, 0xAC75);
    let mut data = Vec::with_capacity(contexts * args.per_context * d);
    let batch = 64usize;
    let mut done = 0usize;
    while done < contexts {
        let b = batch.min(contexts - done);
        let mut tokens = Vec::with_capacity(b * ctx);
        for _ in 0..b {
            let start = rng.next_below((train.len() - ctx) as u32) as usize;
            tokens.extend_from_slice(&train[start..start + ctx]);
        }
        let h = model.mlp_activations(&tokens, b, ctx);
        for s in 0..b {
            // Distinct positions of this context, chosen at random.
            let mut positions: Vec<usize> = (0..ctx).collect();
            for i in 0..args.per_context {
                let j = i + rng.next_below((ctx - i) as u32) as usize;
                positions.swap(i, j);
            }
            for p in &positions[..args.per_context] {
                let row = (s * ctx + p) * d;
                data.extend_from_slice(&h[row..row + d]);
            }
        }
        done += b;
    }
    data.truncate(args.count * d);
    // Shuffle rows so that consecutive rows come from different contexts.
    let rows = data.len() / d;
    for i in (1..rows).rev() {
        let j = rng.next_below((i + 1) as u32) as usize;
        if i != j {
            for k in 0..d {
                data.swap(i * d + k, j * d + k);
            }
        }
    }
    let meta = serde_json::json!({
        "source": "polytope dict activations",
        "model": args.model.to_uppercase(),
        "hook": "mlp.post_relu",
        "contexts": contexts,
        "per_context": args.per_context,
        "context_length": ctx,
        "seed": args.seed,
    });
    let bytes = write_activation_file(d, &data, Dtype::F16, &meta);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| acts_path(&args.work, &args.model));
    write_atomic(&out, &bytes)?;
    let mean_active = data.iter().filter(|v| **v > 0.0).count() as f64 / rows as f64;
    eprintln!(
        "wrote {rows} activations of {d} neurons from {contexts} contexts to {} ({:.1} MB, {mean_active:.1} neurons active per token, {:.1} s)",
        out.display(),
        bytes.len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
