// SAE kernel 5, per micro-batch: parameter gradients summed over the micro-batch's rows, one
// thread per parameter in layout order (W_enc, then one thread per latent for b_enc, the firing
// counts, the activation sums and d log_theta, then W_dec, then b_dec). The first micro-batch
// of a step assigns, later ones add. The pre-bias correction of d b_dec and the l1-2024 decoder
// term need whole-batch sums and are applied by sae_update.
// CPU twin: the gradient products of polytope_core::sae::forward_backward.

@group(0) @binding(0) var<uniform> u: SaeUniform;
// [mb_cap, n]
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
// [mb_cap, s]
@group(0) @binding(3) var<storage, read> dz: array<f32>;
@group(0) @binding(4) var<storage, read> f: array<f32>;
@group(0) @binding(5) var<storage, read> side: array<f32>;
// [mb_cap, 2, n]
@group(0) @binding(6) var<storage, read> dx: array<f32>;
// [P]: the gradient (log_theta: d theta before the chain rule through exp)
@group(0) @binding(7) var<storage, read_write> grad: array<f32>;
// [2, s]: firing counts, then sums of activations, over the step's batch
@group(0) @binding(8) var<storage, read_write> col: array<f32>;

fn put(idx: u32, v: f32) {
    if (u.first_mb == 1u) {
        grad[idx] = v;
    } else {
        grad[idx] = grad[idx] + v;
    }
}

fn put_col(idx: u32, v: f32) {
    if (u.first_mb == 1u) {
        col[idx] = v;
    } else {
        col[idx] = col[idx] + v;
    }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let t = thread_index(gid, groups);
    let n = u.n;
    let s = u.s;
    let rows = u.mb_len;
    let ns = n * s;
    let w_dec = off_w_dec(n, s);
    let b_dec = off_b_dec(n, s);
    if (t < ns) {
        // dW_enc[k, i] = sum_r xc[r, k] d_z[r, i]
        let k = t / s;
        let i = t % s;
        var bias = 0.0;
        if (pre_bias(u.variant)) {
            bias = params[b_dec + k];
        }
        var acc = 0.0;
        for (var r = 0u; r < rows; r++) {
            let g = dz[r * s + i];
            if (g != 0.0) {
                acc += (x[r * n + k] - bias) * g;
            }
        }
        put(t, acc);
    } else if (t < w_dec) {
        let i = t - ns;
        var db = 0.0;
        var fired = 0.0;
        var fsum = 0.0;
        var dtheta = 0.0;
        let jump = u.variant == V_JUMPRELU;
        for (var r = 0u; r < rows; r++) {
            let at = r * s + i;
            db += dz[at];
            let fv = f[at];
            if (fv != 0.0) {
                fired += 1.0;
                fsum += fv;
            }
            if (jump) {
                dtheta += side[at];
            }
        }
        put(t, db);
        put_col(i, fired);
        put_col(s + i, fsum);
        if (jump) {
            put(off_log_theta(n, s) + i, dtheta);
        }
    } else if (t < b_dec) {
        // dW_dec[i, k] = sum_r f[r, i] d_xhat[r, k] (+ the AuxK term)
        let q = t - w_dec;
        let i = q / n;
        let k = q % n;
        var acc = 0.0;
        for (var r = 0u; r < rows; r++) {
            let fv = f[r * s + i];
            if (fv != 0.0) {
                acc += fv * dx[r * 2u * n + k];
            }
        }
        if (u.variant == V_TOPK) {
            var aux = 0.0;
            for (var r = 0u; r < rows; r++) {
                let fv = side[r * s + i];
                if (fv != 0.0) {
                    aux += fv * dx[r * 2u * n + n + k];
                }
            }
            acc += aux;
        }
        put(t, acc);
    } else if (t < b_dec + n) {
        let k = t - b_dec;
        var acc = 0.0;
        for (var r = 0u; r < rows; r++) {
            acc += dx[r * 2u * n + k];
        }
        put(t, acc);
    }
}
