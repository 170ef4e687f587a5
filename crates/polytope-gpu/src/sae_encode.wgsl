// SAE kernel 1, per micro-batch: pre-activations z = (x - b_dec?) W_enc + b_enc, one thread per
// (row, latent). CPU twin: the encoder product in polytope_core::sae::forward_backward.

@group(0) @binding(0) var<uniform> u: SaeUniform;
// [mb_cap, n]: the micro-batch's inputs (already scaled)
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
// [mb_cap, s]
@group(0) @binding(3) var<storage, read_write> z: array<f32>;

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
    let b_dec = off_b_dec(n, s);
    let pb = pre_bias(u.variant);
    var acc = 0.0;
    for (var k = 0u; k < n; k++) {
        var xc = x[r * n + k];
        if (pb) {
            xc = xc - params[b_dec + k];
        }
        acc += xc * params[k * s + i];
    }
    z[t] = acc + params[off_b_enc(n, s) + i];
}
