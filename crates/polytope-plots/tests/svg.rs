//! Every plot renders to SVG through plotters' SVG backend (what the CLI writes and the app
//! exports), and shows what it should: one arrow per feature, one bar per feature, one cell
//! per grid entry, and hover regions for each.

use plotters::prelude::*;
use plotters_svg::SVGBackend;
use polytope_core::tms::{Regime, geometry_graph};
use polytope_plots::Canvas;
use polytope_plots::*;

const SIZE: (u32, u32) = (400, 300);
const EN: PlotText = PlotText::ENGLISH;

/// The pentagon: five unit vectors at 72 degrees in 2-D, row-major `2 x 5`.
fn pentagon() -> Vec<f32> {
    let mut w = vec![0.0; 10];
    for j in 0..5 {
        let a = std::f32::consts::TAU * j as f32 / 5.0;
        w[j] = a.cos();
        w[5 + j] = a.sin();
    }
    w
}

fn render(f: impl FnOnce(&Canvas<'_, SVGBackend<'_>>) -> Hits) -> (String, Hits) {
    let mut svg = String::new();
    let hits;
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let theme = Theme::default();
        hits = f(&Canvas {
            area: &root,
            theme: &theme,
            text: &EN,
        });
        root.present().unwrap();
    }
    assert!(
        svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
        "not an SVG document"
    );
    (svg, hits)
}

#[test]
fn feature_vectors_draw_one_arrow_per_feature() {
    let w = pentagon();
    let (svg, hits) = render(|a| feature_vectors_2d(a, &w, 5, None, Some(2)).unwrap());
    assert_eq!(hits.len(), 5);
    assert_eq!(svg.matches("<polygon").count(), 5, "five arrowheads");
    // Feature 0 points right: its tip is right of the centre, at the same height.
    let tip = hits
        .iter()
        .find(|h| h.target == Target::Feature(0))
        .unwrap();
    assert!(tip.x0 > 200 && i32::midpoint(tip.y0, tip.y1) == 150);

    let mut w3 = vec![0.0; 12];
    for j in 0..4 {
        w3[(j % 3) * 4 + j] = 1.0;
    }
    let (_, hits) =
        render(|a| feature_vectors_3d(a, &w3, 4, None, Rotation::default(), None).unwrap());
    assert_eq!(hits.len(), 4);
}

#[test]
fn heatmap_bars_and_curves() {
    let w = pentagon();
    let (svg, hits) = render(|a| gram_heatmap(a, &w, 2, 5, &[0.0; 5], None, None).unwrap());
    assert_eq!(hits.len(), 25 + 5, "25 cells and 5 bias entries");
    assert!(svg.matches("<rect").count() >= 30);

    let (svg, hits) =
        render(|a| norm_bars(a, &[1.0, 0.5, 0.0], &[0.0, 0.5, 1.0], None, None).unwrap());
    assert_eq!(hits.len(), 3);
    assert!(svg.contains("‖W‖ = 1"));

    let (_, hits) = render(|a| neuron_bars(a, &w, 2, 5, None, None).unwrap());
    let nonzero = w.iter().filter(|v| **v != 0.0).count();
    assert_eq!(
        hits.len(),
        nonzero,
        "one stacked segment per nonzero weight"
    );

    let series = vec![
        LossSeries {
            instance: 0,
            points: (0..50)
                .map(|s| (f64::from(s), 1.0 / f64::from(s + 1)))
                .collect(),
        },
        LossSeries {
            instance: 1,
            points: (0..50)
                .map(|s| (f64::from(s), 0.5 / f64::from(s + 1)))
                .collect(),
        },
    ];
    let (svg, hits) = render(|a| loss_curves(a, &series, 2, false, None).unwrap());
    assert_eq!(hits.len(), 2);
    assert!(svg.matches("<polyline").count() >= 2);
}

#[test]
fn geometry_plots() {
    let points: Vec<InstancePoint> = (0..4)
        .map(|i| InstancePoint {
            instance: i,
            inverse_density: 1.0 + 6.0 * i as f64,
            dims_per_feature: 1.0 - 0.15 * i as f32,
            dimensionality: vec![0.4; 5],
        })
        .collect();
    let labels = ["1", "3/4", "2/3", "1/2", "2/5", "3/8"];
    let (svg, hits) = render(|a| dims_per_feature(a, &points, None, &labels).unwrap());
    assert_eq!(hits.len(), 4 * 5 + 4);
    assert!(svg.contains("2/5"));

    let history = EnergyHistory {
        steps: vec![1.0, 10.0, 100.0],
        dimensionality: vec![vec![1.0, 0.0], vec![0.5, 0.5], vec![0.4, 0.4]],
        loss: vec![(1.0, 0.1), (10.0, 0.05), (100.0, 0.01)],
    };
    let (_, hits) = render(|a| energy_levels(a, &history, Some(1), &labels).unwrap());
    assert_eq!(hits.len(), 2);

    let w = pentagon();
    let graph = geometry_graph(&w, 2, 5, 0.1);
    let (_, hits) = render(|a| polytope_plots::geometry_graph(a, &graph, 5, None, None).unwrap());
    assert_eq!(hits.len(), 5);
}

