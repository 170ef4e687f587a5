//! `scores.bin`: interpretability scores of every unit (docs/interpretability.md), measure by
//! measure. A dictionary's manifest names it with the measures' names; `index.json` names one
//! per model for its neurons and for its random-direction control.

use serde::{Deserialize, Serialize};

use super::bytes::{Reader, Writer};
use super::index::FileRef;
use super::{DictError, invalid};

pub const SCORES_MAGIC: &[u8; 8] = b"PDSCORE1";
pub const SCORES_VERSION: u32 = 1;
/// Bytes before the values: magic, version, units, measures.
pub const SCORES_HEADER_LEN: usize = 20;
/// Most measures in one file.
pub const MAX_MEASURES: u32 = 16;

/// A scores file and the names of its measures, in file order (`"token_rule"`, `"context"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoresRef {
    pub file: FileRef,
    pub measures: Vec<String>,
}

impl ScoresRef {
    /// Checks the file reference and the names (1 to [`MAX_MEASURES`] distinct safe ids).
    pub fn validate(&self, field: &str) -> Result<(), DictError> {
        self.file.validate(&format!("{field}.file"))?;
        if self.measures.is_empty() || self.measures.len() > MAX_MEASURES as usize {
            return Err(invalid(format!(
                "{field}.measures: {} names; 1 to {MAX_MEASURES} expected",
                self.measures.len()
            )));
        }
        for m in &self.measures {
            if !super::is_safe_id(m) {
                return Err(invalid(format!("{field}.measures: {m:?} is not a safe id")));
            }
        }
        super::index::distinct(self.measures.iter().map(String::as_str), "measure")
    }

    /// Position of measure `name` in the file.
    pub fn measure(&self, name: &str) -> Option<usize> {
        self.measures.iter().position(|m| m == name)
    }
}

/// `measures x units` scores; NaN means "not scored" (a unit with too few activations).
#[derive(Clone, Debug, PartialEq)]
pub struct UnitScores {
    pub units: u32,
    pub measures: u32,
    /// Measure-major: measure `m`'s scores are `values[m * units .. (m + 1) * units]`.
    pub values: Vec<f32>,
}

impl UnitScores {
    /// Scores of measure `m` for every unit.
    pub fn measure(&self, m: usize) -> &[f32] {
        let u = self.units as usize;
        self.values.get(m * u..(m + 1) * u).unwrap_or(&[])
    }

    /// Unit `unit`'s score on measure `m`, `None` when not scored or out of range.
    pub fn get(&self, m: usize, unit: u32) -> Option<f32> {
        self.measure(m)
            .get(unit as usize)
            .copied()
            .filter(|v| !v.is_nan())
    }

    /// Sets measure `m` of every unit to `values`; false (nothing changed) when `values` is not
    /// one per unit or there is no measure `m`.
    pub fn set_measure(&mut self, m: usize, values: &[f32]) -> bool {
        let u = self.units as usize;
        match self.values.get_mut(m * u..(m + 1) * u) {
            Some(dst) if values.len() == u => {
                dst.copy_from_slice(values);
                true
            }
            _ => false,
        }
    }

    /// These scores with their measures in `wanted` order, each found by name in `names` (the
    /// file's order, from its reference); a measure the file lacks is all NaN (not scored).
    #[must_use]
    pub fn reorder(&self, names: &[String], wanted: &[&str]) -> UnitScores {
        let mut values = Vec::with_capacity(wanted.len() * self.units as usize);
        for w in wanted {
            match names.iter().position(|n| n == w) {
                Some(m) if !self.measure(m).is_empty() => values.extend_from_slice(self.measure(m)),
                _ => values.extend(std::iter::repeat_n(f32::NAN, self.units as usize)),
            }
        }
        UnitScores {
            units: self.units,
            measures: wanted.len() as u32,
            values,
        }
    }

    /// The scored values of measure `m`.
    pub fn scored(&self, m: usize) -> Vec<f32> {
        self.measure(m)
            .iter()
            .copied()
            .filter(|v| !v.is_nan())
            .collect()
    }
}

