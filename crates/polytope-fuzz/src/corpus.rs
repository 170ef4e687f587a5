//! The saved corpus (`corpus/TARGET/FILE`), embedded at compile time so that the browser build,
//! which has no file system, replays it too.

use crate::check::{check_steady, now_ms};
use crate::targets;

/// One saved input.
pub struct Entry {
    pub target: &'static str,
    pub name: &'static str,
    pub bytes: &'static [u8],
}

// Written by build.rs: `pub static CORPUS: &[Entry]`, sorted by target and name.
include!(concat!(env!("OUT_DIR"), "/corpus.rs"));

/// What replaying the corpus found.
pub struct Replay {
    pub inputs: usize,
    pub millis: f64,
    /// `"target/name: what went wrong"`, empty when every input passed.
    pub failures: Vec<String>,
}

/// Runs every saved input through its target with the targets' bounds.
pub fn replay() -> Replay {
    targets::warm_up();
    let start = now_ms();
    let mut failures = Vec::new();
    for entry in CORPUS {
        if cfg!(target_arch = "wasm32") && targets::NATIVE_ONLY.contains(&entry.target) {
            continue;
        }
        let Some(target) = targets::find(entry.target) else {
            failures.push(format!("{}/{}: no such target", entry.target, entry.name));
            continue;
        };
        if let Some(f) = check_steady(target, entry.bytes).failure {
            failures.push(format!("{}/{}: {f}", entry.target, entry.name));
        }
    }
    for t in targets::ALL {
        if !CORPUS.iter().any(|e| e.target == t.name) {
            failures.push(format!("{}: no saved inputs", t.name));
        }
    }
    Replay {
        inputs: CORPUS.len(),
        millis: now_ms() - start,
        failures,
    }
}
