//! Snapshots of the command line's public interface: the `--help` text and the flag names of
//! `polytope` and of every subcommand (found by walking the help's `Commands:` lists, so a new
//! subcommand gets a snapshot too), and the key set of every `--json` output that runs in
//! seconds. A flag, subcommand or JSON key that disappears, is renamed or changes type fails
//! here, so a refactoring cannot change the interface silently.
//!
//! Updating a snapshot is an explicit act: `UPDATE_SNAPSHOTS=1 cargo test -p polytope-cli --test
//! snapshots` rewrites the files under `tests/snapshots/`, and the diff goes into review.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

fn updating() -> bool {
    std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v != "0" && !v.is_empty())
}

fn polytope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polytope"))
        .args(args)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .expect("the binary runs")
}

/// Compares `actual` with the snapshot `rel` (or writes it when updating); returns a
/// description of the difference.
fn check(rel: &str, actual: &str) -> Option<String> {
    let path = snapshot_dir().join(rel);
    if updating() {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("snapshot directory");
        std::fs::write(&path, actual).expect("snapshot written");
        return None;
    }
    let Ok(expected) = std::fs::read_to_string(&path) else {
        return Some(format!(
            "{rel}: no snapshot (a new command or output?); run with UPDATE_SNAPSHOTS=1 and \
             review the new file"
        ));
    };
    if expected == actual {
        return None;
    }
    let (old, new): (BTreeSet<&str>, BTreeSet<&str>) =
        (expected.lines().collect(), actual.lines().collect());
    let mut diff = String::new();
    for gone in old.difference(&new) {
        let _ = write!(diff, "\n  - {gone}");
    }
    for added in new.difference(&old) {
        let _ = write!(diff, "\n  + {added}");
    }
    if diff.is_empty() {
        diff.push_str("\n  (same lines, different order)");
    }
    Some(format!("{rel} changed:{diff}"))
}

fn finish(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "the public interface changed (if on purpose: UPDATE_SNAPSHOTS=1 and review the diff):\n{}",
        failures.join("\n")
    );
}

/// The entries of a help section (`Commands:`, `Arguments:`, `Options:`): the first word of each
/// entry line (continuation lines are indented further and skipped).
fn section<'a>(help: &'a str, title: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in help.lines() {
        if line.ends_with(':') && !line.starts_with(' ') {
            inside = line == title;
            continue;
        }
        if inside
            && let Some(rest) = line.strip_prefix("  ")
            && (!rest.starts_with("   ") || rest.trim_start().starts_with('-'))
        {
            out.push(rest.trim_start());
        }
    }
    out
}

/// Flag names and positional arguments of one help text: `--work`, `-h`, `<PATH>`.
fn flags(help: &str) -> Vec<String> {
    let mut out = Vec::new();
    for entry in section(help, "Arguments:") {
        if let Some(name) = entry.split_whitespace().next() {
            out.push(
                name.trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_owned(),
            );
        }
    }
    for entry in section(help, "Options:") {
        for word in entry.split_whitespace() {
            let word = word.trim_end_matches(',');
            if word.starts_with('-') {
                out.push(word.to_owned());
            } else if !word.starts_with('<') && !word.starts_with("[<") {
                break;
            }
        }
    }
    out
}

