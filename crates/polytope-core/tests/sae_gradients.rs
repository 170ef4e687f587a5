//! The analytic gradients of every SAE variant, as the CPU trainer (and the GPU kernels, which
//! parity tests hold to the CPU) compute them, against central finite differences of an
//! independent `f64` implementation of the loss written from the papers' equations.
//!
//! Tolerance: |analytic - numeric| <= 2e-3 * max|numeric| + 1e-5 per parameter (the analytic
//! side runs in f32). JumpReLU's thresholds are excluded: their gradient is a straight-through
//! estimate, not the derivative of the (piecewise-constant) loss. TopK's auxiliary loss treats
//! the residual as a constant target, so the reference does the same.

use polytope_core::rng::HostRng;
use polytope_core::sae::{Layout, SaeConfig, SaeParams, Variant, forward_backward};

const N: usize = 5;
const S: usize = 12;
const B: usize = 8;

fn config(variant: Variant) -> SaeConfig {
    let mut cfg = SaeConfig::recommended(variant, N as u32, S as u32, 1000);
    cfg.batch = B as u32;
    cfg.k = 3;
    cfg.k_aux = 2;
    cfg.aux_coefficient = 0.5;
    cfg.sparsity_coefficient = 0.3;
    cfg.sparsity_warmup_steps = 0;
    cfg.initial_threshold = 0.05;
    cfg.seed = 7;
    cfg
}

fn data(seed: u32) -> Vec<f32> {
    let mut rng = HostRng::new(seed, 3);
    (0..B * N).map(|_| rng.next_normal() as f32).collect()
}

/// Perturbs the initial parameters so biases and thresholds are not at special values.
fn params(cfg: &SaeConfig) -> Vec<f32> {
    let b_dec: Vec<f32> = (0..N).map(|k| 0.1 * k as f32 - 0.2).collect();
    let mut p = SaeParams::init(cfg, &b_dec).data;
    let mut rng = HostRng::new(99, 1);
    for v in &mut p {
        *v += 0.05 * rng.next_normal() as f32;
    }
    p
}

/// Top `k` positive entries of `row` by value (lower index wins ties), as a mask.
fn top_k(row: &[f64], k: usize, allowed: impl Fn(usize) -> bool) -> Vec<bool> {
    let mut idx: Vec<usize> = (0..row.len())
        .filter(|i| allowed(*i) && row[*i] > 0.0)
        .collect();
    idx.sort_by(|a, b| row[*b].total_cmp(&row[*a]).then(a.cmp(b)));
    let mut mask = vec![false; row.len()];
    for i in idx.into_iter().take(k) {
        mask[i] = true;
    }
    mask
}

/// The loss of one batch in f64. `target` is the detached residual `x - x_hat` per row that
/// TopK's auxiliary loss aims at (computed from the unperturbed parameters).
fn reference_loss(
    cfg: &SaeConfig,
    p: &[f64],
    x: &[f32],
    dead: &[bool],
    target: Option<&[f64]>,
) -> (f64, Vec<f64>) {
    let l = Layout::new(cfg);
    let w_enc = |k: usize, i: usize| p[l.w_enc + k * S + i];
    let w_dec = |i: usize, k: usize| p[l.w_dec + i * N + k];
    let b_enc = |i: usize| p[l.b_enc + i];
    let b_dec = |k: usize| p[l.b_dec + k];
    let lam = f64::from(cfg.sparsity_coefficient);
    let mut loss = 0.0;
    let mut residuals = Vec::with_capacity(B * N);
    let mut aux_rows = Vec::new();
    for (r, row) in x.chunks(N).enumerate() {
        let xr: Vec<f64> = row.iter().map(|v| f64::from(*v)).collect();
        let xc: Vec<f64> = (0..N)
            .map(|k| {
                if cfg.variant.pre_bias() {
                    xr[k] - b_dec(k)
                } else {
                    xr[k]
                }
            })
            .collect();
        let z: Vec<f64> = (0..S)
            .map(|i| b_enc(i) + (0..N).map(|k| xc[k] * w_enc(k, i)).sum::<f64>())
            .collect();
        let f: Vec<f64> = match cfg.variant {
            Variant::L1_2023 | Variant::L1_2024 => z.iter().map(|v| v.max(0.0)).collect(),
            Variant::TopK => {
                let mask = top_k(&z, cfg.k as usize, |_| true);
                (0..S).map(|i| if mask[i] { z[i] } else { 0.0 }).collect()
            }
            Variant::JumpRelu => (0..S)
                .map(|i| {
                    let theta = p[l.log_theta + i].exp();
                    if z[i] > theta { z[i] } else { 0.0 }
                })
                .collect(),
        };
        let x_hat: Vec<f64> = (0..N)
            .map(|k| b_dec(k) + (0..S).map(|i| f[i] * w_dec(i, k)).sum::<f64>())
            .collect();
        let sq: f64 = (0..N).map(|k| (x_hat[k] - xr[k]).powi(2)).sum();
        loss += if cfg.variant == Variant::L1_2023 {
            sq / (B * N) as f64
        } else {
            sq / B as f64
        };
        residuals.extend((0..N).map(|k| xr[k] - x_hat[k]));
        match cfg.variant {
            Variant::L1_2023 => loss += lam * f.iter().sum::<f64>() / B as f64,
            Variant::L1_2024 => {
                for (i, fi) in f.iter().enumerate() {
                    let norm = (0..N).map(|k| w_dec(i, k).powi(2)).sum::<f64>().sqrt();
                    loss += lam * fi * norm / B as f64;
                }
            }
            Variant::JumpRelu => {
                loss += lam * f.iter().filter(|v| **v != 0.0).count() as f64 / B as f64;
            }
            Variant::TopK => {
                if dead.iter().any(|d| *d) {
                    let mask = top_k(&z, cfg.k_aux as usize, |i| dead[i]);
                    let e_hat: Vec<f64> = (0..N)
                        .map(|k| {
                            (0..S)
                                .filter(|i| mask[*i])
                                .map(|i| z[i] * w_dec(i, k))
                                .sum::<f64>()
                        })
                        .collect();
                    aux_rows.push((r, e_hat));
                }
            }
        }
    }
    if let Some(target) = target {
        let alpha = f64::from(cfg.aux_coefficient);
        for (r, e_hat) in aux_rows {
            let sq: f64 = (0..N).map(|k| (e_hat[k] - target[r * N + k]).powi(2)).sum();
            loss += alpha * sq / B as f64;
        }
    }
    (loss, residuals)
}

