//! Tour widgets that train toy models: five features in two dimensions, superposition against
//! sparsity, dimensions per feature, the shapes, and computing `|x|` in superposition.

use std::sync::Arc;

use leptos::html::Div;
use leptos::prelude::*;

use super::{step, toy_run};
use crate::components::in_view::pause_out_of_view;
use crate::components::play_bar::PlayBar;
use crate::components::plot_card::PlotCard;
use crate::compute::ComputeStatus;
use crate::engine::RunStatus;
use crate::engine::tms::{TmsRun, View};
use crate::i18n::{I18n, Key, use_i18n};
use crate::pages::geometry::fraction_labels;
use crate::pages::toy::ToyStatusLine;
use crate::plot::PlotSpec;
use crate::specs;
use crate::tour::goals;
use crate::use_app;

/// The intro model, fast enough for the CPU: dense instances keep two orthogonal features,
/// middle ones antipodal pairs, the sparsest a pentagon (checked natively for seeds 0-2).
pub const FIVE_IN_TWO: &str = "preset=intro&steps=2000&lr=0.01&batch=512";
/// Twenty features of falling importance in five dimensions, seven densities.
pub const SPARSITY: &str = "preset=sparsity-sweep&steps=3000&lr=0.01&batch=512";
/// Dimensions per feature: the paper's shape on a GPU, a smaller one on the CPU.
pub const DIMS_GPU: &str =
    "preset=dims-per-feature&density=sweep:1:0.05:20&steps=4000&lr=0.01&batch=512";
pub const DIMS_CPU: &str =
    "preset=dims-per-feature&n=50&m=5&density=sweep:1:0.05:10&steps=2000&lr=0.01&batch=512";
/// `|x|` of 30 sparse inputs with 10 neurons.
pub const COMPUTATION: &str =
    "preset=abs&n=30&m=10&density=1,0.1,0.03,0.01&steps=3000&lr=0.01&batch=512";

/// A widget's run with its play bar and status, paused while scrolled out of view.
#[component]
fn RunFrame(run: TmsRun, children: Children) -> impl IntoView {
    let node = NodeRef::<Div>::new();
    pause_out_of_view(run, node);
    view! {
        <div class="tour-run" node_ref=node>
            <PlayBar run hide_speed=true />
            <ToyStatusLine run />
            {children()}
        </div>
    }
}

fn view_memo(
    run: TmsRun,
    f: impl Fn(&View) -> PlotSpec + Send + Sync + 'static,
) -> Signal<PlotSpec> {
    Signal::from(Memo::new(move |_| {
        run.data
            .view
            .with(|v| v.as_ref().map_or_else(specs::waiting, |v| f(v)))
    }))
}

fn label(i18n: I18n, key: Key) -> Signal<String> {
    Signal::derive(move || i18n.t(key).to_owned())
}

/// Step 2: the intro model with a density slider over its instances.
#[component]
pub fn FiveInTwo() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = step();
    let run = toy_run(FIVE_IN_TWO);
    let instance = RwSignal::new(0usize);
    Effect::new(move |_| {
        let met = run.data.view.with(|v| {
            v.as_ref()
                .and_then(|v| v.metrics.last().map(goals::is_pentagon))
        });
        if let Some(ok) = met {
            ctx.goal.set(ok);
        }
    });
    ctx.report(move || {
        run.data.view.with_untracked(|v| {
            v.as_ref().map(|v| {
                let last = v.metrics.len() - 1;
                serde_json::json!({
                    "step": v.step,
                    "instance": instance.get_untracked(),
                    "sparsest_density": v.density(last),
                    "sparsest_represented": v.represented(last),
                    "sparsest_dimensionality": v.metrics[last].dimensionality,
                })
            })
        })
    });
    let names = super::feature_names(i18n);
    let vectors = view_memo(run, move |v| {
        let i = specs::instance(v, instance.get());
        specs::vectors(v, i, None, (0.6, 0.35)).with_names(Some(Arc::clone(&names)))
    });
    let density_line = move || {
        run.data.view.with(|v| {
            v.as_ref().map(|v| {
                let i = specs::instance(v, instance.get());
                format!(
                    "{} {:.3} · {} {}/5",
                    i18n.t(Key::InstanceDensity),
                    v.density(i),
                    i18n.t(Key::Represented),
                    v.represented(i)
                )
            })
        })
    };
    view! {
        <RunFrame run>
            <label class="tour-slider">
                <span>{i18n.tr(Key::TourDensitySlider)}</span>
                <input type="range" min="0" max="9" step="1" data-testid="tour-density"
                    prop:value=move || instance.get().to_string()
                    on:input=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<usize>() {
                            instance.set(v.min(9));
                        }
                    } />
                <span class="mono" data-testid="tour-density-label">{density_line}</span>
            </label>
            <PlotCard name="vectors" title=label(i18n, Key::PlotVectors) spec=vectors aspect=0.8 />
        </RunFrame>
    }
}

