//! Every dictionary file the feature browser decodes (`docs/dictionary-format.md`):
//! `index.json`, a dictionary's `manifest.json`, `list.bin`, `weights.bin`, the
//! `chunk-NNNN.bin` files and the `scores.bin` files, with the contexts the browser decodes them in (the shipped index's
//! vocabulary and evaluation tokens, the shipped manifest's snippet window).
//!
//! Oracles: what decodes re-encodes to the same bytes (binary files) or reads back equal
//! (JSON); a strict context never accepts what the permissive one refuses; lookups on an
//! accepted manifest stay inside it.

use std::sync::OnceLock;

use polytope_core::dict::{
    ChunkContext, Context, DataIndex, DictEntry, DictKind, DictManifest, Example, FeatureDetail,
    FeatureSummary, FileRef, Histogram, NO_TOKEN, NeuronWeight, QuantileGroup, SaeWeights,
    SplitEdge, UnitScores, decode_chunk, decode_chunk_feature, decode_list, decode_scores,
    encode_chunk, encode_list, encode_scores, scores_units_in,
};
use polytope_core::sae::Variant;

use crate::alloc::unmeasured;
use crate::check::{Bound, Target};
use crate::mutation::{self, Rng, get_u32, put_u32};

const SHIPPED_INDEX: &[u8] = include_bytes!("../../../../public/data/index.json");
const SHIPPED_MANIFEST: &[u8] = include_bytes!("../../../../public/data/dict/a-512/manifest.json");

/// The shipped index and the a-512 manifest: the context real files are decoded in.
pub fn shipped() -> &'static (DataIndex, DictManifest) {
    static SHIPPED: OnceLock<(DataIndex, DictManifest)> = OnceLock::new();
    SHIPPED.get_or_init(|| {
        // Invariant: the shipped files decode (polytope-cli's shipped_data test checks them).
        (
            DataIndex::from_json(SHIPPED_INDEX).expect("the shipped index.json decodes"),
            DictManifest::from_json(SHIPPED_MANIFEST).expect("the shipped manifest decodes"),
        )
    })
}

fn err_class(e: &impl ToString) -> String {
    mutation::class_of(&e.to_string())
}

// ---- index.json --------------------------------------------------------------------------

fn run_index(input: &[u8]) -> Result<String, String> {
    let parsed = DataIndex::from_json(input);
    unmeasured(|| match parsed {
        Ok(index) => verify_index(&index),
        Err(e) => Ok(err_class(&e)),
    })
}

fn verify_index(index: &DataIndex) -> Result<String, String> {
    let back = DataIndex::from_json(index.to_json().as_bytes())
        .map_err(|e| format!("to_json does not read back: {e}"))?;
    if back != *index {
        return Err("to_json reads back different".into());
    }
    for d in &index.dictionaries {
        if index.model(&d.model).is_none() || index.dictionary(&d.id).is_none() {
            return Err(format!(
                "dictionary {:?}: its model or itself is missing",
                d.id
            ));
        }
    }
    Ok("ok".into())
}

fn file_ref(rng: &mut Rng, path: &str) -> FileRef {
    FileRef {
        path: path.to_owned(),
        bytes: rng.range(1, 1 << 20) as u64 * 2,
        checksum: format!("{:016x}", rng.u64()),
    }
}

