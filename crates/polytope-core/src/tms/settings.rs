//! A toy-model run described the way people set it: a preset plus the knobs they turned.
//!
//! [`TmsSettings`] is what the URL of `/toy` holds and what the CLI's flags set, with the
//! same names in both places (`preset`, `model`, `n`, `m`, `importance`, `density`, `perturb`,
//! `correlation`, `optimizer`, `lr`, `schedule`, `batch`, `steps`, `seed`). These names and
//! their value formats are a public interface: links and scripts depend on them.

use serde::{Deserialize, Serialize};

use super::config::{Correlation, InstanceSpec, MAX_HIDDEN, ModelKind, TmsConfig};
use super::presets::{PRESET_NAMES, preset_settings};
use crate::optim::{OptimizerConfig, OptimizerKind, Schedule};
pub use crate::settings::SettingError;
use crate::settings::{
    Described, Kind, Setting, Width, always, fmt_f32 as fmt_num, parse_f32, parse_u32,
    whole_setting,
};

/// How feature importance falls with the feature index `i` (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ImportanceRule {
    /// `I_i = ratio^i` (ratio 1: all features equally important). Written `0.9`.
    Geometric { ratio: f32 },
    /// `I_i = span^(-i / (n - 1))`: from 1 down to `1 / span`. Written `span:100`.
    Span { span: f32 },
}

impl ImportanceRule {
    pub fn values(self, n: u32) -> Vec<f32> {
        (0..n)
            .map(|i| match self {
                Self::Geometric { ratio } => ratio.powi(i as i32),
                Self::Span { span } => {
                    let frac = if n > 1 {
                        i as f32 / (n - 1) as f32
                    } else {
                        0.0
                    };
                    span.powf(-frac)
                }
            })
            .collect()
    }

    fn write(self) -> String {
        match self {
            Self::Geometric { ratio } => fmt_num(ratio),
            Self::Span { span } => format!("span:{}", fmt_num(span)),
        }
    }

    fn parse(s: &str) -> Result<Self, String> {
        if let Some(rest) = s.strip_prefix("span:") {
            let span = parse_f32(rest)?;
            if !(1.0..=1e6).contains(&span) {
                return Err(format!("importance span must be in [1, 1e6], got {span}"));
            }
            Ok(Self::Span { span })
        } else {
            let ratio = parse_f32(s)?;
            if !(ratio > 0.0 && ratio <= 2.0) {
                return Err(format!("importance ratio must be in (0, 2], got {ratio}"));
            }
            Ok(Self::Geometric { ratio })
        }
    }
}

/// The feature density of each instance: one instance per value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum DensitySpec {
    /// Explicit values. Written `1,0.3,0.1`.
    List { values: Vec<f32> },
    /// `count` values log-spaced from `from` to `to`. Written `sweep:1:0.05:10`.
    Sweep { from: f32, to: f32, count: u32 },
}

/// Most instances a URL or the CLI may ask for in one toy-model run.
pub const MAX_TOY_INSTANCES: u32 = 4096;

impl DensitySpec {
    pub fn values(&self) -> Vec<f32> {
        match self {
            Self::List { values } => values.clone(),
            Self::Sweep { from, to, count } => (0..*count)
                .map(|t| {
                    let frac = if *count > 1 {
                        t as f32 / (*count - 1) as f32
                    } else {
                        0.0
                    };
                    from * (to / from).powf(frac)
                })
                .collect(),
        }
    }

    fn write(&self) -> String {
        match self {
            Self::List { values } => values
                .iter()
                .map(|v| fmt_num(*v))
                .collect::<Vec<_>>()
                .join(","),
            Self::Sweep { from, to, count } => {
                format!("sweep:{}:{}:{count}", fmt_num(*from), fmt_num(*to))
            }
        }
    }

    fn parse(s: &str) -> Result<Self, String> {
        let check = |p: f32| {
            if p > 0.0 && p <= 1.0 {
                Ok(p)
            } else if p == 0.0 {
                Err("densities must be above 0 (this one rounds to 0 in single precision)".into())
            } else {
                Err(format!("densities must be in (0, 1], got {p}"))
            }
        };
        let too_many = |count: u64| {
            format!("between 1 and {MAX_TOY_INSTANCES} densities (one per instance), got {count}")
        };
        // Counted before anything is allocated: a link may ask for billions.
        if let Some(rest) = s.strip_prefix("sweep:") {
            let parts: Vec<&str> = rest.split(':').collect();
            if parts.len() != 3 {
                return Err(format!(
                    "a density sweep is written sweep:FROM:TO:COUNT, got {s:?}"
                ));
            }
            let count: u64 = parts[2]
                .trim()
                .parse()
                .map_err(|_| format!("sweep count {:?} is not a whole number", parts[2]))?;
            if count == 0 || count > u64::from(MAX_TOY_INSTANCES) {
                return Err(too_many(count));
            }
            Ok(Self::Sweep {
                from: check(parse_f32(parts[0])?)?,
                to: check(parse_f32(parts[1])?)?,
                count: count as u32,
            })
        } else {
            let count = s.split(',').count() as u64;
            if count > u64::from(MAX_TOY_INSTANCES) {
                return Err(too_many(count));
            }
            let values = s
                .split(',')
                .map(|v| parse_f32(v).and_then(check))
                .collect::<Result<Vec<f32>, String>>()?;
            Ok(Self::List { values })
        }
    }
}

