//! `polytope sae`: train a sparse autoencoder headless and report how well it recovered the
//! features behind the data.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use polytope_core::dict::{DataIndex, DictManifest, FileRef, SaeWeights};
use polytope_core::lm::sample::{
    LAB_MODEL, SampleSpec, closest_dictionary, describe, mmcs_both, sample_activations,
    shipped_directions,
};
use polytope_core::lm::tokenizer::Tokenizer;
use polytope_core::sae::{
    ActivationFile, ActivationSource, FileSource, SaeReport, SaeSettings, SourceKind, StepStats,
    normalized_rows,
};

use crate::Failure;
use crate::output::write;
use crate::settings_flags::SettingFlags;

#[derive(clap::Args)]
pub struct Args {
    /// The run's settings: the same names as the /sae URL parameters (`d_sae` is `--d-sae`);
    /// `--source` may also name an activation file (docs/activation-format.md).
    #[command(flatten)]
    settings: SettingFlags<SaeSettings>,
    /// Where to train.
    #[arg(long, value_parser = ["cpu", "gpu"], default_value = "cpu")]
    backend: String,
    /// Write report.json, training.csv (per-step numbers) and decoder.csv into this directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print one JSON object to stdout.
    #[arg(long)]
    json: bool,
    /// The data directory the `lm` source reads (index.json, the model, the tokenizer and the
    /// text sample) and whose dictionary the result is compared with.
    #[arg(long, default_value = "public/data")]
    data: PathBuf,
}

impl Args {
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        self.settings
            .pairs_with(&[("source", "synthetic"), ("variant", "topk")])
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

/// The shipped data the `lm` source reads, checked against `index.json`.
struct ShippedData {
    dir: PathBuf,
    index: DataIndex,
}

impl ShippedData {
    fn open(dir: &Path) -> Result<Self, Failure> {
        let index = DataIndex::from_json(&read_data(dir, "index.json")?)
            .map_err(|e| lm_usage(dir, &format!("index.json: {e}")))?;
        Ok(Self {
            dir: dir.to_owned(),
            index,
        })
    }

    /// A referenced file (`path` under the data directory), size and checksum checked.
    fn get(&self, path: &str, file: &FileRef) -> Result<Vec<u8>, Failure> {
        let bytes = read_data(&self.dir, path)?;
        let named = FileRef {
            path: path.to_owned(),
            ..file.clone()
        };
        named
            .check(&bytes)
            .map_err(|e| lm_usage(&self.dir, &e.to_string()))?;
        Ok(bytes)
    }

    /// Samples model A's MLP activations from the text sample, as the browser does.
    fn activations(&self) -> Result<ActivationFile, Failure> {
        let dir = &self.dir;
        let tok_bytes = self.get(&self.index.tokenizer.path, &self.index.tokenizer)?;
        let tokenizer = std::str::from_utf8(&tok_bytes)
            .map_err(|_| lm_usage(dir, "tokenizer.json is not UTF-8"))
            .and_then(|t| Tokenizer::from_json(t).map_err(|e| lm_usage(dir, &e.to_string())))?;
        let sample = self.get(&self.index.text_sample.path, &self.index.text_sample)?;
        let text = String::from_utf8_lossy(&sample);
        let entry = self
            .index
            .model(LAB_MODEL)
            .ok_or_else(|| lm_usage(dir, &format!("index.json lists no model {LAB_MODEL}")))?;
        let model_bytes = self.get(&entry.file.path, &entry.file)?;
        let (model, _) = polytope_core::lm::file::from_bytes(&model_bytes)
            .map_err(|e| lm_usage(dir, &format!("{}: {e}", entry.file.path)))?;
        let tokens = tokenizer.encode(&text);
        sample_activations(&model, LAB_MODEL, tokens, SampleSpec::default())
            .map_err(|e| lm_usage(dir, &e))
    }

