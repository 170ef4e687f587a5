//! The forward and backward pass of every toy model, one sample at a time: the CPU twin of
//! the kernels in `crates/polytope-gpu/src/tms_*.wgsl`.
//!
//! Backpropagation is split the way the GPU splits it:
//! 1. per sample ([`forward_backward_sample`], twin of `tms_sample.wgsl`): draw `x`, run the
//!    model, and keep `h` (hidden activations), `g = dL/d(pre-activation of the output)` and
//!    `u = dL/d(pre-activation of the hidden layer)`;
//! 2. per parameter ([`accumulate_param_grads`], twin of `tms_grad.wgsl`): sum over samples,
//!    `dL/dW[k, j] = sum_s h_k g_j + u_k x_j` for tied weights, `dL/dW1[k, j] = sum_s u_k x_j`
//!    and `dL/dW2^T[k, j] = sum_s h_k g_j` for the untied abs model, `dL/db_j = sum_s g_j`;
//! 3. the optimizer step (twin of `tms_adam.wgsl`).

use super::config::{Correlation, ModelKind, TmsConfig};
use super::data::feature_value;
use crate::rng::HostRng;

/// What one sample leaves behind for the parameter gradients.
///
/// # Shapes
/// `x`, `g`: `[n]`; `h`, `u`: `[m]`.
pub struct SampleScratch<'a> {
    pub x: &'a mut [f32],
    pub g: &'a mut [f32],
    pub h: &'a mut [f32],
    pub u: &'a mut [f32],
}

/// Runs one sample through instance parameters `params` (layout in [`TmsConfig`]), fills the
/// scratch and returns the sample's share of the loss.
///
/// `pre` is a caller-provided buffer of length `n` (no allocation in the training loop).
#[allow(clippy::too_many_arguments)]
pub fn forward_backward_sample(
    model: ModelKind,
    correlation: Correlation,
    params: &[f32],
    n: usize,
    m: usize,
    key: u32,
    probability: &[f32],
    importance: &[f32],
    loss_scale: f32,
    pre: &mut [f32],
    s: &mut SampleScratch<'_>,
) -> f32 {
    let w = &params[..m * n];
    let v = if model.untied() {
        &params[m * n..2 * m * n]
    } else {
        w
    };
    let b = &params[params.len() - n..];
    let signed = model == ModelKind::Abs;
    let hidden_relu = matches!(model, ModelKind::Privileged | ModelKind::Abs);

    // Pass 1: x and the hidden pre-activation a = W x, skipping absent features.
    s.h.fill(0.0);
    for j in 0..n {
        let xj = feature_value(key, j as u32, n as u32, probability, correlation, signed);
        s.x[j] = xj;
        if xj != 0.0 {
            for (k, a) in s.h.iter_mut().enumerate() {
                *a += w[k * n + j] * xj;
            }
        }
    }
    // s.h holds a; u needs the mask a > 0 later, which equals h > 0 after the ReLU.
    if hidden_relu {
        for a in s.h.iter_mut() {
            *a = a.max(0.0);
        }
    }

    // Pass 2: output pre-activation pre = V^T h + b, row by row so that it vectorises.
    pre.copy_from_slice(b);
    for (k, hk) in s.h.iter().enumerate() {
        if *hk != 0.0 {
            for (p, vkj) in pre.iter_mut().zip(&v[k * n..(k + 1) * n]) {
                *p += vkj * hk;
            }
        }
    }

    // Loss and g = dL/dpre, then u = V g (masked by the hidden ReLU).
    let mut loss = 0.0f32;
    s.u.fill(0.0);
    for j in 0..n {
        let p = pre[j];
        let out = if model == ModelKind::Linear {
            p
        } else {
            p.max(0.0)
        };
        let target = if signed { s.x[j].abs() } else { s.x[j] };
        let diff = out - target;
        loss += importance[j] * diff * diff;
        let gj = if model == ModelKind::Linear || p > 0.0 {
            2.0 * importance[j] * diff * loss_scale
        } else {
            0.0
        };
        s.g[j] = gj;
        if gj != 0.0 {
            for (k, uk) in s.u.iter_mut().enumerate() {
                *uk += v[k * n + j] * gj;
            }
        }
    }
    if hidden_relu {
        for (uk, hk) in s.u.iter_mut().zip(s.h.iter()) {
            if *hk <= 0.0 {
                *uk = 0.0;
            }
        }
    }
    loss * loss_scale
}

/// Adds the parameter gradients of `samples` (the per-sample scratch, row-major `[samples, n]`
/// and `[samples, m]`) to `grad` (one instance's parameters), summing samples in order.
pub fn accumulate_param_grads(
    model: ModelKind,
    n: usize,
    m: usize,
    x: &[f32],
    g: &[f32],
    h: &[f32],
    u: &[f32],
    grad: &mut [f32],
) {
    let samples = x.len() / n;
    let (gw, rest) = grad.split_at_mut(m * n);
    let (mut gv, gb) = if model.untied() {
        let (gv, gb) = rest.split_at_mut(m * n);
        (Some(gv), gb)
    } else {
        (None, rest)
    };
    for s in 0..samples {
        let xs = &x[s * n..(s + 1) * n];
        let gs = &g[s * n..(s + 1) * n];
        let hs = &h[s * m..(s + 1) * m];
        let us = &u[s * m..(s + 1) * m];
        for (gbj, gj) in gb.iter_mut().zip(gs) {
            *gbj += gj;
        }
        for k in 0..m {
            let (hk, uk) = (hs[k], us[k]);
            match gv.as_deref_mut() {
                // Tied weights: both paths through W meet in one gradient.
                None => {
                    let row = &mut gw[k * n..(k + 1) * n];
                    for ((r, gj), xj) in row.iter_mut().zip(gs).zip(xs) {
                        *r += hk * gj + uk * xj;
                    }
                }
                Some(gv) => {
                    let row1 = &mut gw[k * n..(k + 1) * n];
                    if uk != 0.0 {
                        for (r, xj) in row1.iter_mut().zip(xs) {
                            *r += uk * xj;
                        }
                    }
                    let row2 = &mut gv[k * n..(k + 1) * n];
                    if hk != 0.0 {
                        for (r, gj) in row2.iter_mut().zip(gs) {
                            *r += hk * gj;
                        }
                    }
                }
            }
        }
    }
}

/// Initial parameters of every instance: Xavier-normal weights (`std = sqrt(2 / (n + m))`, per
/// matrix), zero bias. Instance `i` draws from its own stream, so it starts the same whatever
/// the other instances are.
pub fn init_params(cfg: &TmsConfig) -> Vec<f32> {
    let (n, m) = (cfg.n(), cfg.m());
    let per = cfg.params_per_instance();
    let mats = if cfg.model.untied() { 2 } else { 1 };
    let std = (2.0 / (n + m) as f64).sqrt();
    let mut params = vec![0.0f32; per * cfg.instance_count()];
    for (i, inst) in params.chunks_mut(per).enumerate() {
        let mut rng = HostRng::new(cfg.seed, i as u32);
        for p in &mut inst[..mats * m * n] {
            *p = (rng.next_normal() * std) as f32;
        }
    }
    params
}
