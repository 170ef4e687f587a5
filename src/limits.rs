//! How much memory a run may take in this tab, checked before it starts, so that an address
//! asking for a huge run gets a message naming the limit instead of a crashed page.
//!
//! The estimate and the budget are the core crate's ([`polytope_core::memory`]): the CLI and
//! the dictionary pipeline check the same estimate against the native budget. The page's
//! memory is WebAssembly linear memory: at most 4 GiB on wasm32, and browsers refuse to grow it
//! well before that on many machines, hence [`Budget::WasmHeap`] (1 GiB). On the GPU the
//! device's own buffer and binding limits are checked by the GPU trainers, which also need the
//! host's copy of the state, so this check applies to every backend.

use polytope_core::memory::{self, Budget, MemoryError, MemoryEstimate, Part};
use polytope_core::sae::SaeConfig;
use polytope_core::tms::TmsConfig;

use crate::engine::Failure;
use crate::i18n::{Key, Lang, text};

/// The budget of a run in the page.
pub const BUDGET: Budget = Budget::WasmHeap;

/// The largest activation file the page reads: half the budget, since training needs room
/// beside the file.
pub const MAX_ACTIVATION_FILE_BYTES: u64 = memory::WASM_HEAP_BUDGET / 2;

/// The CPU trainer in the page runs on one thread.
const WORKERS: usize = 1;

fn part_key(part: Part) -> Key {
    match part {
        Part::Parameters => Key::MemParameters,
        Part::Gradients => Key::MemGradients,
        Part::OptimizerState => Key::MemOptimizerState,
        Part::Batch => Key::MemBatch,
        Part::Activations => Key::MemActivations,
        Part::Staging => Key::MemStaging,
        Part::Evaluation => Key::MemEvaluation,
        Part::Data => Key::MemData,
        Part::Other => Key::MemOther,
    }
}

/// The refusal in the visitor's language: what the run needs, its largest part, and the limit.
pub fn refusal(lang: Lang, error: &MemoryError) -> String {
    let MemoryError::OverBudget {
        needed,
        allowed,
        largest,
        largest_bytes,
        ..
    } = error;
    text(lang, Key::RunTooLarge)
        .replace("{0}", &memory::mib(*needed))
        .replace("{1}", text(lang, part_key(*largest)))
        .replace("{2}", &memory::mib(*largest_bytes))
        .replace("{3}", &memory::mib(*allowed))
}

fn check(estimate: MemoryEstimate, lang: Lang) -> Result<(), Failure> {
    estimate
        .check(BUDGET)
        .map_err(|e| Failure::Stop(refusal(lang, &e)))
}

/// What a toy-model run holds in the page.
pub fn tms_estimate(cfg: &TmsConfig) -> MemoryEstimate {
    memory::tms_cpu(cfg, WORKERS)
}

/// Refuses a toy-model run that does not fit the page.
pub fn check_tms(cfg: &TmsConfig, lang: Lang) -> Result<(), Failure> {
    check(tms_estimate(cfg), lang)
}

/// What an SAE run holds in the page beyond its data (the source already holds its data when
/// the run is checked, and an activation file was refused above [`MAX_ACTIVATION_FILE_BYTES`]).
pub fn sae_estimate(cfg: &SaeConfig) -> MemoryEstimate {
    memory::sae_cpu(cfg, 0)
}

/// Refuses an SAE run that does not fit the page.
pub fn check_sae(cfg: &SaeConfig, lang: Lang) -> Result<(), Failure> {
    check(sae_estimate(cfg), lang)
}

#[cfg(test)]
mod tests {
    use super::*;
    use polytope_core::sae::SaeSettings;
    use polytope_core::tms::TmsSettings;

    fn cfg(pairs: &[(&str, &str)]) -> TmsConfig {
        let (s, errors) = TmsSettings::from_pairs(pairs.iter().copied());
        assert!(errors.is_empty(), "{errors:?}");
        s.to_config()
    }

    fn sae(pairs: &[(&str, &str)], d_in: u32) -> SaeConfig {
        let (s, errors) = SaeSettings::from_pairs(pairs.iter().copied(), false);
        assert!(errors.is_empty(), "{errors:?}");
        s.to_config(d_in)
    }

    #[test]
    fn the_presets_fit_and_absurd_links_are_refused_in_both_languages() {
        for preset in polytope_core::tms::PRESET_NAMES {
            let c = cfg(&[("preset", preset)]);
            assert!(
                check_tms(&c, Lang::En).is_ok(),
                "{preset}: {:?}",
                tms_estimate(&c)
            );
        }
        let huge = cfg(&[("n", "4096"), ("m", "64"), ("density", "sweep:1:0.01:4096")]);
        let e = check_tms(&huge, Lang::En).unwrap_err();
        assert!(
            matches!(&e, Failure::Stop(m) if m.contains("1.0 GiB") && m.contains("snapshots and copies")),
            "{e:?}"
        );
        let Failure::Stop(zh) = check_tms(&huge, Lang::Zh).unwrap_err() else {
            panic!("a refusal stops the run");
        };
        assert!(zh.contains("1.0 GiB") && zh.contains("内存"), "{zh}");
        let batch = cfg(&[
            ("n", "4096"),
            ("m", "64"),
            ("density", "sweep:1:0.01:200"),
            ("batch", "65536"),
        ]);
        assert!(check_tms(&batch, Lang::En).is_err());
    }

    /// The language-model source at its widest (4096 latents on 512 neurons) with its default
    /// batch trains in the page; `/sae?d_sae=16384&batch=8192` does not.
    #[test]
    fn the_widest_page_sae_fits_and_a_huge_batch_is_refused() {
        let lm = sae(&[("source", "lm"), ("d_sae", "4096")], 512);
        assert!(check_sae(&lm, Lang::En).is_ok(), "{:?}", sae_estimate(&lm));
        let default = sae(&[], 32);
        assert!(check_sae(&default, Lang::En).is_ok());
        let huge = sae(&[("d_sae", "16384"), ("batch", "8192")], 512);
        let Failure::Stop(m) = check_sae(&huge, Lang::En).unwrap_err() else {
            panic!("a refusal stops the run");
        };
        assert!(m.contains("activations") && m.contains("1.0 GiB"), "{m}");
    }

    #[test]
    fn every_part_has_a_name_in_both_languages() {
        for part in Part::ALL {
            let key = part_key(part);
            assert!(!text(Lang::En, key).is_empty() && !text(Lang::Zh, key).is_empty());
        }
    }
}
