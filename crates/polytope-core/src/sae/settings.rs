//! An SAE run described the way people set it, shared by the `/sae` page's URL and the CLI's
//! flags, with the same names in both places: `source`, `variant`, `d_in`, `features`,
//! `density`, `d_sae`, `k`, `l1`, `lr`, `batch`, `steps`, `seed`. These names and their value
//! formats are a public interface.
//!
//! Sources:
//! - `synthetic`: `features` random unit directions in `d_in` dimensions, densities
//!   log-spaced from 8/features down to 1/features (about four active per input).
//! - `toy`: the hidden layer of a ReLU toy model (`features` -> `d_in`, all features at
//!   `density`, equal importance) trained first on the CPU; its represented feature
//!   directions are the ground truth.
//! - `lm`: the MLP activations (after the ReLU, 512 neurons) of the shipped language model
//!   (model A of `public/data`) over the shipped text sample, sampled by
//!   `crate::lm::sample`; the browser computes them itself, the CLI from a data directory.
//!   No ground truth: a trained dictionary is compared with the shipped one instead.
//! - a file path (CLI only): an activation file (docs/activation-format.md); `d_in` comes
//!   from the file.

use serde::{Deserialize, Serialize};

use super::config::{SaeConfig, Variant};
use super::source::{ActivationSource, SyntheticSource, SyntheticSpec, ToySource};
use crate::optim::{OptimizerConfig, OptimizerKind, Schedule};
use crate::tms::{Correlation, CpuTrainer, InstanceSpec, ModelKind, TmsConfig, TrainState};

pub use crate::settings::SettingError;
use crate::settings::{Described, Kind, Setting, Width, always, parse_f64, whole_setting};

/// Where the activations come from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Synthetic,
    Toy,
    /// The shipped language model's MLP activations on the shipped text sample.
    Lm,
    /// An activation file (a path natively, a picked file in the browser).
    File(String),
}

impl SourceKind {
    pub fn name(&self) -> &str {
        match self {
            Self::Synthetic => "synthetic",
            Self::Toy => "toy",
            Self::Lm => "lm",
            Self::File(path) => path,
        }
    }
}

/// Everything that defines an SAE run, at the level of the controls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SaeSettings {
    pub source: SourceKind,
    pub variant: Variant,
    /// Input dimensions (synthetic and toy; a file sets its own).
    pub d_in: u32,
    /// True features behind the data (synthetic and toy).
    pub features: u32,
    /// Feature density of the toy model's data.
    pub density: f32,
    pub d_sae: u32,
    pub k: u32,
    /// The sparsity coefficient (the L1 weight; the L0 weight for `jumprelu`); `None`: the
    /// variant's recommended value.
    pub l1: Option<f32>,
    /// `None`: the variant's recommended learning rate.
    pub lr: Option<f64>,
    pub batch: u32,
    pub steps: u32,
    pub seed: u32,
}

/// Limits of the controls (the engine's own limits are wider).
pub const MAX_D_IN: u32 = 512;
pub const MAX_D_SAE: u32 = 16_384;
pub const MAX_FEATURES: u32 = 4096;
/// The toy source's model: at most this many hidden dimensions.
pub const MAX_TOY_HIDDEN: u32 = 64;
/// The `lm` source's input dimensions: the shipped model's MLP neurons.
pub const LM_D_MLP: u32 = 512;
/// The `lm` source: at most this many latents (the largest shipped dictionary).
pub const MAX_LM_D_SAE: u32 = 4096;

/// Reads `source`: `synthetic`, `toy`, `lm`, or (only where `allow_files`: the CLI) the
/// path of an activation file.
pub fn parse_source(value: &str, allow_files: bool) -> Result<SourceKind, String> {
    Ok(match value {
        "synthetic" => SourceKind::Synthetic,
        "toy" => SourceKind::Toy,
        "lm" => SourceKind::Lm,
        "" => return Err("expected synthetic, toy, lm or a file".into()),
        path if allow_files => SourceKind::File(path.to_owned()),
        _ => return Err("expected synthetic or toy, or lm".into()),
    })
}

