// SAE kernel 6, once per step: the parameter update, one 256-thread workgroup per W_enc row
// (which also updates b_dec[k] with the pre-bias correction -W_enc[k, :] . d b_enc), one per
// W_dec row (the l1-2024 norm term, the parallel gradient removed, Adam, the row renormalised
// and its norm recorded), then groups of 256 latents for b_enc and log_theta.
// CPU twin: polytope_core::sae::apply_update with the whole-batch terms of forward_backward.

@group(0) @binding(0) var<uniform> u: SaeUniform;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read_write> adam_m: array<f32>;
@group(0) @binding(3) var<storage, read_write> adam_v: array<f32>;
@group(0) @binding(4) var<storage, read> grad: array<f32>;
// [2, s]: firing counts, then sums of activations
@group(0) @binding(5) var<storage, read> col: array<f32>;
// [s]: decoder row norms (read before, written after the update)
@group(0) @binding(6) var<storage, read_write> norms: array<f32>;
// [0]: dead latents for the next step, counted by sae_firing (zeroed here)
@group(0) @binding(7) var<storage, read_write> flags: array<atomic<u32>>;
// [steps, HISTORY_WORDS]
@group(0) @binding(8) var<storage, read_write> history: array<atomic<u32>>;

fn non_finite(g: f32) -> bool {
    return (bitcast<u32>(g) & 0x7f800000u) == 0x7f800000u;
}

// Adam/AdamW on one parameter; returns the new value. CPU twin: polytope_core::optim::adam_update.
fn adam(idx: u32, g: f32) -> f32 {
    let p = params[idx] * u.decay_factor;
    let m1 = u.beta1 * adam_m[idx] + (1.0 - u.beta1) * g;
    let v1 = u.beta2 * adam_v[idx] + (1.0 - u.beta2) * g * g;
    adam_m[idx] = m1;
    adam_v[idx] = v1;
    let denom = sqrt(v1) / u.sqrt_bc2 + u.adam_eps;
    let out = p - u.step_size * m1 / denom;
    params[idx] = out;
    return out;
}

@compute @workgroup_size(256)
fn main(
    @builtin(local_invocation_id) lid3: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let g = group_index(wid, groups);
    let lid = lid3.x;
    let n = u.n;
    let s = u.s;
    let b_enc = off_b_enc(n, s);
    let w_dec = off_w_dec(n, s);
    let b_dec = off_b_dec(n, s);
    let v = u.variant;
    var bad = false;
    if (g == 0u && lid == 0u) {
        atomicStore(&flags[0], 0u);
    }
    if (g < n) {
        let k = g;
        var corr = 0.0;
        if (pre_bias(v)) {
            for (var i = lid; i < s; i += ROW_WORKGROUP) {
                corr += params[k * s + i] * grad[b_enc + i];
            }
        }
        corr = reduce(lid, corr);
        for (var i = lid; i < s; i += ROW_WORKGROUP) {
            let gi = grad[k * s + i];
            bad = bad || non_finite(gi);
            adam(k * s + i, gi);
        }
        if (lid == 0u) {
            let gb = grad[b_dec + k] - corr;
            bad = bad || non_finite(gb);
            adam(b_dec + k, gb);
        }
    } else if (g < n + s) {
        let i = g - n;
        let row = w_dec + i * n;
        var coef = 0.0;
        if (v == V_L1_2024) {
            coef = u.lam * u.inv_b * col[s + i] / max(norms[i], 1e-12);
        }
        let unit = unit_decoder(v);
        var along = 0.0;
        if (unit) {
            for (var k = lid; k < n; k += ROW_WORKGROUP) {
                along += params[row + k] * grad[row + k];
            }
        }
        along = reduce(lid, along);
        var sq = 0.0;
        for (var k = lid; k < n; k += ROW_WORKGROUP) {
            let w = params[row + k];
            var gk = grad[row + k] + coef * w;
            bad = bad || non_finite(gk);
            if (unit) {
                gk -= along * w;
            }
            let p = adam(row + k, gk);
            sq += p * p;
        }
        sq = reduce(lid, sq);
        let norm = sqrt(sq);
        if (unit) {
            let d = max(norm, 1e-12);
            for (var k = lid; k < n; k += ROW_WORKGROUP) {
                params[row + k] = params[row + k] / d;
            }
        }
        if (lid == 0u) {
            norms[i] = select(norm, 1.0, unit);
        }
    } else {
        let i = (g - n - s) * ROW_WORKGROUP + lid;
        if (i < s) {
            let gb = grad[b_enc + i];
            bad = bad || non_finite(gb);
            adam(b_enc + i, gb);
            if (v == V_JUMPRELU) {
                let lt = off_log_theta(n, s) + i;
                let gl = grad[lt] * exp(params[lt]);
                bad = bad || non_finite(gl);
                adam(lt, gl);
            }
        }
    }
    if (bad) {
        atomicOr(&history[u.history_row * HISTORY_WORDS + H_NONFINITE], 1u);
    }
}
