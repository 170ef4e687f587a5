//! What each plot shows, as pure functions of a run's view: no DOM, no signals, so they are
//! tested natively. Pages wrap them in memos; `polytope_plots` draws the specs. A page names
//! features with `PlotSpec::with_names` (drawn instead of their indices).

use std::collections::HashSet;
use std::sync::Arc;

use polytope_core::dict::FeatureSummary;
use polytope_core::tms::geometry_graph;
use polytope_plots::{Curve, InstancePoint, LossSeries, PlotSpec, ScoreGroup};

use crate::engine::sae::{SaeHistory, SaeView};
use crate::engine::tms::{EnergyLog, LossLog, View};

/// The spec shown before a run has a view.
pub fn waiting() -> PlotSpec {
    PlotSpec::Empty {
        message: "…".into(),
    }
}

/// The instance a page shows: the selected one, clamped to the run.
pub fn instance(view: &View, selected: usize) -> usize {
    selected.min(view.cfg.instance_count().saturating_sub(1))
}

/// Feature directions of instance `i`: a plane for `m <= 2`, a rotatable 3-D view for
/// `m = 3`, the geometry graph beyond.
pub fn vectors(view: &View, i: usize, highlight: Option<usize>, rotation: (f64, f64)) -> PlotSpec {
    let (m, n) = (view.cfg.m(), view.cfg.n());
    let w = Arc::new(view.w(i).to_vec());
    match m {
        1 => {
            // One hidden dimension: drawn as the x axis of the plane.
            let mut padded = w.as_ref().clone();
            padded.extend(std::iter::repeat_n(0.0, n));
            PlotSpec::Vectors2d {
                w: Arc::new(padded),
                n,
                highlight,
                names: None,
            }
        }
        2 => PlotSpec::Vectors2d {
            w,
            n,
            highlight,
            names: None,
        },
        3 => PlotSpec::Vectors3d {
            w,
            n,
            rotation,
            highlight,
            names: None,
        },
        _ => PlotSpec::Graph {
            graph: Arc::new(geometry_graph(&w, m, n, 0.1)),
            n,
            highlight,
            names: None,
        },
    }
}

/// `WᵀW` with the bias of instance `i`.
pub fn gram(view: &View, i: usize, highlight: Option<usize>) -> PlotSpec {
    PlotSpec::Gram {
        w: Arc::new(view.w(i).to_vec()),
        m: view.cfg.m(),
        n: view.cfg.n(),
        b: Arc::new(view.b(i).to_vec()),
        highlight,
        names: None,
    }
}

/// Feature norms coloured by superposition, of instance `i`.
pub fn norms(view: &View, i: usize, highlight: Option<usize>) -> PlotSpec {
    PlotSpec::Norms {
        norms: Arc::new(view.metrics[i].norms.clone()),
        superposition: Arc::new(view.metrics[i].superposition.clone()),
        highlight,
        names: None,
    }
}

/// The loss of every instance, the selected one highlighted.
pub fn loss(log: &LossLog, selected: usize) -> PlotSpec {
    let series = (0..log.instances)
        .map(|i| LossSeries {
            instance: i,
            points: log.series(i),
        })
        .collect();
    PlotSpec::Loss {
        series: Arc::new(series),
        instances: log.instances,
        highlight: Some(selected),
    }
}

/// Small multiples of every instance, titled by density.
pub fn multiples(view: &View, selected: usize, highlight: Option<usize>) -> PlotSpec {
    let panels = (0..view.cfg.instance_count())
        .map(|i| {
            (
                i,
                format!("p = {:.3}", view.density(i)),
                Arc::new(view.w(i).to_vec()),
                Arc::new(view.b(i).to_vec()),
            )
        })
        .collect();
    PlotSpec::Multiples {
        panels: Arc::new(panels),
        m: view.cfg.m(),
        n: view.cfg.n(),
        selected: Some(selected),
        highlight,
        names: None,
    }
}

/// Per-neuron weight bars of instance `i` (privileged basis and `|x|` models).
pub fn neurons(view: &View, i: usize, highlight: Option<usize>) -> PlotSpec {
    PlotSpec::Neurons {
        w: Arc::new(view.w(i).to_vec()),
        m: view.cfg.m(),
        n: view.cfg.n(),
        highlight,
        names: None,
    }
}

