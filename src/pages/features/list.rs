//! The feature list: virtualised rows (only the visible ones are in the DOM), token search over
//! `list.bin` (instant), text search over the snippets (chunk by chunk, with progress), sort and
//! the dead/ultralow filter.

use std::collections::HashSet;
use std::sync::Arc;

use leptos::prelude::*;
use polytope_core::dict::FeatureSummary;

use super::{Fx, TextSearch, href, tokens_label};
use crate::browser::{now_ms, yield_task};
use crate::features_data as data;
use crate::i18n::{Key, use_i18n};
use crate::url;

/// Row height in CSS pixels (`.frow` in style/main.css).
const ROW_H: f64 = 30.0;
/// Height of the scrolling viewport (`.flist`).
const VIEW_H: f64 = 540.0;
/// Rows drawn beyond the visible ones, each side.
const OVERSCAN: usize = 6;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    Index,
    Density,
    MaxAct,
}

impl Sort {
    fn parse(s: &str) -> Self {
        match s {
            "density" => Self::Density,
            "max" => Self::MaxAct,
            _ => Self::Index,
        }
    }
    fn code(self) -> &'static str {
        match self {
            Self::Index => "index",
            Self::Density => "density",
            Self::MaxAct => "max",
        }
    }
}

/// Width of a density bar: log10 density from 1e-7 (0 %) to 1 (100 %).
fn density_width(d: f32) -> f64 {
    if d <= 0.0 {
        return 0.0;
    }
    ((f64::from(d).log10() + 7.0) / 7.0).clamp(0.0, 1.0) * 100.0
}

fn fmt_density(d: f32) -> String {
    if d <= 0.0 {
        "0".into()
    } else {
        format!("{d:.1e}")
    }
}

