//! `polytope phase`: a phase diagram computed headless.

use std::path::PathBuf;

use plotters::prelude::*;
use polytope_core::tms::{PhaseCell, PhaseSettings, PhaseSpec, TrainState};
use polytope_gpu::{AdapterPreference, TmsTrainer, request_context};
use polytope_plots::{PhaseDiagram, PlotText, Theme};
use serde::Serialize;

use crate::Failure;
use crate::output::write;
use crate::settings_flags::SettingFlags;

#[derive(clap::Args)]
pub struct Args {
    /// The grid's settings: the same names as the /phase URL parameters.
    #[command(flatten)]
    settings: SettingFlags<PhaseSettings>,
    #[arg(long, value_parser = ["cpu", "gpu"], default_value = "cpu")]
    backend: String,
    /// Print one JSON object to stdout.
    #[arg(long)]
    json: bool,
    /// Write phase.json and phase.svg into this directory.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Serialize)]
struct Report<'a> {
    n: u32,
    m: u32,
    resolution: u32,
    models: u32,
    steps: u32,
    seed: u32,
    lr: f64,
    batch: u32,
    backend: &'a str,
    cells: Vec<PhaseCell>,
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let (spec, errors) = PhaseSettings::from_pairs(args.settings.pairs());
    if !errors.is_empty() {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| format!("--{} {:?}: {}", e.name.replace('_', "-"), e.value, e.reason))
            .collect();
        return Err(Failure::Usage(lines.join("\n       ")));
    }
    let cfg = spec.config();
    let ctx = if args.backend == "gpu" {
        Some(
            pollster::block_on(request_context(AdapterPreference::HighPerformance))
                .map_err(|e| Failure::Run(e.to_string()))?,
        )
    } else {
        None
    };
    crate::check_cpu_memory(&cfg)?;
    let mut trainer = TmsTrainer::new(ctx.as_ref(), cfg.clone(), TrainState::initial(&cfg))
        .map_err(|e| Failure::Run(e.to_string()))?;
    let started = std::time::Instant::now();
    let snap = pollster::block_on(trainer.run_to_completion(spec.steps))
        .map_err(|e| Failure::Run(e.to_string()))?;
    let losses = snap.last_losses(cfg.instance_count());
    let mut cells = Vec::new();
    for row in 0..spec.resolution {
        for col in 0..spec.resolution {
            cells.push(spec.cell(row, col, &snap.state.params, losses));
        }
    }
    if !args.json {
        eprintln!(
            "trained {} models ({}x{} cells x {}) for {} steps in {:.1} s",
            cfg.instance_count(),
            spec.resolution,
            spec.resolution,
            spec.models,
            spec.steps,
            started.elapsed().as_secs_f64()
        );
    }
    let backend = if ctx.is_some() { "gpu" } else { "cpu" };
    let report = Report {
        n: spec.n,
        m: spec.m,
        resolution: spec.resolution,
        models: spec.models,
        steps: spec.steps,
        seed: spec.seed,
        lr: spec.learning_rate,
        batch: spec.batch,
        backend,
        cells,
    };
    let json = serde_json::to_string(&report).map_err(|e| Failure::Run(e.to_string()))?;
    if let Some(dir) = &args.out {
        write(dir, "phase.json", &json)?;
        let diagram =
            PhaseDiagram::from_spec(&spec, report.cells.iter().map(|c| Some(c.regime)).collect());
        let mut svg = String::new();
        {
            let root =
                plotters_svg::SVGBackend::with_string(&mut svg, (720, 640)).into_drawing_area();
            polytope_plots::phase_diagram(
                &polytope_plots::Canvas {
                    area: &root,
                    theme: &Theme::default(),
                    text: &PlotText::default(),
                },
                &diagram,
            )
            .map_err(|e| Failure::Run(format!("drawing the phase diagram: {e}")))?;
            root.present().map_err(|e| Failure::Run(e.to_string()))?;
        }
        write(dir, "phase.svg", &svg)?;
        if !args.json {
            eprintln!("wrote phase.json and phase.svg to {}", dir.display());
        }
    }
    if args.json {
        println!("{json}");
    } else {
        print_grid(&spec, &report.cells);
    }
    Ok(())
}

fn print_grid(spec: &PhaseSpec, cells: &[PhaseCell]) {
    println!(
        "rows: density from {} (top) to {}; columns: relative importance {} .. {}",
        spec.density_max, spec.density_min, spec.importance_min, spec.importance_max
    );
    println!("legend: . not learned, D dedicated, S superposition, ? other");
    for row in cells.chunks(spec.resolution as usize) {
        let line: String = row
            .iter()
            .map(|c| match c.regime {
                polytope_core::tms::Regime::NotLearned => '.',
                polytope_core::tms::Regime::Dedicated => 'D',
                polytope_core::tms::Regime::Superposition => 'S',
                polytope_core::tms::Regime::Other => '?',
            })
            .collect();
        println!("{:>8.4} {line}", row[0].density);
    }
}
