//! `/geometry`: dimensions per feature against sparsity with the polytope fractions, the
//! geometry of a chosen instance, and its energy-level jumps over training.

use std::sync::Arc;

use leptos::prelude::*;
use polytope_core::tms::geometry_graph;
use polytope_plots::{InstancePoint, Target};
use serde_json::json;

use crate::automation;
use crate::components::fallback_notice::FallbackNotice;
use crate::components::run_controls::{PlayBar, SettingsForm};
use crate::i18n::{I18n, Key, use_i18n};
use crate::pages::toy::{PageParams, RunStatusLine, ShareBar, run_from_url, run_state, sync_url};
use crate::plot::{PlotCanvas, PlotSpec};
use crate::run::start_when_ready;
use crate::use_app;

/// The sticky fractions' labels in the interface language.
pub fn fraction_labels(i18n: I18n) -> [&'static str; 6] {
    [
        i18n.t(Key::FractionOne),
        i18n.t(Key::FractionTetrahedron),
        i18n.t(Key::FractionTriangle),
        i18n.t(Key::FractionDigon),
        i18n.t(Key::FractionPentagon),
        i18n.t(Key::FractionAntiprism),
    ]
}

#[component]
pub fn GeometryPage() -> impl IntoView {
    let i18n = use_i18n();
    let app = use_app();
    automation::set_common("page", json!("geometry"));
    let params = PageParams::read();
    let run = run_from_url("dims-per-feature");
    if let Some(speed) = params.speed {
        run.speed.set(speed.min(crate::run::SPEEDS.len() - 1));
    }
    start_when_ready(run, params.autoplay);
    sync_url(run);

    let selected = RwSignal::new(params.instance.unwrap_or(usize::MAX));
    Effect::new(move |_| {
        let count = run
            .view
            .with(|v| v.as_ref().map(|v| v.cfg.instance_count()));
        if let Some(count) = count
            && selected.get_untracked() >= count
        {
            selected.set(count - 1);
        }
    });
    let highlight = RwSignal::new(None::<usize>);
    automation::provide(
        "geometry",
        Box::new(move || run_state(run, selected, highlight)),
    );
    on_cleanup(|| automation::withdraw("geometry"));

    let select = Callback::new(move |t: Target| match t {
        Target::Instance(i) | Target::InstanceFeature { instance: i, .. } => {
            selected.set(i);
            crate::url::update(&[("instance", Some(i.to_string()))]);
        }
        Target::Feature(f)
        | Target::NeuronFeature { feature: f, .. }
        | Target::Cell { row: f, .. } => {
            highlight.update(|h| *h = if *h == Some(f) { None } else { Some(f) });
        }
    });

    let dims_spec = Signal::from(Memo::new(move |_| {
        let Some(view) = run.view.get() else {
            return PlotSpec::Empty {
                message: "…".into(),
            };
        };
        let points = view
            .metrics
            .iter()
            .enumerate()
            .map(|(i, met)| {
                let p = view.cfg.instances[i]
                    .feature_probability
                    .iter()
                    .copied()
                    .fold(f32::INFINITY, f32::min);
                InstancePoint {
                    instance: i,
                    inverse_density: 1.0 / f64::from(p.max(1e-9)),
                    dims_per_feature: met.dims_per_feature,
                    dimensionality: met.dimensionality.clone(),
                }
            })
            .collect();
        PlotSpec::DimsPerFeature {
            points: Arc::new(points),
            highlight: Some(selected.get()),
            labels: fraction_labels(i18n),
        }
    }));
    let graph_spec = Signal::from(Memo::new(move |_| {
        let Some(view) = run.view.get() else {
            return PlotSpec::Empty {
                message: "…".into(),
            };
        };
        let i = selected.get().min(view.cfg.instance_count() - 1);
        let (m, n) = (view.cfg.m(), view.cfg.n());
        PlotSpec::Graph {
            graph: Arc::new(geometry_graph(view.w(i), m, n, 0.1)),
            n,
            highlight: highlight.get(),
        }
    }));
    let vectors_spec = Signal::from(Memo::new(move |_| {
        let Some(view) = run.view.get() else {
            return PlotSpec::Empty {
                message: "…".into(),
            };
        };
        let i = selected.get().min(view.cfg.instance_count() - 1);
        let (m, n) = (view.cfg.m(), view.cfg.n());
        let w = Arc::new(view.w(i).to_vec());
        match m {
            2 => PlotSpec::Vectors2d {
                w,
                n,
                highlight: highlight.get(),
            },
            3 => PlotSpec::Vectors3d {
                w,
                n,
                rotation: (0.6, 0.35),
                highlight: highlight.get(),
            },
            _ => PlotSpec::Gram {
                w,
                m,
                n,
                b: Arc::new(view.b(i).to_vec()),
                highlight: highlight.get(),
            },
        }
    }));
    let energy_spec = Signal::from(Memo::new(move |_| {
        let energy = run.energy.get();
        let i = selected.get();
        match energy
            .per_instance
            .get(i)
            .or_else(|| energy.per_instance.last())
        {
            Some(h) => PlotSpec::Energy {
                history: Arc::new(h.clone()),
                highlight: highlight.get(),
                labels: fraction_labels(i18n),
            },
            None => PlotSpec::Empty {
                message: "…".into(),
            },
        }
    }));
    let label = |key: Key| Signal::derive(move || i18n.t(key).to_owned());
    let hidden = Arc::clone(&params.hidden);
    let hide_settings = hidden.contains("settings") || app.embed;
    let selected_line = move || {
        run.view.get().map(|view| {
            let i = selected.get().min(view.cfg.instance_count() - 1);
            let p = view.cfg.instances[i]
                .feature_probability
                .iter()
                .copied()
                .fold(f32::INFINITY, f32::min);
            format!(
                "{} {i} · {} {p:.3} · D* {:.3} · {} {}/{}",
                i18n.t(Key::Instance),
                i18n.t(Key::InstanceDensity),
                view.metrics[i].dims_per_feature,
                i18n.t(Key::Represented),
                view.metrics[i].norms.iter().filter(|x| **x > 0.5).count(),
                view.cfg.n(),
            )
        })
    };

    view! {
        <div class="toy-page" class:embedded=app.embed>
            <Show when=move || !app.embed>
                <h1 class="page-title">{i18n.tr(Key::GeometryTitle)}</h1>
                <p class="lead-small">{i18n.tr(Key::GeometryIntro)}</p>
            </Show>
            <FallbackNotice />
            <div class="run-layout" class:no-sidebar=hide_settings>
                {(!hide_settings).then(|| view! {
                    <aside class="sidebar"><SettingsForm run hidden=Arc::clone(&hidden) /></aside>
                })}
                <div class="run-main">
                    <div class="run-top">
                        <PlayBar run hidden=Arc::clone(&params.hidden) />
                        <RunStatusLine run />
                    </div>
                    <div class="cards">
                        <section class="card wide" data-panel="dims">
                            <h2>{i18n.tr(Key::PlotDimsPerFeature)}</h2>
                            <p class="card-note">{i18n.tr(Key::GeometryCaveat)}</p>
                            <PlotCanvas spec=dims_spec name="dims-per-feature" label=label(Key::PlotDimsPerFeature) aspect=0.45 on_select=select />
                        </section>
                        <section class="card" data-panel="graph">
                            <h2>{i18n.tr(Key::PlotGraph)}</h2>
                            <p class="card-note mono" data-testid="selected-instance">{selected_line}</p>
                            <PlotCanvas spec=graph_spec name="geometry-graph" label=label(Key::PlotGraph) aspect=0.8 on_select=select />
                        </section>
                        <section class="card" data-panel="vectors">
                            <h2>{i18n.tr(Key::PlotVectors)}</h2>
                            <PlotCanvas spec=vectors_spec name="vectors" label=label(Key::PlotVectors) aspect=0.8 on_select=select />
                        </section>
                        <section class="card wide" data-panel="energy">
                            <h2>{i18n.tr(Key::PlotEnergy)}</h2>
                            <PlotCanvas spec=energy_spec name="energy-levels" label=label(Key::PlotEnergy) aspect=0.4 on_select=select />
                        </section>
                    </div>
                    <Show when=move || !app.embed>
                        <ShareBar run panels=Arc::clone(&params.panels) />
                    </Show>
                </div>
            </div>
        </div>
    }
}
