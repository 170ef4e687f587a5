//! The plots' words in the interface language: [`plot_text`] builds a `PlotText` from the
//! translations in `src/i18n.rs`, so canvases, exported SVGs and text alternatives speak the
//! page's language.

use polytope_plots::PlotText;

use crate::i18n::{Key, Lang, text};

/// Every word the plots draw, in `lang`.
pub fn plot_text(lang: Lang) -> PlotText {
    let t = |key| text(lang, key);
    PlotText {
        no_steps: t(Key::PlotNoSteps),
        no_instances: t(Key::PlotNoInstances),
        not_started: t(Key::PlotNotStarted),
        no_represented: t(Key::PlotNoRepresented),
        empty_grid: t(Key::PlotEmptyGrid),
        no_densities: t(Key::PlotNoDensities),
        no_scores: t(Key::PlotNoScores),
        no_sizes: t(Key::PlotNoSizes),
        directions_dims: t(Key::PlotDirectionsDims),
        no_truth: t(Key::PlotNoTruth),
        step: t(Key::PlotStep),
        loss: t(Key::PlotLossAxis),
        dead: t(Key::PlotDead),
        learned_axis: t(Key::PlotLearnedAxis),
        true_axis: t(Key::PlotTrueAxis),
        neuron_short: t(Key::PlotNeuronShort),
        hidden_axis: t(Key::PlotHiddenAxis),
        tip_norm: t(Key::PlotTipNorm),
        tip_neuron: t(Key::PlotTipNeuron),
        tip_vector: t(Key::PlotTipVector),
        tip_gram_row: t(Key::PlotTipGramRow),
        tip_loss: t(Key::PlotTipLoss),
        tip_dims_feature: t(Key::PlotTipDimsFeature),
        tip_dims_instance: t(Key::PlotTipDimsInstance),
        tip_energy: t(Key::PlotTipEnergy),
        tip_feature: t(Key::PlotTipFeature),
        tip_phase: t(Key::PlotTipPhase),
        pending: t(Key::PlotPending),
        tip_resampled: t(Key::PlotTipResampled),
        tip_score_bin: t(Key::PlotTipScoreBin),
        tip_size_point: t(Key::PlotTipSizePoint),
        tip_curve: t(Key::PlotTipCurve),
        tip_dead: t(Key::PlotTipDead),
        tip_density: t(Key::PlotTipDensity),
        tip_true_feature: t(Key::PlotTipTrueFeature),
        tip_latent: t(Key::PlotTipLatent),
        tip_unmatched: t(Key::PlotTipUnmatched),
        tip_matched: t(Key::PlotTipMatched),
        tip_dead_suffix: t(Key::PlotTipDeadSuffix),
        tip_cosine: t(Key::PlotTipCosine),
        cap_vectors: t(Key::PlotCapVectors),
        cap_gram: t(Key::PlotCapGram),
        cap_norms: t(Key::PlotCapNorms),
        cap_neurons: t(Key::PlotCapNeurons),
        cap_loss: t(Key::PlotCapLoss),
        cap_multiples: t(Key::PlotCapMultiples),
        cap_dims: t(Key::PlotCapDims),
        cap_energy: t(Key::PlotCapEnergy),
        cap_graph: t(Key::PlotCapGraph),
        cap_phase: t(Key::PlotCapPhase),
        cap_curves: t(Key::PlotCapCurves),
        cap_density: t(Key::PlotCapDensity),
        cap_scores: t(Key::PlotCapScores),
        cap_sizes: t(Key::PlotCapSizes),
        cap_dictionary: t(Key::PlotCapDictionary),
        cap_cosine: t(Key::PlotCapCosine),
        more_rows: t(Key::PlotMoreRows),
        col_feature: t(Key::PlotColFeature),
        col_instance: t(Key::PlotColInstance),
        col_neuron: t(Key::PlotColNeuron),
        col_coordinates: t(Key::PlotColCoordinates),
        col_superposition: t(Key::PlotColSuperposition),
        col_bias: t(Key::PlotColBias),
        col_interference: t(Key::PlotColInterference),
        col_strongest: t(Key::PlotColStrongest),
        col_represented: t(Key::PlotColRepresented),
        col_density: t(Key::PlotColDensity),
        col_importance: t(Key::PlotColImportance),
        col_regime: t(Key::PlotColRegime),
        col_metric: t(Key::PlotColMetric),
        col_value: t(Key::PlotColValue),
        col_group: t(Key::PlotColGroup),
        col_latents: t(Key::PlotColLatents),
        col_scored: t(Key::PlotColScored),
        col_median_bin: t(Key::PlotColMedianBin),
        col_features: t(Key::PlotColFeatures),
        col_latent: t(Key::PlotColLatent),
        col_match: t(Key::PlotColMatch),
        col_alive: t(Key::PlotColAlive),
        col_cosine: t(Key::PlotColCosine),
        col_title: t(Key::PlotColTitle),
        yes: t(Key::PlotYes),
        no: t(Key::PlotNo),
    }
}

