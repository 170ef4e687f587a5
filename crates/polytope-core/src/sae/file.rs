//! The activation file: a fixed header, optional JSON metadata, then rows of activations.
//! Documented in `docs/activation-format.md`; every size is checked when a file is read.

use half::f16;
use thiserror::Error;

/// The first eight bytes of every activation file.
pub const MAGIC: &[u8; 8] = b"POLYACT1";
pub const VERSION: u32 = 1;
const HEADER_LEN: usize = 32;
const ALIGN: usize = 16;

/// How values are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    F32,
    F16,
}

impl Dtype {
    fn code(self) -> u32 {
        match self {
            Self::F32 => 0,
            Self::F16 => 1,
        }
    }

    fn bytes(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::F16 => 2,
        }
    }
}

/// What is wrong with a file, precisely enough to fix it.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum ActivationFileError {
    #[error("the file is {len} bytes long, shorter than the {HEADER_LEN}-byte header")]
    TooShort { len: usize },
    #[error("not an activation file: it does not start with \"POLYACT1\"")]
    BadMagic,
    #[error("activation file version {0} is not supported (this build reads version {VERSION})")]
    UnsupportedVersion(u32),
    #[error("unknown value type code {0} (0 = f32, 1 = f16)")]
    UnknownDtype(u32),
    #[error("the header says d_in = 0 or count = 0: there is nothing to read")]
    Empty,
    #[error("the metadata ({len} bytes) runs past the end of the file")]
    MetadataTruncated { len: usize },
    #[error("the metadata is not a JSON object: {0}")]
    BadMetadata(String),
    #[error(
        "the file should be {expected} bytes for {count} rows of {d_in} values, but it is {actual}"
    )]
    WrongLength {
        expected: usize,
        actual: usize,
        count: u64,
        d_in: u32,
    },
    #[error("value {col} of row {row} is not finite")]
    NonFinite { row: usize, col: usize },
    #[error(
        "the squared norm of row {row} overflows f32 (values must stay well below 1.8e19 in \
         magnitude)"
    )]
    NormOverflow { row: usize },
    #[error("every row is the same ({count} rows): there is nothing for a dictionary to learn")]
    IdenticalRows { count: usize },
}

/// A decoded activation file.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivationFile {
    pub d_in: usize,
    pub count: usize,
    pub metadata: serde_json::Value,
    /// Row-major `[count, d_in]`.
    pub data: Vec<f32>,
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

