//! Training the subject model: AdamW with warm-up and cosine decay, batches of random windows
//! drawn from the token stream by a seeded generator, checkpoints that resume bit for bit.

use serde::{Deserialize, Serialize};

use super::model::{LmConfig, LmModel};
use crate::rng::HostRng;

/// How to train.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LmTrainConfig {
    pub seed: u32,
    /// Sequences per step.
    pub batch: usize,
    /// Tokens per sequence (`<= ctx`).
    pub len: usize,
    pub steps: u32,
    pub lr: f64,
    pub warmup: u32,
    pub weight_decay: f64,
    pub beta1: f64,
    pub beta2: f64,
    /// Global gradient-norm clip.
    pub clip: f64,
}

impl LmTrainConfig {
    pub fn recommended(seed: u32, steps: u32) -> Self {
        Self {
            seed,
            batch: 32,
            len: 64,
            steps,
            lr: 3e-3,
            warmup: 200.min(steps / 10 + 1),
            weight_decay: 0.05,
            beta1: 0.9,
            beta2: 0.98,
            clip: 1.0,
        }
    }

    pub fn lr_at(&self, step: u32) -> f64 {
        if step < self.warmup {
            return self.lr * f64::from(step + 1) / f64::from(self.warmup);
        }
        let t = f64::from(step - self.warmup) / f64::from((self.steps - self.warmup).max(1));
        let t = t.clamp(0.0, 1.0);
        self.lr * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * t).cos()))
    }
}

/// A training run in progress (everything a checkpoint holds).
#[derive(Clone, Debug)]
pub struct LmTrainer {
    pub config: LmTrainConfig,
    pub model: LmModel,
    pub m: Vec<f32>,
    pub v: Vec<f32>,
    pub step: u32,
    grad: Vec<f32>,
    decay_mask: Vec<bool>,
}

impl LmTrainer {
    pub fn new(model_config: LmConfig, config: LmTrainConfig) -> Self {
        let model = LmModel::init(model_config, config.seed);
        let n = model.params.len();
        let mut decay_mask = vec![false; n];
        for (name, range, decay) in model_config.layout().tensors() {
            // Embeddings are not decayed (rare tokens would shrink to nothing).
            if decay && name != "embed" && name != "pos" {
                decay_mask[range].fill(true);
            }
        }
        Self {
            config,
            model,
            m: vec![0.0; n],
            v: vec![0.0; n],
            step: 0,
            grad: vec![0.0; n],
            decay_mask,
        }
    }

    /// The windows step `step` trains on: `batch` start offsets into a stream of `stream_len`
    /// tokens, a pure function of the seed and the step (so a resumed run sees the same data).
    pub fn batch_starts(&self, step: u32, stream_len: usize) -> Vec<usize> {
        let mut rng = HostRng::new(self.config.seed, 0x4241_0000 ^ step);
        let span = (stream_len - self.config.len) as u64;
        (0..self.config.batch)
            .map(|_| {
                let r = (u64::from(rng.next_u32()) << 32) | u64::from(rng.next_u32());
                (r % (span + 1)) as usize
            })
            .collect()
    }

    /// One step on windows of `stream`; returns the training loss before the update.
    pub fn train_step(&mut self, stream: &[u16]) -> f64 {
        let len = self.config.len;
        let starts = self.batch_starts(self.step, stream.len());
        let mut tokens = Vec::with_capacity(starts.len() * len);
        for s in &starts {
            tokens.extend_from_slice(&stream[*s..*s + len]);
        }
        let loss = self
            .model
            .loss_and_grad(&tokens, starts.len(), len, &mut self.grad);
        let norm: f64 = self
            .grad
            .iter()
            .map(|g| f64::from(*g) * f64::from(*g))
            .sum::<f64>()
            .sqrt();
        let clip = if norm > self.config.clip {
            (self.config.clip / norm) as f32
        } else {
            1.0
        };
        let c = &self.config;
        let t = f64::from(self.step + 1);
        let lr = c.lr_at(self.step);
        let bc1 = 1.0 - c.beta1.powf(t);
        let bc2 = 1.0 - c.beta2.powf(t);
        let (b1, b2) = (c.beta1 as f32, c.beta2 as f32);
        let step_size = (lr / bc1) as f32;
        let inv_bc2 = (1.0 / bc2) as f32;
        let wd = (lr * c.weight_decay) as f32;
        for i in 0..self.grad.len() {
            let g = self.grad[i] * clip;
            self.m[i] = b1 * self.m[i] + (1.0 - b1) * g;
            self.v[i] = b2 * self.v[i] + (1.0 - b2) * g * g;
            let p = &mut self.model.params[i];
            if self.decay_mask[i] {
                *p -= wd * *p;
            }
            *p -= step_size * self.m[i] / ((self.v[i] * inv_bc2).sqrt() + 1e-8);
        }
        self.step += 1;
        loss
    }

