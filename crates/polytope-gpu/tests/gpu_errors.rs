//! GPU errors keep their kind, on lavapipe with validation on: a lost device says so and a run
//! resumes on a new one; a run too large for the device fails alone; a readback that never
//! completes times out. (An invalid dispatch naming its kernel is tested inside the crate, where
//! a bind group can be broken on purpose: `sae_trainer::tests`.)

#![cfg(not(target_arch = "wasm32"))]

use std::time::Duration;

use polytope_core::sae::{SaeTrainer, SyntheticSource, SyntheticSpec, Variant};
use polytope_core::tms::TrainState;
use polytope_gpu::device::{AdapterPreference, GpuContext, request_context};
use polytope_gpu::parity::ParityCase;
use polytope_gpu::sae_parity::{SaeParityCase, bookkeeping_equal, max_abs_diff, small_sae_config};
use polytope_gpu::{
    BackendError, BackendKind, DeviceLimit, GpuError, GpuSaeTrainer, GpuTrainer, SaeBackendTrainer,
    TmsTrainer,
};

fn context() -> GpuContext {
    pollster::block_on(request_context(AdapterPreference::SoftwareWithValidation))
        .expect("a software Vulkan adapter (lavapipe) is required for the GPU tests")
}

fn host(variant: Variant) -> SaeTrainer {
    let spec = SyntheticSpec::default_for(16, 32);
    SaeTrainer::new(
        small_sae_config(variant),
        Box::new(SyntheticSource::new(spec)),
    )
    .unwrap()
}

#[test]
fn a_run_over_the_binding_limit_fails_alone_and_names_the_limit() {
    let ctx = context();
    // The SAE: 16 x 64 parameters are 8 KiB, over a 4 KiB binding limit.
    let t = host(Variant::TopK);
    let err = GpuSaeTrainer::with_binding_limit(&ctx, t.config().clone(), t.state(), Some(4096))
        .err()
        .expect("the parameters do not fit");
    let Some(GpuError::TooLarge {
        needed,
        allowed,
        limit,
        ..
    }) = err.gpu()
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (*needed, *allowed, *limit),
        (
            4 * t.config().param_count() as u64,
            4096,
            DeviceLimit::StorageBindingSize
        )
    );
    assert!(err.fails_this_run_only() && !err.is_device_lost());
    assert!(
        err.to_string().contains("maxStorageBufferBindingSize"),
        "{err}"
    );

    // The toy models: one sample of every instance needs 4 x 3 x 5 bytes.
    let cfg = ParityCase::all().swap_remove(0).cfg;
    let state = TrainState::initial(&cfg);
    let err = GpuTrainer::with_binding_limit(&ctx, cfg.clone(), &state, Some(40))
        .err()
        .expect("a sample does not fit");
    assert!(
        matches!(
            err.gpu(),
            Some(GpuError::TooLarge {
                limit: DeviceLimit::StorageBindingSize,
                ..
            })
        ),
        "{err:?}"
    );

    // Nothing happened to the device: the next run trains.
    assert_eq!(ctx.health.check(), Ok(()));
    let mut trainer = TmsTrainer::new(Some(&ctx), cfg, state).unwrap();
    pollster::block_on(trainer.run_to_completion(3)).unwrap();
}

#[test]
fn firing_counts_over_32_bits_are_too_large_for_the_gpu_only() {
    let ctx = context();
    let t = host(Variant::TopK);
    let mut cfg = t.config().clone();
    cfg.batch = 65_536;
    cfg.dead_window = 70_000;
    let err = GpuSaeTrainer::new(&ctx, cfg, t.state()).err().unwrap();
    assert!(
        matches!(
            err.gpu(),
            Some(GpuError::TooLarge {
                limit: DeviceLimit::Counter32,
                ..
            })
        ),
        "{err:?}"
    );
    assert!(err.fails_this_run_only());
    assert_eq!(ctx.health.check(), Ok(()));
}