/// Bytes of a scores file.
pub fn scores_len(units: u32, measures: u32) -> u64 {
    SCORES_HEADER_LEN as u64 + u64::from(units) * u64::from(measures) * 4
}

/// How many units a scores file of `len` bytes holds with `measures` measures (for files whose
/// unit count is not known in advance, like a model's random-direction control).
pub fn scores_units_in(len: usize, measures: u32) -> u32 {
    let body = len.saturating_sub(SCORES_HEADER_LEN) as u64;
    u32::try_from(body / (4 * u64::from(measures.max(1)))).unwrap_or(0)
}

fn check_value(v: f32) -> Result<(), DictError> {
    if v.is_nan() || (-1.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(invalid(format!(
            "score {v} is outside [-1, 1] (NaN means not scored)"
        )))
    }
}

/// Encodes the scores; fails on anything [`decode_scores`] would reject.
pub fn encode_scores(s: &UnitScores) -> Result<Vec<u8>, DictError> {
    if s.measures == 0 || s.measures > MAX_MEASURES || s.units == 0 {
        return Err(invalid(format!(
            "{} measures of {} units; 1 to {MAX_MEASURES} measures of at least one unit expected",
            s.measures, s.units
        )));
    }
    if s.values.len() as u64 != u64::from(s.units) * u64::from(s.measures) {
        return Err(invalid(format!(
            "{} values for {} measures of {} units",
            s.values.len(),
            s.measures,
            s.units
        )));
    }
    let mut w = Writer::default();
    w.bytes(SCORES_MAGIC);
    w.u32(SCORES_VERSION);
    w.u32(s.units);
    w.u32(s.measures);
    for (i, v) in s.values.iter().enumerate() {
        check_value(*v).map_err(|e| e.context(format!("value {i}")))?;
        w.f32(*v);
    }
    Ok(w.out)
}