/// Step 4: norms coloured by superposition for a dense, a middle and the sparsest density.
#[component]
pub fn Sparsity() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = step();
    let run = toy_run(SPARSITY);
    Effect::new(move |_| {
        let ok = run.data.view.with(|v| {
            v.as_ref().map(|v| {
                let last = v.metrics.len() - 1;
                goals::sparsity_made_its_point(&v.metrics[0], &v.metrics[last], v.cfg.m())
            })
        });
        if let Some(ok) = ok {
            ctx.goal.set(ok);
        }
    });
    ctx.report(move || {
        run.data.view.with_untracked(|v| {
            v.as_ref().map(|v| {
                let per: Vec<_> = (0..v.cfg.instance_count())
                    .map(|i| {
                        serde_json::json!({"density": v.density(i), "represented": v.represented(i)})
                    })
                    .collect();
                serde_json::json!({"step": v.step, "instances": per})
            })
        })
    });
    let norms = move |pick: fn(usize) -> usize| {
        view_memo(run, move |v| {
            specs::norms(v, pick(v.cfg.instance_count()), None)
        })
    };
    let title = move |pick: fn(usize) -> usize| {
        Signal::derive(move || {
            run.data.view.with(|v| {
                let d = v
                    .as_ref()
                    .map_or(0.0, |v| v.density(pick(v.cfg.instance_count())));
                format!(
                    "{} · {} {d}",
                    i18n.t(Key::PlotNorms),
                    i18n.t(Key::InstanceDensity)
                )
            })
        })
    };
    let first: fn(usize) -> usize = |_| 0;
    let middle: fn(usize) -> usize = |n| n / 2 - 1;
    let last: fn(usize) -> usize = |n| n - 1;
    view! {
        <RunFrame run>
            <p class="card-note">{i18n.tr(Key::ColourKey)}</p>
            <div class="cards three">
                <PlotCard name="norms-dense" title=title(first) spec=norms(first) aspect=0.9 />
                <PlotCard name="norms-middle" title=title(middle) spec=norms(middle) aspect=0.9 />
                <PlotCard name="norms-sparse" title=title(last) spec=norms(last) aspect=0.9 />
            </div>
        </RunFrame>
    }
}

/// Whether this visitor gets the paper-sized run: a hardware GPU, not a software adapter.
fn fast_gpu() -> bool {
    let app = use_app();
    !app.prefer_cpu
        && matches!(app.compute.get_untracked(), ComputeStatus::Webgpu { adapter } if !crate::compute::is_software(&adapter))
}