/// Dimensions per feature of every instance against `1/(1-S)`.
pub fn dims_per_feature(view: &View, selected: usize, labels: [&'static str; 6]) -> PlotSpec {
    let points = view
        .metrics
        .iter()
        .enumerate()
        .map(|(i, met)| InstancePoint {
            instance: i,
            inverse_density: 1.0 / f64::from(view.density(i).max(1e-9)),
            dims_per_feature: met.dims_per_feature,
            dimensionality: met.dimensionality.clone(),
        })
        .collect();
    PlotSpec::DimsPerFeature {
        points: Arc::new(points),
        highlight: Some(selected),
        labels,
    }
}

/// The feature geometry graph of instance `i`.
pub fn graph(view: &View, i: usize, highlight: Option<usize>) -> PlotSpec {
    let (m, n) = (view.cfg.m(), view.cfg.n());
    PlotSpec::Graph {
        graph: Arc::new(geometry_graph(view.w(i), m, n, 0.1)),
        n,
        highlight,
        names: None,
    }
}

/// `D_i` of instance `selected` over training.
pub fn energy(
    log: &EnergyLog,
    selected: usize,
    highlight: Option<usize>,
    labels: [&'static str; 6],
) -> PlotSpec {
    match log
        .per_instance
        .get(selected)
        .or_else(|| log.per_instance.last())
    {
        Some(h) => PlotSpec::Energy {
            history: Arc::new(h.clone()),
            highlight,
            labels,
        },
        None => waiting(),
    }
}

/// The names of the SAE curves in the interface language.
pub struct SaeCurveNames {
    pub recon: String,
    pub sparsity: String,
    pub explained_variance: String,
    pub dead: String,
    pub mmcs: String,
    pub mmcs_reverse: String,
    pub shipped: String,
    pub shipped_reverse: String,
}

fn events(h: &SaeHistory) -> Arc<Vec<(f64, u32)>> {
    Arc::new(
        h.resamples
            .iter()
            .map(|(s, c)| (f64::from(*s), *c))
            .collect(),
    )
}

/// The SAE's loss terms over steps (log scale), resampling events marked.
pub fn sae_loss(h: &SaeHistory, names: &SaeCurveNames) -> PlotSpec {
    let mut curves = vec![Curve {
        name: names.recon.clone(),
        color: 0,
        points: h.series(|s| s.recon),
    }];
    if h.any(|s| s.sparsity) {
        curves.push(Curve {
            name: names.sparsity.clone(),
            color: 1,
            points: h.series(|s| s.sparsity),
        });
    }
    if h.any(|s| s.aux) {
        curves.push(Curve {
            name: "AuxK".into(),
            color: 3,
            points: h.series(|s| s.aux),
        });
    }
    PlotSpec::Curves {
        curves: Arc::new(curves),
        events: events(h),
        log_y: true,
        y_range: None,
    }
}

/// Explained variance, dead fraction and MMCS (both ways, and against a shipped dictionary).
pub fn sae_quality(h: &SaeHistory, names: &SaeCurveNames) -> PlotSpec {
    let mut curves = vec![
        Curve {
            name: names.explained_variance.clone(),
            color: 0,
            points: h.series(|s| s.explained_variance),
        },
        Curve {
            name: names.dead.clone(),
            color: 3,
            points: h.series(|s| s.dead_fraction),
        },
    ];
    let pairs = |v: &[(f64, f64, f64)], second: bool| -> Vec<(f64, f64)> {
        v.iter()
            .map(|(s, a, b)| (*s, if second { *b } else { *a }))
            .collect()
    };
    if !h.mmcs.is_empty() {
        curves.push(Curve {
            name: names.mmcs.clone(),
            color: 2,
            points: pairs(&h.mmcs, false),
        });
        curves.push(Curve {
            name: names.mmcs_reverse.clone(),
            color: 4,
            points: pairs(&h.mmcs, true),
        });
    }
    if !h.shipped.is_empty() {
        curves.push(Curve {
            name: names.shipped.clone(),
            color: 2,
            points: pairs(&h.shipped, false),
        });
        curves.push(Curve {
            name: names.shipped_reverse.clone(),
            color: 4,
            points: pairs(&h.shipped, true),
        });
    }
    PlotSpec::Curves {
        curves: Arc::new(curves),
        events: events(h),
        log_y: false,
        y_range: Some((0.0, 1.02)),
    }
}

/// L0 over steps.
pub fn sae_l0(h: &SaeHistory) -> PlotSpec {
    PlotSpec::Curves {
        curves: Arc::new(vec![Curve {
            name: "L0".into(),
            color: 1,
            points: h.series(|s| s.l0),
        }]),
        events: events(h),
        log_y: false,
        y_range: None,
    }
}

/// Latents per log10-density bin, and the dead ones.
pub fn sae_density(view: &SaeView) -> PlotSpec {
    density(&view.histogram)
}

/// A [`polytope_core::sae::density_histogram`] (dead first, then bins from 1e-7) as a plot.
fn density(histogram: &[u32]) -> PlotSpec {
    PlotSpec::Density {
        counts: Arc::new(histogram.get(1..).unwrap_or_default().to_vec()),
        first_edge: -7.0,
        dead: histogram.first().copied().unwrap_or(0),
    }
}

/// The log10 feature densities of a shipped dictionary over the evaluation tokens (its
/// ultralow features, when it has them, form a bump of their own at the left).
pub fn dict_density(list: &[FeatureSummary]) -> PlotSpec {
    density(&dict_density_histogram(list))
}

/// One dictionary of a model for quality against size: its size, its metrics and the median
/// token-rule score of its features (when its scores ship).
pub struct SizePoint<'a> {
    pub d_sae: u32,
    pub metrics: &'a polytope_core::dict::DictMetrics,
    pub token_rule: Option<f32>,
}

/// The names of quality against size's series, in the interface language.
pub struct SizeNames {
    pub explained_variance: String,
    pub loss_recovered: String,
    pub dead: String,
    pub token_rule: String,
}

/// Explained variance, loss recovered, the share of dead features and the median token rule of
/// one model's dictionaries against their size; `current` marks the open one.
pub fn quality_by_size(points: &[SizePoint<'_>], names: &SizeNames, current: u32) -> PlotSpec {
    let series = |name: &str, color: usize, value: &dyn Fn(&SizePoint<'_>) -> Option<f64>| {
        polytope_plots::SizeSeries {
            name: name.to_owned(),
            color,
            points: points
                .iter()
                .filter_map(|p| value(p).map(|v| (p.d_sae, v)))
                .collect(),
        }
    };
    let mut all = vec![
        series(&names.explained_variance, 0, &|p| {
            Some(f64::from(p.metrics.explained_variance))
        }),
        series(&names.loss_recovered, 2, &|p| {
            Some(f64::from(p.metrics.loss_recovered))
        }),
        series(&names.dead, 3, &|p| {
            Some(f64::from(p.metrics.dead) / f64::from(p.d_sae.max(1)))
        }),
        series(&names.token_rule, 1, &|p| p.token_rule.map(f64::from)),
    ];
    all.retain(|s| !s.points.is_empty());
    PlotSpec::QualityBySize {
        series: Arc::new(all),
        current: Some(current),
    }
}

/// The score range and bins of each interpretability measure's histogram
/// (docs/interpretability.md): the token rule is an F1 score in [0, 1]; context similarity is
/// at most 1 and rarely much below 0; universality, a best correlation, is almost never
/// below 0.
pub fn score_range(measure: usize) -> (f64, f64, usize) {
    if measure == 0 || measure == polytope_core::lm::interp::UNIVERSALITY {
        (0.0, 1.0, 20)
    } else {
        (-0.2, 1.0, 24)
    }
}

/// Histograms of measure `measure` for a few groups `(name, palette colour, scores)`.
pub fn score_histograms(groups: &[(String, usize, &[f32])], measure: usize) -> PlotSpec {
    let (lo, hi, bins) = score_range(measure);
    PlotSpec::ScoreHistograms {
        groups: Arc::new(
            groups
                .iter()
                .map(|(name, color, s)| {
                    ScoreGroup::from_scores(name.clone(), *color, s, lo, hi, bins)
                })
                .collect(),
        ),
        lo,
        hi,
    }
}

/// [`dict_density`]'s counts: dead features first, then bins of 0.25 from 1e-7.
pub fn dict_density_histogram(list: &[FeatureSummary]) -> Vec<u32> {
    let densities: Vec<f64> = list.iter().map(|s| f64::from(s.density)).collect();
    polytope_core::sae::density_histogram(&densities)
}

/// The learned decoder directions over the true ones, for 2-D and 3-D toy data.
pub fn sae_directions(
    view: &SaeView,
    rotation: (f64, f64),
    highlight: Option<usize>,
    unavailable: &str,
) -> PlotSpec {
    let n = view.cfg.n();
    match (&view.truth, n) {
        (Some(truth), 2 | 3) => {
            let mut matched = vec![None; view.learned.len() / n];
            for (t, l, c) in view.matching.iter() {
                if *c > 0.5 {
                    matched[*l] = Some(*t);
                }
            }
            PlotSpec::Dictionary {
                truth: Arc::clone(truth),
                learned: Arc::clone(&view.learned),
                dim: n,
                matched: Arc::new(matched),
                alive: Arc::clone(&view.alive),
                rotation,
                highlight,
            }
        }
        _ => PlotSpec::Empty {
            message: unavailable.into(),
        },
    }
}

/// The most true features and latents the cosine matrix shows (4,096 cells draw in about
/// 15 ms in the browser; 16,384 took 50-100 ms, a long task).
pub const COSINE_ROWS_MAX: usize = 32;
pub const COSINE_COLS_MAX: usize = 128;

/// The cosine matrix: the first true features (at most 32) against their matched latents in
/// the order of the true features, then other latents, at most 128 columns in all.
pub fn sae_cosine(view: &SaeView, highlight: Option<usize>, no_truth: &str) -> PlotSpec {
    let Some(truth) = &view.truth else {
        return PlotSpec::Empty {
            message: no_truth.into(),
        };
    };
    let n = view.cfg.n();
    let rows = (truth.len() / n).min(COSINE_ROWS_MAX);
    let latents_total = view.learned.len() / n;
    let mut by_truth: Vec<(usize, usize)> = view
        .matching
        .iter()
        .filter(|(t, _, _)| *t < rows)
        .map(|(t, l, _)| (*t, *l))
        .collect();
    by_truth.sort_unstable();
    let mut latents: Vec<usize> = by_truth.iter().map(|(_, l)| *l).collect();
    let used: HashSet<usize> = latents.iter().copied().collect();
    latents.extend(
        (0..latents_total)
            .filter(|c| !used.contains(c))
            .take(COSINE_COLS_MAX.saturating_sub(latents.len())),
    );
    latents.truncate(COSINE_COLS_MAX);
    let cols = latents.len();
    let mut cos = vec![0.0f32; rows * cols];
    for (r, t) in truth.chunks(n).take(rows).enumerate() {
        for (c, l) in latents.iter().enumerate() {
            let learned = &view.learned[l * n..(l + 1) * n];
            cos[r * cols + c] = t.iter().zip(learned).map(|(a, b)| a * b).sum();
        }
    }
    PlotSpec::Cosine {
        cos: Arc::new(cos),
        rows,
        cols,
        latents: Arc::new(latents),
        highlight,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polytope_core::tms::{TrainState, preset};

    fn view(m: u32) -> View {
        let mut cfg = preset("intro").expect("intro").config;
        cfg.n_hidden = m;
        let cfg = Arc::new(cfg);
        let state = TrainState::initial(&cfg);
        View::new(cfg, &state, Vec::new())
    }

    #[test]
    fn a_dictionary_density_plot_counts_dead_and_ultralow_features_apart() {
        let feature = |density: f32| FeatureSummary {
            density,
            max_act: 1.0,
            mean_act: 0.5,
            top_tokens: [0; 4],
            map: [0.0; 2],
            flags: 0,
        };
        // Two dead, one ultralow (3e-6: bin [-5.75, -5.5)), two near 1e-2 (bin [-2, -1.75)).
        let list = [0.0, 0.0, 3e-6, 1.1e-2, 1.5e-2].map(feature);
        match dict_density(&list) {
            PlotSpec::Density {
                counts,
                first_edge,
                dead,
            } => {
                assert_eq!((dead, first_edge), (2, -7.0));
                assert_eq!(counts.len(), polytope_core::sae::DENSITY_BINS);
                assert_eq!(counts.iter().sum::<u32>(), 3);
                assert_eq!(counts[5], 1, "{counts:?}");
                assert_eq!(counts[20], 2, "{counts:?}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn vectors_follow_the_hidden_size() {
        let v = view(1);
        match vectors(&v, 0, None, (0.0, 0.0)) {
            // One dimension is drawn as the x axis: W padded with a zero y row.
            PlotSpec::Vectors2d { w, n, .. } => {
                assert_eq!((w.len(), n), (10, 5));
                assert_eq!(&w[..5], v.w(0));
                assert!(w[5..].iter().all(|y| *y == 0.0));
            }
            other => panic!("m = 1: {other:?}"),
        }
        assert!(matches!(
            vectors(&view(2), 0, None, (0.0, 0.0)),
            PlotSpec::Vectors2d { .. }
        ));
        assert!(matches!(
            vectors(&view(3), 0, Some(2), (0.5, 0.1)),
            PlotSpec::Vectors3d { highlight: Some(2), rotation, .. } if rotation == (0.5, 0.1)
        ));
        assert!(matches!(
            vectors(&view(4), 0, None, (0.0, 0.0)),
            PlotSpec::Graph { n: 5, .. }
        ));
    }

    #[test]
    fn a_selection_past_the_last_instance_shows_the_last() {
        let v = view(2);
        assert_eq!(instance(&v, 3), 3);
        assert_eq!(instance(&v, 99), v.cfg.instance_count() - 1);
    }

    #[test]
    fn instance_plots_show_the_chosen_instance() {
        let v = view(2);
        match gram(&v, 4, Some(1)) {
            PlotSpec::Gram {
                w,
                b,
                m,
                n,
                highlight,
                ..
            } => {
                assert_eq!((m, n, highlight), (2, 5, Some(1)));
                assert_eq!(w.as_slice(), v.w(4));
                assert_eq!(b.as_slice(), v.b(4));
            }
            other => panic!("{other:?}"),
        }
        match norms(&v, 7, None) {
            PlotSpec::Norms {
                norms,
                superposition,
                ..
            } => {
                assert_eq!(norms.as_slice(), v.metrics[7].norms.as_slice());
                assert_eq!(
                    superposition.as_slice(),
                    v.metrics[7].superposition.as_slice()
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn multiples_title_every_instance_by_its_density() {
        let v = view(2);
        match multiples(&v, 2, None) {
            PlotSpec::Multiples {
                panels, selected, ..
            } => {
                assert_eq!(panels.len(), v.cfg.instance_count());
                assert_eq!(panels[0].1, "p = 1.000");
                assert_eq!(panels[9].1, format!("p = {:.3}", v.density(9)));
                assert_eq!(selected, Some(2));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_loss_plot_has_a_series_per_instance_and_the_selected_one_highlighted() {
        let mut log = LossLog::new(3);
        log.push(0, &[1.0, 2.0, 3.0, 0.5, 1.5, 2.5]);
        match loss(&log, 1) {
            PlotSpec::Loss {
                series,
                instances,
                highlight,
            } => {
                assert_eq!((instances, highlight), (3, Some(1)));
                assert_eq!(series[1].points, vec![(1.0, 2.0), (2.0, 1.5)]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn names_reach_every_plot_that_labels_features() {
        let names = Some(Arc::new(vec!["dog".to_owned(); 5]));
        let v = view(2);
        for spec in [
            vectors(&v, 0, None, (0.0, 0.0)),
            gram(&v, 0, None),
            norms(&v, 0, None),
            neurons(&v, 0, None),
        ] {
            let named = spec.with_names(names.clone());
            let summary = named.summary(&crate::plot::text::plot_text(crate::i18n::Lang::En));
            let text = format!("{summary:?}");
            assert!(text.contains("dog"), "{text}");
        }
        // The small multiples draw the names on their canvas (their table lists instances).
        assert!(matches!(
            multiples(&v, 0, None).with_names(names),
            PlotSpec::Multiples { names: Some(_), .. }
        ));
    }

    #[test]
    fn quality_by_size_gives_each_measure_over_the_sizes_and_drops_empty_ones() {
        let metrics = |ev: f32, dead: u32| polytope_core::dict::DictMetrics {
            explained_variance: ev,
            nmse: 0.1,
            l0: 16.0,
            dead,
            ultralow: 0,
            ultralow_threshold: 1e-5,
            loss_orig: 3.8,
            loss_sae: 3.9,
            loss_zero: 5.8,
            loss_recovered: 0.9,
            eval_tokens: 1000,
        };
        let (a, b) = (metrics(0.75, 0), metrics(0.88, 205));
        let points = [
            SizePoint {
                d_sae: 512,
                metrics: &a,
                token_rule: None,
            },
            SizePoint {
                d_sae: 4096,
                metrics: &b,
                token_rule: None,
            },
        ];
        let names = SizeNames {
            explained_variance: "ev".into(),
            loss_recovered: "lr".into(),
            dead: "dead".into(),
            token_rule: "rule".into(),
        };
        let PlotSpec::QualityBySize { series, current } = quality_by_size(&points, &names, 4096)
        else {
            panic!("not a quality-by-size plot");
        };
        assert_eq!(current, Some(4096));
        // No dictionary has token-rule scores: that series is left out, not drawn at 0.
        let found: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(found, ["ev", "lr", "dead"]);
        assert_eq!(series[2].at(4096), Some(205.0 / 4096.0));
        assert_eq!(series[0].at(512), Some(f64::from(0.75f32)));
    }
}
