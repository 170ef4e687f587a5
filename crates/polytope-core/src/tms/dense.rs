//! The CPU trainer's inner loop for dense data: the batch as matrices, with every product done
//! by a blocked matrix multiply (`ndarray` over `matrixmultiply`, which picks AVX/FMA at run
//! time). The same maths as [`super::model`]; the summation order inside each product differs,
//! which changes the last bits only (the parity tests' tolerances cover it).
//!
//! # Shapes (per tile of `t` samples)
//! `X, PRE, G: [t, n]`, `A = H, U: [t, m]`, `W, V: [m, n]`.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2, Axis, s};

use super::config::{Correlation, ModelKind, TmsConfig, loss_scale};
use super::data::{RowSampler, feature_value};
use crate::rng::sample_key;

/// Samples per tile: bounds the scratch to a few hundred kilobytes per worker (the memory
/// estimate counts it too).
pub const TILE: usize = 128;

/// Buffers for one worker, reused across tiles and steps.
pub struct DenseWork {
    x: Array2<f32>,
    pre: Array2<f32>,
    h: Array2<f32>,
    u: Array2<f32>,
    /// Gradients of `W` and of `V` (the abs model's `W2^T`), `[m, n]`.
    gw: Array2<f32>,
    gv: Array2<f32>,
    /// Gradient of `b`, and each output's loss for one sample, `[n]`.
    gb: Vec<f32>,
    terms: Vec<f32>,
    sampler: RowSampler,
}

impl DenseWork {
    pub fn new(cfg: &TmsConfig) -> Self {
        let (n, m) = (cfg.n(), cfg.m());
        Self {
            x: Array2::zeros((TILE, n)),
            pre: Array2::zeros((TILE, n)),
            h: Array2::zeros((TILE, m)),
            u: Array2::zeros((TILE, m)),
            gw: Array2::zeros((m, n)),
            gv: Array2::zeros((m, n)),
            gb: vec![0.0; n],
            terms: vec![0.0; n],
            sampler: RowSampler::new(&vec![0.0; n], false),
        }
    }
}

