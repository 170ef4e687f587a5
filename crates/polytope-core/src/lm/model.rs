//! The subject model: a one-layer transformer with one attention block and one ReLU MLP,
//! the size Towards Monosemanticity used (d_model 128, 512 MLP neurons), without layer norm.
//!
//! ```text
//! x0 = E[token] + P[position]
//! x1 = x0 + Attn(x0)                       causal, n_heads heads, no biases
//! h  = ReLU(x1 W_in + b_in)                the 512 MLP neurons the dictionaries read
//! x2 = x1 + h W_out + b_out
//! logits = x2 W_U + b_U
//! ```
//! Every matrix is stored row-major as `[inputs, outputs]`, so a layer is `y = x W`. All
//! parameters live in one flat vector ([`ParamLayout`] names the slices), which is what the
//! optimiser updates and what the model file stores. The forward pass takes an optional hook
//! on `h`, which is how activations are read and how an SAE's reconstruction is spliced in.

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};
use serde::{Deserialize, Serialize};

/// A function that sees (and may change) the MLP activations `[rows, d_mlp]` after the ReLU.
pub type Hook<'a> = &'a mut dyn FnMut(&mut [f32]);

/// The shape of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LmConfig {
    pub vocab: usize,
    pub d_model: usize,
    pub n_heads: usize,
    pub d_mlp: usize,
    /// Longest context the positional embedding covers.
    pub ctx: usize,
}

impl LmConfig {
    /// The paper's size with our tokenizer's vocabulary.
    pub fn paper(vocab: usize) -> Self {
        Self {
            vocab,
            d_model: 128,
            n_heads: 4,
            d_mlp: 512,
            ctx: 64,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.vocab < 2 || self.vocab > 65_536 {
            return Err(format!("vocab {} outside 2..=65536", self.vocab));
        }
        if self.d_model == 0 || self.n_heads == 0 || !self.d_model.is_multiple_of(self.n_heads) {
            return Err(format!(
                "d_model {} must be a positive multiple of n_heads {}",
                self.d_model, self.n_heads
            ));
        }
        if self.d_mlp == 0 || self.d_mlp > 65_536 || self.d_model > 4096 {
            return Err(format!(
                "d_mlp {} / d_model {} out of range",
                self.d_mlp, self.d_model
            ));
        }
        if self.ctx == 0 || self.ctx > 4096 {
            return Err(format!("ctx {} outside 1..=4096", self.ctx));
        }
        Ok(())
    }

    pub fn layout(&self) -> ParamLayout {
        ParamLayout::new(self)
    }

    pub fn head_dim(&self) -> usize {
        self.d_model / self.n_heads
    }
}

/// Offsets of each tensor in the flat parameter vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamLayout {
    /// `E [vocab, d]`
    pub embed: usize,
    /// `P [ctx, d]`
    pub pos: usize,
    /// `W_qkv [d, 3d]`: queries, keys, values side by side; head `h` owns columns `h*dh..`.
    pub w_qkv: usize,
    /// `W_o [d, d]`
    pub w_o: usize,
    /// `W_in [d, d_mlp]`
    pub w_in: usize,
    pub b_in: usize,
    /// `W_out [d_mlp, d]`
    pub w_out: usize,
    pub b_out: usize,
    /// `W_U [d, vocab]`
    pub w_u: usize,
    pub b_u: usize,
    pub len: usize,
}

impl ParamLayout {
    fn new(c: &LmConfig) -> Self {
        let d = c.d_model;
        let embed = 0;
        let pos = embed + c.vocab * d;
        let w_qkv = pos + c.ctx * d;
        let w_o = w_qkv + d * 3 * d;
        let w_in = w_o + d * d;
        let b_in = w_in + d * c.d_mlp;
        let w_out = b_in + c.d_mlp;
        let b_out = w_out + c.d_mlp * d;
        let w_u = b_out + d;
        let b_u = w_u + d * c.vocab;
        let len = b_u + c.vocab;
        Self {
            embed,
            pos,
            w_qkv,
            w_o,
            w_in,
            b_in,
            w_out,
            b_out,
            w_u,
            b_u,
            len,
        }
    }

