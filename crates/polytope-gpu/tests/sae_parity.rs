//! The SAE trainer on the GPU against the CPU reference on the same seed and data, natively on a
//! software Vulkan adapter (lavapipe) with validation on. A missing adapter fails the tests: they
//! never skip.
//!
//! Tolerances (see `polytope_gpu::sae_parity`): every parameter within 1e-5 after one step (only
//! rounding differs) and within 1e-4 after 100 steps (Adam's normalisation can turn a last-bit
//! difference in a near-zero gradient into up to one learning rate, 1e-3, per step); every
//! step's loss terms within 1e-4 relative; the firing bookkeeping identical.

#![cfg(not(target_arch = "wasm32"))]

use polytope_core::sae::{SaeTrainError, SaeTrainer, SyntheticSource, SyntheticSpec, Variant};
use polytope_gpu::device::{AdapterPreference, GpuContext, request_context};
use polytope_gpu::sae::SaeBackendTrainer;
use polytope_gpu::sae_parity::{
    SaeParityCase, bookkeeping_equal, compare_stats, kernel_cases, max_abs_diff, run_kernel_case,
    run_sae_case, small_sae_config,
};
use polytope_gpu::sae_trainer::GpuSaeTrainer;
use polytope_gpu::{BackendError, BackendKind};

fn context() -> GpuContext {
    pollster::block_on(request_context(AdapterPreference::SoftwareWithValidation))
        .expect("a software Vulkan adapter (lavapipe) is required for the GPU tests")
}

fn check(case: &SaeParityCase, ctx: &GpuContext) -> Result<String, String> {
    match pollster::block_on(run_sae_case(ctx, case)) {
        Ok(result) => {
            eprintln!("{result}");
            if result.passed() {
                Ok(result.to_string())
            } else {
                Err(result.to_string())
            }
        }
        Err(e) => Err(format!("{}: {e}", case.name)),
    }
}

#[test]
fn sae_l1_2023_matches_cpu() {
    let ctx = context();
    check(&SaeParityCase::standard(Variant::L1_2023), &ctx).unwrap();
}

#[test]
fn sae_l1_2024_matches_cpu() {
    let ctx = context();
    check(&SaeParityCase::standard(Variant::L1_2024), &ctx).unwrap();
}

#[test]
fn sae_topk_matches_cpu() {
    let ctx = context();
    check(&SaeParityCase::standard(Variant::TopK), &ctx).unwrap();
    // AuxK only runs on steps with dead latents.
    let case = SaeParityCase::topk_with_dead_latents();
    let result = pollster::block_on(run_sae_case(&ctx, &case)).unwrap();
    eprintln!("{result}");
    assert!(result.passed(), "{result}");
    assert!(result.steps_with_dead > 0, "{result}");
}

