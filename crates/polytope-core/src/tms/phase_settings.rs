//! A phase diagram described the way people set it: the URL parameters of `/phase` and the
//! flags of `polytope phase`, with the same names (`n`, `m`, `resolution`, `models`, `steps`,
//! `seed`, `lr`, `batch`). The settings are the [`PhaseSpec`] itself.

use super::config::MAX_INSTANCES;
use super::phase::PhaseSpec;
use crate::settings::{
    Described, Kind, Setting, SettingError, Width, always, parse_u32, whole_setting,
};

/// The phase-diagram settings (an alias: the spec is what the controls set).
pub type PhaseSettings = PhaseSpec;

/// The largest grid a link may ask for: cells per axis.
pub const MAX_PHASE_RESOLUTION: u32 = 64;
/// Models per cell.
pub const MAX_PHASE_MODELS: u32 = 32;

static PHASE_SETTINGS: &[Setting<PhaseSpec>] = &[
    Setting {
        name: "n",
        help: "Features: 2 (with --m 1) or 3 (with --m 2).",
        kind: Kind::Choice(&["2", "3"]),
        width: Width::Full,
        get: |s| Some(s.n.to_string()),
        set: |s, v| {
            let n = match v.trim() {
                "2" => 2,
                "3" => 3,
                _ => return Err("phase diagrams exist for n = 2 and n = 3".into()),
            };
            s.n = n;
            s.m = n - 1;
            Ok(())
        },
        shown: always,
    },
    Setting {
        name: "m",
        help: "Hidden dimensions (n - 1).",
        kind: Kind::Choice(&["1", "2"]),
        width: Width::Full,
        get: |s| Some(s.m.to_string()),
        set: |s, v| {
            let m = parse_u32(v, 1, 2)?;
            if m + 1 != s.n {
                return Err(format!(
                    "with n = {} the hidden dimensions are {}",
                    s.n,
                    s.n - 1
                ));
            }
            s.m = m;
            Ok(())
        },
        // Follows from n.
        shown: |_| false,
    },
    whole_setting!(
        "resolution",
        "Cells per axis.",
        resolution,
        2,
        MAX_PHASE_RESOLUTION,
        Full
    ),
    whole_setting!(
        "models",
        "Models per cell (the worst is dropped before voting).",
        models,
        1,
        MAX_PHASE_MODELS,
        Half
    ),
    whole_setting!(
        "steps",
        "Training steps of every model.",
        steps,
        1,
        1_000_000,
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
    Setting {
        name: "lr",
        help: "Learning rate (AdamW).",
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
    whole_setting!("batch", "Batch size.", batch, 1, 4096, Half),
];

impl Described for PhaseSpec {
    fn settings() -> &'static [Setting<Self>] {
        PHASE_SETTINGS
    }
}

impl PhaseSpec {
    /// Reads a grid from name/value pairs (the URL or CLI flags) over the paper's grid for
    /// `n = 2, m = 1`: `n` first, then every other setting. Unknown names are ignored; bad
    /// values are reported and skipped.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
    ) -> (Self, Vec<SettingError>) {
        let mut errors = Vec::new();
        let mut spec = Self::paper(2, 1);
        if let Some((_, v)) = pairs.clone().into_iter().find(|(k, _)| *k == "n") {
            match spec.set("n", v) {
                Ok(()) => spec = Self::paper(spec.n, spec.m),
                Err(e) => errors.push(e),
            }
        }
        for (name, value) in pairs {
            if name == "n" || !Self::is_setting(name) {
                continue;
            }
            if let Err(e) = spec.set(name, value) {
                errors.push(e);
            }
        }
        // Every model of every cell trains as one run: refuse a grid larger than a run can be,
        // keeping as many models per cell as fit.
        let cells = spec.resolution * spec.resolution;
        let total = u64::from(cells) * u64::from(spec.models);
        if total > u64::from(MAX_INSTANCES) {
            let fit = (MAX_INSTANCES / cells.max(1)).max(1);
            errors.push(SettingError {
                name: "models".into(),
                value: spec.models.to_string(),
                reason: format!(
                    "{r} x {r} cells x {m} models is {total} models, and at most {MAX_INSTANCES} \
                     train together: {fit} per cell at this resolution",
                    r = spec.resolution,
                    m = spec.models
                ),
            });
            spec.models = fit;
        }
        if let Err(reason) = spec.validate() {
            errors.push(SettingError {
                name: "settings".into(),
                value: String::new(),
                reason,
            });
            spec = Self::paper(2, 1);
        }
        (spec, errors)
    }

    /// What a shareable address holds: `n`, `resolution`, `models`, `steps` and `seed` always
    /// (links made before `lr` and `batch` existed name them all), the rest when changed.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let base = Self::paper(self.n, self.m);
        self.pairs_against(Some(&base), &["n", "resolution", "models", "steps", "seed"])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_settings_round_trip_through_pairs() {
        let (s, errors) = PhaseSpec::from_pairs([
            ("n", "3"),
            ("resolution", "8"),
            ("lr", "0.001"),
            ("batch", "1024"),
        ]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!((s.n, s.m, s.resolution, s.batch), (3, 2, 8, 1024));
        let pairs = s.to_pairs();
        let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            ["n", "resolution", "models", "steps", "seed", "lr", "batch"]
        );
        let (back, errors) =
            PhaseSpec::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        assert!(errors.is_empty());
        assert_eq!(back, s);
    }

    #[test]
    fn a_grid_of_more_models_than_one_run_holds_is_cut_with_a_message() {
        let (s, errors) = PhaseSpec::from_pairs([("resolution", "64"), ("models", "32")]);
        assert_eq!((s.resolution, s.models), (64, 16));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].name, "models");
        assert!(errors[0].reason.contains("131072") && errors[0].reason.contains("65536"));
        assert!(s.config().validate().is_ok());
        let (s, errors) = PhaseSpec::from_pairs([("resolution", "32"), ("models", "32")]);
        assert!(errors.is_empty() && s.models == 32, "{errors:?}");
    }

    #[test]
    fn old_links_keep_todays_defaults_and_bad_values_are_named() {
        let (s, errors) = PhaseSpec::from_pairs([
            ("n", "4"),
            ("resolution", "65"),
            ("models", "0"),
            ("steps", "500"),
        ]);
        let names: Vec<&str> = errors.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["n", "resolution", "models"]);
        assert_eq!((s.n, s.resolution, s.models, s.steps), (2, 16, 4, 500));
        assert_eq!((s.learning_rate, s.batch), (1e-2, 256));
    }
}
