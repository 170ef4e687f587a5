// Kernel 2 of a toy-model training step: one thread per (sample range, instance, parameter).
// Sums the parameter's gradient over the range's samples, in sample order, into its partial
// sum (assigning on the first chunk of a step, adding on the others); the Adam kernel adds the
// ranges' partial sums. Splitting the batch into ranges keeps small models (a few hundred
// parameters) from running on a few hundred threads only. CPU twin:
// polytope_core::tms::accumulate_param_grads.

@group(0) @binding(0) var<uniform> cfg: StepUniform;
@group(0) @binding(1) var<storage, read> xs: array<f32>;
@group(0) @binding(2) var<storage, read> gs: array<f32>;
@group(0) @binding(3) var<storage, read> hu: array<f32>;
@group(0) @binding(4) var<storage, read> sample_loss: array<f32>;
// [splits, I, P]: partial gradient sums
@group(0) @binding(5) var<storage, read_write> grad: array<f32>;
// [splits, I]: partial loss sums
@group(0) @binding(6) var<storage, read_write> loss_acc: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let t = thread_index(gid, groups);
    let per = cfg.params_per_instance;
    let ip = cfg.instances * per;
    if (t >= ip * cfg.splits) {
        return;
    }
    let n = cfg.n;
    let m = cfg.m;
    let mn = m * n;
    let split = t / ip;
    let i = (t % ip) / per;
    let p = t % per;
    let first = split * cfg.split_len;
    let last = min(first + cfg.split_len, cfg.chunk_len);
    // Rows of this range's samples; an empty range (last <= first) sums nothing.
    let row0 = i * cfg.chunk_cap + first;
    let len = select(0u, last - first, last > first);
    var acc = 0.0;
    if (p < mn) {
        let k = p / n;
        let j = p % n;
        if (cfg.model == MODEL_ABS) {
            // dL/dW1[k, j] = sum_s u_k x_j
            for (var s = 0u; s < len; s++) {
                let r = row0 + s;
                acc += hu[r * 2u * m + m + k] * xs[r * n + j];
            }
        } else {
            // Tied weights: dL/dW[k, j] = sum_s h_k g_j + u_k x_j
            for (var s = 0u; s < len; s++) {
                let r = row0 + s;
                acc += hu[r * 2u * m + k] * gs[r * n + j] + hu[r * 2u * m + m + k] * xs[r * n + j];
            }
        }
    } else if (p < per - n) {
        // Abs model: dL/dW2^T[k, j] = sum_s h_k g_j
        let q = p - mn;
        let k = q / n;
        let j = q % n;
        for (var s = 0u; s < len; s++) {
            let r = row0 + s;
            acc += hu[r * 2u * m + k] * gs[r * n + j];
        }
    } else {
        let j = p - (per - n);
        for (var s = 0u; s < len; s++) {
            acc += gs[(row0 + s) * n + j];
        }
    }
    if (cfg.first_chunk == 1u) {
        grad[t] = acc;
    } else {
        grad[t] = grad[t] + acc;
    }
    if (p == 0u) {
        var l = 0.0;
        for (var s = 0u; s < len; s++) {
            l += sample_loss[row0 + s];
        }
        let slot = split * cfg.instances + i;
        if (cfg.first_chunk == 1u) {
            loss_acc[slot] = l;
        } else {
            loss_acc[slot] = loss_acc[slot] + l;
        }
    }
}
