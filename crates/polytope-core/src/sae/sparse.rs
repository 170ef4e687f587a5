//! The sparse half of an SAE step: everything after the encoder's matrix product, done over
//! the latents that are active (plus, for JumpReLU, those near the threshold, and for TopK the
//! AuxK latents) instead of over the whole `[B, d_sae]` code.
//!
//! A trained dictionary's code is over 98 % zeros, yet the dense pass multiplies every zero
//! in four more matrix products: the decode `f W_dec`, the code gradient `d_xhat W_decᵀ`, and
//! the weight gradients `fᵀ d_xhat` and `xcᵀ d_z`. Here each of those costs
//! `B × active × d_in` instead of `B × d_sae × d_in`, and `xcᵀ d_z` summed over the batch
//! (the pre-encoder bias's share) becomes one matrix-vector product. Only the encoder
//! `xc W_enc` stays dense: every pre-activation is needed to pick the active latents.
//!
//! The numbers are those of the dense pass up to the order of floating-point sums (the test
//! below compares every output and gradient under a stated tolerance). [`super::model`]
//! chooses this path when the code is sparse enough ([`SPARSE_MAX_DENSITY`]); the traced
//! pass, the twin of the GPU kernels, stays dense.

use super::config::{SaeConfig, Variant};
use super::model::{Forward, Layout, top_k_indices};

/// The largest share of `[B, d_sae]` entries this path handles; above it the dense matrix
/// products (blocked, vectorised) are faster. Measured for one L1 step at batch 256 on 2
/// threads (2026-12-06, docs/benchmarks.md): the two paths cost the same at a density of
/// about 0.22 at 128 -> 1024 and 0.13 at 512 -> 4096; at 0.10 the sparse one takes 0.55x
/// and 0.80x of the dense time.
pub const SPARSE_MAX_DENSITY: f64 = 0.10;

/// One entry of the sparse code: a latent of a row that takes part in the backward pass.
#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    /// The latent.
    j: u32,
    /// Its activation (the decoder gradient's coefficient); zero for a JumpReLU latent that
    /// is only near its threshold.
    f: f32,
    /// The gradient reaching its pre-activation.
    dz: f32,
    /// JumpReLU: this entry's share of `dL/dθ_j`.
    d_theta: f32,
    /// Whether it counts as firing (not AuxK, not merely near the threshold).
    active: bool,
    /// Whether it belongs to AuxK (its decoder gradient comes from `d_e_hat`, not `d_xhat`).
    aux: bool,
}

/// What one row of the batch contributes.
#[derive(Default)]
struct RowOut {
    entries: Vec<Entry>,
    residual_sq: f64,
    aux_sq: f64,
    l1: f64,
    /// `Σ f_j ‖W_dec_j‖` (L1_2024's penalty).
    weighted_l1: f64,
}

/// Rows of the encoder's gradient computed together (16 floats: one cache line of `xc`).
const ENC_BLOCK: usize = 16;

/// The share of `[B, s]` entries the sparse pass would visit for these pre-activations.
pub fn density(cfg: &SaeConfig, params: &[f32], z: &[f32], dead: &[bool]) -> f64 {
    let s = cfg.s();
    let rows = (z.len() / s.max(1)).max(1);
    let per_row = match cfg.variant {
        Variant::TopK => {
            let aux = if dead.iter().any(|d| *d) {
                cfg.k_aux
            } else {
                0
            };
            return f64::from(cfg.k + aux) / s as f64;
        }
        Variant::L1_2023 | Variant::L1_2024 => z.iter().filter(|v| **v > 0.0).count(),
        Variant::JumpRelu => {
            let l = Layout::new(cfg);
            let theta = thresholds(params, &l);
            z.chunks_exact(s)
                .map(|row| {
                    row.iter()
                        .zip(&theta)
                        .filter(|(v, t)| **v > **t || near(**v, **t, cfg.bandwidth))
                        .count()
                })
                .sum()
        }
    };
    per_row as f64 / (rows * s) as f64
}

/// Whether JumpReLU's straight-through rectangle kernel is nonzero at `z` (the dense pass's
/// `rectangle((z - θ) / ε)`).
fn near(z: f32, theta: f32, eps: f32) -> bool {
    ((z - theta) / eps).abs() < 0.5
}

