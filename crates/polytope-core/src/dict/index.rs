//! The JSON files: `index.json` ([`DataIndex`]) and each dictionary's `manifest.json`
//! ([`DictManifest`]).

use serde::{Deserialize, Serialize};

use super::chunk::{ChunkContext, MAX_WINDOW_SIDE};
use super::highlights::Highlight;
use super::list::list_len;
use super::scores::{ScoresRef, scores_len};
use super::weights::weights_len;
use super::{DictError, invalid, is_safe_id, is_safe_path};
use crate::sae::Variant;

/// `format` of `index.json`.
pub const DATA_FORMAT: &str = "polytope-data";
/// Major version of `index.json` this build reads and writes.
pub const DATA_VERSION: u32 = 1;
/// `format` of a dictionary's `manifest.json`.
pub const DICT_FORMAT: &str = "polytope-dictionary";
/// Major version of `manifest.json` this build reads and writes.
pub const DICT_VERSION: u32 = 1;

/// Most dictionary features this build accepts.
pub const MAX_D_SAE: u32 = 1 << 20;
/// Most features of one detail chunk.
pub const MAX_CHUNK_FEATURES: u32 = 4096;

/// A file, by its path relative to the JSON file that names it, its exact length and its
/// [`checksum`](super::checksum).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub path: String,
    pub bytes: u64,
    pub checksum: String,
}

impl FileRef {
    /// The reference of `bytes` stored at `path`.
    pub fn of(path: impl Into<String>, bytes: &[u8]) -> Self {
        Self {
            path: path.into(),
            bytes: bytes.len() as u64,
            checksum: super::checksum(bytes),
        }
    }

    /// Checks the reference itself: a safe relative path, a positive length, 16 hex digits.
    pub fn validate(&self, field: &str) -> Result<(), DictError> {
        if !is_safe_path(&self.path) {
            return Err(invalid(format!(
                "{field}: path {:?} is not a safe relative path (segments of a-z A-Z 0-9 - _ ., \
                 no leading dot, no .., no leading /)",
                self.path
            )));
        }
        if self.bytes == 0 {
            return Err(invalid(format!("{field}: bytes is 0")));
        }
        if self.checksum.len() != 16
            || !self
                .checksum
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(invalid(format!(
                "{field}: checksum {:?} is not 16 lowercase hexadecimal digits (FNV-1a 64)",
                self.checksum
            )));
        }
        Ok(())
    }

    /// Checks fetched bytes against the reference (length, then checksum).
    pub fn check(&self, bytes: &[u8]) -> Result<(), DictError> {
        if bytes.len() as u64 != self.bytes {
            return Err(invalid(format!(
                "{}: {} bytes, but the reference says {}",
                self.path,
                bytes.len(),
                self.bytes
            )));
        }
        let sum = super::checksum(bytes);
        if sum != self.checksum {
            return Err(invalid(format!(
                "{}: checksum {sum}, but the reference says {} (the file changed after the \
                 reference was written)",
                self.path, self.checksum
            )));
        }
        Ok(())
    }
}

/// A subject model (a one-layer transformer).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelEntry {
    /// `"A"`, `"B"`: the models differ in their seed only.
    pub id: String,
    /// The model's weights.
    pub file: FileRef,
    /// Cross-entropy (nats per token) on the evaluation tokens.
    pub val_loss: f32,
    pub seed: u64,
    pub d_model: u32,
    pub d_mlp: u32,
    /// Context length the model was trained with.
    pub n_ctx: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_tokens: Option<u64>,
    /// Interpretability scores of the model's MLP neurons (docs/interpretability.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub neuron_scores: Option<ScoresRef>,
    /// The same scores of the control: random directions in the MLP's activation space.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_scores: Option<ScoresRef>,
}

/// What a dictionary's units are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DictKind {
    /// Features learned by a sparse autoencoder (every file written before kinds existed).
    #[default]
    Sae,
    /// The model's own MLP neurons, written as the identity dictionary (encoder and decoder the
    /// identity, no bias), so that a neuron has every panel a feature has. Its id is
    /// `neurons-<model>`, for example `neurons-a`.
    Neurons,
}

impl DictKind {
    pub fn is_sae(&self) -> bool {
        *self == Self::Sae
    }
}

