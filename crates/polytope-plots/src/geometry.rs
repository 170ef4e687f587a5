//! The polytopes: dimensions per feature against sparsity with the sticky fractions, feature
//! dimensionality over training (energy-level jumps), and the feature geometry graph.

use crate::Canvas;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use polytope_core::tms::GeometryGraph;

use crate::{
    DrawResult, Hit, Hits, Target, Theme, feature_color, feature_label, fill, instance_color,
};

/// The values `D_i` sticks to, with the polytope each one means (English names; the app passes
/// translated labels to the plots).
pub const STICKY_FRACTIONS: [(f64, &str); 6] = [
    (1.0, "1"),
    (0.75, "3/4 tetrahedron"),
    (2.0 / 3.0, "2/3 triangle"),
    (0.5, "1/2 digon"),
    (0.4, "2/5 pentagon"),
    (0.375, "3/8 square antiprism"),
];

/// One instance on the dimensions-per-feature plot.
#[derive(Clone, Debug, PartialEq)]
pub struct InstancePoint {
    pub instance: usize,
    /// `1 / (1 - S)`: the inverse feature density.
    pub inverse_density: f64,
    /// `D* = m / ||W||_F^2`.
    pub dims_per_feature: f32,
    /// `D_i` of every feature.
    pub dimensionality: Vec<f32>,
}

fn sticky_lines<DB, X>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, plotters::coord::types::RangedCoordf64>>,
    x_range: (f64, f64),
    labels: &[&str; 6],
    theme: &Theme,
) -> DrawResult<(), DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64>,
{
    // Labels go above their line; one that would overlap a label already placed is left out
    // (the lines stay), in this order of importance: 1, 1/2, 2/3, 2/5, 3/4, 3/8.
    let line_h = theme.font_px(9.5) * 1.05;
    let mut placed: Vec<f64> = Vec::new();
    let mut shown = [false; 6];
    for k in [0, 3, 2, 4, 1, 5] {
        let y = f64::from(chart.backend_coord(&(x_range.1, STICKY_FRACTIONS[k].0)).1);
        if placed.iter().all(|p| (p - y).abs() >= line_h) {
            placed.push(y);
            shown[k] = true;
        }
    }
    for (((y, _), label), show) in STICKY_FRACTIONS.iter().zip(labels).zip(shown) {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x_range.0, *y), (x_range.1, *y)],
            theme.colors.grid.stroke_width(theme.px(1.0).max(1) as u32),
        )))?;
        if show {
            chart.draw_series(std::iter::once(
                EmptyElement::at((x_range.1, *y))
                    + Text::new(
                        (*label).to_owned(),
                        (-theme.px(4.0), -theme.px(2.0)),
                        theme.text_at(9.5, theme.colors.muted, HPos::Right, VPos::Bottom),
                    ),
            ))?;
        }
    }
    Ok(())
}

/// `D*` of each instance against `1 / (1 - S)` (log), the `D_i` of its features as dots, and
/// labelled lines at the sticky fractions. `highlight` is an instance.
pub fn dims_per_feature<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    points: &[InstancePoint],
    highlight: Option<usize>,
    labels: &[&str; 6],
) -> DrawResult<Hits, DB> {
    let Canvas { area, theme, text } = *cv;
    let c = cv.paper()?;
    if points.is_empty() {
        return crate::empty(area, text.no_instances, theme);
    }
    let xmax = points
        .iter()
        .map(|p| p.inverse_density)
        .fold(20.0f64, f64::max)
        * 1.2;
    let font = |size: f64| theme.axis_font(size);
    let mut chart = ChartBuilder::on(area)
        .margin(theme.px(8.0))
        .margin_right(
            theme
                .px(8.0)
                .max(theme.text_width("000", 10.0) / 2 + theme.px(2.0)),
        )
        .x_label_area_size(2 * theme.text_h(10.0) + theme.px(10.0))
        .y_label_area_size(theme.text_width("0.0", 10.0) + theme.px(12.0))
        .build_cartesian_2d((0.9..xmax).log_scale(), 0.0..1.12)?;
    crate::mesh(&mut chart, theme)
        .disable_mesh()
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.1}"))
        .x_desc("1 / (1 − S)")
        .axis_desc_style(font(10.0))
        .draw()?;
    sticky_lines(&mut chart, (0.9, xmax), labels, theme)?;

    let mut hits = Vec::new();
    let count = points.len();
    let dot = theme.px(2.2).max(1);
    for p in points {
        let n = p.dimensionality.len().max(1);
        let faded = highlight.is_some_and(|h| h != p.instance);
        for (j, d) in p.dimensionality.iter().enumerate() {
            // A small deterministic spread in x keeps clusters visible.
            let jitter = 1.0 + 0.06 * ((j as f64 + 0.5) / n as f64 - 0.5);
            let at = (p.inverse_density * jitter, f64::from(*d));
            let color =
                instance_color(p.instance, count, c.dark).mix(if faded { 0.15 } else { 0.55 });
            chart.draw_series(std::iter::once(Circle::new(at, dot, color.filled())))?;
            if !faded {
                let c = chart.backend_coord(&at);
                hits.push(Hit::around(
                    Target::InstanceFeature {
                        instance: p.instance,
                        feature: j,
                    },
                    c,
                    dot + theme.px(1.0),
                    fill(
                        text.tip_dims_feature,
                        &[
                            ("instance", &p.instance),
                            ("feature", &j),
                            ("d", &format!("{d:.3}")),
                        ],
                    ),
                ));
            }
        }
    }
    let mut line: Vec<(f64, f64)> = points
        .iter()
        .map(|p| (p.inverse_density, f64::from(p.dims_per_feature)))
        .collect();
    line.sort_by(|a, b| a.0.total_cmp(&b.0));
    chart.draw_series(std::iter::once(PathElement::new(
        line,
        c.ink.stroke_width(theme.px(2.0).max(1) as u32),
    )))?;
    for p in points {
        let at = (p.inverse_density, f64::from(p.dims_per_feature));
        let big = if highlight == Some(p.instance) {
            theme.px(6.0)
        } else {
            theme.px(4.0)
        };
        chart.draw_series(std::iter::once(Circle::new(at, big, c.ink.filled())))?;
        hits.push(Hit::around(
            Target::Instance(p.instance),
            chart.backend_coord(&at),
            big + theme.px(2.0),
            fill(
                text.tip_dims_instance,
                &[
                    ("instance", &p.instance),
                    ("x", &format!("{:.2}", p.inverse_density)),
                    ("d", &format!("{:.3}", p.dims_per_feature)),
                ],
            ),
        ));
    }
    Ok(hits)
}