#[test]
fn phase_diagram_colours_every_cell() {
    let diagram = PhaseDiagram {
        importances: vec![0.1, 1.0, 10.0],
        densities: vec![1.0, 0.1, 0.01],
        cells: vec![
            Some(Regime::NotLearned),
            Some(Regime::Dedicated),
            Some(Regime::Dedicated),
            Some(Regime::NotLearned),
            Some(Regime::Superposition),
            Some(Regime::Dedicated),
            Some(Regime::Superposition),
            Some(Regime::Superposition),
            None,
        ],
        boundary: vec![vec![(0.1, 0.2), (1.0, 0.57), (10.0, 0.16)]],
        x_label: "relative importance".into(),
        y_label: "density".into(),
        regime_labels: [
            "not learned".into(),
            "dedicated".into(),
            "superposition".into(),
            "other".into(),
        ],
        boundary_label: "theory (approximation)".into(),
    };
    let (svg, hits) = render(|a| phase_diagram(a, &diagram).unwrap());
    assert_eq!(hits.len(), 9);
    assert!(svg.contains("theory (approximation)"));
    let superposition = regime_color(Regime::Superposition, false);
    let hex = format!(
        "#{:02X}{:02X}{:02X}",
        superposition.0, superposition.1, superposition.2
    );
    assert!(
        svg.to_uppercase().matches(&hex).count() >= 3,
        "three superposition cells plus the legend"
    );
}

#[test]
fn small_multiples_one_panel_per_instance() {
    let w = pentagon();
    let b = [0.0; 5];
    let panels: Vec<Panel<'_>> = (0..6)
        .map(|i| Panel {
            instance: i,
            title: format!("p = {i}"),
            w: &w,
            b: &b,
        })
        .collect();
    let (svg, hits) = render(|a| small_multiples(a, &panels, 2, 5, None, Some(1), None).unwrap());
    assert_eq!(hits.len(), 6);
    assert_eq!(svg.matches("<polygon").count(), 30);
    assert!(hits.iter().all(|h| h.x1 <= 400 && h.y1 <= 300));
}

#[test]
fn sae_curves_mark_resampling_and_label_every_metric() {
    let curves = vec![
        Curve {
            name: "reconstruction".into(),
            color: 0,
            points: (1..=100)
                .map(|s| (f64::from(s), 1.0 / f64::from(s)))
                .collect(),
        },
        Curve {
            name: "sparsity".into(),
            color: 1,
            points: (1..=100).map(|s| (f64::from(s), 0.01)).collect(),
        },
    ];
    let events = [(30.0, 12), (60.0, 3)];
    let (svg, hits) = render(|a| metric_curves(a, &curves, &events, true, None).unwrap());
    assert!(
        svg.contains("reconstruction") && svg.contains("sparsity"),
        "legend"
    );
    let resample: Vec<&Hit> = hits
        .iter()
        .filter(|h| h.label.starts_with("resampled"))
        .collect();
    assert_eq!(resample.len(), 2);
    assert!(resample[0].x0 < resample[1].x0, "step 30 left of step 60");
    assert!(resample[0].label.contains("12 dead latents at step 30"));
    // Nothing to draw yet.
    let (svg, hits) = render(|a| metric_curves(a, &[], &[], false, None).unwrap());
    assert!(svg.contains("no steps yet") && hits.is_empty());
}

#[test]
fn density_histogram_shows_dead_latents_and_bins() {
    let mut counts = vec![0u32; 28];
    counts[20] = 5;
    counts[24] = 9;
    let (svg, hits) = render(|a| density_histogram(a, &counts, -7.0, 4).unwrap());
    assert!(svg.contains("dead"));
    assert_eq!(hits.len(), 3, "dead bar and two bins");
    assert!(hits.iter().any(|h| h.label.starts_with("4 dead")));
    let nine = hits
        .iter()
        .find(|h| h.label.starts_with("9 latents"))
        .unwrap();
    let five = hits
        .iter()
        .find(|h| h.label.starts_with("5 latents"))
        .unwrap();
    assert!(nine.y0 < five.y0, "the taller bar reaches higher");
    assert!(nine.x0 > five.x0, "denser bin to the right");
}