fn thresholds(params: &[f32], l: &Layout) -> Vec<f32> {
    params[l.log_theta..l.log_theta + l.s]
        .iter()
        .map(|v| v.exp())
        .collect()
}

/// The rest of the step after `z = xc W_enc + b_enc`: activation, decode, losses and every
/// gradient, written into `grad` (overwritten, the parameters' layout).
#[allow(clippy::too_many_arguments)]
pub fn finish_step(
    cfg: &SaeConfig,
    params: &[f32],
    x: &[f32],
    xc: &[f32],
    z: &[f32],
    step: u32,
    dead: &[bool],
    grad: &mut [f32],
) -> Forward {
    let l = Layout::new(cfg);
    let (n, s) = (l.n, l.s);
    let b = x.len() / n;
    let variant = cfg.variant;
    let w_enc = &params[l.w_enc..l.b_enc];
    let w_dec = &params[l.w_dec..l.b_dec];
    let b_dec = &params[l.b_dec..l.log_theta];
    let inv_b = 1.0 / b as f32;
    let lam = cfg.sparsity_at(step);
    let c = if variant.mean_over_elements() {
        2.0 / (b * n) as f32
    } else {
        2.0 * inv_b
    };
    let theta = if variant == Variant::JumpRelu {
        thresholds(params, &l)
    } else {
        Vec::new()
    };
    let norms: Vec<f32> = if variant == Variant::L1_2024 {
        w_dec.chunks_exact(n).map(|r| dot(r, r).sqrt()).collect()
    } else {
        Vec::new()
    };
    let any_dead = variant == Variant::TopK && dead.iter().any(|d| *d);
    let ctx = RowContext {
        cfg,
        n,
        w_dec,
        b_dec,
        theta: &theta,
        norms: &norms,
        dead,
        any_dead,
        c,
        lam,
        inv_b,
    };

    // Per row: the code, the reconstruction and its gradient, the code's gradient.
    let mut d_xhat = vec![0.0f32; b * n];
    let mut d_e_hat = vec![0.0f32; if any_dead { b * n } else { 0 }];
    let rows: Vec<RowOut> = map_rows(&mut d_xhat, &mut d_e_hat, n, |row, dx, de| {
        ctx.row(
            &x[row * n..(row + 1) * n],
            &z[row * s..(row + 1) * s],
            dx,
            de,
        )
    });

    // Entries grouped by latent (a counting sort), for the weight gradients.
    let mut start = vec![0usize; s + 1];
    for e in rows.iter().flat_map(|r| &r.entries) {
        start[e.j as usize + 1] += 1;
    }
    for j in 0..s {
        start[j + 1] += start[j];
    }
    let mut by_latent = vec![(0u32, Entry::default()); start[s]];
    let mut next = start.clone();
    for (row, out) in rows.iter().enumerate() {
        for e in &out.entries {
            let slot = &mut next[e.j as usize];
            by_latent[*slot] = (row as u32, *e);
            *slot += 1;
        }
    }

    let (g_enc, rest) = grad.split_at_mut(l.w_dec);
    let (g_w_enc, g_b_enc) = g_enc.split_at_mut(l.b_enc);
    let (g_w_dec, rest) = rest.split_at_mut(s * n);
    let (g_b_dec, g_log_theta) = rest.split_at_mut(n);

    // Decoder rows: `Σ f d_xhat` over the latent's entries (AuxK's with `d_e_hat`).
    for_each_row(g_w_dec, &mut [], n, |j, g_dec, _| {
        g_dec.fill(0.0);
        for (row, e) in &by_latent[start[j]..start[j + 1]] {
            if e.f != 0.0 {
                let row = *row as usize;
                let src = if e.aux { &d_e_hat } else { &d_xhat };
                axpy(g_dec, e.f, &src[row * n..(row + 1) * n]);
            }
        }
    });
    // W_enc is [n, s]: its entry (k, j) is `Σ dz xc_k` over latent j's entries. Blocks of
    // ENC_BLOCK rows (input dimensions): per latent, the block's sums gather one cache line
    // of each entry's row of `xc`, and land in the block's rows (which stay in cache).
    let touched: Vec<usize> = (0..s).filter(|j| start[j + 1] > start[*j]).collect();
    for_each_row(g_w_enc, &mut [], ENC_BLOCK * s, |block, g_rows, _| {
        let k0 = block * ENC_BLOCK;
        let rows = g_rows.len() / s;
        g_rows.fill(0.0);
        let mut acc = [0.0f32; ENC_BLOCK];
        for &j in &touched {
            acc.fill(0.0);
            for (row, e) in &by_latent[start[j]..start[j + 1]] {
                if e.dz != 0.0 {
                    let xs = &xc[*row as usize * n + k0..][..rows];
                    axpy(&mut acc[..rows], e.dz, xs);
                }
            }
            for (r, a) in acc[..rows].iter().enumerate() {
                g_rows[r * s + j] = *a;
            }
        }
    });
    let mut fired = vec![0u32; s];
    let mut d_theta = vec![0.0f32; if theta.is_empty() { 0 } else { s }];
    for j in 0..s {
        let entries = &by_latent[start[j]..start[j + 1]];
        g_b_enc[j] = entries.iter().map(|(_, e)| e.dz).sum();
        fired[j] = entries.iter().filter(|(_, e)| e.active).count() as u32;
        if let Some(d) = d_theta.get_mut(j) {
            *d = entries.iter().map(|(_, e)| e.d_theta).sum();
        }
    }
    if variant == Variant::L1_2024 {
        // The penalty λ Σ f_j ‖W_dec_j‖ also pulls on the decoder rows' norms.
        for (j, g_row) in g_w_dec.chunks_exact_mut(n).enumerate() {
            let f_sum: f32 = by_latent[start[j]..start[j + 1]]
                .iter()
                .map(|(_, e)| e.f)
                .sum();
            if f_sum != 0.0 {
                let coef = lam * inv_b * f_sum / norms[j].max(1e-12);
                axpy(g_row, coef, &w_dec[j * n..(j + 1) * n]);
            }
        }
    }
    for (g, (d, t)) in g_log_theta.iter_mut().zip(d_theta.iter().zip(&theta)) {
        *g = d * t;
    }
    let forward = totals(cfg, x, &rows, fired, lam, inv_b);

    // b_dec: the reconstruction's bias, and (pre-bias variants) the encoder's input
    // `xc = x - b_dec`, whose batch-summed gradient is `W_enc · d_b_enc`.
    g_b_dec.fill(0.0);
    for dx in d_xhat.chunks_exact(n) {
        for (g, v) in g_b_dec.iter_mut().zip(dx) {
            *g += v;
        }
    }
    if variant.pre_bias() {
        for (g, w_row) in g_b_dec.iter_mut().zip(w_enc.chunks_exact(s)) {
            *g -= dot(w_row, g_b_enc);
        }
    }
    forward
}