fn generate_index(rng: &mut Rng) -> Vec<u8> {
    let models: Vec<_> = (0..rng.range(1, 3))
        .map(|i| polytope_core::dict::ModelEntry {
            id: ["A", "B", "C"][i].to_owned(),
            file: file_ref(rng, &format!("model-{i}.bin")),
            val_loss: rng.unit() as f32 * 5.0,
            seed: rng.u64() >> 40,
            d_model: rng.range(1, 256) as u32,
            d_mlp: rng.range(1, 1024) as u32,
            n_ctx: rng.range(1, 128) as u32,
            steps: rng.chance(1, 2).then(|| rng.u64() >> 44),
            train_tokens: rng.chance(1, 2).then(|| rng.u64() >> 30),
            neuron_scores: None,
            control_scores: None,
        })
        .collect();
    let dictionaries = (0..rng.below(4))
        .map(|i| {
            let model = rng.pick(&models).id.clone();
            DictEntry {
                id: format!("{}-{i}", model.to_lowercase()),
                model,
                d_sae: rng.range(1, 8192) as u32,
                variant: Variant::ALL[rng.below(4)].name().to_owned(),
                manifest: format!("dict/d{i}/manifest.json"),
                kind: DictKind::Sae,
            }
        })
        .collect();
    let index = DataIndex {
        format: "polytope-data".into(),
        version: 1,
        tokenizer: file_ref(rng, "tokenizer.json"),
        vocab: rng.range(1, 65_535) as u32,
        eval_tokens: file_ref(rng, "eval-tokens.bin"),
        text_sample: file_ref(rng, "text-sample.txt"),
        models,
        dictionaries,
        highlights: Vec::new(),
    };
    index.to_json().into_bytes()
}

pub const INDEX: Target = Target {
    name: "dict_index",
    ext: "json",
    about: "the data directory's index.json (DataIndex::from_json)",
    // serde_json's tree of a document is several times its text.
    bound: Bound {
        single_fixed: 64 << 10,
        single_per_byte: 4,
        live_fixed: 256 << 10,
        live_per_byte: 64,
        millis: 250.0,
    },
    max_len: 32 << 10,
    run: run_index,
    generate: generate_index,
    mutate: mutation::mutate_json,
    data_seeds: &["index.json"],
};

// ---- manifest.json -----------------------------------------------------------------------

fn run_manifest(input: &[u8]) -> Result<String, String> {
    let parsed = DictManifest::from_json(input);
    unmeasured(|| match parsed {
        Ok(m) => verify_manifest(&m),
        Err(e) => Ok(err_class(&e)),
    })
}

fn verify_manifest(m: &DictManifest) -> Result<String, String> {
    let back = DictManifest::from_json(m.to_json().as_bytes())
        .map_err(|e| format!("to_json does not read back: {e}"))?;
    if back != *m {
        return Err("to_json reads back different".into());
    }
    let (index, _) = shipped();
    let chunks = m.chunk_count();
    if chunks != m.chunks.len() {
        return Err(format!(
            "{chunks} chunks counted, {} listed",
            m.chunks.len()
        ));
    }
    for c in [0, chunks / 2, chunks.saturating_sub(1)] {
        let ctx = m.chunk_context(c, Some(index.eval_token_count()), Some(index.vocab));
        if ctx.count == 0 || u64::from(ctx.first) + u64::from(ctx.count) > u64::from(m.d_sae) {
            return Err(format!(
                "chunk {c}: features {}+{} outside d_sae {}",
                ctx.first, ctx.count, m.d_sae
            ));
        }
    }
    for f in [0, m.d_sae / 2, m.d_sae - 1] {
        match m.chunk_for(f) {
            Some((i, _)) if i < chunks => {}
            other => return Err(format!("feature {f}: chunk_for gives {other:?}")),
        }
    }
    if m.chunk_for(m.d_sae).is_some() {
        return Err(format!("chunk_for({}) is not None", m.d_sae));
    }
    let entry = index
        .dictionary(&m.id)
        .cloned()
        .unwrap_or_else(|| DictEntry {
            id: m.id.clone(),
            model: m.model.clone(),
            d_sae: m.d_sae,
            variant: m.variant.clone(),
            manifest: "dict/x/manifest.json".into(),
            kind: DictKind::Sae,
        });
    Ok(match index.check_manifest(&entry, m) {
        Ok(()) => "ok".into(),
        Err(e) => format!("ok; {}", err_class(&e)),
    })
}

