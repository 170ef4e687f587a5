//! The versioned dictionary format: what `public/data/` holds for the feature browser.
//!
//! Documented byte by byte in `docs/dictionary-format.md`. Everything here takes and returns
//! bytes and structs (no file I/O), so the browser (wasm) and the CLI share one reader.
//!
//! - [`DataIndex`] (`index.json`): the tokenizer, the evaluation tokens, the models and the
//!   dictionaries of a data directory.
//! - [`Highlight`] (`index.json`'s `highlights`): the story's units with notes and claims.
//! - [`DictManifest`] (`dict/<id>/manifest.json`): one dictionary's settings, metrics and files.
//! - [`encode_list`] / [`decode_list`] (`list.bin`): a [`FeatureSummary`] per feature.
//! - [`SaeWeights`] (`weights.bin`): the SAE's parameters in f16.
//! - [`encode_scores`] / [`decode_scores`] (`scores.bin`): interpretability scores per unit.
//! - [`encode_chunk`] / [`decode_chunk`] / [`decode_chunk_feature`] (`chunk-NNNN.bin`): the
//!   [`FeatureDetail`]s of `chunk_features` consecutive features.
//!
//! Decoders never panic: any input gives `Ok` or a [`DictError`] that names the feature and the
//! field. Encoders check the same rules, so whatever they write reads back.

mod bytes;
mod chunk;
mod highlights;
mod index;
mod list;
mod scores;
mod weights;

use thiserror::Error;

pub use chunk::{
    CHUNK_MAGIC, CHUNK_VERSION, ChunkContext, Example, FeatureDetail, Histogram, MAX_BINS,
    MAX_WINDOW_SIDE, NeuronWeight, QuantileGroup, SplitEdge, chunk_file_name, decode_chunk,
    decode_chunk_feature, encode_chunk,
};
pub use highlights::{
    Claim, ClaimTest, Highlight, MAX_HIGHLIGHTS, MAX_NOTE_CHARS, Note, UnitRecords, UnitRef,
};
pub use index::{
    Context, DATA_FORMAT, DATA_VERSION, DICT_FORMAT, DICT_VERSION, DataIndex, DictEntry, DictKind,
    DictManifest, DictMetrics, FileRef, MAX_CHUNK_FEATURES, MAX_D_SAE, ModelEntry, TrainingInfo,
};
pub use list::{
    FLAG_DEAD, FLAG_ULTRALOW, FeatureSummary, LIST_HEADER_LEN, LIST_MAGIC, LIST_RECORD_LEN,
    LIST_VERSION, NO_TOKEN, decode_list, encode_list, list_len,
};
pub use scores::{
    MAX_MEASURES, SCORES_HEADER_LEN, SCORES_MAGIC, SCORES_VERSION, ScoresRef, UnitScores,
    decode_scores, encode_scores, scores_len, scores_units_in,
};
pub use weights::{SaeWeights, WEIGHTS_HEADER_LEN, WEIGHTS_MAGIC, WEIGHTS_VERSION, weights_len};

/// What is wrong with a dictionary file, precisely enough to fix it.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum DictError {
    #[error("not a {kind} file: it does not start with {magic:?}")]
    BadMagic {
        kind: &'static str,
        magic: &'static str,
    },
    #[error(
        "{kind} version {found} is not supported: this build reads version {supported} (a newer \
         Polytope wrote it; update the reader)"
    )]
    UnsupportedVersion {
        kind: &'static str,
        found: u32,
        supported: u32,
    },
    #[error("the file should be {expected} bytes long but it is {actual}")]
    WrongLength { expected: usize, actual: usize },
    #[error("{0}")]
    Json(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{context}: {inner}")]
    In {
        context: String,
        inner: Box<DictError>,
    },
}

impl DictError {
    /// Prefixes the error with where it happened (`"feature 197"`, `"chunk-0003.bin"`).
    #[must_use]
    pub fn context(self, context: impl Into<String>) -> Self {
        Self::In {
            context: context.into(),
            inner: Box::new(self),
        }
    }
}

pub(crate) fn invalid(message: impl Into<String>) -> DictError {
    DictError::Invalid(message.into())
}

/// FNV-1a, 64 bits, of `bytes` as 16 lowercase hexadecimal digits: the `checksum` of a
/// [`FileRef`]. Fast, dependency-free and the same in the browser; it detects truncated or
/// stale files, it is not a cryptographic hash.
pub fn checksum(bytes: &[u8]) -> String {
    format!("{:016x}", fnv1a64(bytes))
}

/// FNV-1a 64 of `bytes` as a number (what [`checksum`] prints).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// An id (of a model or a dictionary): 1 to 64 characters of `a-z A-Z 0-9 - _ .`, not starting
/// with a dot.
pub fn is_safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A relative path inside the data directory: `/`-separated safe segments (as [`is_safe_id`],
/// up to 128 characters each), at most 512 characters; no `..`, no leading `/`, no `\`.
pub fn is_safe_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 512
        && path.split('/').all(|seg| {
            !seg.is_empty()
                && seg.len() <= 128
                && !seg.starts_with('.')
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
}
