use leptos::prelude::*;

use crate::i18n::{Key, use_i18n};

#[component]
pub fn Footer() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <footer class="site-footer">
            // A reference: the papers keep their authors and titles in their own language.
            <p translate="no">{i18n.tr(Key::HomeCredits)}</p>
        </footer>
    }
}
