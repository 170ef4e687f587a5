//! `/features`, `/features/DICT` and `/features/DICT/ID`: the feature browser over the shipped
//! dictionaries (`public/data/`, read through [`crate::features_data`]).
//!
//! The address holds the dictionary and the feature (the path), the token search (`q`), the
//! order (`sort`), whether dead and ultralow features are listed (`all=1`) and, as everywhere,
//! `embed`, `panels` and `lang`. Each panel loads what it needs and shows its own progress and
//! its own errors, so a broken file only breaks the panel that needed it.

mod detail;
mod family;
mod list;
mod map;
mod overview;
mod readability;
mod text;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate};
use polytope_core::dict::{
    DataIndex, DictKind, DictManifest, FeatureDetail, FeatureSummary, UnitScores,
};
use polytope_core::lm::interp::MEASURES;
use serde_json::json;

use crate::automation;
use crate::browser::now_ms;
use crate::download;
use crate::features_data::{self as data, ScoresOf, TokenTexts};
use crate::i18n::{Key, use_i18n};
use crate::url;
use crate::use_app;

/// The panels of the page, by their `panels=` names.
pub const FEATURE_PANELS: [&str; 6] = ["dicts", "overview", "list", "detail", "map", "text"];
/// The feature page's sections, in page order, as `sections=` names them (an embed of one
/// feature shows the ones it asks for; all when absent).
pub const DETAIL_SECTIONS: [&str; 8] = [
    "top",
    "histogram",
    "logits",
    "neurons",
    "scores",
    "links",
    "family",
    "quantiles",
];

thread_local! {
    static MOUNTS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

type Shared<T> = Option<Result<Arc<T>, String>>;
type Lists = HashMap<String, Result<Arc<Vec<FeatureSummary>>, String>>;
type DetailSlot = Option<(String, u32, Result<Arc<FeatureDetail>, String>)>;
type Navigate = Arc<dyn Fn(&str, bool) + Send + Sync>;

/// What the text search over the snippets has found so far.
#[derive(Clone, Debug, PartialEq)]
pub struct TextSearch {
    pub dict: String,
    pub query: String,
    pub done: usize,
    pub total: usize,
    pub matches: Arc<HashSet<u32>>,
    pub error: Option<String>,
}

/// A run of the custom-text panel asked for by another panel (Enter or a click on a token of a
/// top activation): the window's text and tokens, and the token whose features to list.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomRequest {
    pub text: String,
    pub ids: Vec<u16>,
    pub pick: usize,
}

/// Loaded interpretability scores (`None` when the data ships none) or why they failed.
pub type ScoresSlot = Result<Option<Arc<UnitScores>>, String>;

/// The page's state, shared by its panels (cheap to copy).
#[derive(Clone, Copy)]
pub struct Fx {
    /// The dictionary and feature named in the path.
    pub path: Memo<(Option<String>, Option<u32>)>,
    pub dict: Memo<Option<String>>,
    pub feature: Memo<Option<u32>>,
    pub index: RwSignal<Shared<DataIndex>>,
    pub manifests: RwSignal<HashMap<String, Result<Arc<DictManifest>, String>>>,
    pub lists: RwSignal<Lists>,
    /// The open feature's details, for (dictionary, feature).
    pub detail: RwSignal<DetailSlot>,
    pub texts: RwSignal<Shared<TokenTexts>>,
    pub eval: RwSignal<Shared<Vec<u16>>>,
    pub text_search: RwSignal<Option<TextSearch>>,
    /// Milliseconds since the page mounted (`list_ms`, `detail_ms`) and of the last dictionary
    /// switch (`switch_ms`) and token search (`search_ms`).
    pub timing: RwSignal<HashMap<&'static str, f64>>,
    pub switch_started: RwSignal<Option<f64>>,
    /// The custom-text panel's state for `window.polytope.state()`.
    pub custom: RwSignal<serde_json::Value>,
    /// A run the custom-text panel should do next.
    pub custom_request: RwSignal<Option<CustomRequest>>,
    /// Number of rows the list shows (after search and filters).
    pub row_count: RwSignal<usize>,
    /// Interpretability scores, by `ScoresOf` key (`dict:a-4096`, `neurons:A`, `control:A`);
    /// `Ok(None)` when the data ships none.
    pub scores: RwSignal<HashMap<String, ScoresSlot>>,
    /// The family tree asked for on the feature page (`family::FamilySection`).
    pub family: RwSignal<Option<family::FamilySlot>>,
    pub started_ms: f64,
    /// The feature page's sections the address asks for (`sections=top,logits`; names in
    /// [`DETAIL_SECTIONS`], unknown ones ignored); empty shows all.
    pub sections: StoredValue<HashSet<String>>,
    nav: StoredValue<Navigate>,
}