fn generate_manifest(rng: &mut Rng) -> Vec<u8> {
    let (_, shipped) = shipped();
    let mut m = shipped.clone();
    m.d_sae = rng.range(1, 300) as u32;
    m.chunk_features = rng.range(1, 64) as u32;
    m.chunks = (0..m.chunk_count())
        .map(|i| file_ref(rng, &polytope_core::dict::chunk_file_name(i)))
        .collect();
    m.list.bytes = polytope_core::dict::list_len(m.d_sae);
    Variant::ALL[rng.below(4)].name().clone_into(&mut m.variant);
    m.k = (m.variant == "topk").then(|| rng.range(1, m.d_sae as usize) as u32);
    m.metrics.dead = 0;
    m.metrics.ultralow = 0;
    m.weights = rng.chance(1, 2).then(|| FileRef {
        bytes: polytope_core::dict::weights_len(m.d_in, m.d_sae),
        ..file_ref(rng, "weights.bin")
    });
    m.to_json().into_bytes()
}

pub const MANIFEST: Target = Target {
    name: "dict_manifest",
    ext: "json",
    about: "a dictionary's manifest.json (DictManifest::from_json, chunk_context, chunk_for, \
            check_manifest)",
    bound: Bound {
        single_fixed: 64 << 10,
        single_per_byte: 4,
        live_fixed: 256 << 10,
        live_per_byte: 64,
        millis: 250.0,
    },
    max_len: 64 << 10,
    run: run_manifest,
    generate: generate_manifest,
    mutate: mutation::mutate_json,
    data_seeds: &[
        "dict/a-512/manifest.json",
        "dict/a-2048/manifest.json",
        "dict/a-4096/manifest.json",
        "dict/b-2048/manifest.json",
    ],
};

// ---- list.bin ----------------------------------------------------------------------------

fn run_list(input: &[u8]) -> Result<String, String> {
    let (index, _) = shipped();
    let d_sae = get_u32(input, 12).unwrap_or(0);
    let parsed = decode_list(input, d_sae, Some(index.vocab));
    unmeasured(|| match parsed {
        Ok(list) => verify_list(input, d_sae, &list),
        Err(e) => Ok(err_class(&e)),
    })
}

fn verify_list(input: &[u8], d_sae: u32, list: &[FeatureSummary]) -> Result<String, String> {
    decode_list(input, d_sae, None)
        .map_err(|e| format!("refused without a vocabulary what it accepts with one: {e}"))?;
    let again = encode_list(list).map_err(|e| format!("does not re-encode: {e}"))?;
    mutation::same_bytes(&again, input)?;
    Ok("ok".into())
}

fn generate_list(rng: &mut Rng) -> Vec<u8> {
    let features: Vec<FeatureSummary> = (0..rng.range(1, 300))
        .map(|_| {
            let dead = rng.chance(1, 8);
            let max_act = if dead { 0.0 } else { rng.unit() as f32 * 20.0 };
            FeatureSummary {
                density: if dead { 0.0 } else { rng.unit() as f32 },
                max_act,
                mean_act: max_act * rng.unit() as f32 * 0.5,
                top_tokens: [0; 4].map(|_| {
                    if rng.chance(1, 8) {
                        NO_TOKEN
                    } else {
                        rng.below(2048) as u16
                    }
                }),
                map: [rng.unit() as f32, rng.unit() as f32],
                flags: if dead {
                    polytope_core::dict::FLAG_DEAD
                } else if rng.chance(1, 8) {
                    polytope_core::dict::FLAG_ULTRALOW
                } else {
                    0
                },
            }
        })
        .collect();
    encode_list(&features).unwrap_or_default()
}

