//! `polytope sae`: train a sparse autoencoder headless and report how well it recovered the
//! features behind the data.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use polytope_core::sae::{
    ActivationFile, ActivationSource, FileSource, SaeReport, SaeSettings, SourceKind, StepStats,
};

use crate::Failure;
use crate::output::write;

#[derive(clap::Args)]
pub struct Args {
    /// synthetic, toy, or the path of an activation file (docs/activation-format.md).
    #[arg(long, default_value = "synthetic")]
    source: String,
    /// l1-2023, l1-2024, topk or jumprelu.
    #[arg(long, default_value = "topk")]
    variant: String,
    /// Input dimensions (synthetic and toy sources; a file has its own).
    #[arg(long = "d-in")]
    d_in: Option<String>,
    /// True features behind synthetic or toy data.
    #[arg(long)]
    features: Option<String>,
    /// Feature density of the toy model's data.
    #[arg(long)]
    density: Option<String>,
    /// Dictionary size (latents).
    #[arg(long = "d-sae")]
    d_sae: Option<String>,
    /// Active latents per input (topk).
    #[arg(long)]
    k: Option<String>,
    /// Sparsity coefficient: the L1 weight (the L0 weight for jumprelu); default: the
    /// variant's recommended value.
    #[arg(long)]
    l1: Option<String>,
    /// Learning rate; default: the variant's recommended value.
    #[arg(long)]
    lr: Option<String>,
    #[arg(long)]
    batch: Option<String>,
    #[arg(long)]
    steps: Option<String>,
    #[arg(long)]
    seed: Option<String>,
    /// Where to train.
    #[arg(long, value_parser = ["cpu", "gpu"], default_value = "cpu")]
    backend: String,
    /// Write report.json, training.csv (per-step numbers) and decoder.csv into this directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print one JSON object to stdout.
    #[arg(long)]
    json: bool,
}

impl Args {
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        let mut pairs = vec![
            ("source", self.source.as_str()),
            ("variant", self.variant.as_str()),
        ];
        let optional = [
            ("d_in", &self.d_in),
            ("features", &self.features),
            ("density", &self.density),
            ("d_sae", &self.d_sae),
            ("k", &self.k),
            ("l1", &self.l1),
            ("lr", &self.lr),
            ("batch", &self.batch),
            ("steps", &self.steps),
            ("seed", &self.seed),
        ];
        for (name, value) in optional {
            if let Some(v) = value {
                pairs.push((name, v.as_str()));
            }
        }
        pairs
    }
}

/// Flag names as the CLI writes them.
fn flag(name: &str) -> String {
    format!("--{}", name.replace('_', "-"))
}

pub fn settings_from_flags(pairs: &[(&str, &str)]) -> Result<SaeSettings, Failure> {
    let (settings, errors) = SaeSettings::from_pairs(pairs.iter().copied(), true);
    if errors.is_empty() {
        Ok(settings)
    } else {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| format!("{} {:?}: {}", flag(&e.name), e.value, e.reason))
            .collect();
        Err(Failure::Usage(lines.join("\n       ")))
    }
}