/// Each of the seven kernels against its CPU twin, one step from the same state and batch
/// (`polytope_gpu::sae_parity::run_kernel_case`; tolerance `KERNEL_TOLERANCE`, relative to each
/// output's size).
#[test]
fn every_sae_kernel_matches_its_cpu_twin() {
    let ctx = context();
    let mut failures = Vec::new();
    for (case, step) in kernel_cases() {
        let result = pollster::block_on(run_kernel_case(&ctx, &case, step)).unwrap();
        eprintln!("{result}");
        if !result.passed() {
            failures.push(result.to_string());
        }
        if case.initial_bias.is_some() {
            // The dead-latent case exercises AuxK: its activations are not all zero.
            assert!(result.dead > 0, "{result}");
            let aux = result.diffs.iter().find(|d| d.output == "f_aux").unwrap();
            assert!(aux.scale > 0.0, "{result}");
        }
        let kernels: std::collections::BTreeSet<_> =
            result.diffs.iter().map(|d| d.kernel).collect();
        assert_eq!(kernels.len(), 7, "every kernel compared: {result}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn sae_jumprelu_matches_cpu() {
    let ctx = context();
    check(&SaeParityCase::standard(Variant::JumpRelu), &ctx).unwrap();
}

#[test]
fn sae_topk_wide_rows_match_cpu() {
    let ctx = context();
    let case = SaeParityCase::wide_topk();
    let result = pollster::block_on(run_sae_case(&ctx, &case)).unwrap();
    eprintln!("{result}");
    assert!(result.passed(), "{result}");
    assert!(result.steps_with_dead > 0, "{result}");
}

/// Exact ties: latents 0..24 share one encoder column (identical pre-activations on each
/// backend), so TopK must keep the lowest indices among them, as the CPU does.
#[test]
fn sae_topk_ties_go_to_lower_index() {
    let ctx = context();
    let mut cfg = small_sae_config(Variant::TopK);
    cfg.k = 4;
    let spec = SyntheticSpec::default_for(16, 32);
    let mut cpu =
        SaeTrainer::new(cfg.clone(), Box::new(SyntheticSource::new(spec.clone()))).unwrap();
    let mut state = cpu.state().clone();
    let (n, s) = (cfg.n(), cfg.s());
    for k in 0..n {
        let v = state.params[k * s];
        state.params[k * s..k * s + 24].fill(v);
    }
    cpu.set_state(state.clone());
    let mut feeder = SaeTrainer::from_parts(
        cfg.clone(),
        Box::new(SyntheticSource::new(spec)),
        state.clone(),
    )
    .unwrap();
    let mut gpu = GpuSaeTrainer::new(&ctx, cfg, &state).unwrap();
    let mut batches = Vec::new();
    for step in 0..5 {
        feeder.fill_batch(step);
        batches.extend_from_slice(feeder.batch());
    }
    cpu.run_steps(5).unwrap();
    let c = cpu.snapshot();
    let g = pollster::block_on(gpu.run_steps(&batches, 5)).unwrap();
    let gs = pollster::block_on(gpu.read_state()).unwrap();
    // The tied group fired, and only its lowest members did.
    let after_first = c.state.window_fired[..24].iter().rposition(|c| *c > 0);
    eprintln!(
        "tied latents' firing counts: {:?}",
        &c.state.window_fired[..24]
    );
    assert!(
        after_first.is_some_and(|last| last < 23),
        "the test needs ties that were broken"
    );
    assert!(bookkeeping_equal(&c.state, &gs));
    let d = max_abs_diff(&c.state.params, &gs.params);
    let (dl, _) = compare_stats(&c.stats, &g);
    eprintln!("ties: max |dW| {d:.2e}, max rel |dloss| {dl:.2e}");
    assert!(d <= 1e-5 && dl <= 1e-4);
}

/// d_in 512, d_sae 16384, batch 4096 under WebGPU's default 128 MiB binding limit: the
/// `[B, d_sae]` intermediates are split into two micro-batches and every binding fits. (Only
/// built here: a step at this size takes minutes on a software adapter.)
#[test]
fn sae_large_run_fits_default_limits() {
    let ctx = context();
    let mut cfg = small_sae_config(Variant::TopK);
    cfg.d_in = 512;
    cfg.d_sae = 16_384;
    cfg.batch = 4096;
    cfg.k = 64;
    cfg.k_aux = 256;
    let l = polytope_core::sae::Layout::new(&cfg);
    let s = cfg.s();
    let state = polytope_core::sae::SaeState {
        step: 0,
        params: vec![0.0; l.len],
        adam_m: vec![0.0; l.len],
        adam_v: vec![0.0; l.len],
        last_fired: vec![0; s],
        window_fired: vec![0; s],
        window_inputs: 0,
        densities: Vec::new(),
        input_scale: 1.0,
    };
    let gpu = GpuSaeTrainer::with_binding_limit(&ctx, cfg, &state, Some(128 << 20)).unwrap();
    assert_eq!(gpu.micro_batch(), 2048);
    assert_eq!(gpu.micro_batches(), 2);
    assert_eq!(gpu.dispatches_per_step(), 12);
    assert_eq!(ctx.health.check(), Ok(()));
}

/// A tiny binding limit splits the batch into micro-batches; the result must be the one the
/// whole batch gives (compared to the CPU with the same tolerances, and to the unconstrained GPU
/// run directly).
#[test]
fn sae_micro_batches_match_whole_batch() {
    let ctx = context();
    for variant in Variant::ALL {
        let case = SaeParityCase::micro_batched(variant);
        let result = pollster::block_on(run_sae_case(&ctx, &case)).unwrap();
        eprintln!("{result}");
        assert!(result.micro_batches > 1, "the case must actually split");
        assert!(result.passed(), "{result}");

        let cfg = case.cfg.clone();
        let source = || Box::new(SyntheticSource::new(case.spec.clone()));
        let mut feeder = SaeTrainer::new(cfg.clone(), source()).unwrap();
        let state = feeder.state().clone();
        let mut batches = Vec::new();
        for step in 0..40 {
            feeder.fill_batch(step);
            batches.extend_from_slice(feeder.batch());
        }
        let mut whole = GpuSaeTrainer::new(&ctx, cfg.clone(), &state).unwrap();
        let mut split = GpuSaeTrainer::with_binding_limit(&ctx, cfg, &state, Some(9000)).unwrap();
        assert_eq!(whole.micro_batches(), 1);
        assert!(split.micro_batches() > 1);
        let a = pollster::block_on(whole.run_steps(&batches, 40)).unwrap();
        let b = pollster::block_on(split.run_steps(&batches, 40)).unwrap();
        let sa = pollster::block_on(whole.read_state()).unwrap();
        let sb = pollster::block_on(split.read_state()).unwrap();
        let d = max_abs_diff(&sa.params, &sb.params);
        let (dl, _) = compare_stats(&a, &b);
        eprintln!(
            "{}: whole vs micro-batched after 40 steps: max |dW| {d:.2e}, max rel |dloss| {dl:.2e}",
            variant.name()
        );
        assert!(d <= 1e-4, "{}: {d}", variant.name());
        assert!(dl <= 1e-4, "{}: {dl}", variant.name());
        assert!(bookkeeping_equal(&sa, &sb));
    }
    // AuxK across micro-batches.
    let mut case = SaeParityCase::topk_with_dead_latents();
    case.name.push_str(", micro-batched");
    case.binding_limit = Some(9000);
    let result = pollster::block_on(run_sae_case(&ctx, &case)).unwrap();
    eprintln!("{result}");
    assert!(result.micro_batches > 1 && result.steps_with_dead > 0);
    assert!(result.passed(), "{result}");
}

/// The backend trainer on the GPU resamples at the same steps as the CPU, with the same counts,
/// and ends where the CPU does.
#[test]
fn sae_backend_trainer_resamples_like_cpu() {
    let ctx = context();
    let mut cfg = small_sae_config(Variant::L1_2023);
    cfg.resample_at = vec![30, 60];
    let spec = SyntheticSpec::default_for(16, 32);
    // Latents 0..8 start with a very negative encoder bias: they never fire, die, and are
    // resampled (which gives them a zero bias).
    let host = |cfg: &polytope_core::sae::SaeConfig| {
        let t = SaeTrainer::new(cfg.clone(), Box::new(SyntheticSource::new(spec.clone()))).unwrap();
        let mut state = t.state().clone();
        let b_enc = polytope_core::sae::Layout::new(cfg).b_enc;
        state.params[b_enc..b_enc + 8].fill(-100.0);
        let (_, source) = t.into_parts();
        SaeTrainer::from_parts(cfg.clone(), source, state).unwrap()
    };
    let mut cpu = SaeBackendTrainer::on_cpu(host(&cfg));
    let mut gpu = SaeBackendTrainer::on_cpu(host(&cfg));
    gpu.move_to(Some(&ctx)).unwrap();
    assert_eq!(gpu.backend(), BackendKind::Gpu);
    let (mut cs, mut gs) = (Vec::new(), Vec::new());
    let (mut cr, mut gr) = (Vec::new(), Vec::new());
    let (mut c_state, mut g_state) = (None, None);
    for chunk in [25, 50, 25] {
        let c = pollster::block_on(cpu.advance(chunk)).unwrap();
        let g = pollster::block_on(gpu.advance(chunk)).unwrap();
        cs.extend(c.stats);
        gs.extend(g.stats);
        cr.extend(c.resamples);
        gr.extend(g.resamples);
        c_state = Some(c.state);
        g_state = Some(g.state);
    }
    let (c_state, g_state) = (c_state.unwrap(), g_state.unwrap());
    eprintln!("resamples: cpu {cr:?}, gpu {gr:?}");
    assert_eq!(cr, gr);
    assert_eq!(cr.len(), 2);
    assert!(
        cr.iter().any(|(_, n)| *n > 0),
        "some latents must be resampled"
    );
    assert_eq!(gpu.step(), 100);
    let d = max_abs_diff(&c_state.params, &g_state.params);
    let (dl, _) = compare_stats(&cs, &gs);
    eprintln!(
        "backend trainer after 100 steps with resampling: max |dW| {d:.2e}, max rel |dloss| {dl:.2e}"
    );
    assert!(d <= 1e-4, "{d}");
    assert!(dl <= 1e-4, "{dl}");
    assert!(bookkeeping_equal(&c_state, &g_state));
    // Evaluation runs on the host, on the synced state, and falls back to the CPU.
    let ec = cpu.evaluate(2);
    let eg = gpu.evaluate(2);
    assert!((ec.mse - eg.mse).abs() <= 1e-3 * (1.0 + ec.mse.abs()));
    let host = gpu.into_host();
    assert_eq!(host.state().step, 100);
}

#[test]
fn sae_gpu_divergence_names_the_step() {
    let ctx = context();
    let cfg = small_sae_config(Variant::L1_2023);
    let spec = SyntheticSpec::default_for(16, 32);
    let mut feeder = SaeTrainer::new(cfg.clone(), Box::new(SyntheticSource::new(spec))).unwrap();
    let mut state = feeder.state().clone();
    state.params[3] = f32::NAN;
    let mut gpu = GpuSaeTrainer::new(&ctx, cfg, &state).unwrap();
    let mut batches = Vec::new();
    for step in 0..3 {
        feeder.fill_batch(step);
        batches.extend_from_slice(feeder.batch());
    }
    let err = pollster::block_on(gpu.run_steps(&batches, 3)).unwrap_err();
    assert_eq!(
        err,
        BackendError::Train(SaeTrainError::Diverged { step: 0 })
    );
}

#[test]
fn sae_lost_device_is_reported_not_panicked() {
    let ctx = context();
    let cfg = small_sae_config(Variant::TopK);
    let spec = SyntheticSpec::default_for(16, 32);
    let mut feeder = SaeTrainer::new(cfg.clone(), Box::new(SyntheticSource::new(spec))).unwrap();
    let state = feeder.state().clone();
    let mut gpu = GpuSaeTrainer::new(&ctx, cfg, &state).unwrap();
    feeder.fill_batch(0);
    let batch = feeder.batch().to_vec();
    pollster::block_on(gpu.run_steps(&batch, 1)).unwrap();
    ctx.health.mark_lost("simulated by the test");
    let err = pollster::block_on(gpu.run_steps(&batch, 1)).unwrap_err();
    assert!(
        matches!(&err, BackendError::Gpu(e) if e.is_device_lost()),
        "{err:?}"
    );
}