#[test]
fn dictionary_directions_colour_learned_latents_by_their_match() {
    let w = pentagon();
    // Truth as rows [5, 2].
    let truth: Vec<f32> = (0..5).flat_map(|j| [w[j], w[5 + j]]).collect();
    // Learned: the first three true features, slightly rotated, plus one unmatched.
    let mut learned = truth[..6].to_vec();
    learned.extend([0.0, -1.0]);
    let matched = vec![Some(0), Some(1), Some(2), None];
    let alive = vec![true, true, true, false];
    let (svg, hits) = render(|a| {
        dictionary_directions(
            a,
            &truth,
            &learned,
            2,
            &matched,
            &alive,
            Rotation {
                yaw: 0.0,
                pitch: 0.0,
            },
            None,
        )
        .unwrap()
    });
    assert_eq!(
        svg.matches("<polygon").count(),
        9,
        "five true and four learned arrowheads"
    );
    assert_eq!(hits.len(), 9);
    assert!(hits.iter().any(|h| h.label == "latent 3 (unmatched), dead"));
    assert!(hits.iter().any(|h| h.label == "latent 1 → true feature 1"));
}

#[test]
fn cosine_heatmap_orders_columns_by_the_matching() {
    // Two true features, three latents shown in matching order: latent 2 matches feature 0,
    // latent 0 matches feature 1, latent 1 is unmatched.
    let cos = vec![0.99, 0.1, 0.0, 0.0, 0.95, 0.2];
    let (svg, hits) = render(|a| cosine_heatmap(a, &cos, 2, 3, &[2, 0, 1], Some(0)).unwrap());
    assert!(svg.matches("<rect").count() >= 6);
    assert_eq!(hits.len(), 6);
    let first = hits.iter().min_by_key(|h| (h.y0, h.x0)).unwrap();
    assert_eq!(
        first.target,
        Target::Cell { row: 0, col: 2 },
        "{}",
        first.label
    );
    assert!(first.label.contains("cos 0.990"));
}

#[test]
fn sae_specs_export_csv() {
    let spec = PlotSpec::Density {
        counts: std::sync::Arc::new(vec![1, 0, 2]),
        first_edge: -7.0,
        dead: 3,
    };
    let csv = spec.csv();
    assert!(
        csv.starts_with("log10_density_from,log10_density_to,latents\ndead,dead,3\n-7,-6.75,1\n")
    );
    assert!(spec.svg(300, 200).starts_with("<svg"));
}

/// The size of every `<text>` of an SVG document as the plot asked for it, in pixels
/// (plotters' SVG backend writes `font-size` as the size divided by 1.24; the canvas backend
/// uses the size itself).
fn font_sizes(svg: &str) -> Vec<f64> {
    svg.split("font-size=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse::<f64>().ok())
        .map(|s| (s * 1.24 * 1000.0).round() / 1000.0)
        .collect()
}

/// The text content of every `<text>` element.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|rest| {
            let body = rest.split_once('>')?.1;
            Some(body.split("</text>").next()?.trim().to_owned())
        })
        .collect()
}

#[test]
fn every_plot_kind_draws_on_every_theme_with_its_summary() {
    for (name, spec) in samples::samples() {
        for colors in [
            Colors::LIGHT,
            Colors::DARK,
            Colors::LIGHT_HIGH_CONTRAST,
            Colors::DARK_HIGH_CONTRAST,
        ] {
            let theme = Theme {
                colors,
                ..Theme::default()
            };
            let r = spec.render_svg(480, 360, &theme, &EN);
            let paper = format!(
                "#{:02X}{:02X}{:02X}",
                colors.paper.0, colors.paper.1, colors.paper.2
            );
            assert!(
                r.svg.to_uppercase().contains(&paper),
                "{name}: the background is the theme's paper {paper}"
            );
        }
        let summary = spec.summary(&EN);
        assert!(!summary.caption.is_empty(), "{name}: a caption");
        assert!(
            summary
                .rows
                .iter()
                .all(|r| r.len() == summary.headers.len()),
            "{name}: rows as wide as the headers"
        );
    }
}