fn mutate_list(rng: &mut Rng, bytes: &mut Vec<u8>, pool: &[Vec<u8>]) {
    let records = bytes.len().saturating_sub(16) / 24;
    let at = 16 + rng.below(records.max(1)) * 24;
    match rng.below(6) {
        0 => {
            let v = mutation::nudge_u32(rng, get_u32(bytes, 12).unwrap_or(0));
            put_u32(bytes, 12, v);
        }
        1 => {
            // A field of one record: density, max_act (f32), mean_act, tokens, map (f16),
            // flags, reserved.
            let field = *rng.pick(&[0usize, 4, 8, 10, 12, 14, 16, 18, 20, 22, 23]);
            let p = at + field;
            match field {
                0 | 4 => {
                    let v = *rng.pick(&mutation::INTERESTING_F32);
                    if let Some(s) = bytes.get_mut(p..p + 4) {
                        s.copy_from_slice(&v.to_le_bytes());
                    }
                }
                22 | 23 => {
                    if let Some(b) = bytes.get_mut(p) {
                        *b = rng.below(8) as u8;
                    }
                }
                _ => {
                    let v = if rng.chance(1, 2) {
                        *rng.pick(&mutation::INTERESTING_F16)
                    } else {
                        *rng.pick(&[2047u16, 2048, NO_TOKEN, 65_534])
                    };
                    mutation::put_u16(bytes, p, v);
                }
            }
        }
        2 if records > 0 => {
            // Drop or repeat whole records, with or without fixing the count.
            let n = rng.small(records);
            if rng.chance(1, 2) {
                let end = (at + n * 24).min(bytes.len());
                bytes.drain(at..end);
            } else {
                let copy = bytes[at..(at + 24).min(bytes.len())].to_vec();
                for _ in 0..n {
                    bytes.splice(at..at, copy.iter().copied());
                }
            }
            if rng.chance(3, 4) {
                let records = (bytes.len().saturating_sub(16) / 24) as u32;
                put_u32(bytes, 12, records);
            }
        }
        _ => mutation::mutate_bytes(rng, bytes, pool),
    }
}

pub const LIST: Target = Target {
    name: "dict_list",
    ext: "bin",
    about: "a dictionary's list.bin (decode_list)",
    // One 32-byte summary per 24-byte record.
    bound: Bound {
        single_fixed: 64 << 10,
        single_per_byte: 2,
        live_fixed: 256 << 10,
        live_per_byte: 4,
        millis: 250.0,
    },
    max_len: 128 << 10,
    run: run_list,
    generate: generate_list,
    mutate: mutate_list,
    data_seeds: &["dict/a-512/list.bin", "dict/a-4096/list.bin"],
};

// ---- weights.bin -------------------------------------------------------------------------

fn run_weights(input: &[u8]) -> Result<String, String> {
    let parsed = SaeWeights::from_bytes(input);
    unmeasured(|| match parsed {
        Ok(w) => verify_weights(input, &w),
        Err(e) => Ok(err_class(&e)),
    })
}

fn verify_weights(input: &[u8], w: &SaeWeights) -> Result<String, String> {
    w.check_shape()
        .map_err(|e| format!("decoded weights fail check_shape: {e}"))?;
    let again = w
        .to_bytes()
        .map_err(|e| format!("does not re-encode: {e}"))?;
    mutation::same_bytes(&again, input)?;
    let last = w.d_sae as usize - 1;
    if w.encoder_row(last).len() != w.d_in as usize || w.decoder_row(last).len() != w.d_in as usize
    {
        return Err("rows of the wrong length".into());
    }
    Ok("ok".into())
}

pub(crate) fn generate_weights(rng: &mut Rng) -> Vec<u8> {
    let (n, s) = (rng.range(1, 16), rng.range(1, 48));
    let variant = Variant::ALL[rng.below(4)];
    let mut values = |len: usize, scale: f64| -> Vec<f32> {
        (0..len).map(|_| (rng.normal() * scale) as f32).collect()
    };
    let (w_enc, b_enc, w_dec, b_dec) = (
        values(s * n, 0.3),
        values(s, 0.1),
        values(s * n, 0.3),
        values(n, 0.1),
    );
    let w = SaeWeights {
        d_in: n as u32,
        d_sae: s as u32,
        variant,
        k: (variant == Variant::TopK).then(|| rng.range(1, s) as u32),
        normalize_scale: (rng.unit() * 4.0 + 0.01) as f32,
        w_enc,
        b_enc,
        w_dec,
        b_dec,
        threshold: (0..s)
            .map(|_| {
                if variant == Variant::JumpRelu {
                    rng.unit() as f32
                } else {
                    0.0
                }
            })
            .collect(),
    };
    w.to_bytes().unwrap_or_default()
}