impl ActivationFile {
    /// Reads and checks a whole file.
    pub fn parse(bytes: &[u8]) -> Result<Self, ActivationFileError> {
        if bytes.len() < HEADER_LEN {
            return Err(ActivationFileError::TooShort { len: bytes.len() });
        }
        if &bytes[..8] != MAGIC {
            return Err(ActivationFileError::BadMagic);
        }
        let version = u32_at(bytes, 8);
        if version != VERSION {
            return Err(ActivationFileError::UnsupportedVersion(version));
        }
        let dtype = match u32_at(bytes, 12) {
            0 => Dtype::F32,
            1 => Dtype::F16,
            other => return Err(ActivationFileError::UnknownDtype(other)),
        };
        let count = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
        let d_in = u32_at(bytes, 24);
        let meta_len = u32_at(bytes, 28) as usize;
        if count == 0 || d_in == 0 {
            return Err(ActivationFileError::Empty);
        }
        // Sizes from the header are added and multiplied checked: in wasm32 `usize` is 32
        // bits, and a wrapped sum would pass the length check and slice the wrong bytes.
        let meta_end = HEADER_LEN
            .checked_add(meta_len)
            .filter(|&end| end <= bytes.len())
            .ok_or(ActivationFileError::MetadataTruncated { len: meta_len })?;
        let metadata = if meta_len == 0 {
            serde_json::Value::Object(serde_json::Map::new())
        } else {
            let v: serde_json::Value = serde_json::from_slice(&bytes[HEADER_LEN..meta_end])
                .map_err(|e| ActivationFileError::BadMetadata(e.to_string()))?;
            if !v.is_object() {
                return Err(ActivationFileError::BadMetadata(
                    "expected an object".into(),
                ));
            }
            v
        };
        let data_at = meta_end.checked_next_multiple_of(ALIGN);
        let expected = usize::try_from(count)
            .ok()
            .and_then(|c| c.checked_mul(d_in as usize))
            .and_then(|v| v.checked_mul(dtype.bytes()))
            .zip(data_at)
            .and_then(|(b, at)| b.checked_add(at));
        let data_at = match data_at {
            Some(at) if expected == Some(bytes.len()) => at,
            _ => {
                return Err(ActivationFileError::WrongLength {
                    expected: expected.unwrap_or(usize::MAX),
                    actual: bytes.len(),
                    count,
                    d_in,
                });
            }
        };
        let raw = &bytes[data_at..];
        let data: Vec<f32> = match dtype {
            Dtype::F32 => raw
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            Dtype::F16 => raw
                .chunks_exact(2)
                .map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
        };
        if let Some(i) = data.iter().position(|v| !v.is_finite()) {
            return Err(ActivationFileError::NonFinite {
                row: i / d_in as usize,
                col: i % d_in as usize,
            });
        }
        // Finite values can still be meaningless for training: norms that overflow (the
        // trainers square and sum in f32), or one point repeated.
        let mut rows = data.chunks_exact(d_in as usize);
        if let Some(row) = rows
            .clone()
            .position(|r| !r.iter().map(|v| v * v).sum::<f32>().is_finite())
        {
            return Err(ActivationFileError::NormOverflow { row });
        }
        let first = rows.next().unwrap_or(&[]);
        if rows.all(|r| r == first) {
            return Err(ActivationFileError::IdenticalRows {
                count: count as usize,
            });
        }
        Ok(Self {
            d_in: d_in as usize,
            count: count as usize,
            metadata,
            data,
        })
    }
}

