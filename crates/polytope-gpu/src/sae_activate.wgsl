// SAE kernel 2, per micro-batch: the activation, one 256-thread workgroup per row.
// ReLU (l1 variants), JumpReLU (z > exp(log_theta)), or TopK: the k largest positive
// pre-activations, ties to the lower index (an exact radix select on the float bits, which are
// monotone for positive floats), and for AuxK the k_aux largest positive pre-activations among
// dead latents (written to `side`; all zero when no latent is dead).
// CPU twin: polytope_core::sae::top_k_row and the activation in forward_backward.

@group(0) @binding(0) var<uniform> u: SaeUniform;
// [mb_cap, s]
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
// [s]: the step after which each latent last fired
@group(0) @binding(3) var<storage, read> last_fired: array<u32>;
// [0]: latents dead at this step (AuxK runs when > 0)
@group(0) @binding(4) var<storage, read> flags: array<u32>;
// [mb_cap, s]: activations
@group(0) @binding(5) var<storage, read_write> f: array<f32>;
// [mb_cap, s]: AuxK activations (TopK only)
@group(0) @binding(6) var<storage, read_write> side: array<f32>;

var<workgroup> hist: array<atomic<u32>, 256>;
var<workgroup> scan: array<u32, 256>;
var<workgroup> prefix: u32;
var<workgroup> remaining: u32;

fn is_dead(i: u32) -> bool {
    let last = last_fired[i];
    return u.step >= last && u.step - last >= u.dead_window;
}

// The selection key of latent i: the bits of a positive value, 0 when not eligible.
fn key(base: u32, i: u32, aux: bool) -> u32 {
    let v = z[base + i];
    if (!(v > 0.0)) {
        return 0u;
    }
    if (aux && (flags[0] == 0u || !is_dead(i))) {
        return 0u;
    }
    return bitcast<u32>(v);
}

// Keeps the kk largest eligible entries of the row at `base` (ties to the lower index) and
// zeroes the rest, into f (or side when aux).
fn select_top(lid: u32, base: u32, kk: u32, aux: bool) {
    let s = u.s;
    var c = 0u;
    for (var i = lid; i < s; i += ROW_WORKGROUP) {
        if (key(base, i, aux) != 0u) {
            c += 1u;
        }
    }
    scan[lid] = c;
    workgroupBarrier();
    for (var st = 128u; st > 0u; st >>= 1u) {
        if (lid < st) {
            scan[lid] += scan[lid + st];
        }
        workgroupBarrier();
    }
    let total = scan[0];
    if (lid == 0u) {
        prefix = 0u;
        remaining = kk;
    }
    workgroupBarrier();
    // Radix select, 8 bits per pass from the top: the kk-th largest key and how many entries
    // equal to it are kept.
    for (var digit = 0u; digit < 4u; digit++) {
        let shift = 24u - 8u * digit;
        atomicStore(&hist[lid], 0u);
        workgroupBarrier();
        let pf = prefix;
        for (var i = lid; i < s; i += ROW_WORKGROUP) {
            let q = key(base, i, aux);
            if (q != 0u && ((q >> shift) >> 8u) == pf) {
                atomicAdd(&hist[(q >> shift) & 255u], 1u);
            }
        }
        workgroupBarrier();
        if (lid == 0u) {
            var cum = 0u;
            let rem = remaining;
            for (var b = 0u; b < 256u; b++) {
                let bin = 255u - b;
                let h = atomicLoad(&hist[bin]);
                if (cum + h >= rem) {
                    prefix = (pf << 8u) | bin;
                    remaining = rem - cum;
                    break;
                }
                cum += h;
            }
        }
        workgroupBarrier();
    }
    let thr = prefix;
    let need = remaining;
    let keep_all = total <= kk;
    // Entries equal to the threshold are kept in index order: each thread owns a contiguous
    // block and learns how many equal entries precede it.
    let per = (s + ROW_WORKGROUP - 1u) / ROW_WORKGROUP;
    let lo = min(lid * per, s);
    let hi = min(lo + per, s);
    var eq = 0u;
    for (var i = lo; i < hi; i++) {
        if (key(base, i, aux) == thr) {
            eq += 1u;
        }
    }
    scan[lid] = eq;
    workgroupBarrier();
    if (lid == 0u) {
        var acc = 0u;
        for (var t = 0u; t < ROW_WORKGROUP; t++) {
            let e = scan[t];
            scan[t] = acc;
            acc += e;
        }
    }
    workgroupBarrier();
    var rank = scan[lid];
    for (var i = lo; i < hi; i++) {
        let q = key(base, i, aux);
        var keep = false;
        if (keep_all) {
            keep = q != 0u;
        } else if (q > thr) {
            keep = true;
        } else if (q == thr) {
            keep = rank < need;
            rank += 1u;
        }
        let out = select(0.0, z[base + i], keep);
        if (aux) {
            side[base + i] = out;
        } else {
            f[base + i] = out;
        }
    }
    workgroupBarrier();
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
    let s = u.s;
    let base = row * s;
    if (u.variant == V_TOPK) {
        select_top(lid, base, u.k, false);
        select_top(lid, base, u.k_aux, true);
    } else {
        let jump = u.variant == V_JUMPRELU;
        let lt = off_log_theta(u.n, s);
        for (var i = lid; i < s; i += ROW_WORKGROUP) {
            let v = z[base + i];
            var thr = 0.0;
            if (jump) {
                thr = exp(params[lt + i]);
            }
            f[base + i] = select(0.0, v, v > thr);
        }
    }
}
