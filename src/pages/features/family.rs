//! The splitting tree of a feature: its family across its model's dictionaries of growing size,
//! by decoder cosine (`polytope_core::lm::family`), built in the page from the dictionaries'
//! weights when the visitor asks for it (they are megabytes).

use std::sync::Arc;

use leptos::prelude::*;
use polytope_core::lm::family::{
    Directions, FAMILY_CHILDREN, FAMILY_NODES, FAMILY_THRESHOLD, Family, family,
};

use super::{Fx, href};
use crate::browser::yield_task;
use crate::features_data as data;
use crate::i18n::{Key, use_i18n};

/// A family tree and the dictionaries of its levels, smallest first.
#[derive(Clone, Debug, PartialEq)]
pub struct FamilyTree {
    pub levels: Vec<String>,
    pub family: Family,
}

/// The family tree asked for on the feature page.
#[derive(Clone, Debug, PartialEq)]
pub struct FamilySlot {
    pub dict: String,
    pub feature: u32,
    /// `Ok(None)` while it loads (with the dictionary whose weights are loading).
    pub result: Result<Option<Arc<FamilyTree>>, String>,
    pub loading: Option<String>,
}

impl FamilySlot {
    /// `state().features.family`.
    pub fn state(&self) -> serde_json::Value {
        let tree = self.result.as_ref().ok().and_then(Option::as_ref);
        serde_json::json!({
            "dict": self.dict,
            "feature": self.feature,
            "loading": self.loading,
            "error": self.result.as_ref().err(),
            "threshold": tree.map(|t| t.family.threshold),
            "truncated": tree.map(|t| t.family.truncated),
            "levels": tree.map(|t| t.levels.clone()),
            "nodes": tree.map(|t| t.family.nodes.iter().map(|n| serde_json::json!({
                "dict": t.levels[n.level],
                "feature": n.feature,
                "parent": n.parent,
                "cosine": n.cosine,
                "on_path": n.on_path,
            })).collect::<Vec<_>>()),
        })
    }
}

/// The model's dictionaries whose weights ship, smallest first, and their directions.
async fn levels(
    dict: &str,
    progress: impl Fn(&str),
) -> Result<(Vec<String>, Vec<Directions>), String> {
    let index = data::index().await?;
    let model = &index
        .dictionary(dict)
        .ok_or_else(|| format!("index.json lists no dictionary {dict:?}"))?
        .model;
    let dicts: Vec<String> = index.sizes_of(model).iter().map(|d| d.id.clone()).collect();
    let (mut ids, mut dirs) = (Vec::new(), Vec::new());
    for id in dicts {
        if data::manifest(&id).await?.weights.is_none() {
            continue;
        }
        progress(&id);
        let w = data::weights(&id).await?;
        dirs.push(Directions::new(&w.w_dec, w.d_in as usize));
        ids.push(id);
        yield_task().await;
    }
    Ok((ids, dirs))
}

/// The tree of `dict`/`feature`, from every dictionary of its model that ships weights.
async fn build(dict: &str, feature: u32, progress: impl Fn(&str)) -> Result<FamilyTree, String> {
    let (levels, dirs) = levels(dict, progress).await?;
    let Some(level) = levels.iter().position(|l| l == dict) else {
        return Err(format!(
            "{dict} ships no weights: its family tree cannot be built"
        ));
    };
    if levels.len() < 2 {
        return Err(format!(
            "only {dict} ships weights among its model's dictionaries: a tree needs two sizes"
        ));
    }
    let refs: Vec<&Directions> = dirs.iter().collect();
    let family = family(&refs, level, feature, FAMILY_THRESHOLD)
        .ok_or_else(|| format!("{dict} has no feature {feature}"))?;
    Ok(FamilyTree { levels, family })
}

impl Fx {
    /// Builds the family tree of `dict`/`feature` into `family`, unless it is there or loading.
    pub fn load_family(self, dict: String, feature: u32) {
        let asked = self.family.with_untracked(|f| {
            f.as_ref()
                .is_some_and(|f| f.dict == dict && f.feature == feature && f.result.is_ok())
        });
        if asked {
            return;
        }
        let d = dict.clone();
        // Writes only while this is still the asked feature (a later request replaces it).
        let put = move |loading: Option<String>,
                        result: Result<Option<Arc<FamilyTree>>, String>| {
            self.family.try_update(|f| {
                if let Some(f) = f.as_mut().filter(|f| f.dict == d && f.feature == feature) {
                    f.loading = loading;
                    f.result = result;
                }
            });
        };
        self.family.try_set(Some(FamilySlot {
            dict: dict.clone(),
            feature,
            result: Ok(None),
            loading: None,
        }));
        leptos::task::spawn_local(async move {
            let result = build(&dict, feature, |id| put(Some(id.to_owned()), Ok(None))).await;
            put(None, result.map(|t| Some(Arc::new(t))));
        });
    }
}

