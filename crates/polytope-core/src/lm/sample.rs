//! MLP activations of the language model sampled from a text, for training a dictionary live
//! (the `/sae` lab's `lm` source and `polytope sae --source lm`), and the comparison of a
//! trained dictionary with a shipped one.
//!
//! The text's tokens are cut into consecutive, non-overlapping windows of the model's context
//! length; each window runs through the model up to the MLP (no unembedding, which would cost
//! more than everything else) and a few distinct positions of it, drawn at random from a
//! fixed seed, become rows of an in-memory activation file. The work is done a few windows at
//! a time ([`ActivationSampler::advance`]) so a browser can yield between slices; natively
//! [`sample_activations`] runs it to the end. Both give the same rows.

use ndarray::ArrayView2;
use ndarray::linalg::general_mat_mul;
use serde_json::json;

use super::model::{LmConfig, LmModel};
use crate::dict::{DataIndex, DictEntry, SaeWeights};
use crate::rng::HostRng;
use crate::sae::{ActivationFile, normalized_rows};

/// How many rows to take from a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleSpec {
    /// At most this many windows of the text (the rest is not read).
    pub windows_max: usize,
    /// Distinct random positions kept per window.
    pub per_window: usize,
    /// At most this many rows in all.
    pub rows_max: usize,
    /// Seed of the positions.
    pub seed: u32,
}

impl Default for SampleSpec {
    /// What the lab uses: 1,500 windows (96k tokens at context 64), 16 positions each, at most
    /// 24,000 rows (49 MB of f32 at 512 neurons).
    fn default() -> Self {
        Self {
            windows_max: 1500,
            per_window: 16,
            rows_max: 24_000,
            seed: 0,
        }
    }
}

/// The model id whose activations the lab samples.
pub const LAB_MODEL: &str = "A";

/// The MLP activations after the ReLU, `[batch * len, d_mlp]`, for `batch` sequences of `len`
/// tokens: [`LmModel::forward_to_mlp`], without the output layer and the unembedding.
pub fn mlp_only(model: &LmModel, tokens: &[u16], batch: usize, len: usize) -> Vec<f32> {
    model.mlp_activations(tokens, batch, len)
}

/// Samples MLP activations from a token stream, a few windows per call.
pub struct ActivationSampler {
    tokens: Vec<u16>,
    ctx: usize,
    d_mlp: usize,
    windows: usize,
    next: usize,
    per_window: usize,
    rows_max: usize,
    rng: HostRng,
    rows: Vec<f32>,
}

impl ActivationSampler {
    /// A sampler over `tokens` for a model of shape `config` (tokens outside its vocabulary are
    /// an error).
    pub fn new(config: &LmConfig, tokens: Vec<u16>, spec: SampleSpec) -> Result<Self, String> {
        let ctx = config.ctx.max(1);
        if let Some(bad) = tokens.iter().find(|t| usize::from(**t) >= config.vocab) {
            return Err(format!(
                "token {bad} is outside the model's vocabulary of {}",
                config.vocab
            ));
        }
        let windows = (tokens.len() / ctx).min(spec.windows_max);
        if windows == 0 {
            return Err(format!(
                "the text has {} tokens, fewer than one window of {ctx}",
                tokens.len()
            ));
        }
        let per_window = spec.per_window.clamp(1, ctx);
        let rows_max = spec.rows_max.max(1).min(windows * per_window);
        Ok(Self {
            tokens,
            ctx,
            d_mlp: config.d_mlp,
            windows,
            next: 0,
            per_window,
            rows_max,
            rng: HostRng::new(spec.seed, 0x4C4D_5A11),
            rows: Vec::with_capacity(rows_max * config.d_mlp),
        })
    }

    /// Windows to run in all.
    pub fn windows(&self) -> usize {
        self.windows
    }

    /// Windows run so far.
    pub fn done(&self) -> usize {
        self.next
    }

    /// Rows kept so far.
    pub fn rows(&self) -> usize {
        self.rows.len() / self.d_mlp.max(1)
    }

    /// Fraction of the work done, in `[0, 1]`.
    pub fn progress(&self) -> f64 {
        self.next as f64 / self.windows.max(1) as f64
    }

    pub fn is_done(&self) -> bool {
        self.next >= self.windows || self.rows() >= self.rows_max
    }

    /// Runs up to `count` more windows (in one batch through the model). Returns how many ran.
    pub fn advance(&mut self, model: &LmModel, count: usize) -> usize {
        if self.is_done() || count == 0 {
            return 0;
        }
        let (ctx, d) = (self.ctx, self.d_mlp);
        let n = count.min(self.windows - self.next);
        let start = self.next * ctx;
        let h = mlp_only(model, &self.tokens[start..start + n * ctx], n, ctx);
        let mut positions: Vec<usize> = Vec::with_capacity(ctx);
        for w in 0..n {
            // Distinct positions of this window, chosen at random (a partial shuffle of the
            // window's positions, so batches of any size draw the same).
            positions.clear();
            positions.extend(0..ctx);
            for i in 0..self.per_window {
                let j = i + self.rng.next_below((ctx - i) as u32) as usize;
                positions.swap(i, j);
            }
            for p in &positions[..self.per_window] {
                if self.rows() >= self.rows_max {
                    break;
                }
                let row = (w * ctx + p) * d;
                self.rows.extend_from_slice(&h[row..row + d]);
            }
        }
        self.next += n;
        n
    }

