//! The pipeline's working directory and the small file helpers every step shares.
//!
//! ```text
//! WORK/cache/               registry archives (sha256-pinned)
//! WORK/corpus/              train.txt, val.txt, corpus.json, NOTICE
//! WORK/tokenizer.json
//! WORK/tokens/              train.tok, val.tok (u16 LE token streams, keyed by the tokenizer)
//! WORK/model-a/             checkpoint.bin, model.bin (f16), log.jsonl, report.json
//! WORK/acts-a.bin           MLP activations (POLYACT1)
//! WORK/sae/a-2048/          state.bin (f32 params), report.json
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use polytope_core::dict::fnv1a64;
use polytope_core::lm::file::from_bytes as read_model;
use polytope_core::lm::model::LmModel;
use polytope_core::lm::tokenizer::Tokenizer;

use crate::Error;

pub fn read(path: &Path) -> Result<Vec<u8>, Error> {
    fs::read(path).map_err(|e| Error::io("read", path, e))
}

pub fn read_text(path: &Path) -> Result<String, Error> {
    fs::read_to_string(path).map_err(|e| Error::io("read", path, e))
}

pub fn create_dir(dir: &Path) -> Result<(), Error> {
    fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))
}

/// Writes through a temporary file and a rename, so an interrupted run never leaves a
/// half-written checkpoint behind.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    if let Some(dir) = path.parent() {
        create_dir(dir)?;
    }
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, bytes)
        .and_then(|()| fs::rename(&tmp, path))
        .map_err(|e| Error::io("write", path, e))
}

pub fn tokenizer_path(work: &Path) -> PathBuf {
    work.join("tokenizer.json")
}

pub fn load_tokenizer(work: &Path) -> Result<Tokenizer, Error> {
    let path = tokenizer_path(work);
    let json = read_text(&path).map_err(|e| e.hint("run `polytope dict tokenizer` first"))?;
    Tokenizer::from_json(&json).map_err(|e| Error::Run(format!("{}: {e}", path.display())))
}

pub fn model_dir(work: &Path, id: &str) -> PathBuf {
    work.join(format!("model-{}", id.to_lowercase()))
}

pub fn load_model(work: &Path, id: &str) -> Result<LmModel, Error> {
    let path = model_dir(work, id).join("model.bin");
    let bytes = read(&path).map_err(|e| {
        e.hint(format!(
            "run `polytope dict train-model --model {id}` first"
        ))
    })?;
    read_model(&bytes)
        .map(|(m, _)| m)
        .map_err(|e| Error::Run(format!("{}: {e}", path.display())))
}

/// The token streams of the corpus splits under the current tokenizer, encoded once and
/// cached beside it (the cache is keyed by a hash of the tokenizer and the text).
pub fn load_tokens(work: &Path, split: &str) -> Result<Vec<u16>, Error> {
    let tokenizer_json = read(&tokenizer_path(work))?;
    let text = read_text(&work.join("corpus").join(format!("{split}.txt")))?;
    let key = fnv1a64(&tokenizer_json) ^ fnv1a64(text.as_bytes()).rotate_left(17);
    let path = work.join("tokens").join(format!("{split}.tok"));
    if let Ok(bytes) = fs::read(&path)
        && bytes.len() >= 8
        && bytes[..8] == key.to_le_bytes()
    {
        return Ok(bytes[8..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect());
    }
    let tokenizer = load_tokenizer(work)?;
    let tokens = tokenizer.encode(&text);
    let mut bytes = Vec::with_capacity(8 + tokens.len() * 2);
    bytes.extend_from_slice(&key.to_le_bytes());
    for t in &tokens {
        bytes.extend_from_slice(&t.to_le_bytes());
    }
    write_atomic(&path, &bytes)?;
    Ok(tokens)
}