    /// Checkpoint bytes: magic, JSON header (configs, step), then params, m, v as f32 LE.
    pub fn checkpoint(&self) -> Vec<u8> {
        let header = serde_json::json!({
            "model": self.model.config,
            "train": self.config,
            "step": self.step,
        })
        .to_string();
        let mut out = Vec::with_capacity(16 + header.len() + self.m.len() * 12);
        out.extend_from_slice(CKPT_MAGIC);
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        for v in [&self.model.params, &self.m, &self.v] {
            for x in v {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        out
    }

    /// Resumes from [`LmTrainer::checkpoint`] bytes.
    pub fn from_checkpoint(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() < 12 || &bytes[..8] != CKPT_MAGIC {
            return Err("not a polytope LM checkpoint (bad magic)".into());
        }
        let hl = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes")) as usize;
        let header = bytes
            .get(12..12usize.saturating_add(hl))
            .ok_or("checkpoint header truncated")?;
        let header: serde_json::Value =
            serde_json::from_slice(header).map_err(|e| format!("checkpoint header: {e}"))?;
        let model: LmConfig = serde_json::from_value(header["model"].clone())
            .map_err(|e| format!("checkpoint model config: {e}"))?;
        model.validate()?;
        let train: LmTrainConfig = serde_json::from_value(header["train"].clone())
            .map_err(|e| format!("checkpoint train config: {e}"))?;
        let step = header["step"].as_u64().ok_or("checkpoint step missing")? as u32;
        // The body's length is checked before anything of the header's size is allocated.
        let n = model.layout().len;
        let body = &bytes[12 + hl..];
        if Some(body.len()) != n.checked_mul(12) {
            return Err(format!(
                "checkpoint body is {} bytes, expected {} for {n} parameters (truncated?)",
                body.len(),
                n.saturating_mul(12)
            ));
        }
        let mut t = Self::new(model, train);
        let mut it = body
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")));
        for dst in [&mut t.model.params, &mut t.m, &mut t.v] {
            for x in dst.iter_mut() {
                *x = it.next().expect("length checked");
            }
        }
        t.step = step;
        Ok(t)
    }
}

const CKPT_MAGIC: &[u8; 8] = b"POLYCKPT";

/// Mean next-token loss over consecutive, non-overlapping windows of `stream` (at most
/// `max_windows` of them), `batch` windows per forward pass.
pub fn evaluate(model: &LmModel, stream: &[u16], len: usize, max_windows: usize) -> f64 {
    let windows = (stream.len() / len).min(max_windows);
    let batch = 32usize;
    let mut total = 0.0;
    let mut count = 0usize;
    let mut w = 0;
    while w < windows {
        let b = batch.min(windows - w);
        let tokens = &stream[w * len..(w + b) * len];
        total += model.loss_with_hook(tokens, b, len, None) * b as f64;
        count += b;
        w += b;
    }
    total / count.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model learns a deterministic pattern far below the unigram entropy, and a checkpoint
    /// resumes to exactly the same parameters as an uninterrupted run.
    #[test]
    fn learns_and_resumes_exactly() {
        let cfg = LmConfig {
            vocab: 16,
            d_model: 16,
            n_heads: 2,
            d_mlp: 32,
            ctx: 16,
        };
        // Stream: repeating "counting" pattern with a copy structure.
        let stream: Vec<u16> = (0..4000u32)
            .map(|i| ((i * 7 + i / 13) % 16) as u16)
            .collect();
        let mut tc = LmTrainConfig::recommended(5, 300);
        tc.batch = 8;
        tc.len = 16;
        let mut a = LmTrainer::new(cfg, tc);
        let first = evaluate(&a.model, &stream, 16, 20);
        for _ in 0..150 {
            a.train_step(&stream);
        }
        let ck = a.checkpoint();
        let mut b = LmTrainer::from_checkpoint(&ck).expect("checkpoint");
        for _ in 0..150 {
            a.train_step(&stream);
            b.train_step(&stream);
        }
        assert_eq!(a.model.params, b.model.params, "resume diverged");
        let last = evaluate(&a.model, &stream, 16, 20);
        assert!(first > 2.0, "initial loss {first}");
        assert!(last < 0.5, "loss {first} -> {last}");
        assert!(LmTrainer::from_checkpoint(&ck[..ck.len() - 1]).is_err());
        assert!(LmTrainer::from_checkpoint(b"nonsense").is_err());
    }
}
