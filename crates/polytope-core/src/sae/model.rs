//! The forward and backward pass of every variant over a batch: the CPU twin of the SAE
//! kernels in `polytope-gpu`. Matrix products go through `ndarray`.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2, Axis, Zip};

use super::config::{SaeConfig, Variant};
use super::sparse;
use crate::rng::HostRng;

/// Offsets of the parts of the flat parameter vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub n: usize,
    pub s: usize,
    pub w_enc: usize,
    pub b_enc: usize,
    pub w_dec: usize,
    pub b_dec: usize,
    pub log_theta: usize,
    pub len: usize,
}

impl Layout {
    pub fn new(cfg: &SaeConfig) -> Self {
        let (n, s) = (cfg.n(), cfg.s());
        let w_enc = 0;
        let b_enc = n * s;
        let w_dec = b_enc + s;
        let b_dec = w_dec + s * n;
        let log_theta = b_dec + n;
        let len = log_theta
            + if cfg.variant == Variant::JumpRelu {
                s
            } else {
                0
            };
        Self {
            n,
            s,
            w_enc,
            b_enc,
            w_dec,
            b_dec,
            log_theta,
            len,
        }
    }
}

/// The parameters of a dictionary, flat: `W_enc [n, s]`, `b_enc [s]`, `W_dec [s, n]`,
/// `b_dec [n]`, then `log theta [s]` for JumpReLU.
#[derive(Clone, Debug, PartialEq)]
pub struct SaeParams {
    pub layout: Layout,
    pub data: Vec<f32>,
}

impl SaeParams {
    /// Random unit decoder rows (norm 0.1 for the 2024 recipe, as Anthropic describes), the
    /// encoder as their transpose, zero encoder bias, decoder bias `b_dec`, and thresholds at
    /// the configured initial value.
    pub fn init(cfg: &SaeConfig, b_dec: &[f32]) -> Self {
        let layout = Layout::new(cfg);
        let (n, s) = (layout.n, layout.s);
        let mut data = vec![0.0f32; layout.len];
        let mut rng = HostRng::new(cfg.seed, 0x5AE_1417);
        let norm = if cfg.variant == Variant::L1_2024 {
            0.1
        } else {
            1.0
        };
        for i in 0..s {
            let row = &mut data[layout.w_dec + i * n..layout.w_dec + (i + 1) * n];
            let mut sq = 0.0f64;
            for v in row.iter_mut() {
                let g = rng.next_normal();
                *v = g as f32;
                sq += g * g;
            }
            let scale = norm / sq.sqrt().max(1e-12);
            for v in row.iter_mut() {
                *v = (f64::from(*v) * scale) as f32;
            }
        }
        for i in 0..s {
            for k in 0..n {
                data[layout.w_enc + k * s + i] = data[layout.w_dec + i * n + k];
            }
        }
        data[layout.b_dec..layout.b_dec + n].copy_from_slice(b_dec);
        if cfg.variant == Variant::JumpRelu {
            data[layout.log_theta..].fill(cfg.initial_threshold.ln());
        }
        Self { layout, data }
    }

    pub fn w_dec(&self) -> &[f32] {
        &self.data[self.layout.w_dec..self.layout.w_dec + self.layout.s * self.layout.n]
    }
}

/// What one batch gave, besides the gradient.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Forward {
    /// Reconstruction loss (the variant's normalisation), sparsity penalty, auxiliary loss.
    pub recon: f32,
    pub sparsity: f32,
    pub aux: f32,
    /// Mean over elements of the squared error.
    pub mse: f32,
    /// `sum ||x - x_hat||^2` and `sum ||x - mean(x)||^2` over the batch (explained variance).
    pub residual_sq: f64,
    pub total_sq: f64,
    /// Active latents per input and the mean sum of activations.
    pub l0: f32,
    pub l1: f32,
    /// How many inputs each latent fired on.
    pub fired: Vec<u32>,
}

impl Forward {
    pub fn loss(&self) -> f32 {
        self.recon + self.sparsity + self.aux
    }
}

