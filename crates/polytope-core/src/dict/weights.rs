//! `weights.bin`: an SAE's parameters in f16, for running the encoder on custom text and
//! comparing decoder directions in the browser.

use half::f16;

use super::bytes::{Reader, Writer};
use super::index::MAX_D_SAE;
use super::{DictError, invalid};
use crate::sae::{SaeConfig, SaeParams, Variant};

pub const WEIGHTS_MAGIC: &[u8; 8] = b"PDWEIGHT";
pub const WEIGHTS_VERSION: u32 = 1;
pub const WEIGHTS_HEADER_LEN: usize = 32;

/// Bytes of a `weights.bin` for these sizes.
pub fn weights_len(d_in: u32, d_sae: u32) -> u64 {
    let (n, s) = (u64::from(d_in), u64::from(d_sae));
    WEIGHTS_HEADER_LEN as u64 + 2 * (2 * s * n + 2 * s + n)
}

/// The parameters of one SAE, as f32 in memory (f16 on disk).
///
/// The SAE: `x' = normalize_scale * x`; `z = W_enc (x' - b_dec if the variant subtracts it) +
/// b_enc`; `f = ReLU(z)` (l1 variants), the `k` largest positive `z` (topk), or `z` where
/// `z > threshold` (jumprelu); `x_hat' = W_dec^T f + b_dec`.
#[derive(Clone, Debug, PartialEq)]
pub struct SaeWeights {
    pub d_in: u32,
    pub d_sae: u32,
    pub variant: Variant,
    /// Active latents per input (topk only).
    pub k: Option<u32>,
    /// Inputs are multiplied by this before the encoder (1 if not normalised).
    pub normalize_scale: f32,
    /// `[d_sae, d_in]` row-major: row `i` is feature `i`'s encoder direction.
    pub w_enc: Vec<f32>,
    /// `[d_sae]`.
    pub b_enc: Vec<f32>,
    /// `[d_sae, d_in]` row-major: row `i` is feature `i`'s decoder direction.
    pub w_dec: Vec<f32>,
    /// `[d_in]`.
    pub b_dec: Vec<f32>,
    /// `[d_sae]`: JumpReLU thresholds (zeros for the other variants).
    pub threshold: Vec<f32>,
}

fn variant_from_code(code: u32) -> Option<Variant> {
    Variant::ALL.into_iter().find(|v| v.code() == code)
}

impl SaeWeights {
    /// From a trained SAE (`SaeParams` stores `W_enc` as `[d_in, d_sae]`; it is transposed
    /// here, and JumpReLU's `log theta` becomes `threshold`).
    pub fn from_params(
        cfg: &SaeConfig,
        params: &SaeParams,
        normalize_scale: f32,
    ) -> Result<Self, DictError> {
        let l = params.layout;
        let (n, s) = (l.n, l.s);
        if params.data.len() != l.len || n != cfg.d_in as usize || s != cfg.d_sae as usize {
            return Err(invalid(format!(
                "the parameters ({} values, layout {n} x {s}) do not match the configuration \
                 ({} x {})",
                params.data.len(),
                cfg.d_in,
                cfg.d_sae
            )));
        }
        let d = &params.data;
        let mut w_enc = vec![0.0f32; s * n];
        for k in 0..n {
            for i in 0..s {
                w_enc[i * n + k] = d[l.w_enc + k * s + i];
            }
        }
        let threshold = if cfg.variant == Variant::JumpRelu {
            d[l.log_theta..l.log_theta + s]
                .iter()
                .map(|t| t.exp())
                .collect()
        } else {
            vec![0.0; s]
        };
        let w = Self {
            d_in: cfg.d_in,
            d_sae: cfg.d_sae,
            variant: cfg.variant,
            k: (cfg.variant == Variant::TopK).then_some(cfg.k),
            normalize_scale,
            w_enc,
            b_enc: d[l.b_enc..l.b_enc + s].to_vec(),
            w_dec: d[l.w_dec..l.w_dec + s * n].to_vec(),
            b_dec: d[l.b_dec..l.b_dec + n].to_vec(),
            threshold,
        };
        w.check_shape()?;
        Ok(w)
    }

    /// Feature `i`'s encoder row.
    pub fn encoder_row(&self, i: usize) -> &[f32] {
        let n = self.d_in as usize;
        &self.w_enc[i * n..(i + 1) * n]
    }

    /// Feature `i`'s decoder direction.
    pub fn decoder_row(&self, i: usize) -> &[f32] {
        let n = self.d_in as usize;
        &self.w_dec[i * n..(i + 1) * n]
    }

    /// Sizes, `k` and `normalize_scale` (the checks [`Self::to_bytes`] and
    /// [`Self::from_bytes`] share).
    pub fn check_shape(&self) -> Result<(), DictError> {
        check_header(
            self.d_in,
            self.d_sae,
            self.variant,
            self.k.unwrap_or(0),
            self.normalize_scale,
        )?;
        let (n, s) = (self.d_in as usize, self.d_sae as usize);
        for (name, v, len) in [
            ("W_enc", &self.w_enc, s * n),
            ("b_enc", &self.b_enc, s),
            ("W_dec", &self.w_dec, s * n),
            ("b_dec", &self.b_dec, n),
            ("threshold", &self.threshold, s),
        ] {
            if v.len() != len {
                return Err(invalid(format!(
                    "{name} has {} values, expected {len} for d_in {n}, d_sae {s}",
                    v.len()
                )));
            }
        }
        Ok(())
    }