/// Forward and backward passes of samples `from .. from + count` of instance `instance`, as
/// matrix products over tiles of samples. Adds the parameter gradients to `grad` (parameter
/// layout) and returns the samples' share of the loss.
#[allow(clippy::too_many_arguments)]
pub fn instance_samples(
    cfg: &TmsConfig,
    step: u32,
    instance: usize,
    params: &[f32],
    from: u32,
    count: u32,
    work: &mut DenseWork,
    grad: &mut [f32],
) -> f32 {
    let (n, m) = (cfg.n(), cfg.m());
    let model = cfg.model;
    let untied = model.untied();
    let w = ArrayView2::from_shape((m, n), &params[..m * n]).expect("W is m x n");
    let v = if untied {
        ArrayView2::from_shape((m, n), &params[m * n..2 * m * n]).expect("W2^T is m x n")
    } else {
        w
    };
    let b = &params[params.len() - n..];
    let spec = &cfg.instances[instance];
    let (prob, importance) = (&spec.feature_probability[..], &spec.importance[..]);
    let scale = loss_scale(cfg.batch_size, cfg.n_features);
    let signed = model == ModelKind::Abs;
    let hidden_relu = matches!(model, ModelKind::Privileged | ModelKind::Abs);
    let linear = model == ModelKind::Linear;
    work.gw.fill(0.0);
    work.gv.fill(0.0);
    work.gb.fill(0.0);
    let independent = cfg.correlation == Correlation::Independent;
    work.sampler.set_probability(prob, signed);
    let mut loss = 0.0f32;

    let mut start = from;
    while start < from + count {
        let t = ((from + count - start) as usize).min(TILE);
        // X: the tile's samples, the same values as the reference.
        {
            let mut x = work.x.slice_mut(s![..t, ..]);
            for (r, mut row) in x.axis_iter_mut(Axis(0)).enumerate() {
                let key = sample_key(cfg.seed, step, instance as u32, start + r as u32);
                let row = row.as_slice_mut().expect("rows are contiguous");
                if independent {
                    work.sampler.row(key, row);
                } else {
                    for (j, xj) in row.iter_mut().enumerate() {
                        *xj = feature_value(key, j as u32, n as u32, prob, cfg.correlation, signed);
                    }
                }
            }
        }
        let x = work.x.slice(s![..t, ..]);
        // H = act(X W^T)
        let mut h = work.h.slice_mut(s![..t, ..]);
        general_mat_mul(1.0, &x, &w.t(), 0.0, &mut h);
        if hidden_relu {
            h.mapv_inplace(|a| a.max(0.0));
        }
        // PRE = H V + b, then G in place of PRE.
        let mut pre = work.pre.slice_mut(s![..t, ..]);
        for mut row in pre.axis_iter_mut(Axis(0)) {
            row.assign(&ndarray::ArrayView1::from(b));
        }
        general_mat_mul(1.0, &h, &v, 1.0, &mut pre);
        for (mut pre_row, x_row) in pre.axis_iter_mut(Axis(0)).zip(x.axis_iter(Axis(0))) {
            let pre_row = pre_row.as_slice_mut().expect("rows are contiguous");
            let x_row = x_row.to_slice().expect("rows are contiguous");
            // Branch-free so that it vectorises; `terms` holds each output's loss.
            for ((((p, xj), imp), term), gbj) in pre_row
                .iter_mut()
                .zip(x_row)
                .zip(importance)
                .zip(work.terms.iter_mut())
                .zip(work.gb.iter_mut())
            {
                let out = if linear { *p } else { p.max(0.0) };
                let target = if signed { xj.abs() } else { *xj };
                let diff = out - target;
                *term = imp * diff * diff;
                let g = 2.0 * imp * diff * scale;
                *p = if linear || *p > 0.0 { g } else { 0.0 };
                *gbj += *p;
            }
            loss += work.terms.iter().sum::<f32>() * scale;
        }
        let g = pre.view();
        // U = G V^T (masked by the hidden ReLU).
        let mut u = work.u.slice_mut(s![..t, ..]);
        general_mat_mul(1.0, &g, &v.t(), 0.0, &mut u);
        if hidden_relu {
            ndarray::Zip::from(&mut u).and(&h).for_each(|uk, hk| {
                if *hk <= 0.0 {
                    *uk = 0.0;
                }
            });
        }
        // dV += H^T G, dW += U^T X.
        let target_v = if untied { &mut work.gv } else { &mut work.gw };
        general_mat_mul(1.0, &h.t(), &g, 1.0, target_v);
        general_mat_mul(1.0, &u.t(), &x, 1.0, &mut work.gw);
        start += t as u32;
    }
    let (gw, rest) = grad.split_at_mut(m * n);
    for (g, d) in gw.iter_mut().zip(work.gw.iter()) {
        *g += d;
    }
    let gbias = if untied {
        let (gv, gbias) = rest.split_at_mut(m * n);
        for (g, d) in gv.iter_mut().zip(work.gv.iter()) {
            *g += d;
        }
        gbias
    } else {
        rest
    };
    for (g, d) in gbias.iter_mut().zip(&work.gb) {
        *g += d;
    }
    loss
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tms::model::{
        SampleScratch, accumulate_param_grads, forward_backward_sample, init_params,
    };
    use crate::tms::{InstanceSpec, preset};

    /// The reference's gradients and loss of samples `0..count` at `step`.
    fn reference(cfg: &TmsConfig, params: &[f32], step: u32, count: u32) -> (Vec<f32>, f32) {
        let (n, m) = (cfg.n(), cfg.m());
        let mut grad = vec![0.0f32; params.len()];
        let mut loss = 0.0f32;
        let (mut x, mut g, mut h, mut u, mut pre) = (
            vec![0.0; n],
            vec![0.0; n],
            vec![0.0; m],
            vec![0.0; m],
            vec![0.0; n],
        );
        let spec = &cfg.instances[0];
        for s in 0..count {
            let key = sample_key(cfg.seed, step, 0, s);
            let mut scratch = SampleScratch {
                x: &mut x,
                g: &mut g,
                h: &mut h,
                u: &mut u,
            };
            loss += forward_backward_sample(
                cfg.model,
                cfg.correlation,
                params,
                n,
                m,
                key,
                &spec.feature_probability,
                &spec.importance,
                loss_scale(cfg.batch_size, cfg.n_features),
                &mut pre,
                &mut scratch,
            );
            accumulate_param_grads(cfg.model, n, m, &x, &g, &h, &u, &mut grad);
        }
        (grad, loss)
    }

    /// The dense path computes the reference's gradients and loss for every model and every
    /// correlation structure.
    #[test]
    fn dense_path_matches_the_reference() {
        let cases = ModelKind::ALL
            .map(|m| (m, Correlation::Independent))
            .into_iter()
            .chain([
                (ModelKind::Relu, Correlation::Correlated { set_size: 2 }),
                (ModelKind::Relu, Correlation::Anticorrelated { set_size: 3 }),
            ]);
        for (model, correlation) in cases {
            let mut cfg = preset("sparsity-sweep").unwrap().config;
            cfg.model = model;
            cfg.correlation = correlation;
            cfg.batch_size = 300; // more than two tiles
            cfg.instances = vec![InstanceSpec::uniform(20, 0.4, &[0.9; 20])];
            let mut params = init_params(&cfg);
            let at = cfg.bias_offset();
            for (i, b) in params[at..].iter_mut().enumerate() {
                *b = 0.04 * (i as f32 % 3.0) - 0.03;
            }
            let (sparse, loss_sparse) = reference(&cfg, &params, 2, 300);
            let mut dense = vec![0.0f32; params.len()];
            let loss_dense = instance_samples(
                &cfg,
                2,
                0,
                &params,
                0,
                300,
                &mut DenseWork::new(&cfg),
                &mut dense,
            );
            assert!(
                (loss_dense - loss_sparse).abs() < 1e-5 * loss_sparse.abs(),
                "{model:?}: loss {loss_dense} vs {loss_sparse}"
            );
            let scale = sparse.iter().fold(0.0f32, |a, b| a.max(b.abs()));
            for (i, (a, r)) in dense.iter().zip(&sparse).enumerate() {
                assert!(
                    (a - r).abs() <= 1e-5 * scale,
                    "{model:?} parameter {i}: {a} vs {r}"
                );
            }
        }
    }
}
