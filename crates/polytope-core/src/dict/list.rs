//! `list.bin`: one fixed-size record per feature, loaded first by the browser (list, search,
//! sort, map).

use super::bytes::{Reader, Writer, round_f16};
use super::{DictError, invalid};

pub const LIST_MAGIC: &[u8; 8] = b"PDLIST1\0";
pub const LIST_VERSION: u32 = 1;
pub const LIST_HEADER_LEN: usize = 16;
pub const LIST_RECORD_LEN: usize = 24;
/// `top_tokens` entry meaning "no token".
pub const NO_TOKEN: u16 = u16::MAX;
/// `flags` bit: the feature never fires on the evaluation tokens.
pub const FLAG_DEAD: u8 = 1;
/// `flags` bit: the feature fires, but on fewer than `ultralow_threshold` of the tokens.
pub const FLAG_ULTRALOW: u8 = 2;

/// What the feature list shows of one feature.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureSummary {
    /// Fraction of the evaluation tokens where the feature is > 0 (stored as f32).
    pub density: f32,
    /// Largest activation over the evaluation tokens (f32); example `acts` are relative to it.
    pub max_act: f32,
    /// Mean activation over the tokens where it is > 0 (stored as f16).
    pub mean_act: f32,
    /// The most frequent tokens at its top activations, most frequent first; [`NO_TOKEN`] pads.
    pub top_tokens: [u16; 4],
    /// Position on the 2-D feature map, each coordinate in `[0, 1]` (stored as f16).
    pub map: [f32; 2],
    /// [`FLAG_DEAD`] | [`FLAG_ULTRALOW`].
    pub flags: u8,
}

impl FeatureSummary {
    pub fn is_dead(&self) -> bool {
        self.flags & FLAG_DEAD != 0
    }
    pub fn is_ultralow(&self) -> bool {
        self.flags & FLAG_ULTRALOW != 0
    }
}

/// Bytes of a `list.bin` of `d_sae` features.
pub fn list_len(d_sae: u32) -> u64 {
    LIST_HEADER_LEN as u64 + u64::from(d_sae) * LIST_RECORD_LEN as u64
}

/// Encodes the list; fails (naming the feature) on anything [`decode_list`] would reject, so
/// what it returns always reads back. Values are rounded as stored (f16 for `mean_act`, `map`).
pub fn encode_list(features: &[FeatureSummary]) -> Result<Vec<u8>, DictError> {
    let d_sae = u32::try_from(features.len())
        .map_err(|_| invalid(format!("{} features do not fit in u32", features.len())))?;
    let mut w = Writer::default();
    w.bytes(LIST_MAGIC);
    w.u32(LIST_VERSION);
    w.u32(d_sae);
    for f in features {
        w.f32(f.density);
        w.f32(f.max_act);
        w.f16(f.mean_act);
        for t in f.top_tokens {
            w.u16(t);
        }
        w.f16(f.map[0]);
        w.f16(f.map[1]);
        w.u8(f.flags);
        w.u8(0);
    }
    decode_list(&w.out, d_sae, None)?;
    Ok(w.out)
}

/// Decodes and checks `list.bin`: magic, version, `d_sae == expected_d_sae`, exact length, and
/// per feature finite values, density and map in `[0, 1]`, non-negative activations, known
/// flag bits (dead means density 0; not both dead and ultralow), a zero reserved byte, and
/// token ids below `vocab` (when given).
pub fn decode_list(
    bytes: &[u8],
    expected_d_sae: u32,
    vocab: Option<u32>,
) -> Result<Vec<FeatureSummary>, DictError> {
    let mut r = Reader::new(bytes);
    let magic = r.take(8, "header")?;
    if magic != LIST_MAGIC {
        return Err(DictError::BadMagic {
            kind: "feature list",
            magic: "PDLIST1\\0",
        });
    }
    let version = r.u32("header: version")?;
    if version != LIST_VERSION {
        return Err(DictError::UnsupportedVersion {
            kind: "feature list",
            found: version,
            supported: LIST_VERSION,
        });
    }
    let d_sae = r.u32("header: d_sae")?;
    if d_sae != expected_d_sae {
        return Err(invalid(format!(
            "the list holds {d_sae} features, the manifest says d_sae = {expected_d_sae}"
        )));
    }
    let expected = list_len(d_sae);
    if bytes.len() as u64 != expected {
        return Err(DictError::WrongLength {
            expected: usize::try_from(expected).unwrap_or(usize::MAX),
            actual: bytes.len(),
        });
    }
    let mut out = Vec::with_capacity(d_sae as usize);
    for i in 0..d_sae {
        let f = read_record(&mut r, vocab).map_err(|e| e.context(format!("feature {i}")))?;
        out.push(f);
    }
    Ok(out)
}

fn read_record(r: &mut Reader<'_>, vocab: Option<u32>) -> Result<FeatureSummary, DictError> {
    let density = r.f32("density")?;
    let max_act = r.f32("max_act")?;
    let mean_act = r.f16("mean_act")?;
    let mut top_tokens = [0u16; 4];
    for t in &mut top_tokens {
        *t = r.u16("top_tokens")?;
    }
    let map = [r.f16("map x")?, r.f16("map y")?];
    let flags = r.u8("flags")?;
    let reserved = r.u8("reserved")?;
    if !(0.0..=1.0).contains(&density) {
        return Err(invalid(format!("density {density} is outside [0, 1]")));
    }
    if max_act < 0.0 || mean_act < 0.0 {
        return Err(invalid(format!(
            "max_act {max_act} or mean_act {mean_act} is negative"
        )));
    }
    if mean_act > round_f16(max_act) {
        return Err(invalid(format!(
            "mean_act {mean_act} exceeds max_act {max_act}"
        )));
    }
    if !map.iter().all(|c| (0.0..=1.0).contains(c)) {
        return Err(invalid(format!(
            "map ({}, {}) is outside [0, 1]",
            map[0], map[1]
        )));
    }
    if flags & !(FLAG_DEAD | FLAG_ULTRALOW) != 0 {
        return Err(invalid(format!("flags {flags:#04x} has unknown bits")));
    }
    if flags & FLAG_DEAD != 0 && (flags & FLAG_ULTRALOW != 0 || density != 0.0) {
        return Err(invalid(format!(
            "flags say dead, but density is {density}{}",
            if flags & FLAG_ULTRALOW != 0 {
                " and ultralow is set too"
            } else {
                ""
            }
        )));
    }
    if reserved != 0 {
        return Err(invalid(format!("reserved byte is {reserved}, not 0")));
    }
    if let Some(vocab) = vocab
        && let Some(t) = top_tokens
            .iter()
            .find(|&&t| t != NO_TOKEN && u32::from(t) >= vocab)
    {
        return Err(invalid(format!(
            "top token {t} is outside the vocabulary of {vocab}"
        )));
    }
    Ok(FeatureSummary {
        density,
        max_act,
        mean_act,
        top_tokens,
        map,
        flags,
    })
}