impl Fx {
    /// Whether the feature page shows section `name`.
    pub fn shows_section(self, name: &str) -> bool {
        self.sections
            .with_value(|s| s.is_empty() || s.contains(name))
    }
}

/// The current query string (with `?`), kept by links inside the browser.
fn query_suffix() -> String {
    let q = url::build_query(&url::query());
    if q.is_empty() { q } else { format!("?{q}") }
}

/// The address of a feature (or of a dictionary when `feature` is `None`), under the site's
/// root path.
pub fn href(dict: &str, feature: Option<u32>) -> String {
    match feature {
        Some(f) => url::href(&format!("features/{dict}/{f}{}", query_suffix())),
        None => url::href(&format!("features/{dict}{}", query_suffix())),
    }
}

/// The dictionary and feature of an address path (with the site's root path, as the router
/// reports it).
fn parse_path(path: &str) -> (Option<String>, Option<u32>) {
    let route = url::route_path(&url::base(), path);
    let rest = route
        .strip_prefix("/features")
        .unwrap_or("")
        .trim_matches('/');
    let mut parts = rest.split('/').filter(|s| !s.is_empty());
    let dict = parts
        .next()
        .filter(|d| polytope_core::dict::is_safe_id(d))
        .map(str::to_owned);
    let feature = parts.next().and_then(|f| f.parse::<u32>().ok());
    (dict, feature)
}

impl Fx {
    /// Opens a feature (or a dictionary), adding a history entry.
    pub fn go(self, dict: &str, feature: Option<u32>) {
        let target = href(dict, feature);
        self.nav.with_value(|n| n(&target, false));
    }

    fn go_replace(self, dict: &str) {
        let target = href(dict, None);
        self.nav.with_value(|n| n(&target, true));
    }

    /// What `dict`'s units are (a sparse autoencoder's features until the index says otherwise).
    pub fn kind_of(self, dict: &str) -> DictKind {
        self.index.with(|i| {
            i.as_ref()
                .and_then(|r| r.as_ref().ok())
                .and_then(|i| i.dictionary(dict))
                .map_or(DictKind::Sae, |d| d.kind)
        })
    }

    /// The id of `model`'s neurons dictionary, when the data ships one.
    pub fn neurons_of(self, model: &str) -> Option<String> {
        self.index.with(|i| {
            i.as_ref().and_then(|r| r.as_ref().ok()).and_then(|i| {
                i.dictionaries
                    .iter()
                    .find(|d| d.kind == DictKind::Neurons && d.model == model)
                    .map(|d| d.id.clone())
            })
        })
    }

    pub fn list_of(self, dict: &str) -> Option<Arc<Vec<FeatureSummary>>> {
        self.lists
            .with(|l| l.get(dict).and_then(|r| r.as_ref().ok().cloned()))
    }

    pub fn manifest_of(self, dict: &str) -> Option<Arc<DictManifest>> {
        self.manifests
            .with(|m| m.get(dict).and_then(|r| r.as_ref().ok().cloned()))
    }

    pub fn texts_now(self) -> Option<Arc<TokenTexts>> {
        self.texts
            .with(|t| t.as_ref().and_then(|r| r.as_ref().ok().cloned()))
    }

