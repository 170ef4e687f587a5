//! `/tour` and `/tour/SLUG`: the essay's story in fifteen steps, each a short text in English
//! and Chinese ([`content`]) and a live widget that computes in the page ([`widgets`]).
//!
//! A step's widget starts when the step is shown and stops when it is left (its runs are
//! disposed with it), so only one step computes at a time. Every widget says through
//! [`StepCtx::goal`] whether it has reached the point its step makes (`state().tour.goal_met`),
//! and publishes its own numbers ([`StepCtx::report`]) and the values the text names
//! ([`StepCtx::values`], the `{placeholders}` of [`content`]).

pub mod content;
pub mod goals;
pub mod text;
pub mod widgets;

use std::collections::BTreeMap;
use std::sync::Arc;

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate};
use serde::Serialize;

use crate::i18n::{Key, Lang, use_i18n};
use crate::page::set_page;
use crate::{url, use_app};
use content::{STEPS, StepText};

/// The step's slug from a path (`/tour/shapes`) or the `step=` alias; the first step when
/// neither names one, `Err` with the unknown name otherwise.
pub fn step_index(path: &str, step_param: Option<&str>) -> Result<usize, String> {
    let from_path = path
        .strip_prefix("/tour")
        .map(|r| r.trim_matches('/'))
        .filter(|r| !r.is_empty());
    match from_path.or(step_param) {
        None => Ok(0),
        Some(slug) => STEPS
            .iter()
            .position(|s| s.slug == slug)
            .ok_or_else(|| slug.chars().take(60).collect()),
    }
}

/// The address of step `i`, keeping the app-wide parameters of the current address.
pub fn step_href(i: usize) -> String {
    slug_href(STEPS[i.min(STEPS.len() - 1)].slug)
}

/// `/tour/SLUG` with the app-wide parameters of the current address (`slug` is encoded).
fn slug_href(slug: &str) -> String {
    let slug = String::from(js_sys::encode_uri_component(slug));
    let keep: Vec<(String, String)> = url::query()
        .into_iter()
        .filter(|(k, _)| {
            matches!(
                k.as_str(),
                "lang" | "projector" | "embed" | "backend" | "theme"
            )
        })
        .collect();
    let query = url::build_query(&keep);
    if query.is_empty() {
        url::href(&format!("tour/{slug}"))
    } else {
        url::href(&format!("tour/{slug}?{query}"))
    }
}

/// What a step's widget shares with the page around it.
#[derive(Clone, Copy)]
pub struct StepCtx {
    /// The widget has reached the point the step makes.
    pub goal: RwSignal<bool>,
    /// Values the text names (`{ev}`, `{neuron}`): filled by the widget from data or device.
    pub values: RwSignal<BTreeMap<&'static str, String>>,
    /// The widget's own numbers, for `state().tour.widget`.
    report: StoredValue<Option<Arc<dyn Fn() -> serde_json::Value + Send + Sync>>>,
}

impl StepCtx {
    fn new() -> Self {
        Self {
            goal: RwSignal::new(false),
            values: RwSignal::new(BTreeMap::new()),
            report: StoredValue::new(None),
        }
    }

    /// Publishes the widget's state, computed when `state()` is read.
    pub fn report<T: Serialize>(self, f: impl Fn() -> T + Send + Sync + 'static) {
        // A widget's task may finish after its step was left: nothing to publish then.
        let _ = self.report.try_update_value(|r| {
            *r = Some(Arc::new(move || {
                serde_json::to_value(f()).unwrap_or_default()
            }));
        });
    }

    /// Sets a value the text names.
    pub fn value(self, name: &'static str, value: String) {
        let _ = self.values.try_update(|v| {
            v.insert(name, value);
        });
    }
}

/// `state().tour`.
#[derive(Serialize)]
struct TourState {
    step: &'static str,
    index: usize,
    steps: usize,
    title: &'static str,
    goal_met: bool,
    widget: Option<serde_json::Value>,
    values: BTreeMap<&'static str, String>,
}

fn title(step: &StepText, lang: Lang) -> &'static str {
    match lang {
        Lang::En => step.title_en,
        Lang::Zh => step.title_zh,
    }
}

/// Keys that move through the tour, unless the visitor is typing in a field.
fn arrow_target(ev: &KeyboardEvent, index: usize) -> Option<usize> {
    use wasm_bindgen::JsCast;
    let typing = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
    if typing || ev.alt_key() || ev.ctrl_key() || ev.meta_key() {
        return None;
    }
    match ev.key().as_str() {
        "ArrowRight" | "PageDown" if index + 1 < STEPS.len() => Some(index + 1),
        "ArrowLeft" | "PageUp" if index > 0 => Some(index - 1),
        "Home" => Some(0),
        "End" => Some(STEPS.len() - 1),
        _ => None,
    }
}

