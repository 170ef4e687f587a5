//! Bar charts: feature norms coloured by superposition (the paper's sparsity sweeps) and the
//! privileged basis's per-neuron stacked weights.

use crate::Canvas;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::{
    DrawResult, Hit, Hits, Target, feature_color, feature_label, fill, superposition_color,
};

/// One horizontal bar per feature: length `||W_i||` (axis up to `max(1, max norm)`), colour
/// `sqrt(superposition)` from blue (dedicated) to orange (shared). Features are labelled by
/// `names` when given, else by index, as often as the text size allows.
pub fn norm_bars<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    norms: &[f32],
    superposition: &[f32],
    names: Option<&[String]>,
    highlight: Option<usize>,
) -> DrawResult<Hits, DB> {
    let Canvas { area, theme, text } = *cv;
    let c = cv.paper()?;
    let n = norms.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    let (width, height) = area.dim_in_pixel();
    let bottom = theme.text_h(9.0) + theme.px(7.0);
    let row = f64::from(height as i32 - bottom) / n as f64;
    let stride = theme.label_stride(row, 9.0);
    let labelled = stride <= n.div_ceil(4).max(1);
    let left = if labelled {
        let widest = (0..n)
            .step_by(stride)
            .map(|j| theme.text_width(&feature_label(names, j), 9.0))
            .max()
            .unwrap_or(0);
        (widest + theme.px(8.0)).min(width as i32 / 3)
    } else {
        theme.px(6.0)
    };
    let right = theme.px(8.0);
    let max_norm = norms.iter().copied().fold(1.0f32, f32::max) * 1.05;
    let plot_w = f64::from(width as i32 - left - right);
    let x_of = |v: f32| left + (f64::from(v / max_norm) * plot_w).round() as i32;
    // The unit line: a represented feature reaches it.
    let unit = x_of(1.0);
    area.draw(&PathElement::new(
        vec![(unit, 0), (unit, height as i32 - bottom)],
        c.grid.stroke_width(theme.px(1.0).max(1) as u32),
    ))?;
    let mut hits = Vec::with_capacity(n);
    for (i, (norm, sup)) in norms.iter().zip(superposition).enumerate() {
        let y0 = (i as f64 * row).round() as i32;
        let y1 = ((i as f64 + 0.85) * row).round() as i32;
        let mut color = superposition_color(*sup).mix(1.0);
        if highlight.is_some_and(|h| h != i) {
            color = color.mix(0.35);
        }
        area.draw(&Rectangle::new(
            [(left, y0), (x_of(*norm), y1.max(y0 + 1))],
            color.filled(),
        ))?;
        if highlight == Some(i) {
            area.draw(&Rectangle::new(
                [(left, y0), (x_of(*norm), y1.max(y0 + 1))],
                c.ink.stroke_width(theme.px(1.5).max(1) as u32),
            ))?;
        }
        let name = feature_label(names, i);
        if labelled && i % stride == 0 {
            area.draw(&Text::new(
                name.clone(),
                (left - theme.px(4.0), i32::midpoint(y0, y1)),
                theme.text_at(9.0, c.muted, HPos::Right, VPos::Center),
            ))?;
        }
        hits.push(Hit {
            target: Target::Feature(i),
            x0: 0,
            y0,
            x1: width as i32,
            y1: ((i as f64 + 1.0) * row).round() as i32,
            label: fill(
                text.tip_norm,
                &[
                    ("feature", &name),
                    ("norm", &format!("{norm:.3}")),
                    ("sup", &format!("{sup:.3}")),
                ],
            ),
        });
    }
    let axis_y = height as i32 - bottom;
    let style = theme.text_at(9.0, c.muted, HPos::Center, VPos::Top);
    area.draw(&Text::new(
        "0".to_owned(),
        (left, axis_y + theme.px(3.0)),
        style.clone(),
    ))?;
    // "‖W‖ = 1" is centred on the unit line unless it would run off the right edge.
    let unit_label = "‖W‖ = 1";
    let half = theme.text_width(unit_label, 9.0) / 2;
    let at = unit.min(width as i32 - half - theme.px(2.0));
    if at - half > left + theme.text_width("0", 9.0) {
        area.draw(&Text::new(
            unit_label.to_owned(),
            (at, axis_y + theme.px(3.0)),
            style,
        ))?;
    }
    Ok(crate::to_backend(area, hits))
}