    /// The top tokens of a feature, as one line (`“the” · “ a”`), when its list is loaded.
    pub fn top_tokens_label(self, dict: &str, feature: u32) -> String {
        let (Some(list), Some(texts)) = (self.list_of(dict), self.texts_now()) else {
            return String::new();
        };
        list.get(feature as usize)
            .map(|s| tokens_label(&s.top_tokens, &texts))
            .unwrap_or_default()
    }

    fn mark(self, name: &'static str, since: f64) {
        self.timing.try_update(|t| {
            t.insert(name, now_ms() - since);
        });
    }

    /// Loads scores (once) into `scores`.
    pub fn ensure_scores(self, of: ScoresOf<'_>) {
        let key = of.key();
        if self
            .scores
            .try_with_untracked(|s| s.contains_key(&key))
            .unwrap_or(true)
        {
            return;
        }
        let owned = match of {
            ScoresOf::Dict(d) => (0, d.to_owned()),
            ScoresOf::Neurons(m) => (1, m.to_owned()),
            ScoresOf::Control(m) => (2, m.to_owned()),
        };
        leptos::task::spawn_local(async move {
            let of = match owned.0 {
                0 => ScoresOf::Dict(&owned.1),
                1 => ScoresOf::Neurons(&owned.1),
                _ => ScoresOf::Control(&owned.1),
            };
            let result = data::scores(of).await;
            self.scores.try_update(|s| {
                s.insert(key, result);
            });
        });
    }

    /// Loaded scores of `of` (`None` while loading, on an error, or when none ship).
    pub fn scores_of(self, of: ScoresOf<'_>) -> Option<Arc<UnitScores>> {
        let key = of.key();
        self.scores
            .with(|s| s.get(&key).and_then(|r| r.as_ref().ok().cloned().flatten()))
    }

    /// The model `dict` reads, from the index.
    pub fn model_of(self, dict: &str) -> Option<String> {
        self.index.with(|i| {
            i.as_ref()
                .and_then(|r| r.as_ref().ok())
                .and_then(|i| i.dictionary(dict))
                .map(|d| d.model.clone())
        })
    }

    /// Loads a dictionary's list (once) into `lists`.
    pub fn ensure_list(self, dict: &str) {
        if self
            .lists
            .try_with_untracked(|l| l.contains_key(dict))
            .unwrap_or(true)
        {
            return;
        }
        let dict = dict.to_owned();
        leptos::task::spawn_local(async move {
            let result = data::list(&dict).await;
            self.lists.try_update(|l| {
                l.insert(dict.clone(), result);
            });
        });
    }
}