/// `/tour` and `/tour?step=SLUG`: replaced by the step's own address `/tour/SLUG` (the first
/// step when none is named), so that moving between steps never changes the route, which
/// would tear down the page while its widget is being built.
#[component]
pub fn TourStart() -> impl IntoView {
    set_page("tour");
    let target = match url::param("step") {
        Some(slug) => slug_href(&slug.chars().take(60).collect::<String>()),
        None => step_href(0),
    };
    let navigate = use_navigate();
    request_animation_frame(move || {
        navigate(
            &target,
            NavigateOptions {
                replace: true,
                ..NavigateOptions::default()
            },
        );
    });
    view! { <div class="tour-page"></div> }
}

#[component]
pub fn TourPage() -> impl IntoView {
    let i18n = use_i18n();
    let app = use_app();
    set_page("tour");
    let location = use_location();
    let step_param = url::param("step");
    let found = Memo::new(move |_| {
        step_index(
            &url::route_path(&url::base(), &location.pathname.get()),
            step_param.as_deref(),
        )
    });
    let index = Memo::new(move |_| found.get().unwrap_or(0));
    provide_context(OfflineStatus(RwSignal::new(Offline::Idle)));
    let navigate = use_navigate();
    let go = Callback::new(move |i: usize| {
        navigate(
            &step_href(i),
            NavigateOptions {
                scroll: true,
                ..NavigateOptions::default()
            },
        );
    });
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if let Some(i) = arrow_target(&ev, index.get_untracked()) {
            ev.prevent_default();
            go.run(i);
        }
    });
    on_cleanup(move || keys.remove());

    view! {
        <div class="tour-page" class:embedded=app.embed>
            {move || found.get().err().map(|slug| view! {
                <p class="notice notice-warn" role="status" data-testid="tour-unknown">
                    {i18n.tr(Key::TourUnknownStep)} " " <code translate="no">{slug}</code>
                </p>
            })}
            // A fresh step (and its widget) whenever the index changes.
            {move || {
                let i = index.get();
                view! { <TourStep index=i go /> }
            }}
        </div>
    }
}

/// One step: navigation, text, widget.
#[component]
fn TourStep(index: usize, go: Callback<usize>) -> impl IntoView {
    let i18n = use_i18n();
    let app = use_app();
    let step = &STEPS[index];
    let ctx = StepCtx::new();
    provide_context(ctx);
    crate::state::provide("tour", move || TourState {
        step: step.slug,
        index,
        steps: STEPS.len(),
        title: title(step, i18n.lang.get_untracked()),
        goal_met: ctx.goal.get_untracked(),
        widget: ctx.report.with_value(|r| r.as_ref().map(|f| f())),
        values: ctx.values.get_untracked(),
    });
    crate::page::set_title(move |lang| {
        vec![
            title(step, lang).to_owned(),
            crate::i18n::text(lang, Key::TitleTour).to_owned(),
        ]
    });
    let body = move || match i18n.lang.get() {
        Lang::En => step.body_en,
        Lang::Zh => step.body_zh,
    };
    let try_line = move || match i18n.lang.get() {
        Lang::En => step.try_en,
        Lang::Zh => step.try_zh,
    };
    let goal_line = move || match i18n.lang.get() {
        Lang::En => step.goal_en,
        Lang::Zh => step.goal_zh,
    };
    let show_qr = RwSignal::new(false);
    view! {
        <article class="tour-step" data-step=step.slug>
            <Show when=move || !app.embed>
                <TourNav index go />
            </Show>
            <header class="tour-head">
                <p class="tour-progress" data-testid="tour-progress">
                    {move || format!("{} {} / {}", i18n.t(Key::TourStep), index + 1, STEPS.len())}
                </p>
                <h1 class="page-title">{move || title(step, i18n.lang.get())}</h1>
            </header>
            <div class="tour-body">
                <section class="tour-text">
                    {move || text::paragraphs(body(), ctx.values)}
                    <p class="tour-try"><strong>{i18n.tr(Key::TourTry)}</strong> " " {move || text::inline(try_line(), ctx.values)}</p>
                    <p class="tour-goal" data-testid="tour-goal" class:met=move || ctx.goal.get()>
                        <span aria-hidden="true">{move || if ctx.goal.get() { "✓ " } else { "… " }}</span>
                        <strong>{move || if ctx.goal.get() { i18n.t(Key::TourGoalMet) } else { i18n.t(Key::TourGoalWaiting) }}</strong>
                        " " {move || text::inline(goal_line(), ctx.values)}
                    </p>
                </section>
                <section class="tour-widget" aria-label=i18n.tr(Key::TourWidget)>
                    {widgets::widget(step.slug)}
                </section>
            </div>
            <footer class="tour-foot">
                <Show when=move || !app.embed>
                    <div class="tour-buttons">
                        <button class="button secondary" data-testid="tour-back" disabled={index == 0}
                            on:click=move |_| go.run(index.saturating_sub(1))>
                            {i18n.tr(Key::TourBack)}
                        </button>
                        <button class="button" data-testid="tour-next" disabled={index + 1 >= STEPS.len()}
                            on:click=move |_| go.run(index + 1)>
                            {i18n.tr(Key::TourNext)}
                        </button>
                        <a class="button secondary" data-testid="tour-explore" href=widgets::explore_href(step.slug)>
                            {i18n.tr(Key::TourExplore)}
                        </a>
                        <button class="mini" data-testid="tour-qr" aria-pressed=move || show_qr.get().to_string()
                            on:click=move |_| show_qr.update(|s| *s = !*s)>{i18n.tr(Key::TourQr)}</button>
                        <OfflinePrep />
                        <crate::components::share_bar::ShareBar embed=widgets::embed_spec() shown=Arc::default() />
                    </div>
                    {move || show_qr.get().then(|| view! { <text::QrCode /> })}
                    <details class="tour-cites">
                        <summary>{i18n.tr(Key::TourSources)}</summary>
                        <ul>{step.cites.iter().map(|c| view! {
                            // A reference keeps its authors' and titles' own language.
                            <li translate="no">{move || match i18n.lang.get() { Lang::En => c.en, Lang::Zh => c.zh }}</li>
                        }).collect_view()}</ul>
                    </details>
                </Show>
                <Show when=move || app.embed>
                    <p class="embed-link"><a href=move || step_href(index).replace("embed=1", "embed=0")
                        target="_blank" rel="noopener">{i18n.tr(Key::TourOpenFull)}</a></p>
                </Show>
            </footer>
        </article>
    }
}