fn check(variant: Variant, dead: &[bool]) {
    let cfg = config(variant);
    let x = data(5);
    let p32 = params(&cfg);
    let mut grad = vec![0.0f32; p32.len()];
    let fwd = forward_backward(&cfg, &p32, &x, 500, dead, &mut grad);
    let p: Vec<f64> = p32.iter().map(|v| f64::from(*v)).collect();
    let (loss0, target) = reference_loss(&cfg, &p, &x, dead, None);
    let target = (variant == Variant::TopK).then_some(target);
    let (loss_ref, _) = reference_loss(&cfg, &p, &x, dead, target.as_deref());
    assert!(
        (f64::from(fwd.loss()) - loss_ref).abs() <= 1e-5 * loss_ref.abs().max(1.0),
        "{variant:?}: loss {} vs reference {loss_ref} (without aux {loss0})",
        fwd.loss()
    );
    let l = Layout::new(&cfg);
    let checked = if variant == Variant::JumpRelu {
        l.log_theta
    } else {
        l.len
    };
    let h = 1e-4;
    let numeric: Vec<f64> = (0..checked)
        .map(|j| {
            let mut plus = p.clone();
            plus[j] += h;
            let mut minus = p.clone();
            minus[j] -= h;
            (reference_loss(&cfg, &plus, &x, dead, target.as_deref()).0
                - reference_loss(&cfg, &minus, &x, dead, target.as_deref()).0)
                / (2.0 * h)
        })
        .collect();
    let scale = numeric.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    assert!(scale > 1e-3, "{variant:?}: the gradient is trivially small");
    for (j, num) in numeric.iter().enumerate() {
        let an = f64::from(grad[j]);
        assert!(
            (an - num).abs() <= 2e-3 * scale + 1e-5,
            "{variant:?}: parameter {j} analytic {an} numeric {num} (scale {scale}; layout {l:?})"
        );
    }
}

#[test]
fn l1_2023_gradients_match_finite_differences() {
    check(Variant::L1_2023, &[false; S]);
}

#[test]
fn l1_2024_gradients_match_finite_differences() {
    check(Variant::L1_2024, &[false; S]);
}

#[test]
fn topk_gradients_match_finite_differences() {
    check(Variant::TopK, &[false; S]);
}

#[test]
fn topk_auxiliary_loss_gradients_match_finite_differences() {
    let dead: Vec<bool> = (0..S).map(|i| i % 3 == 1).collect();
    check(Variant::TopK, &dead);
}

#[test]
fn jumprelu_gradients_match_finite_differences() {
    check(Variant::JumpRelu, &[false; S]);
}

/// The thresholds' straight-through estimate: a latent whose pre-activation sits just below
/// its threshold is pulled towards firing when firing would reduce the reconstruction error.
#[test]
fn jumprelu_threshold_estimate_has_the_documented_form() {
    let cfg = config(Variant::JumpRelu);
    let x = data(5);
    let p = params(&cfg);
    let mut grad = vec![0.0f32; p.len()];
    forward_backward(&cfg, &p, &x, 500, &[false; S], &mut grad);
    let l = Layout::new(&cfg);
    let g_theta = &grad[l.log_theta..l.log_theta + S];
    assert!(g_theta.iter().all(|g| g.is_finite()));
    assert!(
        g_theta.iter().any(|g| *g != 0.0),
        "no threshold received a gradient: {g_theta:?}"
    );
}
