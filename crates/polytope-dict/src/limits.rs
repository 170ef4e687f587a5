//! Bounds of the pipeline's options, checked before a step allocates anything: every option has
//! a range (an absurd size exits with 2 and names the flag and its range), and the steps whose
//! memory grows with their options estimate it and refuse what exceeds [`MEMORY_BUDGET_BYTES`].

use std::fmt::Display;

use polytope_core::lm::model::LmConfig;
use polytope_core::sae::SaeConfig;

use crate::Error;

/// The most memory one pipeline step may plan to use: 16 GiB, which leaves room for the system
/// and a browser on the 24 GiB machine the pipeline runs on (the SAE steps stream their
/// activations from disk, so the budget bounds the step's working set, not its data).
pub const MEMORY_BUDGET_BYTES: u64 = 16 << 30;

/// Refuses `value` outside `lo..=hi`, naming the flag.
pub fn bound<T: PartialOrd + Display + Copy>(
    flag: &str,
    value: T,
    lo: T,
    hi: T,
) -> Result<(), Error> {
    if value >= lo && value <= hi {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{flag} {value} is outside {lo}..={hi}"
        )))
    }
}

/// Refuses a finite-float option outside `lo..=hi` (or not finite).
pub fn bound_f64(flag: &str, value: f64, lo: f64, hi: f64) -> Result<(), Error> {
    if value.is_finite() && value >= lo && value <= hi {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{flag} {value} is outside {lo}..={hi}"
        )))
    }
}

fn gib(bytes: u64) -> String {
    format!("{:.2} GiB", bytes as f64 / f64::from(1u32 << 30))
}

/// Refuses a step whose estimated memory `bytes` exceeds the budget.
pub fn fits(what: &str, bytes: u64, fix: &str) -> Result<(), Error> {
    if bytes <= MEMORY_BUDGET_BYTES {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{what} needs about {} of memory; a pipeline step may use at most {} \
             (MEMORY_BUDGET_BYTES): {fix}",
            gib(bytes),
            gib(MEMORY_BUDGET_BYTES)
        )))
    }
}

/// Bytes of training a language model: parameters, AdamW's two moments and the gradient, and
/// the forward pass's saved activations per token (attention scores over the context, the
/// residual stream's intermediates, the MLP, the logits and their gradients).
pub fn model_bytes(c: &LmConfig, batch: usize) -> u64 {
    let (d, v, m, t) = (
        c.d_model as u64,
        c.vocab as u64,
        c.d_mlp as u64,
        c.ctx as u64,
    );
    let params = 2 * v * d + t * d + 4 * d * d + 2 * d * m + m + d + v;
    let per_token = c.n_heads as u64 * t * 2 + 12 * d + 3 * m + 3 * v;
    let tokens = (batch as u64).saturating_mul(t);
    params
        .saturating_mul(4)
        .saturating_add(tokens.saturating_mul(per_token))
        .saturating_mul(4)
}

/// Bytes of training an SAE on the host: encoder and decoder with Adam's moments and the
/// gradient, the batch and its `[batch, d_sae]` activations (pre-activations, codes, their
/// gradients). The same estimate as the web app's (src/limits.rs), for the native budget.
pub fn sae_bytes(cfg: &SaeConfig) -> u64 {
    let (d_in, d_sae, batch) = (
        u64::from(cfg.d_in),
        u64::from(cfg.d_sae),
        u64::from(cfg.batch),
    );
    let params = (2 * d_in * d_sae + d_in + d_sae).saturating_mul(5);
    let acts = batch.saturating_mul(d_sae).saturating_mul(4);
    let rows = batch.saturating_mul(d_in).saturating_mul(4);
    params
        .saturating_add(acts)
        .saturating_add(rows)
        .saturating_mul(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_name_the_flag_and_the_range() {
        assert!(bound("--count", 5u64, 1, 10).is_ok());
        let e = bound("--count", 0u64, 1, 10).expect_err("refused");
        assert!(e.is_usage());
        assert_eq!(e.to_string(), "--count 0 is outside 1..=10");
        assert!(bound_f64("--lr", f64::NAN, 0.0, 1.0).is_err());
        let e = fits("this run", 20 << 30, "use fewer").expect_err("refused");
        assert!(e.to_string().contains("20.00 GiB"), "{e}");
    }

    #[test]
    fn todays_full_size_runs_fit_the_budget() {
        let c = LmConfig {
            vocab: 2048,
            d_model: 128,
            n_heads: 4,
            d_mlp: 512,
            ctx: 64,
        };
        let b = model_bytes(&c, 32);
        assert!(b < 200 << 20, "{b}");
        let mut cfg =
            SaeConfig::recommended(polytope_core::sae::Variant::TopK, 512, 16_384, 40_000);
        cfg.batch = 4096;
        assert!(
            fits("x", sae_bytes(&cfg), "").is_ok(),
            "{}",
            sae_bytes(&cfg)
        );
        cfg.d_sae = 131_072;
        cfg.batch = 65_536;
        assert!(fits("x", sae_bytes(&cfg), "").is_err());
    }
}