/// Opens the data source; a file that cannot be read or decoded is a usage error.
pub fn open_source(settings: &SaeSettings) -> Result<Box<dyn ActivationSource>, Failure> {
    match &settings.source {
        SourceKind::File(path) => {
            let bytes = std::fs::read(Path::new(path))
                .map_err(|e| Failure::Usage(format!("--source {path}: cannot read: {e}")))?;
            let file = ActivationFile::parse(&bytes)
                .map_err(|e| Failure::Usage(format!("--source {path}: {e}")))?;
            Ok(Box::new(FileSource::new(file, settings.seed, path.clone())))
        }
        _ => settings.build_source().map_err(Failure::Run),
    }
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let settings = settings_from_flags(&args.pairs())?;
    if matches!(settings.source, SourceKind::File(_)) && args.d_in.is_some() {
        return Err(Failure::Usage(
            "--d-in: an activation file sets its own dimensions".into(),
        ));
    }
    let source = open_source(&settings)?;
    let description = source.describe();
    let cfg = settings.to_config(source.d_in() as u32);
    let mut trainer = crate::sae_backend::Trainer::new(&args.backend, cfg.clone(), source)?;
    let started = Instant::now();
    let total = cfg.steps;
    let mut stats: Vec<StepStats> = Vec::with_capacity(total as usize);
    let mut resamples = Vec::new();
    let report_every = (total / 10).max(1);
    while trainer.step() < total {
        let k = report_every.min(total - trainer.step());
        let snap = trainer.advance(k)?;
        if !args.json
            && let Some(last) = snap.stats.last()
        {
            eprintln!(
                "step {:>7}/{total}  loss {:.5}  explained variance {:.3}  L0 {:.2}  dead {:.1} %  ({:.1} s)",
                last.step + 1,
                last.loss,
                last.explained_variance,
                last.l0,
                100.0 * last.dead_fraction,
                started.elapsed().as_secs_f64()
            );
        }
        stats.extend_from_slice(&snap.stats);
        resamples.extend_from_slice(&snap.resamples);
    }
    let eval = trainer.evaluate(8);
    let report = SaeReport::new(
        &cfg,
        &description,
        trainer.backend_name(),
        total,
        &eval,
        resamples,
    );
    let json = serde_json::to_string(&report).map_err(|e| Failure::Run(e.to_string()))?;
    if let Some(dir) = &args.out {
        write(dir, "report.json", &json)?;
        write(dir, "training.csv", &training_csv(&stats))?;
        let state = trainer.state();
        let l = polytope_core::sae::Layout::new(&cfg);
        write(
            dir,
            "decoder.csv",
            &matrix_csv(&state.params[l.w_dec..l.b_dec], cfg.n()),
        )?;
        if !args.json {
            eprintln!(
                "wrote report.json, training.csv and decoder.csv to {}",
                dir.display()
            );
        }
    }
    if args.json {
        println!("{json}");
    } else {
        print_summary(&report);
    }
    Ok(())
}

fn training_csv(stats: &[StepStats]) -> String {
    let mut out = String::from(
        "step,loss,reconstruction,sparsity,auxiliary,mse,explained_variance,l0,l1,dead_fraction\n",
    );
    for s in stats {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{}",
            s.step,
            s.loss,
            s.recon,
            s.sparsity,
            s.aux,
            s.mse,
            s.explained_variance,
            s.l0,
            s.l1,
            s.dead_fraction
        );
    }
    out
}

/// One latent's decoder direction per row.
fn matrix_csv(values: &[f32], cols: usize) -> String {
    let mut out = String::new();
    for row in values.chunks(cols) {
        let cells: Vec<String> = row.iter().map(ToString::to_string).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

fn print_summary(r: &SaeReport) {
    println!(
        "{} · {} -> {} latents · {} steps · seed {} · {}",
        r.variant, r.d_in, r.d_sae, r.steps, r.seed, r.backend
    );
    println!("data: {}", r.source);
    println!(
        "explained variance {:.4}  MSE {:.3e}  L0 {:.2}  L1 {:.3}  dead {:.1} %",
        r.explained_variance,
        r.mse,
        r.l0,
        r.l1,
        100.0 * r.dead_fraction
    );
    if let (Some(a), Some(b)) = (r.mmcs, r.mmcs_reverse) {
        println!("MMCS true -> learned {a:.4}   learned -> true {b:.4}");
    }
    if !r.resamples.is_empty() {
        let events: Vec<String> = r
            .resamples
            .iter()
            .map(|(step, n)| format!("{n} at step {step}"))
            .collect();
        println!("resampled: {}", events.join(", "));
    }
    let counts = &r.density_histogram.counts;
    let max = counts.iter().copied().max().unwrap_or(1).max(1);
    println!(
        "feature density (log10), dead: {}",
        r.density_histogram.dead
    );
    for (edge, c) in r.density_histogram.log10_lower_edges.iter().zip(counts) {
        if *c > 0 {
            println!(
                "  {edge:>6.2} {:<40} {c}",
                "#".repeat((*c as usize * 40).div_ceil(max as usize))
            );
        }
    }
}