pub fn tokens_label(tokens: &[u16], texts: &TokenTexts) -> String {
    tokens
        .iter()
        .filter(|t| **t != polytope_core::dict::NO_TOKEN)
        .map(|t| format!("“{}”", texts.get(*t)))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn state_json(fx: Fx) -> serde_json::Value {
    let dict = fx.dict.get_untracked();
    let feature = fx.feature.get_untracked();
    let index_err = fx
        .index
        .with_untracked(|i| i.as_ref().and_then(|r| r.as_ref().err().cloned()));
    let list = dict.as_ref().and_then(|d| {
        fx.lists.with_untracked(|l| {
            l.get(d)
                .map(|r| r.as_ref().map(|l| l.len()).map_err(Clone::clone))
        })
    });
    let detail = fx.detail.with_untracked(|d| {
        d.as_ref().and_then(|(dd, ff, r)| {
            (Some(dd) == dict.as_ref() && Some(*ff) == feature).then(|| r.clone())
        })
    });
    let list_loaded = matches!(list, Some(Ok(_)));
    let detail_loaded = matches!(detail, Some(Ok(_)));
    let loaded = list_loaded && (feature.is_none() || detail_loaded);
    let error = index_err
        .or_else(|| list.as_ref().and_then(|r| r.as_ref().err().cloned()))
        .or_else(|| detail.as_ref().and_then(|r| r.as_ref().err().cloned()));
    let search = fx.text_search.get_untracked().map(|s| {
        json!({
            "query": s.query, "done": s.done, "total": s.total,
            "matches": s.matches.len(), "error": s.error,
        })
    });
    let timing: serde_json::Map<String, serde_json::Value> = fx
        .timing
        .get_untracked()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), json!(v)))
        .collect();
    let dictionaries: Vec<String> = fx.index.with_untracked(|i| {
        i.as_ref()
            .and_then(|r| r.as_ref().ok())
            .map(|i| i.dictionaries.iter().map(|d| d.id.clone()).collect())
            .unwrap_or_default()
    });
    json!({
        "dict": dict,
        "feature": feature,
        "loaded": loaded,
        "error": error,
        "dictionaries": dictionaries,
        "list_loaded": list_loaded,
        "features": list.and_then(Result::ok),
        "rows": fx.row_count.get_untracked(),
        "detail_loaded": detail_loaded,
        "detail": detail.and_then(Result::ok).map(|d| json!({
            "top": d.top.len(),
            "quantiles": d.quantiles.len(),
            "splits": d.splits.len(),
            "correlated": d.correlated.len(),
            "best_match": d.best_match.map(|(f, _)| f),
        })),
        "chunks_in_memory": dict.as_deref().map_or(0, data::chunks_in_memory),
        // The open dictionary's log10 feature densities: dead features, then bins of 0.25
        // from 1e-7 (the overview panel's plot).
        "density_histogram": dict.as_ref().and_then(|d| fx.lists.with_untracked(|l| match l.get(d) {
            Some(Ok(list)) => Some(crate::specs::dict_density_histogram(list)),
            _ => None,
        })),
        // Interpretability medians of the open dictionary, its model's neurons and the random
        // control (docs/interpretability.md), per measure; null until loaded or when none ship.
        "scores": scores_state(fx, dict.as_deref()),
        // The splitting tree the feature page built on request (null until asked).
        "family": fx.family.with_untracked(|f| f.as_ref().map(family::FamilySlot::state)),
        "text_search": search,
        "custom": fx.custom.get_untracked(),
        "timing": timing,
    })
}

fn scores_state(fx: Fx, dict: Option<&str>) -> serde_json::Value {
    let Some(dict) = dict else {
        return json!(null);
    };
    let model = fx.model_of(dict).unwrap_or_default();
    let groups = [
        ("dictionary", ScoresOf::Dict(dict)),
        ("neurons", ScoresOf::Neurons(&model)),
        ("control", ScoresOf::Control(&model)),
    ];
    let mut out = serde_json::Map::new();
    for (name, of) in groups {
        let s = fx.scores.with_untracked(|s| {
            s.get(&of.key())
                .and_then(|r| r.as_ref().ok().cloned().flatten())
        });
        out.insert(
            name.to_owned(),
            s.map_or(json!(null), |s| {
                let medians: serde_json::Map<String, serde_json::Value> = MEASURES
                    .iter()
                    .enumerate()
                    .map(|(m, n)| {
                        let mut v = s.scored(m);
                        let med = polytope_core::lm::analysis::median(&mut v);
                        ((*n).to_owned(), json!(med.is_finite().then_some(med)))
                    })
                    .collect();
                json!({ "units": s.units, "scored": s.scored(0).len(), "median": medians })
            }),
        );
    }
    serde_json::Value::Object(out)
}

/// Loads and decodes every chunk of `dict` not in memory yet, yielding between chunks, and
/// stops as soon as another dictionary is open.
async fn prefetch_chunks(fx: Fx, dict: String, chunks: usize) {
    thread_local! {
        static RUNNING: std::cell::RefCell<HashSet<String>> = std::cell::RefCell::new(HashSet::new());
    }
    if !RUNNING.with(|r| r.borrow_mut().insert(dict.clone())) {
        return;
    }
    for c in 0..chunks {
        if fx.dict.try_get_untracked().flatten().as_deref() != Some(dict.as_str()) {
            break;
        }
        if !data::has_chunk(&dict, c) && data::chunk(&dict, c).await.is_err() {
            // The panel that needs a broken chunk reports it when it is opened.
            continue;
        }
        crate::browser::yield_task().await;
    }
    RUNNING.with(|r| r.borrow_mut().remove(&dict));
}