/// Encodes `data` (row-major `[count, d_in]`) as an activation file.
pub fn write_activation_file(
    d_in: usize,
    data: &[f32],
    dtype: Dtype,
    metadata: &serde_json::Value,
) -> Vec<u8> {
    assert!(
        d_in > 0 && data.len().is_multiple_of(d_in),
        "data must be whole rows"
    );
    let meta = if metadata.as_object().is_some_and(serde_json::Map::is_empty) {
        Vec::new()
    } else {
        serde_json::to_vec(metadata).unwrap_or_default()
    };
    let mut out = Vec::with_capacity(HEADER_LEN + meta.len() + ALIGN + data.len() * dtype.bytes());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&dtype.code().to_le_bytes());
    out.extend_from_slice(&((data.len() / d_in) as u64).to_le_bytes());
    out.extend_from_slice(&(d_in as u32).to_le_bytes());
    out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
    out.extend_from_slice(&meta);
    out.resize(out.len().next_multiple_of(ALIGN), 0);
    for v in data {
        match dtype {
            Dtype::F32 => out.extend_from_slice(&v.to_le_bytes()),
            Dtype::F16 => out.extend_from_slice(&f16::from_f32(*v).to_le_bytes()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<f32> {
        (0..24).map(|i| i as f32 * 0.25 - 2.0).collect()
    }

    #[test]
    fn round_trips_in_both_types() {
        let meta = serde_json::json!({"source": "test", "layer": "mlp"});
        for dtype in [Dtype::F32, Dtype::F16] {
            let bytes = write_activation_file(6, &sample(), dtype, &meta);
            let file = ActivationFile::parse(&bytes).unwrap();
            assert_eq!((file.d_in, file.count), (6, 4));
            assert_eq!(file.data, sample(), "quarter steps are exact in f16 too");
            assert_eq!(file.metadata["source"], "test");
        }
    }

    #[test]
    fn every_kind_of_damage_is_named() {
        let good = write_activation_file(6, &sample(), Dtype::F32, &serde_json::json!({}));
        assert!(matches!(
            ActivationFile::parse(&good[..10]),
            Err(ActivationFileError::TooShort { .. })
        ));
        let mut bad = good.clone();
        bad[0] = b'X';
        assert_eq!(
            ActivationFile::parse(&bad),
            Err(ActivationFileError::BadMagic)
        );
        let mut bad = good.clone();
        bad[8] = 9;
        assert_eq!(
            ActivationFile::parse(&bad),
            Err(ActivationFileError::UnsupportedVersion(9))
        );
        let mut bad = good.clone();
        bad[12] = 7;
        assert_eq!(
            ActivationFile::parse(&bad),
            Err(ActivationFileError::UnknownDtype(7))
        );
        let truncated = &good[..good.len() - 4];
        assert!(matches!(
            ActivationFile::parse(truncated),
            Err(ActivationFileError::WrongLength { .. })
        ));
        let mut long = good.clone();
        long.extend_from_slice(&[0; 4]);
        assert!(matches!(
            ActivationFile::parse(&long),
            Err(ActivationFileError::WrongLength { .. })
        ));
        let mut nan = good.clone();
        let at = nan.len() - 4 * 5;
        nan[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
        assert_eq!(
            ActivationFile::parse(&nan),
            Err(ActivationFileError::NonFinite { row: 3, col: 1 })
        );
        let mut huge_meta = good.clone();
        huge_meta[28..32].copy_from_slice(&1_000_000u32.to_le_bytes());
        assert!(matches!(
            ActivationFile::parse(&huge_meta),
            Err(ActivationFileError::MetadataTruncated { .. })
        ));
        let mut zero = good;
        zero[24..28].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(
            ActivationFile::parse(&zero),
            Err(ActivationFileError::Empty)
        );
    }

    #[test]
    fn header_sizes_that_wrap_around_32_bits_are_refused() {
        let good = write_activation_file(6, &sample(), Dtype::F16, &serde_json::json!({}));
        let data_len = good.len() - HEADER_LEN;
        // 32 + metadata_len wraps to 16 in a 32-bit usize.
        let mut meta = good.clone();
        meta[28..32].copy_from_slice(&(u32::MAX - 15).to_le_bytes());
        assert!(matches!(
            ActivationFile::parse(&meta),
            Err(ActivationFileError::MetadataTruncated { .. })
        ));
        // count * d_in * 2 = 2^32 + the real data length: equal to it once wrapped.
        let mut wrap = good.clone();
        wrap[24..28].copy_from_slice(&1u32.to_le_bytes());
        let (rows_bytes, f16_bytes) = ((1u64 << 32) + data_len as u64, 2);
        wrap[16..24].copy_from_slice(&(rows_bytes / f16_bytes).to_le_bytes());
        assert!(matches!(
            ActivationFile::parse(&wrap),
            Err(ActivationFileError::WrongLength { .. })
        ));
        // The rows' bytes just below 2^32 (or 2^64): adding the header's 32 wraps.
        for top in [1u64 << 32, u64::MAX] {
            let mut near = good.clone();
            near[24..28].copy_from_slice(&1u32.to_le_bytes());
            near[16..24].copy_from_slice(&((top - 8) / 2).to_le_bytes());
            assert!(matches!(
                ActivationFile::parse(&near),
                Err(ActivationFileError::WrongLength { .. })
            ));
        }
    }

    #[test]
    fn meaningless_values_are_refused() {
        let rows: Vec<f32> = [1.0, -2.0, 0.5].repeat(4);
        let same = write_activation_file(3, &rows, Dtype::F32, &serde_json::json!({}));
        assert_eq!(
            ActivationFile::parse(&same),
            Err(ActivationFileError::IdenticalRows { count: 4 })
        );
        let one = write_activation_file(3, &rows[..3], Dtype::F32, &serde_json::json!({}));
        assert_eq!(
            ActivationFile::parse(&one),
            Err(ActivationFileError::IdenticalRows { count: 1 })
        );
        // Rows of +-3e38: finite, but their squares are not.
        let mut huge = sample();
        huge[13] = 3e38;
        let bytes = write_activation_file(6, &huge, Dtype::F32, &serde_json::json!({}));
        assert_eq!(
            ActivationFile::parse(&bytes),
            Err(ActivationFileError::NormOverflow { row: 2 })
        );
        let msg = ActivationFileError::NormOverflow { row: 2 }.to_string();
        assert!(
            msg.contains("row 2") && msg.contains("overflows f32"),
            "{msg}"
        );
    }
}
