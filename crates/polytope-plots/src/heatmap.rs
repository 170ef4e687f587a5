//! `W^T W` with the bias beside it: the paper's view of which features share dimensions.

use crate::Canvas;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use polytope_core::tms::gram;

use crate::{DrawResult, Hit, Hits, Target, diverging, feature_label, fill};

/// Above this many features, hover regions are whole rows rather than single cells.
const CELL_HITS_MAX: usize = 64;
/// Cells at least this many pixels wide; larger matrices are shown in blocks.
const MIN_CELL_PX: f64 = 3.0;

/// `n x n` matrix `g` reduced to `k x k` blocks, each showing its entry of largest magnitude
/// (so interference stays visible when 400 features share 130 pixels).
fn blocks(g: &[f32], n: usize, k: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; k * k];
    for r in 0..n {
        let br = r * k / n;
        for c in 0..n {
            let bc = c * k / n;
            let v = g[r * n + c];
            let slot = &mut out[br * k + bc];
            if v.abs() > slot.abs() {
                *slot = v;
            }
        }
    }
    out
}

/// Draws `W^T W` (`n x n`, colours clipped to `[-1, 1]`) and, after a gap, the bias `b` as an
/// extra column. `highlight` outlines a feature's row and column; rows are labelled by
/// `names` when given, else by index.
pub fn gram_heatmap<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    w: &[f32],
    m: usize,
    n: usize,
    bias: &[f32],
    names: Option<&[String]>,
    highlight: Option<usize>,
) -> DrawResult<Hits, DB> {
    let Canvas { area, theme, text } = *cv;
    let colors = cv.paper()?;
    let g = gram(w, m, n);
    let (width, height) = area.dim_in_pixel();
    let top = theme.text_h(10.0) + theme.px(6.0);
    // Room on the left for the widest row label drawn (names can be long).
    let left = if n <= 20 {
        let widest = (0..n)
            .map(|r| theme.text_width(&feature_label(names, r), 9.0))
            .max()
            .unwrap_or(0);
        (widest + theme.px(6.0))
            .max(theme.px(16.0))
            .min(width as i32 / 3)
    } else {
        theme.px(16.0)
    };
    // n columns for W^T W, one gap, one bias column.
    let cols = n as f64 + 1.6;
    let cell = ((f64::from(width) - f64::from(left)) / cols)
        .min((f64::from(height) - f64::from(top)) / n as f64)
        .max(0.5);
    let x0 = left;
    let y0 = top;
    let dark = colors.dark;
    let at = |r: usize, c: f64| {
        (
            x0 + (c * cell).round() as i32,
            y0 + (r as f64 * cell).round() as i32,
        )
    };
    let mut hits = Vec::new();
    let k = if cell >= MIN_CELL_PX * theme.scale {
        n
    } else {
        ((n as f64 * cell) / (MIN_CELL_PX * theme.scale))
            .floor()
            .max(1.0) as usize
    };
    if k < n {
        let reduced = blocks(&g, n, k);
        let block = n as f64 / k as f64;
        for br in 0..k {
            for bc in 0..k {
                let a = at((br as f64 * block) as usize, (bc as f64 * block).floor());
                let b = at(
                    (((br + 1) as f64) * block).ceil() as usize,
                    (((bc + 1) as f64) * block).ceil(),
                );
                area.draw(&Rectangle::new(
                    [a, b],
                    diverging(reduced[br * k + bc], dark).filled(),
                ))?;
            }
        }
    }
    for r in 0..n {
        for c in 0..n {
            if k < n {
                break;
            }
            let v = g[r * n + c];
            let (a, b) = (at(r, c as f64), at(r + 1, (c + 1) as f64));
            area.draw(&Rectangle::new([a, b], diverging(v, dark).filled()))?;
            if n <= CELL_HITS_MAX {
                hits.push(Hit {
                    target: Target::Cell { row: r, col: c },
                    x0: a.0,
                    y0: a.1,
                    x1: b.0,
                    y1: b.1,
                    label: format!(
                        "W_{} · W_{} = {v:.3}",
                        feature_label(names, r),
                        feature_label(names, c)
                    ),
                });
            }
        }
        let bv = bias.get(r).copied().unwrap_or(0.0);
        let (a, b) = (at(r, n as f64 + 0.6), at(r + 1, n as f64 + 1.6));
        area.draw(&Rectangle::new([a, b], diverging(bv, dark).filled()))?;
        hits.push(Hit {
            target: Target::Feature(r),
            x0: a.0,
            y0: a.1,
            x1: b.0,
            y1: b.1,
            label: format!("b_{} = {bv:.3}", feature_label(names, r)),
        });
        if n > CELL_HITS_MAX {
            let (a, b) = (at(r, 0.0), at(r + 1, n as f64));
            hits.push(Hit {
                target: Target::Feature(r),
                x0: a.0,
                y0: a.1,
                x1: b.0,
                y1: b.1,
                label: fill(
                    text.tip_gram_row,
                    &[
                        ("feature", &feature_label(names, r)),
                        ("value", &format!("{:.3}", g[r * n + r])),
                    ],
                ),
            });
        }
    }
    if let Some(h) = highlight.filter(|h| *h < n) {
        let style = colors.ink.stroke_width(theme.px(1.5).max(1) as u32);
        area.draw(&Rectangle::new([at(h, 0.0), at(h + 1, n as f64)], style))?;
        area.draw(&Rectangle::new(
            [at(0, h as f64), at(n, (h + 1) as f64)],
            style,
        ))?;
    }
    let small = theme.text_at(10.0, colors.muted, HPos::Center, VPos::Center);
    area.draw(&Text::new(
        "WᵀW".to_owned(),
        (x0 + (n as f64 * cell / 2.0) as i32, top / 2),
        small.clone(),
    ))?;
    area.draw(&Text::new(
        "b".to_owned(),
        (at(0, n as f64 + 1.1).0, top / 2),
        small,
    ))?;
    if n <= 20 {
        let stride = theme.label_stride(cell, 9.0);
        for r in (0..n).step_by(stride) {
            let (_, y) = at(r, 0.0);
            area.draw(&Text::new(
                feature_label(names, r),
                (left - theme.px(3.0), y + (cell / 2.0) as i32),
                theme.text_at(9.0, colors.muted, HPos::Right, VPos::Center),
            ))?;
        }
    }
    Ok(crate::to_backend(area, hits))
}
