//! Feature directions in the hidden space: the paper's intro figure (m = 2) and a rotatable
//! 3-D view (m = 3).

use crate::Canvas;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::{DrawResult, Hit, Hits, Target, Theme, arrow, feature_color, feature_label, fill};

/// Norm of column `j` restricted to the first `rows` rows.
fn column(w: &[f32], n: usize, rows: usize, j: usize) -> [f64; 3] {
    let mut v = [0.0; 3];
    for (k, slot) in v.iter_mut().enumerate().take(rows) {
        *slot = f64::from(w[k * n + j]);
    }
    v
}

/// The largest length the view must fit: at least the unit circle.
fn view_radius(w: &[f32], n: usize, rows: usize) -> f64 {
    (0..n)
        .map(|j| {
            let v = column(w, n, rows, j);
            (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
        })
        .fold(1.0, f64::max)
        * 1.12
}

/// Pixels the labels beyond the arrow tips need outside the circle of the vectors (the view
/// radius leaves about 12 % of it free already).
fn label_room(names: Option<&[String]>, n: usize, theme: &Theme) -> f64 {
    if n > 20 {
        return 0.0;
    }
    let widest = (0..n)
        .map(|j| theme.text_width(&feature_label(names, j), 11.0))
        .max()
        .unwrap_or(0);
    let half = f64::from(widest).max(theme.font_px(11.0)) / 2.0;
    (half * 2.0 + 6.0 * theme.scale - 14.0 * theme.scale).max(0.0)
}

fn alpha_for(i: usize, highlight: Option<usize>) -> f64 {
    match highlight {
        Some(h) if h != i => 0.25,
        _ => 1.0,
    }
}

/// Feature directions `W_i` in the plane of the first two hidden dimensions, as arrows from
/// the origin, with the unit circle for scale. Tips are labelled by `names` when given, else
/// by index.
pub fn feature_vectors_2d<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    w: &[f32],
    n: usize,
    names: Option<&[String]>,
    highlight: Option<usize>,
) -> DrawResult<Hits, DB> {
    let Canvas { area, theme, text } = *cv;
    let colors = cv.paper()?;
    let (width, height) = area.dim_in_pixel();
    let side = f64::from(width.min(height));
    let c = (width as i32 / 2, height as i32 / 2);
    let radius = view_radius(w, n, 2);
    let unit = (side / 2.0 - label_room(names, n, theme)).max(side / 4.0) / radius;
    let to_px = |x: f64, y: f64| {
        (
            c.0 + (x * unit).round() as i32,
            c.1 - (y * unit).round() as i32,
        )
    };
    let thin = colors.grid.stroke_width(theme.px(1.0).max(1) as u32);
    let r = (unit).round() as i32;
    area.draw(&Circle::new(c, r, thin))?;
    area.draw(&PathElement::new(
        vec![(c.0 - r, c.1), (c.0 + r, c.1)],
        thin,
    ))?;
    area.draw(&PathElement::new(
        vec![(c.0, c.1 - r), (c.0, c.1 + r)],
        thin,
    ))?;

    let mut hits = Vec::with_capacity(n);
    let width_px = theme.px(2.5).max(1) as u32;
    let head = 10.0 * theme.scale;
    // Draw the highlighted feature last so it stays on top.
    let mut order: Vec<usize> = (0..n).collect();
    if let Some(h) = highlight {
        order.retain(|i| *i != h);
        if h < n {
            order.push(h);
        }
    }
    for j in order {
        let v = column(w, n, 2, j);
        let tip = to_px(v[0], v[1]);
        let color = feature_color(j, n, colors.dark).mix(alpha_for(j, highlight));
        let stroke = if highlight == Some(j) {
            width_px * 2
        } else {
            width_px
        };
        arrow(area, c, tip, color, stroke, head)?;
        let norm = (v[0] * v[0] + v[1] * v[1]).sqrt();
        let name = feature_label(names, j);
        if n <= 20 && norm > 0.15 {
            // Beyond the tip by half the label's size plus a gap.
            let half = f64::from(theme.text_width(&name, 11.0)).max(theme.font_px(11.0)) / 2.0;
            let out = 1.0 + (half + 6.0 * theme.scale) / (norm * unit);
            let label_at = to_px(v[0] * out, v[1] * out);
            area.draw(&Text::new(
                name.clone(),
                label_at,
                theme.text_at(11.0, colors.muted, HPos::Center, VPos::Center),
            ))?;
        }
        hits.push(Hit::around(
            Target::Feature(j),
            tip,
            theme.px(8.0),
            fill(
                text.tip_vector,
                &[
                    ("feature", &name),
                    ("w", &format!("({:.3}, {:.3})", v[0], v[1])),
                    ("norm", &format!("{norm:.3}")),
                ],
            ),
        ));
    }
    Ok(crate::to_backend(area, hits))
}

/// A view direction for the 3-D plot, in radians.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rotation {
    /// Turn about the vertical axis.
    pub yaw: f64,
    /// Tilt towards the viewer.
    pub pitch: f64,
}

