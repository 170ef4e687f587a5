//! `index.json`'s `highlights`: a few units (features, and neurons once they ship) that tell the
//! paper's story, each with a stable tag, a one-line note in English and Chinese, and claims
//! that a program can check against the data, so that a rebuild that breaks a note is caught
//! (`polytope dict validate`, and the shipped-data test).

use serde::{Deserialize, Serialize};

use super::index::{DataIndex, DictManifest};
use super::{DictError, FeatureDetail, FeatureSummary, NO_TOKEN, invalid};

/// Most highlights an index may list.
pub const MAX_HIGHLIGHTS: usize = 64;
/// Longest note, in characters, in each language.
pub const MAX_NOTE_CHARS: usize = 400;

/// One unit of one dictionary: `a-4096` feature 718, `neurons-a` neuron 407.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRef {
    /// A dictionary id of the index.
    pub dict: String,
    /// The feature's (or neuron's) index, below the dictionary's `d_sae`.
    pub index: u32,
}

/// A note in each language the site speaks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub en: String,
    pub zh: String,
}

/// What a claim asserts about its unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ClaimTest {
    /// The unit's most frequent token at its top activations (the list's `top_tokens[0]`)
    /// decodes to exactly `token`.
    TopToken { token: String },
    /// The unit's best match in its `match_dict` has at least this correlation (and, when
    /// `index` is given, is that unit).
    BestMatch {
        min_correlation: f32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index: Option<u32>,
    },
    /// The unit has a split edge to `to` with at least this masked cosine similarity.
    SplitEdge { to: UnitRef, min_similarity: f32 },
    /// A kind this build does not know (written by a newer pipeline): kept, not checked, so
    /// that an older reader still reads the index.
    #[serde(other)]
    Unknown,
}

/// A checkable statement about a highlight's unit, or about another unit (`of`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// The unit the claim is about, when not the highlight's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<UnitRef>,
    #[serde(flatten)]
    pub test: ClaimTest,
}

/// A unit that tells part of the story.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Highlight {
    /// Stable across rebuilds (the tour and links name it): 1-32 characters of `a-z 0-9 -`,
    /// for example `god`, `god-split`, `shared`, `quote`, `polysemantic-neuron`.
    pub tag: String,
    #[serde(flatten)]
    pub unit: UnitRef,
    /// One line saying what the unit shows, in the site's terms (glossary).
    pub note: Note,
    /// Other units to show beside it (a split's sibling, the match in the other model).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<UnitRef>,
    /// At least one; every one must hold on the data.
    pub claims: Vec<Claim>,
}

/// What the claims of a unit are checked against: its list record, its detail record and its
/// manifest's `related` (which split edges index).
#[derive(Clone, Debug, PartialEq)]
pub struct UnitRecords {
    pub summary: FeatureSummary,
    pub detail: FeatureDetail,
    pub related: Vec<String>,
}

impl UnitRecords {
    pub fn new(summary: FeatureSummary, detail: FeatureDetail, manifest: &DictManifest) -> Self {
        Self {
            summary,
            detail,
            related: manifest.related.clone(),
        }
    }
}

fn is_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= 32
        && tag
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl UnitRef {
    fn validate(&self, index: &DataIndex, at: &str) -> Result<(), DictError> {
        let Some(d) = index.dictionary(&self.dict) else {
            return Err(invalid(format!(
                "{at}: dictionary {:?} is not in the index",
                self.dict
            )));
        };
        if self.index >= d.d_sae {
            return Err(invalid(format!(
                "{at}: unit {} of {:?} is not below its d_sae {}",
                self.index, self.dict, d.d_sae
            )));
        }
        Ok(())
    }
}

fn note(text: &str, at: &str) -> Result<(), DictError> {
    let chars = text.chars().count();
    if text.trim().is_empty() || chars > MAX_NOTE_CHARS {
        return Err(invalid(format!(
            "{at}: {chars} characters; a note is 1..={MAX_NOTE_CHARS}"
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{at}: a note is one line, without control characters"
        )));
    }
    Ok(())
}