/// One feature whose density is scaled differently in each instance: instance `t` of `I`
/// multiplies it by `max_factor^(2 t / (I - 1) - 1)`, from `1 / max_factor` to `max_factor`.
/// Written `FEATURE:MAX_FACTOR`, for example `0:4`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Perturb {
    pub feature: u32,
    pub max_factor: f32,
}

/// Everything that defines a toy-model run, at the level of the controls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TmsSettings {
    pub preset: Option<String>,
    pub model: ModelKind,
    pub n: u32,
    pub m: u32,
    pub importance: ImportanceRule,
    pub density: DensitySpec,
    pub perturb: Option<Perturb>,
    pub correlation: Correlation,
    pub optimizer: OptimizerKind,
    pub learning_rate: f64,
    pub schedule: Schedule,
    pub batch: u32,
    pub steps: u32,
    pub seed: u32,
}

/// Most features a toy model may have.
pub const MAX_TOY_FEATURES: u32 = 4096;

fn write_correlation(c: Correlation) -> String {
    match c {
        Correlation::Independent => "independent".into(),
        Correlation::Correlated { set_size } => format!("correlated:{set_size}"),
        Correlation::Anticorrelated { set_size } => format!("anticorrelated:{set_size}"),
    }
}

fn parse_correlation(s: &str) -> Result<Correlation, String> {
    let (kind, size) = s.split_once(':').unwrap_or((s, "2"));
    let set_size = parse_u32(size, 1, MAX_TOY_FEATURES)?;
    match kind {
        "independent" => Ok(Correlation::Independent),
        "correlated" => Ok(Correlation::Correlated { set_size }),
        "anticorrelated" if set_size >= 2 => Ok(Correlation::Anticorrelated { set_size }),
        "anticorrelated" => Err("anticorrelated sets need at least 2 features".into()),
        _ => Err("expected independent, correlated:K or anticorrelated:K".into()),
    }
}

fn parse_perturb(value: &str) -> Result<Option<Perturb>, String> {
    if value.is_empty() || value == "none" {
        return Ok(None);
    }
    let (f, k) = value
        .split_once(':')
        .ok_or_else(|| "written FEATURE:FACTOR, for example 0:4".to_owned())?;
    let feature = parse_u32(f, 0, MAX_TOY_FEATURES - 1)?;
    let max_factor = parse_f32(k)?;
    if !(1.0..=100.0).contains(&max_factor) {
        return Err("the factor must be in [1, 100]".into());
    }
    Ok(Some(Perturb {
        feature,
        max_factor,
    }))
}

const MODELS: &[&str] = &["relu", "linear", "privileged", "abs"];
const OPTIMIZERS: &[&str] = &["adamw", "adam"];
const SCHEDULES: &[&str] = &["constant", "linear", "cosine"];