fn mutate_weights(rng: &mut Rng, bytes: &mut Vec<u8>, pool: &[Vec<u8>]) {
    match rng.below(5) {
        0 => {
            // Header: variant, d_in, d_sae, k.
            let at = *rng.pick(&[12usize, 16, 20, 24]);
            let v = mutation::nudge_u32(rng, get_u32(bytes, at).unwrap_or(0));
            put_u32(bytes, at, v);
        }
        1 => {
            let v = *rng.pick(&mutation::INTERESTING_F32);
            if let Some(s) = bytes.get_mut(28..32) {
                s.copy_from_slice(&v.to_le_bytes());
            }
        }
        2 if bytes.len() > 32 => {
            let at = 32 + (rng.below(bytes.len() - 32) & !1);
            mutation::put_u16(bytes, at, *rng.pick(&mutation::INTERESTING_F16));
        }
        _ => mutation::mutate_bytes(rng, bytes, pool),
    }
}

pub const WEIGHTS: Target = Target {
    name: "dict_weights",
    ext: "bin",
    about: "a dictionary's weights.bin (SaeWeights::from_bytes)",
    // f16 on disk, f32 in memory.
    bound: Bound {
        single_fixed: 64 << 10,
        single_per_byte: 2,
        live_fixed: 256 << 10,
        live_per_byte: 3,
        millis: 1000.0,
    },
    max_len: 1100 << 10,
    run: run_weights,
    generate: generate_weights,
    mutate: mutate_weights,
    data_seeds: &["dict/a-512/weights.bin"],
};

// ---- chunk-NNNN.bin ----------------------------------------------------------------------

/// The context the browser decodes a chunk of the shipped a-512 dictionary in, for the
/// features the chunk's header names.
fn strict_context(first: u32, count: u32) -> ChunkContext {
    let (index, m) = shipped();
    ChunkContext {
        first,
        count,
        d_in: m.d_in,
        d_sae: first.saturating_add(count).max(4096),
        eval_tokens: Some(index.eval_token_count()),
        vocab: Some(index.vocab),
        window: Some(m.context),
        related: m.related.len(),
        has_match: true,
    }
}

fn same_features(a: &[FeatureDetail], b: &[FeatureDetail]) -> bool {
    a == b
}

fn run_chunk(input: &[u8]) -> Result<String, String> {
    let first = get_u32(input, 12).unwrap_or(0);
    let count = get_u32(input, 16).unwrap_or(0);
    let loose = ChunkContext::permissive(first, count);
    let strict = strict_context(first, count);
    // The browser's decoding, then the permissive one that reaches past the context checks.
    let strict_result = decode_chunk(input, &strict);
    let loose_result = decode_chunk(input, &loose);
    unmeasured(|| verify_chunk(input, (first, count), strict_result, loose_result))
}

fn verify_chunk(
    input: &[u8],
    (first, count): (u32, u32),
    strict_result: Result<Vec<FeatureDetail>, polytope_core::dict::DictError>,
    loose_result: Result<Vec<FeatureDetail>, polytope_core::dict::DictError>,
) -> Result<String, String> {
    let loose = ChunkContext::permissive(first, count);
    let details = match loose_result {
        Ok(d) => d,
        Err(e) => {
            if strict_result.is_ok() {
                return Err(format!(
                    "the strict context accepts what the loose refuses: {e}"
                ));
            }
            return Ok(err_class(&e));
        }
    };
    if let Ok(s) = &strict_result
        && !same_features(s, &details)
    {
        return Err("strict and loose decodings differ".into());
    }
    let again = encode_chunk(first, &details).map_err(|e| format!("does not re-encode: {e}"))?;
    mutation::same_bytes(&again, input)?;
    for k in [0, details.len() - 1] {
        let one = decode_chunk_feature(input, &loose, first + k as u32)
            .map_err(|e| format!("feature {k} alone: {e}"))?;
        if one != details[k] {
            return Err(format!("feature {k} decodes differently alone"));
        }
    }
    if decode_chunk_feature(input, &loose, first.wrapping_add(count)).is_ok() {
        return Err("decoded a feature past the chunk".into());
    }
    Ok(match strict_result {
        Ok(_) => "ok".into(),
        Err(e) => format!("loose only; {}", err_class(&e)),
    })
}