    /// Named ranges, in storage order (for files, reports and weight decay).
    pub fn tensors(&self) -> [(&'static str, std::ops::Range<usize>, bool); 10] {
        [
            ("embed", self.embed..self.pos, true),
            ("pos", self.pos..self.w_qkv, true),
            ("w_qkv", self.w_qkv..self.w_o, true),
            ("w_o", self.w_o..self.w_in, true),
            ("w_in", self.w_in..self.b_in, true),
            ("b_in", self.b_in..self.w_out, false),
            ("w_out", self.w_out..self.b_out, true),
            ("b_out", self.b_out..self.w_u, false),
            ("w_u", self.w_u..self.b_u, true),
            ("b_u", self.b_u..self.len, false),
        ]
    }
}

/// `c = alpha * op(a) op(b) + beta * c` on row-major slices (`op` transposes when asked).
/// Shapes are those of `op(a)` (`m x k`) and `op(b)` (`k x n`).
#[allow(clippy::fn_params_excessive_bools)]
pub(crate) fn gemm(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    ta: bool,
    b: &[f32],
    tb: bool,
    beta: f32,
    c: &mut [f32],
) {
    let av = if ta {
        ArrayView2::from_shape((k, m), a)
            .expect("gemm a")
            .reversed_axes()
    } else {
        ArrayView2::from_shape((m, k), a).expect("gemm a")
    };
    let bv = if tb {
        ArrayView2::from_shape((n, k), b)
            .expect("gemm b")
            .reversed_axes()
    } else {
        ArrayView2::from_shape((k, n), b).expect("gemm b")
    };
    let mut cv = ArrayViewMut2::from_shape((m, n), c).expect("gemm c");
    general_mat_mul(1.0, &av, &bv, beta, &mut cv);
}

/// Everything the forward pass computed that the backward pass needs.
#[derive(Clone, Debug, Default)]
pub struct ForwardCache {
    pub batch: usize,
    pub len: usize,
    pub x0: Vec<f32>,
    pub qkv: Vec<f32>,
    /// Attention patterns `[batch, heads, len, len]` (zero above the diagonal).
    pub attn: Vec<f32>,
    pub z: Vec<f32>,
    pub x1: Vec<f32>,
    /// MLP pre-activations `[batch * len, d_mlp]`.
    pub pre: Vec<f32>,
    /// MLP activations after the ReLU (after the hook, if any) `[batch * len, d_mlp]`.
    pub h: Vec<f32>,
    pub x2: Vec<f32>,
    pub logits: Vec<f32>,
}

/// Per-token cross-entropy of next-token prediction over `batch` sequences of `len` tokens
/// (the last position of each sequence predicts nothing). Returns (mean loss, dlogits).
pub fn next_token_loss(
    logits: &[f32],
    tokens: &[u16],
    batch: usize,
    len: usize,
    vocab: usize,
    want_grad: bool,
) -> (f64, Vec<f32>) {
    let count = batch * (len - 1);
    let mut total = 0.0f64;
    let mut d = if want_grad {
        vec![0.0f32; logits.len()]
    } else {
        Vec::new()
    };
    let inv = 1.0 / count.max(1) as f32;
    for b in 0..batch {
        for t in 0..len - 1 {
            let row = (b * len + t) * vocab;
            let l = &logits[row..row + vocab];
            let target = usize::from(tokens[b * len + t + 1]);
            let max = l.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let sum: f64 = l.iter().map(|v| f64::from((v - max).exp())).sum();
            let lse = f64::from(max) + sum.ln();
            total += lse - f64::from(l[target]);
            if want_grad {
                let g = &mut d[row..row + vocab];
                for (gi, li) in g.iter_mut().zip(l) {
                    *gi = (f64::from(*li) - lse).exp() as f32 * inv;
                }
                g[target] -= inv;
            }
        }
    }
    (total / count.max(1) as f64, d)
}

/// The model: its shape and its parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct LmModel {
    pub config: LmConfig,
    pub params: Vec<f32>,
}

