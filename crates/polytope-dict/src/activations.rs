//! `polytope dict activations`: runs the model over random contexts of the training split and
//! keeps the MLP activations (after the ReLU) at a few positions of each, shuffled, in the
//! activation file format (docs/activation-format.md).

use std::path::{Path, PathBuf};
use std::time::Instant;

use polytope_core::dict::checksum;
use polytope_core::rng::HostRng;
use polytope_core::sae::{ActivationFile, Dtype, write_activation_file};
use serde_json::json;

use crate::Error;
use crate::limits::{bound, fits};
use crate::work::{load_model, load_tokens, note_upgrade, read, write_atomic};

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

/// The metadata field holding the FNV-1a 64 of the data section (16 hex digits): the pipeline
/// trains from this file, so it is checked like a checkpoint.
const DATA_CHECKSUM: &str = "data_fnv1a64";

/// The byte offset of the rows in an activation file whose metadata is `meta_len` bytes
/// (docs/activation-format.md).
fn data_offset(meta_len: usize) -> usize {
    (32 + meta_len).next_multiple_of(16)
}

/// An activation file of `data` (f16) whose metadata records the data section's checksum.
fn write_checked(d: usize, data: &[f32], mut meta: serde_json::Value) -> Vec<u8> {
    // The checksum's 16 digits have a fixed width: write once, then fill them in place.
    meta[DATA_CHECKSUM] = json!("0000000000000000");
    let mut bytes = write_activation_file(d, data, Dtype::F16, &meta);
    let meta_len = u32::from_le_bytes([bytes[28], bytes[29], bytes[30], bytes[31]]) as usize;
    meta[DATA_CHECKSUM] = json!(checksum(&bytes[data_offset(meta_len)..]));
    let filled = serde_json::to_vec(&meta).unwrap_or_default();
    if filled.len() == meta_len {
        bytes[32..32 + meta_len].copy_from_slice(&filled);
    }
    bytes
}

/// Reads the activation file the SAEs train on, checking its data against the checksum in its
/// metadata. A file written before checksums is accepted once and rewritten with one.
pub fn read_activations(path: &Path) -> Result<ActivationFile, Error> {
    let bytes = read(path).map_err(|e| e.hint("run `polytope dict activations` first"))?;
    let file = ActivationFile::parse(&bytes)
        .map_err(|e| Error::Run(format!("{}: {e}", path.display())))?;
    let meta_len = u32::from_le_bytes([bytes[28], bytes[29], bytes[30], bytes[31]]) as usize;
    let data_sum = checksum(&bytes[data_offset(meta_len)..]);
    match file.metadata.get(DATA_CHECKSUM).and_then(|v| v.as_str()) {
        Some(want) if want == data_sum => {}
        Some(want) => {
            return Err(Error::Damaged {
                path: path.to_path_buf(),
                reason: format!("the rows' checksum is {data_sum}, the metadata says {want}"),
                fix: "run `polytope dict activations` again".into(),
            });
        }
        None => {
            drop(bytes);
            write_atomic(
                path,
                &write_checked(file.d_in, &file.data, file.metadata.clone()),
            )?;
            note_upgrade(path);
        }
    }
    Ok(file)
}

impl Args {
    /// The options' bounds, checked before the model is loaded (the context length is checked
    /// once it is known).
    pub fn validate(&self) -> Result<(), Error> {
        if self.count > 0 && self.per_context > 0 {
            bound("--count", self.count, 1, 100_000_000)?;
            bound("--per-context", self.per_context, 1, 1024)?;
        }
        Ok(())
    }
}

pub fn run(args: &Args) -> Result<(), Error> {
    args.validate()?;
    let model = load_model(&args.work, &args.model)?;
    let ctx = model.config.ctx;
    if args.count == 0 || args.per_context == 0 || args.per_context > ctx {
        return Err(Error::Usage(format!(
            "--count must be positive and --per-context within 1..={ctx}"
        )));
    }
    // The rows as f32, their f16 file and the shuffle's working copy of a row.
    fits(
        "this activation file",
        (args.count as u64)
            .saturating_mul(model.config.d_mlp as u64)
            .saturating_mul(6),
        "choose a smaller --count",
    )?;
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
    let meta = json!({
        "source": "polytope dict activations",
        "model": args.model.to_uppercase(),
        "hook": "mlp.post_relu",
        "contexts": contexts,
        "per_context": args.per_context,
        "context_length": ctx,
        "seed": args.seed,
    });
    let bytes = write_checked(d, &data, meta);
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
