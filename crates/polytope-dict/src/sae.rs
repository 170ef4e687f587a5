//! `polytope dict train-sae`: trains one dictionary on a model's activation file, on the CPU or
//! the GPU, with checkpoints that resume.

use std::path::{Path, PathBuf};
use std::time::Instant;

use polytope_core::sae::{FileSource, SaeConfig, SaeState, Variant};

use crate::Error;
use crate::activations::{acts_path, read_activations};
use crate::limits::{bound, bound_f64, fits, sae_bytes};
use crate::seal::{open, seal};
use crate::work::{exists, note_upgrade, read, write_atomic};

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

/// The kind of a sealed dictionary state (`seal`): the payload is `POLYSAE1`, a JSON header
/// (config, step, firing statistics), then params, Adam's m and v as f32 LE.
const STATE_KIND: &[u8; 8] = b"POLYSAE1";
const RESTART: &str = "pass --restart to start over";

/// A trained (or partly trained) dictionary on disk: its config, then its state, sealed.
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
    out.extend_from_slice(STATE_KIND);
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in [&state.params, &state.adam_m, &state.adam_v] {
        for x in v {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    write_atomic(path, &seal(STATE_KIND, &out))
}

/// Reads a dictionary state written by [`save_state`]. A damaged or truncated file is refused
/// naming its path; one written before checksums is accepted and rewritten sealed.
pub fn load_state(path: &Path) -> Result<(SaeConfig, SaeState), Error> {
    let opened = open(path, STATE_KIND, read(path)?, RESTART)?;
    let (cfg, state) = parse_state(opened.payload()).map_err(|reason| Error::Damaged {
        path: path.to_path_buf(),
        reason,
        fix: RESTART.into(),
    })?;
    if opened.legacy {
        save_state(path, &cfg, &state)?;
        note_upgrade(path);
    }
    Ok((cfg, state))
}

/// The payload of a state file (`POLYSAE1`...), every length checked before it is used.
fn parse_state(bytes: &[u8]) -> Result<(SaeConfig, SaeState), String> {
    if bytes.len() < 12 || &bytes[..8] != STATE_KIND {
        return Err("not a dictionary state file".into());
    }
    let hl = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
    let header: serde_json::Value = bytes
        .get(12..12usize.saturating_add(hl))
        .and_then(|h| serde_json::from_slice(h).ok())
        .ok_or("header unreadable")?;
    let cfg: SaeConfig =
        serde_json::from_value(header["config"].clone()).map_err(|e| e.to_string())?;
    let n = usize::try_from(header["params"].as_u64().ok_or("no parameter count")?)
        .map_err(|e| e.to_string())?;
    let body = &bytes[12 + hl..];
    if Some(body.len()) != n.checked_mul(12) {
        return Err(format!(
            "truncated: {} bytes of parameters, {n} parameters need {}",
            body.len(),
            n.saturating_mul(12)
        ));
    }
    let floats: Vec<f32> = body
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let field = |name: &str| header[name].clone();
    let state = SaeState {
        step: header["step"].as_u64().unwrap_or(0) as u32,
        params: floats[..n].to_vec(),
        adam_m: floats[n..2 * n].to_vec(),
        adam_v: floats[2 * n..].to_vec(),
        last_fired: serde_json::from_value(field("last_fired")).map_err(|e| e.to_string())?,
        window_fired: serde_json::from_value(field("window_fired")).map_err(|e| e.to_string())?,
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

impl Args {
    /// The options' bounds (those of `SaeConfig::validate`), checked before the activation
    /// file is read.
    pub fn validate(&self) -> Result<(), Error> {
        if Variant::from_name(&self.variant).is_none() {
            return Err(Error::Usage(format!(
                "--variant {:?}: expected l1-2023, l1-2024, topk or jumprelu",
                self.variant
            )));
        }
        bound("--d-sae", self.d_sae, 1, 131_072)?;
        bound("--k", self.k, 1, self.d_sae)?;
        bound("--batch", self.batch, 1, 65_536)?;
        bound("--steps", self.steps, 1, 100_000_000)?;
        if let Some(l1) = self.l1 {
            bound_f64("--l1", f64::from(l1), 0.0, 1e3)?;
        }
        if let Some(lr) = self.lr {
            bound_f64("--lr", lr, 1e-8, 1.0)?;
        }
        Ok(())
    }
}

pub fn run(args: &Args) -> Result<(), Error> {
    args.validate()?;
    let path = acts_path(&args.work, &args.model);
    // The file is read whole: its bytes and its rows as f32.
    let len = std::fs::metadata(&path)
        .map_err(|e| Error::io("read", &path, e).hint("run `polytope dict activations` first"))?
        .len();
    fits(
        &format!("reading {}", path.display()),
        len.saturating_mul(3),
        "sample fewer activations",
    )?;
    let file = read_activations(&path)?;
    let rows = file.count;
    let cfg = config_for(args, file.d_in as u32)?;
    fits(
        "this dictionary's training",
        sae_bytes(&cfg),
        "choose a smaller --d-sae or --batch",
    )?;
    let dir = sae_dir(&args.work, &args.model, args.d_sae);
    let state_path = dir.join("state.bin");
    let source = Box::new(FileSource::new(file, cfg.seed, path.display().to_string()));
    let mut resume = None;
    // Only a missing state starts afresh; a damaged one is refused (see `load_state`).
    if !args.restart && exists(&state_path)? {
        let (old_cfg, state) = load_state(&state_path)?;
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

#[cfg(test)]
mod tests {
    use polytope_core::sae::{SaeTrainer, SyntheticSource, SyntheticSpec};

    use super::*;
    use crate::seal::{HEADER_LEN, MAGIC};
    use crate::testutil::scratch;

    fn state() -> (SaeConfig, SaeState) {
        let cfg = SaeConfig::recommended(Variant::TopK, 8, 16, 20);
        let source = Box::new(SyntheticSource::new(SyntheticSpec::default_for(8, 12)));
        let mut t = SaeTrainer::new(cfg.clone(), source).expect("trainer");
        t.run_steps(3).expect("steps");
        (cfg, t.state().clone())
    }

    #[test]
    fn a_legacy_state_is_accepted_once_and_rewritten_with_a_checksum() {
        let dir = scratch("legacy-state");
        let path = dir.join("state.bin");
        let (cfg, st) = state();
        save_state(&path, &cfg, &st).expect("saved");
        let sealed = read(&path).unwrap();
        assert!(sealed.starts_with(MAGIC));
        // The file as the pipeline wrote it before checksums: the bare payload.
        std::fs::write(&path, &sealed[HEADER_LEN..]).unwrap();
        let (cfg2, st2) = load_state(&path).expect("legacy accepted");
        assert_eq!((cfg2, st2.params, st2.step), (cfg, st.params, st.step));
        assert_eq!(read(&path).unwrap(), sealed, "rewritten sealed, same state");
    }

    #[test]
    fn a_truncated_or_damaged_state_is_refused_naming_its_path() {
        let dir = scratch("damaged-state");
        let path = dir.join("state.bin");
        let (cfg, st) = state();
        save_state(&path, &cfg, &st).expect("saved");
        let bytes = read(&path).unwrap();
        for (damaged, needle) in [
            (bytes[..bytes.len() - 4].to_vec(), "truncated"),
            (bytes[HEADER_LEN..bytes.len() - 4].to_vec(), "truncated"),
            (
                {
                    let mut b = bytes.clone();
                    b[bytes.len() - 9] ^= 0x40;
                    b
                },
                "checksum",
            ),
        ] {
            std::fs::write(&path, &damaged).unwrap();
            let msg = load_state(&path).expect_err("refused").to_string();
            assert!(
                msg.contains(&path.display().to_string()) && msg.contains(needle),
                "{msg}"
            );
        }
    }
}
