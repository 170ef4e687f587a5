//! Phase diagrams: the regime of the extra feature over a grid of densities (rows, dense at
//! the top) and relative importances (columns), both on log axes, with a theoretical boundary
//! drawn over it.

use crate::Canvas;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
pub use polytope_core::tms::Regime;

use crate::color::okabe_ito;
use crate::{DrawResult, Hit, Hits, PlotText, Target, fill};

/// A cell waiting for its models shows as pending.
pub type PhaseCell = Option<Regime>;

/// Everything the phase plot needs; labels come translated from the caller.
#[derive(Clone, Debug, PartialEq)]
pub struct PhaseDiagram {
    /// Relative importance of each column (increasing).
    pub importances: Vec<f64>,
    /// Density of each row (row 0 densest).
    pub densities: Vec<f64>,
    /// Row-major regimes, `None` while pending.
    pub cells: Vec<PhaseCell>,
    /// Boundary polylines in data coordinates `(importance, density)`.
    pub boundary: Vec<Vec<(f64, f64)>>,
    /// Axis titles, regime names (in [`Regime::ALL`] order), the boundary's caption.
    pub x_label: String,
    pub y_label: String,
    pub regime_labels: [String; 4],
    pub boundary_label: String,
}

impl PhaseDiagram {
    /// The diagram of `spec` with `cells` (row-major, `None` while pending) and the theoretical
    /// boundary, with English labels.
    pub fn from_spec(spec: &polytope_core::tms::PhaseSpec, cells: Vec<PhaseCell>) -> Self {
        Self {
            importances: spec.importances().iter().map(|v| f64::from(*v)).collect(),
            densities: spec.densities().iter().map(|v| f64::from(*v)).collect(),
            cells,
            boundary: spec.theory_boundary(120),
            x_label: "relative importance of the extra feature".into(),
            y_label: "feature density (1 − S)".into(),
            regime_labels: [
                "not learned".into(),
                "dedicated dimension".into(),
                "superposition".into(),
                "other".into(),
            ],
            boundary_label: "theory (approximation)".into(),
        }
    }
}

/// The colour of a regime (also used by the app's legend): Okabe-Ito blue, orange and
/// reddish purple, and a grey that stands apart from the background of either theme.
pub fn regime_color(regime: Regime, dark: bool) -> RGBColor {
    match regime {
        Regime::NotLearned if dark => RGBColor(88, 96, 112),
        Regime::NotLearned => RGBColor(215, 219, 227),
        Regime::Dedicated => okabe_ito(0, dark),
        Regime::Superposition => okabe_ito(4, dark),
        Regime::Other => okabe_ito(3, dark),
    }
}

fn log_edges(values: &[f64]) -> Vec<f64> {
    // Cell edges halfway (in log space) between centres.
    let logs: Vec<f64> = values.iter().map(|v| v.ln()).collect();
    let k = logs.len();
    let step = if k > 1 {
        (logs[k - 1] - logs[0]) / (k - 1) as f64
    } else {
        1.0
    };
    (0..=k)
        .map(|i| (logs[0] + (i as f64 - 0.5) * step).exp())
        .collect()
}

/// The name of a cell's regime in the caller's words, or "pending".
pub(crate) fn regime_label(
    diagram: &PhaseDiagram,
    regime: Option<Regime>,
    text: &PlotText,
) -> String {
    regime.map_or_else(
        || text.pending.to_owned(),
        |g| {
            Regime::ALL
                .iter()
                .position(|r| *r == g)
                .and_then(|k| diagram.regime_labels.get(k))
                .cloned()
                .unwrap_or_else(|| g.name().to_owned())
        },
    )
}