#[test]
fn an_sae_run_resumes_on_a_new_device_after_a_lost_one() {
    let ctx = context();
    let mut cpu = SaeBackendTrainer::on_cpu(host(Variant::TopK));
    let mut gpu = SaeBackendTrainer::on_cpu(host(Variant::TopK));
    gpu.move_to(Some(&ctx)).unwrap();
    let first = pollster::block_on(gpu.advance(10)).unwrap();
    pollster::block_on(cpu.advance(10)).unwrap();
    assert_eq!(first.state.step, 10);

    ctx.health.mark_lost("simulated by the test");
    let err = pollster::block_on(gpu.advance(10)).unwrap_err();
    assert!(
        matches!(&err, BackendError::Gpu(e) if e.is_device_lost()),
        "{err:?}"
    );
    // The host still holds the last snapshot; the run moves to a new device from there.
    assert_eq!(gpu.host().state().step, 10);
    let fresh = pollster::block_on(request_context(ctx.preference)).unwrap();
    gpu.move_to(Some(&fresh)).unwrap();
    assert_eq!(gpu.backend(), BackendKind::Gpu);
    assert_eq!(gpu.step(), 10);
    let g = pollster::block_on(gpu.advance(20)).unwrap();
    let c = pollster::block_on(cpu.advance(20)).unwrap();
    let d = max_abs_diff(&c.state.params, &g.state.params);
    eprintln!("after a lost device and 20 more steps: max |dW| {d:.2e}");
    assert!(d <= 1e-4, "{d}");
    assert!(bookkeeping_equal(&c.state, &g.state));

    // Without a new device the run continues on the CPU.
    gpu.move_to(None).unwrap();
    assert_eq!(gpu.backend(), BackendKind::Cpu);
    pollster::block_on(gpu.advance(1)).unwrap();
}

#[test]
fn a_toy_run_resumes_on_a_new_device_from_its_last_snapshot() {
    let ctx = context();
    let cfg = ParityCase::all().swap_remove(0).cfg;
    let mut trainer = TmsTrainer::new(Some(&ctx), cfg.clone(), TrainState::initial(&cfg)).unwrap();
    let snap = pollster::block_on(trainer.run_to_completion(5)).unwrap();
    ctx.health.mark_lost("simulated by the test");
    let err = pollster::block_on(trainer.run_to_completion(5)).unwrap_err();
    assert!(err.is_device_lost(), "{err:?}");
    let fresh = pollster::block_on(request_context(ctx.preference)).unwrap();
    let mut trainer = TmsTrainer::new(Some(&fresh), cfg, snap.state).unwrap();
    assert_eq!(trainer.step(), 5);
    let snap = pollster::block_on(trainer.run_to_completion(5)).unwrap();
    assert_eq!(snap.state.step, 10);
}

#[test]
fn a_readback_that_does_not_complete_times_out() {
    let mut ctx = context();
    // A millisecond is far less than ten steps of a 4096-latent TopK take on lavapipe.
    ctx.readback_timeout = Duration::from_millis(1);
    let case = SaeParityCase::wide_topk();
    let spec = case.spec.clone();
    let mut feeder =
        SaeTrainer::new(case.cfg.clone(), Box::new(SyntheticSource::new(spec))).unwrap();
    let mut gpu = GpuSaeTrainer::new(&ctx, case.cfg.clone(), feeder.state()).unwrap();
    let mut batches = Vec::new();
    for step in 0..10 {
        feeder.fill_batch(step);
        batches.extend_from_slice(feeder.batch());
    }
    let err = pollster::block_on(gpu.run_steps(&batches, 10)).unwrap_err();
    let Some(GpuError::Timeout { waited }) = err.gpu() else {
        panic!("{err:?}")
    };
    assert!(*waited >= Duration::from_millis(1), "{waited:?}");
    assert!(err.gpu().is_some_and(GpuError::needs_new_device));
    // The trainer refuses further work with the same error.
    let again = pollster::block_on(gpu.run_steps(&batches[..batches.len() / 10], 1)).unwrap_err();
    assert_eq!(again, err);
}
