//! What a plot shows, as data: [`PlotSpec`] picks one of this crate's pure functions and holds
//! its inputs, so the same spec draws on the app's canvas, exports to SVG (in the app and in the
//! CLI) and exports its numbers as CSV.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::{
    EnergyHistory, Hits, InstancePoint, LossSeries, Panel, PhaseDiagram, PlotText, Rotation, Theme,
};
use plotters::coord::Shift;
use plotters::prelude::*;
use polytope_core::tms::GeometryGraph;

/// One panel of a small-multiples plot: instance, title, `W` and `b`.
pub type PanelData = (usize, String, Arc<Vec<f32>>, Arc<Vec<f32>>);

/// Names of the features (drawn instead of their indices when present).
pub type Names = Option<Arc<Vec<String>>>;

/// The names as a slice.
pub(crate) fn names(n: &Names) -> Option<&[String]> {
    n.as_ref().map(|v| v.as_slice())
}

/// A plot and its data. Weight matrices are shared (`Arc`) so that specs are cheap to clone
/// and compare.
#[derive(Clone, Debug, PartialEq)]
pub enum PlotSpec {
    Vectors2d {
        w: Arc<Vec<f32>>,
        n: usize,
        highlight: Option<usize>,
        names: Names,
    },
    Vectors3d {
        w: Arc<Vec<f32>>,
        n: usize,
        rotation: (f64, f64),
        highlight: Option<usize>,
        names: Names,
    },
    Gram {
        w: Arc<Vec<f32>>,
        m: usize,
        n: usize,
        b: Arc<Vec<f32>>,
        highlight: Option<usize>,
        names: Names,
    },
    Norms {
        norms: Arc<Vec<f32>>,
        superposition: Arc<Vec<f32>>,
        highlight: Option<usize>,
        names: Names,
    },
    Neurons {
        w: Arc<Vec<f32>>,
        m: usize,
        n: usize,
        highlight: Option<usize>,
        names: Names,
    },
    Loss {
        series: Arc<Vec<LossSeries>>,
        instances: usize,
        highlight: Option<usize>,
    },
    Multiples {
        /// `(instance, title, w, b)` per panel.
        panels: Arc<Vec<PanelData>>,
        m: usize,
        n: usize,
        selected: Option<usize>,
        highlight: Option<usize>,
        names: Names,
    },
    DimsPerFeature {
        points: Arc<Vec<InstancePoint>>,
        highlight: Option<usize>,
        labels: [&'static str; 6],
    },
    Energy {
        history: Arc<EnergyHistory>,
        highlight: Option<usize>,
        labels: [&'static str; 6],
    },
    Graph {
        graph: Arc<GeometryGraph>,
        n: usize,
        highlight: Option<usize>,
        names: Names,
    },
    Phase {
        diagram: Arc<PhaseDiagram>,
    },
    /// SAE metrics over steps with resampling events `(step, latents)`.
    Curves {
        curves: Arc<Vec<crate::Curve>>,
        events: Arc<Vec<(f64, u32)>>,
        log_y: bool,
        y_range: Option<(f64, f64)>,
    },
    /// Latents per `log10(density)` bin (width 0.25 from `first_edge`) and the dead ones.
    Density {
        counts: Arc<Vec<u32>>,
        first_edge: f64,
        dead: u32,
    },
    /// Interpretability scores of a few groups of units, as outlined histograms over
    /// `[lo, hi]` (docs/interpretability.md).
    ScoreHistograms {
        groups: Arc<Vec<crate::ScoreGroup>>,
        lo: f64,
        hi: f64,
    },
    /// A few quality measures of one model's dictionaries against their size (features, log2
    /// axis); `current` marks the open dictionary's size.
    QualityBySize {
        series: Arc<Vec<crate::SizeSeries>>,
        current: Option<u32>,
    },
    /// Learned decoder directions over the true feature directions (2-D or 3-D).
    Dictionary {
        truth: Arc<Vec<f32>>,
        learned: Arc<Vec<f32>>,
        dim: usize,
        matched: Arc<Vec<Option<usize>>>,
        alive: Arc<Vec<bool>>,
        rotation: (f64, f64),
        highlight: Option<usize>,
    },
    /// True x learned cosine similarities `[rows, cols]`, columns in display order; `latents`
    /// names the latent of each column.
    Cosine {
        cos: Arc<Vec<f32>>,
        rows: usize,
        cols: usize,
        latents: Arc<Vec<usize>>,
        highlight: Option<usize>,
    },
    Empty {
        message: String,
    },
}

/// An SVG document and the hover regions of its plot.
pub struct SvgRender {
    pub svg: String,
    pub hits: Hits,
}

impl PlotSpec {
    /// The same plot with its features named (drawn instead of their indices); specs that do
    /// not label features are returned as they are.
    #[must_use]
    pub fn with_names(mut self, feature_names: Option<Arc<Vec<String>>>) -> Self {
        match &mut self {
            Self::Vectors2d { names, .. }
            | Self::Vectors3d { names, .. }
            | Self::Gram { names, .. }
            | Self::Norms { names, .. }
            | Self::Neurons { names, .. }
            | Self::Multiples { names, .. }
            | Self::Graph { names, .. } => *names = feature_names,
            _ => {}
        }
        self
    }

    /// Draws the plot on any plotters backend, with the words of `text`.
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        theme: &Theme,
        text: &PlotText,
    ) -> Hits {
        let cv = &crate::Canvas { area, theme, text };
        let result = match self {
            Self::Vectors2d {
                w,
                n,
                highlight,
                names: nm,
            } => crate::feature_vectors_2d(cv, w, *n, names(nm), *highlight),
            Self::Vectors3d {
                w,
                n,
                rotation,
                highlight,
                names: nm,
            } => crate::feature_vectors_3d(
                cv,
                w,
                *n,
                names(nm),
                Rotation {
                    yaw: rotation.0,
                    pitch: rotation.1,
                },
                *highlight,
            ),
            Self::Gram {
                w,
                m,
                n,
                b,
                highlight,
                names: nm,
            } => crate::gram_heatmap(cv, w, *m, *n, b, names(nm), *highlight),
            Self::Norms {
                norms,
                superposition,
                highlight,
                names: nm,
            } => crate::norm_bars(cv, norms, superposition, names(nm), *highlight),
            Self::Neurons {
                w,
                m,
                n,
                highlight,
                names: nm,
            } => crate::neuron_bars(cv, w, *m, *n, names(nm), *highlight),
            Self::Loss {
                series,
                instances,
                highlight,
            } => crate::loss_curves(cv, series, *instances, false, *highlight),
            Self::Multiples {
                panels,
                m,
                n,
                selected,
                highlight,
                names: nm,
            } => {
                let views: Vec<Panel<'_>> = panels
                    .iter()
                    .map(|(instance, title, w, b)| Panel {
                        instance: *instance,
                        title: title.clone(),
                        w,
                        b,
                    })
                    .collect();
                crate::small_multiples(cv, &views, *m, *n, names(nm), *selected, *highlight)
            }
            Self::DimsPerFeature {
                points,
                highlight,
                labels,
            } => crate::dims_per_feature(cv, points, *highlight, labels),
            Self::Energy {
                history,
                highlight,
                labels,
            } => crate::energy_levels(cv, history, *highlight, labels),
            Self::Graph {
                graph,
                n,
                highlight,
                names: nm,
            } => crate::geometry_graph(cv, graph, *n, names(nm), *highlight),
            Self::Phase { diagram } => crate::phase_diagram(cv, diagram),
            Self::Curves {
                curves,
                events,
                log_y,
                y_range,
            } => crate::metric_curves(cv, curves, events, *log_y, *y_range),
            Self::Density {
                counts,
                first_edge,
                dead,
            } => crate::density_histogram(cv, counts, *first_edge, *dead),
            Self::ScoreHistograms { groups, lo, hi } => {
                crate::score_histograms(cv, groups, *lo, *hi)
            }
            Self::QualityBySize { series, current } => crate::quality_by_size(cv, series, *current),
            Self::Dictionary {
                truth,
                learned,
                dim,
                matched,
                alive,
                rotation,
                highlight,
            } => crate::dictionary_directions(
                cv,
                truth,
                learned,
                *dim,
                matched,
                alive,
                Rotation {
                    yaw: rotation.0,
                    pitch: rotation.1,
                },
                *highlight,
            ),
            Self::Cosine {
                cos,
                rows,
                cols,
                latents,
                highlight,
            } => crate::cosine_heatmap(cv, cos, *rows, *cols, latents, *highlight),
            Self::Empty { message } => crate::empty(area, message, theme),
        };
        // A drawing error (a detached canvas, say) leaves the plot as it was; there is nothing
        // useful to show the user beyond the plot not updating.
        result.unwrap_or_default()
    }

    /// The plot as an SVG document of `width x height` pixels, in English on the light theme
    /// (the CLI's figures).
    pub fn svg(&self, width: u32, height: u32) -> String {
        self.render_svg(width, height, &Theme::default(), &PlotText::default())
            .svg
    }

    /// The plot as an SVG document with the given theme and words, and its hover regions.
    pub fn render_svg(&self, width: u32, height: u32, theme: &Theme, text: &PlotText) -> SvgRender {
        let mut svg = String::new();
        let hits;
        {
            let root = plotters_svg::SVGBackend::with_string(&mut svg, (width, height))
                .into_drawing_area();
            hits = self.draw(&root, theme, text);
            let _ = root.present();
        }
        SvgRender { svg, hits }
    }

    /// The numbers behind the plot.
    pub fn csv(&self) -> String {
        let mut out = String::new();
        let matrix = |out: &mut String, w: &[f32], rows: usize, cols: usize| {
            for r in 0..rows {
                let row: Vec<String> = (0..cols).map(|c| w[r * cols + c].to_string()).collect();
                let _ = writeln!(out, "{}", row.join(","));
            }
        };
        match self {
            Self::Vectors2d { w, n, .. } | Self::Vectors3d { w, n, .. } => {
                let m = w.len() / n.max(&1);
                let header: Vec<String> = (0..m).map(|k| format!("h{k}")).collect();
                let _ = writeln!(out, "feature,{}", header.join(","));
                for j in 0..*n {
                    let vals: Vec<String> = (0..m).map(|k| w[k * n + j].to_string()).collect();
                    let _ = writeln!(out, "{j},{}", vals.join(","));
                }
            }
            Self::Gram { w, m, n, b, .. } => {
                let g = polytope_core::tms::gram(w, *m, *n);
                let _ = writeln!(out, "# W^T W ({n} x {n}); last column: bias");
                for r in 0..*n {
                    let row: Vec<String> = (0..*n).map(|c| g[r * n + c].to_string()).collect();
                    let _ = writeln!(out, "{},{}", row.join(","), b[r]);
                }
            }
            Self::Norms {
                norms,
                superposition,
                ..
            } => {
                let _ = writeln!(out, "feature,norm,superposition");
                for (j, (a, s)) in norms.iter().zip(superposition.iter()).enumerate() {
                    let _ = writeln!(out, "{j},{a},{s}");
                }
            }
            Self::Neurons { w, m, n, .. } => {
                let _ = writeln!(out, "# W: {m} neurons (rows) x {n} features (columns)");
                matrix(&mut out, w, *m, *n);
            }
            Self::Loss { series, .. } => {
                let _ = writeln!(out, "instance,step,loss");
                for s in series.iter() {
                    for (step, loss) in &s.points {
                        let _ = writeln!(out, "{},{step},{loss}", s.instance);
                    }
                }
            }
            Self::Multiples { panels, m, n, .. } => {
                let _ = writeln!(out, "instance,row,feature,w");
                for (instance, _, w, _) in panels.iter() {
                    for k in 0..*m {
                        for j in 0..*n {
                            let _ = writeln!(out, "{instance},{k},{j},{}", w[k * n + j]);
                        }
                    }
                }
            }
            Self::DimsPerFeature { points, .. } => {
                let _ = writeln!(
                    out,
                    "instance,inverse_density,dims_per_feature,feature,dimensionality"
                );
                for p in points.iter() {
                    for (j, d) in p.dimensionality.iter().enumerate() {
                        let _ = writeln!(
                            out,
                            "{},{},{},{j},{d}",
                            p.instance, p.inverse_density, p.dims_per_feature
                        );
                    }
                }
            }
            Self::Energy { history, .. } => {
                let _ = writeln!(out, "step,feature,dimensionality");
                for (s, d) in history.steps.iter().zip(&history.dimensionality) {
                    for (j, v) in d.iter().enumerate() {
                        let _ = writeln!(out, "{s},{j},{v}");
                    }
                }
            }
            Self::Graph { graph, .. } => {
                let _ = writeln!(out, "feature_i,feature_j,abs_dot");
                for (i, j, wgt) in &graph.edges {
                    let _ = writeln!(out, "{i},{j},{wgt}");
                }
            }
            Self::Phase { diagram } => {
                let _ = writeln!(out, "density,relative_importance,regime");
                let cols = diagram.importances.len();
                for (r, p) in diagram.densities.iter().enumerate() {
                    for (c, imp) in diagram.importances.iter().enumerate() {
                        let regime = diagram.cells[r * cols + c].map_or("pending", |g| g.name());
                        let _ = writeln!(out, "{p},{imp},{regime}");
                    }
                }
            }
            Self::Curves { curves, events, .. } => {
                let _ = writeln!(out, "metric,step,value");
                for c in curves.iter() {
                    for (step, v) in &c.points {
                        let _ = writeln!(out, "{},{step},{v}", crate::csv_name(&c.name));
                    }
                }
                for (step, count) in events.iter() {
                    let _ = writeln!(out, "resampled,{step},{count}");
                }
            }
            Self::Density {
                counts,
                first_edge,
                dead,
            } => {
                let _ = writeln!(out, "log10_density_from,log10_density_to,latents");
                let _ = writeln!(out, "dead,dead,{dead}");
                for (b, c) in counts.iter().enumerate() {
                    let lo = first_edge + 0.25 * b as f64;
                    let _ = writeln!(out, "{lo},{},{c}", lo + 0.25);
                }
            }
            Self::ScoreHistograms { groups, lo, hi } => {
                let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
                let _ = writeln!(out, "from,to,{}", names.join(","));
                let bins = groups.iter().map(|g| g.counts.len()).max().unwrap_or(0);
                let width = (hi - lo) / bins.max(1) as f64;
                for b in 0..bins {
                    let x0 = lo + width * b as f64;
                    let counts: Vec<String> = groups
                        .iter()
                        .map(|g| g.counts.get(b).copied().unwrap_or(0).to_string())
                        .collect();
                    let _ = writeln!(out, "{x0},{},{}", x0 + width, counts.join(","));
                }
            }
            Self::QualityBySize { series, .. } => {
                let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
                let _ = writeln!(out, "features,{}", names.join(","));
                for f in crate::sizes::sizes_of(series) {
                    let values: Vec<String> = series
                        .iter()
                        .map(|s| s.at(f).map(|v| v.to_string()).unwrap_or_default())
                        .collect();
                    let _ = writeln!(out, "{f},{}", values.join(","));
                }
            }
            Self::Dictionary {
                truth,
                learned,
                dim,
                matched,
                ..
            } => {
                let header: Vec<String> = (0..*dim).map(|k| format!("h{k}")).collect();
                let _ = writeln!(out, "kind,index,matched_true,{}", header.join(","));
                for (j, v) in truth.chunks(*dim).enumerate() {
                    let vals: Vec<String> = v.iter().map(ToString::to_string).collect();
                    let _ = writeln!(out, "true,{j},,{}", vals.join(","));
                }
                for (l, v) in learned.chunks(*dim).enumerate() {
                    let vals: Vec<String> = v.iter().map(ToString::to_string).collect();
                    let m = matched
                        .get(l)
                        .copied()
                        .flatten()
                        .map_or_else(String::new, |j| j.to_string());
                    let _ = writeln!(out, "learned,{l},{m},{}", vals.join(","));
                }
            }
            Self::Cosine {
                cos, rows, cols, ..
            } => {
                let _ = writeln!(
                    out,
                    "# cosine similarity: {rows} true features (rows) x {cols} latents"
                );
                matrix(&mut out, cos, *rows, *cols);
            }
            Self::Empty { .. } => {}
        }
        out
    }
}