/// A value that stays put when stored as f16.
fn f16_value(rng: &mut Rng, max: f64) -> f32 {
    half::f16::from_f64(rng.unit() * max).to_f32()
}

fn example(rng: &mut Rng, value: f32, ctx: &ChunkContext) -> Example {
    let n = ctx.eval_tokens.unwrap_or(1000);
    let w = ctx.window.unwrap_or(Context {
        before: 4,
        after: 4,
    });
    let pos = (if rng.chance(1, 8) {
        *rng.pick(&[0, n - 1])
    } else {
        rng.below(n as usize) as u64
    }) as u32;
    let before = w.before.min(pos);
    let after = u64::from(w.after).min(n - 1 - u64::from(pos)) as u32;
    let acts = (0..before + 1 + after).map(|_| rng.u32() as u8).collect();
    Example { pos, value, acts }
}

fn histogram(rng: &mut Rng) -> Histogram {
    let lo = f16_value(rng, 4.0) - 2.0;
    Histogram {
        lo,
        hi: lo + f16_value(rng, 10.0),
        counts: (0..rng.below(24))
            .map(|_| rng.u32() >> rng.below(32))
            .collect(),
    }
}

/// Fewer than `up_to` values in `[0, max)`, exact in f16, in descending order.
fn descending(rng: &mut Rng, up_to: usize, max: f64) -> Vec<f32> {
    let n = rng.below(up_to);
    let mut v: Vec<f32> = (0..n).map(|_| f16_value(rng, max)).collect();
    v.sort_by(|a, b| b.total_cmp(a));
    v
}

fn detail(rng: &mut Rng, id: u32, ctx: &ChunkContext) -> FeatureDetail {
    let top = descending(rng, 7, 16.0)
        .into_iter()
        .map(|v| example(rng, v.max(0.5), ctx))
        .collect();
    let quantiles = (0..rng.below(4))
        .map(|_| {
            let lo = f16_value(rng, 4.0) + 0.5;
            let hi = lo + 1.0;
            let examples: Vec<Example> = (0..rng.below(3))
                .map(|_| example(rng, lo + 0.5, ctx))
                .collect();
            QuantileGroup {
                lo,
                hi,
                count: examples.len() as u32 + rng.below(1000) as u32,
                examples,
            }
        })
        .collect();
    let vocab = ctx.vocab.unwrap_or(2048) as usize;
    let logits_top = descending(rng, 6, 2.0)
        .into_iter()
        .map(|v| (rng.below(vocab) as u16, v))
        .collect();
    // Descending magnitudes, negated: ascending weights.
    let logits_bottom = descending(rng, 6, 2.0)
        .into_iter()
        .map(|v| (rng.below(vocab) as u16, -v))
        .collect();
    let neurons = descending(rng, 5, 1.0)
        .into_iter()
        .map(|w| NeuronWeight {
            neuron: rng.below(ctx.d_in as usize) as u16,
            weight: if rng.chance(1, 2) { w } else { -w },
            share: f16_value(rng, 1.0),
        })
        .collect();
    let correlated = descending(rng, 5, 1.0)
        .into_iter()
        .map(|v| ((id + 1 + rng.below(50) as u32) % ctx.d_sae.min(4096), v))
        .filter(|(f, _)| *f != id)
        .collect();
    let splits = (0..rng.below(3))
        .map(|_| SplitEdge {
            dict: rng.below(ctx.related.max(1)) as u8,
            feature: rng.below(4096) as u32,
            similarity: f16_value(rng, 1.0),
        })
        .filter(|_| ctx.related > 0)
        .collect();
    FeatureDetail {
        id,
        top,
        quantiles,
        histogram: histogram(rng),
        logits_top,
        logits_bottom,
        logit_histogram: histogram(rng),
        neurons,
        correlated,
        splits,
        best_match: rng
            .chance(1, 2)
            .then(|| (rng.below(4096) as u32, f16_value(rng, 1.0))),
    }
}