/// Step 5: dimensions per feature against `1/(1-S)`.
#[component]
pub fn DimsPerFeature() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = step();
    let app = use_app();
    // The size depends on the backend, known once the app has looked for a GPU.
    let chosen = RwSignal::new(None::<TmsRun>);
    Effect::new(move |_| {
        if chosen.get_untracked().is_some() || app.compute.get().is_detecting() {
            return;
        }
        let settings = if fast_gpu() { DIMS_GPU } else { DIMS_CPU };
        let run = toy_run(settings);
        run.data.settings.with_untracked(|s| {
            ctx.value("dpf_n", s.n.to_string());
            ctx.value("dpf_m", s.m.to_string());
        });
        chosen.set(Some(run));
    });
    move || {
        chosen.get().map(|run| {
            Effect::new(move |_| {
                let ok = run.data.view.with(|v| {
                    v.as_ref().map(|v| {
                        let points: Vec<(f64, f32)> = (0..v.cfg.instance_count())
                            .map(|i| (1.0 / f64::from(v.density(i)), v.metrics[i].dims_per_feature))
                            .collect();
                        goals::dims_made_its_point(&points)
                    })
                });
                if let Some(ok) = ok {
                    ctx.goal.set(ok && run.status.get() == RunStatus::Done);
                }
            });
            ctx.report(move || {
                run.data.view.with_untracked(|v| {
                    v.as_ref().map(|v| {
                        let d: Vec<_> = v.metrics.iter().map(|m| m.dims_per_feature).collect();
                        serde_json::json!({"step": v.step, "n": v.cfg.n(), "m": v.cfg.m(), "dims_per_feature": d})
                    })
                })
            });
            let dims = view_memo(run, move |v| specs::dims_per_feature(v, 0, fraction_labels(i18n)));
            view! {
                <RunFrame run>
                    <PlotCard name="dims" plot="dims-per-feature" title=label(i18n, Key::PlotDimsPerFeature) spec=dims aspect=0.55 wide=true />
                </RunFrame>
            }
        })
    }
}

/// One shape of step 6: the features, dimensions and density that produce it.
struct ShapeSpec {
    key: Key,
    /// The named fraction every feature's `D_i` should reach.
    target: f32,
    n: u32,
    m: u32,
    density: &'static str,
}

/// Found by training at these settings natively: every instance of seeds 0-3 for the digon,
/// pentagon and square antiprism; the best of eight instances for the triangle (dense
/// features, D_i 0.64-0.70) and the tetrahedron (D_i 0.74-0.76).
const SHAPES: [ShapeSpec; 5] = [
    ShapeSpec {
        key: Key::FractionDigon,
        target: 0.5,
        n: 2,
        m: 1,
        density: "0.1",
    },
    ShapeSpec {
        key: Key::FractionTriangle,
        target: 2.0 / 3.0,
        n: 3,
        m: 2,
        density: "0.8",
    },
    ShapeSpec {
        key: Key::FractionTetrahedron,
        target: 0.75,
        n: 4,
        m: 3,
        density: "0.7",
    },
    ShapeSpec {
        key: Key::FractionPentagon,
        target: 0.4,
        n: 5,
        m: 2,
        density: "0.05",
    },
    ShapeSpec {
        key: Key::FractionAntiprism,
        target: 0.375,
        n: 8,
        m: 3,
        density: "0.02",
    },
];