#[test]
fn every_commands_help_and_flags_match_their_snapshots() {
    let mut failures = Vec::new();
    let mut flag_lines = Vec::new();
    let mut seen = BTreeSet::new();
    let mut queue: Vec<Vec<String>> = vec![Vec::new()];
    while let Some(path) = queue.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = polytope(&args);
        assert!(out.status.success(), "{args:?}: {out:?}");
        let help = String::from_utf8(out.stdout).expect("help is UTF-8");
        let name = if path.is_empty() {
            "polytope".to_owned()
        } else {
            format!("polytope {}", path.join(" "))
        };
        let file = format!("help/{}.txt", name.replace(' ', "_"));
        seen.insert(file.clone());
        failures.extend(check(&file, &help));
        flag_lines.push(format!("{name}: {}", flags(&help).join(" ")));
        for entry in section(&help, "Commands:") {
            let sub = entry.split_whitespace().next().unwrap_or("");
            if sub != "help" && !sub.is_empty() {
                let mut next = path.clone();
                next.push(sub.to_owned());
                queue.push(next);
            }
        }
    }
    flag_lines.sort();
    failures.extend(check("flags.txt", &(flag_lines.join("\n") + "\n")));
    // A snapshot whose command is gone is a removed subcommand.
    if let Ok(entries) = std::fs::read_dir(snapshot_dir().join("help")) {
        for e in entries.flatten() {
            let file = format!("help/{}", e.file_name().to_string_lossy());
            if !seen.contains(&file) {
                if updating() {
                    let _ = std::fs::remove_file(e.path());
                } else {
                    failures.push(format!("{file}: the command is gone"));
                }
            }
        }
    }
    // polytope, its 6 commands, bench's 2 and dict's 10 (the walk itself finds new ones).
    assert!(seen.len() >= 19, "only {} commands found", seen.len());
    finish(&failures);
}

/// Every key path of a JSON value with the types seen there: `instances[].loss: number`.
fn key_paths(
    v: &serde_json::Value,
    prefix: &str,
    out: &mut BTreeMap<String, BTreeSet<&'static str>>,
) {
    let kind = match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    };
    out.entry(prefix.to_owned()).or_default().insert(kind);
    match v {
        serde_json::Value::Array(items) => {
            for item in items {
                key_paths(item, &format!("{prefix}[]"), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, item) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                key_paths(item, &path, out);
            }
        }
        _ => {}
    }
}

