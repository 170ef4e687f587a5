//! Settings read from name/value pairs: the `/toy` and `/sae` URLs and the CLI's flags.
//!
//! An input is a URL query (`preset=intro&density=sweep:1:0.5:10`) with `%XX` escapes, so
//! any name or value, `&` and `=` included, can be written. The oracles: whatever
//! `from_pairs` returns can run (its configuration validates), and writing it back with
//! `to_pairs` reads back to the same settings without errors.

use polytope_core::sae::{SaeSettings, SourceKind};
use polytope_core::settings::{Described, Kind, SettingError};
use polytope_core::tms::{PRESET_NAMES, PhaseSettings, TmsSettings, preset_settings};

use crate::alloc::unmeasured;
use crate::check::{Bound, Target};
use crate::mutation::{self, Rng, number_text};

/// Splits a query into pairs, decoding `%XX` escapes (invalid ones stay as written).
pub fn decode_query(input: &[u8]) -> Vec<(String, String)> {
    input
        .split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, value) = match p.iter().position(|&b| b == b'=') {
                Some(i) => (&p[..i], &p[i + 1..]),
                None => (p, &p[p.len()..]),
            };
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

fn percent_decode(s: &[u8]) -> String {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%'
            && let (Some(h), Some(l)) = (
                s.get(i + 1).copied().and_then(hex),
                s.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes pairs as a query, escaping what would change its reading.
pub fn encode_query(pairs: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        escape(name, &mut out);
        out.push(b'=');
        escape(value, &mut out);
    }
    out
}

fn escape(s: &str, out: &mut Vec<u8>) {
    for &b in s.as_bytes() {
        if matches!(b, b'&' | b'=' | b'%') || b < 0x20 {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        } else {
            out.push(b);
        }
    }
}

fn borrowed(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// The class of a settings outcome: which names were refused.
fn class_of_errors<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut names: Vec<&str> = names.collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        "ok".into()
    } else {
        names.join(",")
    }
}

// ---- toy models --------------------------------------------------------------------------

fn run_tms(input: &[u8]) -> Result<String, String> {
    let pairs = decode_query(input);
    // What a page does with its URL: read the settings and build the run's configuration.
    let (s, errors) = TmsSettings::from_pairs(borrowed(&pairs).iter().copied());
    let cfg = s.to_config();
    unmeasured(|| verify_tms(&s, &errors, &cfg))
}

fn verify_tms(
    s: &TmsSettings,
    errors: &[SettingError],
    cfg: &polytope_core::tms::TmsConfig,
) -> Result<String, String> {
    cfg.validate()
        .map_err(|e| format!("from_pairs returned settings that cannot run: {e}"))?;
    if cfg.instances.len() > polytope_core::tms::MAX_TOY_INSTANCES as usize {
        return Err(format!("{} instances", cfg.instances.len()));
    }
    let written = s.to_pairs();
    let (back, back_errors) = TmsSettings::from_pairs(borrowed(&written).iter().copied());
    if !back_errors.is_empty() || back != *s {
        return Err(format!(
            "to_pairs does not read back: {written:?} gives {back_errors:?}"
        ));
    }
    Ok(class_of_errors(errors.iter().map(|e| e.name.as_str())))
}

fn density_text(rng: &mut Rng) -> String {
    let num = |rng: &mut Rng| {
        if rng.chance(1, 2) {
            format!("{}", (rng.unit() as f32).max(1e-3))
        } else {
            number_text(rng)
        }
    };
    if rng.chance(1, 2) {
        let count = match rng.below(4) {
            0 => (*rng.pick(&[
                "0",
                "1",
                "2",
                "4096",
                "4097",
                "600000000",
                "4000000000",
                "4294967295",
                "4294967296",
                "-1",
                "1e3",
                "",
            ]))
            .to_owned(),
            1 => number_text(rng),
            _ => rng.range(1, 40).to_string(),
        };
        format!("sweep:{}:{}:{count}", num(rng), num(rng))
    } else {
        let n = match rng.below(8) {
            0 => *rng.pick(&[4096, 4097, 5000]),
            1 => rng.range(1, 300),
            _ => rng.range(1, 8),
        };
        (0..n).map(|_| num(rng)).collect::<Vec<_>>().join(",")
    }
}

