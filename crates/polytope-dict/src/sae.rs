//! `polytope dict train-sae`: trains one dictionary on a model's activation file, on the CPU or
//! the GPU, with checkpoints that resume.

use std::path::{Path, PathBuf};
use std::time::Instant;

use polytope_core::sae::{ActivationFile, FileSource, SaeConfig, SaeState, Variant};

use crate::Error;
use crate::activations::acts_path;
use crate::work::{read, write_atomic};

#[derive(clap::Args, Clone)]
pub struct Args {
    #[arg(long, default_value = "target/dict")]
    pub work: PathBuf,
    #[arg(long, default_value = "A")]
    pub model: String,
    /// Dictionary size.
    #[arg(long = "d-sae", default_value_t = 2048)]
    pub d_sae: u32,
    /// l1-2023, l1-2024, topk or jumprelu.
    #[arg(long, default_value = "topk")]
    pub variant: String,
    /// Active latents per token (topk).
    #[arg(long, default_value_t = 16)]
    pub k: u32,
    /// Sparsity coefficient (default: the variant's recommended value).
    #[arg(long)]
    pub l1: Option<f32>,
    #[arg(long)]
    pub lr: Option<f64>,
    #[arg(long, default_value_t = 512)]
    pub batch: u32,
    #[arg(long, default_value_t = 4000)]
    pub steps: u32,
    #[arg(long, default_value_t = 11)]
    pub seed: u32,
    /// cpu or gpu.
    #[arg(long, value_parser = ["cpu", "gpu"], default_value = "cpu")]
    pub backend: String,
    /// Start over even if a checkpoint exists.
    #[arg(long)]
    pub restart: bool,
}

pub fn sae_id(model: &str, d_sae: u32) -> String {
    format!("{}-{d_sae}", model.to_lowercase())
}

pub fn sae_dir(work: &Path, model: &str, d_sae: u32) -> PathBuf {
    work.join("sae").join(sae_id(model, d_sae))
}