/// Rectangle kernel of the JumpReLU straight-through estimators.
fn rectangle(u: f32) -> f32 {
    if u.abs() < 0.5 { 1.0 } else { 0.0 }
}

/// Keeps the `k` largest positive entries of `row` (ties broken towards lower indices), zeroes
/// the rest, and marks the kept ones in `mask`.
pub fn top_k_row(row: &mut [f32], k: usize, mask: &mut [bool], scratch: &mut Vec<(f32, usize)>) {
    top_k_into(row, k, |_| true, scratch);
    mask.fill(false);
    for (_, i) in scratch.iter() {
        mask[*i] = true;
    }
    for (v, keep) in row.iter_mut().zip(mask.iter()) {
        if !keep {
            *v = 0.0;
        }
    }
}

/// The `k` largest positive values of `row` among the indices `eligible` accepts, as
/// `(value, index)` in no particular order: the latents [`top_k_row`] keeps.
pub(crate) fn top_k_indices(
    row: &[f32],
    k: usize,
    eligible: impl Fn(usize) -> bool,
) -> Vec<(f32, usize)> {
    let mut picked = Vec::new();
    top_k_into(row, k, eligible, &mut picked);
    picked
}

fn top_k_into(
    row: &[f32],
    k: usize,
    eligible: impl Fn(usize) -> bool,
    scratch: &mut Vec<(f32, usize)>,
) {
    scratch.clear();
    if k == 0 {
        return;
    }
    if k <= 64 {
        // A sorted buffer of the best so far (largest first), and a bar a value must clear to
        // enter it: 0 until it is full, then its smallest value. Most blocks of 16 values
        // have nothing above the bar, which one vectorised maximum tells. Scanning in index
        // order and entering only on a strictly larger value keeps the lower index among
        // equal values; NaN never clears the bar.
        let mut bar = 0.0f32;
        for (block, values) in row.chunks(16).enumerate() {
            let top = values
                .iter()
                .fold(f32::NEG_INFINITY, |a, &b| if b > a { b } else { a });
            if top <= bar {
                continue;
            }
            for (offset, &v) in values.iter().enumerate() {
                let i = block * 16 + offset;
                if v <= bar || v.is_nan() || !eligible(i) {
                    continue;
                }
                if scratch.len() == k {
                    scratch.pop();
                }
                let at = scratch.partition_point(|(best, _)| *best >= v);
                scratch.insert(at, (v, i));
                if scratch.len() == k {
                    bar = scratch[k - 1].0;
                }
            }
        }
        return;
    }
    scratch.extend(
        row.iter()
            .copied()
            .enumerate()
            .filter(|(i, v)| *v > 0.0 && eligible(*i))
            .map(|(i, v)| (v, i)),
    );
    if scratch.len() > k {
        // Largest first; among equal values the lower index wins.
        scratch.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scratch.truncate(k);
    }
}

/// Forward and backward pass of `cfg`'s variant on `x` (`[B, n]`, already scaled), writing the
/// gradient of the loss into `grad` (same layout as the parameters, overwritten). `dead` marks
/// latents that have not fired for `dead_window` steps (TopK's auxiliary loss uses them).
pub fn forward_backward(
    cfg: &SaeConfig,
    params: &[f32],
    x: &[f32],
    step: u32,
    dead: &[bool],
    grad: &mut [f32],
) -> Forward {
    forward_backward_path(cfg, params, x, step, dead, grad, Path::Auto)
}

/// Which implementation finishes a step after the encoder's matrix product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Path {
    /// The sparse pass when the code is sparse enough ([`sparse::SPARSE_MAX_DENSITY`]).
    Auto,
    /// Dense matrix products throughout (the GPU kernels' twin).
    Dense,
    /// The sparse pass whatever the density.
    #[cfg_attr(not(test), allow(dead_code))]
    Sparse,
}

