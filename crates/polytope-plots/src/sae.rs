//! Plots of sparse-autoencoder training: metric curves with resampling events, the feature
//! density histogram, learned decoder directions over the true ones, and the learned x true
//! cosine-similarity matrix.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::{
    DrawResult, GRID, Hit, Hits, INK, MUTED, PAPER, Rotation, Target, Theme, arrow, diverging,
    feature_color,
};

/// One metric over steps.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    pub name: String,
    /// Index into the palette (stable per metric, so colours do not change between plots).
    pub color: usize,
    /// `(step, value)`, steps increasing.
    pub points: Vec<(f64, f64)>,
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(59, 82, 139),
    RGBColor(217, 95, 2),
    RGBColor(33, 145, 140),
    RGBColor(231, 41, 138),
    RGBColor(117, 112, 179),
    RGBColor(166, 118, 29),
];

/// Colour `i` of the curve palette.
pub fn curve_color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

const RESAMPLE: RGBColor = RGBColor(200, 40, 40);

/// Curves on shared axes (steps linear; values log when `log_y`, else linear from
/// `y_range`), a legend, and a dashed vertical line at every resampling step.
pub fn metric_curves<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    curves: &[Curve],
    events: &[(f64, u32)],
    log_y: bool,
    y_range: Option<(f64, f64)>,
    theme: &Theme,
) -> DrawResult<Hits, DB> {
    area.fill(&PAPER)?;
    let usable = |v: f64| v.is_finite() && (!log_y || v > 0.0);
    let (mut lo, mut hi, mut xmax) = (f64::INFINITY, f64::NEG_INFINITY, 1.0f64);
    for c in curves {
        for (x, y) in &c.points {
            if usable(*y) {
                lo = lo.min(*y);
                hi = hi.max(*y);
            }
            xmax = xmax.max(*x);
        }
    }
    if !lo.is_finite() {
        return crate::empty(area, "no steps yet", theme);
    }
    let (lo, hi) = match y_range {
        Some(r) => r,
        None if log_y => (lo / 1.3, (hi * 1.3).max(lo * 10.0)),
        None => {
            let pad = ((hi - lo) * 0.08).max(1e-3);
            (lo - pad, hi + pad)
        }
    };
    let font = |size: f64| (theme.font, size * theme.scale).into_font().color(&MUTED);
    let mut hits = Vec::new();
    macro_rules! body {
        ($chart:ident) => {{
            $chart
                .configure_mesh()
                .light_line_style(GRID.mix(0.4))
                .bold_line_style(GRID)
                .axis_style(MUTED)
                .x_labels(5)
                .y_labels(4)
                .x_label_style(font(10.0))
                .y_label_style(font(10.0))
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| {
                    if log_y {
                        format!("{y:.0e}")
                    } else {
                        format!("{y:.2}")
                    }
                })
                .draw()?;
            let line = RESAMPLE.mix(0.55).stroke_width(theme.px(1.2).max(1) as u32);
            for (step, count) in events {
                $chart.draw_series(LineSeries::new(vec![(*step, lo), (*step, hi)], line))?;
                let top = $chart.backend_coord(&(*step, hi));
                let bottom = $chart.backend_coord(&(*step, lo));
                hits.push(Hit {
                    target: Target::Cell {
                        row: 0,
                        col: *step as usize,
                    },
                    x0: top.0 - theme.px(4.0),
                    y0: top.1,
                    x1: top.0 + theme.px(4.0),
                    y1: bottom.1,
                    label: format!("resampled {count} dead latents at step {step:.0}"),
                });
            }
            let stroke = theme.px(1.6).max(1) as u32;
            for (i, c) in curves.iter().enumerate() {
                let pts: Vec<(f64, f64)> = c
                    .points
                    .iter()
                    .filter(|(_, y)| usable(*y))
                    .map(|(x, y)| (*x, y.clamp(lo, hi)))
                    .collect();
                let color = curve_color(c.color);
                if let Some(last) = pts.last().copied() {
                    $chart.draw_series(LineSeries::new(pts, color.stroke_width(stroke)))?;
                    let p = $chart.backend_coord(&last);
                    hits.push(Hit {
                        target: Target::Instance(i),
                        x0: p.0 - theme.px(6.0),
                        y0: p.1 - theme.px(6.0),
                        x1: p.0 + theme.px(6.0),
                        y1: p.1 + theme.px(6.0),
                        label: format!("{}: {:.4} at step {:.0}", c.name, last.1, last.0),
                    });
                }
            }
        }};
    }
    // The legend, in a row above the chart, drawn by hand: plotters' own legend measures text
    // through the DOM, which the page's content security policy forbids.
    let (legend, area) = area.split_vertically(theme.px(18.0));
    let mut x = theme.px(50.0);
    for c in curves {
        let color = curve_color(c.color);
        let y = theme.px(9.0);
        legend.draw(&PathElement::new(
            vec![(x, y), (x + theme.px(14.0), y)],
            color.stroke_width(theme.px(3.0).max(1) as u32),
        ))?;
        legend.draw(&Text::new(
            c.name.clone(),
            (x + theme.px(18.0), y),
            theme.text_at(10.0, INK, HPos::Left, VPos::Center),
        ))?;
        // About 6 pixels per character at 10 px: text is never measured here.
        x += theme.px(18.0 + 6.0 * c.name.chars().count() as f64 + 14.0);
    }
    let area = &area;
    let margin = theme.px(6.0);
    if log_y {
        let mut chart = ChartBuilder::on(area)
            .margin(margin)
            .margin_right(theme.px(16.0))
            .x_label_area_size(theme.px(22.0))
            .y_label_area_size(theme.px(44.0))
            .build_cartesian_2d(0.0..xmax, (lo..hi).log_scale())?;
        body!(chart);
    } else {
        let mut chart = ChartBuilder::on(area)
            .margin(margin)
            .margin_right(theme.px(16.0))
            .x_label_area_size(theme.px(22.0))
            .y_label_area_size(theme.px(44.0))
            .build_cartesian_2d(0.0..xmax, lo..hi)?;
        body!(chart);
    }
    Ok(hits)
}

