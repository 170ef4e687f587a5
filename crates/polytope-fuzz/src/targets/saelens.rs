//! SAELens SAEs (`cfg.json` + `sae_weights.safetensors`), as `polytope dict import-saelens`
//! reads them (`polytope_dict::saelens::parse_saelens`, then `SaeWeights::to_bytes`). Native
//! only: `polytope-dict` is the native pipeline.
//!
//! An input is both files in one: `cfg.json`'s length (u32 LE), `cfg.json`, then the
//! safetensors file (its own u64 header length, JSON header and data).

use polytope_core::dict::SaeWeights;
use polytope_dict::saelens::{MAX_CFG_BYTES, SaelensInfo, export_saelens, parse_saelens};

use crate::alloc::unmeasured;
use crate::check::{Bound, Target};
use crate::mutation::{self, Rng, get_u32, put_u64};

/// Splits an input into `cfg.json` and the safetensors bytes.
fn split(input: &[u8]) -> (&[u8], &[u8]) {
    let len = get_u32(input, 0).unwrap_or(0) as usize;
    let rest = input.get(4..).unwrap_or(&[]);
    rest.split_at(len.min(rest.len()))
}

fn join(cfg: &[u8], st: &[u8]) -> Vec<u8> {
    let mut out = (cfg.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(cfg);
    out.extend_from_slice(st);
    out
}

fn run(input: &[u8]) -> Result<String, String> {
    let (cfg, st) = split(input);
    // What the import does: decode, then encode as weights.bin.
    let parsed = parse_saelens(cfg, st);
    let encoded = parsed
        .as_ref()
        .ok()
        .map(|(w, _)| w.to_bytes().map(|_| ()).map_err(|e| e.to_string()));
    unmeasured(|| match parsed {
        Err(e) => Ok(mutation::class_of(&e)),
        Ok((w, _)) => {
            for (name, values) in [
                ("W_enc", &w.w_enc),
                ("b_enc", &w.b_enc),
                ("W_dec", &w.w_dec),
                ("b_dec", &w.b_dec),
                ("threshold", &w.threshold),
            ] {
                if let Some(i) = values.iter().position(|v| !v.is_finite()) {
                    return Err(format!("accepted a non-finite {name}[{i}]"));
                }
            }
            // weights.bin refuses values beyond f16 with a message: fine for an import.
            Ok(match encoded {
                Some(Err(e)) => format!("ok; {}", mutation::class_of(&e)),
                _ => "ok".into(),
            })
        }
    })
}

fn generate(rng: &mut Rng) -> Vec<u8> {
    let bytes = super::dict::generate_weights(rng);
    let Ok(w) = SaeWeights::from_bytes(&bytes) else {
        return Vec::new();
    };
    let info = SaelensInfo {
        model: "A".into(),
        dict_id: "a-fuzz".into(),
        context_size: 64,
    };
    match export_saelens(&w, &info) {
        Ok((st, cfg)) => join(cfg.as_bytes(), &st),
        Err(_) => Vec::new(),
    }
}

/// The safetensors header: `(JSON, data)` as its length field says.
fn header(st: &[u8]) -> Option<(&[u8], &[u8])> {
    let n = usize::try_from(u64::from_le_bytes(st.get(..8)?.try_into().ok()?)).ok()?;
    let json = st.get(8..8usize.checked_add(n)?)?;
    Some((json, &st[8 + n..]))
}

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, pool: &[Vec<u8>]) {
    let (cfg, st) = split(input);
    let (mut cfg, st) = (cfg.to_vec(), st.to_vec());
    match rng.below(7) {
        0 | 1 => {
            // cfg.json: sizes, architecture, activation, k, apply_b_dec_to_input, scaling.
            mutation::mutate_json(rng, &mut cfg, &[]);
            *input = join(&cfg, &st);
        }
        2 | 3 => {
            // The safetensors header: names, dtypes, shapes, data offsets (length kept right,
            // or the header renamed to reach the log_threshold path).
            let Some((json, data)) = header(&st) else {
                mutation::mutate_bytes(rng, input, pool);
                return;
            };
            let mut json = json.to_vec();
            if rng.chance(1, 4) {
                let text =
                    String::from_utf8_lossy(&json).replace("\"threshold\"", "\"log_threshold\"");
                json = text.into_bytes();
            } else {
                mutation::mutate_json(rng, &mut json, &[]);
            }
            let mut out = (json.len() as u64).to_le_bytes().to_vec();
            out.extend_from_slice(&json);
            out.extend_from_slice(data);
            *input = join(&cfg, &out);
        }
        4 => {
            let mut st = st;
            put_u64(&mut st, 0, *rng.pick(&mutation::INTERESTING_U64));
            *input = join(&cfg, &st);
        }
        5 => {
            // A value of the data: NaN, infinity, or large enough that exp() overflows.
            let mut st = st;
            if let Some((json, data)) = header(&st)
                && data.len() >= 4
            {
                let at = 8 + json.len() + (rng.below(data.len() / 4) * 4);
                let v = *rng.pick(&[f32::NAN, f32::INFINITY, 100.0, 1e6, -1e30, 3e38]);
                st[at..at + 4].copy_from_slice(&v.to_le_bytes());
            }
            *input = join(&cfg, &st);
        }
        _ => mutation::mutate_bytes(rng, input, pool),
    }
}

pub const SAELENS: Target = Target {
    name: "saelens",
    ext: "bin",
    about: "SAELens cfg.json + sae_weights.safetensors (polytope_dict::saelens::parse_saelens, \
            then SaeWeights::to_bytes; native only)",
    // The tensors become f32 (2 x an f16 or bf16 file), W_enc is transposed into a second
    // copy, and weights.bin is written: a few times the input. cfg.json is kept as a JSON
    // tree, which costs up to about 110 bytes a byte for many one-key objects (a BTreeMap
    // node each) and 64 a byte for an array of digits (Vec<Value> growing by doubling):
    // parse_saelens refuses cfg.json above MAX_CFG_BYTES (32 KiB), so that part is fixed.
    bound: Bound {
        single_fixed: (64 << 10) + 64 * MAX_CFG_BYTES,
        single_per_byte: 2,
        live_fixed: (256 << 10) + 128 * MAX_CFG_BYTES,
        live_per_byte: 8,
        millis: 1000.0,
    },
    max_len: 256 << 10,
    run,
    generate,
    mutate,
    data_seeds: &[],
};
