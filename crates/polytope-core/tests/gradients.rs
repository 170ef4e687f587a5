//! The analytic gradients of every toy model, as the CPU trainer and the GPU kernels compute
//! them, against central finite differences of an independent `f64` implementation of the
//! loss. Tolerance: |analytic - numeric| <= 1e-3 * max|numeric| + 1e-7 per parameter.

use polytope_core::optim::OptimizerConfig;
use polytope_core::rng::{HostRng, sample_key};
use polytope_core::tms::{
    Correlation, InstanceSpec, ModelKind, SampleScratch, TmsConfig, accumulate_param_grads,
    forward_backward_sample, init_params, loss_scale, sample_features,
};

const N: usize = 6;
const M: usize = 3;
const BATCH: u32 = 24;

fn config(model: ModelKind) -> TmsConfig {
    TmsConfig {
        model,
        n_features: N as u32,
        n_hidden: M as u32,
        correlation: Correlation::Independent,
        instances: vec![InstanceSpec {
            feature_probability: vec![0.6; N],
            importance: (0..N).map(|i| 0.9f32.powi(i as i32)).collect(),
        }],
        batch_size: BATCH,
        steps: 1,
        optimizer: OptimizerConfig::default(),
        seed: 11,
    }
}

/// The loss of one batch, written from the paper's equations in f64 (no shared code with the
/// trainer except the data).
fn reference_loss(model: ModelKind, params: &[f64], xs: &[Vec<f32>], importance: &[f32]) -> f64 {
    let w = |k: usize, j: usize| params[k * N + j];
    let v = |k: usize, j: usize| {
        if model == ModelKind::Abs {
            params[M * N + k * N + j]
        } else {
            params[k * N + j]
        }
    };
    let b = &params[params.len() - N..];
    let mut total = 0.0;
    for x in xs {
        let mut h = [0.0f64; M];
        for (k, hk) in h.iter_mut().enumerate() {
            *hk = (0..N).map(|j| w(k, j) * f64::from(x[j])).sum();
            if matches!(model, ModelKind::Privileged | ModelKind::Abs) {
                *hk = hk.max(0.0);
            }
        }
        for j in 0..N {
            let pre: f64 = b[j] + (0..M).map(|k| v(k, j) * h[k]).sum::<f64>();
            let out = if model == ModelKind::Linear {
                pre
            } else {
                pre.max(0.0)
            };
            let target = if model == ModelKind::Abs {
                f64::from(x[j]).abs()
            } else {
                f64::from(x[j])
            };
            total += f64::from(importance[j]) * (out - target).powi(2);
        }
    }
    total / (xs.len() * N) as f64
}

fn check_model(model: ModelKind) {
    let cfg = config(model);
    let mut params = init_params(&cfg);
    // Small random biases so that some outputs are active and some are not.
    let mut rng = HostRng::new(5, 99);
    let bias_at = cfg.bias_offset();
    for b in &mut params[bias_at..] {
        *b = (rng.next_unit() * 0.4 - 0.1) as f32;
    }
    let spec = &cfg.instances[0];
    let signed = model == ModelKind::Abs;

    // Analytic gradient, exactly as the trainer computes it.
    let mut grad = vec![0.0f32; params.len()];
    let (mut x, mut g, mut h, mut u, mut pre) = (
        vec![0.0; N],
        vec![0.0; N],
        vec![0.0; M],
        vec![0.0; M],
        vec![0.0; N],
    );
    let mut xs = Vec::new();
    for s in 0..BATCH {
        let key = sample_key(cfg.seed, 0, 0, s);
        let mut scratch = SampleScratch {
            x: &mut x,
            g: &mut g,
            h: &mut h,
            u: &mut u,
        };
        forward_backward_sample(
            model,
            cfg.correlation,
            &params,
            N,
            M,
            key,
            &spec.feature_probability,
            &spec.importance,
            loss_scale(BATCH, N as u32),
            &mut pre,
            &mut scratch,
        );
        accumulate_param_grads(model, N, M, &x, &g, &h, &u, &mut grad);
        let mut sample = vec![0.0; N];
        sample_features(
            key,
            &spec.feature_probability,
            cfg.correlation,
            signed,
            &mut sample,
        );
        assert_eq!(sample, x, "the trainer and the data generator disagree");
        xs.push(sample);
    }

    let p64: Vec<f64> = params.iter().map(|p| f64::from(*p)).collect();
    let eps = 1e-6;
    let numeric: Vec<f64> = (0..p64.len())
        .map(|i| {
            let mut plus = p64.clone();
            let mut minus = p64.clone();
            plus[i] += eps;
            minus[i] -= eps;
            (reference_loss(model, &plus, &xs, &spec.importance)
                - reference_loss(model, &minus, &xs, &spec.importance))
                / (2.0 * eps)
        })
        .collect();
    let scale = numeric.iter().fold(0.0f64, |a, b| a.max(b.abs()));
    assert!(
        scale > 1e-4,
        "{model:?}: gradient vanishes, the test would prove nothing"
    );
    for (i, (a, num)) in grad.iter().zip(&numeric).enumerate() {
        let err = (f64::from(*a) - num).abs();
        assert!(
            err <= 1e-3 * scale + 1e-7,
            "{model:?} parameter {i}: analytic {a}, numeric {num}"
        );
    }
}

#[test]
fn relu_gradients_match_finite_differences() {
    check_model(ModelKind::Relu);
}

#[test]
fn linear_gradients_match_finite_differences() {
    check_model(ModelKind::Linear);
}

#[test]
fn privileged_gradients_match_finite_differences() {
    check_model(ModelKind::Privileged);
}

#[test]
fn abs_gradients_match_finite_differences() {
    check_model(ModelKind::Abs);
}
