//! `polytope`: the native command line over polytope-core and polytope-gpu.
//!
//! ```text
//! polytope gpu-info [--json]                 the adapters wgpu finds here
//! polytope tms --preset NAME [...] [--json]  train a toy model headless, print or write results
//! polytope sae --source S --variant V [...]  train a sparse autoencoder, report recovery
//! polytope bench tms [...]                   steps/s on each backend
//! polytope dict pipeline [...]               language-model dictionaries for the feature browser
//! ```
//! Bad flags print a clear message and exit with code 2; a run that fails exits with 1.

mod bench;
mod dict;
mod gpu_info;
mod output;
mod phase;
mod sae;
mod settings_flags;
mod tms;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "polytope",
    version,
    about = "Toy models of superposition and sparse autoencoders, headless."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: the size difference between subcommands' flags does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Lists the GPU adapters wgpu finds and the limits that matter.
    GpuInfo(gpu_info::Args),
    /// Trains a toy model of superposition and reports what it learned.
    Tms(tms::Args),
    /// Trains a sparse autoencoder and reports how well it recovered the features.
    Sae(sae::Args),
    /// Computes a phase diagram (n = 2, m = 1 or n = 3, m = 2).
    Phase(phase::Args),
    /// Measures training throughput.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// The language-model dictionaries: corpus, tokenizer, model, activations, SAEs, browser files.
    #[command(subcommand)]
    Dict(dict::DictCommand),
}

/// How a command failed: bad input (exit 2) or a failure while running (exit 1).
pub enum Failure {
    Usage(String),
    Run(String),
}

/// Refuses a toy-model run whose memory (on the CPU, or the host side of a GPU run) exceeds
/// the native budget, before its state is allocated.
pub fn check_cpu_memory(cfg: &polytope_core::tms::TmsConfig) -> Result<(), Failure> {
    polytope_core::memory::tms_cpu(
        cfg,
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
    )
    .check(polytope_core::memory::Budget::Native)
    .map_err(|e| Failure::Usage(e.to_string()))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::GpuInfo(args) => gpu_info::run(&args),
        Command::Tms(args) => tms::run(&args),
        Command::Phase(args) => phase::run(&args),
        Command::Sae(args) => sae::run(&args),
        Command::Bench(cmd) => bench::run(&cmd),
        Command::Dict(cmd) => dict::run(&cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Run(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}