/// [`forward_backward`] on the chosen path.
pub(crate) fn forward_backward_path(
    cfg: &SaeConfig,
    params: &[f32],
    x: &[f32],
    step: u32,
    dead: &[bool],
    grad: &mut [f32],
    path: Path,
) -> Forward {
    forward_backward_inner(cfg, params, x, step, dead, grad, None, path)
}

/// The intermediate values of one [`forward_backward`], each the CPU twin of one GPU kernel's
/// output (`polytope_gpu`'s per-kernel parity tests): the pre-activations `z` (`sae_encode`),
/// the activations `f` and TopK's AuxK activations `f_aux` (`sae_activate`), the
/// reconstruction gradient `d_xhat` and AuxK's `d_e_hat` (`sae_decode`), and `d_z`
/// (`sae_backward`). `[B, s]` or `[B, n]`, row-major; the AuxK values are empty when AuxK did
/// not run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trace {
    pub z: Vec<f32>,
    pub f: Vec<f32>,
    pub f_aux: Vec<f32>,
    pub d_xhat: Vec<f32>,
    pub d_e_hat: Vec<f32>,
    pub d_z: Vec<f32>,
}

/// [`forward_backward`], keeping its intermediate values.
pub fn forward_backward_traced(
    cfg: &SaeConfig,
    params: &[f32],
    x: &[f32],
    step: u32,
    dead: &[bool],
    grad: &mut [f32],
) -> (Forward, Trace) {
    let mut trace = Trace::default();
    let forward = forward_backward_inner(
        cfg,
        params,
        x,
        step,
        dead,
        grad,
        Some(&mut trace),
        Path::Dense,
    );
    (forward, trace)
}

fn flat<D: ndarray::Dimension>(a: &ndarray::Array<f32, D>) -> Vec<f32> {
    a.iter().copied().collect()
}