    /// The shipped dictionary closest in size to `d_sae` and its unit decoder rows.
    fn shipped(&self, d_sae: u32) -> Result<(String, Vec<f32>), Failure> {
        let entry = closest_dictionary(&self.index, LAB_MODEL, d_sae).ok_or_else(|| {
            lm_usage(
                &self.dir,
                &format!("index.json lists no dictionary of model {LAB_MODEL}"),
            )
        })?;
        let manifest = DictManifest::from_json(&read_data(&self.dir, &entry.manifest)?)
            .map_err(|e| lm_usage(&self.dir, &format!("{}: {e}", entry.manifest)))?;
        let file = manifest
            .weights
            .clone()
            .ok_or_else(|| lm_usage(&self.dir, &format!("{} ships no weights.bin", entry.id)))?;
        let base = Path::new(&entry.manifest)
            .parent()
            .and_then(Path::to_str)
            .unwrap_or("");
        let path = if base.is_empty() {
            file.path.clone()
        } else {
            format!("{base}/{}", file.path)
        };
        let w = SaeWeights::from_bytes(&self.get(&path, &file)?)
            .map_err(|e| lm_usage(&self.dir, &format!("{path}: {e}")))?;
        Ok((entry.id.clone(), shipped_directions(&w)))
    }
}

fn lm_usage(dir: &Path, detail: &str) -> Failure {
    Failure::Usage(format!(
        "--source lm reads the shipped data in {} ({detail}); run from the repository root, \
         pass --data DIR, or train on an activation file made by `polytope dict activations`",
        dir.display()
    ))
}

fn read_data(dir: &Path, rel: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(dir.join(rel)).map_err(|e| lm_usage(dir, &format!("{rel}: {e}")))
}

/// Opens the data source; a file that cannot be read or decoded is a usage error (`data`: the
/// shipped data, for the `lm` source).
fn open_source(
    settings: &SaeSettings,
    data: Option<&ShippedData>,
) -> Result<Box<dyn ActivationSource>, Failure> {
    match &settings.source {
        SourceKind::Lm => {
            let Some(data) = data else {
                return Err(Failure::Usage(
                    "--source lm needs the shipped data directory (--data)".into(),
                ));
            };
            let file = data.activations()?;
            let description = describe(&file, LAB_MODEL);
            Ok(Box::new(
                FileSource::new(file, settings.seed, "lm").with_description(description),
            ))
        }
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
    if matches!(settings.source, SourceKind::File(_))
        && args.settings.pairs().iter().any(|(k, _)| *k == "d_in")
    {
        return Err(Failure::Usage(
            "--d-in: an activation file sets its own dimensions".into(),
        ));
    }
    let data = if settings.source == SourceKind::Lm {
        if args.settings.pairs().iter().any(|(k, _)| *k == "d_in") {
            return Err(Failure::Usage(
                "--d-in: the language model sets its own dimensions (512 MLP neurons)".into(),
            ));
        }
        Some(ShippedData::open(&args.data)?)
    } else {
        None
    };
    let sampled = Instant::now();
    let source = open_source(&settings, data.as_ref())?;
    let description = source.describe();
    if data.is_some() && !args.json {
        eprintln!("{description} ({:.1} s)", sampled.elapsed().as_secs_f64());
    }
    let cfg = settings.to_config(source.d_in() as u32);
    let mut trainer = polytope_dict::backend::Trainer::new(&args.backend, cfg.clone(), source)?;
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
    // The `lm` source has no ground truth: compare with the shipped dictionary instead.
    let shipped = match &data {
        Some(data) => {
            let (id, rows) = data.shipped(cfg.d_sae)?;
            let l = polytope_core::sae::Layout::new(&cfg);
            let learned = normalized_rows(&trainer.state().params[l.w_dec..l.b_dec], cfg.n());
            let (fwd, rev) = mmcs_both(&learned, &rows, cfg.n());
            Some((id, fwd, rev))
        }
        None => None,
    };
    let mut value = serde_json::to_value(&report).map_err(|e| Failure::Run(e.to_string()))?;
    if let (Some((id, fwd, rev)), Some(obj)) = (&shipped, value.as_object_mut()) {
        obj.insert("shipped_dict".into(), serde_json::json!(id));
        obj.insert("mmcs_shipped".into(), serde_json::json!(fwd));
        obj.insert("mmcs_shipped_reverse".into(), serde_json::json!(rev));
    }
    let json = value.to_string();
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
        if let Some((id, fwd, rev)) = &shipped {
            println!("MMCS vs shipped {id}: {fwd:.4} (shipped -> this run {rev:.4})");
        }
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