/// Decodes and checks a scores file: magic, version, the unit and measure counts the caller
/// expects (the dictionary's `d_sae`, the manifest's measure names), exact length, and every
/// value NaN or in `[-1, 1]`.
pub fn decode_scores(
    bytes: &[u8],
    expected_units: u32,
    expected_measures: u32,
) -> Result<UnitScores, DictError> {
    let mut r = Reader::new(bytes);
    if r.take(8, "header")? != SCORES_MAGIC {
        return Err(DictError::BadMagic {
            kind: "scores",
            magic: "PDSCORE1",
        });
    }
    let version = r.u32("header: version")?;
    if version != SCORES_VERSION {
        return Err(DictError::UnsupportedVersion {
            kind: "scores",
            found: version,
            supported: SCORES_VERSION,
        });
    }
    let units = r.u32("header: units")?;
    let measures = r.u32("header: measures")?;
    if measures == 0 || measures > MAX_MEASURES || units == 0 {
        return Err(invalid(format!(
            "the file holds {measures} measures of {units} units; 1 to {MAX_MEASURES} measures \
             of at least one unit expected"
        )));
    }
    if units != expected_units || measures != expected_measures {
        return Err(invalid(format!(
            "the file holds {measures} measures of {units} units, the reference says \
             {expected_measures} of {expected_units}"
        )));
    }
    let expected = scores_len(units, measures);
    if bytes.len() as u64 != expected {
        return Err(DictError::WrongLength {
            expected: usize::try_from(expected).unwrap_or(usize::MAX),
            actual: bytes.len(),
        });
    }
    let n = units as usize * measures as usize;
    let mut values = Vec::with_capacity(n);
    for i in 0..n {
        // Not `Reader::f32`, which refuses NaN: NaN is "not scored" here.
        let v = f32::from_bits(r.u32("score")?);
        check_value(v).map_err(|e| e.context(format!("value {i}")))?;
        values.push(v);
    }
    Ok(UnitScores {
        units,
        measures,
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reorder_finds_measures_by_name_and_fills_missing_ones() {
        let s = UnitScores {
            units: 2,
            measures: 2,
            values: vec![0.1, 0.2, 0.3, 0.4],
        };
        let names = vec!["context".to_owned(), "token_rule".to_owned()];
        let r = s.reorder(&names, &["token_rule", "context", "universality"]);
        assert_eq!(r.measures, 3);
        assert_eq!(r.measure(0), &[0.3, 0.4]);
        assert_eq!(r.measure(1), &[0.1, 0.2]);
        assert!(r.measure(2).iter().all(|v| v.is_nan()));
        assert_eq!(r.scored(2), Vec::<f32>::new());
        let mut r = r;
        assert!(r.set_measure(2, &[0.5, 0.6]));
        assert_eq!(r.measure(2), &[0.5, 0.6]);
        assert!(!r.set_measure(2, &[0.5]), "one value per unit");
        assert!(!r.set_measure(3, &[0.5, 0.6]), "no fourth measure");
    }

    fn sample() -> UnitScores {
        UnitScores {
            units: 3,
            measures: 2,
            values: vec![0.5, f32::NAN, 1.0, -0.1, f32::NAN, 0.0],
        }
    }

    #[test]
    fn empty_files_are_refused_as_encode_refuses_them() {
        // Found by the dict_scores fuzz target's re-encoding oracle: a header of zero
        // measures (or zero units) with no values decoded, and could not be written back.
        let mut bytes = encode_scores(&sample()).unwrap();
        bytes.truncate(SCORES_HEADER_LEN);
        bytes[16..20].copy_from_slice(&0u32.to_le_bytes());
        let e = decode_scores(&bytes, 3, 0).unwrap_err().to_string();
        assert!(e.contains("0 measures of 3 units"), "{e}");
        bytes[12..16].copy_from_slice(&0u32.to_le_bytes());
        bytes[16..20].copy_from_slice(&2u32.to_le_bytes());
        assert!(decode_scores(&bytes, 0, 2).is_err());
        bytes[16..20].copy_from_slice(&(MAX_MEASURES + 1).to_le_bytes());
        assert!(decode_scores(&bytes, 0, MAX_MEASURES + 1).is_err());
    }

    #[test]
    fn scores_round_trip_with_not_scored_units() {
        let bytes = encode_scores(&sample()).unwrap();
        assert_eq!(bytes.len() as u64, scores_len(3, 2));
        let back = decode_scores(&bytes, 3, 2).unwrap();
        assert_eq!(back.get(0, 0), Some(0.5));
        assert_eq!(back.get(0, 1), None);
        assert_eq!(back.get(1, 0), Some(-0.1));
        assert_eq!(back.get(1, 3), None);
        assert_eq!(back.scored(1), vec![-0.1, 0.0]);
    }

    #[test]
    fn bad_scores_files_are_refused_with_a_reason() {
        let bytes = encode_scores(&sample()).unwrap();
        let e = decode_scores(&bytes, 4, 2).unwrap_err().to_string();
        assert!(e.contains("2 measures of 3 units"), "{e}");
        let e = decode_scores(&bytes[..bytes.len() - 1], 3, 2)
            .unwrap_err()
            .to_string();
        assert!(e.contains("bytes long"), "{e}");
        let mut bad = bytes.clone();
        bad[SCORES_HEADER_LEN..SCORES_HEADER_LEN + 4].copy_from_slice(&2.5f32.to_le_bytes());
        let e = decode_scores(&bad, 3, 2).unwrap_err().to_string();
        assert!(e.contains("outside [-1, 1]"), "{e}");
        let mut bad = bytes;
        bad[0] = b'X';
        assert!(matches!(
            decode_scores(&bad, 3, 2),
            Err(DictError::BadMagic { .. })
        ));
        let mut s = sample();
        s.values[2] = f32::INFINITY;
        assert!(encode_scores(&s).is_err());
    }

    #[test]
    fn a_scores_reference_names_distinct_measures() {
        let f = FileRef::of("scores.bin", b"x");
        let ok = ScoresRef {
            file: f.clone(),
            measures: vec!["token_rule".into(), "context".into()],
        };
        ok.validate("scores").unwrap();
        assert_eq!(ok.measure("context"), Some(1));
        let twice = ScoresRef {
            file: f,
            measures: vec!["context".into(), "context".into()],
        };
        assert!(twice.validate("scores").is_err());
    }
}
