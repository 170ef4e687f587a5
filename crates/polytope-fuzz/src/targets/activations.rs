//! POLYACT1 activation files (`docs/activation-format.md`): what `polytope sae --source FILE`
//! and the lab's file picker read.
//!
//! The generator writes valid files of random shapes with `write_activation_file`, then
//! rewrites header fields (counts and lengths chosen so that their products wrap around 32
//! bits, the dtype, the metadata length), the metadata JSON and the values (NaN, infinities,
//! values whose squares overflow f32, identical rows).

use polytope_core::sae::{ActivationFile, Dtype, write_activation_file};

use crate::alloc::unmeasured;
use crate::check::{Bound, Target};
use crate::mutation::{self, Rng, get_u32, put_u32, put_u64};

const HEADER_LEN: usize = 32;

fn run(input: &[u8]) -> Result<String, String> {
    let parsed = ActivationFile::parse(input);
    unmeasured(|| match parsed {
        Ok(file) => verify(&file),
        Err(e) => Ok(mutation::class_of(&e.to_string())),
    })
}

fn verify(file: &ActivationFile) -> Result<String, String> {
    if file.count == 0 || file.d_in == 0 || file.data.len() != file.count * file.d_in {
        return Err(format!(
            "accepted {} values as {} rows of {}",
            file.data.len(),
            file.count,
            file.d_in
        ));
    }
    if !file.metadata.is_object() {
        return Err("accepted metadata that is not an object".into());
    }
    let rows: Vec<&[f32]> = file.data.chunks_exact(file.d_in).collect();
    for (r, row) in rows.iter().enumerate() {
        if let Some(c) = row.iter().position(|v| !v.is_finite()) {
            return Err(format!(
                "accepted a non-finite value at row {r}, column {c}"
            ));
        }
        let squares: f32 = row.iter().map(|v| v * v).sum();
        if !squares.is_finite() {
            return Err(format!(
                "accepted row {r}, whose squared norm overflows f32"
            ));
        }
    }
    if rows.iter().all(|r| *r == rows[0]) {
        return Err(format!(
            "accepted a file whose {} rows are all identical",
            rows.len()
        ));
    }
    Ok("ok".into())
}

/// A random valid file: small shapes, sometimes sparse rows, sometimes metadata.
pub fn generate(rng: &mut Rng) -> Vec<u8> {
    let d_in = match rng.below(6) {
        0 => *rng.pick(&[16, 32, 64, 512]),
        _ => rng.range(1, 8),
    };
    let count = rng.range(2, 64);
    let dtype = if rng.chance(1, 2) {
        Dtype::F32
    } else {
        Dtype::F16
    };
    let sparse = rng.chance(1, 2);
    let data: Vec<f32> = (0..count * d_in)
        .map(|_| {
            if sparse && rng.chance(3, 4) {
                0.0
            } else {
                (rng.normal() * 2.0) as f32
            }
        })
        .collect();
    let metadata = match rng.below(3) {
        0 => serde_json::json!({}),
        1 => serde_json::json!({"model": "A", "hook": "mlp.post_relu", "rows": count}),
        _ => serde_json::json!({"source": "fuzz", "nested": {"list": [1, 2.5, "x", null]}}),
    };
    write_activation_file(d_in, &data, dtype, &metadata)
}

/// Where the rows start and the fields that size them, as the header states them.
struct Layout {
    dtype_bytes: usize,
    d_in: u32,
    data_at: usize,
}

fn layout(bytes: &[u8]) -> Option<Layout> {
    let dtype_bytes = match get_u32(bytes, 12)? {
        0 => 4,
        _ => 2,
    };
    let meta = get_u32(bytes, 28)? as usize;
    Some(Layout {
        dtype_bytes,
        d_in: get_u32(bytes, 24)?.max(1),
        data_at: (HEADER_LEN + meta).next_multiple_of(16),
    })
}

fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>, pool: &[Vec<u8>]) {
    if bytes.len() < HEADER_LEN {
        *bytes = generate(rng);
    }
    let Some(l) = layout(bytes) else { return };
    let data_len = bytes.len().saturating_sub(l.data_at);
    let row_bytes = l.d_in as usize * l.dtype_bytes;
    match rng.below(12) {
        0 => {
            // count x d_in x size = 2^32 + the real data length: equal to the file's length
            // once wrapped to 32 bits.
            let total = (1u64 << 32) + data_len as u64;
            put_u32(bytes, 24, 1);
            put_u64(bytes, 16, total / l.dtype_bytes as u64);
        }
        1 => {
            // The byte count of the rows lands just below 2^32 (or 2^64): adding the header
            // wraps.
            let top: u64 = if rng.chance(1, 2) { 1 << 32 } else { u64::MAX };
            let total = top - rng.range(1, 64) as u64;
            put_u32(bytes, 24, 1);
            put_u64(bytes, 16, total / l.dtype_bytes as u64);
        }
        2 => {
            // 32 + metadata_len wraps around 32 bits.
            let v = u32::MAX - rng.range(0, 48) as u32;
            put_u32(bytes, 28, v);
        }
        3 => put_u64(bytes, 16, *rng.pick(&mutation::INTERESTING_U64)),
        4 => {
            let v = mutation::nudge_u32(rng, l.d_in);
            put_u32(bytes, 24, v);
        }
        5 => {
            let v = *rng.pick(&[0, 1, 2, 3, u32::MAX]);
            put_u32(bytes, 12, v);
        }
        6 => {
            // Every row a copy of the first.
            if row_bytes > 0 && data_len >= row_bytes {
                let first = bytes[l.data_at..l.data_at + row_bytes].to_vec();
                for r in 1..data_len / row_bytes {
                    let at = l.data_at + r * row_bytes;
                    bytes[at..at + row_bytes].copy_from_slice(&first);
                }
            }
        }
        7 if data_len >= l.dtype_bytes => {
            // A value that is not finite, or whose square is not.
            let at = l.data_at + rng.below(data_len / l.dtype_bytes) * l.dtype_bytes;
            if l.dtype_bytes == 4 {
                let v = *rng.pick(&[f32::NAN, f32::INFINITY, 3e38, -3e38, 1.9e19, 1.8e19]);
                bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
            } else {
                let v = *rng.pick(&mutation::INTERESTING_F16);
                bytes[at..at + 2].copy_from_slice(&v.to_le_bytes());
            }
        }
        8 => {
            // Every value huge: rows of +-3e38.
            if l.dtype_bytes == 4 {
                let start = l.data_at.min(bytes.len());
                for (i, c) in bytes[start..].chunks_exact_mut(4).enumerate() {
                    let v: f32 = if i % 2 == 0 { 3e38 } else { -3e38 };
                    c.copy_from_slice(&v.to_le_bytes());
                }
            }
        }
        9 => {
            // New metadata, with its length and padding kept consistent.
            let meta_len = get_u32(bytes, 28).unwrap_or(0) as usize;
            let meta_end = (HEADER_LEN + meta_len).min(bytes.len());
            let mut meta = bytes[HEADER_LEN..meta_end].to_vec();
            if meta.is_empty() {
                meta = b"{\"a\":[1,2,{\"b\":null}]}".to_vec();
            }
            mutation::mutate_json(rng, &mut meta, &[]);
            let rows = bytes[l.data_at.min(bytes.len())..].to_vec();
            bytes.truncate(HEADER_LEN);
            put_u32(bytes, 28, meta.len() as u32);
            bytes.extend_from_slice(&meta);
            bytes.resize(bytes.len().next_multiple_of(16), 0);
            bytes.extend_from_slice(&rows);
        }
        10 => {
            // A count that matches the data, for a new d_in (deeper checks run).
            let d_in = rng.range(1, 16) as u32;
            put_u32(bytes, 24, d_in);
            put_u64(
                bytes,
                16,
                (data_len / (d_in as usize * l.dtype_bytes)) as u64,
            );
        }
        _ => mutation::mutate_bytes(rng, bytes, pool),
    }
}

pub const POLYACT1: Target = Target {
    name: "polyact1",
    ext: "bin",
    about: "POLYACT1 activation files (ActivationFile::parse)",
    // The rows become f32 (2 x an f16 file); the metadata becomes a JSON tree.
    bound: Bound {
        single_fixed: 64 << 10,
        single_per_byte: 2,
        live_fixed: 256 << 10,
        live_per_byte: 16,
        millis: 500.0,
    },
    max_len: 64 << 10,
    run,
    generate,
    mutate,
    data_seeds: &[],
};
