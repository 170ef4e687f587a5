//! Ground-truth recovery on synthetic data (CPU, test-friendly sizes): 64 random unit
//! directions in 32 dimensions, densities log-spaced from 1/8 to 1/64 (about four active per
//! input), 256 latents, batch 256.

use polytope_core::sae::{
    Layout, SaeConfig, SaeTrainer, SyntheticSource, SyntheticSpec, Variant, greedy_matching,
    normalized_rows,
};

const D_IN: u32 = 32;
const N_TRUE: u32 = 64;
const D_SAE: u32 = 256;

fn trainer(cfg: SaeConfig) -> SaeTrainer {
    let source = SyntheticSource::new(SyntheticSpec::default_for(D_IN, N_TRUE));
    SaeTrainer::new(cfg, Box::new(source)).expect("valid settings")
}

/// `l1-2023`, 2400 steps, L1 0.01, learning rate 3e-3, resampling at steps 300, 600 and 900
/// with a dead window of 100 steps. A quarter of the latents are killed at the start (encoder
/// bias -10), so the resampling must revive them: all 64 are resampled at step 300, some of
/// them end up matched to true features, and MMCS (true to learned) reaches 0.95. (With four
/// latents per true feature, surplus latents die again later; that is expected.)
#[test]
fn l1_2023_with_resampling_recovers_the_features() {
    let mut cfg = SaeConfig::recommended(Variant::L1_2023, D_IN, D_SAE, 2400);
    cfg.dead_window = 100;
    assert_eq!(cfg.resample_at, vec![300, 600, 900]);
    let mut t = trainer(cfg.clone());
    let mut state = t.state().clone();
    let l = Layout::new(&cfg);
    for i in 0..64 {
        state.params[l.b_enc + i] = -10.0;
    }
    t.set_state(state);
    t.run_steps(2400).expect("training runs");
    let snap = t.snapshot();
    assert_eq!(snap.stats.len(), 2400);
    let first = snap
        .resamples
        .first()
        .copied()
        .expect("a resampling at step 300");
    assert_eq!(first, (300, 64), "resampling events {:?}", snap.resamples);
    let eval = t.evaluate(4);
    let mmcs = eval.mmcs.expect("synthetic data has a ground truth");
    assert!(mmcs >= 0.95, "MMCS {mmcs}: {eval:?}");
    assert!(eval.explained_variance > 0.8, "{eval:?}");
    // The matching pairs every true feature with a distinct latent.
    let learned = normalized_rows(t.state().params[l.w_dec..l.b_dec].as_ref(), D_IN as usize);
    let truth = t.source().ground_truth().expect("ground truth").to_vec();
    let matching = greedy_matching(&truth, &learned, D_IN as usize);
    assert_eq!(matching.len(), N_TRUE as usize);
    let good = matching.iter().filter(|(_, _, c)| *c > 0.9).count();
    assert!(good >= 56, "{good} of 64 true features matched above 0.9");
    let revived = matching
        .iter()
        .filter(|(_, latent, c)| *latent < 64 && *c > 0.9)
        .count();
    eprintln!("revived latents matched to true features: {revived}");
    assert!(
        revived >= 4,
        "only {revived} resampled latents learned a feature"
    );
}

/// `topk`, k = 4, 2000 steps, learning rate 1e-3: MMCS reaches 0.95 and L0 is exactly at most k.
#[test]
fn topk_recovers_the_features() {
    let mut cfg = SaeConfig::recommended(Variant::TopK, D_IN, D_SAE, 2000);
    cfg.k = 4;
    cfg.dead_window = 100;
    let mut t = trainer(cfg);
    t.run_steps(2000).expect("training runs");
    let eval = t.evaluate(4);
    let mmcs = eval.mmcs.expect("ground truth");
    assert!(mmcs >= 0.95, "MMCS {mmcs}: {eval:?}");
    assert!(eval.l0 <= 4.0 + 1e-6, "{eval:?}");
    assert!(eval.explained_variance > 0.8, "{eval:?}");
}

/// The 2024 recipe scales the data so that the mean input norm is sqrt(d_in), and reports the
/// error in the data's own units.
#[test]
fn l1_2024_scales_inputs_and_learns() {
    let cfg = SaeConfig::recommended(Variant::L1_2024, D_IN, D_SAE, 1200);
    let mut t = trainer(cfg);
    let scale = t.state().input_scale;
    assert!(
        scale > 1.0,
        "synthetic inputs have norm about 1.5, scale {scale}"
    );
    t.fill_batch(0);
    let n = D_IN as usize;
    let mean_norm: f32 = t
        .batch()
        .chunks(n)
        .map(|r| r.iter().map(|v| v * v).sum::<f32>().sqrt())
        .sum::<f32>()
        / (t.batch().len() / n) as f32;
    assert!(
        (mean_norm - (n as f32).sqrt()).abs() < 0.1 * (n as f32).sqrt(),
        "mean norm {mean_norm}"
    );
    t.run_steps(1200).expect("training runs");
    let eval = t.evaluate(4);
    assert!(eval.mmcs.expect("ground truth") > 0.8, "{eval:?}");
    assert!(eval.explained_variance > 0.8, "{eval:?}");
}

/// JumpReLU learns thresholds: after training, L0 is far below the number of latents and the
/// features are recovered.
#[test]
fn jumprelu_learns_sparse_codes() {
    let cfg = SaeConfig::recommended(Variant::JumpRelu, D_IN, D_SAE, 2400);
    let mut t = trainer(cfg);
    t.run_steps(2400).expect("training runs");
    let eval = t.evaluate(4);
    assert!(eval.l0 < 6.0, "{eval:?}");
    assert!(eval.mmcs.expect("ground truth") > 0.9, "{eval:?}");
}

/// The same seed gives the same dictionary.
#[test]
fn training_is_deterministic() {
    let cfg = SaeConfig::recommended(Variant::TopK, D_IN, 64, 50);
    let mut a = trainer(cfg.clone());
    let mut b = trainer(cfg);
    a.run_steps(50).expect("runs");
    b.run_steps(50).expect("runs");
    assert_eq!(a.state(), b.state());
}

/// A learning rate far too high diverges with a clear error naming the step.
#[test]
fn divergence_is_reported() {
    let mut cfg = SaeConfig::recommended(Variant::L1_2024, D_IN, 64, 200);
    cfg.learning_rate = 1.0;
    cfg.warmup_steps = 0;
    let mut t = trainer(cfg);
    let mut source_state = t.state().clone();
    source_state.params.iter_mut().for_each(|v| *v *= 1e19);
    t.set_state(source_state);
    let err = t.run_steps(200).expect_err("diverges");
    assert!(err.to_string().contains("not finite at step"), "{err}");
}
