//! The frame every page that trains live shares (`/toy`, `/geometry`, `/phase`, `/sae`): title and
//! lead (not in an embed), the fallback notice, the settings sidebar (unless `hide=settings`, or
//! in an embed without `hide=show-settings`), the play bar and the page's status lines, the
//! page's cards, and below them the share bar, or in an embed the link back to the full page.
//! An embed fits the frame it is given (`.fit-frame`, style/main.css).

use leptos::prelude::*;

use crate::components::fallback_notice::FallbackNotice;
use crate::components::play_bar::PlayBar;
use crate::components::share_bar::{EmbedSpec, Export, OpenFullLink, ShareBar};
use crate::engine::{Run, Workload};
use crate::i18n::{Key, use_i18n};
use crate::page::PageParams;
use crate::use_app;

#[allow(clippy::needless_pass_by_value)]
#[component]
pub fn RunFrame<W: Workload, S: FnOnce() -> AnyView + 'static>(
    run: Run<W>,
    /// The page's controls from the address (`hide=`, `panels=`).
    params: PageParams,
    /// The page's title (`<h1>`), not shown in an embed.
    title: Key,
    /// A sentence under the title, not shown in an embed.
    #[prop(optional)]
    intro: Option<Key>,
    /// Extra classes of the page's root, besides `toy-page`.
    #[prop(optional)]
    class: &'static str,
    /// The settings form, built only where the sidebar shows.
    settings: S,
    /// What follows the play bar: the run's status lines.
    status: AnyView,
    /// What an embed of the page shows (the share bar's embed code).
    embed: EmbedSpec,
    /// Downloads offered in the share bar.
    #[prop(optional)]
    exports: Vec<Export>,
    /// A hint shown above the share bar (for example how to highlight a feature).
    #[prop(optional)]
    hint: Option<Key>,
    /// The page's cards.
    children: Children,
) -> impl IntoView {
    let i18n = use_i18n();
    let embedded = use_app().embed;
    let hidden = &params.hidden;
    let hide_settings =
        hidden.contains("settings") || (embedded && !hidden.contains("show-settings"));
    let root_class = if class.is_empty() {
        "toy-page".to_owned()
    } else {
        format!("toy-page {class}")
    };
    view! {
        <div class=root_class class:embedded=embedded class:fit-frame=embedded>
            {(!embedded).then(|| view! {
                <h1 class="page-title">{i18n.tr(title)}</h1>
                {intro.map(|k| view! { <p class="lead-small">{i18n.tr(k)}</p> })}
            })}
            <FallbackNotice />
            <div class="run-layout" class:no-sidebar=hide_settings>
                {(!hide_settings).then(|| view! {
                    <aside class="sidebar">
                        <h2 class="sr-only">{i18n.tr(Key::Controls)}</h2>
                        {settings()}
                    </aside>
                })}
                <div class="run-main">
                    <div class="run-top">
                        <PlayBar run hide_speed=hidden.contains("speed") />
                        {status}
                    </div>
                    {children()}
                    {if embedded {
                        view! { <OpenFullLink /> }.into_any()
                    } else {
                        view! {
                            {hint.map(|k| view! { <p class="card-note">{i18n.tr(k)}</p> })}
                            <ShareBar embed shown=std::sync::Arc::clone(&params.panels) exports />
                        }
                        .into_any()
                    }}
                </div>
            </div>
        </div>
    }
}
