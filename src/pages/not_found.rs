use leptos::prelude::*;

use crate::automation;
use crate::i18n::{Key, use_i18n};

#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    automation::set_common("page", serde_json::json!("not-found"));
    view! {
        <section class="page narrow">
            <h1>{i18n.tr(Key::NotFoundTitle)}</h1>
            <p>{i18n.tr(Key::NotFoundBody)}</p>
        </section>
    }
}
