//! The site header: navigation, language switch, projector mode, light or dark theme, backend
//! badge.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::backend_badge::BackendBadge;
use crate::i18n::{Key, Lang, use_i18n};
use crate::theme::ThemeChoice;
use crate::{url, use_app};

#[component]
pub fn Header() -> impl IntoView {
    let i18n = use_i18n();
    let app = use_app();
    let switch_lang = move |_| {
        let next = match i18n.lang.get_untracked() {
            Lang::En => Lang::Zh,
            Lang::Zh => Lang::En,
        };
        i18n.lang.set(next);
        url::update(&[("lang", (next == Lang::Zh).then(|| "zh".to_owned()))]);
    };
    let toggle_theme = move |_| {
        let dark = !app.dark.get_untracked();
        app.theme.set(if dark {
            ThemeChoice::Dark
        } else {
            ThemeChoice::Light
        });
        url::update(&[(
            "theme",
            Some(if dark { "dark" } else { "light" }.to_owned()),
        )]);
    };
    let toggle_projector = move |_| {
        let on = !app.projector.get_untracked();
        app.projector.set(on);
        url::update(&[("projector", on.then(|| "1".to_owned()))]);
    };
    view! {
        <header class="site-header">
            <A href=url::href("") attr:class="brand">
                <img src=url::href("favicon.svg") alt="" class="brand-mark" width="28" height="28" />
                <span>{i18n.tr(Key::AppName)}</span>
            </A>
            <nav class="site-nav" aria-label=i18n.tr(Key::NavMain)>
                <A href=url::href("toy")>{i18n.tr(Key::NavToy)}</A>
                <A href=url::href("geometry")>{i18n.tr(Key::NavGeometry)}</A>
                <A href=url::href("phase")>{i18n.tr(Key::NavPhase)}</A>
                <A href=url::href("sae")>{i18n.tr(Key::NavSae)}</A>
                <A href=url::href("features")>{i18n.tr(Key::NavFeatures)}</A>
                <A href=url::href("compute")>{i18n.tr(Key::NavCompute)}</A>
            </nav>
            <div class="header-tools">
                <BackendBadge />
                <button
                    class="tool-button"
                    aria-pressed=move || app.projector.get().to_string()
                    title=i18n.tr(Key::Projector)
                    aria-label=i18n.tr(Key::Projector)
                    on:click=toggle_projector
                >
                    <span aria-hidden="true" translate="no">"Aa"</span>
                </button>
                <button
                    class="tool-button"
                    aria-pressed=move || app.dark.get().to_string()
                    title=i18n.tr(Key::ThemeToDark)
                    aria-label=i18n.tr(Key::ThemeToDark)
                    on:click=toggle_theme
                    data-testid="theme-toggle"
                >
                    <span aria-hidden="true" class="theme-glyph">"◐"</span>
                </button>
                <button
                    class="tool-button"
                    lang=move || match i18n.lang.get() { Lang::En => "zh-Hans", Lang::Zh => "en" }
                    title=i18n.tr(Key::Language)
                    translate="no"
                    on:click=switch_lang
                    data-testid="lang-switch"
                >
                    {i18n.tr(Key::SwitchLanguage)}
                </button>
            </div>
        </header>
    }
}
