//! `/phase`: phase diagrams for `n = 2, m = 1` and `n = 3, m = 2`, every cell's models trained
//! together as one batch of instances, cells colouring in as the regimes settle.

use std::sync::Arc;

use leptos::prelude::*;
use polytope_core::tms::{PhaseCell, PhaseSpec};
use polytope_plots::PhaseDiagram;
use serde_json::json;

use crate::automation;
use crate::components::fallback_notice::FallbackNotice;
use crate::components::run_controls::PlayBar;
use crate::i18n::{I18n, Key, use_i18n};
use crate::pages::toy::PageParams;
use crate::plot::{PlotCanvas, PlotSpec};
use crate::run::{RunStatus, Severity, TmsRun, start_when_ready};
use crate::{url, use_app};

/// The page's settings: the URL parameters `n` (2 or 3, with `m = n - 1`), `resolution`,
/// `models`, `steps`, `seed`.
fn spec_from_url() -> (PhaseSpec, Vec<String>) {
    let mut errors = Vec::new();
    let n = match url::param("n").as_deref() {
        None | Some("2") => 2,
        Some("3") => 3,
        Some(other) => {
            errors.push(format!(
                "n={other:?}: phase diagrams exist for n = 2 and n = 3"
            ));
            2
        }
    };
    let mut spec = PhaseSpec::paper(n, n - 1);
    let mut number = |name: &str, min: u32, max: u32, slot: &mut u32| {
        if let Some(v) = url::param(name) {
            match v.parse::<u32>() {
                Ok(x) if (min..=max).contains(&x) => *slot = x,
                _ => errors.push(format!(
                    "{name}={v:?}: must be a whole number from {min} to {max}"
                )),
            }
        }
    };
    number("resolution", 2, 64, &mut spec.resolution);
    number("models", 1, 32, &mut spec.models);
    number("steps", 1, 1_000_000, &mut spec.steps);
    number("seed", 0, u32::MAX, &mut spec.seed);
    (spec, errors)
}

fn write_url(spec: &PhaseSpec) {
    url::update(&[
        ("n", Some(spec.n.to_string())),
        ("resolution", Some(spec.resolution.to_string())),
        ("models", Some(spec.models.to_string())),
        ("steps", Some(spec.steps.to_string())),
        ("seed", Some(spec.seed.to_string())),
    ]);
}

fn diagram(i18n: I18n, spec: &PhaseSpec, cells: &[Option<PhaseCell>]) -> PhaseDiagram {
    let mut d = PhaseDiagram::from_spec(
        spec,
        cells.iter().map(|c| c.as_ref().map(|c| c.regime)).collect(),
    );
    d.x_label = i18n.t(Key::PhaseX).into();
    d.y_label = i18n.t(Key::PhaseY).into();
    d.regime_labels = [
        i18n.t(Key::RegimeNotLearned).into(),
        i18n.t(Key::RegimeDedicated).into(),
        i18n.t(Key::RegimeSuperposition).into(),
        i18n.t(Key::RegimeOther).into(),
    ];
    d.boundary_label = i18n.t(Key::PhaseBoundary).into();
    d
}