fn unit_interval(v: f32, at: &str) -> Result<(), DictError> {
    if v.is_finite() && (-1.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(invalid(format!("{at}: {v} is not in [-1, 1]")))
    }
}

impl Highlight {
    /// Checks the highlight against the index: tag, notes, units listed and in range, claims
    /// well-formed.
    pub fn validate(&self, index: &DataIndex, at: &str) -> Result<(), DictError> {
        if !is_tag(&self.tag) {
            return Err(invalid(format!(
                "{at}: tag {:?} is not 1-32 characters of a-z 0-9 -",
                self.tag
            )));
        }
        let at = format!("highlight {:?}", self.tag);
        self.unit.validate(index, &at)?;
        note(&self.note.en, &format!("{at}: note.en"))?;
        note(&self.note.zh, &format!("{at}: note.zh"))?;
        for (i, r) in self.related.iter().enumerate() {
            r.validate(index, &format!("{at}: related[{i}]"))?;
        }
        if self.claims.is_empty() {
            return Err(invalid(format!(
                "{at}: no claims; every note needs one a program can check"
            )));
        }
        for (i, c) in self.claims.iter().enumerate() {
            let at = format!("{at}: claims[{i}]");
            if let Some(of) = &c.of {
                of.validate(index, &format!("{at}.of"))?;
            }
            match &c.test {
                ClaimTest::TopToken { token } => {
                    if token.is_empty() || token.len() > 64 {
                        return Err(invalid(format!("{at}: token is 1..=64 bytes")));
                    }
                }
                ClaimTest::BestMatch {
                    min_correlation, ..
                } => unit_interval(*min_correlation, &format!("{at}.min_correlation"))?,
                ClaimTest::SplitEdge { to, min_similarity } => {
                    to.validate(index, &format!("{at}.to"))?;
                    unit_interval(*min_similarity, &format!("{at}.min_similarity"))?;
                }
                ClaimTest::Unknown => {}
            }
        }
        Ok(())
    }

    /// Every unit the claims are about: the highlight's own and each claim's `of`.
    pub fn claim_units(&self) -> impl Iterator<Item = &UnitRef> {
        std::iter::once(&self.unit).chain(self.claims.iter().filter_map(|c| c.of.as_ref()))
    }

    /// Checks every claim against the data. `unit` gives a unit's records; `token_text`
    /// decodes a token id. The error says which claim failed and what the data says instead.
    pub fn check(
        &self,
        unit: &dyn Fn(&UnitRef) -> Result<UnitRecords, String>,
        token_text: &dyn Fn(u16) -> String,
    ) -> Result<(), String> {
        for (i, c) in self.claims.iter().enumerate() {
            let of = c.of.as_ref().unwrap_or(&self.unit);
            c.test.check(&unit(of)?, token_text).map_err(|e| {
                format!(
                    "highlight {:?}: claims[{i}] about {}/{}: {e}",
                    self.tag, of.dict, of.index
                )
            })?;
        }
        Ok(())
    }
}

impl ClaimTest {
    /// Whether the claim holds for `unit`; otherwise what the data says.
    pub fn check(
        &self,
        unit: &UnitRecords,
        token_text: &dyn Fn(u16) -> String,
    ) -> Result<(), String> {
        match self {
            Self::TopToken { token } => {
                let top = unit.summary.top_tokens[0];
                let text = if top == NO_TOKEN {
                    "no token".to_owned()
                } else {
                    format!("{:?}", token_text(top))
                };
                if top != NO_TOKEN && token_text(top) == *token {
                    Ok(())
                } else {
                    Err(format!("top token is {text}, the claim says {token:?}"))
                }
            }
            Self::BestMatch {
                min_correlation,
                index,
            } => match unit.detail.best_match {
                Some((f, c)) if c >= *min_correlation && index.is_none_or(|i| i == f) => Ok(()),
                Some((f, c)) => Err(format!(
                    "best match is {f} at {c:.3}, the claim says at least {min_correlation}{}",
                    index.map_or(String::new(), |i| format!(" with {i}"))
                )),
                None => Err("there is no best match".into()),
            },
            Self::SplitEdge { to, min_similarity } => {
                let best = unit
                    .detail
                    .splits
                    .iter()
                    .filter(|e| {
                        e.feature == to.index
                            && unit.related.get(usize::from(e.dict)) == Some(&to.dict)
                    })
                    .map(|e| e.similarity)
                    .fold(None, |a: Option<f32>, s| Some(a.map_or(s, |a| a.max(s))));
                match best {
                    Some(s) if s >= *min_similarity => Ok(()),
                    Some(s) => Err(format!(
                        "the split edge to {}/{} has similarity {s:.3}, the claim says at least \
                         {min_similarity}",
                        to.dict, to.index
                    )),
                    None => Err(format!(
                        "there is no split edge to {}/{}",
                        to.dict, to.index
                    )),
                }
            }
            Self::Unknown => Err("a claim kind this build does not know".into()),
        }
    }
}