/// The instance closest to the shape, and its largest `D_i` error.
fn best_instance(v: &View, target: f32) -> Option<(usize, f32)> {
    (0..v.cfg.instance_count())
        .filter_map(|i| goals::shape_error(&v.metrics[i], target).map(|e| (i, e)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// Step 6: five small models, each trained into one of the shapes.
#[component]
pub fn Shapes() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = step();
    let runs: Vec<(usize, TmsRun)> = SHAPES
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let d = [s.density; 8].join(",");
            let q = format!(
                "preset=intro&n={}&m={}&importance=1&density={d}&steps=3000&lr=0.01&batch=512",
                s.n, s.m
            );
            (k, toy_run(&q))
        })
        .collect();
    let runs = Arc::new(runs);
    let errors = {
        let runs = Arc::clone(&runs);
        Memo::new(move |_| {
            runs.iter()
                .map(|(k, run)| {
                    run.data
                        .view
                        .with(|v| v.as_ref().and_then(|v| best_instance(v, SHAPES[*k].target)))
                        .map(|(_, e)| e)
                })
                .collect::<Vec<Option<f32>>>()
        })
    };
    Effect::new(move |_| {
        ctx.goal.set(
            errors
                .get()
                .iter()
                .all(|e| e.is_some_and(|e| e < goals::SHAPE_TOLERANCE)),
        );
    });
    ctx.report(move || {
        let names = [
            "digon",
            "triangle",
            "tetrahedron",
            "pentagon",
            "square-antiprism",
        ];
        errors
            .get_untracked()
            .iter()
            .zip(names)
            .map(|(e, n)| (n, *e))
            .collect::<std::collections::BTreeMap<_, _>>()
    });
    let rotation = RwSignal::new((0.6f64, 0.35f64));
    let drag = Callback::new(move |(dx, dy): (f64, f64)| {
        rotation.update(|r| {
            r.0 += dx * 0.01;
            r.1 = (r.1 + dy * 0.01).clamp(-1.5, 1.5);
        });
    });
    let node = NodeRef::<Div>::new();
    for (_, run) in runs.iter() {
        pause_out_of_view(*run, node);
    }
    view! {
        <div class="tour-run" node_ref=node>
            <div class="cards shapes">
                {runs.iter().map(|(k, run)| {
                    let (k, run) = (*k, *run);
                    let s = &SHAPES[k];
                    let spec = view_memo(run, move |v| match best_instance(v, s.target) {
                        Some((i, _)) => specs::vectors(v, i, None, rotation.get()),
                        None => specs::vectors(v, 0, None, rotation.get()),
                    });
                    let title = Signal::derive(move || {
                        let err = errors.get()[k];
                        let mark = if err.is_some_and(|e| e < goals::SHAPE_TOLERANCE) { " ✓" } else { "" };
                        format!("{}{mark}", i18n.t(s.key))
                    });
                    view! { <PlotCard name="shape" title spec aspect=1.0 on_drag=drag /> }
                }).collect_view()}
            </div>
        </div>
    }
}

/// Step 8: `|x|` computed by ReLU neurons, dense against sparse.
#[component]
pub fn Computation() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = step();
    let run = toy_run(COMPUTATION);
    Effect::new(move |_| {
        let ok = run.data.view.with(|v| {
            v.as_ref().map(|v| {
                let last = v.cfg.instance_count() - 1;
                let (m, n) = (v.cfg.m(), v.cfg.n());
                goals::computation_made_its_point(v.w(0), v.w(last), &v.metrics[last], m, n)
            })
        });
        if let Some(ok) = ok {
            ctx.goal.set(ok && run.status.get() == RunStatus::Done);
        }
    });
    ctx.report(move || {
        run.data.view.with_untracked(|v| {
            v.as_ref().map(|v| {
                let last = v.cfg.instance_count() - 1;
                let (m, n) = (v.cfg.m(), v.cfg.n());
                serde_json::json!({
                    "step": v.step,
                    "dense_polysemantic_neurons": goals::polysemantic_neurons(v.w(0), m, n),
                    "sparse_polysemantic_neurons": goals::polysemantic_neurons(v.w(last), m, n),
                    "sparse_represented": v.represented(last),
                    "neurons": m,
                })
            })
        })
    });
    let dense = view_memo(run, |v| specs::neurons(v, 0, None));
    let sparse = view_memo(run, |v| specs::neurons(v, v.cfg.instance_count() - 1, None));
    let title = move |which: Key| {
        Signal::derive(move || format!("{} · {}", i18n.t(Key::PlotNeurons), i18n.t(which)))
    };
    view! {
        <RunFrame run>
            <div class="cards">
                <PlotCard name="neurons-dense" title=title(Key::TourDense) spec=dense aspect=0.7 />
                <PlotCard name="neurons-sparse" title=title(Key::TourSparse) spec=sparse aspect=0.7 />
            </div>
        </RunFrame>
    }
}