/// One feature of the tree and, nested, its children.
fn node_view(fx: Fx, tree: &Arc<FamilyTree>, i: usize) -> AnyView {
    let i18n = use_i18n();
    let fam = &tree.family;
    let n = &fam.nodes[i];
    let dict = tree.levels[n.level].clone();
    let f = n.feature;
    let current = i == fam.at;
    let weak = n.parent.is_some() && n.cosine < fam.threshold;
    let cosine = n
        .parent
        .map(|_| format!("{} {:.2}", i18n.t(Key::FeaturesFamilyCosine), n.cosine));
    let kids: Vec<usize> = (0..fam.nodes.len())
        .filter(|k| fam.nodes[*k].parent == Some(i))
        .collect();
    let d2 = dict.clone();
    let tokens = move || fx.top_tokens_label(&d2, f);
    let children = (!kids.is_empty()).then(|| {
        let tree = tree.clone();
        view! { <ul>{kids.into_iter().map(|k| node_view(fx, &tree, k)).collect_view()}</ul> }
    });
    view! {
        <li class:current=current class:on-path=n.on_path class:weak=weak>
            <a href=href(&dict, Some(f)) aria-current=current.then_some("true") translate="no"
                data-family-dict=dict.clone() data-family-feature=f.to_string()>{format!("{dict} #{f}")}</a>
            " " <span class="muted">{cosine}{weak.then(|| i18n.t(Key::FeaturesFamilyWeak))}</span>
            " " <span class="link-tokens" translate="no">{tokens}</span>
            {children}
        </li>
    }
    .into_any()
}

/// The feature page's section: a button, then the tree (or where its loading is).
#[component]
pub fn FamilySection(fx: Fx, dict: String, feature: u32) -> impl IntoView {
    let i18n = use_i18n();
    let d = dict.clone();
    let open = move |_| fx.load_family(d.clone(), feature);
    // A link to `#family` (the tour's splitting step) asks for the tree: load it at once and
    // bring the section into view once it is drawn.
    if crate::url::fragment() == "family" {
        fx.load_family(dict.clone(), feature);
        request_animation_frame(|| {
            if let Some(el) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id("family"))
            {
                el.scroll_into_view();
            }
        });
    }
    let note = move || {
        i18n.t(Key::FeaturesFamilyNote)
            .replace("{0}", &format!("{FAMILY_THRESHOLD}"))
    };
    let truncated_note = move || {
        i18n.t(Key::FeaturesFamilyTruncated)
            .replace("{0}", &FAMILY_CHILDREN.to_string())
            .replace("{1}", &FAMILY_NODES.to_string())
    };
    let d = dict.clone();
    let content = move || {
        let slot = fx
            .family
            .get()
            .filter(|s| s.dict == d && s.feature == feature)?;
        Some(match slot.result {
            Err(e) => view! { <p class="error-text" role="alert">{e}</p> }.into_any(),
            Ok(None) => view! {
                <p class="muted" role="status">
                    {i18n.tr(Key::FeaturesFamilyLoading)} " "
                    <span translate="no">{slot.loading.unwrap_or_default()}</span>
                </p>
            }
            .into_any(),
            Ok(Some(tree)) => {
                for id in &tree.levels {
                    fx.ensure_list(id);
                }
                let truncated = tree
                    .family
                    .truncated
                    .then(|| view! { <p class="card-note">{truncated_note}</p> });
                view! {
                    <ul class="family-tree" data-testid="family-tree">{node_view(fx, &tree, 0)}</ul>
                    {truncated}
                }
                .into_any()
            }
        })
    };
    let shown = move || {
        fx.family.with(|s| {
            s.as_ref()
                .is_some_and(|s| s.dict == dict && s.feature == feature)
        })
    };
    view! {
        <section class="fsec" data-section="family" id="family">
            <h3>{i18n.tr(Key::FeaturesFamily)}</h3>
            <p class="card-note">{note}</p>
            <Show when=move || !shown()>
                <button class="btn" data-testid="family-open" on:click=open.clone()>
                    {i18n.tr(Key::FeaturesFamilyOpen)}
                </button>
            </Show>
            {content}
        </section>
    }
}
