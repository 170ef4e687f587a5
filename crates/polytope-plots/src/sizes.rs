//! Quality against dictionary size: a few measures (explained variance, loss recovered, the
//! share of dead features, the median interpretability score) of one model's dictionaries,
//! each a line over their sizes on a log2 axis, the open dictionary's size marked.

use crate::Canvas;
use plotters::prelude::*;

use crate::sae::{curve_color, legend_above};
use crate::{DrawResult, Hit, Hits, Target, fill};

/// One measure over the dictionary sizes: `(features, value)`, values in `[0, 1]`.
#[derive(Clone, Debug, PartialEq)]
pub struct SizeSeries {
    pub name: String,
    /// Index into the curve palette.
    pub color: usize,
    pub points: Vec<(u32, f64)>,
}

impl SizeSeries {
    /// The value at `features`, if the series has one.
    pub fn at(&self, features: u32) -> Option<f64> {
        self.points
            .iter()
            .find(|(f, _)| *f == features)
            .map(|(_, v)| *v)
    }
}

/// The sizes any series has, ascending.
pub(crate) fn sizes_of(series: &[SizeSeries]) -> Vec<u32> {
    let mut sizes: Vec<u32> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|(f, _)| *f))
        .filter(|f| *f > 0)
        .collect();
    sizes.sort_unstable();
    sizes.dedup();
    sizes
}

/// The series over the sizes (log2 axis, ticks at the sizes); `current` marks a size with a
/// dashed line. Hovering a point names the measure, the size and the value.
pub fn quality_by_size<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    series: &[SizeSeries],
    current: Option<u32>,
) -> DrawResult<Hits, DB> {
    let Canvas { area, theme, text } = *cv;
    let colors = cv.paper()?;
    let sizes = sizes_of(series);
    let (Some(first), Some(last)) = (sizes.first(), sizes.last()) else {
        return crate::empty(area, text.no_sizes, theme);
    };
    let log = |f: u32| f64::from(f).log2();
    let (lo, hi) = (log(*first) - 0.5, log(*last) + 0.5);
    let entries: Vec<(&str, usize)> = series.iter().map(|s| (s.name.as_str(), s.color)).collect();
    let area = &legend_above(area, &entries, theme)?;
    let mut chart = ChartBuilder::on(area)
        .margin(theme.px(6.0))
        .margin_right(theme.px(16.0).max(theme.text_width("00000", 10.0) / 2))
        .x_label_area_size(theme.text_h(10.0) + theme.px(12.0))
        .y_label_area_size(theme.text_width("0.00", 10.0) + theme.px(10.0))
        .build_cartesian_2d(lo..hi, 0.0..1.02)?;
    // Ticks only at the sizes themselves: a tick between two would name a size not shipped.
    let tick = |x: &f64| {
        sizes
            .iter()
            .find(|f| (log(**f) - x).abs() < 0.01)
            .map(u32::to_string)
            .unwrap_or_default()
    };
    crate::mesh(&mut chart, theme)
        .disable_x_mesh()
        .x_labels(((hi - lo) * 2.0).ceil() as usize + 1)
        .y_labels(5)
        .x_label_formatter(&tick)
        .y_label_formatter(&|y| format!("{y:.2}"))
        .draw()?;
    if let Some(c) = current.filter(|c| sizes.contains(c)) {
        let x = log(c);
        let dash = colors
            .muted
            .mix(0.7)
            .stroke_width(theme.px(1.0).max(1) as u32);
        chart.draw_series(DashedLineSeries::new(
            vec![(x, 0.0), (x, 1.02)],
            theme.px(4.0).max(1) as u32,
            theme.px(3.0).max(1) as u32,
            dash,
        ))?;
    }
    let stroke = theme.px(1.8).max(1) as u32;
    let radius = theme.px(3.5).max(2) as u32;
    let mut hits = Vec::new();
    for (i, s) in series.iter().enumerate() {
        let mut pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter(|(f, v)| *f > 0 && v.is_finite())
            .map(|(f, v)| (log(*f), v.clamp(0.0, 1.02)))
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let color = curve_color(s.color, colors.dark);
        chart.draw_series(LineSeries::new(pts.clone(), color.stroke_width(stroke)))?;
        chart.draw_series(pts.iter().map(|p| Circle::new(*p, radius, color.filled())))?;
        for (f, v) in s.points.iter().filter(|(f, v)| *f > 0 && v.is_finite()) {
            let p = chart.backend_coord(&(log(*f), v.clamp(0.0, 1.02)));
            let r = theme.px(7.0);
            hits.push(Hit {
                target: Target::InstanceFeature {
                    instance: i,
                    feature: *f as usize,
                },
                x0: p.0 - r,
                y0: p.1 - r,
                x1: p.0 + r,
                y1: p.1 + r,
                label: fill(
                    text.tip_size_point,
                    &[
                        ("name", &s.name),
                        ("features", f),
                        ("value", &format!("{v:.3}")),
                    ],
                ),
            });
        }
    }
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PlotSpec, PlotText, Theme};
    use std::sync::Arc;

    fn series() -> Vec<SizeSeries> {
        vec![
            SizeSeries {
                name: "ev".into(),
                color: 0,
                points: vec![(512, 0.8), (2048, 0.86), (4096, 0.87)],
            },
            SizeSeries {
                name: "dead".into(),
                color: 3,
                points: vec![(4096, 0.02), (512, 0.0), (2048, 0.005)],
            },
        ]
    }

    #[test]
    fn every_point_has_a_tooltip_and_the_sizes_are_the_ticks() {
        let spec = PlotSpec::QualityBySize {
            series: Arc::new(series()),
            current: Some(2048),
        };
        let r = spec.render_svg(600, 300, &Theme::default(), &PlotText::default());
        assert_eq!(r.hits.len(), 6);
        assert!(
            r.hits
                .iter()
                .any(|h| h.label == "dead, 4096 features: 0.020"),
            "{:?}",
            r.hits.iter().map(|h| &h.label).collect::<Vec<_>>()
        );
        // SVG text elements hold their words on a line of their own.
        for size in ["512", "2048", "4096"] {
            assert!(r.svg.contains(&format!(">\n{size}\n<")), "tick {size}");
        }
        assert!(
            !r.svg.contains(">\n1024\n<"),
            "no tick at a size not shipped"
        );
        let csv = spec.csv();
        assert!(csv.starts_with("features,ev,dead\n512,0.8,0\n"), "{csv}");
        let empty = PlotSpec::QualityBySize {
            series: Arc::new(vec![]),
            current: None,
        };
        assert!(
            empty
                .render_svg(300, 200, &Theme::default(), &PlotText::default())
                .svg
                .contains(PlotText::default().no_sizes)
        );
    }
}