impl LmModel {
    /// A freshly initialised model: embeddings N(0, 0.3^2), positional N(0, 0.1^2), layers
    /// N(0, 1/fan_in) with the residual outputs halved, a small unembedding, zero biases.
    pub fn init(config: LmConfig, seed: u32) -> Self {
        let l = config.layout();
        let mut params = vec![0.0f32; l.len];
        let mut rng = crate::rng::HostRng::new(seed, 0x4C4D_0001);
        let d = config.d_model as f64;
        let mut fill = |range: std::ops::Range<usize>, std: f64| {
            for p in &mut params[range] {
                *p = (rng.next_normal() * std) as f32;
            }
        };
        fill(l.embed..l.pos, 0.3);
        fill(l.pos..l.w_qkv, 0.1);
        fill(l.w_qkv..l.w_o, 1.0 / d.sqrt());
        fill(l.w_o..l.w_in, 0.5 / d.sqrt());
        fill(l.w_in..l.b_in, 1.0 / d.sqrt());
        fill(l.w_out..l.b_out, 0.5 / (config.d_mlp as f64).sqrt());
        fill(l.w_u..l.b_u, 0.02);
        Self { config, params }
    }

    /// Forward pass over `batch` sequences of `len <= ctx` tokens each (`tokens.len() ==
    /// batch * len`). `hook` sees the MLP activations `[batch * len, d_mlp]` after the ReLU and
    /// may change them (to record them, or to splice in a reconstruction).
    pub fn forward(
        &self,
        tokens: &[u16],
        batch: usize,
        len: usize,
        hook: Option<Hook<'_>>,
    ) -> ForwardCache {
        let mut cache = self.forward_to_mlp(tokens, batch, len, hook);
        let c = &self.config;
        let l = c.layout();
        let p = &self.params;
        let (d, dm, v) = (c.d_model, c.d_mlp, c.vocab);
        let rows = batch * len;
        let mut x2 = cache.x1.clone();
        for row in x2.chunks_exact_mut(d) {
            for (o, b) in row.iter_mut().zip(&p[l.b_out..l.w_u]) {
                *o += b;
            }
        }
        gemm(
            rows,
            dm,
            d,
            &cache.h,
            false,
            &p[l.w_out..l.b_out],
            false,
            1.0,
            &mut x2,
        );
        let mut logits = vec![0.0f32; rows * v];
        for row in logits.chunks_exact_mut(v) {
            row.copy_from_slice(&p[l.b_u..l.len]);
        }
        gemm(
            rows,
            d,
            v,
            &x2,
            false,
            &p[l.w_u..l.b_u],
            false,
            1.0,
            &mut logits,
        );
        cache.x2 = x2;
        cache.logits = logits;
        cache
    }

    /// The forward pass up to the MLP activations (after the hook): everything but `x2` and
    /// `logits`, which stay empty. What reading activations needs, without the unembedding
    /// (the most expensive layer at this size).
    pub fn forward_to_mlp(
        &self,
        tokens: &[u16],
        batch: usize,
        len: usize,
        hook: Option<Hook<'_>>,
    ) -> ForwardCache {
        let c = &self.config;
        let l = c.layout();
        let p = &self.params;
        let (d, dm, v) = (c.d_model, c.d_mlp, c.vocab);
        assert!(
            len >= 1 && len <= c.ctx,
            "sequence length {len} outside 1..={}",
            c.ctx
        );
        assert_eq!(tokens.len(), batch * len, "tokens must be batch * len");
        let rows = batch * len;

        let mut x0 = vec![0.0f32; rows * d];
        for (r, row) in x0.chunks_exact_mut(d).enumerate() {
            let tok = usize::from(tokens[r]).min(v - 1);
            let t = r % len;
            let e = &p[l.embed + tok * d..l.embed + (tok + 1) * d];
            let q = &p[l.pos + t * d..l.pos + (t + 1) * d];
            for ((o, a), b) in row.iter_mut().zip(e).zip(q) {
                *o = a + b;
            }
        }
        let mut qkv = vec![0.0f32; rows * 3 * d];
        gemm(
            rows,
            d,
            3 * d,
            &x0,
            false,
            &p[l.w_qkv..l.w_o],
            false,
            0.0,
            &mut qkv,
        );
        let (attn, z) = attention_forward(c, &qkv, batch, len);
        let mut x1 = x0.clone();
        gemm(
            rows,
            d,
            d,
            &z,
            false,
            &p[l.w_o..l.w_in],
            false,
            1.0,
            &mut x1,
        );

        let mut pre = vec![0.0f32; rows * dm];
        for row in pre.chunks_exact_mut(dm) {
            row.copy_from_slice(&p[l.b_in..l.w_out]);
        }
        gemm(
            rows,
            d,
            dm,
            &x1,
            false,
            &p[l.w_in..l.b_in],
            false,
            1.0,
            &mut pre,
        );
        let mut h: Vec<f32> = pre.iter().map(|x| x.max(0.0)).collect();
        if let Some(hook) = hook {
            hook(&mut h);
        }
        ForwardCache {
            batch,
            len,
            x0,
            qkv,
            attn,
            z,
            x1,
            pre,
            h,
            x2: Vec::new(),
            logits: Vec::new(),
        }
    }