/// A dictionary as listed in `index.json` (enough for a menu; the rest is in its manifest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DictEntry {
    /// `"a-2048"`, or `"neurons-a"` for a model's neurons.
    pub id: String,
    /// A [`ModelEntry::id`].
    pub model: String,
    pub d_sae: u32,
    pub variant: String,
    /// Path of its `manifest.json`, relative to `index.json`.
    pub manifest: String,
    /// `"neurons"` for a model's neurons; absent for a sparse autoencoder's features.
    #[serde(default, skip_serializing_if = "DictKind::is_sae")]
    pub kind: DictKind,
}

/// `index.json`: the root of a data directory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataIndex {
    /// Always [`DATA_FORMAT`].
    pub format: String,
    /// Major version, [`DATA_VERSION`].
    pub version: u32,
    /// The tokenizer (JSON).
    pub tokenizer: FileRef,
    /// Tokens of the tokenizer's vocabulary (at most 65535: ids are u16 and 65535 means none).
    pub vocab: u32,
    /// The evaluation tokens as u16 little-endian: the analysis ran over exactly these, and
    /// example positions index into them.
    pub eval_tokens: FileRef,
    /// A UTF-8 text sample (for custom-text defaults and tokenizer checks).
    pub text_sample: FileRef,
    pub models: Vec<ModelEntry>,
    pub dictionaries: Vec<DictEntry>,
    /// Units that tell the paper's story, each with notes and checkable claims (optional: an
    /// index without them, or a reader that ignores them, is still version 1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub highlights: Vec<Highlight>,
}

/// Reads `format` and `version` before the rest, so that a newer major version is reported as
/// such rather than as a missing field.
fn check_header(
    value: &serde_json::Value,
    format: &'static str,
    version: u32,
) -> Result<(), DictError> {
    let Some(obj) = value.as_object() else {
        return Err(DictError::Json(format!("{format}: expected a JSON object")));
    };
    match obj.get("format").and_then(serde_json::Value::as_str) {
        Some(f) if f == format => {}
        Some(f) => {
            return Err(DictError::Json(format!(
                "format is {f:?}, expected {format:?}"
            )));
        }
        None => return Err(DictError::Json(format!("no \"format\": {format:?} field"))),
    }
    match obj.get("version").and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(version) => Ok(()),
        Some(v) => Err(DictError::UnsupportedVersion {
            kind: format,
            found: u32::try_from(v).unwrap_or(u32::MAX),
            supported: version,
        }),
        None => Err(DictError::Json(
            "no \"version\" field (a positive integer)".into(),
        )),
    }
}

fn finite(v: f32, what: &str) -> Result<(), DictError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(invalid(format!("{what} is not finite ({v})")))
    }
}

fn id(value: &str, what: &str) -> Result<(), DictError> {
    if is_safe_id(value) {
        Ok(())
    } else {
        Err(invalid(format!(
            "{what} {value:?} is not a safe id (1-64 characters of a-z A-Z 0-9 - _ ., no \
             leading dot)"
        )))
    }
}

pub(super) fn distinct<'a>(
    items: impl Iterator<Item = &'a str>,
    what: &str,
) -> Result<(), DictError> {
    let mut seen = std::collections::BTreeSet::new();
    for item in items {
        if !seen.insert(item) {
            return Err(invalid(format!("{what} {item:?} appears twice")));
        }
    }
    Ok(())
}

