//! Plots of sparse-autoencoder training: metric curves with resampling events, the feature
//! density histogram, learned decoder directions over the true ones, and the learned x true
//! cosine-similarity matrix.

use crate::Canvas;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::color::okabe_ito;
use crate::{
    DrawResult, Hit, Hits, Rotation, Target, Theme, arrow, diverging, feature_color, fill,
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

/// The curves' Okabe-Ito colours, in palette order: blue, orange, bluish green, reddish
/// purple, sky blue, black (white on a dark page). Vermillion is kept for resampling and
/// dead latents.
const PALETTE: [usize; 6] = [0, 4, 2, 3, 5, 6];

/// Colour `i` of the curve palette.
pub fn curve_color(i: usize, dark: bool) -> RGBColor {
    okabe_ito(PALETTE[i % PALETTE.len()], dark)
}

/// Resampling events and dead latents: Okabe-Ito vermillion.
const RESAMPLE: RGBColor = RGBColor(213, 94, 0);

/// Curves on shared axes (steps linear; values log when `log_y`, else linear from
/// `y_range`), a legend, and a dashed vertical line at every resampling step.
pub fn metric_curves<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    curves: &[Curve],
    events: &[(f64, u32)],
    log_y: bool,
    y_range: Option<(f64, f64)>,
) -> DrawResult<Hits, DB> {
    let Canvas { area, theme, text } = *cv;
    let colors = cv.paper()?;
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
        return crate::empty(area, text.no_steps, theme);
    }
    let (lo, hi) = match y_range {
        Some(r) => r,
        None if log_y => (lo / 1.3, (hi * 1.3).max(lo * 10.0)),
        None => {
            let pad = ((hi - lo) * 0.08).max(1e-3);
            (lo - pad, hi + pad)
        }
    };
    let mut hits = Vec::new();
    macro_rules! body {
        ($chart:ident) => {{
            crate::mesh(&mut $chart, theme)
                .x_labels(5)
                .y_labels(4)
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
                    label: fill(
                        text.tip_resampled,
                        &[("count", count), ("step", &format!("{step:.0}"))],
                    ),
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
                let color = curve_color(c.color, colors.dark);
                if let Some(last) = pts.last().copied() {
                    $chart.draw_series(LineSeries::new(pts, color.stroke_width(stroke)))?;
                    let p = $chart.backend_coord(&last);
                    hits.push(Hit {
                        target: Target::Instance(i),
                        x0: p.0 - theme.px(6.0),
                        y0: p.1 - theme.px(6.0),
                        x1: p.0 + theme.px(6.0),
                        y1: p.1 + theme.px(6.0),
                        label: fill(
                            text.tip_curve,
                            &[
                                ("name", &c.name),
                                ("value", &format!("{:.4}", last.1)),
                                ("step", &format!("{:.0}", last.0)),
                            ],
                        ),
                    });
                }
            }
        }};
    }
    let entries: Vec<(&str, usize)> = curves.iter().map(|c| (c.name.as_str(), c.color)).collect();
    let area = &legend_above(area, &entries, theme)?;
    let margin = theme.px(6.0);
    let x_area = theme.text_h(10.0) + theme.px(10.0);
    let y_area = theme.text_width("0e-00", 10.0) + theme.px(10.0);
    if log_y {
        let mut chart = ChartBuilder::on(area)
            .margin(margin)
            .margin_right(theme.px(16.0).max(theme.text_width("00000", 10.0) / 2))
            .x_label_area_size(x_area)
            .y_label_area_size(y_area)
            .build_cartesian_2d(0.0..xmax, (lo..hi).log_scale())?;
        body!(chart);
    } else {
        let mut chart = ChartBuilder::on(area)
            .margin(margin)
            .margin_right(theme.px(16.0).max(theme.text_width("00000", 10.0) / 2))
            .x_label_area_size(x_area)
            .y_label_area_size(y_area)
            .build_cartesian_2d(0.0..xmax, lo..hi)?;
        body!(chart);
    }
    Ok(hits)
}

/// Draws a legend of `(name, palette colour)` entries in rows above the chart and returns the
/// area left below it. Drawn by hand: plotters' own legend measures text through the DOM,
/// which the page's content security policy forbids.
pub(crate) fn legend_above<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(&str, usize)],
    theme: &Theme,
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (width, _) = area.dim_in_pixel();
    let line_h = theme.text_h(10.0) + theme.px(6.0);
    let mut placed = Vec::with_capacity(entries.len());
    let (mut x, mut row) = (theme.px(50.0), 0);
    for (name, _) in entries {
        let w = theme.px(18.0) + theme.text_width(name, 10.0) + theme.px(14.0);
        if x + w > width as i32 && x > theme.px(50.0) {
            x = theme.px(8.0);
            row += 1;
        }
        placed.push((x, row));
        x += w;
    }
    let rows = placed.last().map_or(1, |p| p.1 + 1);
    let (legend, rest) = area.split_vertically(line_h * rows);
    for ((name, color), (x, row)) in entries.iter().zip(placed) {
        let color = curve_color(*color, theme.colors.dark);
        let y = line_h * row + line_h / 2;
        legend.draw(&PathElement::new(
            vec![(x, y), (x + theme.px(14.0), y)],
            color.stroke_width(theme.px(3.0).max(1) as u32),
        ))?;
        legend.draw(&Text::new(
            (*name).to_owned(),
            (x + theme.px(18.0), y),
            theme.text_at(10.0, theme.colors.ink, HPos::Left, VPos::Center),
        ))?;
    }
    Ok(rest)
}

