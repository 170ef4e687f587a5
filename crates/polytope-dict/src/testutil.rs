//! A tiny working directory for the steps' tests: a corpus and a tokenizer trained on it.

use std::path::PathBuf;

use polytope_core::lm::tokenizer::Tokenizer;

/// A fresh directory under the system's temporary directory, unique to this process and `name`.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("polytope-dict-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// `scratch(name)` with `corpus/train.txt`, `corpus/val.txt` and `tokenizer.json` (300 tokens).
pub fn tiny_work(name: &str) -> PathBuf {
    let work = scratch(name);
    let text = |seed: usize| {
        (0..300)
            .map(|i| {
                format!(
                    "In the beginning {} said the word {}, \"and it was good\".",
                    ["God", "the man", "the king", "she"][(i + seed) % 4],
                    i % 13
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    std::fs::create_dir_all(work.join("corpus")).expect("corpus directory");
    std::fs::write(work.join("corpus/train.txt"), text(0)).expect("train.txt");
    std::fs::write(work.join("corpus/val.txt"), text(1)).expect("val.txt");
    let tokenizer = Tokenizer::train(&text(0), 300);
    std::fs::write(work.join("tokenizer.json"), tokenizer.to_json()).expect("tokenizer.json");
    work
}
