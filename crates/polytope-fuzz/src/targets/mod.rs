//! Every parser of untrusted bytes or strings, as a fuzz target.

pub mod activations;
pub mod dict;
pub mod lm;
#[cfg(not(target_arch = "wasm32"))]
pub mod saelens;
pub mod settings;

use crate::check::Target;

macro_rules! every_target {
    ($($native_only:expr),*) => {
        &[
            &settings::TMS,
            &settings::SAE,
            &settings::PHASE,
            &activations::POLYACT1,
            &dict::INDEX,
            &dict::MANIFEST,
            &dict::LIST,
            &dict::WEIGHTS,
            &dict::CHUNK,
            &dict::SCORES,
            &lm::MODEL,
            &lm::TOKENIZER,
            $($native_only),*
        ]
    };
}

/// Every target, in the order the docs list them.
#[cfg(not(target_arch = "wasm32"))]
pub static ALL: &[&Target] = every_target!(&saelens::SAELENS);
/// Every target the browser build has (the SAELens import is native only).
#[cfg(target_arch = "wasm32")]
pub static ALL: &[&Target] = every_target!();

/// Targets whose saved inputs the wasm32 replay skips.
pub const NATIVE_ONLY: [&str; 1] = ["saelens"];

pub fn find(name: &str) -> Option<&'static Target> {
    ALL.iter().copied().find(|t| t.name == name)
}

/// Builds the state targets share (the shipped index and manifest) before any input is
/// measured, so that no input is charged for it.
pub fn warm_up() {
    dict::shipped();
}