#[component]
pub fn FeaturesPage() -> impl IntoView {
    let i18n = use_i18n();
    let app = use_app();
    crate::page::set_page("features");
    let mut panels = url::list_param("panels");
    if panels.is_empty() {
        panels = FEATURE_PANELS.iter().map(|p| (*p).to_owned()).collect();
    }
    let shown = RwSignal::new(panels);
    let location = use_location();
    let path = Memo::new(move |_| parse_path(&location.pathname.get()));
    let index: RwSignal<Shared<DataIndex>> = RwSignal::new(None);
    let dict = Memo::new(move |_| path.get().0);
    let feature = Memo::new(move |_| path.get().1);
    // `Feature 718 · a-4096 · Polytope`, `a-4096 · Features · Polytope`.
    crate::page::set_title(move |lang| {
        let features = crate::i18n::text(lang, Key::NavFeatures).to_owned();
        match (dict.get(), feature.get()) {
            (Some(d), Some(f)) => vec![
                crate::i18n::text(lang, Key::TitleFeature).replace("{0}", &f.to_string()),
                d,
            ],
            (Some(d), None) => vec![d, features],
            _ => vec![features],
        }
    });
    let navigate = use_navigate();
    let nav: Navigate = Arc::new(move |to: &str, replace: bool| {
        navigate(
            to,
            NavigateOptions {
                replace,
                scroll: false,
                // `to` is a whole path, root path included (`href`).
                resolve: false,
                ..NavigateOptions::default()
            },
        );
    });
    let fx = Fx {
        path,
        dict,
        feature,
        index,
        manifests: RwSignal::new(HashMap::new()),
        lists: RwSignal::new(HashMap::new()),
        detail: RwSignal::new(None),
        texts: RwSignal::new(None),
        eval: RwSignal::new(None),
        text_search: RwSignal::new(None),
        timing: RwSignal::new(HashMap::new()),
        switch_started: RwSignal::new(None),
        custom: RwSignal::new(json!(null)),
        custom_request: RwSignal::new(None),
        row_count: RwSignal::new(0),
        scores: RwSignal::new(HashMap::new()),
        family: RwSignal::new(None),
        started_ms: now_ms(),
        sections: StoredValue::new(
            url::list_param("sections")
                .into_iter()
                .filter(|s| DETAIL_SECTIONS.contains(&s.as_str()))
                .collect(),
        ),
        nav: StoredValue::new(nav),
    };
    // Moving from `/features` to `/features/DICT` mounts a new page before the old one is
    // cleaned up: only the latest mount withdraws the state section.
    let mount = MOUNTS.with(|m| {
        m.set(m.get() + 1);
        m.get()
    });
    automation::provide("features", Box::new(move || state_json(fx)));
    on_cleanup(move || {
        if MOUNTS.with(std::cell::Cell::get) == mount {
            automation::withdraw("features");
        }
    });

    // The index, then every manifest (for the picker), the tokenizer and the evaluation tokens.
    leptos::task::spawn_local(async move {
        let result = data::index().await;
        if let Ok(ix) = &result {
            for d in &ix.dictionaries {
                let id = d.id.clone();
                leptos::task::spawn_local(async move {
                    let m = data::manifest(&id).await;
                    fx.manifests.try_update(|all| {
                        all.insert(id, m);
                    });
                });
            }
            leptos::task::spawn_local(async move {
                let t = data::token_texts().await;
                fx.texts.try_set(Some(t));
            });
            leptos::task::spawn_local(async move {
                let e = data::eval_tokens().await;
                fx.eval.try_set(Some(e));
            });
            // Let the tasks above (and the open feature's, waiting for the index) start their
            // fetches before the page renders what the index unlocks: the render then overlaps
            // the network instead of delaying it.
            crate::browser::yield_task().await;
        }
        fx.index.try_set(Some(result));
    });

    // `/features` alone opens the first dictionary.
    Effect::new(move |_| {
        if path.get().0.is_some() {
            return;
        }
        let first = index.with(|i| {
            i.as_ref()
                .and_then(|r| r.as_ref().ok())
                .and_then(|i| i.dictionaries.first().map(|d| d.id.clone()))
        });
        if let Some(first) = first {
            fx.go_replace(&first);
        }
    });

    // The chosen dictionary's list.
    Effect::new(move |_| {
        if let Some(d) = dict.get() {
            fx.ensure_list(&d);
        }
    });
    // Timings: the first list, the first feature, dictionary switches.
    Effect::new(move |_| {
        let Some(d) = dict.get() else { return };
        let ready = fx.lists.with(|l| l.get(&d).is_some_and(Result::is_ok));
        if !ready {
            return;
        }
        if fx.timing.with_untracked(|t| !t.contains_key("list_ms")) {
            fx.mark("list_ms", fx.started_ms);
        }
        if let Some(since) = fx.switch_started.get_untracked() {
            fx.mark("switch_ms", since);
            fx.switch_started.set(None);
        }
    });

    // The open feature's details (its chunk, cached once decoded).
    Effect::new(move |_| {
        let (Some(d), Some(f)) = (dict.get(), feature.get()) else {
            return;
        };
        let current = fx.detail.with_untracked(|x| {
            x.as_ref()
                .is_some_and(|(dd, ff, r)| *dd == d && *ff == f && r.is_ok())
        });
        if current {
            return;
        }
        leptos::task::spawn_local(async move {
            let result = data::feature(&d, f).await;
            if fx.dict.try_get_untracked().flatten().as_deref() != Some(d.as_str())
                || fx.feature.try_get_untracked().flatten() != Some(f)
            {
                return;
            }
            if result.is_ok()
                && fx
                    .timing
                    .try_with_untracked(|t| !t.contains_key("detail_ms"))
                    .unwrap_or(false)
            {
                fx.mark("detail_ms", fx.started_ms);
            }
            // The related dictionaries' lists label the split and match links.
            let manifest = data::manifest(&d).await;
            if let Ok(m) = &manifest {
                for r in m.related.iter().chain(m.match_dict.iter()) {
                    fx.ensure_list(r);
                }
            }
            fx.detail.try_set(Some((d.clone(), f, result)));
            // Then the dictionary's other chunks, one per task in the background, so that
            // the next feature opens without a fetch (switching stays well under 50 ms).
            if let Ok(m) = manifest {
                prefetch_chunks(fx, d, m.chunk_count()).await;
            }
        });
    });

    let show = move |name: &'static str| move || shown.with(|s| s.contains(name));
    let copied = RwSignal::new(None::<&'static str>);
    let embed = move |_| {
        let origin = web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default();
        let path = web_sys::window()
            .and_then(|w| w.location().pathname().ok())
            .unwrap_or_default();
        let mut chosen: Vec<&str> = FEATURE_PANELS
            .iter()
            .copied()
            .filter(|p| shown.with_untracked(|s| s.contains(*p)))
            .collect();
        if chosen.len() == FEATURE_PANELS.len() || chosen.is_empty() {
            chosen = vec!["detail"];
        }
        let mut pairs: Vec<(String, String)> = url::query()
            .into_iter()
            .filter(|(k, _)| k != "embed" && k != "panels")
            .collect();
        pairs.push(("embed".into(), "1".into()));
        pairs.push(("panels".into(), chosen.join(",")));
        let src = format!("{origin}{path}?{}", url::build_query(&pairs));
        // One feature's card fits any frame (its sections are clipped, with a link to the
        // rest); other panels need room to scroll.
        let height = if chosen == ["detail"] { 480 } else { 640 };
        let snippet = format!(
            "<iframe src=\"{}\" width=\"100%\" height=\"{height}\" style=\"border:0\" loading=\"lazy\" title=\"Polytope: feature browser\"></iframe>",
            src.replace('&', "&amp;").replace('"', "&quot;")
        );
        download::copy_text(&snippet);
        automation::publish("embed_code", json!(snippet));
        copied.set(Some("embed"));
    };
    let full_link = move || url::current_href().replace("embed=1", "embed=0");
    let index_error = move || index.with(|i| i.as_ref().and_then(|r| r.as_ref().err().cloned()));
    let loading_index = move || index.with(Option::is_none);

    view! {
        <div class="toy-page features-page" class:embedded=app.embed
            class:fit-frame=move || app.embed && shown.with(|s| s.len() == 1 && s.contains("detail"))>
            <Show when=move || !app.embed>
                <h1 class="page-title">{i18n.tr(Key::FeaturesTitle)}</h1>
                <p class="lead-small">{i18n.tr(Key::FeaturesIntro)}</p>
            </Show>
            {move || loading_index().then(|| view! {
                <p class="progress-note" data-testid="index-loading">{i18n.tr(Key::FeaturesLoadingIndex)}</p>
            })}
            {move || index_error().map(|e| view! {
                <div class="notice notice-error" role="alert" data-testid="index-error">
                    <strong>{i18n.tr(Key::FeaturesDataError)}</strong> " " {e}
                </div>
            })}
            <Show when=show("dicts")><DictPicker fx /></Show>
            <Show when=show("overview")><overview::OverviewPanel fx /></Show>
            <div class="features-layout">
                <Show when=show("list")><list::ListPanel fx /></Show>
                <Show when=show("detail")><detail::DetailPanel fx /></Show>
            </div>
            <div class="features-layout lower">
                <Show when=show("map")><map::MapPanel fx /></Show>
                <Show when=show("text")><text::TextPanel fx /></Show>
            </div>
            <Show when=move || !app.embed>
                <div class="share-bar">
                    <button class="mini" data-testid="copy-link" on:click=move |_| {
                        download::copy_text(&url::current_href());
                        copied.set(Some("link"));
                    }>
                        {move || if copied.get() == Some("link") { i18n.t(Key::Copied) } else { i18n.t(Key::ShareLink) }}
                    </button>
                    <span class="panel-toggles" role="group" aria-label=move || i18n.t(Key::FeaturesPanels)>
                        {i18n.tr(Key::FeaturesPanels)}
                        {FEATURE_PANELS.iter().map(|p| {
                            let p = *p;
                            view! {
                                <label class="check" data-toggle=p>
                                    <input type="checkbox" prop:checked=move || shown.with(|s| s.contains(p))
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            shown.update(|s| {
                                                if on { s.insert(p.to_owned()); } else { s.remove(p); }
                                            });
                                            let all = shown.with_untracked(|s| FEATURE_PANELS.iter().all(|q| s.contains(*q)));
                                            let list = FEATURE_PANELS.iter().copied()
                                                .filter(|q| shown.with_untracked(|s| s.contains(*q)))
                                                .collect::<Vec<_>>().join(",");
                                            url::update(&[("panels", (!all).then_some(list))]);
                                        } />
                                    " " {move || i18n.t(panel_name(p))}
                                </label>
                            }
                        }).collect_view()}
                    </span>
                    <button class="mini" data-testid="copy-embed" on:click=embed>
                        {move || if copied.get() == Some("embed") { i18n.t(Key::Copied) } else { i18n.t(Key::EmbedCode) }}
                    </button>
                </div>
            </Show>
            <Show when=move || app.embed>
                <p class="embed-link"><a href=full_link target="_blank" rel="noopener">{i18n.tr(Key::OpenFull)}</a></p>
            </Show>
        </div>
    }
}