/// Draws the grid, a legend, and the boundary.
pub fn phase_diagram<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    diagram: &PhaseDiagram,
) -> DrawResult<Hits, DB> {
    let Canvas { area, theme, text } = *cv;
    let colors = cv.paper()?;
    let cols = diagram.importances.len();
    let rows = diagram.densities.len();
    if cols == 0 || rows == 0 {
        return crate::empty(area, text.empty_grid, theme);
    }
    let (width, height) = area.dim_in_pixel();
    // The legend: five entries (four regimes and the boundary) on as many rows as their
    // widths need.
    let sw = theme.px(12.0).max(theme.text_h(10.0) * 2 / 3);
    let gap = theme.px(14.0);
    let entry_w = |label: &str| sw + theme.px(4.0) + theme.text_width(label, 10.0) + gap;
    let mut entries: Vec<(Option<Regime>, &str)> = Regime::ALL
        .into_iter()
        .enumerate()
        .map(|(k, r)| (Some(r), diagram.regime_labels[k].as_str()))
        .collect();
    entries.push((None, diagram.boundary_label.as_str()));
    let mut lines: Vec<Vec<(Option<Regime>, &str, i32)>> = vec![Vec::new()];
    let mut x = theme.px(8.0);
    for (regime, label) in entries {
        let w = entry_w(label) + if regime.is_none() { sw } else { 0 };
        if x + w > width as i32 && lines.last().is_some_and(|l| !l.is_empty()) {
            lines.push(Vec::new());
            x = theme.px(8.0);
        }
        if let Some(line) = lines.last_mut() {
            line.push((regime, label, x));
        }
        x += w;
    }
    let line_h = theme.text_h(10.0).max(sw) + theme.px(6.0);
    let legend_h = line_h * lines.len() as i32 + theme.px(4.0);
    let (plot_area, legend) = area.split_vertically(height as i32 - legend_h);
    let xe = log_edges(&diagram.importances);
    let mut ye = log_edges(&diagram.densities);
    ye.reverse(); // increasing densities for the axis
    let font = |size: f64| theme.axis_font(size);
    let mut chart = ChartBuilder::on(&plot_area)
        .margin(theme.px(8.0))
        .margin_right(theme.text_width("0.00", 10.0) / 2 + theme.px(4.0))
        .x_label_area_size(theme.text_h(10.0) + theme.text_h(10.5) + theme.px(12.0))
        .y_label_area_size(theme.text_width("0.00", 10.0) + theme.text_h(10.5) + theme.px(12.0))
        .build_cartesian_2d((xe[0]..xe[cols]).log_scale(), (ye[0]..ye[rows]).log_scale())?;
    let edges_x = xe.clone();
    let edges_y = log_edges(&diagram.densities);
    let mut hits = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            let regime = diagram.cells.get(r * cols + c).copied().flatten();
            let color = regime.map_or(colors.paper.mix(1.0), |g| {
                regime_color(g, colors.dark).mix(1.0)
            });
            // Row r spans densities between its two edges (edges_y decreases with r).
            let a = (edges_x[c], edges_y[r]);
            let b = (edges_x[c + 1], edges_y[r + 1]);
            chart.draw_series(std::iter::once(Rectangle::new([a, b], color.filled())))?;
            let pa = chart.backend_coord(&a);
            let pb = chart.backend_coord(&b);
            hits.push(Hit {
                target: Target::Cell { row: r, col: c },
                x0: pa.0.min(pb.0),
                y0: pa.1.min(pb.1),
                x1: pa.0.max(pb.0),
                y1: pa.1.max(pb.1),
                label: fill(
                    text.tip_phase,
                    &[
                        ("density", &format!("{:.3}", diagram.densities[r])),
                        ("importance", &format!("{:.2}", diagram.importances[c])),
                        ("regime", &regime_label(diagram, regime, text)),
                    ],
                ),
            });
        }
    }
    crate::mesh(&mut chart, theme)
        .disable_mesh()
        .x_labels(5)
        .y_labels(5)
        .x_label_formatter(&|x| format!("{x:.2}"))
        .y_label_formatter(&|y| format!("{y:.2}"))
        .x_desc(diagram.x_label.clone())
        .y_desc(diagram.y_label.clone())
        .axis_desc_style(font(10.5))
        .draw()?;
    let dashed = colors.ink.stroke_width(theme.px(2.0).max(1) as u32);
    for line in &diagram.boundary {
        let inside: Vec<(f64, f64)> = line
            .iter()
            .filter(|(x, y)| *x >= xe[0] && *x <= xe[cols] && *y >= ye[0] && *y <= ye[rows])
            .copied()
            .collect();
        if inside.len() >= 2 {
            chart.draw_series(DashedLineSeries::new(
                inside,
                theme.px(6.0).max(1) as u32,
                theme.px(4.0).max(1) as u32,
                dashed,
            ))?;
        }
    }

    // The legend: swatches (a dashed line for the boundary) and their labels.
    for (row, line) in lines.iter().enumerate() {
        let y = theme.px(2.0) + line_h * row as i32 + line_h / 2;
        for (regime, label, x) in line {
            let x = *x;
            let text_x = if let Some(g) = regime {
                legend.draw(&Rectangle::new(
                    [(x, y - sw / 2), (x + sw, y + sw / 2)],
                    regime_color(*g, colors.dark).filled(),
                ))?;
                if *g == Regime::NotLearned {
                    legend.draw(&Rectangle::new(
                        [(x, y - sw / 2), (x + sw, y + sw / 2)],
                        colors.muted.stroke_width(1),
                    ))?;
                }
                x + sw + theme.px(4.0)
            } else {
                legend.draw(&PathElement::new(vec![(x, y), (x + sw * 2, y)], dashed))?;
                x + sw * 2 + theme.px(4.0)
            };
            legend.draw(&Text::new(
                (*label).to_owned(),
                (text_x, y),
                theme.text_at(10.0, colors.ink, HPos::Left, VPos::Center),
            ))?;
        }
    }
    Ok(hits)
}
