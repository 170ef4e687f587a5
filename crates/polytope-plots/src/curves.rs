//! Loss curves, one per instance, on a log loss axis.

use crate::Canvas;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use crate::{DrawResult, Hit, Hits, PlotText, Target, Theme, fill, instance_color};

/// One instance's loss over steps.
#[derive(Clone, Debug, PartialEq)]
pub struct LossSeries {
    pub instance: usize,
    /// `(step, loss)`, steps increasing.
    pub points: Vec<(f64, f64)>,
}

/// Draws each series on shared axes: steps (linear, or log when `log_steps`) against loss
/// (log). Series are coloured by instance; `highlight` draws one instance thicker.
pub fn loss_curves<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    series: &[LossSeries],
    instances: usize,
    log_steps: bool,
    highlight: Option<usize>,
) -> DrawResult<Hits, DB> {
    let Canvas { area, theme, text } = *cv;
    area.fill(&theme.colors.paper)?;
    let finite = |v: f64| v.is_finite() && v > 0.0;
    let (mut lo, mut hi, mut xmax) = (f64::INFINITY, 0.0f64, 1.0f64);
    for s in series {
        for (x, y) in &s.points {
            if finite(*y) {
                lo = lo.min(*y);
                hi = hi.max(*y);
            }
            xmax = xmax.max(*x);
        }
    }
    if !lo.is_finite() {
        return crate::empty(area, text.no_steps, theme);
    }
    let xmax = xmax.max(1.0);
    let lo = lo / 1.3;
    let hi = (hi * 1.3).max(lo * 10.0);
    if log_steps {
        curves_on(
            area,
            (1.0..xmax.max(10.0)).log_scale(),
            (lo, hi),
            series,
            instances,
            true,
            highlight,
            theme,
            text,
        )
    } else {
        curves_on(
            area,
            0.0..xmax,
            (lo, hi),
            series,
            instances,
            false,
            highlight,
            theme,
            text,
        )
    }
}

/// The shared drawing for a linear or logarithmic step axis.
#[allow(clippy::too_many_arguments)]
fn curves_on<DB, X>(
    area: &DrawingArea<DB, Shift>,
    x_spec: X,
    (lo, hi): (f64, f64),
    series: &[LossSeries],
    instances: usize,
    log_steps: bool,
    highlight: Option<usize>,
    theme: &Theme,
    text: &PlotText,
) -> DrawResult<Hits, DB>
where
    DB: DrawingBackend,
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let c = theme.colors;
    let mut chart = ChartBuilder::on(area)
        .margin(theme.px(6.0))
        .margin_right(theme.text_width("00000", 10.0) / 2)
        .x_label_area_size(theme.text_h(10.0) + theme.px(10.0))
        .y_label_area_size(theme.text_width("0e-00", 10.0) + theme.px(10.0))
        .build_cartesian_2d(x_spec, (lo..hi).log_scale())?;
    crate::mesh(&mut chart, theme)
        .x_labels(5)
        .y_labels(4)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0e}"))
        .draw()?;
    let mut hits = Vec::new();
    let stroke = theme.px(1.5).max(1) as u32;
    for s in series {
        let color = instance_color(s.instance, instances, c.dark);
        let (style, alpha) = match highlight {
            Some(h) if h == s.instance => (stroke * 2, 1.0),
            Some(_) => (stroke, 0.3),
            None => (stroke, 0.9),
        };
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter(|(x, y)| y.is_finite() && *y > 0.0 && (!log_steps || *x >= 1.0))
            .copied()
            .collect();
        if let Some(last) = pts.last().copied() {
            chart.draw_series(LineSeries::new(pts, color.mix(alpha).stroke_width(style)))?;
            let p = chart.backend_coord(&last);
            hits.push(Hit {
                target: Target::Instance(s.instance),
                x0: p.0 - theme.px(6.0),
                y0: p.1 - theme.px(6.0),
                x1: p.0 + theme.px(6.0),
                y1: p.1 + theme.px(6.0),
                label: fill(
                    text.tip_loss,
                    &[
                        ("instance", &s.instance),
                        ("loss", &format!("{:.3e}", last.1)),
                        ("step", &format!("{:.0}", last.0)),
                    ],
                ),
            });
        }
    }
    Ok(hits)
}
