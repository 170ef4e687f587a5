//! The dictionary pipeline: from registry corpora to the files the feature browser reads
//! (`public/data/`, docs/dictionary-format.md). Every step is reproducible from its seed and
//! options and resumes from what an earlier run left in the working directory ([`work`]).
//!
//! One module per step, each with its options (`Args`, which are also the `polytope dict ...`
//! flags: the CLI only parses them and calls `run`): [`corpus`] -> [`tokenizer`] -> [`model`]
//! -> [`activations`] -> [`sae`] -> [`build`]; [`pipeline`] chains them, [`validate`] checks a
//! data directory, [`saelens`] converts to and from SAELens.
//!
//! Native only (it runs processes, writes files and trains on the CPU or the GPU); the formats
//! it writes are read by `polytope_core::dict`, which the browser shares.

pub mod activations;
pub mod backend;
pub mod build;
pub mod corpus;
mod error;
pub mod limits;
pub mod model;
pub mod pipeline;
pub mod sae;
pub mod saelens;
pub mod scores;
pub mod seal;
#[cfg(test)]
mod testutil;
pub mod tokenizer;
pub mod validate;
pub mod work;

pub use error::Error;

/// An options struct with every option at its default: what its flags parse to when none is
/// given (the defaults are written once, in the clap declaration).
pub fn defaults<T: clap::Args>() -> Result<T, Error> {
    #[derive(clap::Parser)]
    struct Wrap<T: clap::Args> {
        #[command(flatten)]
        inner: T,
    }
    <Wrap<T> as clap::Parser>::try_parse_from(["polytope"])
        .map(|w| w.inner)
        .map_err(|e| Error::Usage(e.to_string()))
}
