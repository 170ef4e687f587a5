// Shared by the three toy-model training kernels (tms_sample, tms_grad, tms_adam).
// Mirrors `StepUniform` in tms_common.rs; one entry per (step, batch chunk), bound with a
// dynamic offset so that many steps can be encoded in one submission.

struct StepUniform {
    seed: u32,
    step: u32,
    chunk_start: u32,
    chunk_len: u32,
    n: u32,
    m: u32,
    instances: u32,
    chunk_cap: u32,
    model: u32,          // 0 relu, 1 linear, 2 privileged, 3 abs
    correlation: u32,    // 0 independent, 1 correlated, 2 anticorrelated
    set_size: u32,
    params_per_instance: u32,
    loss_scale: f32,     // 1 / (batch * n)
    step_size: f32,      // scheduled lr / (1 - beta1^t)
    sqrt_bc2: f32,       // sqrt(1 - beta2^t)
    decay_factor: f32,   // 1 - lr * weight_decay (AdamW) or 1
    beta1: f32,
    beta2: f32,
    eps: f32,
    first_chunk: u32,
    history_row: u32,
    splits: u32,         // the batch chunk is summed in this many sample ranges in parallel
    split_len: u32,      // samples per range
    _pad0: u32,
}

const MODEL_LINEAR: u32 = 1u;
const MODEL_ABS: u32 = 3u;
const WORKGROUP: u32 = 64u;

// Linear thread index over a 2-D grid of workgroups (large runs exceed 65535 groups in x).
fn thread_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return gid.x + gid.y * groups.x * WORKGROUP;
}
