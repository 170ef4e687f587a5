//! The CPU trainer reproduces the paper's qualitative results at test-friendly settings
//! (fewer steps, a larger learning rate and a smaller batch than the presets' 10,000 steps at
//! 1e-3 and batch 1024). Each test takes well under a few seconds in the test profile.

use polytope_core::tms::{CpuTrainer, RunReport, TmsConfig, preset};

/// Trains the preset's instances `keep` and returns the report.
fn train(name: &str, keep: &[usize], steps: u32, lr: f64, batch: u32, seed: u32) -> RunReport {
    let mut cfg: TmsConfig = preset(name).unwrap().config;
    cfg.instances = keep.iter().map(|i| cfg.instances[*i].clone()).collect();
    cfg.steps = steps;
    cfg.optimizer.learning_rate = lr;
    cfg.batch_size = batch;
    cfg.seed = seed;
    let mut trainer = CpuTrainer::new(cfg.clone()).unwrap();
    trainer.run_steps(steps).unwrap();
    let snap = trainer.snapshot();
    RunReport::new(
        &cfg,
        Some(name),
        "cpu",
        &snap.state,
        snap.last_losses(keep.len()),
    )
}

/// 5 features in 2 dimensions (intro preset, instances at density 1 and 0.05). 2-D hidden
/// spaces are hard for gradient descent, so, as the paper does, we fit three seeds and keep
/// the lowest loss per instance. 2,000 steps, lr 1e-2, batch 256.
#[test]
fn intro_learns_two_orthogonal_features_when_dense_and_a_pentagon_when_sparse() {
    let runs: Vec<RunReport> = (0..3)
        .map(|seed| train("intro", &[0, 9], 2000, 1e-2, 256, seed))
        .collect();
    let best = |k: usize| {
        runs.iter()
            .map(|r| &r.instances[k])
            .min_by(|a, b| a.loss.unwrap().total_cmp(&b.loss.unwrap()))
            .unwrap()
    };

    let dense = best(0);
    assert!((dense.feature_probability[0] - 1.0).abs() < 1e-6);
    let learned: Vec<usize> = (0..5).filter(|i| dense.norms[*i] > 0.5).collect();
    assert_eq!(learned, vec![0, 1], "dense: norms {:?}", dense.norms);
    // Orthogonal: the cosine between the two learned directions is near 0.
    let col = |i: usize| [dense.w[i], dense.w[5 + i]];
    let (a, b) = (col(0), col(1));
    let cos = (a[0] * b[0] + a[1] * b[1]) / (dense.norms[0] * dense.norms[1]);
    assert!(
        cos.abs() < 0.05,
        "dense: cosine between features 0 and 1 is {cos}"
    );

    let sparse = best(1);
    assert!((sparse.feature_probability[0] - 0.05).abs() < 1e-6);
    assert!(
        sparse.norms.iter().all(|n| *n > 0.5),
        "sparse: norms {:?}",
        sparse.norms
    );
    for d in &sparse.dimensionality {
        assert!(
            (d - 0.4).abs() < 0.1,
            "sparse: D_i {:?}",
            sparse.dimensionality
        );
    }
}

/// 200 features in 20 dimensions (dims-per-feature preset, densities 1 and 0.05): D* is about
/// 1 when dense and falls below 1/2 when sparse. 500 steps, lr 1e-2, batch 64.
#[test]
fn dims_per_feature_falls_with_sparsity() {
    let report = train("dims-per-feature", &[0, 19], 500, 1e-2, 64, 0);
    let dense = report.instances[0].dims_per_feature;
    let sparse = report.instances[1].dims_per_feature;
    assert!((dense - 1.0).abs() < 0.1, "D* at density 1: {dense}");
    assert!(sparse < 0.5, "D* at density 0.05: {sparse}");
}
