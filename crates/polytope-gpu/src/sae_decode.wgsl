// SAE kernel 3, per micro-batch: one 256-thread workgroup per row. The reconstruction
// x_hat = f W_dec + b_dec, its gradient d_xhat = recon_c (x_hat - x), and for AuxK (TopK with
// dead latents) e_hat = f_aux W_dec and d_e_hat = 2 alpha / B (e_hat + e); the row's loss terms.
// CPU twin: the decoder, loss and AuxK parts of polytope_core::sae::forward_backward.

@group(0) @binding(0) var<uniform> u: SaeUniform;
// [mb_cap, n]
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
// [mb_cap, s]: activations and AuxK activations
@group(0) @binding(3) var<storage, read> f: array<f32>;
@group(0) @binding(4) var<storage, read> side: array<f32>;
// [0]: latents dead at this step
@group(0) @binding(5) var<storage, read> flags: array<u32>;
// [s]: decoder row norms before this step's update (l1-2024)
@group(0) @binding(6) var<storage, read> norms: array<f32>;
// [mb_cap, 2, n]: d_xhat, then d_e_hat (zero without AuxK)
@group(0) @binding(7) var<storage, read_write> dx: array<f32>;
// [batch, ROW_STATS]
@group(0) @binding(8) var<storage, read_write> row_stats: array<f32>;

var<workgroup> red4: array<vec4<f32>, 256>;
var<workgroup> red1: array<f32, 256>;

// Sums four values and a fifth over the workgroup in one tree (the same pairwise order for
// each as five separate reductions, with a fifth of the barriers: barriers dominate on
// software adapters). The totals are left in red4[0] and red1[0].
fn reduce5(lid: u32, a: vec4<f32>, b: f32) {
    red4[lid] = a;
    red1[lid] = b;
    workgroupBarrier();
    for (var st = 128u; st > 0u; st >>= 1u) {
        if (lid < st) {
            red4[lid] += red4[lid + st];
            red1[lid] += red1[lid + st];
        }
        workgroupBarrier();
    }
}

@compute @workgroup_size(256)
fn main(
    @builtin(local_invocation_id) lid3: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let row = group_index(wid, groups);
    if (row >= u.mb_len) {
        return;
    }
    let lid = lid3.x;
    let n = u.n;
    let s = u.s;
    let fb = row * s;
    let w_dec = off_w_dec(n, s);
    let b_dec = off_b_dec(n, s);
    let aux_on = u.variant == V_TOPK && flags[0] > 0u;
    let aux_c = 2.0 * u.alpha * u.inv_b;
    var resid = 0.0;
    var aux_sq = 0.0;
    for (var k = lid; k < n; k += ROW_WORKGROUP) {
        var acc = 0.0;
        for (var i = 0u; i < s; i++) {
            let fv = f[fb + i];
            if (fv != 0.0) {
                acc += fv * params[w_dec + i * n + k];
            }
        }
        let e = (acc + params[b_dec + k]) - x[row * n + k];
        dx[row * 2u * n + k] = e * u.recon_c;
        resid += e * e;
        var d_aux = 0.0;
        if (aux_on) {
            var eh = 0.0;
            for (var i = 0u; i < s; i++) {
                let fv = side[fb + i];
                if (fv != 0.0) {
                    eh += fv * params[w_dec + i * n + k];
                }
            }
            let r = eh + e;
            aux_sq += r * r;
            d_aux = r * aux_c;
        }
        dx[row * 2u * n + n + k] = d_aux;
    }
    var l0 = 0.0;
    var l1 = 0.0;
    var sp = 0.0;
    for (var i = lid; i < s; i += ROW_WORKGROUP) {
        let fv = f[fb + i];
        if (fv != 0.0) {
            l0 += 1.0;
            l1 += fv;
            sp += fv * norms[i];
        }
    }
    let out = (u.mb_start + row) * ROW_STATS;
    reduce5(lid, vec4<f32>(resid, aux_sq, l0, l1), sp);
    if (lid == 0u) {
        let r = red4[0];
        row_stats[out + RS_RESID] = r.x;
        row_stats[out + RS_AUX] = r.y;
        row_stats[out + RS_L0] = r.z;
        row_stats[out + RS_L1] = r.w;
        row_stats[out + RS_SPARSE] = red1[0];
    }
}
