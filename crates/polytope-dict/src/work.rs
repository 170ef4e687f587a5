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
//!
//! Every file is written by [`write_atomic`]: a unique temporary file in the same directory,
//! synced, renamed over the target, the directory synced; so a crash leaves the old file or the
//! new one, and two processes writing the same file (two models encoding the same token cache)
//! never collide. The files a step resumes from (checkpoints, SAE states, token caches) are
//! sealed with a checksum (`seal`).

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use polytope_core::dict::fnv1a64;
use polytope_core::lm::file::from_bytes as read_model;
use polytope_core::lm::model::LmModel;
use polytope_core::lm::tokenizer::Tokenizer;

use crate::Error;
use crate::seal::{open, seal};

pub fn read(path: &Path) -> Result<Vec<u8>, Error> {
    fs::read(path).map_err(|e| Error::io("read", path, e))
}

pub fn read_text(path: &Path) -> Result<String, Error> {
    fs::read_to_string(path).map_err(|e| Error::io("read", path, e))
}

pub fn create_dir(dir: &Path) -> Result<(), Error> {
    fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))
}

/// Writes `bytes` to `path` atomically and durably: through a temporary file of a name no
/// other writer uses (process id and a counter), synced to disk, renamed over `path`, and the
/// directory synced, so that an interrupted run never leaves a half-written file behind and
/// concurrent writers of the same file do not collide (the last rename wins, whole).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    create_dir(dir)?;
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io("write", path, e));
    }
    // The rename is durable once the directory entry is: sync the directory (POSIX).
    #[cfg(unix)]
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("sync", dir, e))?;
    Ok(())
}

/// Reads a file a step resumes from: `Ok(None)` when there is none (a fresh start), the file's
/// bytes otherwise. Any other failure to read it is an error, never a silent fresh start.
pub fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", path, e)),
    }
}

/// Whether `path` exists; a file that cannot even be looked at is an error.
pub fn exists(path: &Path) -> Result<bool, Error> {
    path.try_exists().map_err(|e| Error::io("read", path, e))
}

/// Says on stderr that a file written before checksums was accepted and is rewritten with one.
pub fn note_upgrade(path: &Path) {
    eprintln!(
        "note: {} was written without a checksum (by an older polytope); accepted and rewritten \
         with one",
        path.display()
    );
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

/// The kind of a sealed token cache (`seal`): the key, then u16 LE tokens.
const TOKENS_KIND: &[u8; 8] = b"POLYTOKS";

/// The token streams of the corpus splits under the current tokenizer, encoded once and
/// cached beside it (sealed with a checksum; the cache is keyed by a hash of the tokenizer and
/// the text, so a changed tokenizer or corpus encodes again). A damaged cache is refused with
/// its path; one written before checksums is accepted once and rewritten sealed.
pub fn load_tokens(work: &Path, split: &str) -> Result<Vec<u16>, Error> {
    let tokenizer_json = read(&tokenizer_path(work))?;
    let text = read_text(&work.join("corpus").join(format!("{split}.txt")))?;
    let key = (fnv1a64(&tokenizer_json) ^ fnv1a64(text.as_bytes()).rotate_left(17)).to_le_bytes();
    let path = work.join("tokens").join(format!("{split}.tok"));
    if let Some(bytes) = read_if_exists(&path)? {
        let opened = open(
            &path,
            TOKENS_KIND,
            bytes,
            "delete it to encode the tokens again",
        )?;
        let payload = opened.payload();
        if payload.len() >= 8 && payload[..8] == key {
            let body = &payload[8..];
            if !body.len().is_multiple_of(2) {
                return Err(Error::Damaged {
                    path,
                    reason: format!("{} bytes of tokens is odd", body.len()),
                    fix: "delete it to encode the tokens again".into(),
                });
            }
            let tokens: Vec<u16> = body
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            if opened.legacy {
                write_atomic(&path, &seal(TOKENS_KIND, payload))?;
                note_upgrade(&path);
            }
            return Ok(tokens);
        }
    }
    let tokenizer = load_tokenizer(work)?;
    let tokens = tokenizer.encode(&text);
    let mut payload = Vec::with_capacity(8 + tokens.len() * 2);
    payload.extend_from_slice(&key);
    for t in &tokens {
        payload.extend_from_slice(&t.to_le_bytes());
    }
    write_atomic(&path, &seal(TOKENS_KIND, &payload))?;
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{scratch, tiny_work};

    /// Several writers of one file at once (two models encoding the same token cache): every
    /// write succeeds, the file ends whole, and no temporary file is left behind. With a fixed
    /// temporary name, one writer's rename found the other's file already moved.
    #[test]
    fn concurrent_writers_of_one_file_all_succeed_and_leave_it_whole() {
        let dir = scratch("race");
        let path = dir.join("tokens").join("train.tok");
        let writers: Vec<_> = (0..4u8)
            .map(|w| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let bytes = vec![w; 64 * 1024];
                    for _ in 0..50 {
                        write_atomic(&path, &bytes).expect("every write succeeds");
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().expect("writer");
        }
        let bytes = fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 64 * 1024);
        assert!(
            bytes.iter().all(|b| *b == bytes[0]),
            "one writer's bytes, whole"
        );
        let left: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left.len(), 1, "{left:?}");
    }

    #[test]
    fn token_caches_are_sealed_legacy_ones_upgraded_damaged_ones_refused() {
        let work = tiny_work("tokens");
        let tokens = load_tokens(&work, "val").expect("encoded");
        let path = work.join("tokens/val.tok");
        let sealed = fs::read(&path).unwrap();
        assert!(sealed.starts_with(crate::seal::MAGIC));
        assert_eq!(
            load_tokens(&work, "val").unwrap(),
            tokens,
            "read from the cache"
        );

        // Written before checksums: the bare key and tokens.
        fs::write(&path, &sealed[crate::seal::HEADER_LEN..]).unwrap();
        assert_eq!(load_tokens(&work, "val").unwrap(), tokens);
        assert_eq!(fs::read(&path).unwrap(), sealed, "rewritten sealed");

        fs::write(&path, &sealed[..sealed.len() - 2]).unwrap();
        let msg = load_tokens(&work, "val").expect_err("refused").to_string();
        assert!(
            msg.contains(&path.display().to_string()) && msg.contains("delete it"),
            "{msg}"
        );
    }
}