/// An optional number: `auto` (or nothing) for the recommended value.
fn parse_auto(value: &str, min: f64, max: f64) -> Result<Option<f64>, String> {
    if value == "auto" || value.is_empty() {
        return Ok(None);
    }
    let v = parse_f64(value)?;
    if !(min..=max).contains(&v) {
        return Err(format!("must be in [{min}, {max}], got {v}"));
    }
    Ok(Some(v))
}

const SOURCES: &[&str] = &["synthetic", "toy", "lm"];
const VARIANTS: &[&str] = &["l1-2023", "l1-2024", "topk", "jumprelu"];

/// The description of every SAE setting (URL parameters of `/sae`, flags of `polytope sae`),
/// in the order URLs write them.
static SAE_SETTINGS: &[Setting<SaeSettings>] = &[
    Setting {
        name: "source",
        help: "synthetic, toy, lm (the shipped language model's MLP activations on the shipped \
               text sample, computed from --data), or the path of an activation file \
               (docs/activation-format.md).",
        kind: Kind::Choice(SOURCES),
        width: Width::Full,
        get: |s| Some(s.source.name().to_owned()),
        set: |s, v| {
            s.source = parse_source(v, false)?;
            Ok(())
        },
        shown: always,
    },
    Setting {
        name: "variant",
        help: "l1-2023, l1-2024, topk or jumprelu.",
        kind: Kind::Choice(VARIANTS),
        width: Width::Full,
        get: |s| Some(s.variant.name().to_owned()),
        set: |s, v| {
            s.variant = Variant::from_name(v)
                .ok_or_else(|| "expected l1-2023, l1-2024, topk or jumprelu".to_owned())?;
            Ok(())
        },
        shown: always,
    },
    whole_setting!(
        "d_in",
        "Input dimensions (synthetic and toy sources; a file has its own).",
        d_in,
        1,
        MAX_D_IN,
        Half,
        |s| matches!(s.source, SourceKind::Synthetic | SourceKind::Toy)
    ),
    whole_setting!(
        "features",
        "True features behind synthetic or toy data.",
        features,
        1,
        MAX_FEATURES,
        Half,
        |s| matches!(s.source, SourceKind::Synthetic | SourceKind::Toy)
    ),
    Setting {
        name: "density",
        help: "Feature density of the toy model's data.",
        kind: Kind::Number { min: 0.0, max: 1.0 },
        width: Width::Full,
        get: |s| Some(s.density.to_string()),
        set: |s, v| {
            let v = parse_f64(v)?;
            if !(v > 0.0 && v <= 1.0) {
                return Err(format!("must be in (0, 1], got {v}"));
            }
            let single = v as f32;
            if single <= 0.0 || !single.is_normal() {
                return Err(format!(
                    "{v} rounds to {single} in single precision; use at least {:e}",
                    f32::MIN_POSITIVE
                ));
            }
            s.density = single;
            Ok(())
        },
        shown: |s| s.source == SourceKind::Toy,
    },
    whole_setting!(
        "d_sae",
        "Dictionary size (latents).",
        d_sae,
        1,
        MAX_D_SAE,
        Half
    ),
    whole_setting!(
        "k",
        "Active latents per input (topk).",
        k,
        1,
        MAX_D_SAE,
        Half,
        |s| s.variant == Variant::TopK
    ),
    Setting {
        name: "l1",
        help: "Sparsity coefficient: the L1 weight (the L0 weight for jumprelu); default: the \
               variant's recommended value.",
        kind: Kind::Number {
            min: 0.0,
            max: 1000.0,
        },
        width: Width::Full,
        get: |s| s.l1.map(|v| v.to_string()),
        set: |s, v| {
            s.l1 = parse_auto(v, 0.0, 1e3)?.map(|v| v as f32);
            Ok(())
        },
        shown: |s| s.variant != Variant::TopK,
    },
    Setting {
        name: "lr",
        help: "Learning rate; default: the variant's recommended value.",
        kind: Kind::Number {
            min: 1e-7,
            max: 1.0,
        },
        width: Width::Full,
        get: |s| s.lr.map(|v| v.to_string()),
        set: |s, v| {
            s.lr = parse_auto(v, 1e-7, 1.0)?;
            Ok(())
        },
        shown: always,
    },
    whole_setting!("batch", "Inputs per training step.", batch, 1, 8192, Half),
    whole_setting!("steps", "Training steps.", steps, 1, 1_000_000, Half),
    whole_setting!(
        "seed",
        "Random seed of the data and the initial dictionary.",
        seed,
        0,
        u32::MAX,
        Full
    ),
];