/// A value for a setting written as text (lists, sweeps, `FEATURE:FACTOR`, paths).
fn text_value(rng: &mut Rng, name: &str) -> String {
    match name {
        "importance" => {
            if rng.chance(1, 2) {
                format!("span:{}", number_text(rng))
            } else {
                number_text(rng)
            }
        }
        "density" => density_text(rng),
        "perturb" => match rng.below(4) {
            0 => "none".into(),
            1 => number_text(rng),
            _ => format!("{}:{}", number_text(rng), number_text(rng)),
        },
        "correlation" => {
            let kind = *rng.pick(&["independent", "correlated", "anticorrelated", "other"]);
            if rng.chance(1, 4) {
                kind.to_owned()
            } else {
                format!("{kind}:{}", number_text(rng))
            }
        }
        "source" => {
            (*rng.pick(&["synthetic", "toy", "lm", "acts.bin", "/dev/zero", "Toy", ""])).to_owned()
        }
        _ => number_text(rng),
    }
}

/// A value for setting `name` of `S`, from its description: the ends of its range and just
/// past them, its choices, or text in its format; sometimes an odd spelling.
fn value_for<S: Described>(rng: &mut Rng, name: &str) -> String {
    if rng.chance(1, 10) {
        return (*rng.pick(&mutation::ODD_TEXT)).to_owned();
    }
    match S::setting(name).map(|s| s.kind) {
        Some(Kind::Whole { min, max }) => match rng.below(6) {
            0 => min.to_string(),
            1 => max.to_string(),
            2 => min.checked_sub(1).map_or("-1".into(), |v| v.to_string()),
            3 => max.saturating_add(1).to_string(),
            4 => number_text(rng),
            _ => (min + rng.u64() % (max - min).saturating_add(1)).to_string(),
        },
        Some(Kind::Number { min, max }) => match rng.below(7) {
            0 => min.to_string(),
            1 => max.to_string(),
            2 => (min - f64::EPSILON.max(min.abs() * 1e-9)).to_string(),
            3 => (max * (1.0 + 1e-9)).to_string(),
            4 => "auto".into(),
            5 => number_text(rng),
            _ => (min + rng.unit() * (max - min)).to_string(),
        },
        Some(Kind::Choice(values)) => match rng.below(6) {
            0 => rng.pick(values).to_uppercase(),
            1 => number_text(rng),
            _ => (*rng.pick(values)).to_owned(),
        },
        Some(Kind::Text) | None => text_value(rng, name),
    }
}

fn generate_pairs<S: Described>(rng: &mut Rng, mut pairs: Vec<(String, String)>) -> Vec<u8> {
    let names = S::names();
    for _ in 0..rng.small(6) {
        let name = *rng.pick(&names);
        pairs.push((name.to_owned(), value_for::<S>(rng, name)));
    }
    encode_query(&pairs)
}

fn generate_tms(rng: &mut Rng) -> Vec<u8> {
    let preset = *rng.pick(&PRESET_NAMES);
    let mut pairs = vec![("preset".to_owned(), preset.to_owned())];
    if rng.chance(1, 8)
        && let Some(s) = preset_settings(preset)
    {
        // Every setting written out, as a link without a preset holds them.
        pairs = s.pairs_against(None, &[]);
    }
    generate_pairs::<TmsSettings>(rng, pairs)
}