/// The description of every toy-model setting (URL parameters of `/toy` and `/geometry`,
/// flags of `polytope tms`), in the order URLs write them.
static TMS_SETTINGS: &[Setting<TmsSettings>] = &[
    Setting {
        name: "preset",
        help: "A paper figure's settings (the other settings change them).",
        kind: Kind::Choice(&PRESET_NAMES),
        width: Width::Full,
        get: |s| s.preset.clone(),
        set: |s, v| {
            *s = preset_settings(v).ok_or_else(|| {
                format!("no such preset; choose one of {}", PRESET_NAMES.join(", "))
            })?;
            Ok(())
        },
        shown: always,
    },
    Setting {
        name: "model",
        help: "Model: relu, linear, privileged or abs.",
        kind: Kind::Choice(MODELS),
        width: Width::Full,
        get: |s| Some(s.model.name().into()),
        set: |s, v| {
            s.model = ModelKind::from_name(v)
                .ok_or_else(|| "expected relu, linear, privileged or abs".to_owned())?;
            Ok(())
        },
        shown: always,
    },
    whole_setting!("n", "Number of features.", n, 1, MAX_TOY_FEATURES, Half),
    whole_setting!(
        "m",
        "Number of hidden dimensions (at most 64).",
        m,
        1,
        MAX_HIDDEN,
        Half
    ),
    Setting {
        name: "importance",
        help: "Feature importance: a ratio R (I_i = R^i) or span:S (from 1 down to 1/S).",
        kind: Kind::Text,
        width: Width::Full,
        get: |s| Some(s.importance.write()),
        set: |s, v| {
            s.importance = ImportanceRule::parse(v)?;
            Ok(())
        },
        shown: always,
    },
    Setting {
        name: "density",
        help: "Feature densities, one instance each: 1,0.3,0.1 or sweep:FROM:TO:COUNT.",
        kind: Kind::Text,
        width: Width::Full,
        get: |s| Some(s.density.write()),
        set: |s, v| {
            s.density = DensitySpec::parse(v)?;
            Ok(())
        },
        shown: always,
    },
    Setting {
        name: "perturb",
        help: "Vary one feature's density across instances: FEATURE:MAX_FACTOR, or none.",
        kind: Kind::Text,
        width: Width::Full,
        get: |s| {
            s.perturb
                .map(|p| format!("{}:{}", p.feature, fmt_num(p.max_factor)))
        },
        set: |s, v| {
            s.perturb = parse_perturb(v)?;
            Ok(())
        },
        // Shown only where a preset perturbs (the form keeps it out of the way otherwise).
        shown: |s| s.perturb.is_some(),
    },
    Setting {
        name: "correlation",
        help: "independent, correlated:K or anticorrelated:K (sets of K features).",
        kind: Kind::Text,
        width: Width::Full,
        get: |s| Some(write_correlation(s.correlation)),
        set: |s, v| {
            s.correlation = parse_correlation(v)?;
            Ok(())
        },
        shown: always,
    },
    Setting {
        name: "optimizer",
        help: "adamw or adam.",
        kind: Kind::Choice(OPTIMIZERS),
        width: Width::Half,
        get: |s| Some(s.optimizer.name().into()),
        set: |s, v| {
            s.optimizer =
                OptimizerKind::from_name(v).ok_or_else(|| "expected adamw or adam".to_owned())?;
            Ok(())
        },
        shown: always,
    },
    Setting {
        name: "lr",
        help: "Learning rate.",
        kind: Kind::Number { min: 0.0, max: 1.0 },
        width: Width::Half,
        get: |s| Some(s.learning_rate.to_string()),
        set: |s, v| {
            let lr: f64 = v.trim().parse().map_err(|_| "not a number".to_owned())?;
            if !(lr > 0.0 && lr <= 1.0) {
                return Err("the learning rate must be in (0, 1]".into());
            }
            s.learning_rate = lr;
            Ok(())
        },
        shown: always,
    },
    Setting {
        name: "schedule",
        help: "constant, linear or cosine.",
        kind: Kind::Choice(SCHEDULES),
        width: Width::Full,
        get: |s| Some(s.schedule.name().into()),
        set: |s, v| {
            s.schedule = Schedule::from_name(v)
                .ok_or_else(|| "expected constant, linear or cosine".to_owned())?;
            Ok(())
        },
        shown: always,
    },
    whole_setting!("batch", "Batch size.", batch, 1, 65_536, Half),
    whole_setting!(
        "steps",
        "Steps to train (the learning-rate schedule spans them).",
        steps,
        1,
        10_000_000,
        Half
    ),
    whole_setting!(
        "seed",
        "Random seed of the weights and the data.",
        seed,
        0,
        u32::MAX,
        Full
    ),
];

impl Described for TmsSettings {
    fn settings() -> &'static [Setting<Self>] {
        TMS_SETTINGS
    }
}

impl TmsSettings {
    /// The run this describes.
    pub fn to_config(&self) -> TmsConfig {
        let importance = self.importance.values(self.n);
        let densities = self.density.values();
        let count = densities.len();
        let instances = densities
            .iter()
            .enumerate()
            .map(|(t, p)| {
                let mut probs = vec![*p; self.n as usize];
                if let Some(pert) = self.perturb
                    && let Some(slot) = probs.get_mut(pert.feature as usize)
                {
                    let frac = if count > 1 {
                        2.0 * t as f32 / (count - 1) as f32 - 1.0
                    } else {
                        0.0
                    };
                    *slot = (*p * pert.max_factor.powf(frac)).min(1.0);
                }
                InstanceSpec {
                    feature_probability: probs,
                    importance: importance.clone(),
                }
            })
            .collect();
        TmsConfig {
            model: self.model,
            n_features: self.n,
            n_hidden: self.m,
            correlation: self.correlation,
            instances,
            batch_size: self.batch,
            steps: self.steps,
            optimizer: OptimizerConfig {
                kind: self.optimizer,
                learning_rate: self.learning_rate,
                schedule: self.schedule,
                ..OptimizerConfig::default()
            },
            seed: self.seed,
        }
    }

