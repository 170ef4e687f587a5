//! `/geometry`: dimensions per feature against sparsity with the polytope fractions, the
//! geometry of a chosen instance, and its energy-level jumps over training.

use std::sync::Arc;

use leptos::prelude::*;

use crate::components::plot_card::PlotCard;
use crate::components::run_frame::RunFrame;
use crate::components::share_bar::EmbedSpec;
use crate::components::toy_settings::ToySettingsForm;
use crate::engine::tms::View;
use crate::i18n::{I18n, Key, use_i18n};
use crate::pages::toy::{ToyStatusLine, open_toy_run};
use crate::plot::PlotSpec;
use crate::specs;
use crate::state::run_state;

/// The panels of the page, by their `panels=` names.
pub const PANELS: [&str; 4] = ["dims", "graph", "vectors", "energy"];

const EMBED: EmbedSpec = EmbedSpec {
    panels: &PANELS,
    default: &["dims", "graph"],
    title: "Polytope: dimensions per feature",
};

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

/// The chosen instance in words: density, dimensions per feature, features represented.
pub fn instance_line(i18n: I18n, view: &View, i: usize) -> String {
    format!(
        "{} {i} · {} {:.3} · D* {:.3} · {} {}/{}",
        i18n.t(Key::Instance),
        i18n.t(Key::InstanceDensity),
        view.density(i),
        view.metrics[i].dims_per_feature,
        i18n.t(Key::Represented),
        view.represented(i),
        view.cfg.n(),
    )
}

#[component]
pub fn GeometryPage() -> impl IntoView {
    let i18n = use_i18n();
    let (params, run, selection) = open_toy_run("geometry", "dims-per-feature", &PANELS);
    crate::state::provide("geometry", move || run_state(run, selection, None));
    let select = selection.on_select();

    let spec = move |f: fn(&View, usize, Option<usize>) -> PlotSpec| {
        Signal::from(Memo::new(move |_| {
            run.data.view.with(|v| {
                v.as_ref().map_or_else(specs::waiting, |v| {
                    f(
                        v,
                        specs::instance(v, selection.instance.get()),
                        selection.feature.get(),
                    )
                })
            })
        }))
    };
    let dims = Signal::from(Memo::new(move |_| {
        run.data.view.with(|v| {
            v.as_ref().map_or_else(specs::waiting, |v| {
                specs::dims_per_feature(v, selection.instance.get(), fraction_labels(i18n))
            })
        })
    }));
    let graph = spec(specs::graph);
    let vectors = spec(|v, i, h| match v.cfg.m() {
        2 | 3 => specs::vectors(v, i, h, (0.6, 0.35)),
        _ => specs::gram(v, i, h),
    });
    let energy = Signal::from(Memo::new(move |_| {
        run.data.energy.with(|e| {
            specs::energy(
                e,
                selection.instance.get(),
                selection.feature.get(),
                fraction_labels(i18n),
            )
        })
    }));
    let title = move |key: Key| Signal::derive(move || i18n.t(key).to_owned());
    let hidden = Arc::clone(&params.hidden);
    let show = {
        let panels = Arc::clone(&params.panels);
        move |name: &str| panels.contains(name)
    };
    let selected_line = move || {
        run.data.view.get().map(|view| {
            let i = specs::instance(&view, selection.instance.get());
            instance_line(i18n, &view, i)
        })
    };
    view! {
        <RunFrame run params title=Key::GeometryTitle intro=Key::GeometryIntro embed=EMBED
            settings=move || view! { <ToySettingsForm run hidden=Arc::clone(&hidden) /> }.into_any()
            status=view! { <ToyStatusLine run /> }.into_any()>
            <div class="cards">
                {show("dims").then(|| view! {
                    <PlotCard name="dims" plot="dims-per-feature" title=title(Key::PlotDimsPerFeature) spec=dims
                        aspect=0.45 wide=true note=title(Key::GeometryCaveat) on_select=select />
                })}
                {show("graph").then(|| view! {
                    <PlotCard name="graph" plot="geometry-graph" title=title(Key::PlotGraph) spec=graph aspect=0.8 on_select=select>
                        <p class="card-note mono" data-testid="selected-instance">{selected_line}</p>
                    </PlotCard>
                })}
                {show("vectors").then(|| view! {
                    <PlotCard name="vectors" title=title(Key::PlotVectors) spec=vectors aspect=0.8 on_select=select />
                })}
                {show("energy").then(|| view! {
                    <PlotCard name="energy" plot="energy-levels" title=title(Key::PlotEnergy) spec=energy aspect=0.4 wide=true on_select=select />
                })}
            </div>
        </RunFrame>
    }
}
