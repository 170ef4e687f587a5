//! `polytope bench tms` and `polytope bench sae`: training throughput on each backend, measured after a
//! warm-up, over enough steps to take about `--seconds` each. `tools/bench_torch.py` runs the
//! same configurations in PyTorch and prints both side by side.

use std::time::Instant;

use polytope_core::sae::{SaeConfig, SyntheticSource, SyntheticSpec, Variant};
use polytope_core::tms::{TmsConfig, TrainState, preset};
use polytope_gpu::{AdapterPreference, GpuContext, SaeBackendTrainer, TmsTrainer, request_context};
use serde::Serialize;

use crate::Failure;

#[derive(clap::Subcommand)]
pub enum BenchCommand {
    /// Toy-model training: steps/s and instance-samples/s per preset and backend.
    Tms(TmsArgs),
    /// SAE training: steps/s and samples/s per variant, size and backend (synthetic data).
    Sae(SaeArgs),
}

#[derive(clap::Args)]
pub struct SaeArgs {
    /// cpu, gpu or all.
    #[arg(long, value_parser = ["cpu", "gpu", "all"], default_value = "all")]
    backend: String,
    /// Variants to measure, comma-separated.
    #[arg(long, default_value = "l1-2023,l1-2024,topk,jumprelu")]
    variants: String,
    /// Sizes as D_INxD_SAE, comma-separated.
    #[arg(long, default_value = "32x256,128x1024")]
    sizes: String,
    #[arg(long, default_value_t = 256)]
    batch: u32,
    /// Target seconds of timed training per measurement.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Steps trained before timing: a fresh dictionary's code is dense for its first few
    /// hundred steps, a trained one's sparse (`tools/bench_torch_sae.py` warms up the same).
    #[arg(long, default_value_t = 0)]
    warmup_steps: u32,
    /// Print JSON rows instead of a table.
    #[arg(long)]
    json: bool,
}

/// One SAE measurement.
#[derive(Serialize)]
pub struct SaeRow {
    pub variant: String,
    pub backend: String,
    pub adapter: String,
    pub d_in: u32,
    pub d_sae: u32,
    pub batch: u32,
    pub steps: u32,
    pub seconds: f64,
    pub steps_per_second: f64,
    pub samples_per_second: f64,
    /// Steps trained before timing.
    pub warmup_steps: u32,
    /// Mean active latents per input over the timed steps.
    pub l0: f64,
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
    match cmd {
        BenchCommand::Tms(args) => run_tms(args),
        BenchCommand::Sae(args) => run_sae(args),
    }
}

fn gpu_for(backend: &str) -> Result<Option<GpuContext>, Failure> {
    if backend == "cpu" {
        return Ok(None);
    }
    pollster::block_on(request_context(AdapterPreference::HighPerformance))
        .map(Some)
        .map_err(|e| Failure::Run(e.to_string()))
}