/// A trained (or partly trained) dictionary on disk: its config, then its state.
pub fn save_state(path: &Path, cfg: &SaeConfig, state: &SaeState) -> Result<(), Error> {
    let header = serde_json::json!({
        "config": cfg,
        "step": state.step,
        "last_fired": state.last_fired,
        "window_fired": state.window_fired,
        "window_inputs": state.window_inputs,
        "densities": state.densities,
        "input_scale": state.input_scale,
        "params": state.params.len(),
    })
    .to_string();
    let mut out = Vec::with_capacity(12 + header.len() + state.params.len() * 12);
    out.extend_from_slice(b"POLYSAE1");
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in [&state.params, &state.adam_m, &state.adam_v] {
        for x in v {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    write_atomic(path, &out)
}

pub fn load_state(path: &Path) -> Result<(SaeConfig, SaeState), Error> {
    let bytes = read(path)?;
    let bad = |m: &str| Error::Run(format!("{}: {m}", path.display()));
    if bytes.len() < 12 || &bytes[..8] != b"POLYSAE1" {
        return Err(bad("not a dictionary state file"));
    }
    let hl = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes")) as usize;
    let header: serde_json::Value = bytes
        .get(12..12 + hl)
        .and_then(|h| serde_json::from_slice(h).ok())
        .ok_or_else(|| bad("header unreadable"))?;
    let cfg: SaeConfig =
        serde_json::from_value(header["config"].clone()).map_err(|e| bad(&e.to_string()))?;
    let n = header["params"]
        .as_u64()
        .ok_or_else(|| bad("no parameter count"))? as usize;
    let body = &bytes[12 + hl..];
    if body.len() != n * 12 {
        return Err(bad("truncated"));
    }
    let floats: Vec<f32> = body
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect();
    let field = |name: &str| header[name].clone();
    let state = SaeState {
        step: header["step"].as_u64().unwrap_or(0) as u32,
        params: floats[..n].to_vec(),
        adam_m: floats[n..2 * n].to_vec(),
        adam_v: floats[2 * n..].to_vec(),
        last_fired: serde_json::from_value(field("last_fired")).map_err(|e| bad(&e.to_string()))?,
        window_fired: serde_json::from_value(field("window_fired"))
            .map_err(|e| bad(&e.to_string()))?,
        window_inputs: header["window_inputs"].as_u64().unwrap_or(0),
        densities: serde_json::from_value(field("densities")).unwrap_or_default(),
        input_scale: header["input_scale"].as_f64().unwrap_or(1.0) as f32,
    };
    Ok((cfg, state))
}

pub fn config_for(args: &Args, d_in: u32) -> Result<SaeConfig, Error> {
    let variant = Variant::from_name(&args.variant).ok_or_else(|| {
        Error::Usage(format!(
            "--variant {:?}: expected l1-2023, l1-2024, topk or jumprelu",
            args.variant
        ))
    })?;
    let mut cfg = SaeConfig::recommended(variant, d_in, args.d_sae, args.steps);
    cfg.k = args.k;
    cfg.batch = args.batch;
    cfg.seed = args.seed;
    if let Some(l1) = args.l1 {
        cfg.sparsity_coefficient = l1;
    }
    if let Some(lr) = args.lr {
        cfg.learning_rate = lr;
    }
    cfg.validate().map_err(|e| Error::Usage(e.to_string()))?;
    Ok(cfg)
}

pub fn run(args: &Args) -> Result<(), Error> {
    let path = acts_path(&args.work, &args.model);
    let bytes = read(&path).map_err(|e| e.hint("run `polytope dict activations` first"))?;
    let file = ActivationFile::parse(&bytes)
        .map_err(|e| Error::Run(format!("{}: {e}", path.display())))?;
    drop(bytes);
    let rows = file.count;
    let cfg = config_for(args, file.d_in as u32)?;
    let dir = sae_dir(&args.work, &args.model, args.d_sae);
    let state_path = dir.join("state.bin");
    let source = Box::new(FileSource::new(file, cfg.seed, path.display().to_string()));
    let mut resume = None;
    if !args.restart
        && let Ok((old_cfg, state)) = load_state(&state_path)
    {
        if old_cfg != cfg {
            return Err(Error::Usage(format!(
                "{} was written with other settings; use --restart",
                state_path.display()
            )));
        }
        eprintln!(
            "dictionary {}: resuming at step {}",
            sae_id(&args.model, args.d_sae),
            state.step
        );
        resume = Some(state);
    }
    let mut trainer = crate::backend::Trainer::resume(&args.backend, cfg.clone(), source, resume)?;
    let started = Instant::now();
    let first = trainer.step();
    let every = (cfg.steps / 20).max(1);
    let mut last = None;
    while trainer.step() < cfg.steps {
        let k = every.min(cfg.steps - trainer.step());
        let snap = trainer.advance(k)?;
        if let Some(s) = snap.stats.last() {
            if !s.loss.is_finite() {
                return Err(Error::Run(format!(
                    "dictionary diverged at step {} (loss {}); lower --lr",
                    s.step, s.loss
                )));
            }
            eprintln!(
                "sae {}: step {:>6}/{}  loss {:.5}  EV {:.3}  L0 {:.1}  dead {:.1} %  ({:.0} steps/s)",
                sae_id(&args.model, args.d_sae),
                s.step + 1,
                cfg.steps,
                s.loss,
                s.explained_variance,
                s.l0,
                100.0 * s.dead_fraction,
                f64::from(trainer.step() - first) / started.elapsed().as_secs_f64().max(1e-9)
            );
            last = Some(*s);
        }
        save_state(&state_path, &cfg, trainer.state())?;
    }
    let eval = trainer.evaluate(8);
    let seconds = started.elapsed().as_secs_f64();
    let report = serde_json::json!({
        "id": sae_id(&args.model, args.d_sae),
        "config": cfg,
        "backend": trainer.backend_name(),
        "activations": rows,
        "eval": eval,
        "last_step": last,
        "seconds_this_run": seconds,
        "steps_per_s": f64::from(cfg.steps - first) / seconds.max(1e-9),
    });
    write_atomic(
        &dir.join("report.json"),
        serde_json::to_string_pretty(&report)
            .unwrap_or_default()
            .as_bytes(),
    )?;
    println!(
        "dictionary {}: explained variance {:.3}, L0 {:.1}, dead {} of {} ({:.0} s)",
        sae_id(&args.model, args.d_sae),
        eval.explained_variance,
        eval.l0,
        eval.dead,
        cfg.d_sae,
        seconds
    );
    Ok(())
}