/// Feature dimensionality over training, recorded at (roughly log-spaced) steps.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EnergyHistory {
    pub steps: Vec<f64>,
    /// `D_i` of every feature at each recorded step.
    pub dimensionality: Vec<Vec<f32>>,
    /// `(step, loss)` of the instance.
    pub loss: Vec<(f64, f64)>,
}

/// `D_i` of each feature against steps (log), with the sticky fractions, and the loss beneath:
/// the energy-level jumps of the paper, where the loss drops as features change geometry.
pub fn energy_levels<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    history: &EnergyHistory,
    highlight: Option<usize>,
    labels: &[&str; 6],
) -> DrawResult<Hits, DB> {
    let Canvas { area, theme, text } = *cv;
    let c = cv.paper()?;
    if history.steps.len() < 2 {
        return crate::empty(area, text.not_started, theme);
    }
    let (_, height) = area.dim_in_pixel();
    let (top, bottom) = area.split_vertically((f64::from(height) * 0.68) as u32);
    let xmax = history.steps.last().copied().unwrap_or(10.0).max(10.0) * 1.05;
    let font = |size: f64| theme.axis_font(size);
    let y_area = theme.text_width("0e-00", 10.0) + theme.text_h(10.0) + theme.px(12.0);
    let right = theme
        .px(8.0)
        .max(theme.text_width("000", 10.0) / 2 + theme.px(2.0));
    let mut chart = ChartBuilder::on(&top)
        .margin(theme.px(8.0))
        .margin_right(right)
        .x_label_area_size(theme.px(4.0))
        .y_label_area_size(y_area)
        .build_cartesian_2d((1.0..xmax).log_scale(), 0.0..1.12)?;
    crate::mesh(&mut chart, theme)
        .disable_mesh()
        .y_labels(6)
        .x_label_formatter(&|_| String::new())
        .y_label_formatter(&|y| format!("{y:.1}"))
        .y_desc("D_i")
        .axis_desc_style(font(10.0))
        .draw()?;
    sticky_lines(&mut chart, (1.0, xmax), labels, theme)?;
    let n = history.dimensionality.first().map_or(0, Vec::len);
    let mut hits = Vec::new();
    let stroke = theme.px(1.6).max(1) as u32;
    for j in 0..n {
        let pts: Vec<(f64, f64)> = history
            .steps
            .iter()
            .zip(&history.dimensionality)
            .filter(|(s, _)| **s >= 1.0)
            .map(|(s, d)| (*s, f64::from(d[j])))
            .collect();
        let alpha = match highlight {
            Some(h) if h == j => 1.0,
            Some(_) => 0.15,
            None => 0.8,
        };
        let width = if highlight == Some(j) {
            stroke * 2
        } else {
            stroke
        };
        if let Some(last) = pts.last().copied() {
            chart.draw_series(std::iter::once(PathElement::new(
                pts,
                feature_color(j, n, c.dark).mix(alpha).stroke_width(width),
            )))?;
            hits.push(Hit::around(
                Target::Feature(j),
                chart.backend_coord(&last),
                theme.px(6.0),
                fill(
                    text.tip_energy,
                    &[
                        ("feature", &j),
                        ("d", &format!("{:.3}", last.1)),
                        ("step", &format!("{:.0}", last.0)),
                    ],
                ),
            ));
        }
    }
    let losses: Vec<(f64, f64)> = history
        .loss
        .iter()
        .filter(|(s, l)| *s >= 1.0 && l.is_finite() && *l > 0.0)
        .copied()
        .collect();
    if let (Some(lo), Some(hi)) = (
        losses.iter().map(|p| p.1).reduce(f64::min),
        losses.iter().map(|p| p.1).reduce(f64::max),
    ) {
        let mut loss_chart = ChartBuilder::on(&bottom)
            .margin(theme.px(8.0))
            .margin_right(right)
            .x_label_area_size(2 * theme.text_h(10.0) + theme.px(8.0))
            .y_label_area_size(y_area)
            .build_cartesian_2d(
                (1.0..xmax).log_scale(),
                (lo / 1.2..(hi * 1.2).max(lo * 2.0)).log_scale(),
            )?;
        crate::mesh(&mut loss_chart, theme)
            .disable_mesh()
            .x_labels(6)
            .y_labels(3)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0e}"))
            .x_desc(text.step)
            .y_desc(text.loss)
            .axis_desc_style(font(10.0))
            .draw()?;
        loss_chart.draw_series(std::iter::once(PathElement::new(
            losses,
            c.ink.stroke_width(stroke),
        )))?;
    }
    Ok(hits)
}