fn mutate_pairs<S: Described>(rng: &mut Rng, input: &mut Vec<u8>, pool: &[Vec<u8>]) {
    let names = S::names();
    let mut pairs = decode_query(input);
    let i = rng.below(pairs.len());
    match rng.below(9) {
        0..=2 => {
            let name = (*rng.pick(&names)).to_owned();
            let v = value_for::<S>(rng, &name);
            if pairs.is_empty() || rng.chance(1, 3) {
                pairs.push((name, v));
            } else {
                pairs[i] = (name, v);
            }
        }
        3 if !pairs.is_empty() => {
            pairs.remove(i);
        }
        4 if !pairs.is_empty() => {
            let p = pairs[i].clone();
            pairs.push(p);
        }
        5 if !pairs.is_empty() => {
            let j = rng.below(pairs.len());
            pairs.swap(i, j);
        }
        6 if !pairs.is_empty() => {
            // Edit the value's characters: separators and digits where parsers split.
            let v = &mut pairs[i].1;
            let mut chars: Vec<char> = v.chars().collect();
            let at = rng.below(chars.len() + 1);
            let c = *rng.pick(&[':', ',', '.', '-', 'e', '+', ' ', '0', '9', 'x', '\u{e9}']);
            if rng.chance(1, 2) || chars.is_empty() {
                chars.insert(at, c);
            } else {
                chars.remove(at.min(chars.len() - 1));
            }
            *v = chars.into_iter().collect();
        }
        7 if !pool.is_empty() => {
            let other = decode_query(rng.pick(pool).as_slice());
            if !other.is_empty() {
                pairs.push(rng.pick(&other).clone());
            }
        }
        _ => {
            let name = (*rng.pick(&["PRESET", "n ", "lang", "unknown", "", "source", "preset"]))
                .to_owned();
            pairs.push((name, number_text(rng)));
        }
    }
    *input = encode_query(&pairs);
}

fn mutate_tms(rng: &mut Rng, input: &mut Vec<u8>, pool: &[Vec<u8>]) {
    mutate_pairs::<TmsSettings>(rng, input, pool);
}

pub const TMS: Target = Target {
    name: "tms_settings",
    ext: "txt",
    about: "toy-model settings from name/value pairs (TmsSettings::from_pairs, to_config, \
            to_pairs)",
    // A run at the settings' own limits (4096 features x 4096 instances) holds 2 x 4096 x
    // 4096 f32 in its configuration: 128 MiB. Single vectors stay small. Per input byte: the
    // list of pairs and one error (about 100 bytes) per refused 3-byte pair.
    bound: Bound {
        single_fixed: 1 << 20,
        single_per_byte: 64,
        live_fixed: 136 << 20,
        live_per_byte: 64,
        millis: 1500.0,
    },
    max_len: 16 << 10,
    run: run_tms,
    generate: generate_tms,
    mutate: mutate_tms,
    data_seeds: &[],
};

// ---- sparse autoencoders -----------------------------------------------------------------

fn check_sae(pairs: &[(String, String)], allow_files: bool) -> Result<String, String> {
    let (s, errors) = SaeSettings::from_pairs(borrowed(pairs).iter().copied(), allow_files);
    unmeasured(|| verify_sae(&s, &errors))
}

fn verify_sae(s: &SaeSettings, errors: &[SettingError]) -> Result<String, String> {
    if !(s.density >= f32::MIN_POSITIVE && s.density <= 1.0) {
        return Err(format!(
            "from_pairs kept a density of {} (in f32)",
            s.density
        ));
    }
    // A file sets its own d_in; every other source runs on the settings' d_in.
    if !matches!(s.source, SourceKind::File(_)) {
        s.to_config(s.d_in)
            .validate()
            .map_err(|e| format!("from_pairs returned settings that cannot run: {e}"))?;
    }
    if s.source == SourceKind::Toy {
        s.toy_config()
            .validate()
            .map_err(|e| format!("the toy source's model cannot run: {e}"))?;
    }
    let written = s.to_pairs();
    let (back, back_errors) = SaeSettings::from_pairs(borrowed(&written).iter().copied(), true);
    if !back_errors.is_empty() || back != *s {
        return Err(format!(
            "to_pairs does not read back: {written:?} gives {back_errors:?}"
        ));
    }
    Ok(class_of_errors(errors.iter().map(|e| e.name.as_str())))
}

