//! One typed description per settings struct.
//!
//! Every run that a page's address or a CLI command configures is described once, as a list
//! of [`Setting`]s: the name (the URL parameter; the CLI flag is the same name with `-` for
//! `_`), an English help line, the kind of value with its range or choices, and the functions
//! that read and write the value in its written form. The URL round trip
//! ([`Described::from_pairs`]-style functions of each struct), the CLI's flags (generated in
//! `polytope-cli`) and the app's settings forms (generated in `src/components`) all come from
//! that list, so adding a setting is one entry here and one label in the app's `i18n.rs`.
//!
//! Written forms are a public interface: links and scripts depend on them.

use std::fmt::Write as _;

use serde::Serialize;
use thiserror::Error;

/// A setting that could not be used, with the reason; the previous value stays.
#[derive(Clone, Debug, Error, PartialEq, Eq, Serialize)]
#[error("{name}={value:?}: {reason}")]
pub struct SettingError {
    pub name: String,
    pub value: String,
    pub reason: String,
}

/// What kind of value a setting takes (for forms, help texts and fuzzers).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// A whole number in `min..=max`.
    Whole { min: u64, max: u64 },
    /// A decimal number in `min..=max` (or `auto` where the setting allows it).
    Number { min: f64, max: f64 },
    /// One of these written values.
    Choice(&'static [&'static str]),
    /// Text in the format the help line describes (lists, sweeps, `FEATURE:FACTOR`, ...).
    Text,
}

/// How much room a form gives a setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// A whole row.
    Full,
    /// Half a row: two consecutive half settings share one.
    Half,
}

/// One setting of a settings struct `S`.
pub struct Setting<S: 'static> {
    /// The URL parameter (`d_sae`); the CLI flag is `--d-sae`.
    pub name: &'static str,
    /// One English line for `--help` (the app labels settings through its own i18n table).
    pub help: &'static str,
    pub kind: Kind,
    pub width: Width,
    /// The written value; `None` when unset (an optional setting, or `auto`).
    pub get: fn(&S) -> Option<String>,
    /// Parses and stores a written value, or says why it cannot be used.
    pub set: fn(&mut S, &str) -> Result<(), String>,
    /// Whether a form shows the setting for these settings (an SAE's `k` only for TopK).
    pub shown: fn(&S) -> bool,
}

impl<S> Setting<S> {
    /// The CLI flag without dashes: `d_sae` -> `d-sae`.
    pub fn flag(&self) -> String {
        self.name.replace('_', "-")
    }

    /// The help line with the possible values or the range appended, as `--help` shows it.
    pub fn help_with_values(&self) -> String {
        let mut out = self.help.to_owned();
        match self.kind {
            Kind::Choice(values) => {
                let _ = write!(out, " [possible values: {}]", values.join(", "));
            }
            Kind::Whole { min, max } => {
                let _ = write!(out, " [{min} to {max}]");
            }
            Kind::Number { .. } | Kind::Text => {}
        }
        out
    }
}

/// Always shown.
pub fn always<S>(_: &S) -> bool {
    true
}

/// A whole-number setting kept in the `u32` field `$field`, accepted in `$min..=$max` (`u32`
/// expressions), always shown: `whole_setting!("steps", "Training steps.", steps, 1, 1_000_000,
/// Half)`. The range reaches `--help`, the form and the parser from this one place.
macro_rules! whole_setting {
    ($name:literal, $help:literal, $field:ident, $min:expr, $max:expr, $width:ident) => {
        $crate::settings::whole_setting!(
            $name,
            $help,
            $field,
            $min,
            $max,
            $width,
            $crate::settings::always
        )
    };
    ($name:literal, $help:literal, $field:ident, $min:expr, $max:expr, $width:ident, $shown:expr) => {
        $crate::settings::Setting {
            name: $name,
            help: $help,
            kind: $crate::settings::Kind::Whole {
                min: $min as u64,
                max: $max as u64,
            },
            width: $crate::settings::Width::$width,
            get: |s| Some(s.$field.to_string()),
            set: |s, v| {
                s.$field = $crate::settings::parse_u32(v, $min, $max)?;
                Ok(())
            },
            shown: $shown,
        }
    };
}
pub(crate) use whole_setting;

