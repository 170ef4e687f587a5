//! # polytope-plots
//!
//! Every plot of Polytope as a pure function from data to a plotters drawing area, generic
//! over the backend: the app draws on a `<canvas>`, the CLI and the tests write SVG with the
//! very same functions.
//!
//! ## Conventions
//! - A plot function takes the area to fill, the data, a [`Theme`] and optional highlights, and
//!   returns [`Hits`]: the pixel regions of the things drawn (features, instances, cells), so the
//!   app can show values on hover and select on click without knowing the layout.
//! - Coordinates are the backend's pixels (the app draws at device-pixel resolution and sets
//!   [`Theme::scale`] accordingly, so lines and text keep their size on a projector).
//! - Weight matrices are row-major `m x n` as in `polytope_core` (column `j` is feature `j`).

mod bars;
mod color;
mod curves;
mod figures;
mod geometry;
mod heatmap;
mod multiples;
mod phase;
mod sae;
mod spec;
mod vectors;

pub use bars::{neuron_bars, norm_bars};
pub use color::{Rgb, diverging, feature_color, instance_color, superposition_color};
pub use curves::{LossSeries, loss_curves};
pub use figures::{Figure, tms_figures};
pub use geometry::{
    EnergyHistory, InstancePoint, STICKY_FRACTIONS, dims_per_feature, energy_levels, geometry_graph,
};
pub use heatmap::gram_heatmap;
pub use multiples::{Panel, small_multiples};
pub use phase::{PhaseCell, PhaseDiagram, Regime, phase_diagram, regime_color};
pub use sae::{
    Curve, cosine_heatmap, curve_color, density_histogram, dictionary_directions, metric_curves,
};
pub use spec::PlotSpec;
pub use vectors::{Rotation, feature_vectors_2d, feature_vectors_3d};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// What a region of a plot shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Feature `i` (of the instance the plot shows).
    Feature(usize),
    /// Instance `i` of the run.
    Instance(usize),
    /// Feature `feature` of instance `instance` (scatter plots over instances).
    InstanceFeature { instance: usize, feature: usize },
    /// Entry `(row, col)` of a matrix.
    Cell { row: usize, col: usize },
    /// Neuron `neuron`'s weight for feature `feature`.
    NeuronFeature { neuron: usize, feature: usize },
}

/// A rectangle of backend pixels that shows a [`Target`], with the value to show on hover.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub target: Target,
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
    /// Short text for a tooltip, for example "feature 3: ||W|| = 0.98".
    pub label: String,
}

impl Hit {
    pub fn contains(&self, x: i32, y: i32) -> bool {
        x >= self.x0 && x <= self.x1 && y >= self.y0 && y <= self.y1
    }

    fn around(target: Target, (x, y): (i32, i32), radius: i32, label: String) -> Self {
        Self {
            target,
            x0: x - radius,
            y0: y - radius,
            x1: x + radius,
            y1: y + radius,
            label,
        }
    }
}

pub type Hits = Vec<Hit>;

/// The hit under `(x, y)`: the smallest region containing it.
pub fn hit_at(hits: &[Hit], x: i32, y: i32) -> Option<&Hit> {
    hits.iter()
        .filter(|h| h.contains(x, y))
        .min_by_key(|h| i64::from(h.x1 - h.x0) * i64::from(h.y1 - h.y0))
}

/// Error type of drawing on backend `DB`.
pub type DrawResult<T, DB> = Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Sizes and fonts. `scale` multiplies every length (device pixel ratio times text zoom).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Theme {
    pub scale: f64,
    pub font: &'static str,
}

impl Default for Theme {
    fn default() -> Self {
        Self {
            scale: 1.0,
            font: "sans-serif",
        }
    }
}

pub(crate) const INK: RGBColor = RGBColor(20, 33, 61);
pub(crate) const GRID: RGBColor = RGBColor(217, 221, 230);
pub(crate) const MUTED: RGBColor = RGBColor(110, 118, 135);
pub(crate) const PAPER: RGBColor = RGBColor(255, 255, 255);