impl DataIndex {
    /// The story's units, in the order the index lists them.
    pub fn highlights(&self) -> &[Highlight] {
        &self.highlights
    }

    /// The highlight tagged `tag`.
    pub fn highlight(&self, tag: &str) -> Option<&Highlight> {
        self.highlights.iter().find(|h| h.tag == tag)
    }

    pub(super) fn validate_highlights(&self) -> Result<(), DictError> {
        if self.highlights.len() > MAX_HIGHLIGHTS {
            return Err(invalid(format!(
                "{} highlights; at most {MAX_HIGHLIGHTS}",
                self.highlights.len()
            )));
        }
        for (i, h) in self.highlights.iter().enumerate() {
            h.validate(self, &format!("highlights[{i}]"))?;
        }
        super::index::distinct(
            self.highlights.iter().map(|h| h.tag.as_str()),
            "highlight tag",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dict::{
        DATA_FORMAT, DATA_VERSION, DictEntry, DictKind, FileRef, ModelEntry, SplitEdge,
    };

    fn index(highlights: &str) -> Result<DataIndex, DictError> {
        let file = |p: &str| FileRef::of(p, b"x");
        let base = DataIndex {
            format: DATA_FORMAT.into(),
            version: DATA_VERSION,
            tokenizer: file("tokenizer.json"),
            vocab: 300,
            eval_tokens: FileRef::of("eval.bin", b"xx"),
            text_sample: file("sample.txt"),
            models: vec![ModelEntry {
                id: "A".into(),
                file: file("a.bin"),
                val_loss: 4.0,
                seed: 1,
                d_model: 8,
                d_mlp: 16,
                n_ctx: 8,
                steps: None,
                train_tokens: None,
                neuron_scores: None,
                control_scores: None,
            }],
            dictionaries: ["a-64", "a-128"]
                .iter()
                .map(|id| DictEntry {
                    id: (*id).into(),
                    model: "A".into(),
                    d_sae: id[2..].parse().unwrap(),
                    variant: "topk".into(),
                    manifest: format!("dict/{id}/manifest.json"),
                    kind: DictKind::Sae,
                })
                .collect(),
            highlights: Vec::new(),
        };
        let mut json: serde_json::Value = serde_json::from_str(&base.to_json()).unwrap();
        json["highlights"] = serde_json::from_str(highlights).unwrap();
        DataIndex::from_json(json.to_string().as_bytes())
    }

    const GOD: &str = r#"[{"tag": "god", "dict": "a-64", "index": 7,
        "note": {"en": "Fires on God.", "zh": "在 God 上激活。"},
        "related": [{"dict": "a-128", "index": 9}],
        "claims": [
            {"kind": "top-token", "token": " God"},
            {"kind": "split-edge", "to": {"dict": "a-128", "index": 9}, "min_similarity": 0.8},
            {"of": {"dict": "a-128", "index": 9}, "kind": "best-match", "min_correlation": 0.5}
        ]}]"#;

    #[test]
    fn highlights_parse_round_trip_and_are_found_by_tag() {
        let index = index(GOD).expect("valid");
        let h = index.highlight("god").expect("tagged");
        assert_eq!(
            h.unit,
            UnitRef {
                dict: "a-64".into(),
                index: 7
            }
        );
        assert_eq!(h.claims.len(), 3);
        assert_eq!(h.claim_units().count(), 2);
        assert!(index.highlight("nope").is_none());
        let again = DataIndex::from_json(index.to_json().as_bytes()).unwrap();
        assert_eq!(again, index);
        // An index without highlights writes none (version 1 as before).
        let none = self::index("[]").unwrap();
        assert!(!none.to_json().contains("highlights"));
    }