/// Latents per bin of `log10(density)` (bins of width 0.25 from `first_edge`), with the dead
/// latents as a separate bar on the left.
pub fn density_histogram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    counts: &[u32],
    first_edge: f64,
    dead: u32,
    theme: &Theme,
) -> DrawResult<Hits, DB> {
    area.fill(&PAPER)?;
    let total: u32 = counts.iter().sum::<u32>() + dead;
    if total == 0 {
        return crate::empty(area, "no densities yet", theme);
    }
    let ymax = f64::from(counts.iter().copied().max().unwrap_or(0).max(dead).max(1)) * 1.1;
    let width = 0.25;
    let x_lo = first_edge - 1.0;
    let x_hi = first_edge + width * counts.len() as f64;
    let font = |size: f64| (theme.font, size * theme.scale).into_font().color(&MUTED);
    let mut chart = ChartBuilder::on(area)
        .margin(theme.px(6.0))
        .x_label_area_size(theme.px(34.0))
        .y_label_area_size(theme.px(40.0))
        .build_cartesian_2d(x_lo..x_hi, 0.0..ymax)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(GRID.mix(0.4))
        .bold_line_style(GRID)
        .axis_style(MUTED)
        .x_labels(8)
        .y_labels(4)
        .x_label_style(font(10.0))
        .y_label_style(font(10.0))
        .x_label_formatter(&|x| {
            if *x < first_edge - 0.01 {
                String::new()
            } else {
                format!("{x:.0}")
            }
        })
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    let mut hits = Vec::new();
    let bar = |x0: f64, x1: f64, c: u32, color: RGBColor| {
        Rectangle::new([(x0, 0.0), (x1, f64::from(c))], color.filled())
    };
    if dead > 0 {
        chart.draw_series([bar(x_lo + 0.2, x_lo + 0.7, dead, RESAMPLE)])?;
    }
    let p0 = chart.backend_coord(&(x_lo + 0.2, 0.0));
    let p1 = chart.backend_coord(&(x_lo + 0.7, f64::from(dead)));
    chart.draw_series(std::iter::once(Text::new(
        "dead".to_owned(),
        (x_lo + 0.45, f64::from(dead)),
        theme.text_at(10.0, RESAMPLE, HPos::Center, VPos::Bottom),
    )))?;
    hits.push(Hit {
        target: Target::Cell { row: 0, col: 0 },
        x0: p0.0,
        y0: p1.1.min(p0.1 - theme.px(12.0)),
        x1: p1.0,
        y1: p0.1,
        label: format!("{dead} dead latents (never fired)"),
    });
    let fill = RGBColor(59, 82, 139);
    chart.draw_series(
        counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(b, c)| {
                let x0 = first_edge + width * b as f64;
                bar(x0 + 0.02, x0 + width - 0.02, *c, fill)
            }),
    )?;
    for (b, c) in counts.iter().enumerate() {
        if *c == 0 {
            continue;
        }
        let x0 = first_edge + width * b as f64;
        let a = chart.backend_coord(&(x0, 0.0));
        let z = chart.backend_coord(&(x0 + width, f64::from(*c)));
        hits.push(Hit {
            target: Target::Cell { row: 0, col: b + 1 },
            x0: a.0,
            y0: z.1,
            x1: z.0,
            y1: a.1,
            label: format!(
                "{c} latents with density 10^{x0:.2} to 10^{:.2}",
                x0 + width
            ),
        });
    }
    Ok(hits)
}