/// The key set of a command's JSON output (one document, or several one after the other).
fn json_keys(args: &[&str]) -> String {
    let out = polytope(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut paths = BTreeMap::new();
    let docs = serde_json::Deserializer::from_slice(&out.stdout).into_iter::<serde_json::Value>();
    let mut n = 0;
    for doc in docs {
        let doc = doc.unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON: {e}"));
        key_paths(&doc, "", &mut paths);
        n += 1;
    }
    assert!(n > 0, "{args:?} printed no JSON");
    let mut text = String::new();
    for (path, kinds) in paths {
        let kinds: Vec<&str> = kinds.into_iter().collect();
        let path = if path.is_empty() { "(root)" } else { &path };
        let _ = writeln!(text, "{path}: {}", kinds.join("|"));
    }
    text
}

/// A tiny corpus (train.txt, val.txt) for the tokenizer and model steps.
fn tiny_corpus(work: &Path) {
    let corpus = work.join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    let text = |seed: usize| {
        (0..400)
            .map(|i| {
                format!(
                    "In the beginning {} the word {} was said, \"and it was good\".",
                    ["God", "man", "the king", "she"][(i + seed) % 4],
                    i % 17
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    std::fs::write(corpus.join("train.txt"), text(0)).unwrap();
    std::fs::write(corpus.join("val.txt"), text(1)).unwrap();
}

#[test]
fn every_quick_json_outputs_keys_match_their_snapshots() {
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("snapshot-json");
    let _ = std::fs::remove_dir_all(&work);
    tiny_corpus(&work);
    let w = work.to_str().unwrap().to_owned();
    let corpus = format!("{w}/corpus");
    let tokenizer = format!("{w}/tokenizer.json");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../public/data");
    let data = data.to_str().unwrap().to_owned();
    let runs: Vec<(&str, Vec<&str>)> = vec![
        (
            "tms",
            vec!["tms", "--preset", "intro", "--steps", "5", "--json"],
        ),
        (
            "phase",
            vec![
                "phase",
                "--n",
                "2",
                "--m",
                "1",
                "--resolution",
                "2",
                "--models",
                "2",
                "--steps",
                "20",
                "--json",
            ],
        ),
        (
            "sae",
            vec![
                "sae",
                "--d-in",
                "8",
                "--features",
                "16",
                "--d-sae",
                "32",
                "--steps",
                "40",
                "--batch",
                "64",
                "--json",
            ],
        ),
        (
            "bench_tms",
            vec![
                "bench",
                "tms",
                "--backend",
                "cpu",
                "--presets",
                "intro",
                "--seconds",
                "0.02",
                "--json",
            ],
        ),
        (
            "bench_sae",
            vec![
                "bench",
                "sae",
                "--backend",
                "cpu",
                "--variants",
                "topk",
                "--sizes",
                "8x16",
                "--batch",
                "32",
                "--seconds",
                "0.02",
                "--json",
            ],
        ),
        ("dict_validate", vec!["dict", "validate", &data, "--json"]),
        ("gpu-info", vec!["gpu-info", "--software", "--json"]),
    ];
    let mut failures = Vec::new();
    for (name, args) in &runs {
        failures.extend(check(&format!("json/{name}.txt"), &json_keys(args)));
    }
    // The tokenizer and the model steps on a tiny corpus (these two run in order).
    failures.extend(check(
        "json/dict_tokenizer.txt",
        &json_keys(&[
            "dict",
            "tokenizer",
            "--corpus",
            &corpus,
            "--vocab",
            "300",
            "--out",
            &tokenizer,
            "--json",
        ]),
    ));
    failures.extend(check(
        "json/dict_train-model.txt",
        &json_keys(&[
            "dict",
            "train-model",
            "--work",
            &w,
            "--steps",
            "2",
            "--d-model",
            "16",
            "--d-mlp",
            "32",
            "--heads",
            "2",
            "--ctx",
            "16",
            "--batch",
            "4",
            "--json",
        ]),
    ));
    let _ = std::fs::remove_dir_all(&work);
    finish(&failures);
}

/// Exit codes and messages of refused dictionary-pipeline commands (bad flags exit 2, a step
/// that cannot run exits 1), with the scratch directory written as `WORK`.
#[test]
fn refused_dict_commands_exit_codes_and_messages_match_their_snapshot() {
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("snapshot-exit");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let w = work.to_str().unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["dict", "corpus", "--val-fraction", "0.9"],
        vec!["dict", "corpus", "--slice", "0"],
        vec!["dict", "tokenizer", "--vocab", "10"],
        vec!["dict", "tokenizer", "--corpus", w],
        vec!["dict", "train-model", "--work", w, "--model", "a!"],
        vec!["dict", "train-model", "--work", w, "--steps", "0"],
        vec!["dict", "train-model", "--work", w],
        vec!["dict", "activations", "--work", w],
        vec!["dict", "train-sae", "--work", w],
        vec!["dict", "build", "--work", w, "--dicts", ""],
        vec!["dict", "build", "--work", w, "--before", "99"],
        vec!["dict", "build", "--work", w],
        vec!["dict", "pipeline", "--work", w, "--until", "nope"],
        vec!["dict", "validate", w],
        vec!["dict", "export-saelens", "--dict", w, "--out", w],
        vec!["dict", "import-saelens", w, "--out", w, "--id", "x"],
        vec!["dict", "build", "--top", "many"],
        vec!["dict", "nope"],
    ];
    let mut lines = String::new();
    for args in &cases {
        let out = polytope(args);
        let stderr = String::from_utf8_lossy(&out.stderr).replace(w, "WORK");
        let first = stderr.lines().next().unwrap_or("");
        let _ = writeln!(
            lines,
            "{} => {}: {first}",
            args.join(" ").replace(w, "WORK"),
            out.status.code().map_or("signal".into(), |c| c.to_string())
        );
    }
    let _ = std::fs::remove_dir_all(&work);
    finish(
        &check("exit-codes.txt", &lines)
            .into_iter()
            .collect::<Vec<_>>(),
    );
}