impl DataIndex {
    /// Parses and [validates](Self::validate) `index.json`.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DictError> {
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| DictError::Json(format!("not valid JSON: {e}")))?;
        check_header(&value, DATA_FORMAT, DATA_VERSION)?;
        let index: Self =
            serde_json::from_value(value).map_err(|e| DictError::Json(e.to_string()))?;
        index.validate()?;
        Ok(index)
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Number of evaluation tokens (`eval_tokens.bytes / 2`).
    pub fn eval_token_count(&self) -> u64 {
        self.eval_tokens.bytes / 2
    }

    pub fn model(&self, id: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.id == id)
    }

    pub fn dictionary(&self, id: &str) -> Option<&DictEntry> {
        self.dictionaries.iter().find(|d| d.id == id)
    }

    /// The sparse autoencoders of `model` (not its neurons), smallest first: the sizes that
    /// quality against size and family trees run across.
    pub fn sizes_of(&self, model: &str) -> Vec<&DictEntry> {
        let mut v: Vec<&DictEntry> = self
            .dictionaries
            .iter()
            .filter(|d| d.model == model && d.kind == DictKind::Sae)
            .collect();
        v.sort_by(|a, b| a.d_sae.cmp(&b.d_sae).then_with(|| a.id.cmp(&b.id)));
        v
    }

    /// Internal consistency: header, safe paths and ids, unique ids, every dictionary's model
    /// listed, token ids fitting in u16, an even eval-token file.
    pub fn validate(&self) -> Result<(), DictError> {
        if self.format != DATA_FORMAT {
            return Err(invalid(format!(
                "format is {:?}, expected {DATA_FORMAT:?}",
                self.format
            )));
        }
        if self.version != DATA_VERSION {
            return Err(DictError::UnsupportedVersion {
                kind: DATA_FORMAT,
                found: self.version,
                supported: DATA_VERSION,
            });
        }
        self.tokenizer.validate("tokenizer")?;
        self.eval_tokens.validate("eval_tokens")?;
        self.text_sample.validate("text_sample")?;
        if self.vocab == 0 || self.vocab > u32::from(u16::MAX) {
            return Err(invalid(format!(
                "vocab is {}; it must be 1..=65535 (token ids are u16, 65535 means none)",
                self.vocab
            )));
        }
        if !self.eval_tokens.bytes.is_multiple_of(2) {
            return Err(invalid(format!(
                "eval_tokens: {} bytes is odd; the file holds u16 tokens",
                self.eval_tokens.bytes
            )));
        }
        if self.models.is_empty() {
            return Err(invalid("models is empty"));
        }
        for (i, m) in self.models.iter().enumerate() {
            let at = format!("models[{i}]");
            id(&m.id, &format!("{at}.id"))?;
            m.file.validate(&format!("{at}.file"))?;
            finite(m.val_loss, &format!("{at}.val_loss"))?;
            if let Some(s) = &m.neuron_scores {
                s.validate(&format!("{at}.neuron_scores"))?;
            }
            if let Some(s) = &m.control_scores {
                s.validate(&format!("{at}.control_scores"))?;
            }
            if m.d_model == 0 || m.d_mlp == 0 || m.n_ctx == 0 {
                return Err(invalid(format!(
                    "{at}: d_model, d_mlp and n_ctx must be positive"
                )));
            }
        }
        distinct(self.models.iter().map(|m| m.id.as_str()), "model id")?;
        for (i, d) in self.dictionaries.iter().enumerate() {
            let at = format!("dictionaries[{i}]");
            id(&d.id, &format!("{at}.id"))?;
            if self.model(&d.model).is_none() {
                return Err(invalid(format!(
                    "{at}: model {:?} is not in models",
                    d.model
                )));
            }
            if d.d_sae == 0 || d.d_sae > MAX_D_SAE {
                return Err(invalid(format!(
                    "{at}: d_sae {} is outside 1..={MAX_D_SAE}",
                    d.d_sae
                )));
            }
            if !is_safe_path(&d.manifest) {
                return Err(invalid(format!(
                    "{at}: manifest path {:?} is not a safe relative path",
                    d.manifest
                )));
            }
        }
        distinct(
            self.dictionaries.iter().map(|d| d.id.as_str()),
            "dictionary id",
        )?;
        distinct(
            self.dictionaries.iter().map(|d| d.manifest.as_str()),
            "manifest path",
        )?;
        self.validate_highlights()
    }

    /// Checks a dictionary's manifest against its index entry and the other dictionaries
    /// (`related` and `match_dict` must be listed; the match must read another model).
    pub fn check_manifest(&self, entry: &DictEntry, m: &DictManifest) -> Result<(), DictError> {
        let at = format!("dictionary {:?}", entry.id);
        if m.id != entry.id || m.model != entry.model || m.d_sae != entry.d_sae {
            return Err(invalid(format!(
                "{at}: the index says id {:?}, model {:?}, d_sae {}, the manifest says id {:?}, \
                 model {:?}, d_sae {}",
                entry.id, entry.model, entry.d_sae, m.id, m.model, m.d_sae
            )));
        }
        if m.variant != entry.variant {
            return Err(invalid(format!(
                "{at}: the index says variant {:?}, the manifest {:?}",
                entry.variant, m.variant
            )));
        }
        if m.kind != entry.kind {
            return Err(invalid(format!(
                "{at}: the index says kind {:?}, the manifest {:?}",
                entry.kind, m.kind
            )));
        }
        if let Some(model) = self.model(&m.model)
            && model.d_mlp != m.d_in
        {
            return Err(invalid(format!(
                "{at}: d_in {} differs from model {:?}'s d_mlp {}",
                m.d_in, model.id, model.d_mlp
            )));
        }
        for r in &m.related {
            if self.dictionary(r).is_none() {
                return Err(invalid(format!(
                    "{at}: related dictionary {r:?} is not in the index"
                )));
            }
        }
        if let Some(md) = &m.match_dict {
            match self.dictionary(md) {
                None => {
                    return Err(invalid(format!(
                        "{at}: match_dict {md:?} is not in the index"
                    )));
                }
                Some(other) if other.model == m.model => {
                    return Err(invalid(format!(
                        "{at}: match_dict {md:?} reads the same model {:?}; universality \
                         compares two models",
                        m.model
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

/// How a dictionary was trained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    pub steps: u64,
    pub batch: u32,
    pub lr: f32,
    /// The sparsity penalty's coefficient (L1, or L0 for JumpReLU); none for TopK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sparsity_coefficient: Option<f32>,
    pub seed: u64,
    /// Activations seen during training.
    pub activations: u64,
    /// Wall-clock training time.
    pub seconds: f32,
    /// Inputs are multiplied by this before the SAE (1 if not normalised).
    pub normalize_scale: f32,
}

/// How well a dictionary does, measured over the evaluation tokens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DictMetrics {
    /// `1 - sum ||x - x_hat||^2 / sum ||x - mean x||^2`.
    pub explained_variance: f32,
    /// `sum ||x - x_hat||^2 / sum ||x||^2`.
    pub nmse: f32,
    /// Mean number of active features per token.
    pub l0: f32,
    /// Features that never fire on the evaluation tokens.
    pub dead: u32,
    /// Features that fire on fewer than `ultralow_threshold` of the tokens (but some).
    pub ultralow: u32,
    /// A density (fraction of tokens), for example `1e-5`.
    pub ultralow_threshold: f32,
    /// Cross-entropy (nats per token): the model as is, with the MLP output replaced by the
    /// one of the SAE's reconstruction, with the MLP activations zeroed.
    pub loss_orig: f32,
    pub loss_sae: f32,
    pub loss_zero: f32,
    /// `(loss_zero - loss_sae) / (loss_zero - loss_orig)`.
    pub loss_recovered: f32,
    /// Tokens these metrics (and the feature data) were computed over.
    pub eval_tokens: u64,
}

/// The snippet window: `before` tokens before the activating token and `after` after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    pub before: u32,
    pub after: u32,
}

/// `dict/<id>/manifest.json`. File paths are relative to the manifest's directory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DictManifest {
    /// Always [`DICT_FORMAT`].
    pub format: String,
    /// Major version, [`DICT_VERSION`].
    pub version: u32,
    pub id: String,
    /// The subject model's id.
    pub model: String,
    /// `"neurons"` for a model's neurons; absent for a sparse autoencoder's features.
    #[serde(default, skip_serializing_if = "DictKind::is_sae")]
    pub kind: DictKind,
    /// Width of the activations (the MLP's neurons).
    pub d_in: u32,
    pub d_sae: u32,
    /// `"l1-2023"`, `"l1-2024"`, `"topk"`, `"jumprelu"`.
    pub variant: String,
    /// Active latents per token (TopK only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<u32>,
    /// Where the activations are read, `"mlp.post_relu"`.
    pub hook: String,
    pub training: TrainingInfo,
    pub metrics: DictMetrics,
    pub context: Context,
    /// Features per detail chunk (the last chunk may hold fewer).
    pub chunk_features: u32,
    /// Other dictionaries referenced by split edges: `SplitEdge::dict` indexes this list.
    #[serde(default)]
    pub related: Vec<String>,
    /// The other model's dictionary that `FeatureDetail::best_match` points into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_dict: Option<String>,
    pub list: FileRef,
    /// May be left out to save space (then the browser cannot run the SAE on custom text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<FileRef>,
    pub chunks: Vec<FileRef>,
    /// Interpretability scores of every unit (docs/interpretability.md); optional, so data
    /// written before scores existed is still version 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scores: Option<ScoresRef>,
}

impl DictManifest {
    /// Parses and [validates](Self::validate) a manifest.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DictError> {
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| DictError::Json(format!("not valid JSON: {e}")))?;
        check_header(&value, DICT_FORMAT, DICT_VERSION)?;
        let m: Self = serde_json::from_value(value).map_err(|e| DictError::Json(e.to_string()))?;
        m.validate()?;
        Ok(m)
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// `ceil(d_sae / chunk_features)`.
    pub fn chunk_count(&self) -> usize {
        if self.chunk_features == 0 {
            0
        } else {
            self.d_sae.div_ceil(self.chunk_features) as usize
        }
    }

    /// The chunk holding `feature`: its index and reference.
    pub fn chunk_for(&self, feature: u32) -> Option<(usize, &FileRef)> {
        if feature >= self.d_sae || self.chunk_features == 0 {
            return None;
        }
        let i = (feature / self.chunk_features) as usize;
        self.chunks.get(i).map(|c| (i, c))
    }

    /// What decoding chunk `chunk` needs. `eval_tokens` (the token count) and `vocab` come from
    /// the index; `None` skips the checks that need them.
    pub fn chunk_context(
        &self,
        chunk: usize,
        eval_tokens: Option<u64>,
        vocab: Option<u32>,
    ) -> ChunkContext {
        let first = (chunk as u32).saturating_mul(self.chunk_features);
        let count = self.chunk_features.min(self.d_sae.saturating_sub(first));
        ChunkContext {
            first,
            count,
            d_in: self.d_in,
            d_sae: self.d_sae,
            eval_tokens,
            vocab,
            window: Some(self.context),
            related: self.related.len(),
            has_match: self.match_dict.is_some(),
        }
    }

    /// Internal consistency (see `docs/dictionary-format.md`, "Manifest checks").
    pub fn validate(&self) -> Result<(), DictError> {
        if self.format != DICT_FORMAT {
            return Err(invalid(format!(
                "format is {:?}, expected {DICT_FORMAT:?}",
                self.format
            )));
        }
        if self.version != DICT_VERSION {
            return Err(DictError::UnsupportedVersion {
                kind: DICT_FORMAT,
                found: self.version,
                supported: DICT_VERSION,
            });
        }
        id(&self.id, "id")?;
        id(&self.model, "model")?;
        if self.d_in == 0 || self.d_in > u32::from(u16::MAX) {
            return Err(invalid(format!(
                "d_in {} is outside 1..=65535 (neuron ids are u16)",
                self.d_in
            )));
        }
        if self.d_sae == 0 || self.d_sae > MAX_D_SAE {
            return Err(invalid(format!(
                "d_sae {} is outside 1..={MAX_D_SAE}",
                self.d_sae
            )));
        }
        let Some(variant) = Variant::from_name(&self.variant) else {
            return Err(invalid(format!(
                "variant {:?} is unknown (l1-2023, l1-2024, topk, jumprelu)",
                self.variant
            )));
        };
        match (variant, self.k) {
            (Variant::TopK, Some(k)) if k >= 1 && k <= self.d_sae => {}
            (Variant::TopK, k) => {
                return Err(invalid(format!(
                    "k is {k:?}; a topk dictionary needs 1 <= k <= d_sae"
                )));
            }
            (_, Some(k)) => {
                return Err(invalid(format!(
                    "k is {k} but variant {:?} has no k",
                    self.variant
                )));
            }
            (_, None) => {}
        }
        if self.hook.is_empty() {
            return Err(invalid("hook is empty"));
        }
        if self.kind == DictKind::Neurons && self.d_sae != self.d_in {
            return Err(invalid(format!(
                "a neurons dictionary has one unit per neuron, but d_sae is {} and d_in {}",
                self.d_sae, self.d_in
            )));
        }
        let t = &self.training;
        for (v, name) in [
            (t.lr, "training.lr"),
            (t.seconds, "training.seconds"),
            (t.normalize_scale, "training.normalize_scale"),
        ] {
            finite(v, name)?;
        }
        if let Some(s) = t.sparsity_coefficient {
            finite(s, "training.sparsity_coefficient")?;
        }
        if t.normalize_scale <= 0.0 {
            return Err(invalid(format!(
                "training.normalize_scale is {}; it must be positive",
                t.normalize_scale
            )));
        }
        let mm = &self.metrics;
        for (v, name) in [
            (mm.explained_variance, "metrics.explained_variance"),
            (mm.nmse, "metrics.nmse"),
            (mm.l0, "metrics.l0"),
            (mm.ultralow_threshold, "metrics.ultralow_threshold"),
            (mm.loss_orig, "metrics.loss_orig"),
            (mm.loss_sae, "metrics.loss_sae"),
            (mm.loss_zero, "metrics.loss_zero"),
            (mm.loss_recovered, "metrics.loss_recovered"),
        ] {
            finite(v, name)?;
        }
        if u64::from(mm.dead) + u64::from(mm.ultralow) > u64::from(self.d_sae) {
            return Err(invalid(format!(
                "metrics: dead {} + ultralow {} exceed d_sae {}",
                mm.dead, mm.ultralow, self.d_sae
            )));
        }
        if !(mm.ultralow_threshold > 0.0 && mm.ultralow_threshold <= 1.0) {
            return Err(invalid(format!(
                "metrics.ultralow_threshold {} is not a density in (0, 1]",
                mm.ultralow_threshold
            )));
        }
        if self.context.before > MAX_WINDOW_SIDE || self.context.after > MAX_WINDOW_SIDE {
            return Err(invalid(format!(
                "context {{before: {}, after: {}}}: each side is at most {MAX_WINDOW_SIDE}",
                self.context.before, self.context.after
            )));
        }
        if self.chunk_features == 0 || self.chunk_features > MAX_CHUNK_FEATURES {
            return Err(invalid(format!(
                "chunk_features {} is outside 1..={MAX_CHUNK_FEATURES}",
                self.chunk_features
            )));
        }
        if self.chunks.len() != self.chunk_count() {
            return Err(invalid(format!(
                "{} chunks listed, but {} features in chunks of {} need {}",
                self.chunks.len(),
                self.d_sae,
                self.chunk_features,
                self.chunk_count()
            )));
        }
        if self.related.len() > 255 {
            return Err(invalid(format!(
                "{} related dictionaries; at most 255 (split edges index them with a u8)",
                self.related.len()
            )));
        }
        for r in &self.related {
            id(r, "related dictionary")?;
            if *r == self.id {
                return Err(invalid("related lists the dictionary itself"));
            }
        }
        distinct(
            self.related.iter().map(String::as_str),
            "related dictionary",
        )?;
        if let Some(md) = &self.match_dict {
            id(md, "match_dict")?;
            if *md == self.id {
                return Err(invalid("match_dict is the dictionary itself"));
            }
        }
        self.list.validate("list")?;
        let expected = list_len(self.d_sae);
        if self.list.bytes != expected {
            return Err(invalid(format!(
                "list: {} bytes, but a list of {} features is {expected}",
                self.list.bytes, self.d_sae
            )));
        }
        if let Some(w) = &self.weights {
            w.validate("weights")?;
            let expected = weights_len(self.d_in, self.d_sae);
            if w.bytes != expected {
                return Err(invalid(format!(
                    "weights: {} bytes, but weights of {} x {} are {expected}",
                    w.bytes, self.d_sae, self.d_in
                )));
            }
        }
        if let Some(s) = &self.scores {
            s.validate("scores")?;
            let expected = scores_len(self.d_sae, s.measures.len() as u32);
            if s.file.bytes != expected {
                return Err(invalid(format!(
                    "scores: {} bytes, but {} measures of {} units are {expected}",
                    s.file.bytes,
                    s.measures.len(),
                    self.d_sae
                )));
            }
        }
        for (i, c) in self.chunks.iter().enumerate() {
            c.validate(&format!("chunks[{i}]"))?;
        }
        let mut paths: Vec<&str> = self.chunks.iter().map(|c| c.path.as_str()).collect();
        paths.push(&self.list.path);
        if let Some(w) = &self.weights {
            paths.push(&w.path);
        }
        if let Some(s) = &self.scores {
            paths.push(&s.file.path);
        }
        distinct(paths.into_iter(), "file path")?;
        Ok(())
    }
}