#[cfg(test)]
mod tests {
    //! Canvas text is invisible to a DOM test: this draws every plot kind with the Chinese
    //! words and fails on any Latin-script word in what is drawn, shown on hover or written
    //! in the text alternative.
    use std::sync::Arc;

    use polytope_plots::samples::samples;
    use polytope_plots::{PlotSpec, Theme};

    use super::*;
    use crate::i18n::text;

    /// Latin-script words allowed in Chinese mode, each for a reason: mathematical symbols the
    /// Chinese text also uses (the glossary writes D*, D_i, ‖W‖, WᵀW, 1/(1−S) as they are),
    /// and acronyms that are the glossary's own terms.
    const ALLOWED: &[(&str, &str)] = &[
        (
            "W",
            "the weight matrix: ‖W‖, WᵀW, W_i · W_j, tooltips' W = (…)",
        ),
        (
            "WᵀW",
            "the Gram matrix's symbol, as in the interface's Chinese title",
        ),
        (
            "Wᵢ",
            "a feature's direction in the interference caption (|Wᵢ·Wⱼ|)",
        ),
        ("b", "the bias column's symbol, beside WᵀW"),
        (
            "D",
            "D* and D_i, dimensions per feature and feature dimensionality",
        ),
        ("S", "sparsity in 1/(1−S)"),
        (
            "p",
            "feature probability in the small multiples' panel titles (the paper's p)",
        ),
        ("L", "L0, the glossary's term for active latents per input"),
        (
            "MMCS",
            "the interface's acronym for mean max cosine similarity",
        ),
        ("AuxK", "TopK's auxiliary loss, a proper name"),
        ("CSV", "the export format's name, as on the export button"),
        (
            "i",
            "the index of D_i (feature dimensionality, the energy plot's axis)",
        ),
    ];

    /// True for characters of the Latin script (ASCII letters, Latin-1 and extended Latin,
    /// and the phonetic and modifier letters used as sub- and superscripts).
    fn latin(c: char) -> bool {
        c.is_ascii_alphabetic()
            || matches!(u32::from(c), 0xC0..=0x24F | 0x1D00..=0x1DBF | 0x2071 | 0x207F | 0x2090..=0x209C)
    }

