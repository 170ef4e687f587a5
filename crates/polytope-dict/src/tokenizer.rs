//! `polytope dict tokenizer`: trains the byte-level BPE tokenizer on the corpus's training split
//! and reports its compression on the validation split.

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use polytope_core::lm::tokenizer::{MAX_VOCAB, Tokenizer};

use crate::Error;

#[derive(clap::Args)]
pub struct Args {
    /// The corpus directory (train.txt, val.txt) written by `polytope dict corpus`.
    #[arg(long, default_value = "target/dict/corpus")]
    pub corpus: PathBuf,
    /// Vocabulary size: 256 byte tokens plus merges (257 to 65536).
    #[arg(long, default_value_t = 2048)]
    pub vocab: usize,
    /// Where the tokenizer JSON is written.
    #[arg(long, default_value = "target/dict/tokenizer.json")]
    pub out: PathBuf,
    /// Print the summary as JSON to stdout.
    #[arg(long)]
    pub json: bool,
}

fn read(path: &std::path::Path) -> Result<String, Error> {
    fs::read_to_string(path).map_err(|e| {
        Error::Run(format!(
            "cannot read {}: {e} (run `polytope dict corpus` first)",
            path.display()
        ))
    })
}

#[allow(clippy::cast_precision_loss)]
pub fn run(args: &Args) -> Result<(), Error> {
    if args.vocab <= 256 || args.vocab > MAX_VOCAB {
        return Err(Error::Usage(format!(
            "--vocab must be between 257 and {MAX_VOCAB}, not {}",
            args.vocab
        )));
    }
    let train = read(&args.corpus.join("train.txt"))?;
    let val = read(&args.corpus.join("val.txt"))?;
    if train.is_empty() {
        return Err(Error::Run(format!(
            "{} is empty",
            args.corpus.join("train.txt").display()
        )));
    }
    let started = Instant::now();
    let tokenizer = Tokenizer::train(&train, args.vocab);
    let train_seconds = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let val_ids = tokenizer.encode(&val);
    let encode_seconds = started.elapsed().as_secs_f64();
    if tokenizer.decode(&val_ids) != val {
        return Err(Error::Run(
            "the tokenizer does not round-trip val.txt (a bug)".into(),
        ));
    }
    let tokens_per_byte = if val.is_empty() {
        0.0
    } else {
        val_ids.len() as f64 / val.len() as f64
    };

    let mut counts: HashMap<u16, usize> = HashMap::new();
    for &id in &val_ids {
        *counts.entry(id).or_insert(0) += 1;
    }
    let mut top: Vec<(u16, usize)> = counts.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(30);

    let json = tokenizer.to_json();
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    }
    fs::write(&args.out, &json).map_err(|e| Error::io("write", &args.out, e))?;

    let longest: Vec<String> = {
        let mut ids: Vec<u16> =
            (256..u16::try_from(tokenizer.vocab_size()).unwrap_or(u16::MAX)).collect();
        ids.sort_by_key(|&i| std::cmp::Reverse(tokenizer.token_bytes(i).len()));
        ids.iter()
            .take(10)
            .map(|&i| tokenizer.token_text(i))
            .collect()
    };
    if args.json {
        let summary = serde_json::json!({
            "out": args.out.display().to_string(),
            "vocab_size": tokenizer.vocab_size(),
            "train_bytes": train.len(),
            "train_seconds": train_seconds,
            "val_bytes": val.len(),
            "val_tokens": val_ids.len(),
            "val_tokens_per_byte": tokens_per_byte,
            "encode_seconds": encode_seconds,
            "top_tokens": top.iter().map(|&(id, n)| serde_json::json!({"id": id, "text": tokenizer.token_text(id), "count": n})).collect::<Vec<_>>(),
            "longest_tokens": longest,
        });
        println!("{summary}");
    } else {
        println!(
            "trained {} tokens on {} bytes in {train_seconds:.1} s; wrote {}",
            tokenizer.vocab_size(),
            train.len(),
            args.out.display()
        );
        println!(
            "val.txt: {} bytes -> {} tokens ({tokens_per_byte:.3} tokens per byte, {:.2} bytes per token; encoded in {encode_seconds:.2} s)",
            val.len(),
            val_ids.len(),
            if val_ids.is_empty() {
                0.0
            } else {
                val.len() as f64 / val_ids.len() as f64
            }
        );
        let shown: Vec<String> = top
            .iter()
            .map(|&(id, _)| format!("{:?}", tokenizer.token_text(id)))
            .collect();
        println!("most frequent tokens on val: {}", shown.join(" "));
        let shown: Vec<String> = longest.iter().map(|t| format!("{t:?}")).collect();
        println!("longest tokens: {}", shown.join(" "));
    }
    Ok(())
}
