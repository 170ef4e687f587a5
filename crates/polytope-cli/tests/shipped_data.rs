//! Every file shipped in `public/data/` decodes with the browser's own decoders, every size and
//! checksum matches, and the shipped model, run on the shipped tokens, reproduces the loss its
//! index reports.

use std::path::{Path, PathBuf};

use polytope_core::dict::{DataIndex, DictManifest, SaeWeights, decode_chunk, decode_list};
use polytope_core::lm::file::from_bytes as read_model;
use polytope_core::lm::tokenizer::Tokenizer;
use polytope_core::lm::train::evaluate;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../public/data")
}

fn read(rel: &str) -> Vec<u8> {
    let path = data_dir().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_shipped_file_decodes_and_the_model_reproduces_its_loss() {
    let index = DataIndex::from_json(&read("index.json")).expect("index.json");
    let mut total = read("index.json").len() as u64;
    let mut get = |r: &polytope_core::dict::FileRef, base: &str| {
        let rel = if base.is_empty() {
            r.path.clone()
        } else {
            format!("{base}/{}", r.path)
        };
        let bytes = read(&rel);
        r.check(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
        total += bytes.len() as u64;
        bytes
    };
    let tokenizer = Tokenizer::from_json(
        std::str::from_utf8(&get(&index.tokenizer, "")).expect("tokenizer is UTF-8"),
    )
    .expect("tokenizer.json");
    assert_eq!(tokenizer.vocab_size() as u32, index.vocab);
    let eval: Vec<u16> = get(&index.eval_tokens, "")
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    assert!(eval.iter().all(|t| u32::from(*t) < index.vocab));
    let sample = String::from_utf8(get(&index.text_sample, "")).expect("text sample is UTF-8");
    assert!(
        tokenizer.encode(&sample).len() > sample.len() / 8,
        "the sample tokenizes"
    );

    // Each dictionary's manifest records the model's loss over the first `loss_windows`
    // windows of the evaluation tokens (1024 by default); the shipped model must reproduce it.
    let mut recorded = std::collections::BTreeMap::new();
    for d in &index.dictionaries {
        let m = DictManifest::from_json(&read(&d.manifest)).expect("manifest");
        recorded.insert(d.model.clone(), m.metrics.loss_orig);
    }
    for m in &index.models {
        let (model, meta) = read_model(&get(&m.file, "")).expect("model file");
        assert_eq!(model.config.d_mlp as u32, m.d_mlp);
        assert_eq!(model.config.vocab as u32, index.vocab);
        let ctx = model.config.ctx;
        let windows = (eval.len() / ctx).min(1024);
        let loss = evaluate(&model, &eval, ctx, windows);
        if let Some(want) = recorded.get(&m.id) {
            assert!(
                (loss as f32 - want).abs() < 2e-3,
                "model {}: loss {loss:.5} on the shipped tokens, the dictionaries recorded {want}",
                m.id
            );
        }
        // The whole validation split (the index's number) is close but not the same text.
        assert!(
            (loss - f64::from(m.val_loss)).abs() < 0.5,
            "model {}: {loss} vs {}",
            m.id,
            m.val_loss
        );
        assert!((meta.val_loss as f32 - m.val_loss).abs() < 1e-4);
    }

    for d in &index.dictionaries {
        let manifest = DictManifest::from_json(&read(&d.manifest)).expect("manifest");
        index
            .check_manifest(d, &manifest)
            .unwrap_or_else(|e| panic!("{}: {e}", d.id));
        let base = Path::new(&d.manifest)
            .parent()
            .and_then(Path::to_str)
            .unwrap_or("")
            .to_owned();
        let list = decode_list(
            &get(&manifest.list, &base),
            manifest.d_sae,
            Some(index.vocab),
        )
        .unwrap_or_else(|e| panic!("{}: list: {e}", d.id));
        let dead = list.iter().filter(|f| f.is_dead()).count() as u32;
        let ultralow = list.iter().filter(|f| f.is_ultralow()).count() as u32;
        assert_eq!(
            (dead, ultralow),
            (manifest.metrics.dead, manifest.metrics.ultralow)
        );
        if let Some(w) = &manifest.weights {
            let weights = SaeWeights::from_bytes(&get(w, &base)).expect("weights");
            assert_eq!(
                (weights.d_in, weights.d_sae),
                (manifest.d_in, manifest.d_sae)
            );
        }
        let mut features = 0;
        for (i, c) in manifest.chunks.iter().enumerate() {
            let ctx = manifest.chunk_context(i, Some(eval.len() as u64), Some(index.vocab));
            let details = decode_chunk(&get(c, &base), &ctx)
                .unwrap_or_else(|e| panic!("{}/{}: {e}", d.id, c.path));
            features += details.len();
        }
        assert_eq!(features as u32, manifest.d_sae);
        let m = &manifest.metrics;
        assert!(m.explained_variance > 0.5, "{}: {m:?}", d.id);
        assert!(
            m.loss_recovered > 0.5 && m.loss_recovered <= 1.05,
            "{}: {m:?}",
            d.id
        );
    }
    assert!(
        total <= 40 * 1024 * 1024,
        "public/data holds {total} bytes, over 40 MB"
    );
}

/// The highlights the tour and the "start here" list use: the story's tags are there, and every
/// note's claim holds on the shipped data (a rebuild that breaks a note fails here).
#[test]
fn every_highlight_claim_holds_on_the_shipped_data() {
    let index = DataIndex::from_json(&read("index.json")).expect("index.json");
    for tag in ["god", "god-split", "shared", "quote"] {
        let h = index
            .highlight(tag)
            .unwrap_or_else(|| panic!("no highlight {tag:?}"));
        assert!(!h.note.en.is_empty() && !h.note.zh.is_empty());
    }
    for h in index.highlights() {
        for c in &h.claims {
            assert_ne!(
                c.test,
                polytope_core::dict::ClaimTest::Unknown,
                "{}: a claim kind this build cannot check",
                h.tag
            );
        }
    }
    let broken = polytope_dict::validate::check_highlights(&data_dir(), &index);
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