#[allow(clippy::too_many_lines, clippy::too_many_arguments)]
fn forward_backward_inner(
    cfg: &SaeConfig,
    params: &[f32],
    x: &[f32],
    step: u32,
    dead: &[bool],
    grad: &mut [f32],
    mut trace: Option<&mut Trace>,
    path: Path,
) -> Forward {
    let l = Layout::new(cfg);
    let (n, s) = (l.n, l.s);
    let b = x.len() / n;
    let variant = cfg.variant;
    let x = ArrayView2::from_shape((b, n), x).expect("x is [B, n]");
    let w_enc = ArrayView2::from_shape((n, s), &params[l.w_enc..l.b_enc]).expect("W_enc");
    let b_enc = ArrayView1::from(&params[l.b_enc..l.w_dec]);
    let w_dec = ArrayView2::from_shape((s, n), &params[l.w_dec..l.b_dec]).expect("W_dec");
    let b_dec = ArrayView1::from(&params[l.b_dec..l.log_theta]);
    // Encoder input.
    let xc: Array2<f32> = if variant.pre_bias() {
        &x - &b_dec
    } else {
        x.to_owned()
    };
    // z = xc W_enc + b_enc
    let mut z = Array2::from_shape_fn((b, s), |(_, j)| b_enc[j]);
    general_mat_mul(1.0, &xc, &w_enc, 1.0, &mut z);

    let sparse = match path {
        Path::Auto => {
            let z = z.as_slice().expect("contiguous");
            sparse::density(cfg, params, z, dead) <= sparse::SPARSE_MAX_DENSITY
        }
        Path::Dense => false,
        Path::Sparse => true,
    };
    if sparse {
        let xc = xc.as_standard_layout();
        return sparse::finish_step(
            cfg,
            params,
            x.as_slice().expect("contiguous"),
            xc.as_slice().expect("contiguous"),
            z.as_slice().expect("contiguous"),
            step,
            dead,
            grad,
        );
    }

    grad.fill(0.0);
    let (g_enc, rest) = grad.split_at_mut(l.w_dec);
    let (g_w_enc, g_b_enc) = g_enc.split_at_mut(l.b_enc);
    let (g_w_dec, rest) = rest.split_at_mut(s * n);
    let (g_b_dec, g_log_theta) = rest.split_at_mut(n);

    // f = activation(z), and where the pass-through derivative is 1.
    let mut f = z.clone();
    let mut active = Array2::<bool>::from_elem((b, s), false);
    let theta: Array1<f32> = if variant == Variant::JumpRelu {
        params[l.log_theta..l.log_theta + s]
            .iter()
            .map(|v| v.exp())
            .collect()
    } else {
        Array1::zeros(0)
    };
    match variant {
        Variant::L1_2023 | Variant::L1_2024 => {
            Zip::from(&mut f).and(&mut active).for_each(|v, a| {
                *a = *v > 0.0;
                if !*a {
                    *v = 0.0;
                }
            });
        }
        Variant::TopK => {
            let mut scratch = Vec::with_capacity(s);
            for (mut row, mut mask) in f.axis_iter_mut(Axis(0)).zip(active.axis_iter_mut(Axis(0))) {
                top_k_row(
                    row.as_slice_mut().expect("contiguous"),
                    cfg.k as usize,
                    mask.as_slice_mut().expect("contiguous"),
                    &mut scratch,
                );
            }
        }
        Variant::JumpRelu => {
            for (mut row, mut mask) in f.axis_iter_mut(Axis(0)).zip(active.axis_iter_mut(Axis(0))) {
                for ((v, a), t) in row.iter_mut().zip(mask.iter_mut()).zip(theta.iter()) {
                    *a = *v > *t;
                    if !*a {
                        *v = 0.0;
                    }
                }
            }
        }
    }

    if let Some(t) = trace.as_deref_mut() {
        t.z = flat(&z);
        t.f = flat(&f);
    }

    // x_hat = f W_dec + b_dec; e = x_hat - x
    let mut x_hat = Array2::<f32>::zeros((b, n));
    for mut row in x_hat.axis_iter_mut(Axis(0)) {
        row.assign(&b_dec);
    }
    general_mat_mul(1.0, &f, &w_dec, 1.0, &mut x_hat);
    let e = &x_hat - &x;
    let residual_sq: f64 = e.iter().map(|v| f64::from(*v) * f64::from(*v)).sum();
    let mean = x.mean_axis(Axis(0)).expect("nonempty batch");
    let total_sq: f64 = (&x - &mean)
        .iter()
        .map(|v| f64::from(*v) * f64::from(*v))
        .sum();
    let elements = (b * n) as f32;
    let (recon, c) = if variant.mean_over_elements() {
        (residual_sq as f32 / elements, 2.0 / elements)
    } else {
        (residual_sq as f32 / b as f32, 2.0 / b as f32)
    };
    let d_xhat = &e * c;
    if let Some(t) = trace.as_deref_mut() {
        t.d_xhat = flat(&d_xhat);
    }

    // dL/df from the reconstruction, then the sparsity penalty.
    let mut d_f = Array2::<f32>::zeros((b, s));
    general_mat_mul(1.0, &d_xhat, &w_dec.t(), 0.0, &mut d_f);
    let lam = cfg.sparsity_at(step);
    let inv_b = 1.0 / b as f32;
    let fired: Vec<u32> = active
        .axis_iter(Axis(1))
        .map(|col| col.iter().filter(|a| **a).count() as u32)
        .collect();
    let l0 = fired.iter().map(|c| *c as f32).sum::<f32>() * inv_b;
    let l1 = f.iter().sum::<f32>() * inv_b;
    let mut d_w_dec = ArrayViewMut2::from_shape((s, n), g_w_dec).expect("dW_dec");
    general_mat_mul(1.0, &f.t(), &d_xhat, 0.0, &mut d_w_dec);
    let sparsity = match variant {
        Variant::L1_2023 => {
            d_f.mapv_inplace(|g| g + lam * inv_b);
            lam * l1
        }
        Variant::L1_2024 => {
            let norms: Vec<f32> = w_dec.axis_iter(Axis(0)).map(|r| r.dot(&r).sqrt()).collect();
            for mut row in d_f.axis_iter_mut(Axis(0)) {
                for (g, norm) in row.iter_mut().zip(&norms) {
                    *g += lam * inv_b * norm;
                }
            }
            let f_sum = f.sum_axis(Axis(0));
            for (i, mut row) in d_w_dec.axis_iter_mut(Axis(0)).enumerate() {
                let coef = lam * inv_b * f_sum[i] / norms[i].max(1e-12);
                row.scaled_add(coef, &w_dec.row(i));
            }
            lam * inv_b
                * f.axis_iter(Axis(0))
                    .map(|r| r.iter().zip(&norms).map(|(a, b)| a * b).sum::<f32>())
                    .sum::<f32>()
        }
        Variant::TopK => 0.0,
        Variant::JumpRelu => lam * l0,
    };

    // JumpReLU thresholds: straight-through estimates of the jump's effect.
    if variant == Variant::JumpRelu {
        let eps = cfg.bandwidth;
        let mut d_theta = vec![0.0f32; s];
        for (z_row, df_row) in z.axis_iter(Axis(0)).zip(d_f.axis_iter(Axis(0))) {
            for (i, (zi, dfi)) in z_row.iter().zip(df_row.iter()).enumerate() {
                let kern = rectangle((zi - theta[i]) / eps);
                if kern != 0.0 {
                    d_theta[i] += dfi * (-(theta[i] / eps) * kern) + lam * inv_b * (-(kern / eps));
                }
            }
        }
        for (i, g) in g_log_theta.iter_mut().enumerate() {
            *g = d_theta[i] * theta[i];
        }
    }

    // dL/dz through the activation.
    let mut d_z = d_f;
    Zip::from(&mut d_z).and(&active).for_each(|g, a| {
        if !*a {
            *g = 0.0;
        }
    });

    // AuxK: the dead latents' top k_aux pre-activations model the residual x - x_hat.
    let mut aux = 0.0f32;
    if variant == Variant::TopK && dead.iter().any(|d| *d) {
        let k_aux = cfg.k_aux as usize;
        let mut f_aux = z.clone();
        let mut aux_mask = Array2::<bool>::from_elem((b, s), false);
        let mut scratch = Vec::with_capacity(s);
        for (mut row, mut mask) in f_aux
            .axis_iter_mut(Axis(0))
            .zip(aux_mask.axis_iter_mut(Axis(0)))
        {
            let row = row.as_slice_mut().expect("contiguous");
            for (v, d) in row.iter_mut().zip(dead) {
                if !d {
                    *v = 0.0;
                }
            }
            top_k_row(
                row,
                k_aux,
                mask.as_slice_mut().expect("contiguous"),
                &mut scratch,
            );
        }
        let mut e_hat = Array2::<f32>::zeros((b, n));
        general_mat_mul(1.0, &f_aux, &w_dec, 0.0, &mut e_hat);
        // The target is the (detached) residual x - x_hat = -e.
        let r = &e_hat + &e;
        let alpha = cfg.aux_coefficient;
        aux = alpha * r.iter().map(|v| v * v).sum::<f32>() * inv_b;
        let d_e_hat = &r * (2.0 * alpha * inv_b);
        if let Some(t) = trace.as_deref_mut() {
            t.f_aux = flat(&f_aux);
            t.d_e_hat = flat(&d_e_hat);
        }
        general_mat_mul(1.0, &f_aux.t(), &d_e_hat, 1.0, &mut d_w_dec);
        let mut d_f_aux = Array2::<f32>::zeros((b, s));
        general_mat_mul(1.0, &d_e_hat, &w_dec.t(), 0.0, &mut d_f_aux);
        Zip::from(&mut d_z)
            .and(&d_f_aux)
            .and(&aux_mask)
            .for_each(|g, a, m| {
                if *m {
                    *g += a;
                }
            });
    }

    if let Some(t) = trace {
        t.d_z = flat(&d_z);
    }

    // Encoder gradients.
    {
        let mut d_w_enc = ArrayViewMut2::from_shape((n, s), g_w_enc).expect("dW_enc");
        general_mat_mul(1.0, &xc.t(), &d_z, 0.0, &mut d_w_enc);
    }
    {
        let mut d_b_enc = ArrayViewMut1::from(g_b_enc);
        d_b_enc.assign(&d_z.sum_axis(Axis(0)));
    }
    {
        let mut d_b_dec = d_xhat.sum_axis(Axis(0));
        if variant.pre_bias() {
            // xc = x - b_dec: the encoder's input moves with b_dec too.
            let mut d_xc = Array2::<f32>::zeros((b, n));
            general_mat_mul(1.0, &d_z, &w_enc.t(), 0.0, &mut d_xc);
            d_b_dec -= &d_xc.sum_axis(Axis(0));
        }
        g_b_dec.copy_from_slice(d_b_dec.as_slice().expect("contiguous"));
    }

    Forward {
        recon,
        sparsity,
        aux,
        mse: residual_sq as f32 / elements,
        residual_sq,
        total_sq,
        l0,
        l1,
        fired,
    }
}

