//! The controls of a toy-model run: play, pause, single step, reset, speed, and every
//! setting. Each control has a name (the same as its URL parameter) that `?hide=` can hide.

use std::collections::HashSet;
use std::sync::Arc;

use leptos::prelude::*;
use polytope_core::tms::{PRESET_NAMES, TmsSettings, preset_settings};

use crate::i18n::{Key, use_i18n};
use crate::run::{RunStatus, SPEEDS, TmsRun};

/// The explanation of a preset.
pub fn preset_key(name: &str) -> Key {
    match name {
        "sparsity-sweep" => Key::PresetSparsitySweep,
        "large-sweep" => Key::PresetLargeSweep,
        "dims-per-feature" => Key::PresetDimsPerFeature,
        "dims-per-feature-400" => Key::PresetDimsPerFeature400,
        "privileged-basis" => Key::PresetPrivileged,
        "abs" => Key::PresetAbs,
        "correlated" => Key::PresetCorrelated,
        "anticorrelated" => Key::PresetAnticorrelated,
        "perturbed" => Key::PresetPerturbed,
        _ => Key::PresetIntro,
    }
}

/// Controls hidden by `?hide=a,b` (names as in the URL; `settings` hides the whole form).
pub type Hidden = Arc<HashSet<String>>;

/// Applies new settings: reset, and keep training if it was.
pub fn restart_with(run: TmsRun, settings: TmsSettings) {
    let was_running = run.status.get_untracked() == RunStatus::Running;
    run.settings.set(settings);
    run.reset();
    if was_running {
        run.play();
    }
}

// Leptos components take their props by value.
#[allow(clippy::needless_pass_by_value)]
#[component]
pub fn PlayBar(run: TmsRun, hidden: Hidden) -> impl IntoView {
    let i18n = use_i18n();
    let running = move || run.status.get() == RunStatus::Running;
    let toggle = move |_| {
        if running() {
            run.pause();
        } else {
            run.play();
        }
    };
    let show_speed = !hidden.contains("speed");
    view! {
        <div class="playbar" role="group" aria-label="training">
            <button class="button play" data-testid="play" on:click=toggle
                disabled=move || matches!(run.status.get(), RunStatus::Starting | RunStatus::Failed)>
                {move || if running() { i18n.t(Key::Pause) } else { i18n.t(Key::Play) }}
            </button>
            <button class="button secondary" data-testid="step" on:click=move |_| run.step_once()
                disabled=move || running() || matches!(run.status.get(), RunStatus::Done | RunStatus::Failed)>
                {i18n.tr(Key::StepOnce)}
            </button>
            <button class="button secondary" data-testid="reset" on:click=move |_| {
                run.status.set(RunStatus::Paused);
                run.reset();
            }>
                {i18n.tr(Key::Reset)}
            </button>
            <Show when=move || show_speed>
                <label class="speed">
                    <span>{i18n.tr(Key::Speed)}</span>
                    <input type="range" min="0" max=(SPEEDS.len() - 1).to_string() step="1"
                        data-testid="speed"
                        prop:value=move || run.speed.get().to_string()
                        on:input=move |ev| {
                            if let Ok(v) = event_target_value(&ev).parse::<usize>() {
                                run.speed.set(v.min(SPEEDS.len() - 1));
                            }
                        } />
                </label>
            </Show>
        </div>
    }
}