/// The privileged basis: for each neuron (a column), the weights of every feature stacked,
/// positive above the axis and negative below, coloured by feature.
pub fn neuron_bars<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    w: &[f32],
    m: usize,
    n: usize,
    names: Option<&[String]>,
    highlight: Option<usize>,
) -> DrawResult<Hits, DB> {
    let Canvas { area, theme, text } = *cv;
    let c = cv.paper()?;
    let (width, height) = area.dim_in_pixel();
    let bottom = theme.text_h(9.0) + theme.px(7.0);
    let plot_h = f64::from(height as i32 - bottom - theme.px(4.0));
    let (mut max_pos, mut max_neg) = (0.0f32, 0.0f32);
    for k in 0..m {
        let row = &w[k * n..(k + 1) * n];
        max_pos = max_pos.max(row.iter().filter(|v| **v > 0.0).sum());
        max_neg = max_neg.max(-row.iter().filter(|v| **v < 0.0).sum::<f32>());
    }
    let span = f64::from((max_pos + max_neg).max(1e-6));
    let zero = theme.px(4.0) + (f64::from(max_pos) / span * plot_h).round() as i32;
    let scale = plot_h / span;
    let col = f64::from(width) / m.max(1) as f64;
    // Neuron labels as often as they fit side by side.
    let widest = theme.text_width(&fill(text.neuron_short, &[("neuron", &m)]), 9.0);
    let stride = ((f64::from(widest) * 1.2 / col).ceil() as usize).max(1);
    let mut hits = Vec::new();
    for k in 0..m {
        let x0 = (k as f64 * col + col * 0.15).round() as i32;
        let x1 = ((k + 1) as f64 * col - col * 0.15).round() as i32;
        let (mut up, mut down) = (0.0f64, 0.0f64);
        for j in 0..n {
            let v = f64::from(w[k * n + j]);
            if v == 0.0 {
                continue;
            }
            let (a, b) = if v > 0.0 {
                let a = up;
                up += v;
                (
                    zero - (a * scale).round() as i32,
                    zero - (up * scale).round() as i32,
                )
            } else {
                let a = down;
                down -= v;
                (
                    zero + (a * scale).round() as i32,
                    zero + (down * scale).round() as i32,
                )
            };
            let mut color = feature_color(j, n, c.dark).mix(1.0);
            if highlight.is_some_and(|h| h != j) {
                color = color.mix(0.25);
            }
            area.draw(&Rectangle::new([(x0, a), (x1, b)], color.filled()))?;
            hits.push(Hit {
                target: Target::NeuronFeature {
                    neuron: k,
                    feature: j,
                },
                x0,
                y0: a.min(b),
                x1,
                y1: a.max(b),
                label: fill(
                    text.tip_neuron,
                    &[
                        ("neuron", &k),
                        ("feature", &feature_label(names, j)),
                        ("w", &format!("{v:.3}")),
                    ],
                ),
            });
        }
        if k % stride == 0 {
            area.draw(&Text::new(
                fill(text.neuron_short, &[("neuron", &k)]),
                (
                    i32::midpoint(x0, x1),
                    height as i32 - bottom + theme.px(3.0),
                ),
                theme.text_at(9.0, c.muted, HPos::Center, VPos::Top),
            ))?;
        }
    }
    area.draw(&PathElement::new(
        vec![(0, zero), (width as i32, zero)],
        c.ink.stroke_width(theme.px(1.0).max(1) as u32),
    ))?;
    Ok(crate::to_backend(area, hits))
}
