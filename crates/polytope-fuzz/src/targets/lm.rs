//! The language-model files the browser loads: the model (`model-a.bin`, `lm::file`) and the
//! tokenizer (`tokenizer.json`, `lm::tokenizer`).

use polytope_core::lm::file::{LmMetadata, from_bytes, to_bytes};
use polytope_core::lm::model::{LmConfig, LmModel};
use polytope_core::lm::tokenizer::Tokenizer;

use crate::alloc::unmeasured;
use crate::check::{Bound, Target};
use crate::mutation::{self, Rng, get_u32, put_u32};

// ---- the model file ----------------------------------------------------------------------

fn run_model(input: &[u8]) -> Result<String, String> {
    let parsed = from_bytes(input);
    unmeasured(|| match parsed {
        Ok((model, meta)) => verify_model(&model, &meta),
        Err(e) => Ok(mutation::class_of(&e)),
    })
}

fn verify_model(model: &LmModel, meta: &LmMetadata) -> Result<String, String> {
    model
        .config
        .validate()
        .map_err(|e| format!("accepted a config that does not validate: {e}"))?;
    if model.params.len() != model.config.layout().len {
        return Err(format!(
            "{} parameters for a layout of {}",
            model.params.len(),
            model.config.layout().len
        ));
    }
    if let Some(i) = model.params.iter().position(|p| !p.is_finite()) {
        return Err(format!("accepted a non-finite weight {i}"));
    }
    let (back, back_meta) = from_bytes(&to_bytes(model, meta))
        .map_err(|e| format!("to_bytes does not read back: {e}"))?;
    if back != *model || back_meta.id != meta.id || back_meta.steps != meta.steps {
        return Err("to_bytes reads back different".into());
    }
    Ok("ok".into())
}

fn generate_model(rng: &mut Rng) -> Vec<u8> {
    let n_heads = rng.range(1, 2);
    let config = LmConfig {
        vocab: rng.range(2, 64),
        d_model: n_heads * rng.range(1, 4),
        n_heads,
        d_mlp: rng.range(1, 16),
        ctx: rng.range(1, 8),
    };
    let mut model = LmModel::init(config, rng.u32());
    model.round_to_f16();
    let meta = LmMetadata {
        id: (*rng.pick(&["A", "B", "", "é"])).to_owned(),
        seed: rng.u32(),
        steps: rng.u32() >> 8,
        tokens_seen: rng.u64() >> 16,
        val_loss: rng.unit() * 8.0,
        train_seconds: rng.unit() * 1e4,
    };
    to_bytes(&model, &meta)
}

/// Splits a model file into its JSON header and its weights, as the header length says.
fn parts(bytes: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let jl = get_u32(bytes, 8)? as usize;
    let json = bytes.get(12..12usize.checked_add(jl)?)?.to_vec();
    let start = (12 + jl).next_multiple_of(16);
    Some((json, bytes.get(start..).unwrap_or(&[]).to_vec()))
}

fn assemble(json: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = b"POLYLM01".to_vec();
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(json);
    out.resize(out.len().next_multiple_of(16), 0);
    out.extend_from_slice(body);
    out
}

fn mutate_model(rng: &mut Rng, bytes: &mut Vec<u8>, pool: &[Vec<u8>]) {
    let Some((mut json, mut body)) = parts(bytes) else {
        mutation::mutate_bytes(rng, bytes, pool);
        return;
    };
    match rng.below(6) {
        0..=2 => {
            // The header's config, parameter count and metadata, the length kept right.
            mutation::mutate_json(rng, &mut json, &[]);
            *bytes = assemble(&json, &body);
        }
        3 if body.len() >= 2 => {
            let at = rng.below(body.len() / 2) * 2;
            mutation::put_u16(&mut body, at, *rng.pick(&mutation::INTERESTING_F16));
            *bytes = assemble(&json, &body);
        }
        4 => {
            let v = mutation::nudge_u32(rng, json.len() as u32);
            put_u32(bytes, 8, v);
        }
        _ => mutation::mutate_bytes(rng, bytes, pool),
    }
}