/// Reconstructions of `x` (`[B, n]`, scaled) by the dictionary, `[B, n]` (forward only).
pub fn reconstruct(cfg: &SaeConfig, params: &[f32], x: &[f32]) -> Vec<f32> {
    let l = Layout::new(cfg);
    let (n, s) = (l.n, l.s);
    let b = x.len() / n;
    let f = encode(cfg, params, x);
    let f = ArrayView2::from_shape((b, s), &f).expect("f");
    let w_dec = ArrayView2::from_shape((s, n), &params[l.w_dec..l.b_dec]).expect("W_dec");
    let b_dec = ArrayView1::from(&params[l.b_dec..l.log_theta]);
    let mut x_hat = Array2::<f32>::zeros((b, n));
    for mut row in x_hat.axis_iter_mut(Axis(0)) {
        row.assign(&b_dec);
    }
    general_mat_mul(1.0, &f, &w_dec, 1.0, &mut x_hat);
    x_hat.into_raw_vec_and_offset().0
}

/// The latent activations of `x` (`[B, n]`, scaled) under the dictionary: `[B, s]`, zero
/// where a latent is inactive (forward only).
pub fn encode(cfg: &SaeConfig, params: &[f32], x: &[f32]) -> Vec<f32> {
    let l = Layout::new(cfg);
    let (n, s) = (l.n, l.s);
    let b = x.len() / n;
    let xv = ArrayView2::from_shape((b, n), x).expect("x");
    let w_enc = ArrayView2::from_shape((n, s), &params[l.w_enc..l.b_enc]).expect("W_enc");
    let b_enc = ArrayView1::from(&params[l.b_enc..l.w_dec]);
    let b_dec = ArrayView1::from(&params[l.b_dec..l.log_theta]);
    let xc: Array2<f32> = if cfg.variant.pre_bias() {
        &xv - &b_dec
    } else {
        xv.to_owned()
    };
    let mut z = Array2::<f32>::zeros((b, s));
    for mut row in z.axis_iter_mut(Axis(0)) {
        row.assign(&b_enc);
    }
    general_mat_mul(1.0, &xc, &w_enc, 1.0, &mut z);
    let mut mask = vec![false; s];
    let mut scratch = Vec::new();
    for mut row in z.axis_iter_mut(Axis(0)) {
        let row = row.as_slice_mut().expect("contiguous");
        match cfg.variant {
            Variant::L1_2023 | Variant::L1_2024 => row.iter_mut().for_each(|v| *v = v.max(0.0)),
            Variant::TopK => top_k_row(row, cfg.k as usize, &mut mask, &mut scratch),
            Variant::JumpRelu => {
                for (v, lt) in row.iter_mut().zip(&params[l.log_theta..l.log_theta + s]) {
                    if *v <= lt.exp() {
                        *v = 0.0;
                    }
                }
            }
        }
    }
    z.into_raw_vec_and_offset().0
}
