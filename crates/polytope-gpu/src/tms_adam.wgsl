// Kernel 3 of a toy-model training step: one thread per (instance, parameter). Applies
// Adam/AdamW with the step's scalars and records the instance's loss in the history.
// CPU twin: polytope_core::optim::adam_update.

@group(0) @binding(0) var<uniform> cfg: StepUniform;
// [splits, I, P] and [splits, I]: the partial sums of tms_grad
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read> loss_acc: array<f32>;
@group(0) @binding(3) var<storage, read_write> params: array<f32>;
@group(0) @binding(4) var<storage, read_write> adam_m: array<f32>;
@group(0) @binding(5) var<storage, read_write> adam_v: array<f32>;
// [rows, I]: loss of every instance at every step of the current submission
@group(0) @binding(6) var<storage, read_write> loss_history: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let t = thread_index(gid, groups);
    let per = cfg.params_per_instance;
    if (t >= cfg.instances * per) {
        return;
    }
    // Add the partial sums of the sample ranges, in order.
    let ip = cfg.instances * per;
    var g = 0.0;
    for (var s = 0u; s < cfg.splits; s++) {
        g += grad[s * ip + t];
    }
    let p = params[t] * cfg.decay_factor;
    let m1 = cfg.beta1 * adam_m[t] + (1.0 - cfg.beta1) * g;
    let v1 = cfg.beta2 * adam_v[t] + (1.0 - cfg.beta2) * g * g;
    adam_m[t] = m1;
    adam_v[t] = v1;
    let denom = sqrt(v1) / cfg.sqrt_bc2 + cfg.eps;
    params[t] = p - cfg.step_size * m1 / denom;
    if (t % per == 0u) {
        let i = t / per;
        var l = 0.0;
        for (var s = 0u; s < cfg.splits; s++) {
            l += loss_acc[s * cfg.instances + i];
        }
        loss_history[cfg.history_row * cfg.instances + i] = l;
    }
}