/// Runs the text search over every chunk of `dict`, publishing progress after each.
async fn text_search(fx: Fx, dict: String, query: String, generation: StoredValue<u64>, me: u64) {
    let needle = query.to_lowercase();
    let total = data::manifest(&dict).await.map_or(0, |m| m.chunk_count());
    let mut matches = HashSet::new();
    let publish = |done: usize, matches: &HashSet<u32>, error: Option<String>| {
        fx.text_search.try_set(Some(TextSearch {
            dict: dict.clone(),
            query: query.clone(),
            done,
            total,
            matches: Arc::new(matches.clone()),
            error,
        }));
    };
    publish(0, &matches, None);
    let (texts, eval) = match (data::token_texts().await, data::eval_tokens().await) {
        (Ok(t), Ok(e)) => (t, e),
        (Err(e), _) | (_, Err(e)) => {
            publish(0, &matches, Some(e));
            return;
        }
    };
    let before = data::manifest(&dict).await.map_or(0, |m| m.context.before);
    let mut first_error = None;
    for c in 0..total {
        if generation.try_get_value() != Some(me) {
            return;
        }
        match data::chunk(&dict, c).await {
            Ok(details) => {
                for d in details.iter() {
                    let examples = d
                        .top
                        .iter()
                        .chain(d.quantiles.iter().flat_map(|q| q.examples.iter()));
                    let hit = examples.into_iter().any(|ex| {
                        let start = ex.window_start(before) as usize;
                        let mut s = String::new();
                        for j in 0..ex.acts.len() {
                            if let Some(t) = eval.get(start + j) {
                                s.push_str(texts.get(*t));
                            }
                        }
                        s.to_lowercase().contains(&needle)
                    });
                    if hit {
                        matches.insert(d.id);
                    }
                }
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
        if generation.try_get_value() != Some(me) {
            return;
        }
        publish(c + 1, &matches, first_error.clone());
        yield_task().await;
    }
}

#[component]
pub fn ListPanel(fx: Fx) -> impl IntoView {
    let i18n = use_i18n();
    let query = RwSignal::new(url::param("q").unwrap_or_default());
    let sort = RwSignal::new(Sort::parse(&url::param("sort").unwrap_or_default()));
    let show_all = RwSignal::new(url::param("all").is_some_and(|v| v == "1"));
    let text_query = RwSignal::new(String::new());
    let generation = StoredValue::new(0u64);
    let scroll_top = RwSignal::new(0.0f64);
    let list_ref = NodeRef::<leptos::html::Div>::new();

    let list = move || {
        fx.dict
            .get()
            .and_then(|d| fx.lists.with(|l| l.get(&d).cloned()))
    };
    let rows = Memo::new(move |_| -> Arc<Vec<u32>> {
        let Some(Ok(list)) = list() else {
            return Arc::new(Vec::new());
        };
        let started = now_ms();
        let q = query.get().trim().to_lowercase();
        let texts = fx.texts_now();
        let all = show_all.get();
        let dict = fx.dict.get().unwrap_or_default();
        let text_matches = fx.text_search.with(|s| {
            s.as_ref()
                .filter(|s| s.dict == dict)
                .map(|s| Arc::clone(&s.matches))
        });
        let id_query = q.trim_start_matches('#').parse::<u32>().ok();
        let token_match = |s: &FeatureSummary| -> bool {
            if q.is_empty() {
                return true;
            }
            let Some(texts) = &texts else { return false };
            s.top_tokens.iter().any(|t| {
                *t != polytope_core::dict::NO_TOKEN && texts.get(*t).to_lowercase().contains(&q)
            })
        };
        let mut out: Vec<u32> = list
            .iter()
            .enumerate()
            .filter(|(i, s)| {
                let i = *i as u32;
                (all || !(s.is_dead() || s.is_ultralow()) || id_query == Some(i))
                    && (token_match(s) || id_query == Some(i))
                    && text_matches.as_ref().is_none_or(|m| m.contains(&i))
            })
            .map(|(i, _)| i as u32)
            .collect();
        match sort.get() {
            Sort::Index => {}
            Sort::Density => out.sort_by(|a, b| {
                list[*b as usize]
                    .density
                    .total_cmp(&list[*a as usize].density)
            }),
            Sort::MaxAct => out.sort_by(|a, b| {
                list[*b as usize]
                    .max_act
                    .total_cmp(&list[*a as usize].max_act)
            }),
        }
        if !q.is_empty() {
            fx.timing.update(|t| {
                t.insert("search_ms", now_ms() - started);
            });
        }
        Arc::new(out)
    });
    Effect::new(move |_| fx.row_count.set(rows.with(|r| r.len())));
    // A new search or order starts at the top.
    Effect::new(move |_| {
        query.track();
        sort.track();
        show_all.track();
        fx.text_search.track();
        fx.dict.track();
        if let Some(el) = list_ref.get_untracked() {
            el.set_scroll_top(0);
        }
        scroll_top.set(0.0);
    });

    let visible = move || {
        let rows = rows.get();
        let first = ((scroll_top.get() / ROW_H) as usize).saturating_sub(OVERSCAN);
        let last = (first + (VIEW_H / ROW_H) as usize + 2 * OVERSCAN).min(rows.len());
        let Some(Ok(list)) = list() else {
            return Vec::new();
        };
        let texts = fx.texts_now();
        let dict = fx.dict.get().unwrap_or_default();
        let selected = fx.feature.get();
        (first..last)
            .filter_map(|pos| {
                let id = rows[pos];
                let s = list.get(id as usize)?;
                let label = texts
                    .as_ref()
                    .map(|t| tokens_label(&s.top_tokens, t))
                    .unwrap_or_default();
                let flag = if s.is_dead() {
                    Some(i18n.t(Key::SaeDead))
                } else if s.is_ultralow() {
                    Some(i18n.t(Key::FeaturesUltralow))
                } else {
                    None
                };
                let link = href(&dict, Some(id));
                let title = label.clone();
                Some(view! {
                    <a class="frow" href=link data-feature=id.to_string()
                        class:selected=selected == Some(id)
                        style:top=format!("{}px", pos as f64 * ROW_H)>
                        <span class="fid">{format!("#{id}")}</span>
                        <span class="ftoks" title=title translate="no">{label}</span>
                        <span class="fbar" title=format!("{} {}", i18n.t(Key::FeaturesDensity), fmt_density(s.density))>
                            <span class="fbar-fill" style:width=format!("{:.1}%", density_width(s.density))></span>
                        </span>
                        <span class="fmax">{format!("{:.2}", s.max_act)}</span>
                        {flag.map(|f| view! { <span class="fflag">{f}</span> })}
                    </a>
                })
            })
            .collect_view()
    };

    let start_text_search = move || {
        let q = text_query.get_untracked().trim().to_owned();
        let me = generation.get_value() + 1;
        generation.set_value(me);
        if q.is_empty() {
            fx.text_search.set(None);
            return;
        }
        let Some(dict) = fx.dict.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(text_search(fx, dict, q, generation, me));
    };

    let status = move || {
        match list() {
        None => Some(view! { <p class="progress-note" data-testid="list-loading">{i18n.tr(Key::FeaturesLoadingList)}</p> }.into_any()),
        Some(Err(e)) => Some(view! { <p class="notice notice-error" role="alert" data-testid="list-error">{e}</p> }.into_any()),
        Some(Ok(_)) => None,
    }
    };
    let search_status = move || {
        fx.text_search.get().map(|s| {
            let text = format!(
                "{} {}/{} · {} {}",
                i18n.t(Key::FeaturesChunksSearched),
                s.done,
                s.total,
                s.matches.len(),
                i18n.t(Key::FeaturesMatches)
            );
            view! {
                <p class="progress-note" data-testid="text-search-status">
                    <progress max=s.total.to_string() value=s.done.to_string()></progress>
                    " " {text}
                    {s.error.map(|e| view! { <span class="notice-error-text">" " {e}</span> })}
                </p>
            }
        })
    };

    view! {
        <section class="card list-panel" data-panel="list">
            <h2>{i18n.tr(Key::FeaturesList)}</h2>
            <div class="list-controls">
                <label class="field">
                    <span>{i18n.tr(Key::FeaturesSearchTokens)}</span>
                    // The example is a token of the English corpus: data, not interface text.
                    <input type="search" data-testid="token-search" translate="no" prop:value=move || query.get()
                        placeholder=move || i18n.t(Key::FeaturesSearchTokensHint)
                        on:input=move |ev| {
                            let v = event_target_value(&ev);
                            url::update(&[("q", (!v.is_empty()).then(|| v.clone()))]);
                            query.set(v);
                        } />
                </label>
                <form class="field text-search" on:submit=move |ev| {
                    ev.prevent_default();
                    start_text_search();
                }>
                    <span>{i18n.tr(Key::FeaturesSearchText)}</span>
                    <span class="inline-row">
                        <input type="search" data-testid="text-search" prop:value=move || text_query.get()
                            aria-label=move || i18n.t(Key::FeaturesTextSearchLabel)
                            on:input=move |ev| text_query.set(event_target_value(&ev)) />
                        <button class="mini" type="submit" data-testid="text-search-go">{i18n.tr(Key::FeaturesSearch)}</button>
                    </span>
                </form>
                <div class="inline-row">
                    <label class="field">
                        <span>{i18n.tr(Key::FeaturesSort)}</span>
                        <select data-testid="sort" prop:value=move || sort.get().code()
                            on:change=move |ev| {
                                let s = Sort::parse(&event_target_value(&ev));
                                url::update(&[("sort", (s != Sort::Index).then(|| s.code().to_owned()))]);
                                sort.set(s);
                            }>
                            <option value="index">{i18n.tr(Key::FeaturesSortIndex)}</option>
                            <option value="density">{i18n.tr(Key::FeaturesSortDensity)}</option>
                            <option value="max">{i18n.tr(Key::FeaturesSortMax)}</option>
                        </select>
                    </label>
                    <label class="check">
                        <input type="checkbox" data-testid="show-all" prop:checked=move || show_all.get()
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                url::update(&[("all", on.then(|| "1".to_owned()))]);
                                show_all.set(on);
                            } />
                        " " {i18n.tr(Key::FeaturesShowDead)}
                    </label>
                </div>
            </div>
            {search_status}
            {status}
            <p class="list-count" data-testid="row-count">
                {move || rows.with(|r| r.len())} " " {i18n.tr(Key::FeaturesRows)}
            </p>
            <div class="frow fhead" aria-hidden="true">
                <span class="fid">"#"</span>
                <span class="ftoks">{i18n.tr(Key::FeaturesTopTokens)}</span>
                <span class="fbar-head">{i18n.tr(Key::FeaturesDensity)}</span>
                <span class="fmax">{i18n.tr(Key::FeaturesMaxAct)}</span>
            </div>
            <div class="flist" node_ref=list_ref data-testid="feature-list"
                on:scroll=move |ev| {
                    use wasm_bindgen::JsCast;
                    if let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                        scroll_top.set(f64::from(el.scroll_top()));
                    }
                }>
                <div class="flist-space" style:height=move || format!("{}px", rows.with(|r| r.len()) as f64 * ROW_H)>
                    {visible}
                </div>
            </div>
        </section>
    }
}