/// Learned decoder directions (thin, coloured by their matched true feature, grey when
/// unmatched) over the true feature directions (thick, light) in 2-D (`dim` = 2) or a rotated
/// 3-D view (`dim` = 3). `truth` is `[t, dim]` unit rows, `learned` `[s, dim]`, `matched[l]` the
/// true feature latent `l` is matched to, if any; `alive[l]` whether it fired recently.
#[allow(clippy::too_many_arguments)]
pub fn dictionary_directions<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    truth: &[f32],
    learned: &[f32],
    dim: usize,
    matched: &[Option<usize>],
    alive: &[bool],
    rotation: Rotation,
    highlight: Option<usize>,
    theme: &Theme,
) -> DrawResult<Hits, DB> {
    area.fill(&PAPER)?;
    if !(2..=3).contains(&dim) {
        return crate::empty(area, "directions are drawn for 2 or 3 dimensions", theme);
    }
    let (width, height) = area.dim_in_pixel();
    let side = f64::from(width.min(height));
    let c = (width as i32 / 2, height as i32 / 2);
    let project = |v: &[f32]| -> (f64, f64, f64) {
        let x = f64::from(v[0]);
        let y = f64::from(v[1]);
        let z = if dim == 3 { f64::from(v[2]) } else { 0.0 };
        if dim == 2 {
            return (x, y, 0.0);
        }
        let (sy, cy) = rotation.yaw.sin_cos();
        let (sp, cp) = rotation.pitch.sin_cos();
        let x1 = cy * x + sy * z;
        let z1 = -sy * x + cy * z;
        let y1 = cp * y - sp * z1;
        let depth = sp * y + cp * z1;
        (x1, y1, depth)
    };
    let norm = |v: &[f32]| v.iter().map(|a| f64::from(*a).powi(2)).sum::<f64>().sqrt();
    let radius = learned
        .chunks(dim)
        .map(norm)
        .chain(truth.chunks(dim).map(norm))
        .fold(1.0, f64::max)
        * 1.1;
    let unit = side / 2.0 / radius;
    let to_px = |(x, y, _): (f64, f64, f64)| {
        (
            c.0 + (x * unit).round() as i32,
            c.1 - (y * unit).round() as i32,
        )
    };
    let thin = GRID.stroke_width(theme.px(1.0).max(1) as u32);
    area.draw(&Circle::new(c, unit.round() as i32, thin))?;
    let t_count = truth.len() / dim;
    let mut hits = Vec::new();
    let head = 9.0 * theme.scale;
    for (j, v) in truth.chunks(dim).enumerate() {
        let p = project(v);
        let color = feature_color(j, t_count);
        let alpha = if highlight.is_some_and(|h| h != j) {
            0.12
        } else {
            0.3
        };
        arrow(
            area,
            c,
            to_px(p),
            color.mix(alpha),
            theme.px(7.0).max(2) as u32,
            head * 1.3,
        )?;
        hits.push(Hit::around(
            Target::Feature(j),
            to_px(p),
            theme.px(8.0),
            format!("true feature {j}"),
        ));
    }
    // Learned directions back to front.
    let mut order: Vec<usize> = (0..learned.len() / dim).collect();
    order.sort_by(|a, b| {
        project(&learned[a * dim..(a + 1) * dim])
            .2
            .total_cmp(&project(&learned[b * dim..(b + 1) * dim]).2)
    });
    for l in order {
        let v = &learned[l * dim..(l + 1) * dim];
        let p = project(v);
        let m = matched.get(l).copied().flatten();
        let color: RGBAColor = match m {
            Some(j) => feature_color(j, t_count).to_rgba(),
            None => MUTED.mix(0.6),
        };
        let dimmed =
            highlight.is_some_and(|h| m != Some(h)) || !alive.get(l).copied().unwrap_or(true);
        let color = if dimmed { color.mix(0.25) } else { color };
        arrow(area, c, to_px(p), color, theme.px(1.6).max(1) as u32, head)?;
        hits.push(Hit::around(
            m.map_or(
                Target::Cell {
                    row: l,
                    col: usize::MAX,
                },
                Target::Feature,
            ),
            to_px(p),
            theme.px(5.0),
            format!(
                "latent {l}{}{}",
                m.map_or_else(
                    || " (unmatched)".to_owned(),
                    |j| format!(" → true feature {j}")
                ),
                if alive.get(l).copied().unwrap_or(true) {
                    ""
                } else {
                    ", dead"
                }
            ),
        ));
    }
    Ok(crate::to_backend(area, hits))
}

