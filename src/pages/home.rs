use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::{Key, use_i18n};
use crate::{page, url};

#[component]
pub fn Home() -> impl IntoView {
    let i18n = use_i18n();
    page::set_page("home");
    view! {
        <section class="page hero">
            <h1>{i18n.tr(Key::Tagline)}</h1>
            <p class="lead">{i18n.tr(Key::HomeLead)}</p>
            <p class="hero-actions">
                <A href=url::href("tour") attr:class="button" attr:data-testid="start-tour">{i18n.tr(Key::HomeTourStart)}</A>
                <A href=url::href("toy") attr:class="button secondary">{i18n.tr(Key::HomeStart)}</A>
                <A href=url::href("sae") attr:class="button secondary">{i18n.tr(Key::HomeSaeLink)}</A>
                <A href=url::href("features") attr:class="button secondary">{i18n.tr(Key::HomeFeaturesLink)}</A>
                <A href=url::href("compute") attr:class="button secondary">{i18n.tr(Key::HomeComputeLink)}</A>
            </p>
        </section>
    }
}
