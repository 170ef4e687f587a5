//! `polytope bench tms`: toy-model training throughput on each backend, measured after a
//! warm-up, over enough steps to take about `--seconds` each. `tools/bench_torch.py` runs the
//! same configurations in PyTorch and prints both side by side.

use std::time::Instant;

use polytope_core::tms::{TmsConfig, TrainState, preset};
use polytope_gpu::{AdapterPreference, GpuContext, TmsTrainer, request_context};
use serde::Serialize;

use crate::Failure;

#[derive(clap::Subcommand)]
pub enum BenchCommand {
    /// Toy-model training: steps/s and instance-samples/s per preset and backend.
    Tms(TmsArgs),
}

#[derive(clap::Args)]
pub struct TmsArgs {
    /// cpu, gpu or all.
    #[arg(long, value_parser = ["cpu", "gpu", "all"], default_value = "all")]
    backend: String,
    /// Presets to measure, comma-separated.
    #[arg(long, default_value = "intro,sparsity-sweep,dims-per-feature")]
    presets: String,
    /// Target seconds of timed training per measurement.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Print JSON rows instead of a table.
    #[arg(long)]
    json: bool,
}

/// One measurement.
#[derive(Serialize)]
pub struct Row {
    pub preset: String,
    pub backend: String,
    pub adapter: String,
    pub instances: usize,
    pub n: u32,
    pub m: u32,
    pub batch: u32,
    pub steps: u32,
    pub seconds: f64,
    pub steps_per_second: f64,
    pub instance_samples_per_second: f64,
}

pub fn run(cmd: &BenchCommand) -> Result<(), Failure> {
    let BenchCommand::Tms(args) = cmd;
    let mut configs = Vec::new();
    for name in args.presets.split(',') {
        let p = preset(name.trim())
            .ok_or_else(|| Failure::Usage(format!("--presets: no preset {name:?}")))?;
        configs.push((p.name, p.config));
    }
    let gpu = if args.backend == "cpu" {
        None
    } else {
        Some(
            pollster::block_on(request_context(AdapterPreference::HighPerformance))
                .map_err(|e| Failure::Run(e.to_string()))?,
        )
    };
    let mut rows = Vec::new();
    for (name, cfg) in &configs {
        if args.backend != "gpu" {
            rows.push(measure(name, cfg, None, args.seconds)?);
        }
        if let Some(ctx) = &gpu {
            rows.push(measure(name, cfg, Some(ctx), args.seconds)?);
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        );
    } else {
        println!(
            "{:<18} {:<8} {:>9} {:>7} {:>6} {:>9} {:>11} {:>17}",
            "preset", "backend", "instances", "n->m", "batch", "steps", "steps/s", "inst-samples/s"
        );
        for r in &rows {
            println!(
                "{:<18} {:<8} {:>9} {:>7} {:>6} {:>9} {:>11.1} {:>17.3e}",
                r.preset,
                r.backend,
                r.instances,
                format!("{}->{}", r.n, r.m),
                r.batch,
                r.steps,
                r.steps_per_second,
                r.instance_samples_per_second
            );
        }
        if let Some(ctx) = &gpu {
            println!(
                "gpu adapter: {} ({}, {})",
                ctx.adapter.name, ctx.adapter.backend, ctx.adapter.device_type
            );
        }
        println!(
            "cpu threads: {}",
            std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
        );
    }
    Ok(())
}

fn measure(
    name: &str,
    cfg: &TmsConfig,
    ctx: Option<&GpuContext>,
    seconds: f64,
) -> Result<Row, Failure> {
    let fail = |e: polytope_core::tms::TrainError| Failure::Run(e.to_string());
    let mut trainer = TmsTrainer::new(ctx, cfg.clone(), TrainState::initial(cfg)).map_err(fail)?;
    // Warm-up: pipeline creation, first allocations, caches.
    pollster::block_on(trainer.run_to_completion(2)).map_err(fail)?;
    let t0 = Instant::now();
    pollster::block_on(trainer.run_to_completion(3)).map_err(fail)?;
    let per_step = t0.elapsed().as_secs_f64() / 3.0;
    let steps = ((seconds / per_step.max(1e-6)) as u32).clamp(3, 100_000);
    let t1 = Instant::now();
    pollster::block_on(trainer.run_to_completion(steps)).map_err(fail)?;
    let secs = t1.elapsed().as_secs_f64();
    let steps_per_second = f64::from(steps) / secs;
    Ok(Row {
        preset: name.to_owned(),
        backend: if ctx.is_some() { "gpu" } else { "cpu" }.to_owned(),
        adapter: ctx.map_or_else(|| "cpu".to_owned(), |c| c.adapter.name.clone()),
        instances: cfg.instance_count(),
        n: cfg.n_features,
        m: cfg.n_hidden,
        batch: cfg.batch_size,
        steps,
        seconds: secs,
        steps_per_second,
        instance_samples_per_second: steps_per_second
            * cfg.instance_count() as f64
            * f64::from(cfg.batch_size),
    })
}