    /// Reads settings from name/value pairs (a URL query or CLI flags): the preset first
    /// (`intro` when absent), then every other setting over it. Unknown names are ignored
    /// (pages share the query with other parameters); bad values are reported and skipped,
    /// and a combination that cannot run falls back to the preset.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
    ) -> (Self, Vec<SettingError>) {
        let mut errors = Vec::new();
        let intro = || preset_settings("intro").expect("intro exists");
        let mut settings = intro();
        if let Some((_, name)) = pairs.clone().into_iter().find(|(k, _)| *k == "preset")
            && let Err(e) = settings.set("preset", name)
        {
            errors.push(e);
            settings = intro();
        }
        let base = settings.clone();
        for (name, value) in pairs {
            if name == "preset" || !Self::is_setting(name) {
                continue;
            }
            if let Err(e) = settings.set(name, value) {
                errors.push(e);
            }
        }
        if let Err(e) = settings.to_config().validate() {
            errors.push(SettingError {
                name: "settings".into(),
                value: String::new(),
                reason: format!("{e}; using the preset's settings"),
            });
            settings = base;
        }
        (settings, errors)
    }

    /// The settings that differ from the preset (or all of them without a preset), as
    /// name/value pairs in a fixed order, preset first: what a shareable URL holds.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let base = self.preset.as_deref().and_then(preset_settings);
        self.pairs_against(base.as_ref(), &["preset"])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_round_trips_through_pairs() {
        for name in PRESET_NAMES {
            let s = preset_settings(name).unwrap();
            let pairs = s.to_pairs();
            assert_eq!(pairs, vec![("preset".to_owned(), name.to_owned())]);
            let (back, errors) =
                TmsSettings::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            assert!(errors.is_empty(), "{name}: {errors:?}");
            assert_eq!(back, s);
        }
    }

    #[test]
    fn changed_settings_round_trip() {
        let query = [
            ("preset", "intro"),
            ("model", "privileged"),
            ("n", "7"),
            ("m", "3"),
            ("importance", "span:10"),
            ("density", "sweep:1:0.01:4"),
            ("perturb", "2:3"),
            ("correlation", "correlated:2"),
            ("optimizer", "adam"),
            ("lr", "0.005"),
            ("schedule", "cosine"),
            ("batch", "512"),
            ("steps", "2000"),
            ("seed", "42"),
        ];
        let (s, errors) = TmsSettings::from_pairs(query);
        assert!(errors.is_empty(), "{errors:?}");
        let pairs = s.to_pairs();
        let (back, _) =
            TmsSettings::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        assert_eq!(back, s);
        let cfg = s.to_config();
        assert_eq!(cfg.instances.len(), 4);
        assert_eq!(cfg.n_features, 7);
        assert!((cfg.instances[3].feature_probability[0] - 0.01).abs() < 1e-6);
        // Feature 2 is perturbed: 1/3 of the base density in the first instance.
        assert!((cfg.instances[0].feature_probability[2] - 1.0 / 3.0).abs() < 1e-6);
        assert_eq!(cfg.seed, 42);
    }

    #[test]
    fn bad_values_are_reported_and_skipped() {
        let (s, errors) = TmsSettings::from_pairs([
            ("preset", "intro"),
            ("m", "0"),
            ("density", "2"),
            ("lr", "fast"),
            ("seed", "-1"),
            ("steps", "500"),
        ]);
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert_eq!(s.m, 2);
        assert_eq!(s.steps, 500);
        let (_, errors) = TmsSettings::from_pairs([("preset", "nope")]);
        assert_eq!(errors[0].name, "preset");
    }

    #[test]
    fn a_huge_density_count_is_refused_before_any_list_is_built() {
        // 4e9 densities would be 16 GB of f32 (a capacity overflow in 32-bit wasm).
        for density in ["sweep:1:0.5:600000000", "sweep:1:0.5:4000000000"] {
            let err = DensitySpec::parse(density).unwrap_err();
            assert!(err.contains("between 1 and 4096 densities"), "{err}");
        }
        let list = vec!["0.5"; 4097].join(",");
        let err = DensitySpec::parse(&list).unwrap_err();
        assert!(err.contains("got 4097"), "{err}");
        assert!(DensitySpec::parse("sweep:1:0.5:0").is_err());
        let spec = DensitySpec::parse("sweep:1:0.01:4096").unwrap();
        assert_eq!(spec.values().len(), 4096);
    }
}
