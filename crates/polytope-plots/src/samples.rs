//! A spec of every plot kind, with data and in each empty state, so that tests (here and in
//! the app, which checks its translations) can draw every word a plot can draw.

use std::sync::Arc;

use polytope_core::tms::{GeometryGraph, Regime, geometry_graph};

use crate::{Curve, EnergyHistory, InstancePoint, LossSeries, PhaseDiagram, PlotSpec};

/// The pentagon: five unit vectors at 72 degrees in 2-D, row-major `2 x 5`.
pub fn pentagon() -> Vec<f32> {
    let mut w = vec![0.0; 10];
    for j in 0..5 {
        let a = std::f32::consts::TAU * j as f32 / 5.0;
        w[j] = a.cos();
        w[5 + j] = a.sin();
    }
    w
}

/// `(name, spec)` for every plot kind: each once with data and once per empty state.
/// Labels that callers pass inside specs (the sticky fractions, the phase diagram's axes and
/// regimes, curve names) are English here; a caller checking its own words replaces them.
pub fn samples() -> Vec<(&'static str, PlotSpec)> {
    let w = Arc::new(pentagon());
    let b = Arc::new(vec![0.1, -0.2, 0.0, 0.3, -0.1]);
    let mut w3 = vec![0.0; 12];
    for j in 0..4 {
        w3[(j % 3) * 4 + j] = 1.0;
    }
    let w3 = Arc::new(w3);
    let mut w4 = vec![0.0f32; 4 * 6];
    for j in 0..6 {
        w4[(j % 4) * 6 + j] = if j < 4 { 1.0 } else { -0.9 };
    }
    let points: Arc<Vec<InstancePoint>> = Arc::new(
        (0..4)
            .map(|i| InstancePoint {
                instance: i,
                inverse_density: 1.0 + 6.0 * i as f64,
                dims_per_feature: 1.0 - 0.15 * i as f32,
                dimensionality: vec![0.4; 5],
            })
            .collect(),
    );
    let history = Arc::new(EnergyHistory {
        steps: vec![1.0, 10.0, 100.0],
        dimensionality: vec![vec![1.0, 0.0], vec![0.5, 0.5], vec![0.4, 0.4]],
        loss: vec![(1.0, 0.1), (10.0, 0.05), (100.0, 0.01)],
    });
    let fractions = crate::STICKY_FRACTIONS.map(|(_, l)| l);
    let series = Arc::new(
        (0..3)
            .map(|i| LossSeries {
                instance: i,
                points: (1..60)
                    .map(|s| (f64::from(s), (1.0 + i as f64) / f64::from(s)))
                    .collect(),
            })
            .collect(),
    );
    let panels = Arc::new(
        (0..4)
            .map(|i| {
                (
                    i,
                    format!("p = {:.3}", 1.0 / (1.0 + i as f64)),
                    Arc::clone(&w),
                    Arc::clone(&b),
                )
            })
            .collect(),
    );
    let spec = polytope_core::tms::PhaseSpec {
        resolution: 6,
        ..polytope_core::tms::PhaseSpec::paper(2, 1)
    };
    let mut cells: Vec<Option<Regime>> = Vec::new();
    let count = spec.importances().len() * spec.densities().len();
    for k in 0..count {
        cells.push(match k % 5 {
            0 => Some(Regime::NotLearned),
            1 => Some(Regime::Dedicated),
            2 => Some(Regime::Superposition),
            3 => Some(Regime::Other),
            _ => None,
        });
    }
    let diagram = Arc::new(PhaseDiagram::from_spec(&spec, cells));
    let empty_diagram = Arc::new(PhaseDiagram {
        importances: Vec::new(),
        densities: Vec::new(),
        cells: Vec::new(),
        ..(*diagram).clone()
    });
    let curves = Arc::new(vec![
        Curve {
            name: "reconstruction".into(),
            color: 0,
            points: (1..=100)
                .map(|s| (f64::from(s), 1.0 / f64::from(s)))
                .collect(),
        },
        Curve {
            name: "L0".into(),
            color: 1,
            points: (1..=100).map(|s| (f64::from(s), 3.0)).collect(),
        },
    ]);
    let mut counts = vec![0u32; 28];
    counts[20] = 5;
    counts[24] = 9;
    let truth: Vec<f32> = (0..5).flat_map(|j| [w[j], w[5 + j]]).collect();
    let mut learned = truth[..6].to_vec();
    learned.extend([0.0, -1.0]);
    let names = Some(Arc::new(
        ["dog", "apple", "heart", "eye", "car"]
            .map(str::to_owned)
            .to_vec(),
    ));
    vec![
        (
            "vectors",
            PlotSpec::Vectors2d {
                w: Arc::clone(&w),
                n: 5,
                highlight: Some(2),
                names: None,
            },
        ),
        (
            "vectors-named",
            PlotSpec::Vectors2d {
                w: Arc::clone(&w),
                n: 5,
                highlight: None,
                names: names.clone(),
            },
        ),
        (
            "vectors-3d",
            PlotSpec::Vectors3d {
                w: Arc::clone(&w3),
                n: 4,
                rotation: (0.6, 0.35),
                highlight: Some(1),
                names: None,
            },
        ),
        (
            "gram",
            PlotSpec::Gram {
                w: Arc::clone(&w),
                m: 2,
                n: 5,
                b: Arc::clone(&b),
                highlight: Some(0),
                names: None,
            },
        ),
        (
            "norms",
            PlotSpec::Norms {
                norms: Arc::new(vec![1.0, 0.9, 0.5, 0.1, 0.0]),
                superposition: Arc::new(vec![0.0, 0.3, 0.6, 0.9, 1.0]),
                highlight: Some(1),
                names: None,
            },
        ),
        (
            "neurons",
            PlotSpec::Neurons {
                w: Arc::clone(&w),
                m: 2,
                n: 5,
                highlight: Some(3),
                names: None,
            },
        ),
        (
            "loss",
            PlotSpec::Loss {
                series,
                instances: 3,
                highlight: Some(1),
            },
        ),
        (
            "loss-empty",
            PlotSpec::Loss {
                series: Arc::new(Vec::new()),
                instances: 0,
                highlight: None,
            },
        ),
        (
            "multiples",
            PlotSpec::Multiples {
                panels: Arc::clone(&panels),
                m: 2,
                n: 5,
                selected: Some(1),
                highlight: None,
                names: None,
            },
        ),
        (
            "multiples-gram",
            PlotSpec::Multiples {
                panels: Arc::new(
                    (0..2)
                        .map(|i| {
                            (
                                i,
                                format!("p = {i}"),
                                Arc::new(w4.clone()),
                                Arc::new(vec![0.0; 6]),
                            )
                        })
                        .collect(),
                ),
                m: 4,
                n: 6,
                selected: None,
                highlight: Some(2),
                names: None,
            },
        ),
        (
            "multiples-empty",
            PlotSpec::Multiples {
                panels: Arc::new(Vec::new()),
                m: 2,
                n: 5,
                selected: None,
                highlight: None,
                names: None,
            },
        ),
        (
            "dims",
            PlotSpec::DimsPerFeature {
                points: Arc::clone(&points),
                highlight: Some(2),
                labels: fractions,
            },
        ),
        (
            "dims-empty",
            PlotSpec::DimsPerFeature {
                points: Arc::new(Vec::new()),
                highlight: None,
                labels: fractions,
            },
        ),
        (
            "energy",
            PlotSpec::Energy {
                history,
                highlight: Some(1),
                labels: fractions,
            },
        ),
        (
            "energy-empty",
            PlotSpec::Energy {
                history: Arc::new(EnergyHistory::default()),
                highlight: None,
                labels: fractions,
            },
        ),
        (
            "graph",
            PlotSpec::Graph {
                graph: Arc::new(geometry_graph(&w4, 4, 6, 0.1)),
                n: 6,
                highlight: Some(4),
                names: None,
            },
        ),
        (
            "graph-empty",
            PlotSpec::Graph {
                graph: Arc::new(GeometryGraph {
                    edges: Vec::new(),
                    components: Vec::new(),
                }),
                n: 6,
                highlight: None,
                names: None,
            },
        ),
        ("phase", PlotSpec::Phase { diagram }),
        (
            "phase-empty",
            PlotSpec::Phase {
                diagram: empty_diagram,
            },
        ),
        (
            "curves",
            PlotSpec::Curves {
                curves: Arc::clone(&curves),
                events: Arc::new(vec![(30.0, 12), (60.0, 3)]),
                log_y: true,
                y_range: None,
            },
        ),
        (
            "curves-linear",
            PlotSpec::Curves {
                curves,
                events: Arc::new(Vec::new()),
                log_y: false,
                y_range: Some((0.0, 1.02)),
            },
        ),
        (
            "curves-empty",
            PlotSpec::Curves {
                curves: Arc::new(Vec::new()),
                events: Arc::new(Vec::new()),
                log_y: false,
                y_range: None,
            },
        ),
        (
            "density",
            PlotSpec::Density {
                counts: Arc::new(counts),
                first_edge: -7.0,
                dead: 4,
            },
        ),
        (
            "density-empty",
            PlotSpec::Density {
                counts: Arc::new(vec![0; 28]),
                first_edge: -7.0,
                dead: 0,
            },
        ),
        (
            "scores",
            PlotSpec::ScoreHistograms {
                groups: Arc::new(vec![
                    crate::ScoreGroup::from_scores(
                        // Group names are data (a dictionary id) or localised by the caller.
                        "4096",
                        0,
                        &[0.95, 0.9, 0.85, 0.6, 0.99],
                        0.0,
                        1.0,
                        20,
                    ),
                    crate::ScoreGroup::from_scores("512", 1, &[0.3, 0.35, 0.5], 0.0, 1.0, 20),
                ]),
                lo: 0.0,
                hi: 1.0,
            },
        ),
        (
            "quality-by-size",
            PlotSpec::QualityBySize {
                // Series names are localised by the caller; numbers here.
                series: Arc::new(vec![
                    crate::SizeSeries {
                        name: "1".into(),
                        color: 0,
                        points: vec![(512, 0.8), (2048, 0.86), (4096, 0.87), (16384, 0.9)],
                    },
                    crate::SizeSeries {
                        name: "2".into(),
                        color: 3,
                        points: vec![(512, 0.0), (2048, 0.005), (4096, 0.02)],
                    },
                ]),
                current: Some(2048),
            },
        ),
        (
            "dictionary",
            PlotSpec::Dictionary {
                truth: Arc::new(truth.clone()),
                learned: Arc::new(learned),
                dim: 2,
                matched: Arc::new(vec![Some(0), Some(1), Some(2), None]),
                alive: Arc::new(vec![true, true, true, false]),
                rotation: (0.0, 0.0),
                highlight: Some(1),
            },
        ),
        (
            "dictionary-4d",
            PlotSpec::Dictionary {
                truth: Arc::new(vec![1.0; 8]),
                learned: Arc::new(vec![1.0; 8]),
                dim: 4,
                matched: Arc::new(vec![None, None]),
                alive: Arc::new(vec![true, true]),
                rotation: (0.0, 0.0),
                highlight: None,
            },
        ),
        (
            "cosine",
            PlotSpec::Cosine {
                cos: Arc::new(vec![0.99, 0.1, 0.0, 0.0, 0.95, 0.2]),
                rows: 2,
                cols: 3,
                latents: Arc::new(vec![2, 0, 1]),
                highlight: Some(0),
            },
        ),
        (
            "cosine-empty",
            PlotSpec::Cosine {
                cos: Arc::new(Vec::new()),
                rows: 0,
                cols: 0,
                latents: Arc::new(Vec::new()),
                highlight: None,
            },
        ),
        (
            "empty",
            PlotSpec::Empty {
                message: "…".into(),
            },
        ),
    ]
}