/// The scalars of the step from the rows' sums.
fn totals(
    cfg: &SaeConfig,
    x: &[f32],
    rows: &[RowOut],
    fired: Vec<u32>,
    lam: f32,
    inv_b: f32,
) -> Forward {
    let n = cfg.n();
    let b = x.len() / n;
    let elements = (b * n) as f32;
    let residual_sq: f64 = rows.iter().map(|r| r.residual_sq).sum();
    let mut mean = vec![0.0f32; n];
    for row in x.chunks_exact(n) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v;
        }
    }
    for m in &mut mean {
        *m *= inv_b;
    }
    let total_sq: f64 = x
        .chunks_exact(n)
        .flat_map(|row| row.iter().zip(&mean))
        .map(|(v, m)| f64::from(v - m) * f64::from(v - m))
        .sum();
    let l0 = fired.iter().map(|c| *c as f32).sum::<f32>() * inv_b;
    let l1 = rows.iter().map(|r| r.l1).sum::<f64>() as f32 * inv_b;
    let recon = if cfg.variant.mean_over_elements() {
        residual_sq as f32 / elements
    } else {
        residual_sq as f32 * inv_b
    };
    let sparsity = match cfg.variant {
        Variant::L1_2023 => lam * l1,
        Variant::L1_2024 => lam * inv_b * rows.iter().map(|r| r.weighted_l1).sum::<f64>() as f32,
        Variant::TopK => 0.0,
        Variant::JumpRelu => lam * l0,
    };
    Forward {
        recon,
        sparsity,
        aux: cfg.aux_coefficient * rows.iter().map(|r| r.aux_sq).sum::<f64>() as f32 * inv_b,
        mse: residual_sq as f32 / elements,
        residual_sq,
        total_sq,
        l0,
        l1,
        fired,
    }
}

