//! Every figure of a finished toy-model run, as named [`PlotSpec`]s: what `polytope tms --out`
//! writes as SVG, drawn by the same functions as the app's canvases.

use std::sync::Arc;

use polytope_core::tms::{ModelKind, RunReport, geometry_graph};

use crate::{InstancePoint, LossSeries, PlotSpec, STICKY_FRACTIONS};

/// A figure: file stem, what it shows, and its size in pixels.
pub struct Figure {
    pub name: String,
    pub spec: PlotSpec,
    pub size: (u32, u32),
}

fn density(report: &RunReport, i: usize) -> f32 {
    report.instances[i]
        .feature_probability
        .iter()
        .copied()
        .fold(f32::INFINITY, f32::min)
}

/// The figures of `report`; `losses` is the loss of every instance at every step (`[steps, I]`).
pub fn tms_figures(report: &RunReport, model: ModelKind, losses: &[f32]) -> Vec<Figure> {
    let (m, n) = (report.n_hidden as usize, report.n_features as usize);
    let count = report.instances.len();
    let mut figures = Vec::new();
    let panels = report
        .instances
        .iter()
        .enumerate()
        .map(|(i, inst)| {
            (
                i,
                format!("p = {:.3}", density(report, i)),
                Arc::new(inst.w.clone()),
                Arc::new(inst.b.clone()),
            )
        })
        .collect();
    figures.push(Figure {
        name: "multiples".into(),
        spec: PlotSpec::Multiples {
            panels: Arc::new(panels),
            m,
            n,
            selected: None,
            highlight: None,
            names: None,
        },
        size: (1200, 560),
    });
    let series = (0..count)
        .map(|i| LossSeries {
            instance: i,
            points: losses
                .chunks(count)
                .enumerate()
                .map(|(step, row)| ((step + 1) as f64, f64::from(row[i])))
                .collect(),
        })
        .collect();
    figures.push(Figure {
        name: "loss".into(),
        spec: PlotSpec::Loss {
            series: Arc::new(series),
            instances: count,
            highlight: None,
        },
        size: (720, 420),
    });
    let points = report
        .instances
        .iter()
        .enumerate()
        .map(|(i, inst)| InstancePoint {
            instance: i,
            inverse_density: 1.0 / f64::from(density(report, i).max(1e-9)),
            dims_per_feature: inst.dims_per_feature,
            dimensionality: inst.dimensionality.clone(),
        })
        .collect();
    let labels = STICKY_FRACTIONS.map(|(_, label)| label);
    figures.push(Figure {
        name: "dims-per-feature".into(),
        spec: PlotSpec::DimsPerFeature {
            points: Arc::new(points),
            highlight: None,
            labels,
        },
        size: (900, 420),
    });
    for (i, inst) in report.instances.iter().enumerate() {
        let w = Arc::new(inst.w.clone());
        let vectors = match m {
            1 => {
                let mut padded = inst.w.clone();
                padded.extend(std::iter::repeat_n(0.0, n));
                PlotSpec::Vectors2d {
                    w: Arc::new(padded),
                    n,
                    highlight: None,
                    names: None,
                }
            }
            2 => PlotSpec::Vectors2d {
                w: Arc::clone(&w),
                n,
                highlight: None,
                names: None,
            },
            3 => PlotSpec::Vectors3d {
                w: Arc::clone(&w),
                n,
                rotation: (0.6, 0.35),
                highlight: None,
                names: None,
            },
            _ => PlotSpec::Graph {
                graph: Arc::new(geometry_graph(&inst.w, m, n, 0.1)),
                n,
                highlight: None,
                names: None,
            },
        };
        let stem = if m <= 3 { "vectors" } else { "geometry-graph" };
        figures.push(Figure {
            name: format!("{stem}-{i}"),
            spec: vectors,
            size: (480, 480),
        });
        figures.push(Figure {
            name: format!("wtw-{i}"),
            spec: PlotSpec::Gram {
                w: Arc::clone(&w),
                m,
                n,
                b: Arc::new(inst.b.clone()),
                highlight: None,
                names: None,
            },
            size: (520, 480),
        });
        figures.push(Figure {
            name: format!("norms-{i}"),
            spec: PlotSpec::Norms {
                norms: Arc::new(inst.norms.clone()),
                superposition: Arc::new(inst.superposition.clone()),
                highlight: None,
                names: None,
            },
            size: (480, 400),
        });
        if model == ModelKind::Privileged {
            figures.push(Figure {
                name: format!("neurons-{i}"),
                spec: PlotSpec::Neurons {
                    w,
                    m,
                    n,
                    highlight: None,
                    names: None,
                },
                size: (520, 360),
            });
        }
    }
    figures
}
