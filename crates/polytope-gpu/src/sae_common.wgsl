// Shared by the SAE training kernels (sae_encode, sae_activate, sae_decode, sae_backward,
// sae_grad, sae_update, sae_firing). Mirrors `SaeUniform` in sae_common.rs: one entry per
// (step, micro-batch), bound with a dynamic offset so that many steps go in one submission.
//
// Flat parameters: [W_enc n*s | b_enc s | W_dec s*n | b_dec n | log_theta s (JumpReLU)].

struct SaeUniform {
    n: u32,            // d_in
    s: u32,            // d_sae
    batch: u32,
    mb_start: u32,     // first row of this micro-batch within the step's batch
    mb_len: u32,       // rows in this micro-batch
    variant: u32,      // 0 l1-2023, 1 l1-2024, 2 topk, 3 jumprelu
    k: u32,
    k_aux: u32,
    step: u32,
    dead_window: u32,
    first_mb: u32,     // 1 on the first micro-batch of a step: gradient sums are assigned
    history_row: u32,  // the step's row in the per-submission stats history
    lam: f32,          // sparsity coefficient at this step (after its warm-up)
    inv_b: f32,        // 1 / batch
    recon_c: f32,      // dL/dx_hat = recon_c * (x_hat - x)
    alpha: f32,        // AuxK coefficient
    bandwidth: f32,    // JumpReLU rectangle width
    step_size: f32,    // Adam: scheduled lr / (1 - beta1^t)
    sqrt_bc2: f32,     // Adam: sqrt(1 - beta2^t)
    beta1: f32,
    beta2: f32,
    adam_eps: f32,
    decay_factor: f32,
    _pad0: u32,
}

const V_L1_2023: u32 = 0u;
const V_L1_2024: u32 = 1u;
const V_TOPK: u32 = 2u;
const V_JUMPRELU: u32 = 3u;

// Threads per workgroup of the one-thread-per-element kernels, and of the
// one-workgroup-per-row kernels.
const WORKGROUP: u32 = 64u;
const ROW_WORKGROUP: u32 = 256u;

// Per-row statistics written by sae_decode: [batch, ROW_STATS].
const RS_RESID: u32 = 0u;   // sum_k (x_hat - x)^2
const RS_AUX: u32 = 1u;     // sum_k (e_hat + e)^2 (AuxK)
const RS_L0: u32 = 2u;      // active latents
const RS_L1: u32 = 3u;      // sum of activations
const RS_SPARSE: u32 = 4u;  // sum f_i ||W_dec[i]|| (l1-2024)
const ROW_STATS: u32 = 5u;

// Per-step history words (u32; floats stored as bits): the five row-stat sums, then:
const H_DEAD: u32 = 5u;      // latents dead after the step's firing update
const H_NONFINITE: u32 = 6u; // 1 when some gradient was not finite
const HISTORY_WORDS: u32 = 8u;

// Linear thread index over a 2-D grid of 64-thread workgroups.
fn thread_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return gid.x + gid.y * groups.x * WORKGROUP;
}

// Linear workgroup index over a 2-D grid.
fn group_index(wid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return wid.x + wid.y * groups.x;
}

fn pre_bias(variant: u32) -> bool {
    return variant == V_L1_2023 || variant == V_TOPK;
}

fn unit_decoder(variant: u32) -> bool {
    return variant == V_L1_2023 || variant == V_TOPK;
}

// Offsets of the parameter blocks.
fn off_b_enc(n: u32, s: u32) -> u32 {
    return n * s;
}
fn off_w_dec(n: u32, s: u32) -> u32 {
    return n * s + s;
}
fn off_b_dec(n: u32, s: u32) -> u32 {
    return 2u * n * s + s;
}
fn off_log_theta(n: u32, s: u32) -> u32 {
    return 2u * n * s + s + n;
}