    #[test]
    fn a_claim_kind_from_a_newer_build_is_kept_but_not_checked() {
        let future = GOD.replace("\"top-token\"", "\"interpretability-at-least\"");
        let index = index(&future).expect("a newer kind still reads");
        assert_eq!(index.highlights()[0].claims[0].test, ClaimTest::Unknown);
    }

    #[test]
    fn every_broken_highlight_field_is_named() {
        for (from, to, needle) in [
            ("\"god\"", "\"God!\"", "tag"),
            (
                "\"a-64\", \"index\": 7",
                "\"a-64\", \"index\": 64",
                "not below its d_sae 64",
            ),
            (
                "\"dict\": \"a-64\"",
                "\"dict\": \"b-64\"",
                "not in the index",
            ),
            ("Fires on God.", "", "note.en"),
            ("0.8", "1.5", "min_similarity"),
            (
                "{\"dict\": \"a-128\", \"index\": 9}],",
                "{\"dict\": \"a-128\", \"index\": 900}],",
                "related[0]",
            ),
        ] {
            let text = GOD.replacen(from, to, 1);
            assert_ne!(text, GOD, "{from}");
            let e = index(&text).expect_err(needle).to_string();
            assert!(e.contains(needle), "{needle}: {e}");
        }
        let twice = format!("[{0}, {0}]", &GOD[1..GOD.len() - 1]);
        assert!(
            index(&twice)
                .unwrap_err()
                .to_string()
                .contains("appears twice")
        );
        let no_claims = GOD[..GOD.find("\"claims\"").unwrap()].to_owned() + "\"claims\": []}]";
        assert!(
            index(&no_claims)
                .unwrap_err()
                .to_string()
                .contains("no claims")
        );
    }

    #[test]
    fn claims_are_checked_against_a_units_records() {
        let index = index(GOD).unwrap();
        let h = index.highlight("god").unwrap();
        let summary = FeatureSummary {
            density: 0.01,
            max_act: 1.0,
            mean_act: 0.5,
            top_tokens: [3, NO_TOKEN, NO_TOKEN, NO_TOKEN],
            map: [0.0, 0.0],
            flags: 0,
        };
        let detail = FeatureDetail {
            id: 7,
            top: Vec::new(),
            quantiles: Vec::new(),
            histogram: crate::dict::Histogram {
                lo: 0.0,
                hi: 0.0,
                counts: Vec::new(),
            },
            logits_top: Vec::new(),
            logits_bottom: Vec::new(),
            logit_histogram: crate::dict::Histogram {
                lo: 0.0,
                hi: 0.0,
                counts: Vec::new(),
            },
            neurons: Vec::new(),
            correlated: Vec::new(),
            splits: vec![SplitEdge {
                dict: 0,
                feature: 9,
                similarity: 0.85,
            }],
            best_match: Some((2, 0.6)),
        };
        let records = |detail: &FeatureDetail| UnitRecords {
            summary: summary.clone(),
            detail: detail.clone(),
            related: vec!["a-128".into()],
        };
        let text = |t: u16| {
            if t == 3 {
                " God".to_owned()
            } else {
                format!("<{t}>")
            }
        };
        let unit = |_: &UnitRef| Ok(records(&detail));
        h.check(&unit, &text).expect("every claim holds");

        let mut weaker = detail.clone();
        weaker.splits[0].similarity = 0.7;
        let unit = |_: &UnitRef| Ok(records(&weaker));
        let e = h.check(&unit, &text).unwrap_err();
        assert!(e.contains("claims[1]") && e.contains("0.700"), "{e}");
        let text = |t: u16| format!("<{t}>");
        let unit = |_: &UnitRef| Ok(records(&detail));
        let e = h.check(&unit, &text).unwrap_err();
        assert!(e.contains("claims[0]") && e.contains("\"<3>\""), "{e}");
    }
}