    /// Mean next-token loss and its gradient with respect to every parameter.
    pub fn loss_and_grad(&self, tokens: &[u16], batch: usize, len: usize, grad: &mut [f32]) -> f64 {
        let cache = self.forward(tokens, batch, len, None);
        let (loss, dlogits) =
            next_token_loss(&cache.logits, tokens, batch, len, self.config.vocab, true);
        self.backward(tokens, &cache, &dlogits, grad);
        loss
    }

    /// Gradients of every parameter given dL/dlogits (overwrites `grad`).
    pub fn backward(
        &self,
        tokens: &[u16],
        cache: &ForwardCache,
        dlogits: &[f32],
        grad: &mut [f32],
    ) {
        let c = &self.config;
        let l = c.layout();
        let p = &self.params;
        let (d, dm, v) = (c.d_model, c.d_mlp, c.vocab);
        let (batch, len) = (cache.batch, cache.len);
        let rows = batch * len;
        assert_eq!(grad.len(), l.len);
        grad.fill(0.0);

        // Unembedding.
        gemm(
            d,
            rows,
            v,
            &cache.x2,
            true,
            dlogits,
            false,
            0.0,
            &mut grad[l.w_u..l.b_u],
        );
        column_sums(dlogits, v, &mut grad[l.b_u..l.len]);
        let mut dx = vec![0.0f32; rows * d];
        gemm(
            rows,
            v,
            d,
            dlogits,
            false,
            &p[l.w_u..l.b_u],
            true,
            0.0,
            &mut dx,
        );

        // MLP (dx is dL/dx2 = the residual's gradient, flowing on to x1 unchanged).
        gemm(
            dm,
            rows,
            d,
            &cache.h,
            true,
            &dx,
            false,
            0.0,
            &mut grad[l.w_out..l.b_out],
        );
        column_sums(&dx, d, &mut grad[l.b_out..l.w_u]);
        let mut dpre = vec![0.0f32; rows * dm];
        gemm(
            rows,
            d,
            dm,
            &dx,
            false,
            &p[l.w_out..l.b_out],
            true,
            0.0,
            &mut dpre,
        );
        for (g, x) in dpre.iter_mut().zip(&cache.pre) {
            if *x <= 0.0 {
                *g = 0.0;
            }
        }
        gemm(
            d,
            rows,
            dm,
            &cache.x1,
            true,
            &dpre,
            false,
            0.0,
            &mut grad[l.w_in..l.b_in],
        );
        column_sums(&dpre, dm, &mut grad[l.b_in..l.w_out]);
        gemm(
            rows,
            dm,
            d,
            &dpre,
            false,
            &p[l.w_in..l.b_in],
            true,
            1.0,
            &mut dx,
        );

        // Attention (dx is now dL/dx1, which also flows on to x0).
        gemm(
            d,
            rows,
            d,
            &cache.z,
            true,
            &dx,
            false,
            0.0,
            &mut grad[l.w_o..l.w_in],
        );
        let mut dz = vec![0.0f32; rows * d];
        gemm(
            rows,
            d,
            d,
            &dx,
            false,
            &p[l.w_o..l.w_in],
            true,
            0.0,
            &mut dz,
        );
        let dqkv = attention_backward(c, &cache.qkv, &cache.attn, &dz, batch, len);
        gemm(
            d,
            rows,
            3 * d,
            &cache.x0,
            true,
            &dqkv,
            false,
            0.0,
            &mut grad[l.w_qkv..l.w_o],
        );
        gemm(
            rows,
            3 * d,
            d,
            &dqkv,
            false,
            &p[l.w_qkv..l.w_o],
            true,
            1.0,
            &mut dx,
        );

        // Embeddings.
        for (r, row) in dx.chunks_exact(d).enumerate() {
            let tok = usize::from(tokens[r]).min(v - 1);
            let t = r % len;
            let ge = &mut grad[l.embed + tok * d..l.embed + (tok + 1) * d];
            for (g, x) in ge.iter_mut().zip(row) {
                *g += x;
            }
            let gp = &mut grad[l.pos + t * d..l.pos + (t + 1) * d];
            for (g, x) in gp.iter_mut().zip(row) {
                *g += x;
            }
        }
    }