impl Default for Rotation {
    fn default() -> Self {
        Self {
            yaw: 0.6,
            pitch: 0.35,
        }
    }
}

impl Rotation {
    /// `(screen x, screen y, depth)` of `v`; larger depth is closer to the viewer.
    pub fn apply(self, v: [f64; 3]) -> [f64; 3] {
        let (sy, cy) = self.yaw.sin_cos();
        let (sp, cp) = self.pitch.sin_cos();
        // Yaw about the y axis, then pitch about the x axis.
        let x1 = cy * v[0] + sy * v[2];
        let z1 = -sy * v[0] + cy * v[2];
        let y2 = cp * v[1] - sp * z1;
        let z2 = sp * v[1] + cp * z1;
        [x1, y2, z2]
    }
}

/// Feature directions in the first three hidden dimensions, seen from `rotation`, with a
/// wire sphere and axes. Far arrows are drawn first and fainter; tips are labelled by `names`
/// when given.
pub fn feature_vectors_3d<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    w: &[f32],
    n: usize,
    names: Option<&[String]>,
    rotation: Rotation,
    highlight: Option<usize>,
) -> DrawResult<Hits, DB> {
    let Canvas { area, theme, text } = *cv;
    let colors = cv.paper()?;
    let (width, height) = area.dim_in_pixel();
    let side = f64::from(width.min(height));
    let c = (width as i32 / 2, height as i32 / 2);
    let radius = view_radius(w, n, 3);
    let room = if names.is_some() {
        label_room(names, n, theme)
    } else {
        0.0
    };
    let unit = (side / 2.0 - room).max(side / 4.0) / radius;
    let project = |v: [f64; 3]| {
        let p = rotation.apply(v);
        (
            (
                c.0 + (p[0] * unit).round() as i32,
                c.1 - (p[1] * unit).round() as i32,
            ),
            p[2],
        )
    };
    let thin = colors.grid.stroke_width(theme.px(1.0).max(1) as u32);
    // Three great circles of the unit sphere.
    for plane in 0..3 {
        let pts: Vec<(i32, i32)> = (0..=72)
            .map(|s| {
                let a = std::f64::consts::TAU * f64::from(s) / 72.0;
                let (sa, ca) = a.sin_cos();
                let v = match plane {
                    0 => [ca, sa, 0.0],
                    1 => [ca, 0.0, sa],
                    _ => [0.0, ca, sa],
                };
                project(v).0
            })
            .collect();
        area.draw(&PathElement::new(pts, thin))?;
    }
    for axis in 0..3 {
        let mut v = [0.0; 3];
        v[axis] = 1.08;
        let (p, _) = project(v);
        area.draw(&PathElement::new(vec![c, p], thin))?;
        area.draw(&Text::new(
            fill(text.hidden_axis, &[("k", &axis)]),
            p,
            theme.text_at(10.0, colors.muted, HPos::Center, VPos::Center),
        ))?;
    }

    let mut order: Vec<(usize, f64)> = (0..n).map(|j| (j, project(column(w, n, 3, j)).1)).collect();
    order.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut hits = Vec::with_capacity(n);
    let width_px = theme.px(2.5).max(1) as u32;
    for (j, depth) in order {
        let v = column(w, n, 3, j);
        let norm = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        let (tip, _) = project(v);
        // Depth in [-radius, radius] fades far arrows to 45 %.
        let fade = 0.45 + 0.55 * ((depth / radius.max(1e-9)) + 1.0) / 2.0;
        let color = feature_color(j, n, colors.dark).mix(fade * alpha_for(j, highlight));
        let stroke = if highlight == Some(j) {
            width_px * 2
        } else {
            width_px
        };
        arrow(area, c, tip, color, stroke, 9.0 * theme.scale)?;
        let name = feature_label(names, j);
        if names.is_some() && n <= 20 && norm > 0.15 {
            let p = rotation.apply(v);
            let len = (p[0] * p[0] + p[1] * p[1]).sqrt().max(1e-9);
            let half = f64::from(theme.text_width(&name, 11.0)).max(theme.font_px(11.0)) / 2.0;
            let out = (half + 6.0 * theme.scale) / unit / len;
            let label_at = (
                tip.0 + (p[0] * out * unit).round() as i32,
                tip.1 - (p[1] * out * unit).round() as i32,
            );
            area.draw(&Text::new(
                name.clone(),
                label_at,
                theme.text_at(11.0, colors.muted, HPos::Center, VPos::Center),
            ))?;
        }
        hits.push(Hit::around(
            Target::Feature(j),
            tip,
            theme.px(8.0),
            fill(
                text.tip_vector,
                &[
                    ("feature", &name),
                    ("w", &format!("({:.3}, {:.3}, {:.3})", v[0], v[1], v[2])),
                    ("norm", &format!("{norm:.3}")),
                ],
            ),
        ));
    }
    Ok(crate::to_backend(area, hits))
}