/// The cosine similarity of true features (rows) with learned latents (columns): `cos` is
/// `[rows, cols]` in display order (matched latents first), `latents[c]` the latent shown in
/// column `c`; colours from -1 to 1.
pub fn cosine_heatmap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    cos: &[f32],
    rows: usize,
    cols: usize,
    latents: &[usize],
    highlight: Option<usize>,
    theme: &Theme,
) -> DrawResult<Hits, DB> {
    area.fill(&PAPER)?;
    if rows == 0 || cols == 0 {
        return crate::empty(area, "no ground truth", theme);
    }
    let (width, height) = area.dim_in_pixel();
    let label = theme.px(18.0);
    let cw = (f64::from(width) - f64::from(label)) / cols as f64;
    let ch = (f64::from(height) - f64::from(label)) / rows as f64;
    let mut hits = Vec::new();
    for r in 0..rows {
        for (k, c) in latents.iter().enumerate().take(cols) {
            let v = cos[r * cols + k];
            let x0 = label + (k as f64 * cw).floor() as i32;
            let x1 = label + ((k + 1) as f64 * cw).ceil() as i32;
            let y0 = label + (r as f64 * ch).floor() as i32;
            let y1 = label + ((r + 1) as f64 * ch).ceil() as i32;
            area.draw(&Rectangle::new([(x0, y0), (x1, y1)], diverging(v).filled()))?;
            if rows * cols <= 16_384 {
                hits.push(Hit {
                    target: Target::Cell { row: r, col: *c },
                    x0,
                    y0,
                    x1,
                    y1,
                    label: format!("true feature {r} · latent {c}: cos {v:.3}"),
                });
            }
        }
        if highlight == Some(r) {
            let y0 = label + (r as f64 * ch).floor() as i32;
            let y1 = label + ((r + 1) as f64 * ch).ceil() as i32;
            area.draw(&Rectangle::new(
                [(label, y0), (width as i32 - 1, y1)],
                INK.stroke_width(theme.px(1.5).max(1) as u32),
            ))?;
        }
    }
    area.draw(&Text::new(
        "learned latents (sorted by matching) →".to_owned(),
        (label, label / 2),
        theme.text_at(10.0, MUTED, HPos::Left, VPos::Center),
    ))?;
    area.draw(&Text::new(
        "true".to_owned(),
        (label / 2, label + theme.px(14.0)),
        theme.text_at(10.0, MUTED, HPos::Center, VPos::Center),
    ))?;
    Ok(crate::to_backend(area, hits))
}
