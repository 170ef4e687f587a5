//! `polytope dict validate`, `export-saelens` and `import-saelens` on a small data directory
//! built with the format's own encoders.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polytope_core::dict::{
    Context, DataIndex, DictEntry, DictKind, DictManifest, DictMetrics, Example, FeatureDetail,
    FeatureSummary, FileRef, Histogram, ModelEntry, NO_TOKEN, SaeWeights, TrainingInfo,
    chunk_file_name, encode_chunk, encode_list,
};
use polytope_core::lm::tokenizer::Tokenizer;
use polytope_core::sae::Variant;

const EVAL: u32 = 1000;
const VOCAB: u32 = 260;
const D_IN: u32 = 16;
const D_SAE: u32 = 40;
const CHUNK: u32 = 16;
const WINDOW: Context = Context {
    before: 2,
    after: 2,
};

fn polytope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polytope"))
        .args(args)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .expect("the binary runs")
}

/// `polytope dict export-saelens --dict DICT --out ST`.
fn export_saelens(dict: &Path, st: &Path) -> Output {
    polytope(&[
        "dict",
        "export-saelens",
        "--dict",
        dict.to_str().unwrap(),
        "--out",
        st.to_str().unwrap(),
    ])
}

/// `polytope dict import-saelens ST --out BACK --id ID`.
fn import_saelens(st: &Path, back: &Path, id: &str) -> Output {
    polytope(&[
        "dict",
        "import-saelens",
        st.to_str().unwrap(),
        "--out",
        back.to_str().unwrap(),
        "--id",
        id,
    ])
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("polytope-dict-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn put(dir: &Path, rel: &str, bytes: &[u8]) -> FileRef {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    FileRef::of(rel.rsplit('/').next().unwrap(), bytes)
}

fn weights(variant: Variant, scale: f32) -> SaeWeights {
    let (n, s) = (D_IN as usize, D_SAE as usize);
    let v = |i: usize| (i % 29) as f32 / 8.0 - 1.75;
    SaeWeights {
        d_in: D_IN,
        d_sae: D_SAE,
        variant,
        k: (variant == Variant::TopK).then_some(4),
        normalize_scale: scale,
        w_enc: (0..s * n).map(v).collect(),
        b_enc: (0..s).map(|i| v(i + 1) / 4.0).collect(),
        w_dec: (0..s * n).map(|i| v(i + 2)).collect(),
        b_dec: (0..n).map(|i| v(i + 3) / 2.0).collect(),
        threshold: if variant == Variant::JumpRelu {
            (0..s).map(|i| i as f32 / 64.0).collect()
        } else {
            vec![0.0; s]
        },
    }
}

fn detail(id: u32) -> FeatureDetail {
    let example = |pos: u32, value: f32| {
        let before = WINDOW.before.min(pos);
        let after = WINDOW.after.min(EVAL - 1 - pos);
        Example {
            pos,
            value,
            acts: (0..before + 1 + after)
                .map(|i| if i == before { 255 } else { 0 })
                .collect(),
        }
    };
    FeatureDetail {
        id,
        top: vec![
            example(id * 7, 2.0),
            example(0, 1.5),
            example(EVAL - 1, 1.0),
        ],
        quantiles: vec![polytope_core::dict::QuantileGroup {
            lo: 0.5,
            hi: 1.0,
            count: 10,
            examples: vec![example(id + 3, 0.75)],
        }],
        histogram: Histogram {
            lo: 0.0,
            hi: 2.0,
            counts: vec![5, 3, 1, 0, 1],
        },
        logits_top: vec![(1, 0.5), (2, 0.25)],
        logits_bottom: vec![(3, -0.5)],
        logit_histogram: Histogram {
            lo: -0.5,
            hi: 0.5,
            counts: vec![1; 10],
        },
        neurons: vec![polytope_core::dict::NeuronWeight {
            neuron: (id % D_IN) as u16,
            weight: -0.5,
            share: 0.25,
        }],
        correlated: vec![((id + 1) % D_SAE, 0.5)],
        splits: vec![],
        best_match: None,
    }
}

/// A data directory with one model and one dictionary; returns it and the dictionary dir.
fn data_dir(name: &str, variant: Variant) -> (PathBuf, PathBuf) {
    let root = temp_dir(name);
    let dict_rel = "dict/a-40";
    let dict = root.join(dict_rel);
    let summaries: Vec<FeatureSummary> = (0..D_SAE)
        .map(|i| FeatureSummary {
            density: 0.01,
            max_act: 2.0,
            mean_act: 1.0,
            top_tokens: [(i % VOCAB) as u16, NO_TOKEN, NO_TOKEN, NO_TOKEN],
            map: [0.5, 0.25],
            flags: 0,
        })
        .collect();
    let list = put(
        &root,
        &format!("{dict_rel}/list.bin"),
        &encode_list(&summaries).unwrap(),
    );
    let w = put(
        &root,
        &format!("{dict_rel}/weights.bin"),
        &weights(variant, 1.0).to_bytes().unwrap(),
    );
    let chunks = (0..D_SAE.div_ceil(CHUNK))
        .map(|c| {
            let first = c * CHUNK;
            let details: Vec<_> = (first..(first + CHUNK).min(D_SAE)).map(detail).collect();
            let bytes = encode_chunk(first, &details).unwrap();
            put(
                &root,
                &format!("{dict_rel}/{}", chunk_file_name(c as usize)),
                &bytes,
            )
        })
        .collect();
    let manifest = DictManifest {
        format: "polytope-dictionary".into(),
        version: 1,
        id: "a-40".into(),
        model: "A".into(),
        kind: DictKind::Sae,
        d_in: D_IN,
        d_sae: D_SAE,
        variant: variant.name().into(),
        k: (variant == Variant::TopK).then_some(4),
        hook: "mlp.post_relu".into(),
        training: TrainingInfo {
            steps: 10,
            batch: 8,
            lr: 1e-3,
            sparsity_coefficient: None,
            seed: 1,
            activations: 80,
            seconds: 0.5,
            normalize_scale: 1.0,
        },
        metrics: DictMetrics {
            explained_variance: 0.5,
            nmse: 0.5,
            l0: 4.0,
            dead: 0,
            ultralow: 0,
            ultralow_threshold: 1e-5,
            loss_orig: 3.0,
            loss_sae: 3.5,
            loss_zero: 5.0,
            loss_recovered: 0.75,
            eval_tokens: u64::from(EVAL),
        },
        context: WINDOW,
        chunk_features: CHUNK,
        related: vec![],
        match_dict: None,
        list,
        weights: Some(w),
        chunks,
        scores: None,
    };
    std::fs::write(dict.join("manifest.json"), manifest.to_json()).unwrap();
    let tokens: Vec<u8> = (0..EVAL)
        .flat_map(|i| ((i % VOCAB) as u16).to_le_bytes())
        .collect();
    let at_root = |rel: &str, bytes: &[u8]| {
        put(&root, rel, bytes);
        FileRef::of(rel, bytes)
    };
    let index = DataIndex {
        format: "polytope-data".into(),
        version: 1,
        tokenizer: at_root("tokenizer.json", tokenizer().to_json().as_bytes()),
        vocab: VOCAB,
        eval_tokens: at_root("eval-tokens.bin", &tokens),
        text_sample: at_root("sample.txt", "Hello, wörld".as_bytes()),
        models: vec![ModelEntry {
            id: "A".into(),
            file: at_root("models/a.bin", b"model"),
            val_loss: 3.0,
            seed: 1,
            d_model: 128,
            d_mlp: D_IN,
            n_ctx: 64,
            steps: Some(10),
            train_tokens: None,
            neuron_scores: None,
            control_scores: None,
        }],
        dictionaries: vec![DictEntry {
            id: "a-40".into(),
            model: "A".into(),
            d_sae: D_SAE,
            variant: variant.name().into(),
            manifest: format!("{dict_rel}/manifest.json"),
            kind: DictKind::Sae,
        }],
        highlights: Vec::new(),
    };
    std::fs::write(root.join("index.json"), index.to_json()).unwrap();
    (root, dict)
}

fn tokenizer() -> Tokenizer {
    let text = "the cat sat on the mat; the hat is on the cat. ".repeat(50);
    let t = Tokenizer::train(&text, VOCAB as usize);
    assert_eq!(
        t.vocab_size(),
        VOCAB as usize,
        "the test text gives {VOCAB} tokens"
    );
    t
}

#[test]
fn a_valid_data_directory_passes() {
    let (root, dict) = data_dir("valid", Variant::TopK);
    let out = polytope(&["dict", "validate", root.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("ok    dict/a-40/chunk-0002.bin"),
        "{}",
        stdout(&out)
    );

    let out = polytope(&["dict", "validate", "--json", root.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["dictionaries"], 1);
    assert_eq!(v["features"], D_SAE);
    // index, tokenizer, eval tokens, sample, model, manifest, list, weights, 3 chunks
    assert_eq!(v["files"].as_array().unwrap().len(), 11);

    // One dictionary directory on its own.
    let out = polytope(&["dict", "validate", dict.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn problems_are_named_with_exit_code_1() {
    let (root, dict) = data_dir("broken", Variant::L1_2023);
    let path = root.to_str().unwrap();

    // A chunk changed after the manifest was written: checksum mismatch.
    let chunk = dict.join("chunk-0001.bin");
    let mut bytes = std::fs::read(&chunk).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&chunk, &bytes).unwrap();
    let out = polytope(&["dict", "validate", "--json", path]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    let bad: Vec<_> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ok"] == false)
        .collect();
    assert_eq!(bad.len(), 1, "{v}");
    assert_eq!(bad[0]["path"], "dict/a-40/chunk-0001.bin");
    assert!(
        bad[0]["error"].as_str().unwrap().contains("checksum"),
        "{v}"
    );

    // A chunk whose content is wrong but whose reference matches: the decoder names the
    // feature and field (a window position past the evaluation tokens).
    let mut details: Vec<_> = (16..32).map(detail).collect();
    details[3].top[0].pos = EVAL + 5;
    details[3].top[0].acts = vec![255, 0, 0];
    let bytes = encode_chunk(16, &details).unwrap();
    std::fs::write(&chunk, &bytes).unwrap();
    let manifest_path = dict.join("manifest.json");
    let mut m = DictManifest::from_json(&std::fs::read(&manifest_path).unwrap()).unwrap();
    m.chunks[1] = FileRef::of("chunk-0001.bin", &bytes);
    std::fs::write(&manifest_path, m.to_json()).unwrap();
    let out = polytope(&["dict", "validate", path]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(
            "FAIL  dict/a-40/chunk-0001.bin: feature 19: top example 0: position 1005 is past \
             the 1000 evaluation tokens"
        ),
        "{text}"
    );
    assert!(
        stderr(&out).contains("1 of 11 files have problems"),
        "{}",
        stderr(&out)
    );

    // A missing file.
    std::fs::remove_file(dict.join("list.bin")).unwrap();
    let out = polytope(&["dict", "validate", path]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("FAIL  dict/a-40/list.bin: cannot read"),
        "{}",
        stdout(&out)
    );

    // An index from a newer major version.
    let index = std::fs::read_to_string(root.join("index.json")).unwrap();
    std::fs::write(
        root.join("index.json"),
        index.replacen("\"version\": 1", "\"version\": 7", 1),
    )
    .unwrap();
    let out = polytope(&["dict", "validate", path]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("polytope-data version 7 is not supported"),
        "{}",
        stdout(&out)
    );

    // A tokenizer that is not one.
    std::fs::write(root.join("index.json"), index).unwrap();
    let bad = b"{\"format\": \"something-else\"}";
    let mut i = DataIndex::from_json(&std::fs::read(root.join("index.json")).unwrap()).unwrap();
    i.tokenizer = FileRef::of("tokenizer.json", bad);
    std::fs::write(root.join("tokenizer.json"), bad).unwrap();
    std::fs::write(root.join("index.json"), i.to_json()).unwrap();
    let out = polytope(&["dict", "validate", path]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("FAIL  tokenizer.json: "),
        "{}",
        stdout(&out)
    );

    // Bad usage: no index.json or manifest.json there.
    let out = polytope(&["dict", "validate", std::env::temp_dir().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn saelens_export_then_import_round_trips_the_weights() {
    for variant in Variant::ALL {
        let (root, dict) = data_dir(&format!("saelens-{}", variant.name()), variant);
        let st = root.join("saelens");
        let out = export_saelens(&dict, &st);
        assert!(out.status.success(), "{}", stderr(&out));
        let cfg: serde_json::Value =
            serde_json::from_slice(&std::fs::read(st.join("cfg.json")).unwrap()).unwrap();
        assert_eq!(cfg["d_in"], D_IN);
        assert_eq!(cfg["d_sae"], D_SAE);
        assert_eq!(cfg["context_size"], 64, "read from index.json");
        assert_eq!(cfg["hook_name"], "blocks.0.mlp.hook_post");
        let arch = match variant {
            Variant::L1_2023 | Variant::L1_2024 => "standard",
            Variant::TopK => "topk",
            Variant::JumpRelu => "jumprelu",
        };
        assert_eq!(cfg["architecture"], arch);
        let file = std::fs::read(st.join("sae_weights.safetensors")).unwrap();
        let tensors = safetensors::SafeTensors::deserialize(&file).unwrap();
        assert_eq!(tensors.tensor("W_enc").unwrap().shape(), [16, 40]);
        assert_eq!(tensors.tensor("W_dec").unwrap().shape(), [40, 16]);
        assert_eq!(
            tensors.tensor("threshold").is_ok(),
            variant == Variant::JumpRelu
        );
        assert!(st.join("sparsity.safetensors").is_file());

        let back = root.join("imported");
        let out = import_saelens(&st, &back, "a-40");
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            std::fs::read(back.join("weights.bin")).unwrap(),
            std::fs::read(dict.join("weights.bin")).unwrap(),
            "{variant:?}: the weights come back bit for bit"
        );
        let skeleton: serde_json::Value =
            serde_json::from_slice(&std::fs::read(back.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(skeleton["variant"], variant.name());
        assert_eq!(skeleton["model"], "A");

        // A cfg.json that disagrees with the tensors.
        let text = std::fs::read_to_string(st.join("cfg.json")).unwrap();
        std::fs::write(
            st.join("cfg.json"),
            text.replace("\"d_in\": 16", "\"d_in\": 17"),
        )
        .unwrap();
        let out = import_saelens(&st, &back, "x");
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out).contains(
                "W_enc has shape [16, 40], but cfg.json's d_in and d_sae make it [17, 40]"
            ),
            "{}",
            stderr(&out)
        );
        std::fs::remove_file(st.join("sae_weights.safetensors")).unwrap();
        std::fs::write(st.join("cfg.json"), text).unwrap();
        let out = import_saelens(&st, &back, "x");
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out).contains("sae_weights.safetensors"),
            "{}",
            stderr(&out)
        );
        let _ = std::fs::remove_dir_all(root);
    }
}

/// A normalize_scale other than 1 is folded into the exported weights; the imported SAE
/// (scale 1) computes the same pre-activations on raw inputs.
#[test]
fn normalize_scale_is_folded_on_export() {
    let (root, dict) = data_dir("saelens-scale", Variant::L1_2023);
    let w = weights(Variant::L1_2023, 2.0);
    let bytes = w.to_bytes().unwrap();
    let manifest_path = dict.join("manifest.json");
    let mut m = DictManifest::from_json(&std::fs::read(&manifest_path).unwrap()).unwrap();
    m.weights = Some(put(&root, "dict/a-40/weights.bin", &bytes));
    m.training.normalize_scale = 2.0;
    std::fs::write(&manifest_path, m.to_json()).unwrap();
    let st = root.join("saelens");
    let back = root.join("imported");
    let out = export_saelens(&dict, &st);
    assert!(out.status.success(), "{}", stderr(&out));
    let cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(st.join("cfg.json")).unwrap()).unwrap();
    assert_eq!(cfg["normalize_activations"], "none");
    assert_eq!(cfg["metadata"]["polytope_normalize_scale"], 2.0);
    let out = import_saelens(&st, &back, "a-40");
    assert!(out.status.success(), "{}", stderr(&out));
    let w2 = SaeWeights::from_bytes(&std::fs::read(back.join("weights.bin")).unwrap()).unwrap();
    assert_eq!(w2.normalize_scale, 1.0);
    let w = SaeWeights::from_bytes(&bytes).unwrap();
    let x: Vec<f32> = (0..D_IN).map(|i| i as f32 / 8.0).collect();
    let pre = |w: &SaeWeights, i: usize| -> f32 {
        let xs: Vec<f32> = x
            .iter()
            .zip(&w.b_dec)
            .map(|(v, b)| v * w.normalize_scale - b)
            .collect();
        w.encoder_row(i)
            .iter()
            .zip(&xs)
            .map(|(a, b)| a * b)
            .sum::<f32>()
            + w.b_enc[i]
    };
    for i in 0..D_SAE as usize {
        assert!((pre(&w, i) - pre(&w2, i)).abs() < 0.05, "feature {i}");
    }
    let _ = std::fs::remove_dir_all(root);
}

/// Highlights in index.json are checked against the data: a claim that holds passes, one that
/// does not is named with what the data says, a malformed one fails the index.
#[test]
fn highlight_claims_are_checked_against_the_data() {
    let (root, _) = data_dir("highlights", Variant::TopK);
    let r = root.to_str().unwrap();
    let with = |claim: &str| {
        let mut index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(root.join("index.json")).unwrap()).unwrap();
        index["highlights"] = serde_json::from_str(&format!(
            r#"[{{"tag": "bang", "dict": "a-40", "index": 33,
                "note": {{"en": "Exclamation marks.", "zh": "感叹号。"}},
                "claims": [{claim}]}}]"#
        ))
        .unwrap();
        std::fs::write(root.join("index.json"), index.to_string()).unwrap();
        polytope(&["dict", "validate", r])
    };
    // Feature 33's top token is token 33, the byte "!".
    let out = with(r#"{"kind": "top-token", "token": "!"}"#);
    assert!(out.status.success(), "{}", stdout(&out));
    let out = with(r#"{"kind": "top-token", "token": "?"}"#);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(
            r#"highlight "bang": claims[0] about a-40/33: top token is "!", the claim says "?""#
        ),
        "{}",
        stdout(&out)
    );
    let out = with(r#"{"kind": "best-match", "min_correlation": 0.5}"#);
    assert!(
        stdout(&out).contains("there is no best match"),
        "{}",
        stdout(&out)
    );
    let out = with(
        r#"{"kind": "split-edge", "to": {"dict": "a-40", "index": 99}, "min_similarity": 0.5}"#,
    );
    assert!(
        stdout(&out).contains("FAIL  index.json")
            && stdout(&out).contains("not below its d_sae 40"),
        "{}",
        stdout(&out)
    );
}
