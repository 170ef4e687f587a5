//! # polytope-app
//!
//! The Leptos (client-side rendered) web app. `main.rs` only mounts [`App`]; pages live in
//! [`pages`], reusable pieces in [`components`]. State that must survive a shared link lives in
//! the URL ([`url`]); everything the user reads goes through [`i18n`].

pub mod automation;
pub mod browser;
pub mod components;
pub mod compute;
pub mod download;
pub mod engine;
pub mod features_data;
pub mod i18n;
pub mod limits;
pub mod offline;
pub mod page;
pub mod pages;
pub mod panic;
pub mod plot;
pub mod site;
pub mod specs;
pub mod state;
pub mod theme;
pub mod tour;
pub mod url;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use serde_json::json;

use crate::compute::ComputeStatus;
use crate::i18n::{I18n, Lang};

/// App-wide state shared through context.
#[derive(Clone, Copy)]
pub struct AppState {
    pub compute: RwSignal<ComputeStatus>,
    /// Large text for projectors (`?projector=1`).
    pub projector: RwSignal<bool>,
    /// Embedded in another page (`?embed=1`): no site chrome.
    pub embed: bool,
    /// The visitor asked for the CPU (`?backend=cpu`).
    pub prefer_cpu: bool,
    /// Light or dark as chosen (`?theme=dark|light`, the header's toggle), else the system's.
    pub theme: RwSignal<theme::ThemeChoice>,
    /// Whether the page is dark now (the choice or the system preference).
    pub dark: Memo<bool>,
}

pub fn use_app() -> AppState {
    expect_context::<AppState>()
}

fn flag(name: &str) -> bool {
    url::param(name).is_some_and(|v| v == "1" || v == "true")
}

/// Mounts the app on `<body>` and installs `window.polytope`.
pub fn start() {
    panic::install();
    automation::install();
    offline::register_service_worker();
    if let Some(boot) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("boot"))
    {
        boot.remove();
    }
    leptos::mount::mount_to_body(App);
}

#[component]
pub fn App() -> impl IntoView {
    let lang = RwSignal::new(
        url::param("lang")
            .and_then(|c| Lang::from_code(&c))
            .unwrap_or_default(),
    );
    provide_context(I18n { lang });
    let theme = RwSignal::new(
        url::param("theme")
            .and_then(|t| theme::ThemeChoice::from_code(&t))
            .unwrap_or_default(),
    );
    let system_dark = theme::system_dark();
    let backend = compute::BackendChoice::current();
    let app = AppState {
        compute: RwSignal::new(ComputeStatus::Detecting),
        projector: RwSignal::new(flag("projector")),
        embed: flag("embed"),
        prefer_cpu: backend == compute::BackendChoice::Cpu,
        theme,
        dark: Memo::new(move |_| theme::is_dark(theme.get(), system_dark.get())),
    };
    provide_context(app);
    compute::init(app.compute, backend);

    // Reflect app-wide state on the document and in window.polytope.state().
    Effect::new(move |_| {
        let lang = lang.get();
        let projector = app.projector.get();
        let dark = app.dark.get();
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("lang", lang.html_lang());
            let _ = root.class_list().toggle_with_force("projector", projector);
            let _ = root.class_list().toggle_with_force("embed", app.embed);
            let _ = root.class_list().toggle_with_force("dark", dark);
        }
        automation::set_common("lang", json!(lang.code()));
        automation::set_common("projector", json!(projector));
        automation::set_common("theme", json!(if dark { "dark" } else { "light" }));
        automation::set_common("embed", json!(app.embed));
    });
    Effect::new(move |_| {
        let status = app.compute.get();
        automation::set_common("compute", serde_json::to_value(&status).unwrap_or_default());
    });

    view! {
        // Under any root path (`/`, or `/REPO/` on a GitHub Pages project site): see `url::base`.
        <Router base=url::router_base()>
            <Show when=move || !app.embed>
                <components::header::Header />
            </Show>
            <main class="main">
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=path!("/") view=pages::home::Home />
                    <Route path=path!("/compute") view=pages::compute::ComputePage />
                    <Route path=path!("/toy") view=pages::toy::ToyPage />
                    <Route path=path!("/geometry") view=pages::geometry::GeometryPage />
                    <Route path=path!("/phase") view=pages::phase::PhasePage />
                    <Route path=path!("/sae") view=pages::sae::SaePage />
                    <Route path=path!("/features") view=pages::features::FeaturesPage />
                    <Route path=path!("/features/*rest") view=pages::features::FeaturesPage />
                    <Route path=path!("/tour") view=tour::TourStart />
                    <Route path=path!("/tour/*rest") view=tour::TourPage />
                </Routes>
            </main>
            <Show when=move || !app.embed>
                <components::footer::Footer />
                <offline::UpdateBanner />
            </Show>
        </Router>
    }
}