/// The feature geometry graph: represented features as nodes grouped by connected component
/// (tegum factor), edges weighted by `|W_i . W_j|`; nodes are named by `names` when given.
pub fn geometry_graph<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    graph: &GeometryGraph,
    n: usize,
    names: Option<&[String]>,
    highlight: Option<usize>,
) -> DrawResult<Hits, DB> {
    let Canvas { area, theme, text } = *cv;
    let colors = cv.paper()?;
    if graph.components.is_empty() {
        return crate::empty(area, text.no_represented, theme);
    }
    let (width, height) = area.dim_in_pixel();
    let count = graph.components.len();
    let cols = (count as f64).sqrt().ceil() as usize;
    let rows = count.div_ceil(cols);
    let cell_w = f64::from(width) / cols as f64;
    let cell_h = f64::from(height) / rows as f64;
    let mut pos = vec![None; n];
    for (c, comp) in graph.components.iter().enumerate() {
        let cx = (c % cols) as f64 * cell_w + cell_w / 2.0;
        let cy = (c / cols) as f64 * cell_h + cell_h / 2.0;
        let r = cell_w.min(cell_h) * 0.33;
        for (k, f) in comp.iter().enumerate() {
            let a =
                std::f64::consts::TAU * k as f64 / comp.len() as f64 - std::f64::consts::FRAC_PI_2;
            let (x, y) = if comp.len() == 1 {
                (cx, cy)
            } else {
                (cx + r * a.cos(), cy + r * a.sin())
            };
            if let Some(slot) = pos.get_mut(*f as usize) {
                *slot = Some((x.round() as i32, y.round() as i32));
            }
        }
    }
    let max_w = graph.edges.iter().map(|e| e.2).fold(1e-6f32, f32::max);
    for (i, j, weight) in &graph.edges {
        if let (Some(a), Some(b)) = (pos[*i as usize], pos[*j as usize]) {
            let t = f64::from(weight / max_w);
            let faded = highlight.is_some_and(|h| h != *i as usize && h != *j as usize);
            let color = colors.ink.mix(if faded { 0.1 } else { 0.25 + 0.6 * t });
            let stroke = theme.px(1.0 + 3.0 * t).max(1) as u32;
            area.draw(&PathElement::new(vec![a, b], color.stroke_width(stroke)))?;
        }
    }
    let mut hits = Vec::new();
    // Nodes big enough to hold their number.
    let node = theme.px(9.0).max((theme.font_px(9.0) * 0.75).ceil() as i32);
    for (f, p) in pos.iter().enumerate() {
        let Some(p) = p else { continue };
        let color = feature_color(f, n, colors.dark).mix(if highlight.is_some_and(|h| h != f) {
            0.35
        } else {
            1.0
        });
        area.draw(&Circle::new(*p, node, color.filled()))?;
        if highlight == Some(f) {
            area.draw(&Circle::new(
                *p,
                node + theme.px(2.0),
                colors.ink.stroke_width(theme.px(1.5).max(1) as u32),
            ))?;
        }
        let name = feature_label(names, f);
        if n <= 60 {
            // Numbers inside the node (in the page's colour, on the node's); names beside it.
            let (at, style) = if names.is_some() {
                (
                    (p.0, p.1 + node + theme.px(2.0)),
                    theme.text_at(9.0, colors.muted, HPos::Center, VPos::Top),
                )
            } else {
                (
                    *p,
                    theme.text_at(9.0, colors.paper, HPos::Center, VPos::Center),
                )
            };
            area.draw(&Text::new(name.clone(), at, style))?;
        }
        hits.push(Hit::around(
            Target::Feature(f),
            *p,
            node,
            fill(text.tip_feature, &[("feature", &name)]),
        ));
    }
    Ok(crate::to_backend(area, hits))
}
