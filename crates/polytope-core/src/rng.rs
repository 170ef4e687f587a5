//! Counter-based random numbers shared bit for bit with WGSL (`crates/polytope-gpu/src/rng.wgsl`).
//!
//! Every random number is a pure function of `(seed, step, instance, sample, lane)`, so a batch
//! can be generated on any device, in any order, and comes out identical. The mixing function is
//! the PCG hash recommended by Jarzynski & Olano, "Hash Functions for GPU Rendering" (JCGT 2020).

/// One round of the PCG output permutation on a 32-bit state.
#[inline]
pub const fn pcg(v: u32) -> u32 {
    let state = v.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
    let word = ((state >> ((state >> 28) + 4)) ^ state).wrapping_mul(277_803_737);
    (word >> 22) ^ word
}

/// The key of one sample of one instance at one step; lanes are drawn from it with [`lane_u32`].
#[inline]
pub const fn sample_key(seed: u32, step: u32, instance: u32, sample: u32) -> u32 {
    pcg(pcg(pcg(pcg(seed) ^ step) ^ instance) ^ sample)
}

/// A random `u32` for lane `lane` of a sample key. The golden-ratio multiplier spreads small
/// lane numbers over all bits before hashing.
#[inline]
pub const fn lane_u32(key: u32, lane: u32) -> u32 {
    pcg(key ^ lane.wrapping_mul(0x9E37_79B9))
}

/// Maps a random `u32` to `[0, 1)` using its top 24 bits: exact in `f32` on every device.
#[inline]
pub fn unit_f32(bits: u32) -> f32 {
    (bits >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// A uniform number in `[0, 1)` for one lane of a sample key.
#[inline]
pub fn lane_unit(key: u32, lane: u32) -> f32 {
    unit_f32(lane_u32(key, lane))
}

/// A small sequential generator for host-side work (initialisation, sampling for metrics),
/// built on the same hash so that it is reproducible everywhere from a seed.
#[derive(Clone, Debug)]
pub struct HostRng {
    key: u32,
    counter: u32,
}

impl HostRng {
    /// A generator for `stream` (for example "initialisation") under `seed`.
    pub const fn new(seed: u32, stream: u32) -> Self {
        Self {
            key: pcg(pcg(seed ^ 0x5EED_0000) ^ stream),
            counter: 0,
        }
    }

    pub fn next_u32(&mut self) -> u32 {
        let out = lane_u32(self.key, self.counter);
        self.counter = self.counter.wrapping_add(1);
        if self.counter == 0 {
            // 2^32 draws used: move to a fresh key rather than repeat.
            self.key = pcg(self.key ^ 0xA5A5_A5A5);
        }
        out
    }

    /// Uniform in `[0, 1)`.
    pub fn next_unit(&mut self) -> f64 {
        let hi = u64::from(self.next_u32() >> 5);
        let lo = u64::from(self.next_u32() >> 6);
        ((hi << 26) | lo) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A standard normal draw (Box-Muller).
    pub fn next_normal(&mut self) -> f64 {
        let u1 = 1.0 - self.next_unit(); // (0, 1]: the logarithm stays finite.
        let u2 = self.next_unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Uniform integer in `0..bound` (`bound > 0`), without modulo bias worth mentioning for
    /// the small bounds used here.
    pub fn next_below(&mut self, bound: u32) -> u32 {
        ((u64::from(self.next_u32()) * u64::from(bound)) >> 32) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known answers: the WGSL twin is tested against these same values on the GPU.
    #[test]
    fn pcg_known_answers() {
        assert_eq!(pcg(0), 129_708_002);
        assert_eq!(pcg(1), 2_831_084_092);
        assert_eq!(sample_key(1, 0, 0, 0), sample_key(1, 0, 0, 0));
        assert_ne!(sample_key(1, 0, 0, 0), sample_key(2, 0, 0, 0));
    }

    #[test]
    fn unit_floats_are_uniform() {
        let key = sample_key(7, 3, 1, 0);
        let count = 200_000u32;
        let mut sum = 0.0f64;
        let mut below_tenth = 0u32;
        for lane in 0..count {
            let u = lane_unit(key, lane);
            assert!((0.0..1.0).contains(&u));
            sum += f64::from(u);
            if u < 0.1 {
                below_tenth += 1;
            }
        }
        let mean = sum / f64::from(count);
        assert!((mean - 0.5).abs() < 0.005, "mean {mean}");
        let frac = f64::from(below_tenth) / f64::from(count);
        assert!((frac - 0.1).abs() < 0.005, "P(u < 0.1) = {frac}");
    }

    #[test]
    fn host_normals_have_unit_variance() {
        let mut rng = HostRng::new(42, 1);
        let draws: Vec<f64> = (0..100_000).map(|_| rng.next_normal()).collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / draws.len() as f64;
        assert!(mean.abs() < 0.02, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
    }
}