/// The name of a panel in the toggles.
fn panel_name(panel: &str) -> Key {
    match panel {
        "dicts" => Key::FeaturesDictionaries,
        "overview" => Key::FeaturesOverview,
        "list" => Key::FeaturesList,
        "map" => Key::FeaturesMap,
        "text" => Key::FeaturesCustomText,
        _ => Key::FeaturesPanelDetail,
    }
}

fn pct(v: f32) -> String {
    format!("{:.1} %", 100.0 * v)
}

/// The dictionaries, by model: size, recipe and quality, from their manifests.
#[component]
fn DictPicker(fx: Fx) -> impl IntoView {
    let i18n = use_i18n();
    let entries = move || {
        fx.index.with(|i| {
            i.as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(|i| {
                    // Features first, then the models' neurons (their own group).
                    let mut v = i
                        .dictionaries
                        .iter()
                        .map(|d| {
                            (
                                d.id.clone(),
                                d.model.clone(),
                                d.d_sae,
                                d.variant.clone(),
                                d.kind,
                            )
                        })
                        .collect::<Vec<_>>();
                    v.sort_by_key(|e| e.4 == DictKind::Neurons);
                    v
                })
                .unwrap_or_default()
        })
    };
    view! {
        <section class="card dict-picker" data-panel="dicts">
            <h2>{i18n.tr(Key::FeaturesDictionaries)}</h2>
            <ul class="dict-grid">
                {move || entries().into_iter().scan(DictKind::Sae, |previous, entry| {
                    // The first neurons entry (they come last) opens their group.
                    let opens_group = entry.4 == DictKind::Neurons && *previous != DictKind::Neurons;
                    *previous = entry.4;
                    Some((opens_group, entry))
                }).map(|(opens_group, (id, model, d_sae, variant, kind))| {
                    let group = opens_group
                        .then(|| view! { <li class="dict-group"><h3>{i18n.tr(Key::FeaturesNeuronsGroup)}</h3></li> });
                    let id_for_click = id.clone();
                    let id_sel = id.clone();
                    let id_m = id.clone();
                    let selected = move || fx.dict.get().as_deref() == Some(id_sel.as_str());
                    let stats = move || {
                        fx.manifests.with(|m| match m.get(&id_m) {
                            None => view! { <span class="dict-stats muted">{i18n.tr(Key::Loading)}</span> }.into_any(),
                            Some(Err(e)) => view! { <span class="dict-stats notice-error-text" title=e.clone()>{i18n.tr(Key::FeaturesBrokenFile)}</span> }.into_any(),
                            Some(Ok(m)) => {
                                let x = &m.metrics;
                                view! {
                                    <span class="dict-stats">
                                        {i18n.tr(Key::SaeExplainedVariance)} {format!(" {:.3} · ", x.explained_variance)}
                                        <span translate="no">"L0"</span> {format!(" {:.1} · ", x.l0)}
                                        {i18n.tr(Key::FeaturesLossRecovered)} {format!(" {} · ", pct(x.loss_recovered))}
                                        {i18n.tr(Key::SaeDead)} {format!(" {} · ", x.dead)}
                                        {i18n.tr(Key::FeaturesUltralow)} {format!(" {}", x.ultralow)}
                                    </span>
                                }.into_any()
                            }
                        })
                    };
                    view! {
                        {group}
                        <li>
                        <button class="dict-card" data-dict=id.clone() data-kind=if kind == DictKind::Neurons { "neurons" } else { "sae" }
                            class:selected=selected.clone()
                            aria-pressed=move || selected().to_string()
                            on:click=move |_| {
                                if fx.dict.get_untracked().as_deref() != Some(id_for_click.as_str()) {
                                    fx.switch_started.set(Some(now_ms()));
                                    fx.go(&id_for_click, None);
                                }
                            }>
                            <span class="dict-name" translate="no">{id.clone()}</span>
                            <span class="dict-meta">
                                {i18n.tr(Key::Model)} " " <span translate="no">{format!("{model} · {d_sae}")}</span> " · "
                                {match crate::i18n::choice_label("variant", &variant) {
                                    _ if kind == DictKind::Neurons => view! { <span>{i18n.tr(Key::FeaturesNeuronsKind)}</span> }.into_any(),
                                    Some(key) => view! { <span>{i18n.tr(key)}</span> }.into_any(),
                                    None => view! { <span translate="no">{variant.clone()}</span> }.into_any(),
                                }}
                            </span>
                            {stats}
                        </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