#[test]
fn projector_text_is_never_smaller_than_the_minimum() {
    // 18 CSS pixels at a device pixel ratio of 2.
    let theme = Theme {
        scale: 2.0,
        text_zoom: 1.5,
        min_text: 36.0,
        ..Theme::default()
    };
    for (name, spec) in samples::samples() {
        let r = spec.render_svg(2048, 1400, &theme, &EN);
        let sizes = font_sizes(&r.svg);
        let smallest = sizes.iter().copied().fold(f64::INFINITY, f64::min);
        assert!(
            sizes.is_empty() || smallest >= 36.0,
            "{name}: smallest text {smallest} px"
        );
    }
    // The default theme keeps the nominal sizes (the CLI's figures do not change size).
    let spec = &samples::samples()[0].1;
    let sizes = font_sizes(&spec.render_svg(400, 300, &Theme::default(), &EN).svg);
    assert!(sizes.iter().all(|s| *s == 11.0), "{sizes:?}");
}

#[test]
fn named_features_are_drawn_and_shown_on_hover_instead_of_indices() {
    let names: Vec<String> = ["dog", "apple", "heart", "eye", "car"]
        .map(str::to_owned)
        .to_vec();
    let named = Some(std::sync::Arc::new(names.clone()));
    let w = std::sync::Arc::new(pentagon());
    for spec in [
        PlotSpec::Vectors2d {
            w: w.clone(),
            n: 5,
            highlight: None,
            names: None,
        },
        PlotSpec::Gram {
            w: w.clone(),
            m: 2,
            n: 5,
            b: std::sync::Arc::new(vec![0.0; 5]),
            highlight: None,
            names: None,
        },
        PlotSpec::Norms {
            norms: std::sync::Arc::new(vec![1.0; 5]),
            superposition: std::sync::Arc::new(vec![0.0; 5]),
            highlight: None,
            names: None,
        },
    ] {
        let spec = spec.with_names(named.clone());
        let r = spec.render_svg(480, 400, &Theme::default(), &EN);
        let drawn = texts(&r.svg);
        for name in &names {
            assert!(drawn.contains(name), "{name} drawn in {drawn:?}");
        }
        assert!(
            !drawn.iter().any(|t| t == "3"),
            "indices replaced: {drawn:?}"
        );
        let summary = spec.summary(&EN);
        assert_eq!(summary.rows[1][0], "apple");
    }
    let hits = PlotSpec::Vectors2d {
        w,
        n: 5,
        highlight: None,
        names: named,
    }
    .render_svg(400, 400, &Theme::default(), &EN)
    .hits;
    assert!(
        hits.iter()
            .any(|h| h.label.starts_with("feature heart: W = ")),
        "{:?}",
        hits.iter().map(|h| &h.label).collect::<Vec<_>>()
    );
}

#[test]
fn tooltips_and_empty_states_use_the_callers_words() {
    let words = PlotText {
        no_steps: "NOSTEPS",
        tip_vector: "F{feature}|{w}|{norm}",
        ..PlotText::ENGLISH
    };
    let empty = PlotSpec::Loss {
        series: std::sync::Arc::new(Vec::new()),
        instances: 0,
        highlight: None,
    };
    assert!(
        empty
            .render_svg(300, 200, &Theme::default(), &words)
            .svg
            .contains("NOSTEPS")
    );
    let r = samples::samples()[0]
        .1
        .render_svg(400, 300, &Theme::default(), &words);
    assert!(
        r.hits
            .iter()
            .any(|h| h.label.starts_with("F0|(1.000, 0.000)|1.000"))
    );
    // The English default draws what the CLI always drew.
    assert!(empty.svg(300, 200).contains("no steps yet"));
}

/// With `POLYTOPE_PLOT_DUMP=DIR`, writes every plot kind in every theme (and in projector
/// sizes) as SVG files to look at.
#[test]
fn every_plot_kind_is_written_for_review_when_asked() {
    let Some(dir) = std::env::var_os("POLYTOPE_PLOT_DUMP") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let themes = [
        ("light", Theme::default()),
        (
            "dark",
            Theme {
                colors: Colors::DARK,
                ..Theme::default()
            },
        ),
        (
            "projector",
            Theme {
                text_zoom: 1.5,
                min_text: 18.0,
                colors: Colors::LIGHT_HIGH_CONTRAST,
                ..Theme::default()
            },
        ),
    ];
    for (name, spec) in samples::samples() {
        for (theme_name, theme) in &themes {
            let svg = spec.render_svg(480, 360, theme, &EN).svg;
            std::fs::write(dir.join(format!("{name}-{theme_name}.svg")), svg).unwrap();
        }
    }
}
