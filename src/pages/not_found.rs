use leptos::prelude::*;

use crate::i18n::{Key, use_i18n};
use crate::page;

#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    page::set_page("not-found");
    view! {
        <section class="page narrow">
            <h1>{i18n.tr(Key::NotFoundTitle)}</h1>
            <p>{i18n.tr(Key::NotFoundBody)}</p>
        </section>
    }
}