fn generate_chunk(rng: &mut Rng) -> Vec<u8> {
    let first = if rng.chance(1, 2) {
        0
    } else {
        rng.below(4000) as u32
    };
    let count = rng.range(1, 6) as u32;
    let ctx = strict_context(first, count);
    let details: Vec<FeatureDetail> = (0..count).map(|i| detail(rng, first + i, &ctx)).collect();
    encode_chunk(first, &details).unwrap_or_default()
}

fn mutate_chunk(rng: &mut Rng, bytes: &mut Vec<u8>, pool: &[Vec<u8>]) {
    let count = get_u32(bytes, 16).unwrap_or(0) as usize;
    match rng.below(6) {
        0 => {
            let at = *rng.pick(&[12usize, 16]);
            let v = mutation::nudge_u32(rng, get_u32(bytes, at).unwrap_or(0));
            put_u32(bytes, at, v);
        }
        1 => {
            // An offset of the table.
            let at = 20 + 4 * rng.below(count.min(1 << 16) + 1);
            let v = mutation::nudge_u32(rng, get_u32(bytes, at).unwrap_or(0));
            put_u32(bytes, at, v);
        }
        2 => {
            // Shift every offset after the first, as if a record grew.
            let delta = rng.range(1, 8) as u32;
            for i in 1..=count.min(1 << 16) {
                if let Some(o) = get_u32(bytes, 20 + 4 * i) {
                    put_u32(bytes, 20 + 4 * i, o.wrapping_add(delta));
                }
            }
        }
        _ => mutation::mutate_bytes(rng, bytes, pool),
    }
}

pub const CHUNK: Target = Target {
    name: "dict_chunk",
    ext: "bin",
    about: "a dictionary's chunk-NNNN.bin (decode_chunk, decode_chunk_feature), in the \
            shipped a-512 context and the permissive one",
    // Records become structs and small vectors: at most a few times the bytes they came from.
    bound: Bound {
        single_fixed: 64 << 10,
        single_per_byte: 4,
        live_fixed: 256 << 10,
        live_per_byte: 32,
        millis: 1000.0,
    },
    max_len: 160 << 10,
    run: run_chunk,
    generate: generate_chunk,
    mutate: mutate_chunk,
    data_seeds: &[
        "dict/a-512/chunk-0000.bin",
        "dict/a-2048/chunk-0031.bin",
        "dict/b-2048/chunk-0010.bin",
        "dict/a-4096/chunk-0063.bin",
    ],
};

// ---- scores.bin --------------------------------------------------------------------------

fn run_scores(input: &[u8]) -> Result<String, String> {
    // The browser decodes a dictionary's file with its d_sae and a model's control file with
    // the unit count its length implies: both, with the measure count in the header.
    let units = get_u32(input, 12).unwrap_or(0);
    let measures = get_u32(input, 16).unwrap_or(0);
    let parsed = decode_scores(input, units, measures);
    let implied = decode_scores(input, scores_units_in(input.len(), measures), measures);
    unmeasured(|| match (parsed, implied) {
        (Ok(s), Ok(t)) if s.units == t.units && same_bits(&s, &t) => verify_scores(input, &s),
        (Ok(_), Ok(_)) => Err("the two decodings differ".into()),
        (Ok(s), Err(e)) => Err(format!(
            "{} units accepted from the header, refused from the length: {e}",
            s.units
        )),
        (Err(e), Ok(t)) => Err(format!(
            "{} units accepted from the length, refused from the header: {e}",
            t.units
        )),
        (Err(e), Err(_)) => Ok(err_class(&e)),
    })
}

/// Equal bit for bit (NaN, "not scored", is not equal to itself).
fn same_bits(a: &UnitScores, b: &UnitScores) -> bool {
    a.measures == b.measures
        && a.values.len() == b.values.len()
        && a.values
            .iter()
            .zip(&b.values)
            .all(|(x, y)| x.to_bits() == y.to_bits())
}