// Leptos components take their props by value.
#[allow(clippy::needless_pass_by_value)]
#[component]
pub fn SettingsForm(run: TmsRun, hidden: Hidden) -> impl IntoView {
    let i18n = use_i18n();
    let error = RwSignal::new(None::<String>);
    let apply = move |name: &'static str, value: String| {
        let mut s = run.settings.get_untracked();
        match s.set(name, &value) {
            Ok(()) => {
                if let Err(e) = s.to_config().validate() {
                    error.set(Some(e.to_string()));
                    // Put the control back to the value in use.
                    run.settings.update(|_| {});
                    return;
                }
                error.set(None);
                restart_with(run, s);
            }
            Err(e) => {
                error.set(Some(e.to_string()));
                run.settings.update(|_| {});
            }
        }
    };
    let value =
        move |name: &'static str| move || run.settings.with(|s| s.get(name).unwrap_or_default());
    let is_shown = |name: &str| !hidden.contains(name) && !hidden.contains("settings");
    let shown = &is_shown;
    let text_input = move |name: &'static str, label: Key, kind: &'static str| {
        let show = shown(name);
        show.then(|| {
            view! {
                <label class="field" data-control=name>
                    <span>{i18n.tr(label)}</span>
                    <input type=kind name=name prop:value=value(name)
                        on:change=move |ev| apply(name, event_target_value(&ev)) />
                </label>
            }
        })
    };
    // Options are (value, translated label); `None` shows the value itself (names like adamw).
    let select =
        move |name: &'static str, label: Key, options: Vec<(&'static str, Option<Key>)>| {
            shown(name).then(|| {
                let options = options
                    .into_iter()
                    .map(|(v, k)| {
                        view! { <option value=v>{move || k.map_or(v, |k| i18n.t(k))}</option> }
                    })
                    .collect_view();
                view! {
                    <label class="field" data-control=name>
                        <span>{i18n.tr(label)}</span>
                        <select name=name prop:value=value(name)
                            on:change=move |ev| apply(name, event_target_value(&ev))>
                            {options}
                        </select>
                    </label>
                }
            })
        };

    let preset_field = shown("preset").then(|| {
        let options = PRESET_NAMES
            .iter()
            .map(|p| view! { <option value=*p>{*p}</option> })
            .collect_view();
        view! {
            <label class="field" data-control="preset">
                <span>{i18n.tr(Key::Preset)}</span>
                <select name="preset"
                    prop:value=move || run.settings.with(|s| s.preset.clone().unwrap_or_default())
                    on:change=move |ev| {
                        if let Some(s) = preset_settings(&event_target_value(&ev)) {
                            error.set(None);
                            restart_with(run, s);
                        }
                    }>
                    {options}
                </select>
            </label>
        }
    });
    let backend_field = shown("backend").then(|| {
        view! {
            <label class="field" data-control="backend">
                <span>{i18n.tr(Key::Backend)}</span>
                <select name="backend"
                    prop:value=move || if run.prefer_cpu.get() { "cpu" } else { "auto" }
                    on:change=move |ev| {
                        let cpu = event_target_value(&ev) == "cpu";
                        crate::url::update(&[("backend", cpu.then(|| "cpu".to_owned()))]);
                        run.switch_backend(cpu);
                    }>
                    <option value="auto">{i18n.tr(Key::BackendAuto)}</option>
                    <option value="cpu">{i18n.tr(Key::BackendCpuOnly)}</option>
                </select>
            </label>
        }
    });
    let seed_field = shown("seed").then(|| {
        view! {
            <div class="field seed" data-control="seed">
                <label>
                    <span>{i18n.tr(Key::Seed)}</span>
                    <input type="number" min="0" name="seed" prop:value=value("seed")
                        on:change=move |ev| apply("seed", event_target_value(&ev)) />
                </label>
                <button class="mini" on:click=move |_| {
                    let next = run.settings.with_untracked(|s| s.seed.wrapping_add(1));
                    apply("seed", next.to_string());
                }>{i18n.tr(Key::NewSeed)}</button>
            </div>
        }
    });

    view! {
        <div class="settings-form">
            {preset_field}
            {move || run.settings.with(|s| s.preset.clone()).map(|p| view! {
                <p class="preset-about" data-testid="preset-about">{i18n.tr(preset_key(&p))}</p>
            })}
            {move || error.get().map(|e| view! { <p class="notice notice-error" role="alert">{e}</p> })}
            {select("model", Key::Model, vec![
                ("relu", Some(Key::ModelRelu)),
                ("linear", Some(Key::ModelLinear)),
                ("privileged", Some(Key::ModelPrivileged)),
                ("abs", Some(Key::ModelAbs)),
            ])}
            <div class="field-row">
                {text_input("n", Key::Features, "number")}
                {text_input("m", Key::Hidden, "number")}
            </div>
            {text_input("importance", Key::Importance, "text")}
            {text_input("density", Key::Density, "text")}
            {select("correlation", Key::Correlation, vec![
                ("independent", Some(Key::CorrIndependent)),
                ("correlated:2", Some(Key::CorrCorrelated)),
                ("anticorrelated:2", Some(Key::CorrAnticorrelated)),
            ])}
            <div class="field-row">
                {select("optimizer", Key::Optimizer, vec![("adamw", None), ("adam", None)])}
                {text_input("lr", Key::LearningRate, "text")}
            </div>
            {select("schedule", Key::Schedule, vec![("constant", None), ("linear", None), ("cosine", None)])}
            <div class="field-row">
                {text_input("batch", Key::Batch, "number")}
                {text_input("steps", Key::Steps, "number")}
            </div>
            {seed_field}
            {backend_field}
        </div>
    }
}