/// What every row's pass reads.
struct RowContext<'a> {
    cfg: &'a SaeConfig,
    n: usize,
    w_dec: &'a [f32],
    b_dec: &'a [f32],
    theta: &'a [f32],
    norms: &'a [f32],
    dead: &'a [bool],
    any_dead: bool,
    /// `d recon / d x_hat = c (x_hat - x)`.
    c: f32,
    lam: f32,
    inv_b: f32,
}

impl RowContext<'_> {
    fn dec_row(&self, j: u32) -> &[f32] {
        let j = j as usize;
        &self.w_dec[j * self.n..(j + 1) * self.n]
    }

    /// One row: its code, `d_xhat` (into `dx`), AuxK's `d_e_hat` (into `de`) and the
    /// gradient at each entry.
    fn row(&self, x: &[f32], z: &[f32], dx: &mut [f32], de: &mut [f32]) -> RowOut {
        let mut out = RowOut {
            entries: self.code(z),
            ..RowOut::default()
        };
        // x_hat = b_dec + Σ f_j W_dec_j, then e = x_hat - x.
        dx.copy_from_slice(self.b_dec);
        for e in &out.entries {
            if e.f != 0.0 {
                axpy(dx, e.f, self.dec_row(e.j));
                out.l1 += f64::from(e.f);
                if let Some(norm) = self.norms.get(e.j as usize) {
                    out.weighted_l1 += f64::from(e.f * norm);
                }
            }
        }
        for (d, v) in dx.iter_mut().zip(x) {
            *d -= v;
            out.residual_sq += f64::from(*d) * f64::from(*d);
        }
        if self.any_dead {
            self.aux_k(z, dx, de, &mut out);
        }
        for d in dx.iter_mut() {
            *d *= self.c;
        }
        let eps = self.cfg.bandwidth;
        for e in out.entries.iter_mut().filter(|e| !e.aux) {
            let j = e.j as usize;
            let mut d_f = dot(dx, self.dec_row(e.j));
            if e.active {
                match self.cfg.variant {
                    Variant::L1_2023 => d_f += self.lam * self.inv_b,
                    Variant::L1_2024 => d_f += self.lam * self.inv_b * self.norms[j],
                    Variant::TopK | Variant::JumpRelu => {}
                }
            }
            if self.cfg.variant == Variant::JumpRelu {
                let t = self.theta[j];
                if near(z[j], t, eps) {
                    // The rectangle kernel is 1 here (0 elsewhere).
                    e.d_theta = d_f * (-(t / eps)) + self.lam * self.inv_b * (-(1.0 / eps));
                }
            }
            e.dz = if e.active { d_f } else { 0.0 };
        }
        out
    }

    /// The latents of one row that take part in the backward pass, in index order.
    fn code(&self, z: &[f32]) -> Vec<Entry> {
        let active = |j: usize, f: f32| Entry {
            j: j as u32,
            f,
            active: true,
            ..Entry::default()
        };
        match self.cfg.variant {
            Variant::L1_2023 | Variant::L1_2024 => z
                .iter()
                .enumerate()
                .filter(|(_, v)| **v > 0.0)
                .map(|(j, v)| active(j, *v))
                .collect(),
            Variant::TopK => {
                let mut picked = top_k_indices(z, self.cfg.k as usize, |_| true);
                picked.sort_unstable_by_key(|(_, j)| *j);
                picked.into_iter().map(|(v, j)| active(j, v)).collect()
            }
            Variant::JumpRelu => {
                let eps = self.cfg.bandwidth;
                z.iter()
                    .zip(self.theta)
                    .enumerate()
                    .filter(|(_, (v, t))| **v > **t || near(**v, **t, eps))
                    .map(|(j, (v, t))| Entry {
                        j: j as u32,
                        f: if v > t { *v } else { 0.0 },
                        active: v > t,
                        ..Entry::default()
                    })
                    .collect()
            }
        }
    }

    /// TopK's auxiliary loss: the dead latents' top `k_aux` pre-activations model the
    /// residual `x - x_hat = -e` (`e` is in `dx`). Adds its entries to `out`.
    fn aux_k(&self, z: &[f32], e: &[f32], de: &mut [f32], out: &mut RowOut) {
        let picked = top_k_indices(z, self.cfg.k_aux as usize, |j| self.dead[j]);
        de.fill(0.0);
        for (v, j) in &picked {
            axpy(de, *v, self.dec_row(*j as u32));
        }
        let scale = 2.0 * self.cfg.aux_coefficient * self.inv_b;
        for (d, ev) in de.iter_mut().zip(e) {
            let r = *d + ev;
            out.aux_sq += f64::from(r) * f64::from(r);
            *d = r * scale;
        }
        for (v, j) in picked {
            let dz = dot(de, self.dec_row(j as u32));
            out.entries.push(Entry {
                j: j as u32,
                f: v,
                dz,
                aux: true,
                ..Entry::default()
            });
        }
    }
}

