// SAE kernel 4, per micro-batch: one thread per (row, latent). d_f = d_xhat W_dec^T plus the
// sparsity penalty's gradient, d_z = d_f where the latent is active, plus for AuxK
// d_e_hat W_dec^T where the AuxK activation is. For JumpReLU, the row's straight-through
// contribution to d theta goes to `side` (summed over rows by sae_grad).
// CPU twin: the backward part of polytope_core::sae::forward_backward.

@group(0) @binding(0) var<uniform> u: SaeUniform;
// [mb_cap, 2, n]
@group(0) @binding(1) var<storage, read> dx: array<f32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read> f: array<f32>;
@group(0) @binding(4) var<storage, read> z: array<f32>;
@group(0) @binding(5) var<storage, read> norms: array<f32>;
// [mb_cap, s]: AuxK activations (TopK, read) or d theta contributions (JumpReLU, written)
@group(0) @binding(6) var<storage, read_write> side: array<f32>;
// [mb_cap, s]
@group(0) @binding(7) var<storage, read_write> dz: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let t = thread_index(gid, groups);
    let n = u.n;
    let s = u.s;
    if (t >= u.mb_len * s) {
        return;
    }
    let r = t / s;
    let i = t % s;
    let w = off_w_dec(n, s) + i * n;
    let d = r * 2u * n;
    let v = u.variant;
    let is_on = f[t] != 0.0;
    // d_f is only needed where the latent is active, or (JumpReLU) where the pre-activation is
    // within half a bandwidth of the threshold: skipping the rest makes this kernel's cost
    // proportional to the activations' density.
    var theta = 0.0;
    var in_band = false;
    if (v == V_JUMPRELU) {
        theta = exp(params[off_log_theta(n, s) + i]);
        in_band = abs((z[t] - theta) / u.bandwidth) < 0.5;
    }
    var df = 0.0;
    if (is_on || in_band) {
        for (var k = 0u; k < n; k++) {
            df += dx[d + k] * params[w + k];
        }
    }
    if (v == V_L1_2023) {
        df += u.lam * u.inv_b;
    } else if (v == V_L1_2024) {
        df += u.lam * u.inv_b * norms[i];
    } else if (v == V_JUMPRELU) {
        let eps = u.bandwidth;
        var contrib = 0.0;
        if (in_band) {
            contrib = df * (-(theta / eps)) + u.lam * u.inv_b * (-(1.0 / eps));
        }
        side[t] = contrib;
    }
    var g = select(0.0, df, is_on);
    if (v == V_TOPK && side[t] != 0.0) {
        var da = 0.0;
        for (var k = 0u; k < n; k++) {
            da += dx[d + n + k] * params[w + k];
        }
        g += da;
    }
    dz[t] = g;
}