    fn arrays(&self) -> [(&'static str, &[f32]); 5] {
        [
            ("W_enc", &self.w_enc),
            ("b_enc", &self.b_enc),
            ("W_dec", &self.w_dec),
            ("b_dec", &self.b_dec),
            ("threshold", &self.threshold),
        ]
    }

    /// Encodes as `weights.bin` (values rounded to f16). Fails on wrong sizes or a value that
    /// is not finite in f16 (|v| > 65504).
    pub fn to_bytes(&self) -> Result<Vec<u8>, DictError> {
        self.check_shape()?;
        if let Some(i) = self.threshold.iter().position(|&t| t < 0.0) {
            return Err(invalid(format!(
                "threshold[{i}] = {} is negative",
                self.threshold[i]
            )));
        }
        let mut w = Writer::default();
        w.out.reserve(weights_len(self.d_in, self.d_sae) as usize);
        w.bytes(WEIGHTS_MAGIC);
        w.u32(WEIGHTS_VERSION);
        w.u32(self.variant.code());
        w.u32(self.d_in);
        w.u32(self.d_sae);
        w.u32(self.k.unwrap_or(0));
        w.f32(self.normalize_scale);
        for (name, values) in self.arrays() {
            for (i, &v) in values.iter().enumerate() {
                let h = f16::from_f32(v);
                if !h.is_finite() {
                    return Err(invalid(format!(
                        "{name}[{i}] = {v} is not finite as f16 (|v| <= 65504)"
                    )));
                }
                w.out.extend_from_slice(&h.to_le_bytes());
            }
        }
        Ok(w.out)
    }

    /// Decodes and checks `weights.bin`: magic, version, variant code, sizes, `k`, exact length,
    /// finite values, non-negative thresholds.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DictError> {
        let mut r = Reader::new(bytes);
        if r.take(8, "header")? != WEIGHTS_MAGIC {
            return Err(DictError::BadMagic {
                kind: "SAE weights",
                magic: "PDWEIGHT",
            });
        }
        let version = r.u32("header: version")?;
        if version != WEIGHTS_VERSION {
            return Err(DictError::UnsupportedVersion {
                kind: "SAE weights",
                found: version,
                supported: WEIGHTS_VERSION,
            });
        }
        let code = r.u32("header: variant")?;
        let variant = variant_from_code(code).ok_or_else(|| {
            invalid(format!(
                "variant code {code} is unknown (0 l1-2023, 1 l1-2024, 2 topk, 3 jumprelu)"
            ))
        })?;
        let d_in = r.u32("header: d_in")?;
        let d_sae = r.u32("header: d_sae")?;
        let k = r.u32("header: k")?;
        let normalize_scale = r.f32("header: normalize_scale")?;
        check_header(d_in, d_sae, variant, k, normalize_scale)?;
        let expected = weights_len(d_in, d_sae);
        if bytes.len() as u64 != expected {
            return Err(DictError::WrongLength {
                expected: usize::try_from(expected).unwrap_or(usize::MAX),
                actual: bytes.len(),
            });
        }
        let (n, s) = (d_in as usize, d_sae as usize);
        let mut read = |name: &str, len: usize| -> Result<Vec<f32>, DictError> {
            let raw = r.take(len * 2, name)?;
            let mut out = Vec::with_capacity(len);
            for (i, c) in raw.chunks_exact(2).enumerate() {
                let v = f16::from_le_bytes([c[0], c[1]]).to_f32();
                if !v.is_finite() {
                    return Err(invalid(format!("{name}[{i}] is not finite ({v})")));
                }
                out.push(v);
            }
            Ok(out)
        };
        let w_enc = read("W_enc", s * n)?;
        let b_enc = read("b_enc", s)?;
        let w_dec = read("W_dec", s * n)?;
        let b_dec = read("b_dec", n)?;
        let threshold = read("threshold", s)?;
        if let Some(i) = threshold.iter().position(|&t| t < 0.0) {
            return Err(invalid(format!(
                "threshold[{i}] = {} is negative",
                threshold[i]
            )));
        }
        Ok(Self {
            d_in,
            d_sae,
            variant,
            k: (variant == Variant::TopK).then_some(k),
            normalize_scale,
            w_enc,
            b_enc,
            w_dec,
            b_dec,
            threshold,
        })
    }
}

fn check_header(
    d_in: u32,
    d_sae: u32,
    variant: Variant,
    k: u32,
    normalize_scale: f32,
) -> Result<(), DictError> {
    if d_in == 0 || d_in > u32::from(u16::MAX) {
        return Err(invalid(format!("d_in {d_in} is outside 1..=65535")));
    }
    if d_sae == 0 || d_sae > MAX_D_SAE {
        return Err(invalid(format!("d_sae {d_sae} is outside 1..={MAX_D_SAE}")));
    }
    if variant == Variant::TopK {
        if k == 0 || k > d_sae {
            return Err(invalid(format!(
                "k is {k}; a topk SAE needs 1 <= k <= d_sae ({d_sae})"
            )));
        }
    } else if k != 0 {
        return Err(invalid(format!(
            "k is {k}, but variant {} has no k",
            variant.name()
        )));
    }
    if !(normalize_scale.is_finite() && normalize_scale > 0.0) {
        return Err(invalid(format!(
            "normalize_scale {normalize_scale} is not a positive finite number"
        )));
    }
    Ok(())
}