/// `f(row, a_row, b_row)` for each `n`-wide row of `a` (and of `b`, when it is not empty),
/// collecting the results in row order; on the rayon pool's threads where the crate has them.
fn map_rows<R: Send>(
    a: &mut [f32],
    b: &mut [f32],
    n: usize,
    f: impl Fn(usize, &mut [f32], &mut [f32]) -> R + Sync + Send,
) -> Vec<R> {
    let b_n = if b.is_empty() { 0 } else { n };
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        if b_n == 0 {
            a.par_chunks_mut(n)
                .enumerate()
                .map(|(i, ar)| f(i, ar, &mut []))
                .collect()
        } else {
            a.par_chunks_mut(n)
                .zip(b.par_chunks_mut(b_n))
                .enumerate()
                .map(|(i, (ar, br))| f(i, ar, br))
                .collect()
        }
    }
    #[cfg(not(feature = "parallel"))]
    {
        let mut b_rows = b.chunks_mut(b_n.max(1));
        a.chunks_mut(n)
            .enumerate()
            .map(|(i, ar)| {
                let br = if b_n == 0 {
                    &mut []
                } else {
                    b_rows.next().unwrap_or_default()
                };
                f(i, ar, br)
            })
            .collect()
    }
}

/// `f(row, a_row, b_row)` for each `n`-wide row of `a` (and of `b`, when not empty).
fn for_each_row(
    a: &mut [f32],
    b: &mut [f32],
    n: usize,
    f: impl Fn(usize, &mut [f32], &mut [f32]) + Sync + Send,
) {
    map_rows(a, b, n, f);
}

/// `Σ a_i b_i`, with eight partial sums so that the loop vectorises.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let (ac, ar) = a.as_chunks::<8>();
    let (bc, br) = b.as_chunks::<8>();
    let mut acc = [0.0f32; 8];
    for (x, y) in ac.iter().zip(bc) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = ar.iter().zip(br).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