fn verify_scores(input: &[u8], s: &UnitScores) -> Result<String, String> {
    let again = encode_scores(s).map_err(|e| format!("does not re-encode: {e}"))?;
    mutation::same_bytes(&again, input)?;
    for m in 0..s.measures as usize {
        let all = s.measure(m);
        if all.len() != s.units as usize {
            return Err(format!(
                "measure {m}: {} values of {} units",
                all.len(),
                s.units
            ));
        }
        let scored = s.scored(m);
        if scored.iter().any(|v| !(-1.0..=1.0).contains(v)) {
            return Err(format!("measure {m}: a scored value outside [-1, 1]"));
        }
        for u in [0, s.units / 2, s.units - 1] {
            if s.get(m, u).is_some_and(f32::is_nan) {
                return Err(format!("measure {m}, unit {u}: NaN returned as a score"));
            }
        }
        if s.get(m, s.units).is_some() {
            return Err(format!("measure {m}: a score past the last unit"));
        }
    }
    if !s.measure(s.measures as usize).is_empty() {
        return Err("a measure past the last one".into());
    }
    Ok("ok".into())
}

fn generate_scores(rng: &mut Rng) -> Vec<u8> {
    let units = rng.range(1, 600) as u32;
    let measures = rng.range(1, 4) as u32;
    let values = (0..units * measures)
        .map(|_| {
            if rng.chance(1, 6) {
                f32::NAN
            } else if rng.chance(1, 10) {
                *rng.pick(&[-1.0, 0.0, -0.0, 1.0])
            } else {
                (rng.unit() * 2.0 - 1.0) as f32
            }
        })
        .collect();
    encode_scores(&UnitScores {
        units,
        measures,
        values,
    })
    .unwrap_or_default()
}

fn mutate_scores(rng: &mut Rng, bytes: &mut Vec<u8>, pool: &[Vec<u8>]) {
    let values = bytes.len().saturating_sub(20) / 4;
    match rng.below(5) {
        0 => {
            // Header: version, units, measures.
            let at = *rng.pick(&[8usize, 12, 16]);
            let v = mutation::nudge_u32(rng, get_u32(bytes, at).unwrap_or(0));
            put_u32(bytes, at, v);
        }
        1 if values > 0 => {
            let at = 20 + 4 * rng.below(values);
            let v = if rng.chance(1, 3) {
                // NaN with another payload, or a signalling one.
                f32::from_bits(0x7f80_0000 | (rng.u32() & 0x007f_ffff).max(1))
            } else {
                *rng.pick(&mutation::INTERESTING_F32)
            };
            put_u32(bytes, at, v.to_bits());
        }
        2 => {
            // Add or drop whole units' worth of values, with or without fixing the header.
            let n = 4 * rng.range(1, 8);
            if rng.chance(1, 2) {
                bytes.truncate(bytes.len().saturating_sub(n).max(20.min(bytes.len())));
            } else {
                bytes.extend(std::iter::repeat_n(0u8, n));
            }
            if rng.chance(1, 2) {
                let m = get_u32(bytes, 16).unwrap_or(1).max(1);
                let units = scores_units_in(bytes.len(), m);
                put_u32(bytes, 12, units);
            }
        }
        _ => mutation::mutate_bytes(rng, bytes, pool),
    }
}

pub const SCORES: Target = Target {
    name: "dict_scores",
    ext: "bin",
    about: "a dictionary's or a model's scores.bin (decode_scores, with the header's unit \
            count and with the count the length implies)",
    // One f32 in memory per f32 on disk, decoded twice.
    bound: Bound {
        single_fixed: 64 << 10,
        single_per_byte: 1,
        live_fixed: 256 << 10,
        live_per_byte: 3,
        millis: 250.0,
    },
    max_len: 64 << 10,
    run: run_scores,
    generate: generate_scores,
    mutate: mutate_scores,
    data_seeds: &[
        "dict/a-512/scores.bin",
        "dict/a-4096/scores.bin",
        "scores-control-a.bin",
    ],
};