    /// The Latin words of `s`, after removing numbers in scientific notation (1e-3).
    fn latin_words(s: &str) -> Vec<String> {
        let chars: Vec<char> = s.chars().collect();
        let mut words = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            // "1e-3", "2.5e+01": the e of a number is not a word.
            if chars[i] == 'e'
                && i > 0
                && chars[i - 1].is_ascii_digit()
                && chars
                    .get(i + 1)
                    .is_some_and(|c| c.is_ascii_digit() || *c == '-' || *c == '+')
            {
                i += 1;
                continue;
            }
            if latin(chars[i]) {
                let start = i;
                while i < chars.len() && latin(chars[i]) {
                    i += 1;
                }
                words.push(chars[start..i].iter().collect::<String>());
            } else {
                i += 1;
            }
        }
        words
    }

    /// The text of every `<text>` element of an SVG document.
    fn drawn(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|rest| {
                let body = rest.split_once('>')?.1;
                Some(body.split("</text>").next()?.trim().to_owned())
            })
            .collect()
    }

    /// Replaces the labels the app passes inside specs by its Chinese ones.
    fn with_chinese_labels(spec: PlotSpec) -> PlotSpec {
        let zh = |k| text(Lang::Zh, k);
        let fractions = [
            zh(Key::FractionOne),
            zh(Key::FractionTetrahedron),
            zh(Key::FractionTriangle),
            zh(Key::FractionDigon),
            zh(Key::FractionPentagon),
            zh(Key::FractionAntiprism),
        ];
        match spec {
            PlotSpec::DimsPerFeature {
                points, highlight, ..
            } => PlotSpec::DimsPerFeature {
                points,
                highlight,
                labels: fractions,
            },
            PlotSpec::Energy {
                history, highlight, ..
            } => PlotSpec::Energy {
                history,
                highlight,
                labels: fractions,
            },
            PlotSpec::Phase { diagram } => {
                let mut d = (*diagram).clone();
                d.x_label = zh(Key::PhaseX).into();
                d.y_label = zh(Key::PhaseY).into();
                d.regime_labels = [
                    zh(Key::RegimeNotLearned).into(),
                    zh(Key::RegimeDedicated).into(),
                    zh(Key::RegimeSuperposition).into(),
                    zh(Key::RegimeOther).into(),
                ];
                d.boundary_label = zh(Key::PhaseBoundary).into();
                PlotSpec::Phase {
                    diagram: Arc::new(d),
                }
            }
            PlotSpec::Curves {
                curves,
                events,
                log_y,
                y_range,
            } => {
                let names = [
                    zh(Key::SaeRecon),
                    zh(Key::SaeSparsityTerm),
                    zh(Key::SaeExplainedVariance),
                    zh(Key::SaeDead),
                ];
                let curves = curves
                    .iter()
                    .enumerate()
                    .map(|(k, c)| polytope_plots::Curve {
                        name: if c.name == "L0" {
                            c.name.clone()
                        } else {
                            names[k % names.len()].to_owned()
                        },
                        ..c.clone()
                    })
                    .collect();
                PlotSpec::Curves {
                    curves: Arc::new(curves),
                    events,
                    log_y,
                    y_range,
                }
            }
            PlotSpec::Vectors2d {
                names: Some(_),
                w,
                n,
                highlight,
            } => PlotSpec::Vectors2d {
                w,
                n,
                highlight,
                names: Some(Arc::new(
                    ["狗", "苹果", "心脏", "眼睛", "汽车"]
                        .map(str::to_owned)
                        .to_vec(),
                )),
            },
            other => other,
        }
    }

    #[test]
    fn english_plot_text_is_what_the_cli_draws() {
        assert_eq!(plot_text(Lang::En), PlotText::ENGLISH);
    }

    #[test]
    fn every_plot_kind_draws_no_latin_word_in_chinese() {
        let zh = plot_text(Lang::Zh);
        let allowed: Vec<&str> = ALLOWED.iter().map(|(w, _)| *w).collect();
        let mut found = Vec::new();
        for (name, spec) in samples() {
            let spec = with_chinese_labels(spec);
            let r = spec.render_svg(640, 480, &Theme::default(), &zh);
            let mut words: Vec<(String, String)> = Vec::new();
            for t in drawn(&r.svg) {
                words.extend(
                    latin_words(&t)
                        .into_iter()
                        .map(|w| (w, format!("drawn “{t}”"))),
                );
            }
            for h in &r.hits {
                words.extend(
                    latin_words(&h.label)
                        .into_iter()
                        .map(|w| (w, format!("hover “{}”", h.label))),
                );
            }
            let summary = spec.summary(&zh).all_text(&zh);
            for line in summary.lines() {
                words.extend(
                    latin_words(line)
                        .into_iter()
                        .map(|w| (w, format!("text alternative “{line}”"))),
                );
            }
            for (w, place) in words {
                if !allowed.contains(&w.as_str()) {
                    found.push(format!("{name}: {w} in {place}"));
                }
            }
        }
        assert!(
            found.is_empty(),
            "Latin words in Chinese plots:\n{}",
            found.join("\n")
        );
    }

    #[test]
    fn the_latin_word_finder_finds_words_and_skips_numbers() {
        assert_eq!(latin_words("特征 3：‖W‖ = 1e-3，D_i"), ["W", "D", "i"]);
        assert_eq!(latin_words("feature 2.5e+01 x"), ["feature", "x"]);
        assert!(latin_words("第 10 步").is_empty());
    }
}
