//! GPU against CPU on the same seed, natively on a software Vulkan adapter (lavapipe) with
//! validation on. A missing adapter fails the test: it never skips.
//!
//! Tolerances (absolute, on every parameter): 1e-5 after 1 step; 1e-4 after 200 steps, where
//! Adam's normalisation can amplify last-bit differences in near-zero gradients.

#![cfg(not(target_arch = "wasm32"))]

use polytope_gpu::device::{AdapterPreference, GpuContext, request_context};
use polytope_gpu::parity::{ParityCase, run_case};

fn context() -> GpuContext {
    pollster::block_on(request_context(AdapterPreference::SoftwareWithValidation))
        .expect("a software Vulkan adapter (lavapipe) is required for the GPU tests")
}

#[test]
fn adapter_is_lavapipe_cpu() {
    let ctx = context();
    assert_eq!(ctx.adapter.device_type, "Cpu");
    assert_eq!(ctx.adapter.backend, "Vulkan");
}

#[test]
fn tms_training_should_match_cpu_reference() {
    let ctx = context();
    let mut failures = Vec::new();
    for case in ParityCase::all() {
        match pollster::block_on(run_case(&ctx, &case)) {
            Ok(result) => {
                eprintln!("{result}");
                // Small models split the batch: the partial sums are part of what is tested.
                assert!(result.splits > 1, "{}: expected a split batch", result.name);
                if !result.passed() {
                    failures.push(result.to_string());
                }
            }
            Err(e) => failures.push(format!("{}: {e}", case.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "GPU differs from CPU:\n{}",
        failures.join("\n")
    );
}

#[test]
fn chunked_batches_match_unchunked() {
    // A tiny storage limit forces the batch into several chunks on the GPU.
    let ctx = context();
    let case = ParityCase::chunked();
    let result = pollster::block_on(run_case(&ctx, &case)).unwrap();
    eprintln!("{result}");
    assert!(result.chunks > 1, "the case must actually chunk");
    assert!(result.splits > 1, "and split each chunk");
    assert!(result.passed(), "{result}");
}

#[test]
fn gpu_divergence_names_instance_and_step() {
    use polytope_core::tms::{TrainError, TrainState};
    use polytope_gpu::{BackendError, GpuTrainer};
    let ctx = context();
    let cfg = ParityCase::all().swap_remove(0).cfg;
    let mut state = TrainState::initial(&cfg);
    state.params[2 * cfg.params_per_instance()] = f32::NAN;
    let mut gpu = GpuTrainer::new(&ctx, cfg, &state).unwrap();
    let err = pollster::block_on(gpu.run_steps(4)).unwrap_err();
    assert_eq!(
        err,
        BackendError::Train(TrainError::Diverged {
            instance: 2,
            step: 0
        })
    );
}

#[test]
fn lost_device_is_reported_not_panicked() {
    use polytope_core::tms::TrainState;
    use polytope_gpu::{BackendError, GpuTrainer};
    let ctx = context();
    let cfg = ParityCase::all().swap_remove(0).cfg;
    let state = TrainState::initial(&cfg);
    let mut gpu = GpuTrainer::new(&ctx, cfg, &state).unwrap();
    pollster::block_on(gpu.run_steps(2)).unwrap();
    ctx.health.mark_lost("simulated by the test");
    let err = pollster::block_on(gpu.run_steps(2)).unwrap_err();
    assert!(
        matches!(&err, BackendError::Gpu(e) if e.is_device_lost()),
        "{err:?}"
    );
    assert!(err.is_device_lost() && !err.fails_this_run_only());
}