pub const MODEL: Target = Target {
    name: "lm_model",
    ext: "bin",
    about: "the language-model file (lm::file::from_bytes)",
    // f16 weights become f32: twice the file.
    bound: Bound {
        single_fixed: 64 << 10,
        single_per_byte: 2,
        live_fixed: 256 << 10,
        live_per_byte: 3,
        millis: 1000.0,
    },
    max_len: 1600 << 10,
    run: run_model,
    generate: generate_model,
    mutate: mutate_model,
    data_seeds: &["model-a.bin"],
};

// ---- the tokenizer -----------------------------------------------------------------------

/// Text the browser tokenises: words, digits, punctuation, runs of spaces and newlines,
/// accents, CJK, an emoji, and a word longer than a piece.
const SAMPLE: &str = "And God said, Let there be light: and there was light.\n\n  \
                      Verse 1:23 -- naïve café 中文 😀\tend   x";

fn run_tokenizer(input: &[u8]) -> Result<String, String> {
    let Ok(text) = std::str::from_utf8(input) else {
        return Ok("not UTF-8".into());
    };
    let t = match Tokenizer::from_json(text) {
        Ok(t) => t,
        Err(e) => return Ok(mutation::class_of(&e.to_string())),
    };
    // What the browser does with it: encode custom text and show each token's text.
    let long = "x".repeat(100);
    let encoded: Vec<(&str, Vec<u16>, String)> = [SAMPLE, long.as_str()]
        .into_iter()
        .map(|text| {
            let ids = t.encode(text);
            let back = t.decode(&ids);
            (text, ids, back)
        })
        .collect();
    unmeasured(|| verify_tokenizer(&t, &encoded))
}

fn verify_tokenizer(t: &Tokenizer, encoded: &[(&str, Vec<u16>, String)]) -> Result<String, String> {
    if t.vocab_size() != 256 + t.merges().len() {
        return Err(format!(
            "{} tokens for {} merges",
            t.vocab_size(),
            t.merges().len()
        ));
    }
    let back = Tokenizer::from_json(&t.to_json())
        .map_err(|e| format!("to_json does not read back: {e}"))?;
    if back.merges() != t.merges() {
        return Err("to_json reads back different merges".into());
    }
    for (text, ids, decoded) in encoded {
        if let Some(id) = ids.iter().find(|&&i| usize::from(i) >= t.vocab_size()) {
            return Err(format!("encoded to token {id}, outside the vocabulary"));
        }
        if decoded != text {
            return Err(format!("{text:?} does not decode back"));
        }
    }
    Ok("ok".into())
}

fn generate_tokenizer(rng: &mut Rng) -> Vec<u8> {
    let n = match rng.below(8) {
        0 => rng.range(0, 3000),
        _ => rng.range(0, 300),
    };
    let mut lens: Vec<usize> = vec![1; 256];
    let mut seen = std::collections::HashSet::new();
    let mut merges = Vec::with_capacity(n);
    while merges.len() < n {
        let limit = lens.len();
        // Recent tokens more often, so some tokens grow long.
        let pick = |rng: &mut Rng| {
            if rng.chance(1, 2) {
                limit - 1 - rng.below(limit.min(16))
            } else {
                rng.below(limit)
            }
        };
        let (a, b) = (pick(rng), pick(rng));
        if lens[a] + lens[b] > 256 || !seen.insert((a, b)) {
            continue;
        }
        lens.push(lens[a] + lens[b]);
        merges.push([a, b]);
    }
    serde_json::json!({"format": "polytope-bpe", "version": 1, "merges": merges})
        .to_string()
        .into_bytes()
}

fn mutate_tokenizer(rng: &mut Rng, bytes: &mut Vec<u8>, pool: &[Vec<u8>]) {
    mutation::mutate_json(rng, bytes, pool);
}

pub const TOKENIZER: Target = Target {
    name: "lm_tokenizer",
    ext: "json",
    about: "the tokenizer JSON (Tokenizer::from_json, then encode and decode)",
    // serde_json's tree of the merges, then the vocabulary (tokens up to 256 bytes).
    bound: Bound {
        single_fixed: 1 << 20,
        single_per_byte: 8,
        live_fixed: 4 << 20,
        live_per_byte: 64,
        millis: 1000.0,
    },
    max_len: 256 << 10,
    run: run_tokenizer,
    generate: generate_tokenizer,
    mutate: mutate_tokenizer,
    data_seeds: &["tokenizer.json"],
};
