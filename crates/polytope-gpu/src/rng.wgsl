// Counter-based random numbers: the bit-for-bit twin of crates/polytope-core/src/rng.rs.
// Every value is a pure function of (seed, step, instance, sample, lane).

fn pcg(v: u32) -> u32 {
    let state = v * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

fn sample_key(seed: u32, step: u32, instance: u32, sample: u32) -> u32 {
    return pcg(pcg(pcg(pcg(seed) ^ step) ^ instance) ^ sample);
}

fn lane_u32(key: u32, lane: u32) -> u32 {
    return pcg(key ^ (lane * 0x9E3779B9u));
}

// Top 24 bits to [0, 1): exact in f32.
fn unit_f32(bits: u32) -> f32 {
    return f32(bits >> 8u) * (1.0 / 16777216.0);
}

fn lane_unit(key: u32, lane: u32) -> f32 {
    return unit_f32(lane_u32(key, lane));
}
