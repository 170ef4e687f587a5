//! The settings of a toy-model run: the preset with its explanation, every setting of
//! `TmsSettings`'s description, the seed and the backend.

use leptos::prelude::*;
use polytope_core::settings::Described;
use polytope_core::tms::{PRESET_NAMES, TmsSettings};

use crate::components::settings_form::{BackendField, Hidden, Labels, SeedField, SettingsFields};
use crate::engine::tms::TmsRun;
use crate::i18n::{self, Key, use_i18n};

/// How the toy-model form names its settings.
pub const TMS_LABELS: Labels = Labels {
    setting: i18n::tms_setting_label,
    choice: i18n::choice_label,
};

// Leptos components take their props by value.
#[allow(clippy::needless_pass_by_value)]
#[component]
pub fn ToySettingsForm(run: TmsRun, hidden: Hidden) -> impl IntoView {
    let i18n = use_i18n();
    let settings = run.data.settings;
    let error = RwSignal::new(None::<String>);
    let on_change = Callback::new(move |(name, value): (&'static str, String)| {
        let mut s = settings.get_untracked();
        let result = s
            .set(name, &value)
            .map_err(|e| e.to_string())
            .and_then(|()| s.to_config().validate().map_err(|e| e.to_string()));
        match result {
            Ok(()) => {
                error.set(None);
                run.restart_with(s);
            }
            Err(e) => {
                error.set(Some(e));
                // Put the control back to the value in use.
                settings.update(|_| {});
            }
        }
    });
    let shown = |name: &str| !hidden.contains(name) && !hidden.contains("settings");
    let preset_field = shown("preset").then(|| {
        let options = PRESET_NAMES
            .iter()
            .map(|p| view! { <option value=*p>{move || i18n.t(i18n::preset_name(p))}</option> })
            .collect_view();
        view! {
            <label class="field" data-control="preset">
                <span>{i18n.tr(Key::Preset)}</span>
                <select name="preset"
                    prop:value=move || settings.with(|s| s.preset.clone().unwrap_or_default())
                    on:change=move |ev| on_change.run(("preset", event_target_value(&ev)))>
                    {options}
                </select>
            </label>
        }
    });
    let seed_field = shown("seed").then(|| view! { <SeedField settings on_change /> });
    let backend_field = shown("backend").then(|| {
        view! { <BackendField prefer_cpu=run.prefer_cpu on_change=Callback::new(move |cpu| run.switch_backend(cpu)) /> }
    });
    view! {
        <div class="settings-form">
            {preset_field}
            {move || settings.with(|s| s.preset.clone()).map(|p| view! {
                <p class="preset-about" data-testid="preset-about">{i18n.tr(i18n::preset_about(&p))}</p>
            })}
            {move || error.get().map(|e| view! { <p class="notice notice-error" role="alert">{e}</p> })}
            <SettingsFields settings hidden=hidden.clone() labels=TMS_LABELS on_change skip=&["preset", "seed"] />
            {seed_field}
            {backend_field}
        </div>
    }
}

/// Names every setting of the description has a label for (checked by a test in i18n).
pub fn names() -> Vec<&'static str> {
    TmsSettings::names()
}