    /// The MLP activations (after the ReLU) for `batch` sequences of `len` tokens:
    /// `[batch * len, d_mlp]` (the output layer and the unembedding are skipped).
    pub fn mlp_activations(&self, tokens: &[u16], batch: usize, len: usize) -> Vec<f32> {
        self.forward_to_mlp(tokens, batch, len, None).h
    }

    /// Mean next-token loss with an optional hook on the MLP activations.
    pub fn loss_with_hook(
        &self,
        tokens: &[u16],
        batch: usize,
        len: usize,
        hook: Option<Hook<'_>>,
    ) -> f64 {
        let cache = self.forward(tokens, batch, len, hook);
        next_token_loss(&cache.logits, tokens, batch, len, self.config.vocab, false).0
    }

    /// The direct effect of a direction in MLP-activation space on the logits:
    /// `u W_out W_U` (no layer norm to fold in). `u` has `d_mlp` entries.
    pub fn logit_effect(&self, u: &[f32]) -> Vec<f32> {
        let c = &self.config;
        let l = c.layout();
        let mut r = vec![0.0f32; c.d_model];
        gemm(
            1,
            c.d_mlp,
            c.d_model,
            u,
            false,
            &self.params[l.w_out..l.b_out],
            false,
            0.0,
            &mut r,
        );
        let mut out = vec![0.0f32; c.vocab];
        gemm(
            1,
            c.d_model,
            c.vocab,
            &r,
            false,
            &self.params[l.w_u..l.b_u],
            false,
            0.0,
            &mut out,
        );
        out
    }

    /// Rounds every parameter to f16 and back: the shipped model's exact values.
    pub fn round_to_f16(&mut self) {
        for p in &mut self.params {
            *p = half::f16::from_f32(*p).to_f32();
        }
    }
}

fn column_sums(m: &[f32], cols: usize, out: &mut [f32]) {
    out.fill(0.0);
    for row in m.chunks_exact(cols) {
        for (o, x) in out.iter_mut().zip(row) {
            *o += x;
        }
    }
}

