//! `polytope gpu-info`: which adapter the GPU commands would use, and its limits.

use polytope_gpu::{AdapterPreference, request_context};

use crate::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Ask for the software adapter (lavapipe) the tests use, with validation on.
    #[arg(long)]
    software: bool,
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let preference = if args.software {
        AdapterPreference::SoftwareWithValidation
    } else {
        AdapterPreference::HighPerformance
    };
    let ctx =
        pollster::block_on(request_context(preference)).map_err(|e| Failure::Run(e.to_string()))?;
    let a = &ctx.adapter;
    if args.json {
        println!("{}", serde_json::to_string_pretty(a).unwrap_or_default());
        return Ok(());
    }
    println!("adapter:                      {}", a.name);
    println!("device type:                  {}", a.device_type);
    println!("backend:                      {}", a.backend);
    println!("driver:                       {}", a.driver);
    println!(
        "max storage buffer binding:   {} bytes",
        a.max_storage_buffer_binding_size
    );
    println!("max buffer size:              {} bytes", a.max_buffer_size);
    println!(
        "max workgroups per dimension: {}",
        a.max_compute_workgroups_per_dimension
    );
    println!(
        "max invocations per group:    {}",
        a.max_compute_invocations_per_workgroup
    );
    println!(
        "storage buffers per stage:    {}",
        a.max_storage_buffers_per_shader_stage
    );
    Ok(())
}
