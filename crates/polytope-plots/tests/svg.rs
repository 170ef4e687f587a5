//! Every plot renders to SVG through plotters' SVG backend (what the CLI writes and the app
//! exports), and shows what it should: one arrow per feature, one bar per feature, one cell
//! per grid entry, and hover regions for each.

use plotters::prelude::*;
use plotters_svg::SVGBackend;
use polytope_core::tms::{Regime, geometry_graph};
use polytope_plots::*;

const SIZE: (u32, u32) = (400, 300);

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

fn render(
    f: impl FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Hits,
) -> (String, Hits) {
    let mut svg = String::new();
    let hits;
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        hits = f(&root);
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
    let (svg, hits) = render(|a| feature_vectors_2d(a, &w, 5, Some(2), &Theme::default()).unwrap());
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
    let (_, hits) = render(|a| {
        feature_vectors_3d(a, &w3, 4, Rotation::default(), None, &Theme::default()).unwrap()
    });
    assert_eq!(hits.len(), 4);
}

#[test]
fn heatmap_bars_and_curves() {
    let w = pentagon();
    let (svg, hits) =
        render(|a| gram_heatmap(a, &w, 2, 5, &[0.0; 5], None, &Theme::default()).unwrap());
    assert_eq!(hits.len(), 25 + 5, "25 cells and 5 bias entries");
    assert!(svg.matches("<rect").count() >= 30);

    let (svg, hits) = render(|a| {
        norm_bars(
            a,
            &[1.0, 0.5, 0.0],
            &[0.0, 0.5, 1.0],
            None,
            &Theme::default(),
        )
        .unwrap()
    });
    assert_eq!(hits.len(), 3);
    assert!(svg.contains("‖W‖ = 1"));

    let (_, hits) = render(|a| neuron_bars(a, &w, 2, 5, None, &Theme::default()).unwrap());
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
    let (svg, hits) =
        render(|a| loss_curves(a, &series, 2, false, None, &Theme::default()).unwrap());
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
    let (svg, hits) =
        render(|a| dims_per_feature(a, &points, None, &labels, &Theme::default()).unwrap());
    assert_eq!(hits.len(), 4 * 5 + 4);
    assert!(svg.contains("2/5"));

    let history = EnergyHistory {
        steps: vec![1.0, 10.0, 100.0],
        dimensionality: vec![vec![1.0, 0.0], vec![0.5, 0.5], vec![0.4, 0.4]],
        loss: vec![(1.0, 0.1), (10.0, 0.05), (100.0, 0.01)],
    };
    let (_, hits) =
        render(|a| energy_levels(a, &history, Some(1), &labels, &Theme::default()).unwrap());
    assert_eq!(hits.len(), 2);

    let w = pentagon();
    let graph = geometry_graph(&w, 2, 5, 0.1);
    let (_, hits) =
        render(|a| polytope_plots::geometry_graph(a, &graph, 5, None, &Theme::default()).unwrap());
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
    let (svg, hits) = render(|a| phase_diagram(a, &diagram, &Theme::default()).unwrap());
    assert_eq!(hits.len(), 9);
    assert!(svg.contains("theory (approximation)"));
    let superposition = regime_color(Regime::Superposition);
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
    let (svg, hits) =
        render(|a| small_multiples(a, &panels, 2, 5, Some(1), None, &Theme::default()).unwrap());
    assert_eq!(hits.len(), 6);
    assert_eq!(svg.matches("<polygon").count(), 30);
    assert!(hits.iter().all(|h| h.x1 <= 400 && h.y1 <= 300));
}
