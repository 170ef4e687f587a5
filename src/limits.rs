//! How much memory a run may take in this tab, checked before it starts, so that an address
//! asking for a huge run gets a message naming the limit instead of a crashed page.
//!
//! The page's memory is WebAssembly linear memory: at most 4 GiB on wasm32, and browsers
//! refuse to grow it well before that on many machines. A run's host-side bytes (its
//! parameters and optimizer state, the batch buffers of the CPU trainer, the copies the
//! plots hold) must fit [`WASM_HEAP_BUDGET_BYTES`]; on the GPU the device's own buffer and
//! binding limits are checked by the GPU trainers.

use polytope_core::sae::SaeConfig;
use polytope_core::tms::TmsConfig;
use polytope_gpu::GpuContext;

use crate::engine::Failure;

/// The most host memory one run may use in the page: 1.5 GiB.
pub const WASM_HEAP_BUDGET_BYTES: u64 = 3 << 29;

fn gib(bytes: u64) -> String {
    format!("{:.2} GiB", bytes as f64 / f64::from(1u32 << 30))
}

fn refuse(what: &str, needed: u64) -> Failure {
    Failure::Stop(format!(
        "this run needs about {} of memory for {what}; a page may use at most {} \
         (WASM_HEAP_BUDGET_BYTES): choose fewer instances, features or a smaller batch",
        gib(needed),
        gib(WASM_HEAP_BUDGET_BYTES)
    ))
}

/// Host bytes of a toy-model run: parameters with Adam's two moments and the gradient, two
/// copies for the plots, and the CPU trainer's batch buffers (inputs, hidden, outputs).
pub fn tms_bytes(cfg: &TmsConfig) -> u64 {
    let instances = cfg.instances.len() as u64;
    let n = u64::from(cfg.n_features);
    let m = u64::from(cfg.n_hidden);
    let params = instances.saturating_mul(m * n * 2 + n + m);
    let batch = instances.saturating_mul(u64::from(cfg.batch_size).saturating_mul(2 * n + m));
    params
        .saturating_mul(6)
        .saturating_add(batch)
        .saturating_mul(4)
}

/// Refuses a toy-model run that does not fit the page.
pub fn check_tms(cfg: &TmsConfig, _ctx: Option<&GpuContext>) -> Result<(), Failure> {
    let needed = tms_bytes(cfg);
    if needed > WASM_HEAP_BUDGET_BYTES {
        return Err(refuse("its weights and batches", needed));
    }
    Ok(())
}

/// Host bytes of an SAE run: encoder and decoder with Adam's moments and the gradient, the
/// batch and its `[batch, d_sae]` activations (pre-activations, codes, their gradients).
pub fn sae_bytes(cfg: &SaeConfig) -> u64 {
    let d_in = u64::from(cfg.d_in);
    let d_sae = u64::from(cfg.d_sae);
    let batch = u64::from(cfg.batch);
    let params = (2 * d_in * d_sae + d_in + d_sae).saturating_mul(5);
    let acts = batch.saturating_mul(d_sae).saturating_mul(4);
    let rows = batch.saturating_mul(d_in).saturating_mul(4);
    params
        .saturating_add(acts)
        .saturating_add(rows)
        .saturating_mul(4)
}

/// Refuses an SAE run that does not fit the page.
pub fn check_sae(cfg: &SaeConfig) -> Result<(), Failure> {
    let needed = sae_bytes(cfg);
    if needed > WASM_HEAP_BUDGET_BYTES {
        return Err(refuse("its dictionary and batches", needed));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use polytope_core::tms::TmsSettings;

    fn cfg(pairs: &[(&str, &str)]) -> TmsConfig {
        let (s, errors) = TmsSettings::from_pairs(pairs.iter().copied());
        assert!(errors.is_empty(), "{errors:?}");
        s.to_config()
    }

    #[test]
    fn the_presets_fit_and_absurd_links_are_refused() {
        for preset in polytope_core::tms::PRESET_NAMES {
            let c = cfg(&[("preset", preset)]);
            assert!(check_tms(&c, None).is_ok(), "{preset}: {}", tms_bytes(&c));
        }
        let huge = cfg(&[("n", "4096"), ("m", "64"), ("density", "sweep:1:0.01:4096")]);
        let e = check_tms(&huge, None).unwrap_err();
        assert!(
            matches!(&e, Failure::Stop(m) if m.contains("1.50 GiB")),
            "{e:?}"
        );
        let batch = cfg(&[
            ("n", "4096"),
            ("m", "64"),
            ("density", "sweep:1:0.01:200"),
            ("batch", "65536"),
        ]);
        assert!(check_tms(&batch, None).is_err());
    }
}