/// Causal multi-head attention: returns the patterns `[batch, heads, len, len]` and the mixed
/// values `z [batch * len, d]`.
fn attention_forward(c: &LmConfig, qkv: &[f32], batch: usize, len: usize) -> (Vec<f32>, Vec<f32>) {
    let (d, nh, dh) = (c.d_model, c.n_heads, c.head_dim());
    let scale = 1.0 / (dh as f32).sqrt();
    let mut attn = vec![0.0f32; batch * nh * len * len];
    let mut z = vec![0.0f32; batch * len * d];
    let per_seq = |b: usize, a: &mut [f32], zb: &mut [f32]| {
        let base = b * len;
        for h in 0..nh {
            let pat = &mut a[h * len * len..(h + 1) * len * len];
            for i in 0..len {
                let q = &qkv[(base + i) * 3 * d + h * dh..][..dh];
                let row = &mut pat[i * len..(i + 1) * len];
                let mut max = f32::NEG_INFINITY;
                for j in 0..=i {
                    let k = &qkv[(base + j) * 3 * d + d + h * dh..][..dh];
                    let s = dot(q, k) * scale;
                    row[j] = s;
                    max = max.max(s);
                }
                let mut sum = 0.0f32;
                for x in &mut row[..=i] {
                    *x = (*x - max).exp();
                    sum += *x;
                }
                let inv = 1.0 / sum;
                for x in &mut row[..=i] {
                    *x *= inv;
                }
                let out = &mut zb[i * d + h * dh..i * d + (h + 1) * dh];
                for j in 0..=i {
                    let w = row[j];
                    let vv = &qkv[(base + j) * 3 * d + 2 * d + h * dh..][..dh];
                    for (o, x) in out.iter_mut().zip(vv) {
                        *o += w * x;
                    }
                }
            }
        }
    };
    for_each_sequence(&mut attn, nh * len * len, &mut z, len * d, per_seq);
    (attn, z)
}

/// Gradient of the attention block with respect to `qkv`, given dL/dz.
fn attention_backward(
    c: &LmConfig,
    qkv: &[f32],
    attn: &[f32],
    dz: &[f32],
    batch: usize,
    len: usize,
) -> Vec<f32> {
    let (d, nh, dh) = (c.d_model, c.n_heads, c.head_dim());
    let scale = 1.0 / (dh as f32).sqrt();
    let mut dqkv = vec![0.0f32; batch * len * 3 * d];
    let per_seq = |b: usize, dq: &mut [f32]| {
        let base = b * len;
        let mut da = vec![0.0f32; len];
        for h in 0..nh {
            let pat = &attn[(b * nh + h) * len * len..(b * nh + h + 1) * len * len];
            for i in 0..len {
                let row = &pat[i * len..(i + 1) * len];
                let g = &dz[(base + i) * d + h * dh..][..dh];
                // dA_ij = g . v_j ; dv_j += A_ij g
                let mut acc = 0.0f32;
                for j in 0..=i {
                    let vv = &qkv[(base + j) * 3 * d + 2 * d + h * dh..][..dh];
                    da[j] = dot(g, vv);
                    acc += da[j] * row[j];
                    let dv = &mut dq[j * 3 * d + 2 * d + h * dh..][..dh];
                    for (o, x) in dv.iter_mut().zip(g) {
                        *o += row[j] * x;
                    }
                }
                // dS_ij = A_ij (dA_ij - sum_k A_ik dA_ik), times the scale for q and k.
                let q = qkv[(base + i) * 3 * d + h * dh..][..dh].to_vec();
                let mut dqi = vec![0.0f32; dh];
                for j in 0..=i {
                    let ds = row[j] * (da[j] - acc) * scale;
                    if ds == 0.0 {
                        continue;
                    }
                    let k = &qkv[(base + j) * 3 * d + d + h * dh..][..dh];
                    for (o, x) in dqi.iter_mut().zip(k) {
                        *o += ds * x;
                    }
                    let dk = &mut dq[j * 3 * d + d + h * dh..][..dh];
                    for (o, x) in dk.iter_mut().zip(&q) {
                        *o += ds * x;
                    }
                }
                let dqs = &mut dq[i * 3 * d + h * dh..][..dh];
                for (o, x) in dqs.iter_mut().zip(&dqi) {
                    *o += x;
                }
            }
        }
    };
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        dqkv.par_chunks_mut(len * 3 * d)
            .enumerate()
            .for_each(|(b, dq)| per_seq(b, dq));
    }
    #[cfg(not(feature = "parallel"))]
    for (b, dq) in dqkv.chunks_mut(len * 3 * d).enumerate() {
        per_seq(b, dq);
    }
    dqkv
}