#[component]
pub fn PhasePage() -> impl IntoView {
    let i18n = use_i18n();
    let app = use_app();
    automation::set_common("page", json!("phase"));
    let params = PageParams::read();
    let (initial, url_errors) = spec_from_url();
    let spec = RwSignal::new(initial.clone());
    let prefer_cpu = url::param("backend").is_some_and(|b| b == "cpu");
    let run = TmsRun::for_config(initial.config(), prefer_cpu);
    run.speed
        .set(params.speed.unwrap_or(3).min(crate::run::SPEEDS.len() - 1));
    start_when_ready(run, params.autoplay);
    write_url(&initial);

    // Cells: pending until a quarter of the steps, then the live vote of each cell.
    let cells = Memo::new(move |_| {
        let spec = spec.get();
        let count = (spec.resolution * spec.resolution) as usize;
        let Some(view) = run.view.get() else {
            return vec![None; count];
        };
        let done = run.status.get() == RunStatus::Done;
        if view.last_loss.is_empty() || (!done && view.step * 4 < spec.steps) {
            return vec![None; count];
        }
        (0..spec.resolution)
            .flat_map(|row| (0..spec.resolution).map(move |col| (row, col)))
            .map(|(row, col)| Some(spec.cell(row, col, &view.params, &view.last_loss)))
            .collect::<Vec<_>>()
    });
    let plot = Signal::derive(move || PlotSpec::Phase {
        diagram: Arc::new(diagram(i18n, &spec.get(), &cells.get())),
    });

    automation::provide(
        "phase",
        Box::new(move || {
            let spec = spec.get_untracked();
            let cells: Vec<PhaseCell> = cells.get_untracked().into_iter().flatten().collect();
            json!({
                "status": run.status.get_untracked().name(),
                "step": run.view.get_untracked().map_or(0, |v| v.step),
                "steps_total": spec.steps,
                "n": spec.n,
                "m": spec.m,
                "resolution": spec.resolution,
                "models": spec.models,
                "seed": spec.seed,
                "backend": run.backend.get_untracked().map(polytope_gpu::BackendKind::name),
                "steps_per_second": run.steps_per_second.get_untracked(),
                "classified": cells.len(),
                "cells": cells,
                "message": run.message.get_untracked().map(|(_, m)| m),
            })
        }),
    );
    on_cleanup(|| automation::withdraw("phase"));

    let apply = move |update: &dyn Fn(&mut PhaseSpec)| {
        let mut s = spec.get_untracked();
        update(&mut s);
        if s.validate().is_err() {
            return;
        }
        write_url(&s);
        let was_running = run.status.get_untracked() == RunStatus::Running;
        run.set_config(s.config());
        spec.set(s);
        run.reset();
        if was_running {
            run.play();
        }
    };
    let number_field = move |name: &'static str,
                             label: Key,
                             get: fn(&PhaseSpec) -> u32,
                             set: fn(&mut PhaseSpec, u32)| {
        view! {
            <label class="field" data-control=name>
                <span>{i18n.tr(label)}</span>
                <input type="number" name=name prop:value=move || get(&spec.get()).to_string()
                    on:change=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<u32>() {
                            apply(&|s: &mut PhaseSpec| set(s, v));
                        }
                    } />
            </label>
        }
    };

    let progress = move || {
        let s = spec.get();
        let step = run.view.get().map_or(0, |v| v.step);
        let classified = cells.get().iter().filter(|c| c.is_some()).count();
        format!(
            "{} {step} / {} · {} {}/{} · {} {}",
            i18n.t(Key::Step),
            s.steps,
            i18n.t(Key::PhaseCells),
            classified,
            s.resolution * s.resolution,
            s.resolution * s.resolution * s.models,
            i18n.t(Key::PhaseModelsTotal),
        )
    };

    view! {
        <div class="toy-page" class:embedded=app.embed>
            <Show when=move || !app.embed>
                <h1 class="page-title">{i18n.tr(Key::PhaseTitle)}</h1>
                <p class="lead-small">{i18n.tr(Key::PhaseIntro)}</p>
            </Show>
            <FallbackNotice />
            {(!url_errors.is_empty()).then(|| view! {
                <div class="notice notice-warn" role="status" data-testid="setting-errors">
                    <strong>{i18n.tr(Key::BadSetting)}</strong>
                    <ul>{url_errors.iter().map(|e| view! { <li>{e.clone()}</li> }).collect_view()}</ul>
                </div>
            })}
            <div class="run-layout" class:no-sidebar=app.embed>
                {(!app.embed).then(|| view! {
                    <aside class="sidebar">
                        <div class="settings-form">
                            <label class="field" data-control="n">
                                <span>{i18n.tr(Key::PhaseSetup)}</span>
                                <select name="n" prop:value=move || spec.get().n.to_string()
                                    on:change=move |ev| {
                                        let n: u32 = if event_target_value(&ev) == "3" { 3 } else { 2 };
                                        apply(&|s: &mut PhaseSpec| { s.n = n; s.m = n - 1; });
                                    }>
                                    <option value="2">{i18n.tr(Key::PhaseSetup21)}</option>
                                    <option value="3">{i18n.tr(Key::PhaseSetup32)}</option>
                                </select>
                            </label>
                            <label class="field" data-control="resolution">
                                <span>{i18n.tr(Key::PhaseResolution)}</span>
                                <select name="resolution" prop:value=move || spec.get().resolution.to_string()
                                    on:change=move |ev| {
                                        if let Ok(v) = event_target_value(&ev).parse::<u32>() {
                                            apply(&|s: &mut PhaseSpec| s.resolution = v);
                                        }
                                    }>
                                    {[8u32, 12, 16, 24, 32, 48].into_iter().map(|r| view! {
                                        <option value=r.to_string()>{format!("{r} × {r}")}</option>
                                    }).collect_view()}
                                </select>
                            </label>
                            {number_field("models", Key::PhaseModels, |s| s.models, |s, v| s.models = v)}
                            {number_field("steps", Key::Steps, |s| s.steps, |s, v| s.steps = v)}
                            {number_field("seed", Key::Seed, |s| s.seed, |s, v| s.seed = v)}
                            <p class="card-note">{i18n.tr(Key::PhaseBoundaryNote)}</p>
                        </div>
                    </aside>
                })}
                <div class="run-main">
                    <div class="run-top">
                        <PlayBar run hidden=Arc::clone(&params.hidden) />
                        <p class="status-line mono" data-testid="phase-progress">{progress}</p>
                        {move || run.message.get().map(|(severity, text)| {
                            let class = match severity { Severity::Info => "notice notice-warn", Severity::Error => "notice notice-error" };
                            view! { <div class=class role="status">{text}</div> }
                        })}
                        <p class="card-note">{i18n.tr(Key::PhasePending)}</p>
                    </div>
                    <section class="card phase-card" data-panel="phase">
                        <PlotCanvas spec=plot name="phase-diagram" label=Signal::derive(move || i18n.t(Key::PhaseTitle).to_owned()) aspect=0.85 />
                    </section>
                </div>
            </div>
        </div>
    }
}