fn run_sae(input: &[u8]) -> Result<String, String> {
    let pairs = decode_query(input);
    let url = check_sae(&pairs, false)?;
    let cli = check_sae(&pairs, true)?;
    Ok(format!("{url}/{cli}"))
}

fn generate_sae(rng: &mut Rng) -> Vec<u8> {
    generate_pairs::<SaeSettings>(rng, Vec::new())
}

fn mutate_sae(rng: &mut Rng, input: &mut Vec<u8>, pool: &[Vec<u8>]) {
    mutate_pairs::<SaeSettings>(rng, input, pool);
}

pub const SAE: Target = Target {
    name: "sae_settings",
    ext: "txt",
    about: "SAE settings from name/value pairs, as a URL and as CLI flags \
            (SaeSettings::from_pairs, to_config, toy_config, to_pairs)",
    bound: Bound {
        single_fixed: 64 << 10,
        single_per_byte: 64,
        live_fixed: 1 << 20,
        live_per_byte: 64,
        millis: 250.0,
    },
    max_len: 16 << 10,
    run: run_sae,
    generate: generate_sae,
    mutate: mutate_sae,
    data_seeds: &[],
};

// ---- phase diagrams ----------------------------------------------------------------------

fn run_phase(input: &[u8]) -> Result<String, String> {
    let pairs = decode_query(input);
    // What /phase does with its URL: read the grid and build the run of all its models.
    let (s, errors) = PhaseSettings::from_pairs(borrowed(&pairs).iter().copied());
    let cfg = s.config();
    unmeasured(|| verify_phase(&s, &errors, &cfg))
}

fn verify_phase(
    s: &PhaseSettings,
    errors: &[SettingError],
    cfg: &polytope_core::tms::TmsConfig,
) -> Result<String, String> {
    s.validate()
        .map_err(|e| format!("from_pairs returned a grid that does not validate: {e}"))?;
    let cells = (s.resolution * s.resolution * s.models) as usize;
    if cfg.instances.len() != cells {
        return Err(format!(
            "{} instances for {cells} models",
            cfg.instances.len()
        ));
    }
    let written = s.to_pairs();
    let (back, back_errors) = PhaseSettings::from_pairs(borrowed(&written).iter().copied());
    if !back_errors.is_empty() || back != *s {
        return Err(format!(
            "to_pairs does not read back: {written:?} gives {back_errors:?}"
        ));
    }
    Ok(class_of_errors(errors.iter().map(|e| e.name.as_str())))
}

fn generate_phase(rng: &mut Rng) -> Vec<u8> {
    generate_pairs::<PhaseSettings>(rng, Vec::new())
}

fn mutate_phase(rng: &mut Rng, input: &mut Vec<u8>, pool: &[Vec<u8>]) {
    mutate_pairs::<PhaseSettings>(rng, input, pool);
}

pub const PHASE: Target = Target {
    name: "phase_settings",
    ext: "txt",
    about: "phase-diagram settings from name/value pairs (PhaseSettings::from_pairs, config, \
            to_pairs)",
    // The largest grid (64 x 64 cells x 32 models, n = 3) holds 131072 instances of two
    // 3-value vectors: about 15 MiB with the allocator's headers.
    bound: Bound {
        single_fixed: 8 << 20,
        single_per_byte: 64,
        live_fixed: 24 << 20,
        live_per_byte: 64,
        millis: 1500.0,
    },
    max_len: 16 << 10,
    run: run_phase,
    generate: generate_phase,
    mutate: mutate_phase,
    data_seeds: &[],
};
