use leptos::prelude::*;
use leptos_router::components::A;

use crate::automation;
use crate::i18n::{Key, use_i18n};

#[component]
pub fn Home() -> impl IntoView {
    let i18n = use_i18n();
    automation::set_common("page", serde_json::json!("home"));
    view! {
        <section class="page hero">
            <h1>{i18n.tr(Key::Tagline)}</h1>
            <p class="lead">{i18n.tr(Key::HomeLead)}</p>
            <p class="hero-actions">
                <A href="/tour" attr:class="button" attr:data-testid="start-tour">{i18n.tr(Key::HomeTourStart)}</A>
                <A href="/toy" attr:class="button secondary">{i18n.tr(Key::HomeStart)}</A>
                <A href="/sae" attr:class="button secondary">{i18n.tr(Key::HomeSaeLink)}</A>
                <A href="/features" attr:class="button secondary">{i18n.tr(Key::HomeFeaturesLink)}</A>
                <A href="/compute" attr:class="button secondary">{i18n.tr(Key::HomeComputeLink)}</A>
            </p>
        </section>
    }
}
