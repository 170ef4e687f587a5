//! A plot's text alternative: one sentence saying what it shows now and its data as a small
//! table, in the caller's words, for screen readers (a canvas is opaque to them). Long tables
//! are cut short and point to the CSV export, which has every number.

use polytope_core::tms::gram;

use crate::phase::regime_label;
use crate::spec::names;
use crate::{PlotSpec, PlotText, feature_label, fill};

/// The most rows a summary table has.
pub const MAX_ROWS: usize = 40;

/// What a plot shows, as text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub caption: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Rows left out (they are in the CSV export).
    pub more: usize,
}

impl Summary {
    fn new(caption: String, headers: &[&str]) -> Self {
        Self {
            caption,
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
            more: 0,
        }
    }

    fn push(&mut self, row: Vec<String>) {
        if self.rows.len() < MAX_ROWS {
            self.rows.push(row);
        } else {
            self.more += 1;
        }
    }

    /// Every word of the summary (caption, headers, cells and the note on left-out rows), for
    /// tests of the interface language.
    pub fn all_text(&self, text: &PlotText) -> String {
        let mut out = vec![self.caption.clone()];
        out.extend(self.headers.iter().cloned());
        out.extend(self.rows.iter().flatten().cloned());
        if self.more > 0 {
            out.push(fill(text.more_rows, &[("count", &self.more)]));
        }
        out.join("\n")
    }
}

