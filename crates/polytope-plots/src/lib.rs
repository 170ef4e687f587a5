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
//!   [`Theme::scale`] accordingly; projector mode enlarges text through [`Theme::text_zoom`]
//!   and [`Theme::min_text`], and layouts leave room for the text they draw).
//! - Every word a plot draws or returns as a tooltip comes from a [`PlotText`] passed at draw
//!   time (English by default, the interface language in the app); colours come from the
//!   [`Theme`] (light, dark, high contrast), categorical ones from the Okabe-Ito palette and
//!   continuous ones from perceptually uniform ramps.
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
pub mod samples;
mod scores;
mod sizes;
mod spec;
mod summary;
mod text;
mod vectors;

pub use bars::{neuron_bars, norm_bars};
pub use color::{
    Rgb, density_color, diverging, feature_color, instance_color, superposition_color,
};
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
pub use scores::{ScoreGroup, score_histograms};
pub use sizes::{SizeSeries, quality_by_size};
pub use spec::{PlotSpec, SvgRender};
pub use summary::Summary;
pub use text::{PlotText, fill};
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

/// The colours a plot draws its frame and text with (data colours come from [`color`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Colors {
    /// Text, axes that matter, outlines of the highlighted thing.
    pub ink: RGBColor,
    /// Secondary text: tick labels, feature numbers, empty-state messages.
    pub muted: RGBColor,
    /// Grid lines and reference circles.
    pub grid: RGBColor,
    /// The background.
    pub paper: RGBColor,
    /// A dark background: data colours switch to their dark-theme variants.
    pub dark: bool,
}

impl Colors {
    /// The light theme (the CLI's figures and the app's default).
    pub const LIGHT: Self = Self {
        ink: RGBColor(20, 33, 61),
        muted: RGBColor(88, 96, 112),
        grid: RGBColor(217, 221, 230),
        paper: RGBColor(255, 255, 255),
        dark: false,
    };
    /// The dark theme: light text on the page's dark panels.
    pub const DARK: Self = Self {
        ink: RGBColor(230, 234, 242),
        muted: RGBColor(176, 184, 198),
        grid: RGBColor(64, 73, 92),
        paper: RGBColor(27, 32, 44),
        dark: true,
    };
    /// Projector mode on a light page: black on white, grid lines that survive a projector.
    pub const LIGHT_HIGH_CONTRAST: Self = Self {
        ink: RGBColor(0, 0, 0),
        muted: RGBColor(0, 0, 0),
        grid: RGBColor(150, 150, 150),
        paper: RGBColor(255, 255, 255),
        dark: false,
    };
    /// Projector mode on a dark page: white on black.
    pub const DARK_HIGH_CONTRAST: Self = Self {
        ink: RGBColor(255, 255, 255),
        muted: RGBColor(255, 255, 255),
        grid: RGBColor(120, 120, 120),
        paper: RGBColor(0, 0, 0),
        dark: true,
    };

    /// The colours for a dark or light page, high-contrast on a projector.
    pub fn pick(dark: bool, high_contrast: bool) -> Self {
        match (dark, high_contrast) {
            (false, false) => Self::LIGHT,
            (true, false) => Self::DARK,
            (false, true) => Self::LIGHT_HIGH_CONTRAST,
            (true, true) => Self::DARK_HIGH_CONTRAST,
        }
    }
}

/// Sizes, fonts and colours. `scale` multiplies every length (the device pixel ratio);
/// `text_zoom` multiplies text only and `min_text` is the smallest text drawn, in backend
/// pixels (projector mode: 18 CSS pixels, so that the back of a room can read every label).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Theme {
    pub scale: f64,
    pub text_zoom: f64,
    pub min_text: f64,
    pub font: &'static str,
    pub colors: Colors,
}

impl Default for Theme {
    fn default() -> Self {
        Self {
            scale: 1.0,
            text_zoom: 1.0,
            min_text: 0.0,
            font: "sans-serif",
            colors: Colors::LIGHT,
        }
    }
}

impl Theme {
    /// A length in backend pixels.
    pub fn px(&self, v: f64) -> i32 {
        (v * self.scale).round() as i32
    }

    /// The size in backend pixels of text of nominal size `size` (CSS pixels at zoom 1).
    pub fn font_px(&self, size: f64) -> f64 {
        (size * self.scale * self.text_zoom).max(self.min_text)
    }