fn for_each_sequence(
    a: &mut [f32],
    a_step: usize,
    z: &mut [f32],
    z_step: usize,
    f: impl Fn(usize, &mut [f32], &mut [f32]) + Sync,
) {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        a.par_chunks_mut(a_step)
            .zip(z.par_chunks_mut(z_step))
            .enumerate()
            .for_each(|(b, (ab, zb))| f(b, ab, zb));
    }
    #[cfg(not(feature = "parallel"))]
    for (b, (ab, zb)) in a.chunks_mut(a_step).zip(z.chunks_mut(z_step)).enumerate() {
        f(b, ab, zb);
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> LmModel {
        let cfg = LmConfig {
            vocab: 11,
            d_model: 8,
            n_heads: 2,
            d_mlp: 12,
            ctx: 6,
        };
        let mut m = LmModel::init(cfg, 3);
        // Non-zero biases and a real unembedding so every gradient path is exercised.
        let l = cfg.layout();
        let mut rng = crate::rng::HostRng::new(9, 1);
        for p in &mut m.params[l.b_in..l.w_out] {
            *p = (rng.next_normal() * 0.3) as f32;
        }
        for p in &mut m.params[l.w_u..l.len] {
            *p = (rng.next_normal() * 0.5) as f32;
        }
        m
    }

    /// Finite differences in f64-free form: central differences on f32 with a step that keeps
    /// rounding small; tolerance relative to the largest gradient.
    #[test]
    fn gradients_match_finite_differences() {
        let m = tiny();
        let tokens: Vec<u16> = [1u16, 4, 7, 2, 9, 3, 5, 5, 0, 10, 6, 8].to_vec();
        let (batch, len) = (2, 6);
        let mut grad = vec![0.0f32; m.params.len()];
        m.loss_and_grad(&tokens, batch, len, &mut grad);
        let gmax = grad.iter().fold(0.0f32, |a, g| a.max(g.abs()));
        let eps = 1e-3f32;
        let mut worst = (0.0f32, 0usize);
        for (name, range, _) in m.config.layout().tensors() {
            for i in range.clone().step_by(3) {
                let mut plus = m.clone();
                plus.params[i] += eps;
                let mut minus = m.clone();
                minus.params[i] -= eps;
                let lp = plus.loss_with_hook(&tokens, batch, len, None);
                let lm = minus.loss_with_hook(&tokens, batch, len, None);
                let fd = ((lp - lm) / (2.0 * f64::from(eps))) as f32;
                let err = (fd - grad[i]).abs();
                assert!(
                    err < 2e-3 * gmax + 2e-4,
                    "{name}[{}]: analytic {} vs finite difference {fd}",
                    i - range.start,
                    grad[i]
                );
                if err > worst.0 {
                    worst = (err, i);
                }
            }
        }
        assert!(gmax > 1e-3, "gradients too small to test: {gmax}");
    }

    #[test]
    fn attention_is_causal() {
        let m = tiny();
        let a: Vec<u16> = vec![1, 2, 3, 4, 5, 6];
        let mut b = a.clone();
        b[5] = 9;
        let fa = m.forward(&a, 1, 6, None);
        let fb = m.forward(&b, 1, 6, None);
        let v = m.config.vocab;
        assert_eq!(
            fa.logits[..5 * v],
            fb.logits[..5 * v],
            "earlier positions saw the future"
        );
        assert_ne!(fa.logits[5 * v..], fb.logits[5 * v..]);
    }

    #[test]
    fn hook_splices_activations() {
        let m = tiny();
        let t: Vec<u16> = vec![1, 2, 3, 4, 5, 6];
        let base = m.loss_with_hook(&t, 1, 6, None);
        let mut same = |h: &mut [f32]| {
            let _ = h;
        };
        assert_eq!(base, m.loss_with_hook(&t, 1, 6, Some(&mut same)));
        let mut zero = |h: &mut [f32]| h.fill(0.0);
        assert_ne!(base, m.loss_with_hook(&t, 1, 6, Some(&mut zero)));
    }
}
