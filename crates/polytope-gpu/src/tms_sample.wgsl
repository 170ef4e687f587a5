// Kernel 1 of a toy-model training step: one thread per (instance, sample of the chunk).
// Draws the sample from the shared RNG, runs the model forward and backpropagates to the
// output and hidden pre-activations. CPU twin: polytope_core::tms::forward_backward_sample.

@group(0) @binding(0) var<uniform> cfg: StepUniform;
// [I, n, 2]: (probability, importance) per feature.
@group(0) @binding(1) var<storage, read> spec: array<f32>;
// [I, P]: W (m x n), W2^T (m x n, abs only), b (n).
@group(0) @binding(2) var<storage, read> params: array<f32>;
// [I, chunk_cap, n]
@group(0) @binding(3) var<storage, read_write> xs: array<f32>;
// [I, chunk_cap, n]: g = dL/d(output pre-activation)
@group(0) @binding(4) var<storage, read_write> gs: array<f32>;
// [I, chunk_cap, 2m]: h (hidden activations) then u = dL/d(hidden pre-activation)
@group(0) @binding(5) var<storage, read_write> hu: array<f32>;
// [I, chunk_cap]: the sample's share of the loss
@group(0) @binding(6) var<storage, read_write> sample_loss: array<f32>;

const LANE_CHOICE_BASE: u32 = 1048576u; // 1 << 20, as in polytope_core::tms::data
const MAX_HIDDEN: u32 = 64u;

fn feature_value(key: u32, j: u32, i: u32) -> f32 {
    let set_index = j / cfg.set_size;
    let first = set_index * cfg.set_size;
    let set_active = lane_unit(key, 2u * set_index) < spec[(i * cfg.n + first) * 2u];
    var present = set_active;
    if (cfg.correlation == 2u) {
        let members = min(cfg.set_size, cfg.n - first);
        let r = lane_unit(key, LANE_CHOICE_BASE + set_index);
        let chosen = min(u32(r * f32(members)), members - 1u);
        present = set_active && (j - first == chosen);
    }
    if (!present) {
        return 0.0;
    }
    let v = lane_unit(key, 2u * j + 1u);
    if (cfg.model == MODEL_ABS) {
        return 2.0 * v - 1.0;
    }
    return v;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let t = thread_index(gid, groups);
    if (t >= cfg.instances * cfg.chunk_len) {
        return;
    }
    let n = cfg.n;
    let m = cfg.m;
    let i = t / cfg.chunk_len;
    let local = t % cfg.chunk_len;
    let key = sample_key(cfg.seed, cfg.step, i, cfg.chunk_start + local);
    let w0 = i * cfg.params_per_instance;
    let v0 = select(w0, w0 + m * n, cfg.model == MODEL_ABS);
    let b0 = w0 + cfg.params_per_instance - n;
    let row = i * cfg.chunk_cap + local;
    let hidden_relu = cfg.model >= 2u;

    // Pass 1: x and a = W x, skipping absent features.
    var h: array<f32, MAX_HIDDEN>;
    for (var k = 0u; k < m; k++) {
        h[k] = 0.0;
    }
    for (var j = 0u; j < n; j++) {
        let xj = feature_value(key, j, i);
        xs[row * n + j] = xj;
        if (xj != 0.0) {
            for (var k = 0u; k < m; k++) {
                h[k] += params[w0 + k * n + j] * xj;
            }
        }
    }
    if (hidden_relu) {
        for (var k = 0u; k < m; k++) {
            h[k] = max(h[k], 0.0);
        }
    }

    // Pass 2: outputs, loss, g, and u = V g.
    var u: array<f32, MAX_HIDDEN>;
    for (var k = 0u; k < m; k++) {
        u[k] = 0.0;
    }
    var loss = 0.0;
    for (var j = 0u; j < n; j++) {
        var pre = params[b0 + j];
        for (var k = 0u; k < m; k++) {
            if (h[k] != 0.0) {
                pre += params[v0 + k * n + j] * h[k];
            }
        }
        let out = select(max(pre, 0.0), pre, cfg.model == MODEL_LINEAR);
        let xj = xs[row * n + j];
        let target_value = select(xj, abs(xj), cfg.model == MODEL_ABS);
        let diff = out - target_value;
        let importance = spec[(i * n + j) * 2u + 1u];
        loss += importance * diff * diff;
        var gj = 0.0;
        if (cfg.model == MODEL_LINEAR || pre > 0.0) {
            gj = 2.0 * importance * diff * cfg.loss_scale;
        }
        gs[row * n + j] = gj;
        if (gj != 0.0) {
            for (var k = 0u; k < m; k++) {
                u[k] += params[v0 + k * n + j] * gj;
            }
        }
    }
    for (var k = 0u; k < m; k++) {
        var uk = u[k];
        if (hidden_relu && h[k] <= 0.0) {
            uk = 0.0;
        }
        hu[row * 2u * m + k] = h[k];
        hu[row * 2u * m + m + k] = uk;
    }
    sample_loss[row] = loss * cfg.loss_scale;
}