    /// The rows as an activation file (`metadata` says where they came from).
    pub fn finish(self, model_id: &str) -> ActivationFile {
        let count = self.rows();
        ActivationFile {
            d_in: self.d_mlp,
            count,
            metadata: json!({
                "source": "polytope lm sample",
                "model": model_id,
                "hook": "mlp.post_relu",
                "context_length": self.ctx,
                "windows": self.next,
                "per_window": self.per_window,
            }),
            data: self.rows,
        }
    }
}

/// Runs a sampler to the end (natively; the browser calls [`ActivationSampler::advance`] with
/// yields in between).
pub fn sample_activations(
    model: &LmModel,
    model_id: &str,
    tokens: Vec<u16>,
    spec: SampleSpec,
) -> Result<ActivationFile, String> {
    let mut s = ActivationSampler::new(&model.config, tokens, spec)?;
    while !s.is_done() {
        s.advance(model, 32);
    }
    Ok(s.finish(model_id))
}

/// A one-line description of sampled activations for reports.
pub fn describe(file: &ActivationFile, model_id: &str) -> String {
    let windows = file
        .metadata
        .get("windows")
        .and_then(serde_json::Value::as_u64);
    format!(
        "language model {model_id}: {} MLP activations ({} neurons) from {} windows of the text sample",
        file.count,
        file.d_in,
        windows.map_or_else(|| "?".to_owned(), |w| w.to_string())
    )
}

/// The shipped dictionary of `model` to compare a lab dictionary of `d_sae` latents with: the
/// same size if there is one, else the closest (in log size; the smaller on a tie).
pub fn closest_dictionary<'a>(
    index: &'a DataIndex,
    model: &str,
    d_sae: u32,
) -> Option<&'a DictEntry> {
    let distance = |d: &DictEntry| {
        (f64::from(d.d_sae.max(1)) / f64::from(d_sae.max(1)))
            .ln()
            .abs()
    };
    index
        .dictionaries
        .iter()
        .filter(|d| d.model == model)
        .min_by(|a, b| {
            distance(a)
                .total_cmp(&distance(b))
                .then(a.d_sae.cmp(&b.d_sae))
        })
}

/// A shipped dictionary's decoder directions, unit-normalised, `[d_sae, d_in]`.
pub fn shipped_directions(w: &SaeWeights) -> Vec<f32> {
    let rows: Vec<f32> = (0..w.d_sae as usize)
        .flat_map(|i| w.decoder_row(i).iter().copied())
        .collect();
    normalized_rows(&rows, w.d_in as usize)
}

/// Multiply-adds of comparing `a_rows` with `b_rows` directions of `dim` values.
pub fn compare_cost(a_rows: usize, b_rows: usize, dim: usize) -> usize {
    a_rows.saturating_mul(b_rows).saturating_mul(dim)
}