    /// [`Self::font_px`] rounded, for layout.
    pub fn text_h(&self, size: f64) -> i32 {
        self.font_px(size).ceil() as i32
    }

    pub(crate) fn text(&self, size: f64, color: RGBColor) -> TextStyle<'static> {
        TextStyle {
            font: (self.font, self.font_px(size)).into_font(),
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

    /// The font of axis labels (plotters' chart API), in the muted colour.
    pub(crate) fn axis_font(&self, size: f64) -> TextStyle<'static> {
        (self.font, self.font_px(size))
            .into_font()
            .color(&self.colors.muted)
    }

    /// Roughly how wide `s` is in backend pixels at nominal size `size`: text is never
    /// measured (plotters measures through the DOM, which the page's CSP forbids), so wide
    /// (CJK) characters count as one em and others as 0.6.
    pub fn text_width(&self, s: &str, size: f64) -> i32 {
        let em = self.font_px(size);
        let w: f64 = s
            .chars()
            .map(|c| if u32::from(c) >= 0x2E80 { 1.0 } else { 0.6 })
            .sum();
        (w * em).ceil() as i32
    }

    /// Every how many slots of `slot` backend pixels a label of nominal size `size` fits
    /// (1: every slot), so that labels never overlap when text is large.
    pub(crate) fn label_stride(&self, slot: f64, size: f64) -> usize {
        let need = self.font_px(size) * 1.15;
        if slot <= 0.0 {
            return usize::MAX;
        }
        (need / slot).ceil().max(1.0) as usize
    }
}

/// The label of feature `j`: its name when the caller gave one, else its index.
pub fn feature_label(names: Option<&[String]>, j: usize) -> String {
    names
        .and_then(|n| n.get(j))
        .filter(|s| !s.is_empty())
        .cloned()
        .unwrap_or_else(|| j.to_string())
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
    let height = theme.text_h(13.0) + theme.px(6.0);
    area.draw(&Text::new(
        title.to_owned(),
        (w as i32 / 2, height / 2),
        theme.text_at(13.0, theme.colors.ink, HPos::Center, VPos::Center),
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

/// The mesh every chart here starts from: grid lines, muted axes and 10-px tick labels in the
/// theme's colours. Callers add what differs (label counts and formats, descriptions, a mesh
/// turned off) and draw it.
pub(crate) fn mesh<'a, 'b, DB, X, Y>(
    chart: &'b mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    theme: &Theme,
) -> plotters::chart::MeshStyle<'a, 'b, X, Y, DB>
where
    DB: DrawingBackend,
    X: Ranged + plotters::coord::ranged1d::ValueFormatter<X::ValueType>,
    Y: Ranged + plotters::coord::ranged1d::ValueFormatter<Y::ValueType>,
{
    let c = theme.colors;
    let mut m = chart.configure_mesh();
    m.light_line_style(c.grid.mix(0.4))
        .bold_line_style(c.grid)
        .axis_style(c.muted)
        .x_label_style(theme.axis_font(10.0))
        .y_label_style(theme.axis_font(10.0));
    m
}

/// Where a plot draws and with what: the drawing area, the theme and the words. Every plot
/// function takes one as its first argument.
pub struct Canvas<'a, DB: DrawingBackend> {
    pub area: &'a DrawingArea<DB, Shift>,
    pub theme: &'a Theme,
    pub text: &'a PlotText,
}

impl<DB: DrawingBackend> Clone for Canvas<'_, DB> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<DB: DrawingBackend> Copy for Canvas<'_, DB> {}

impl<DB: DrawingBackend> Canvas<'_, DB> {
    /// Fills the area with the theme's paper and returns the theme's colours.
    pub fn paper(&self) -> DrawResult<Colors, DB> {
        self.area.fill(&self.theme.colors.paper)?;
        Ok(self.theme.colors)
    }
}

/// Draws "no data" in the middle of an area.
pub fn empty<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    message: &str,
    theme: &Theme,
) -> DrawResult<Hits, DB> {
    area.fill(&theme.colors.paper)?;
    let (w, h) = area.dim_in_pixel();
    area.draw(&Text::new(
        message.to_owned(),
        (w as i32 / 2, h as i32 / 2),
        theme.text_at(13.0, theme.colors.muted, HPos::Center, VPos::Center),
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
