//! Small multiples: one small plot per instance, side by side, like the paper's figures.

use crate::Canvas;
use plotters::prelude::*;

use crate::{
    DrawResult, Hit, Hits, Rotation, Target, feature_vectors_2d, feature_vectors_3d, gram_heatmap,
    titled,
};

/// One panel of a small-multiples figure.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel<'a> {
    pub instance: usize,
    pub title: String,
    /// `W` (`m x n`) and `b` of the instance.
    pub w: &'a [f32],
    pub b: &'a [f32],
}

/// What each panel shows: the hidden-space vectors when `m` is 2 or 3, otherwise `W^T W`;
/// features are labelled by `names` when given.
pub fn small_multiples<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    panels: &[Panel<'_>],
    m: usize,
    n: usize,
    names: Option<&[String]>,
    selected: Option<usize>,
    highlight_feature: Option<usize>,
) -> DrawResult<Hits, DB> {
    let Canvas { area, theme, text } = *cv;
    area.fill(&theme.colors.paper)?;
    if panels.is_empty() {
        return crate::empty(area, text.no_instances, theme);
    }
    let (width, height) = area.dim_in_pixel();
    // As many columns as keep panels roughly square.
    let count = panels.len();
    let aspect = f64::from(width) / f64::from(height.max(1));
    let cols = ((count as f64 * aspect).sqrt().ceil() as usize).clamp(1, count);
    let rows = count.div_ceil(cols);
    let cells = area.split_evenly((rows, cols));
    let mut hits = Vec::new();
    for (panel, cell) in panels.iter().zip(cells.iter()) {
        let body = titled(cell, &panel.title, theme)?;
        let inner = body.margin(theme.px(2.0), theme.px(2.0), theme.px(2.0), theme.px(2.0));
        let sub = &Canvas {
            area: &inner,
            theme,
            text,
        };
        match m {
            2 => feature_vectors_2d(sub, panel.w, n, names, highlight_feature)?,
            3 => feature_vectors_3d(
                sub,
                panel.w,
                n,
                names,
                Rotation::default(),
                highlight_feature,
            )?,
            _ => gram_heatmap(sub, panel.w, m, n, panel.b, names, highlight_feature)?,
        };
        let (x_range, y_range) = cell.get_pixel_range();
        let (x0, y0) = (x_range.start, y_range.start);
        let (x1, y1) = (x_range.end, y_range.end);
        if selected == Some(panel.instance) {
            cell.draw(&Rectangle::new(
                [(0, 0), (x1 - x0 - 1, y1 - y0 - 1)],
                theme.colors.ink.stroke_width(theme.px(2.0).max(1) as u32),
            ))?;
        }
        // Panel hits are in the parent area's pixel space.
        let (ax, ay) = {
            let (xr, yr) = area.get_pixel_range();
            (xr.start, yr.start)
        };
        hits.push(Hit {
            target: Target::Instance(panel.instance),
            x0: x0 - ax,
            y0: y0 - ay,
            x1: x1 - ax,
            y1: y1 - ay,
            label: panel.title.clone(),
        });
    }
    Ok(hits)
}