impl Described for SaeSettings {
    fn settings() -> &'static [Setting<Self>] {
        SAE_SETTINGS
    }
}

impl Default for SaeSettings {
    fn default() -> Self {
        Self::for_source(SourceKind::Synthetic)
    }
}

impl SaeSettings {
    /// The defaults for a source: each synthetic or toy source trains to MMCS above 0.9 with
    /// every variant; `lm` has sizes a browser trains in a few minutes (the shipped `a-512`'s
    /// shape).
    pub fn for_source(source: SourceKind) -> Self {
        let (d_in, features, d_sae, k, steps) = match source {
            SourceKind::Toy => (2, 5, 16, 4, 2000),
            SourceKind::Lm => (LM_D_MLP, 64, 512, 16, 2000),
            _ => (32, 64, 256, 4, 2400),
        };
        Self {
            source,
            variant: Variant::TopK,
            d_in,
            features,
            density: 0.05,
            d_sae,
            k,
            l1: None,
            lr: None,
            batch: 256,
            steps,
            seed: 0,
        }
    }

    /// Reads settings from name/value pairs: the source's defaults first, then every other
    /// setting over them. Unknown names are ignored; bad values are reported and skipped; a
    /// combination that cannot run (for example `k` above `d_sae`) is reported and the
    /// offending values fall back to the defaults.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
        allow_files: bool,
    ) -> (Self, Vec<SettingError>) {
        let mut errors = Vec::new();
        let mut settings = Self::default();
        if let Some((_, v)) = pairs.clone().into_iter().find(|(k, _)| *k == "source") {
            match parse_source(v, allow_files) {
                Ok(source) => settings = Self::for_source(source),
                Err(reason) => errors.push(SettingError {
                    name: "source".into(),
                    value: v.into(),
                    reason,
                }),
            }
        }
        for (name, value) in pairs {
            if name == "source" || !Self::is_setting(name) {
                continue;
            }
            if let Err(e) = settings.set(name, value) {
                errors.push(e);
            }
        }
        errors.extend(settings.repair());
        (settings, errors)
    }

    /// Fixes combinations that cannot run, saying what changed.
    pub fn repair(&mut self) -> Vec<SettingError> {
        let mut errors = Vec::new();
        let defaults = Self::for_source(self.source.clone());
        if self.source == SourceKind::Toy {
            if self.d_in > MAX_TOY_HIDDEN {
                errors.push(SettingError {
                    name: "d_in".into(),
                    value: self.d_in.to_string(),
                    reason: format!(
                        "the toy model has at most {MAX_TOY_HIDDEN} hidden dimensions; using {}",
                        defaults.d_in
                    ),
                });
                self.d_in = defaults.d_in;
            }
            if self.features > 1024 {
                errors.push(SettingError {
                    name: "features".into(),
                    value: self.features.to_string(),
                    reason: format!(
                        "the toy model has at most 1024 features; using {}",
                        defaults.features
                    ),
                });
                self.features = defaults.features;
            }
        }
        if self.source == SourceKind::Lm {
            if self.d_in != LM_D_MLP {
                errors.push(SettingError {
                    name: "d_in".into(),
                    value: self.d_in.to_string(),
                    reason: format!(
                        "the language model has {LM_D_MLP} MLP neurons; using {LM_D_MLP}"
                    ),
                });
                self.d_in = LM_D_MLP;
            }
            if self.d_sae > MAX_LM_D_SAE {
                errors.push(SettingError {
                    name: "d_sae".into(),
                    value: self.d_sae.to_string(),
                    reason: format!(
                        "at most {MAX_LM_D_SAE} latents on language-model activations; using {}",
                        defaults.d_sae
                    ),
                });
                self.d_sae = defaults.d_sae;
            }
        }
        if self.k > self.d_sae {
            errors.push(SettingError {
                name: "k".into(),
                value: self.k.to_string(),
                reason: format!(
                    "k cannot exceed d_sae = {}; using {}",
                    self.d_sae,
                    self.d_sae.min(defaults.k)
                ),
            });
            self.k = self.d_sae.min(defaults.k);
        }
        errors
    }

    /// The settings that differ from the source's defaults, as name/value pairs in a fixed
    /// order, `source` and `variant` always: what a shareable URL holds.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let base = Self::for_source(self.source.clone());
        self.pairs_against(Some(&base), &["source", "variant"])
            .into_iter()
            // An optional setting left at its recommended value is not written as `none`.
            .filter(|(_, v)| v != "none")
            .collect()
    }

    /// The training configuration for data with `d_in` values per row.
    pub fn to_config(&self, d_in: u32) -> SaeConfig {
        let mut cfg = SaeConfig::recommended(self.variant, d_in, self.d_sae, self.steps);
        cfg.k = self.k.min(self.d_sae);
        cfg.k_aux = cfg.k_aux.min(self.d_sae);
        if let Some(l1) = self.l1 {
            cfg.sparsity_coefficient = l1;
        }
        if let Some(lr) = self.lr {
            cfg.learning_rate = lr;
        }
        cfg.batch = self.batch;
        cfg.seed = self.seed;
        cfg
    }

    /// The toy model the `toy` source reads: `features` -> `d_in`, ReLU output, all features at
    /// `density`, equal importance.
    pub fn toy_config(&self) -> TmsConfig {
        TmsConfig {
            model: ModelKind::Relu,
            n_features: self.features,
            n_hidden: self.d_in,
            correlation: Correlation::Independent,
            instances: vec![InstanceSpec {
                feature_probability: vec![self.density; self.features as usize],
                importance: vec![1.0; self.features as usize],
            }],
            batch_size: 512,
            steps: 3000,
            optimizer: OptimizerConfig {
                kind: OptimizerKind::AdamW,
                learning_rate: 1e-2,
                schedule: Schedule::Constant,
                ..OptimizerConfig::default()
            },
            seed: self.seed,
        }
    }

    /// Trains the toy model of the `toy` source (deterministic for the seed).
    pub fn train_toy(&self) -> Result<(TmsConfig, TrainState), String> {
        let cfg = self.toy_config();
        let mut trainer = CpuTrainer::new(cfg.clone()).map_err(|e| e.to_string())?;
        trainer.run_steps(cfg.steps).map_err(|e| e.to_string())?;
        Ok((cfg, trainer.state().clone()))
    }

    /// The data source for `synthetic` and `toy` (files are opened by the caller; `lm` needs
    /// the shipped data: see `crate::lm::sample`).
    pub fn build_source(&self) -> Result<Box<dyn ActivationSource>, String> {
        match &self.source {
            SourceKind::Synthetic => {
                let mut spec = SyntheticSpec::default_for(self.d_in, self.features);
                spec.seed = self.seed;
                Ok(Box::new(SyntheticSource::new(spec)))
            }
            SourceKind::Toy => {
                let (cfg, state) = self.train_toy()?;
                Ok(Box::new(ToySource::new(&cfg, &state, 0, self.seed)))
            }
            SourceKind::Lm => Err(
                "lm: the language-model source needs the shipped data (model, tokenizer, text \
                 sample): sample it with polytope_core::lm::sample and train on a FileSource"
                    .into(),
            ),
            SourceKind::File(path) => Err(format!("{path}: open activation files with FileSource")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_round_trip() {
        let (s, errors) = SaeSettings::from_pairs(
            [
                ("source", "toy"),
                ("variant", "l1-2023"),
                ("d_in", "3"),
                ("features", "8"),
                ("l1", "0.02"),
                ("seed", "9"),
            ],
            false,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(s.source, SourceKind::Toy);
        assert_eq!(s.d_in, 3);
        let pairs = s.to_pairs();
        let borrowed: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let (again, errors) = SaeSettings::from_pairs(borrowed, false);
        assert!(errors.is_empty());
        assert_eq!(again, s);
        assert_eq!(
            pairs.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["source", "variant", "d_in", "features", "l1", "seed"]
        );
    }

    #[test]
    fn bad_values_are_reported_and_skipped() {
        let (s, errors) = SaeSettings::from_pairs(
            [
                ("variant", "relu"),
                ("d_sae", "0"),
                ("density", "2"),
                ("source", "/etc/passwd"),
                ("k", "999"),
            ],
            false,
        );
        let names: Vec<&str> = errors.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["source", "variant", "d_sae", "density", "k"]);
        assert_eq!(s, SaeSettings::default());
        assert!(errors[0].reason.contains("synthetic or toy"));
    }

    #[test]
    fn a_density_that_rounds_to_zero_in_f32_is_refused() {
        for tiny in ["1e-50", "1e-46", "1e-40"] {
            let (s, errors) =
                SaeSettings::from_pairs([("source", "toy"), ("density", tiny)], false);
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(
                errors[0].reason.contains("rounds to"),
                "{}",
                errors[0].reason
            );
            assert_eq!(s.density, 0.05, "the default stays");
        }
        let (s, errors) = SaeSettings::from_pairs([("density", "1e-30")], false);
        assert!(errors.is_empty());
        assert_eq!(s.density, 1e-30);
    }

    #[test]
    fn files_only_where_allowed() {
        let (s, errors) = SaeSettings::from_pairs([("source", "acts.bin")], true);
        assert!(errors.is_empty());
        assert_eq!(s.source, SourceKind::File("acts.bin".into()));
    }

    #[test]
    fn config_uses_recommended_values_unless_set() {
        let mut s = SaeSettings {
            variant: Variant::L1_2023,
            ..SaeSettings::default()
        };
        let cfg = s.to_config(32);
        assert_eq!(
            cfg.sparsity_coefficient,
            SaeConfig::recommended(Variant::L1_2023, 32, 256, 2400).sparsity_coefficient
        );
        s.l1 = Some(0.5);
        s.lr = Some(1e-4);
        let cfg = s.to_config(32);
        assert_eq!(cfg.sparsity_coefficient, 0.5);
        assert_eq!(cfg.learning_rate, 1e-4);
        assert!(cfg.validate().is_ok());
    }

    #[test]
    fn lm_source_has_browser_defaults_and_repairs_its_shape() {
        let (s, errors) = SaeSettings::from_pairs([("source", "lm")], false);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(s.source, SourceKind::Lm);
        assert_eq!(
            (s.variant, s.d_in, s.k, s.d_sae, s.batch, s.steps),
            (Variant::TopK, 512, 16, 512, 256, 2000)
        );
        assert_eq!(s.get("source").as_deref(), Some("lm"));
        assert_eq!(
            s.to_pairs(),
            [
                ("source".to_owned(), "lm".to_owned()),
                ("variant".to_owned(), "topk".to_owned())
            ]
        );
        let (s, errors) = SaeSettings::from_pairs(
            [
                ("source", "lm"),
                ("d_in", "32"),
                ("d_sae", "16384"),
                ("steps", "300"),
            ],
            false,
        );
        let names: Vec<&str> = errors.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["d_in", "d_sae"]);
        assert_eq!((s.d_in, s.d_sae, s.steps), (512, 512, 300));
        assert!(s.build_source().is_err());
        // The CLI reads `lm` as the source, not as a file named lm.
        let (s, _) = SaeSettings::from_pairs([("source", "lm")], true);
        assert_eq!(s.source, SourceKind::Lm);
    }

    #[test]
    fn toy_source_has_the_toy_models_directions_as_ground_truth() {
        let s = SaeSettings::for_source(SourceKind::Toy);
        let source = s.build_source().expect("toy model trains");
        assert_eq!(source.d_in(), 2);
        let truth = source.ground_truth().expect("ground truth");
        // Five features at density 0.05 in two dimensions: all represented (a pentagon).
        assert_eq!(truth.len(), 5 * 2, "{truth:?}");
    }
}
