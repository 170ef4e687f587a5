//! The shipped model file: a fixed header, a JSON description, then every parameter as f16.
//!
//! ```text
//! 0   8  magic "POLYLM01"
//! 8   4  u32 LE: JSON length J
//! 12  J  JSON: {"config": LmConfig, "tensors": [[name, offset, len], ...], ...metadata}
//! ..     zero padding to a multiple of 16
//! ..     params.len() f16 LE values in layout order
//! ```

use half::f16;
use serde::{Deserialize, Serialize};

use super::model::{LmConfig, LmModel};

pub const MAGIC: &[u8; 8] = b"POLYLM01";

/// What the file says about the model besides its weights.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LmMetadata {
    pub id: String,
    pub seed: u32,
    pub steps: u32,
    pub tokens_seen: u64,
    pub val_loss: f64,
    pub train_seconds: f64,
}

#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    config: LmConfig,
    params: usize,
    metadata: LmMetadata,
}

/// Writes the model (values rounded to f16).
pub fn to_bytes(model: &LmModel, metadata: &LmMetadata) -> Vec<u8> {
    let header = Header {
        format: "polytope-lm".into(),
        version: 1,
        config: model.config,
        params: model.params.len(),
        metadata: metadata.clone(),
    };
    let json = serde_json::to_string(&header).expect("header serialises");
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(json.as_bytes());
    while out.len() % 16 != 0 {
        out.push(0);
    }
    for p in &model.params {
        out.extend_from_slice(&f16::from_f32(*p).to_le_bytes());
    }
    out
}

/// Reads a model file, checking every size and that every weight is finite.
pub fn from_bytes(bytes: &[u8]) -> Result<(LmModel, LmMetadata), String> {
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        return Err("not a polytope model file (the first 8 bytes are not \"POLYLM01\")".into());
    }
    let jl = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes")) as usize;
    let json = bytes.get(12..12usize.saturating_add(jl)).ok_or_else(|| {
        format!(
            "model header says {jl} JSON bytes but the file has {}",
            bytes.len()
        )
    })?;
    let header: Header =
        serde_json::from_slice(json).map_err(|e| format!("model header JSON: {e}"))?;
    if header.format != "polytope-lm" || header.version != 1 {
        return Err(format!(
            "model format {} version {} is not supported (expected polytope-lm 1)",
            header.format, header.version
        ));
    }
    header
        .config
        .validate()
        .map_err(|e| format!("model config: {e}"))?;
    let n = header.config.layout().len;
    if header.params != n {
        return Err(format!(
            "header says {} parameters, the config needs {n}",
            header.params
        ));
    }
    let start = (12 + jl).div_ceil(16) * 16;
    let body = bytes.get(start..).unwrap_or(&[]);
    if body.len() != n * 2 {
        return Err(format!(
            "model weights are {} bytes, expected {} ({n} f16 values)",
            body.len(),
            n * 2
        ));
    }
    let mut params = Vec::with_capacity(n);
    for (i, c) in body.chunks_exact(2).enumerate() {
        let v = f16::from_le_bytes([c[0], c[1]]).to_f32();
        if !v.is_finite() {
            return Err(format!("model weight {i} is not finite"));
        }
        params.push(v);
    }
    Ok((
        LmModel {
            config: header.config,
            params,
        },
        header.metadata,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejections() {
        let mut m = LmModel::init(LmConfig::paper(300), 1);
        m.round_to_f16();
        let meta = LmMetadata {
            id: "A".into(),
            val_loss: 3.5,
            ..LmMetadata::default()
        };
        let b = to_bytes(&m, &meta);
        let (back, meta2) = from_bytes(&b).expect("reads");
        assert_eq!(back, m);
        assert_eq!(meta2, meta);
        assert!(
            from_bytes(&b[..b.len() - 2])
                .unwrap_err()
                .contains("expected")
        );
        assert!(from_bytes(b"POLYLM01\xff\xff\xff\xff").is_err());
        let mut bad = b.clone();
        let n = bad.len();
        bad[n - 1] = 0x7c; // f16 infinity / NaN exponent
        bad[n - 2] = 0x01;
        assert!(from_bytes(&bad).unwrap_err().contains("not finite"));
    }
}
