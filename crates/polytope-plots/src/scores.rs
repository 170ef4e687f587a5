//! Distributions of one interpretability measure (docs/interpretability.md) for a few groups of
//! units (a dictionary's features, the model's neurons, random directions), as outlined
//! histograms of the fraction of each group's scored units per bin, so that groups of different
//! sizes compare.

use crate::Canvas;
use plotters::prelude::*;

use crate::sae::{curve_color, legend_above};
use crate::{DrawResult, Hit, Hits, Target, fill};

/// One group's scores in equal bins over the plot's range.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreGroup {
    pub name: String,
    /// Index into the curve palette.
    pub color: usize,
    pub counts: Vec<u32>,
}

impl ScoreGroup {
    /// Bins `bins` equal intervals of `[lo, hi]` with the scores (NaN, "not scored", left out;
    /// values outside the range go to the end bins).
    pub fn from_scores(
        name: impl Into<String>,
        color: usize,
        scores: &[f32],
        lo: f64,
        hi: f64,
        bins: usize,
    ) -> Self {
        let n = bins.max(1);
        let mut counts = vec![0u32; n];
        let width = (hi - lo) / n as f64;
        for s in scores.iter().filter(|s| !s.is_nan()) {
            let b = ((f64::from(*s) - lo) / width).floor();
            let b = if b.is_finite() {
                b.max(0.0) as usize
            } else {
                0
            };
            counts[b.min(n - 1)] += 1;
        }
        Self {
            name: name.into(),
            color,
            counts,
        }
    }

    fn total(&self) -> u32 {
        self.counts.iter().sum()
    }

    /// The fraction of the group's scored units in bin `b`.
    pub fn fraction(&self, b: usize) -> f64 {
        let t = self.total();
        if t == 0 {
            0.0
        } else {
            f64::from(self.counts.get(b).copied().unwrap_or(0)) / f64::from(t)
        }
    }
}

/// The groups as outlined histograms over `[lo, hi]`; hovering a bin names every group's share.
pub fn score_histograms<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    groups: &[ScoreGroup],
    lo: f64,
    hi: f64,
) -> DrawResult<Hits, DB> {
    let Canvas { area, theme, text } = *cv;
    let colors = cv.paper()?;
    let bins = groups.iter().map(|g| g.counts.len()).max().unwrap_or(0);
    if bins == 0 || groups.iter().all(|g| g.total() == 0) || hi <= lo {
        return crate::empty(area, text.no_scores, theme);
    }
    let ymax = groups
        .iter()
        .flat_map(|g| (0..g.counts.len()).map(|b| g.fraction(b)))
        .fold(0.0f64, f64::max)
        .max(0.01)
        * 1.1;
    let entries: Vec<(&str, usize)> = groups.iter().map(|g| (g.name.as_str(), g.color)).collect();
    let area = &legend_above(area, &entries, theme)?;
    let mut chart = ChartBuilder::on(area)
        .margin(theme.px(6.0))
        .margin_right(theme.px(12.0))
        .x_label_area_size(theme.text_h(10.0) + theme.px(12.0))
        .y_label_area_size(theme.text_width("00 %", 10.0) + theme.px(10.0))
        .build_cartesian_2d(lo..hi, 0.0..ymax)?;
    crate::mesh(&mut chart, theme)
        .disable_x_mesh()
        .x_labels(6)
        .y_labels(4)
        .x_label_formatter(&|x| format!("{x:.1}"))
        .y_label_formatter(&|y| format!("{:.0} %", y * 100.0))
        .draw()?;
    let width = (hi - lo) / bins as f64;
    let stroke = theme.px(2.0).max(1) as u32;
    for g in groups {
        // The outline: up and down each bin's edges.
        let mut pts = vec![(lo, 0.0)];
        for b in 0..g.counts.len() {
            let (x0, y) = (lo + width * b as f64, g.fraction(b));
            pts.push((x0, y));
            pts.push((x0 + width, y));
        }
        pts.push((hi, 0.0));
        let color = curve_color(g.color, colors.dark);
        chart.draw_series(LineSeries::new(pts, color.stroke_width(stroke)))?;
    }
    let mut hits = Vec::with_capacity(bins);
    for b in 0..bins {
        let x0 = lo + width * b as f64;
        let a = chart.backend_coord(&(x0, 0.0));
        let z = chart.backend_coord(&(x0 + width, ymax));
        let shares: Vec<String> = groups
            .iter()
            .map(|g| format!("{} {:.1} %", g.name, 100.0 * g.fraction(b)))
            .collect();
        hits.push(Hit {
            target: Target::Cell { row: 0, col: b },
            x0: a.0,
            y0: z.1,
            x1: z.0,
            y1: a.1,
            label: fill(
                text.tip_score_bin,
                &[
                    ("from", &format!("{x0:.2}")),
                    ("to", &format!("{:.2}", x0 + width)),
                    ("shares", &shares.join(", ")),
                ],
            ),
        });
    }
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PlotText, Theme};

    #[test]
    fn groups_bin_their_scored_units_and_compare_as_fractions() {
        let g = ScoreGroup::from_scores("a", 0, &[0.05, 0.95, 1.0, f32::NAN, -0.2], 0.0, 1.0, 10);
        assert_eq!(g.counts.iter().sum::<u32>(), 4);
        assert_eq!(g.counts[0], 2, "{:?}", g.counts);
        assert_eq!(g.counts[9], 2, "{:?}", g.counts);
        assert!((g.fraction(9) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn every_bin_has_a_tooltip_naming_each_group() {
        let groups = [
            ScoreGroup::from_scores("features", 0, &[0.9, 0.8, 0.85], 0.0, 1.0, 20),
            ScoreGroup::from_scores("neurons", 1, &[0.3, 0.35], 0.0, 1.0, 20),
        ];
        let spec = crate::PlotSpec::ScoreHistograms {
            groups: std::sync::Arc::new(groups.to_vec()),
            lo: 0.0,
            hi: 1.0,
        };
        let r = spec.render_svg(600, 300, &Theme::default(), &PlotText::default());
        assert_eq!(r.hits.len(), 20);
        let tip = &r.hits[17].label;
        assert!(
            tip.contains("features 66.7 %") && tip.contains("neurons 0.0 %"),
            "{tip}"
        );
        assert!(r.svg.contains("features") && r.svg.contains("neurons"));
        let csv = spec.csv();
        assert!(csv.starts_with("from,to,features,neurons"), "{csv}");
        let empty = crate::PlotSpec::ScoreHistograms {
            groups: std::sync::Arc::new(vec![]),
            lo: 0.0,
            hi: 1.0,
        };
        assert!(
            empty
                .render_svg(300, 200, &Theme::default(), &PlotText::default())
                .svg
                .contains(PlotText::default().no_scores)
        );
    }
}
