//! A settings form generated from a settings struct's description
//! (`polytope_core::settings::Described`): one control per setting, of the kind the
//! description gives (a number field with its range, a list of choices, a text field), in the
//! description's order, half-width settings two to a row. Each control is named after its
//! URL parameter, which `?hide=` can hide (`hide=settings` hides the whole form).

use std::collections::HashSet;
use std::sync::Arc;

use leptos::prelude::*;
use polytope_core::settings::{Described, Kind, Setting, Width};

use crate::i18n::{I18n, Key, use_i18n};

/// Controls hidden by `?hide=a,b`.
pub type Hidden = Arc<HashSet<String>>;

/// How a form names its settings and their choices in the interface language.
#[derive(Clone, Copy)]
pub struct Labels {
    /// The label of a setting.
    pub setting: fn(&str) -> Key,
    /// The label of one choice of a setting, when it is not shown as written (`relu`).
    pub choice: fn(&str, &str) -> Option<Key>,
}

fn control<S: Described + Send + Sync>(
    i18n: I18n,
    settings: RwSignal<S>,
    setting: &'static Setting<S>,
    labels: Labels,
    on_change: Callback<(&'static str, String)>,
) -> AnyView {
    let name = setting.name;
    // Optional settings at their recommended value read `auto`.
    let value = move || settings.with(|s| (setting.get)(s).unwrap_or_else(|| "auto".into()));
    let label = (labels.setting)(name);
    let change = move |ev: leptos::ev::Event| on_change.run((name, event_target_value(&ev)));
    match setting.kind {
        Kind::Choice(values) => {
            let options = values
                .iter()
                .map(|v| {
                    let text = move || (labels.choice)(name, v).map_or(*v, |k| i18n.t(k));
                    view! { <option value=*v>{text}</option> }
                })
                .collect_view();
            view! {
                <label class="field" data-control=name>
                    <span>{i18n.tr(label)}</span>
                    <select name=name prop:value=value on:change=change>{options}</select>
                </label>
            }
            .into_any()
        }
        Kind::Whole { min, max } => view! {
            <label class="field" data-control=name>
                <span>{i18n.tr(label)}</span>
                <input type="number" name=name min=min.to_string() max=max.to_string() step="1"
                    inputmode="numeric" prop:value=value on:change=change />
            </label>
        }
        .into_any(),
        Kind::Number { .. } | Kind::Text => view! {
            <label class="field" data-control=name>
                <span>{i18n.tr(label)}</span>
                <input type="text" name=name prop:value=value on:change=change
                    spellcheck="false" autocomplete="off" />
            </label>
        }
        .into_any(),
    }
}

/// The form's controls. `skip` names settings the page draws itself (a preset picker with
/// its explanation, a seed with a "new seed" button).
#[component]
pub fn SettingsFields<S: Described + Send + Sync>(
    settings: RwSignal<S>,
    hidden: Hidden,
    labels: Labels,
    on_change: Callback<(&'static str, String)>,
    #[prop(optional)] skip: &'static [&'static str],
) -> impl IntoView {
    let i18n = use_i18n();
    let all_hidden = hidden.contains("settings");
    // Which settings are shown changes only with a few of them (a variant, a source): the
    // controls are rebuilt then, not on every change (which would take the focus away).
    let visible = Memo::new(move |_| {
        settings.with(|s| {
            S::settings()
                .iter()
                .enumerate()
                .filter(|(_, d)| {
                    !all_hidden
                        && (d.shown)(s)
                        && !hidden.contains(d.name)
                        && !skip.contains(&d.name)
                })
                .map(|(i, _)| i)
                .collect::<Vec<usize>>()
        })
    });
    move || {
        let visible: Vec<&'static Setting<S>> = visible
            .get()
            .into_iter()
            .map(|i| &S::settings()[i])
            .collect();
        let mut rows: Vec<AnyView> = Vec::new();
        let mut half: Option<AnyView> = None;
        for d in visible {
            let c = control(i18n, settings, d, labels, on_change);
            match (d.width, half.take()) {
                (Width::Half, None) => half = Some(c),
                (Width::Half, Some(first)) => {
                    rows.push(view! { <div class="field-row">{first}{c}</div> }.into_any());
                }
                (Width::Full, pending) => {
                    if let Some(first) = pending {
                        rows.push(first);
                    }
                    rows.push(c);
                }
            }
        }
        if let Some(first) = half {
            rows.push(first);
        }
        rows
    }
}

/// A seed field with a "new seed" button.
#[component]
pub fn SeedField<S: Described + Send + Sync>(
    settings: RwSignal<S>,
    on_change: Callback<(&'static str, String)>,
) -> impl IntoView {
    let i18n = use_i18n();
    let value = move || settings.with(|s| s.get("seed").unwrap_or_default());
    view! {
        <div class="field seed" data-control="seed">
            <label>
                <span>{i18n.tr(Key::Seed)}</span>
                <input type="number" min="0" name="seed" prop:value=value
                    on:change=move |ev| on_change.run(("seed", event_target_value(&ev))) />
            </label>
            <button class="mini" on:click=move |_| {
                let next = settings
                    .with_untracked(|s| s.get("seed"))
                    .and_then(|v| v.parse::<u32>().ok())
                    .map_or(0, |s| s.wrapping_add(1));
                on_change.run(("seed", next.to_string()));
            }>{i18n.tr(Key::NewSeed)}</button>
        </div>
    }
}

/// The backend choice: automatic (WebGPU when it works and is not a software adapter), WebGPU
/// whatever the adapter, or the CPU. The choice goes into the address; WebGPU is also
/// remembered (`BackendChoice::remember`).
#[component]
pub fn BackendField(prefer_cpu: RwSignal<bool>, on_change: Callback<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let app = crate::use_app();
    let forced = RwSignal::new(
        crate::compute::BackendChoice::current() == crate::compute::BackendChoice::Webgpu,
    );
    view! {
        <label class="field" data-control="backend">
            <span>{i18n.tr(Key::Backend)}</span>
            <select name="backend"
                prop:value=move || if prefer_cpu.get() { "cpu" } else if forced.get() { "webgpu" } else { "auto" }
                on:change=move |ev| {
                    use crate::compute::BackendChoice;
                    let value = event_target_value(&ev);
                    let choice = BackendChoice::from_param(Some(&value));
                    choice.remember();
                    let param = match choice {
                        BackendChoice::Auto => None,
                        BackendChoice::Cpu => Some("cpu".to_owned()),
                        BackendChoice::Webgpu => Some("webgpu".to_owned()),
                    };
                    crate::url::update(&[("backend", param)]);
                    forced.set(choice == BackendChoice::Webgpu);
                    if choice == BackendChoice::Webgpu {
                        // A software adapter put aside by the automatic choice comes into use.
                        crate::compute::force_webgpu(app.compute);
                    }
                    on_change.run(choice == BackendChoice::Cpu);
                }>
                <option value="auto">{i18n.tr(Key::BackendAuto)}</option>
                <option value="webgpu">{i18n.tr(Key::BackendWebgpu)}</option>
                <option value="cpu">{i18n.tr(Key::BackendCpuOnly)}</option>
            </select>
        </label>
    }
}