/// Latents per bin of `log10(density)` (bins of width 0.25 from `first_edge`), with the dead
/// latents as a separate bar on the left.
pub fn density_histogram<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    counts: &[u32],
    first_edge: f64,
    dead: u32,
) -> DrawResult<Hits, DB> {
    let Canvas { area, theme, text } = *cv;
    let colors = cv.paper()?;
    let total: u32 = counts.iter().sum::<u32>() + dead;
    if total == 0 {
        return crate::empty(area, text.no_densities, theme);
    }
    let ymax = f64::from(counts.iter().copied().max().unwrap_or(0).max(dead).max(1)) * 1.1;
    let width = 0.25;
    let x_lo = first_edge - 1.0;
    let x_hi = first_edge + width * counts.len() as f64;
    let mut chart = ChartBuilder::on(area)
        .margin(theme.px(6.0))
        .margin_top(theme.px(6.0) + theme.text_h(10.0))
        .x_label_area_size(theme.text_h(10.0) + theme.px(12.0))
        .y_label_area_size(theme.text_width("0000", 10.0) + theme.px(10.0))
        .build_cartesian_2d(x_lo..x_hi, 0.0..ymax)?;
    crate::mesh(&mut chart, theme)
        .disable_x_mesh()
        .x_labels(8)
        .y_labels(4)
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
        text.dead.to_owned(),
        (x_lo + 0.45, f64::from(dead)),
        theme.text_at(10.0, RESAMPLE, HPos::Center, VPos::Bottom),
    )))?;
    hits.push(Hit {
        target: Target::Cell { row: 0, col: 0 },
        x0: p0.0,
        y0: p1.1.min(p0.1 - theme.px(12.0)),
        x1: p1.0,
        y1: p0.1,
        label: fill(text.tip_dead, &[("count", &dead)]),
    });
    let bar_color = okabe_ito(0, colors.dark);
    chart.draw_series(
        counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(b, c)| {
                let x0 = first_edge + width * b as f64;
                bar(x0 + 0.02, x0 + width - 0.02, *c, bar_color)
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
            label: fill(
                text.tip_density,
                &[
                    ("count", c),
                    ("lo", &format!("{x0:.2}")),
                    ("hi", &format!("{:.2}", x0 + width)),
                ],
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
    cv: &Canvas<'_, DB>,
    truth: &[f32],
    learned: &[f32],
    dim: usize,
    matched: &[Option<usize>],
    alive: &[bool],
    rotation: Rotation,
    highlight: Option<usize>,
) -> DrawResult<Hits, DB> {
    let Canvas { area, theme, text } = *cv;
    let colors = cv.paper()?;
    if !(2..=3).contains(&dim) {
        return crate::empty(area, text.directions_dims, theme);
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
    let thin = colors.grid.stroke_width(theme.px(1.0).max(1) as u32);
    area.draw(&Circle::new(c, unit.round() as i32, thin))?;
    let t_count = truth.len() / dim;
    let mut hits = Vec::new();
    let head = 9.0 * theme.scale;
    for (j, v) in truth.chunks(dim).enumerate() {
        let p = project(v);
        let color = feature_color(j, t_count, colors.dark);
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
            fill(text.tip_true_feature, &[("feature", &j)]),
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
            Some(j) => feature_color(j, t_count, colors.dark).to_rgba(),
            None => colors.muted.mix(0.6),
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
                "{}{}{}",
                fill(text.tip_latent, &[("latent", &l)]),
                m.map_or_else(
                    || text.tip_unmatched.to_owned(),
                    |j| fill(text.tip_matched, &[("feature", &j)])
                ),
                if alive.get(l).copied().unwrap_or(true) {
                    ""
                } else {
                    text.tip_dead_suffix
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
    cv: &Canvas<'_, DB>,
    cos: &[f32],
    rows: usize,
    cols: usize,
    latents: &[usize],
    highlight: Option<usize>,
) -> DrawResult<Hits, DB> {
    let Canvas { area, theme, text } = *cv;
    let colors = cv.paper()?;
    if rows == 0 || cols == 0 {
        return crate::empty(area, text.no_truth, theme);
    }
    let (width, height) = area.dim_in_pixel();
    let label = theme.text_h(10.0) + theme.px(8.0);
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
            area.draw(&Rectangle::new(
                [(x0, y0), (x1, y1)],
                diverging(v, colors.dark).filled(),
            ))?;
            if rows * cols <= 16_384 {
                hits.push(Hit {
                    target: Target::Cell { row: r, col: *c },
                    x0,
                    y0,
                    x1,
                    y1,
                    label: fill(
                        text.tip_cosine,
                        &[("feature", &r), ("latent", c), ("cos", &format!("{v:.3}"))],
                    ),
                });
            }
        }
        if highlight == Some(r) {
            let y0 = label + (r as f64 * ch).floor() as i32;
            let y1 = label + ((r + 1) as f64 * ch).ceil() as i32;
            area.draw(&Rectangle::new(
                [(label, y0), (width as i32 - 1, y1)],
                colors.ink.stroke_width(theme.px(1.5).max(1) as u32),
            ))?;
        }
    }
    area.draw(&Text::new(
        text.learned_axis.to_owned(),
        (label, label / 2),
        theme.text_at(10.0, colors.muted, HPos::Left, VPos::Center),
    ))?;
    // The row title runs down the left margin, one line of text wide.
    area.draw(&Text::new(
        text.true_axis.to_owned(),
        (label / 2, label + theme.px(4.0)),
        theme
            .text_at(10.0, colors.muted, HPos::Left, VPos::Center)
            .transform(FontTransform::Rotate90),
    ))?;
    Ok(crate::to_backend(area, hits))
}