/// Both MMCS of two sets of unit rows in one pass over their cosines: (`a` -> `b`: the mean
/// over rows of `a` of the best cosine in `b`, `b` -> `a`). Same numbers as
/// [`crate::sae::mmcs`] both ways, with blocked matrix products.
pub fn mmcs_both(a: &[f32], b: &[f32], dim: usize) -> (f32, f32) {
    const BLOCK: usize = 128;
    let (na, nb) = (a.len() / dim.max(1), b.len() / dim.max(1));
    if na == 0 || nb == 0 {
        return (0.0, 0.0);
    }
    let bv = ArrayView2::from_shape((nb, dim), &b[..nb * dim])
        .expect("shape")
        .reversed_axes();
    let mut best_b = vec![f32::NEG_INFINITY; nb];
    let mut total_a = 0.0f64;
    let mut cos = vec![0.0f32; BLOCK * nb];
    for rows in a[..na * dim].chunks(BLOCK * dim) {
        let r = rows.len() / dim;
        let av = ArrayView2::from_shape((r, dim), rows).expect("shape");
        let mut cv =
            ndarray::ArrayViewMut2::from_shape((r, nb), &mut cos[..r * nb]).expect("shape");
        general_mat_mul(1.0, &av, &bv, 0.0, &mut cv);
        for row in cos[..r * nb].chunks(nb) {
            let mut m = f32::NEG_INFINITY;
            for (c, v) in row.iter().enumerate() {
                m = m.max(*v);
                if *v > best_b[c] {
                    best_b[c] = *v;
                }
            }
            total_a += f64::from(m);
        }
    }
    let total_b: f64 = best_b.iter().map(|v| f64::from(*v)).sum();
    ((total_a / na as f64) as f32, (total_b / nb as f64) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sae::mmcs;

    fn tiny() -> LmModel {
        let cfg = LmConfig {
            vocab: 11,
            d_model: 8,
            n_heads: 2,
            d_mlp: 12,
            ctx: 6,
        };
        let mut m = LmModel::init(cfg, 3);
        let l = cfg.layout();
        let mut rng = HostRng::new(9, 1);
        for p in &mut m.params[l.b_in..l.w_out] {
            *p = (rng.next_normal() * 0.3) as f32;
        }
        m
    }

    #[test]
    fn mlp_only_matches_the_forward_pass() {
        let m = tiny();
        let tokens: Vec<u16> = [1u16, 4, 7, 2, 9, 3, 5, 5, 0, 10, 6, 8].to_vec();
        let full = m.mlp_activations(&tokens, 2, 6);
        let only = mlp_only(&m, &tokens, 2, 6);
        assert_eq!(full.len(), only.len());
        for (a, b) in full.iter().zip(&only) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    #[test]
    fn sampler_keeps_distinct_positions_and_is_deterministic() {
        let m = tiny();
        let tokens: Vec<u16> = (0..100u16).map(|i| (i * 7 + 3) % 11).collect();
        let spec = SampleSpec {
            windows_max: 100,
            per_window: 3,
            rows_max: 1000,
            seed: 5,
        };
        let a = sample_activations(&m, "T", tokens.clone(), spec).expect("samples");
        // 100 tokens: 16 windows of 6, 3 positions each.
        assert_eq!(a.count, 16 * 3);
        assert_eq!(a.d_in, 12);
        // One window at a time gives the same rows as batches.
        let mut s = ActivationSampler::new(&m.config, tokens.clone(), spec).expect("sampler");
        while !s.is_done() {
            s.advance(&m, 1);
        }
        let b = s.finish("T");
        for (x, y) in a.data.iter().zip(&b.data) {
            assert!((x - y).abs() < 1e-5);
        }
        // Every row is one of the window's rows.
        let h = m.mlp_activations(&tokens[..6], 1, 6);
        for r in 0..3 {
            let row = &a.data[r * 12..(r + 1) * 12];
            assert!(h.chunks(12).any(|hr| hr == row));
        }
        let capped = sample_activations(
            &m,
            "T",
            tokens,
            SampleSpec {
                rows_max: 10,
                ..spec
            },
        )
        .expect("samples");
        assert_eq!(capped.count, 10);
    }

    #[test]
    fn short_or_foreign_texts_are_refused() {
        let m = tiny();
        assert!(ActivationSampler::new(&m.config, vec![1, 2], SampleSpec::default()).is_err());
        assert!(ActivationSampler::new(&m.config, vec![11; 12], SampleSpec::default()).is_err());
    }

    #[test]
    fn mmcs_both_agrees_with_mmcs() {
        let mut rng = HostRng::new(1, 2);
        let mut rand = |n: usize| -> Vec<f32> {
            normalized_rows(
                &(0..n * 7)
                    .map(|_| rng.next_normal() as f32)
                    .collect::<Vec<_>>(),
                7,
            )
        };
        let a = rand(300);
        let b = rand(40);
        let (ab, ba) = mmcs_both(&a, &b, 7);
        assert!((ab - mmcs(&a, &b, 7)).abs() < 1e-4);
        assert!((ba - mmcs(&b, &a, 7)).abs() < 1e-4);
        let (same, _) = mmcs_both(&a, &a, 7);
        assert!((same - 1.0).abs() < 1e-4);
    }

    #[test]
    fn closest_dictionary_prefers_the_same_size() {
        let index: DataIndex = serde_json::from_value(json!({
            "format": "polytope-data", "version": 1,
            "tokenizer": {"path": "t.json", "bytes": 1, "checksum": "0000000000000000"},
            "vocab": 10,
            "eval_tokens": {"path": "e.bin", "bytes": 2, "checksum": "0000000000000000"},
            "text_sample": {"path": "s.txt", "bytes": 1, "checksum": "0000000000000000"},
            "models": [],
            "dictionaries": [
                {"id": "a-512", "model": "A", "d_sae": 512, "variant": "topk", "manifest": "x"},
                {"id": "a-2048", "model": "A", "d_sae": 2048, "variant": "topk", "manifest": "x"},
                {"id": "b-1024", "model": "B", "d_sae": 1024, "variant": "topk", "manifest": "x"}
            ]
        }))
        .expect("index");
        let id = |n| closest_dictionary(&index, "A", n).map(|d| d.id.as_str());
        assert_eq!(id(512), Some("a-512"));
        assert_eq!(id(1024), Some("a-512"));
        assert_eq!(id(1500), Some("a-2048"));
        assert_eq!(id(64), Some("a-512"));
        assert_eq!(closest_dictionary(&index, "C", 512), None);
    }
}
