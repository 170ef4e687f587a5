//! `polytope tms`: train a toy model of superposition headless.

use std::fmt::Write as _;
use std::path::PathBuf;

use polytope_core::tms::{RunReport, Snapshot, TmsSettings, TrainState};
use polytope_gpu::{AdapterPreference, TmsTrainer, request_context};
use polytope_plots::tms_figures;

use crate::Failure;
use crate::output::{csv_field, write};
use crate::settings_flags::SettingFlags;

#[derive(clap::Args)]
pub struct Args {
    /// The run's settings: the same names and formats as the /toy URL parameters.
    #[command(flatten)]
    settings: SettingFlags<TmsSettings>,
    /// Where to train.
    #[arg(long, value_parser = ["cpu", "gpu"], default_value = "cpu")]
    backend: String,
    /// Write report.json, instances.csv, loss.csv and every figure as SVG into this directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print one JSON object to stdout.
    #[arg(long)]
    json: bool,
}

impl Args {
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        self.settings.pairs_with(&[("preset", "intro")])
    }
}

/// Reads the flags into settings; any bad value is a usage error.
pub fn settings_from_flags(pairs: &[(&str, &str)]) -> Result<TmsSettings, Failure> {
    let (settings, errors) = TmsSettings::from_pairs(pairs.iter().copied());
    if errors.is_empty() {
        Ok(settings)
    } else {
        let lines: Vec<String> = errors.iter().map(|e| format!("--{e}")).collect();
        Err(Failure::Usage(lines.join("\n       ")))
    }
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let settings = settings_from_flags(&args.pairs())?;
    let cfg = settings.to_config();
    let ctx = if args.backend == "gpu" {
        Some(
            pollster::block_on(request_context(AdapterPreference::HighPerformance))
                .map_err(|e| Failure::Run(e.to_string()))?,
        )
    } else {
        None
    };
    let backend_name = ctx.as_ref().map_or_else(
        || "cpu".to_owned(),
        |c| format!("gpu ({}, {})", c.adapter.name, c.adapter.backend),
    );
    crate::check_cpu_memory(&cfg)?;
    let mut trainer = TmsTrainer::new(ctx.as_ref(), cfg.clone(), TrainState::initial(&cfg))
        .map_err(|e| Failure::Run(e.to_string()))?;
    let started = std::time::Instant::now();
    let total = cfg.steps;
    let mut losses = Vec::with_capacity(total as usize * cfg.instance_count());
    let mut snapshot: Option<Snapshot> = None;
    let report_every = (total / 10).max(1);
    while trainer.step() < total {
        let k = report_every.min(total - trainer.step());
        let snap = pollster::block_on(trainer.run_to_completion(k))
            .map_err(|e| Failure::Run(e.to_string()))?;
        losses.extend_from_slice(&snap.losses);
        if !args.json {
            let last = snap.last_losses(cfg.instance_count());
            let mean = last.iter().sum::<f32>() / last.len().max(1) as f32;
            eprintln!(
                "step {:>7}/{total}  mean loss {mean:.6}  ({:.1} s)",
                snap.state.step,
                started.elapsed().as_secs_f64()
            );
        }
        snapshot = Some(snap);
    }
    let snapshot = snapshot.expect("at least one step");
    let report = RunReport::new(
        &cfg,
        settings.preset.as_deref(),
        &backend_name,
        &snapshot.state,
        snapshot.last_losses(cfg.instance_count()),
    );
    let json = serde_json::to_string(&report).map_err(|e| Failure::Run(e.to_string()))?;
    if let Some(dir) = &args.out {
        write(dir, "report.json", &json)?;
        write(dir, "instances.csv", &instances_csv(&report))?;
        write(dir, "loss.csv", &loss_csv(&losses, cfg.instance_count()))?;
        let figures = tms_figures(&report, cfg.model, &losses);
        for figure in &figures {
            let (w, h) = figure.size;
            write(dir, &format!("{}.svg", figure.name), &figure.spec.svg(w, h))?;
        }
        if !args.json {
            eprintln!(
                "wrote report.json, instances.csv, loss.csv and {} SVG figures to {}",
                figures.len(),
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

fn instances_csv(report: &RunReport) -> String {
    let mut out = String::from(
        "instance,feature,feature_probability,importance,norm,superposition,dimensionality,bias,dims_per_feature,loss\n",
    );
    for (i, inst) in report.instances.iter().enumerate() {
        for j in 0..report.n_features as usize {
            let _ = writeln!(
                out,
                "{i},{j},{},{},{},{},{},{},{},{}",
                inst.feature_probability[j],
                inst.importance[j],
                inst.norms[j],
                inst.superposition[j],
                inst.dimensionality[j],
                inst.b[j],
                inst.dims_per_feature,
                inst.loss.map_or_else(String::new, |l| l.to_string()),
            );
        }
    }
    out
}

fn loss_csv(losses: &[f32], instances: usize) -> String {
    let mut out = String::from("step,instance,loss\n");
    for (row, chunk) in losses.chunks(instances).enumerate() {
        for (i, l) in chunk.iter().enumerate() {
            let _ = writeln!(out, "{row},{i},{l}");
        }
    }
    out
}

fn print_summary(report: &RunReport) {
    println!(
        "{} · {} · {} -> {} · {} steps · seed {} · {}",
        csv_field(report.preset.as_deref().unwrap_or("custom")),
        report.model,
        report.n_features,
        report.n_hidden,
        report.steps,
        report.seed,
        report.backend
    );
    println!(
        "{:>9} {:>10} {:>8} {:>12}  D_i",
        "density", "loss", "D*", "represented"
    );
    for inst in &report.instances {
        let represented = inst.norms.iter().filter(|n| **n > 0.5).count();
        let dims: Vec<String> = inst
            .dimensionality
            .iter()
            .take(10)
            .map(|d| format!("{d:.2}"))
            .collect();
        println!(
            "{:>9.4} {:>10.6} {:>8.3} {:>8}/{:<3}  {}{}",
            inst.feature_probability
                .iter()
                .copied()
                .fold(f32::INFINITY, f32::min),
            inst.loss.unwrap_or(f32::NAN),
            inst.dims_per_feature,
            represented,
            report.n_features,
            dims.join(" "),
            if inst.dimensionality.len() > 10 {
                " …"
            } else {
                ""
            }
        );
    }
}
