//! Phase diagrams: the regime of the extra feature over a grid of densities (rows, dense at
//! the top) and relative importances (columns), both on log axes, with a theoretical boundary
//! drawn over it.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
pub use polytope_core::tms::Regime;

use crate::{DrawResult, Hit, Hits, INK, MUTED, PAPER, Target, Theme};

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

/// The colour of a regime (also used by the app's legend).
pub fn regime_color(regime: Regime) -> RGBColor {
    match regime {
        Regime::NotLearned => RGBColor(225, 228, 234),
        Regime::Dedicated => RGBColor(59, 110, 197),
        Regime::Superposition => RGBColor(232, 126, 4),
        Regime::Other => RGBColor(150, 110, 170),
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

/// Draws the grid, a legend, and the boundary.
pub fn phase_diagram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    diagram: &PhaseDiagram,
    theme: &Theme,
) -> DrawResult<Hits, DB> {
    area.fill(&PAPER)?;
    let cols = diagram.importances.len();
    let rows = diagram.densities.len();
    if cols == 0 || rows == 0 {
        return crate::empty(area, "empty grid", theme);
    }
    let (_, height) = area.dim_in_pixel();
    let legend_h = theme.px(24.0);
    let (plot_area, legend) = area.split_vertically(height as i32 - legend_h);
    let xe = log_edges(&diagram.importances);
    let mut ye = log_edges(&diagram.densities);
    ye.reverse(); // increasing densities for the axis
    let font = |size: f64| (theme.font, size * theme.scale).into_font().color(&MUTED);
    let mut chart = ChartBuilder::on(&plot_area)
        .margin(theme.px(8.0))
        .x_label_area_size(theme.px(34.0))
        .y_label_area_size(theme.px(44.0))
        .build_cartesian_2d((xe[0]..xe[cols]).log_scale(), (ye[0]..ye[rows]).log_scale())?;
    let edges_x = xe.clone();
    let edges_y = log_edges(&diagram.densities);
    let mut hits = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            let regime = diagram.cells.get(r * cols + c).copied().flatten();
            let color = regime.map_or(PAPER.mix(1.0), |g| regime_color(g).mix(1.0));
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
                label: format!(
                    "density {:.3}, relative importance {:.2}: {}",
                    diagram.densities[r],
                    diagram.importances[c],
                    regime.map_or("pending", Regime::name)
                ),
            });
        }
    }
    chart
        .configure_mesh()
        .disable_mesh()
        .axis_style(MUTED)
        .x_labels(5)
        .y_labels(5)
        .x_label_style(font(10.0))
        .y_label_style(font(10.0))
        .x_label_formatter(&|x| format!("{x:.2}"))
        .y_label_formatter(&|y| format!("{y:.2}"))
        .x_desc(diagram.x_label.clone())
        .y_desc(diagram.y_label.clone())
        .axis_desc_style(font(10.5))
        .draw()?;
    let dashed = INK.stroke_width(theme.px(2.0).max(1) as u32);
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

    // Legend: four swatches and the boundary.
    let (lw, _) = legend.dim_in_pixel();
    let slots = 5;
    let slot_w = lw as i32 / slots;
    let y = legend_h / 2;
    let sw = theme.px(12.0);
    for (k, regime) in Regime::ALL.into_iter().enumerate() {
        let x = k as i32 * slot_w + theme.px(8.0);
        legend.draw(&Rectangle::new(
            [(x, y - sw / 2), (x + sw, y + sw / 2)],
            regime_color(regime).filled(),
        ))?;
        legend.draw(&Text::new(
            diagram.regime_labels[k].clone(),
            (x + sw + theme.px(4.0), y),
            theme.text_at(10.0, INK, HPos::Left, VPos::Center),
        ))?;
    }
    let x = 4 * slot_w + theme.px(8.0);
    legend.draw(&PathElement::new(vec![(x, y), (x + sw * 2, y)], dashed))?;
    legend.draw(&Text::new(
        diagram.boundary_label.clone(),
        (x + sw * 2 + theme.px(4.0), y),
        theme.text_at(10.0, INK, HPos::Left, VPos::Center),
    ))?;
    Ok(hits)
}