fn run_sae(args: &SaeArgs) -> Result<(), Failure> {
    let mut variants = Vec::new();
    for name in args.variants.split(',') {
        variants.push(
            Variant::from_name(name.trim())
                .ok_or_else(|| Failure::Usage(format!("--variants: no variant {name:?}")))?,
        );
    }
    let mut sizes = Vec::new();
    for size in args.sizes.split(',') {
        let parsed = size
            .trim()
            .split_once('x')
            .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
            .filter(|(a, b)| (1..=4096).contains(a) && (1..=131_072).contains(b));
        sizes.push(parsed.ok_or_else(|| {
            Failure::Usage(format!(
                "--sizes: {size:?} is not D_INxD_SAE, e.g. 128x1024"
            ))
        })?);
    }
    let gpu = gpu_for(&args.backend)?;
    let mut rows = Vec::new();
    for (d_in, d_sae) in &sizes {
        for variant in &variants {
            let mut cfg = SaeConfig::recommended(*variant, *d_in, *d_sae, 1_000_000);
            cfg.batch = args.batch;
            if args.backend != "gpu" {
                rows.push(measure_sae(&cfg, None, args)?);
            }
            if let Some(ctx) = &gpu {
                rows.push(measure_sae(&cfg, Some(ctx), args)?);
            }
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        );
        return Ok(());
    }
    println!(
        "{:<9} {:<8} {:>10} {:>6} {:>7} {:>10} {:>13} {:>7}",
        "variant", "backend", "d_in->d_sae", "batch", "steps", "steps/s", "samples/s", "L0"
    );
    for r in &rows {
        println!(
            "{:<9} {:<8} {:>10} {:>6} {:>7} {:>10.2} {:>13.3e} {:>7.1}",
            r.variant,
            r.backend,
            format!("{}->{}", r.d_in, r.d_sae),
            r.batch,
            r.steps,
            r.steps_per_second,
            r.samples_per_second,
            r.l0
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
    Ok(())
}

/// Steps/s of `cfg` on synthetic data with `4 d_in` true features, after `--warmup-steps`
/// and a short warm-up; the time includes making the batches (on the host for both backends)
/// and, on the GPU, reading the state back once per measured run.
fn measure_sae(
    cfg: &SaeConfig,
    ctx: Option<&GpuContext>,
    args: &SaeArgs,
) -> Result<SaeRow, Failure> {
    let fail = |e: polytope_gpu::SaeBackendError| Failure::Run(e.to_string());
    let source = SyntheticSource::new(SyntheticSpec::default_for(cfg.d_in, 4 * cfg.d_in));
    let mut trainer = SaeBackendTrainer::new(cfg.clone(), Box::new(source), ctx).map_err(fail)?;
    let kind = trainer.backend();
    pollster::block_on(trainer.advance(args.warmup_steps)).map_err(fail)?;
    let mut l0 = 0.0;
    let (steps, secs) = timed(args.seconds, |k| {
        let snapshot = pollster::block_on(trainer.advance(k)).map_err(fail)?;
        let stats = &snapshot.stats;
        l0 = stats.iter().map(|s| f64::from(s.l0)).sum::<f64>() / stats.len().max(1) as f64;
        Ok(())
    })?;
    let steps_per_second = f64::from(steps) / secs;
    Ok(SaeRow {
        variant: cfg.variant.name().to_owned(),
        backend: kind.name().to_owned(),
        adapter: ctx.map_or_else(|| "cpu".to_owned(), |c| c.adapter.name.clone()),
        d_in: cfg.d_in,
        d_sae: cfg.d_sae,
        batch: cfg.batch,
        steps,
        seconds: secs,
        steps_per_second,
        samples_per_second: steps_per_second * f64::from(cfg.batch),
        warmup_steps: args.warmup_steps,
        l0,
    })
}

/// Warms up (pipeline creation, first allocations, caches: 2 steps), estimates a step's time
/// (3 steps), then times enough steps to take about `seconds`: `(steps, seconds taken)`.
fn timed(
    seconds: f64,
    mut advance: impl FnMut(u32) -> Result<(), Failure>,
) -> Result<(u32, f64), Failure> {
    advance(2)?;
    let t0 = Instant::now();
    advance(3)?;
    let per_step = t0.elapsed().as_secs_f64() / 3.0;
    let steps = ((seconds / per_step.max(1e-6)) as u32).clamp(3, 100_000);
    let t1 = Instant::now();
    advance(steps)?;
    Ok((steps, t1.elapsed().as_secs_f64()))
}

fn run_tms(args: &TmsArgs) -> Result<(), Failure> {
    let mut configs = Vec::new();
    for name in args.presets.split(',') {
        let p = preset(name.trim())
            .ok_or_else(|| Failure::Usage(format!("--presets: no preset {name:?}")))?;
        configs.push((p.name, p.config));
    }
    let gpu = gpu_for(&args.backend)?;
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
    let fail = |e: polytope_gpu::TmsBackendError| Failure::Run(e.to_string());
    let mut trainer = TmsTrainer::new(ctx, cfg.clone(), TrainState::initial(cfg)).map_err(fail)?;
    let (steps, secs) = timed(seconds, |k| {
        pollster::block_on(trainer.run_to_completion(k))
            .map(|_| ())
            .map_err(fail)
    })?;
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