impl Theme {
    /// A length in backend pixels.
    pub fn px(&self, v: f64) -> i32 {
        (v * self.scale).round() as i32
    }

    pub(crate) fn text(&self, size: f64, color: RGBColor) -> TextStyle<'static> {
        TextStyle {
            font: (self.font, size * self.scale).into_font(),
            color: color.to_backend_color(),
            pos: Pos::default(),
        }
    }

    pub(crate) fn text_at(
        &self,
        size: f64,
        color: RGBColor,
        h: HPos,
        v: VPos,
    ) -> TextStyle<'static> {
        self.text(size, color).pos(Pos::new(h, v))
    }
}

/// Writes `text` centred at the top of the area and returns the area below it.
pub(crate) fn titled<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    theme: &Theme,
) -> DrawResult<DrawingArea<DB, Shift>, DB> {
    if title.is_empty() {
        return Ok(area.clone());
    }
    let (w, _) = area.dim_in_pixel();
    let height = theme.px(20.0);
    area.draw(&Text::new(
        title.to_owned(),
        (w as i32 / 2, height / 2),
        theme.text_at(13.0, INK, HPos::Center, VPos::Center),
    ))?;
    Ok(area.split_vertically(height).1)
}

/// Moves hits computed in `area`'s own pixel coordinates to backend coordinates, so that every
/// plot reports hits in the same space as `ChartContext::backend_coord`.
pub(crate) fn to_backend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    mut hits: Hits,
) -> Hits {
    let (x, y) = area.get_pixel_range();
    for h in &mut hits {
        h.x0 += x.start;
        h.x1 += x.start;
        h.y0 += y.start;
        h.y1 += y.start;
    }
    hits
}

/// A CSV field without separators.
pub(crate) fn csv_name(s: &str) -> String {
    s.replace([',', '"', '\n'], " ")
}

/// Draws "no data" in the middle of an area.
pub fn empty<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    message: &str,
    theme: &Theme,
) -> DrawResult<Hits, DB> {
    area.fill(&PAPER)?;
    let (w, h) = area.dim_in_pixel();
    area.draw(&Text::new(
        message.to_owned(),
        (w as i32 / 2, h as i32 / 2),
        theme.text_at(13.0, MUTED, HPos::Center, VPos::Center),
    ))?;
    Ok(Vec::new())
}

/// A straight arrow from `from` to `to` with a filled head.
pub(crate) fn arrow<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    from: (i32, i32),
    to: (i32, i32),
    color: RGBAColor,
    width: u32,
    head: f64,
) -> DrawResult<(), DB> {
    let (dx, dy) = (f64::from(to.0 - from.0), f64::from(to.1 - from.1));
    let len = (dx * dx + dy * dy).sqrt();
    area.draw(&PathElement::new(vec![from, to], color.stroke_width(width)))?;
    if len > head * 0.8 {
        let (ux, uy) = (dx / len, dy / len);
        let back = (f64::from(to.0) - ux * head, f64::from(to.1) - uy * head);
        let (px, py) = (-uy * head * 0.45, ux * head * 0.45);
        let pts = vec![
            to,
            ((back.0 + px).round() as i32, (back.1 + py).round() as i32),
            ((back.0 - px).round() as i32, (back.1 - py).round() as i32),
        ];
        area.draw(&Polygon::new(pts, color.filled()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_prefers_the_smallest_region() {
        let hits = vec![
            Hit {
                target: Target::Instance(0),
                x0: 0,
                y0: 0,
                x1: 100,
                y1: 100,
                label: String::new(),
            },
            Hit {
                target: Target::Feature(2),
                x0: 40,
                y0: 40,
                x1: 60,
                y1: 60,
                label: String::new(),
            },
        ];
        assert_eq!(hit_at(&hits, 50, 50).unwrap().target, Target::Feature(2));
        assert_eq!(hit_at(&hits, 10, 10).unwrap().target, Target::Instance(0));
        assert!(hit_at(&hits, 200, 10).is_none());
    }
}