/// Where preparing the tour for offline use stands (kept for the whole visit).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
enum Offline {
    Idle,
    Working { done: usize, total: usize },
    Ready { files: usize },
    NoWorker,
    Failed { error: String },
}

/// The visit's preparation status: created by the tour page, so it outlives the step that
/// started it.
#[derive(Clone, Copy)]
struct OfflineStatus(RwSignal<Offline>);

/// "Prepare for offline use": a teacher loads the tour once ahead of class (every step's data
/// checked and cached, the app itself cached by the service worker), and it then runs with no
/// network. `state().tour_offline` says where it stands.
#[component]
fn OfflinePrep() -> impl IntoView {
    let i18n = use_i18n();
    let status = expect_context::<OfflineStatus>().0;
    Effect::new(move |_| {
        crate::automation::publish(
            "tour_offline",
            serde_json::to_value(status.get()).unwrap_or_default(),
        );
    });
    let prepare = move |_| {
        if matches!(status.get_untracked(), Offline::Working { .. }) {
            return;
        }
        status.set(Offline::Working { done: 0, total: 0 });
        leptos::task::spawn_local(async move {
            if !crate::offline::worker_ready(20_000).await {
                status.set(Offline::NoWorker);
                return;
            }
            let result = widgets::preload(move |done, total| {
                status.set(Offline::Working { done, total });
            })
            .await;
            status.set(match result {
                Ok(files) => Offline::Ready { files },
                Err(error) => Offline::Failed { error },
            });
        });
    };
    let line = move || {
        let t = |k| i18n.t(k);
        match status.get() {
            Offline::Idle => None,
            Offline::Working { done, total } => Some(
                t(Key::TourOfflineWorking)
                    .replace("{0}", &done.to_string())
                    .replace("{1}", &total.to_string()),
            ),
            Offline::Ready { files } => {
                Some(t(Key::TourOfflineReady).replace("{0}", &files.to_string()))
            }
            Offline::NoWorker => Some(t(Key::TourOfflineNoWorker).to_owned()),
            Offline::Failed { error } => Some(t(Key::TourOfflineFailed).replace("{0}", &error)),
        }
    };
    view! {
        <button class="mini" data-testid="tour-offline" on:click=prepare
            disabled=move || matches!(status.get(), Offline::Working { .. })>
            {i18n.tr(Key::TourOffline)}
        </button>
        <span class="tour-offline" role="status" data-testid="tour-offline-status">{line}</span>
    }
}

/// The list of steps with the current one marked.
#[component]
fn TourNav(index: usize, go: Callback<usize>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <nav class="tour-nav" aria-label=i18n.tr(Key::TourSteps)>
            <ol>
                {STEPS.iter().enumerate().map(|(i, s)| {
                    let current = i == index;
                    view! {
                        <li class:current=current>
                            <a href=step_href(i) aria-current=current.then_some("step")
                                on:click=move |ev| { ev.prevent_default(); go.run(i); }>
                                <span class="tour-num">{i + 1}</span> " "
                                {move || title(s, i18n.lang.get())}
                            </a>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_found_by_path_and_by_alias() {
        assert_eq!(step_index("/tour", None), Ok(0));
        assert_eq!(step_index("/tour/", None), Ok(0));
        assert_eq!(step_index("/tour/shapes", None), Ok(5));
        assert_eq!(step_index("/tour", Some("scaling")), Ok(14));
        assert_eq!(step_index("/tour/shapes", Some("scaling")), Ok(5));
        assert_eq!(step_index("/tour/nope", None), Err("nope".into()));
    }
}