fn f3(v: impl Into<f64>) -> String {
    format!("{:.3}", v.into())
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

impl PlotSpec {
    /// What the plot shows now, in the words of `text`.
    pub fn summary(&self, text: &PlotText) -> Summary {
        match self {
            Self::Vectors2d {
                w, n, names: nm, ..
            }
            | Self::Vectors3d {
                w, n, names: nm, ..
            } => {
                let n = *n;
                let m = w.len().checked_div(n).unwrap_or(0);
                let cols: Vec<Vec<f64>> = (0..n)
                    .map(|j| (0..m).map(|k| f64::from(w[k * n + j])).collect())
                    .collect();
                let represented = cols.iter().filter(|c| norm(c) > 0.5).count();
                let mut s = Summary::new(
                    fill(
                        text.cap_vectors,
                        &[("n", &n), ("m", &m), ("represented", &represented)],
                    ),
                    &[text.col_feature, text.col_coordinates, "‖W‖"],
                );
                for (j, c) in cols.iter().enumerate() {
                    let coords: Vec<String> = c.iter().map(|v| f3(*v)).collect();
                    s.push(vec![
                        feature_label(names(nm), j),
                        format!("({})", coords.join(", ")),
                        f3(norm(c)),
                    ]);
                }
                s
            }
            Self::Gram {
                w,
                m,
                n,
                b,
                names: nm,
                ..
            } => {
                let n = *n;
                let g = gram(w, *m, n);
                let mut pairs = 0;
                let mut s = Summary::new(
                    String::new(),
                    &[
                        text.col_feature,
                        "‖W‖²",
                        text.col_bias,
                        text.col_interference,
                    ],
                );
                for r in 0..n {
                    let mut best: Option<(usize, f32)> = None;
                    for c in 0..n {
                        let v = g[r * n + c];
                        if c != r {
                            if c > r && v.abs() > 0.1 {
                                pairs += 1;
                            }
                            if best.is_none_or(|(_, x)| v.abs() > x.abs()) {
                                best = Some((c, v));
                            }
                        }
                    }
                    s.push(vec![
                        feature_label(names(nm), r),
                        f3(g[r * n + r]),
                        f3(b.get(r).copied().unwrap_or(0.0)),
                        best.map_or_else(String::new, |(c, v)| {
                            format!("{}: {}", feature_label(names(nm), c), f3(v))
                        }),
                    ]);
                }
                s.caption = fill(text.cap_gram, &[("n", &n), ("pairs", &pairs)]);
                s
            }
            Self::Norms {
                norms,
                superposition,
                names: nm,
                ..
            } => {
                let represented = norms.iter().filter(|v| **v > 0.5).count();
                let shared = norms
                    .iter()
                    .zip(superposition.iter())
                    .filter(|(a, s)| **a > 0.5 && **s > 0.1)
                    .count();
                let mut s = Summary::new(
                    fill(
                        text.cap_norms,
                        &[
                            ("n", &norms.len()),
                            ("represented", &represented),
                            ("shared", &shared),
                        ],
                    ),
                    &[text.col_feature, "‖W‖", text.col_superposition],
                );
                for (j, (a, sup)) in norms.iter().zip(superposition.iter()).enumerate() {
                    s.push(vec![feature_label(names(nm), j), f3(*a), f3(*sup)]);
                }
                s
            }
            Self::Neurons {
                w, m, n, names: nm, ..
            } => {
                let mut s = Summary::new(
                    fill(text.cap_neurons, &[("n", n), ("m", m)]),
                    &[text.col_neuron, text.col_strongest],
                );
                for k in 0..*m {
                    let mut row: Vec<(usize, f32)> = (0..*n).map(|j| (j, w[k * n + j])).collect();
                    row.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
                    let top: Vec<String> = row
                        .iter()
                        .take(3)
                        .map(|(j, v)| format!("{}: {}", feature_label(names(nm), *j), f3(*v)))
                        .collect();
                    s.push(vec![k.to_string(), top.join("; ")]);
                }
                s
            }
            Self::Loss { series, .. } => {
                let step = series
                    .iter()
                    .filter_map(|s| s.points.last().map(|p| p.0))
                    .fold(0.0f64, f64::max);
                let mut s = Summary::new(
                    fill(
                        text.cap_loss,
                        &[("count", &series.len()), ("step", &format!("{step:.0}"))],
                    ),
                    &[text.col_instance, text.step, text.loss],
                );
                for l in series.iter() {
                    if let Some((x, y)) = l.points.last() {
                        s.push(vec![
                            l.instance.to_string(),
                            format!("{x:.0}"),
                            format!("{y:.3e}"),
                        ]);
                    }
                }
                s
            }
            Self::Multiples { panels, m, n, .. } => {
                let mut s = Summary::new(
                    fill(text.cap_multiples, &[("count", &panels.len())]),
                    &[text.col_instance, text.col_title, text.col_represented],
                );
                for (instance, title, w, _) in panels.iter() {
                    let represented = (0..*n)
                        .filter(|j| {
                            let c: Vec<f64> = (0..*m).map(|k| f64::from(w[k * n + j])).collect();
                            norm(&c) > 0.5
                        })
                        .count();
                    s.push(vec![
                        instance.to_string(),
                        title.clone(),
                        represented.to_string(),
                    ]);
                }
                s
            }
            Self::DimsPerFeature { points, .. } => {
                let mut s = Summary::new(
                    fill(text.cap_dims, &[("count", &points.len())]),
                    &[text.col_instance, "1/(1−S)", "D*"],
                );
                for p in points.iter() {
                    s.push(vec![
                        p.instance.to_string(),
                        format!("{:.2}", p.inverse_density),
                        f3(p.dims_per_feature),
                    ]);
                }
                s
            }
            Self::Energy { history, .. } => {
                let last = history.dimensionality.last();
                let n = last.map_or(0, Vec::len);
                let step = history.steps.last().copied().unwrap_or(0.0);
                let mut s = Summary::new(
                    fill(
                        text.cap_energy,
                        &[("n", &n), ("step", &format!("{step:.0}"))],
                    ),
                    &[text.col_feature, "D_i"],
                );
                for (j, d) in last.into_iter().flatten().enumerate() {
                    s.push(vec![j.to_string(), f3(*d)]);
                }
                s
            }
            Self::Graph {
                graph, names: nm, ..
            } => {
                let represented: usize = graph.components.iter().map(Vec::len).sum();
                let mut s = Summary::new(
                    fill(
                        text.cap_graph,
                        &[("n", &represented), ("groups", &graph.components.len())],
                    ),
                    &[text.col_group, text.col_feature],
                );
                for (k, comp) in graph.components.iter().enumerate() {
                    let members: Vec<String> = comp
                        .iter()
                        .map(|f| feature_label(names(nm), *f as usize))
                        .collect();
                    s.push(vec![(k + 1).to_string(), members.join(", ")]);
                }
                s
            }
            Self::Phase { diagram } => {
                let done = diagram.cells.iter().filter(|c| c.is_some()).count();
                let mut s = Summary::new(
                    fill(
                        text.cap_phase,
                        &[("done", &done), ("total", &diagram.cells.len())],
                    ),
                    &[text.col_density, text.col_importance, text.col_regime],
                );
                let cols = diagram.importances.len();
                for (r, p) in diagram.densities.iter().enumerate() {
                    for (c, imp) in diagram.importances.iter().enumerate() {
                        let regime = diagram.cells.get(r * cols + c).copied().flatten();
                        s.push(vec![
                            f3(*p),
                            format!("{imp:.2}"),
                            regime_label(diagram, regime, text),
                        ]);
                    }
                }
                s
            }
            Self::Curves { curves, events, .. } => {
                let step = curves
                    .iter()
                    .filter_map(|c| c.points.last().map(|p| p.0))
                    .fold(0.0f64, f64::max);
                let mut s = Summary::new(
                    fill(
                        text.cap_curves,
                        &[
                            ("count", &curves.len()),
                            ("step", &format!("{step:.0}")),
                            ("events", &events.len()),
                        ],
                    ),
                    &[text.col_metric, text.step, text.col_value],
                );
                for c in curves.iter() {
                    if let Some((x, y)) = c.points.last() {
                        s.push(vec![c.name.clone(), format!("{x:.0}"), format!("{y:.4}")]);
                    }
                }
                s
            }
            Self::Density {
                counts,
                first_edge,
                dead,
            } => {
                let total: u32 = counts.iter().sum::<u32>() + dead;
                let mut s = Summary::new(
                    fill(text.cap_density, &[("total", &total), ("dead", dead)]),
                    &[text.col_density, text.col_latents],
                );
                s.push(vec![text.dead.to_owned(), dead.to_string()]);
                for (b, c) in counts.iter().enumerate() {
                    if *c > 0 {
                        let lo = first_edge + 0.25 * b as f64;
                        s.push(vec![
                            format!("10^{lo:.2} – 10^{:.2}", lo + 0.25),
                            c.to_string(),
                        ]);
                    }
                }
                s
            }
            Self::ScoreHistograms { groups, lo, hi } => {
                let mut s = Summary::new(
                    fill(text.cap_scores, &[("count", &groups.len())]),
                    &[text.col_group, text.col_scored, text.col_median_bin],
                );
                for g in groups.iter() {
                    let total: u32 = g.counts.iter().sum();
                    let width = (hi - lo) / g.counts.len().max(1) as f64;
                    let (mut seen, mut bin) = (0u32, 0usize);
                    for (b, c) in g.counts.iter().enumerate() {
                        seen += c;
                        if 2 * seen >= total {
                            bin = b;
                            break;
                        }
                    }
                    let from = lo + width * bin as f64;
                    s.push(vec![
                        g.name.clone(),
                        total.to_string(),
                        format!("{from:.2} – {:.2}", from + width),
                    ]);
                }
                s
            }
            Self::QualityBySize { series, .. } => {
                let sizes = crate::sizes::sizes_of(series);
                let mut columns = vec![text.col_features];
                columns.extend(series.iter().map(|s| s.name.as_str()));
                let mut s =
                    Summary::new(fill(text.cap_sizes, &[("count", &sizes.len())]), &columns);
                for f in sizes {
                    let mut row = vec![f.to_string()];
                    row.extend(series.iter().map(|x| {
                        x.at(f)
                            .map_or_else(|| "–".to_owned(), |v| format!("{v:.3}"))
                    }));
                    s.push(row);
                }
                s
            }
            Self::Dictionary {
                truth,
                learned,
                dim,
                matched,
                alive,
                ..
            } => {
                let dim = (*dim).max(1);
                let count = learned.len() / dim;
                let hits = matched.iter().filter(|m| m.is_some()).count();
                let mut s = Summary::new(
                    fill(
                        text.cap_dictionary,
                        &[
                            ("learned", &count),
                            ("truth", &(truth.len() / dim)),
                            ("matched", &hits),
                        ],
                    ),
                    &[text.col_latent, text.col_match, text.col_alive],
                );
                for l in 0..count {
                    s.push(vec![
                        l.to_string(),
                        matched
                            .get(l)
                            .copied()
                            .flatten()
                            .map_or_else(|| "–".to_owned(), |j| j.to_string()),
                        if alive.get(l).copied().unwrap_or(true) {
                            text.yes
                        } else {
                            text.no
                        }
                        .to_owned(),
                    ]);
                }
                s
            }
            Self::Cosine {
                cos,
                rows,
                cols,
                latents,
                ..
            } => {
                let mut s = Summary::new(
                    fill(text.cap_cosine, &[("rows", rows), ("cols", cols)]),
                    &[text.col_feature, text.col_latent, text.col_cosine],
                );
                for r in 0..*rows {
                    let best = (0..*cols)
                        .map(|c| (c, cos[r * cols + c]))
                        .max_by(|a, b| a.1.total_cmp(&b.1));
                    if let Some((c, v)) = best {
                        s.push(vec![
                            r.to_string(),
                            latents.get(c).map_or_else(String::new, ToString::to_string),
                            f3(v),
                        ]);
                    }
                }
                s
            }
            Self::Empty { message } => Summary::new(message.clone(), &[]),
        }
    }
}
