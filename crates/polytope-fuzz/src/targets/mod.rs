//! Every parser of untrusted bytes or strings, as a fuzz target.

pub mod activations;
pub mod dict;
pub mod lm;
pub mod settings;

use crate::check::Target;

/// Every target, in the order the docs list them.
pub const ALL: [&Target; 11] = [
    &settings::TMS,
    &settings::SAE,
    &settings::PHASE,
    &activations::POLYACT1,
    &dict::INDEX,
    &dict::MANIFEST,
    &dict::LIST,
    &dict::WEIGHTS,
    &dict::CHUNK,
    &lm::MODEL,
    &lm::TOKENIZER,
];

pub fn find(name: &str) -> Option<&'static Target> {
    ALL.iter().copied().find(|t| t.name == name)
}

/// Builds the state targets share (the shipped index and manifest) before any input is
/// measured, so that no input is charged for it.
pub fn warm_up() {
    dict::shipped();
}