/// A settings struct with its description.
pub trait Described: Clone + PartialEq + 'static {
    /// Every setting, in the order URLs write them.
    fn settings() -> &'static [Setting<Self>];

    /// The setting called `name`.
    fn setting(name: &str) -> Option<&'static Setting<Self>> {
        Self::settings().iter().find(|s| s.name == name)
    }

    /// Every setting's name, in order.
    fn names() -> Vec<&'static str> {
        Self::settings().iter().map(|s| s.name).collect()
    }

    /// Whether `name` is one of the settings.
    fn is_setting(name: &str) -> bool {
        Self::setting(name).is_some()
    }

    /// The written value of `name`.
    fn get(&self, name: &str) -> Option<String> {
        Self::setting(name).and_then(|s| (s.get)(self))
    }

    /// Sets `name` from its written form.
    fn set(&mut self, name: &str, value: &str) -> Result<(), SettingError> {
        let err = |reason: String| SettingError {
            name: name.to_owned(),
            value: value.to_owned(),
            reason,
        };
        let setting = Self::setting(name).ok_or_else(|| err("no such setting".into()))?;
        (setting.set)(self, value).map_err(err)
    }

    /// The settings whose written value differs from `base`'s (all of them without a base),
    /// in order, with `always` kept whatever their value.
    fn pairs_against(&self, base: Option<&Self>, always: &[&str]) -> Vec<(String, String)> {
        Self::settings()
            .iter()
            .filter_map(|s| {
                let value = (s.get)(self);
                let base_value = base.map(|b| (s.get)(b));
                let differs = base_value.as_ref() != Some(&value) || always.contains(&s.name);
                match value {
                    Some(v) if differs => Some((s.name.to_owned(), v)),
                    // Unset here but set in the base: written as `none`.
                    None if differs && base_value.is_some_and(|b| b.is_some()) => {
                        Some((s.name.to_owned(), "none".to_owned()))
                    }
                    _ => None,
                }
            })
            .collect()
    }
}

/// A finite number.
pub fn parse_f64(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number"))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("{s:?} is not a finite number"))
    }
}

/// A finite `f32` (a value that overflows `f32` is refused, not turned into infinity).
pub fn parse_f32(s: &str) -> Result<f32, String> {
    let v = parse_f64(s)?;
    let single = v as f32;
    if single.is_finite() {
        Ok(single)
    } else {
        Err(format!("{s:?} is too large"))
    }
}

/// A whole number in `min..=max`.
pub fn parse_u32(s: &str, min: u32, max: u32) -> Result<u32, String> {
    let v: u64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a whole number"))?;
    if v < u64::from(min) || v > u64::from(max) {
        return Err(format!("must be between {min} and {max}, got {v}"));
    }
    Ok(v as u32)
}

/// A number in `min..=max`.
pub fn parse_in(s: &str, min: f64, max: f64) -> Result<f64, String> {
    let v = parse_f64(s)?;
    if v < min || v > max {
        return Err(format!("must be between {min} and {max}, got {v}"));
    }
    Ok(v)
}

/// Shortest decimal that reads back as the same `f32`.
pub fn fmt_f32(v: f32) -> String {
    format!("{v}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq)]
    struct Demo {
        size: u32,
        rate: Option<f64>,
    }

    impl Described for Demo {
        fn settings() -> &'static [Setting<Self>] {
            &[
                whole_setting!("size", "How big.", size, 1, 9, Half),
                Setting {
                    name: "rate_max",
                    help: "How fast.",
                    kind: Kind::Number { min: 0.0, max: 1.0 },
                    width: Width::Half,
                    get: |s| s.rate.map(|r| r.to_string()),
                    set: |s, v| {
                        s.rate = if v == "none" {
                            None
                        } else {
                            Some(parse_in(v, 0.0, 1.0)?)
                        };
                        Ok(())
                    },
                    shown: always,
                },
            ]
        }
    }

    #[test]
    fn a_description_reads_writes_and_names_flags() {
        let mut d = Demo {
            size: 3,
            rate: Some(0.5),
        };
        assert_eq!(Demo::names(), ["size", "rate_max"]);
        assert_eq!(Demo::settings()[1].flag(), "rate-max");
        assert_eq!(d.get("size").as_deref(), Some("3"));
        d.set("size", "7").unwrap();
        assert_eq!(d.size, 7);
        let e = d.set("size", "10").unwrap_err();
        assert_eq!(e.name, "size");
        assert!(e.reason.contains("between 1 and 9"), "{e}");
        assert!(d.set("colour", "red").is_err());
        assert_eq!(
            Demo::settings()[0].help_with_values(),
            "How big. [1 to 9]".to_owned()
        );
    }

    #[test]
    fn pairs_against_a_base_keep_only_what_differs() {
        let base = Demo {
            size: 3,
            rate: Some(0.5),
        };
        let same = base.clone();
        assert!(same.pairs_against(Some(&base), &[]).is_empty());
        assert_eq!(
            same.pairs_against(Some(&base), &["size"]),
            [("size".to_owned(), "3".to_owned())]
        );
        let unset = Demo {
            size: 4,
            rate: None,
        };
        assert_eq!(
            unset.pairs_against(Some(&base), &[]),
            [
                ("size".to_owned(), "4".to_owned()),
                ("rate_max".to_owned(), "none".to_owned())
            ]
        );
        assert_eq!(unset.pairs_against(None, &[]).len(), 1);
    }

    #[test]
    fn numbers_that_overflow_f32_are_refused() {
        assert!(parse_f32("1e39").is_err());
        assert!(parse_f32("nan").is_err());
        assert_eq!(parse_f32("0.25"), Ok(0.25));
        assert!(parse_u32("-1", 0, 5).is_err());
        assert!(parse_u32("99999999999999999999", 0, 5).is_err());
    }
}