/// `y += a x`.
fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::{Path, forward_backward_path};
    use super::*;
    use crate::rng::HostRng;
    use crate::sae::SaeParams;

    fn case(variant: Variant, n: u32, s: u32, with_dead: bool) {
        let mut cfg = SaeConfig::recommended(variant, n, s, 1000);
        cfg.batch = 16;
        if variant == Variant::TopK {
            cfg.k = 4;
            cfg.k_aux = 8;
        }
        let mut rng = HostRng::new(7, n * 1000 + s);
        let b = cfg.batch as usize;
        let x: Vec<f32> = (0..b * n as usize)
            .map(|_| rng.next_normal() as f32)
            .collect();
        let mut params = SaeParams::init(&cfg, &vec![0.1; n as usize]).data;
        let l = Layout::new(&cfg);
        // Some thresholds near typical pre-activations, so JumpReLU has entries near them.
        for (i, v) in params[l.log_theta..].iter_mut().enumerate() {
            *v = (0.2 + 0.05 * (i % 7) as f32).ln();
        }
        let dead: Vec<bool> = (0..s as usize).map(|i| with_dead && i % 3 == 0).collect();
        let mut g_dense = vec![0.0; l.len];
        let mut g_sparse = vec![f32::NAN; l.len];
        let step = 200;
        let dense =
            forward_backward_path(&cfg, &params, &x, step, &dead, &mut g_dense, Path::Dense);
        let sparse =
            forward_backward_path(&cfg, &params, &x, step, &dead, &mut g_sparse, Path::Sparse);
        let name = format!("{variant:?} {n}->{s} dead={with_dead}");
        let close = |a: f32, b: f32| (a - b).abs() <= 1e-5 + 1e-4 * a.abs().max(b.abs());
        for (what, a, b) in [
            ("recon", dense.recon, sparse.recon),
            ("sparsity", dense.sparsity, sparse.sparsity),
            ("aux", dense.aux, sparse.aux),
            ("l0", dense.l0, sparse.l0),
            ("l1", dense.l1, sparse.l1),
            ("mse", dense.mse, sparse.mse),
        ] {
            assert!(close(a, b), "{name}: {what} dense {a} sparse {b}");
        }
        assert_eq!(dense.fired, sparse.fired, "{name}: fired");
        assert!((dense.total_sq - sparse.total_sq).abs() <= 1e-6 * dense.total_sq);
        if with_dead && variant == Variant::TopK {
            assert!(dense.aux > 0.0, "{name}: AuxK ran");
        }
        let scale = g_dense.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(scale > 0.0);
        for (i, (a, b)) in g_dense.iter().zip(&g_sparse).enumerate() {
            assert!(
                (a - b).abs() <= 1e-5 * scale,
                "{name}: gradient {i} dense {a} sparse {b} (scale {scale})"
            );
        }
    }

    #[test]
    fn sparse_step_matches_the_dense_step() {
        for variant in [
            Variant::L1_2023,
            Variant::L1_2024,
            Variant::TopK,
            Variant::JumpRelu,
        ] {
            for (n, s) in [(8, 32), (13, 40), (37, 50)] {
                case(variant, n, s, false);
            }
        }
        case(Variant::TopK, 8, 32, true);
        case(Variant::TopK, 13, 40, true);
        case(Variant::TopK, 37, 50, true);
    }

    #[test]
    fn top_k_picks_the_largest_positive_values_lower_index_first() {
        let mut rng = HostRng::new(3, 1);
        for trial in 0..200u32 {
            let len = 1 + (trial as usize * 7) % 300;
            // Few distinct values, so that ties are common; some NaN and negatives.
            let row: Vec<f32> = (0..len)
                .map(|i| match (i * 31 + trial as usize) % 11 {
                    0 => f32::NAN,
                    1 => -1.0,
                    _ => (rng.next_unit() * 6.0).floor() as f32,
                })
                .collect();
            for k in [1, 3, 8, 64, 65, 200] {
                let eligible = |i: usize| !(i + trial as usize).is_multiple_of(5);
                let mut picked = top_k_indices(&row, k, eligible);
                picked.sort_by_key(|(_, i)| *i);
                let mut reference: Vec<(f32, usize)> = row
                    .iter()
                    .copied()
                    .enumerate()
                    .filter(|(i, v)| *v > 0.0 && eligible(*i))
                    .map(|(i, v)| (v, i))
                    .collect();
                reference.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                reference.truncate(k);
                reference.sort_by_key(|(_, i)| *i);
                assert_eq!(picked, reference, "trial {trial} k {k}");
            }
        }
    }

    #[test]
    fn density_counts_the_entries_the_sparse_pass_would_visit() {
        let cfg = SaeConfig::recommended(Variant::L1_2023, 8, 32, 1000);
        let params = SaeParams::init(&cfg, &[0.0; 8]).data;
        let mut z = vec![1.0f32; 32 * 4];
        assert!((density(&cfg, &params, &z, &[]) - 1.0).abs() < 1e-12);
        for v in z.iter_mut().step_by(4) {
            *v = -1.0;
        }
        assert!((density(&cfg, &params, &z, &[]) - 0.75).abs() < 1e-12);
        let mut topk = SaeConfig::recommended(Variant::TopK, 8, 32, 1000);
        topk.k = 4;
        topk.k_aux = 8;
        assert!((density(&topk, &params, &z, &[false; 32]) - 4.0 / 32.0).abs() < 1e-12);
        assert!((density(&topk, &params, &z, &[true; 32]) - 12.0 / 32.0).abs() < 1e-12);
    }
}
