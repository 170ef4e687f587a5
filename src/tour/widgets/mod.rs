//! One live widget per tour step, each computing in the page (training a model or running
//! one) and saying when it has made its step's point.

mod interference;
mod lm;

pub use lm::preload;
mod phase;
mod sae;
mod scaling;
mod toy;

use std::sync::Arc;

use leptos::prelude::*;
use polytope_core::tms::TmsSettings;

use super::StepCtx;
use crate::components::share_bar::EmbedSpec;
use crate::engine::tms::TmsRun;
use crate::i18n::{I18n, Key};
use crate::{url, use_app};

/// The widget of the step called `slug`.
pub fn widget(slug: &'static str) -> AnyView {
    match slug {
        "five-in-two" => view! { <toy::FiveInTwo /> }.into_any(),
        "interference" => view! { <interference::Interference /> }.into_any(),
        "sparsity" => view! { <toy::Sparsity /> }.into_any(),
        "dims-per-feature" => view! { <toy::DimsPerFeature /> }.into_any(),
        "shapes" => view! { <toy::Shapes /> }.into_any(),
        "phase-change" => view! { <phase::PhaseChange /> }.into_any(),
        "computation" => view! { <toy::Computation /> }.into_any(),
        "decoding" => view! { <sae::Decoding /> }.into_any(),
        "scaling" => view! { <scaling::Scaling /> }.into_any(),
        other => view! { <lm::LanguageModel slug=other /> }.into_any(),
    }
}

/// The names the toy-model steps give their five features, in the visitor's language.
pub fn feature_names(i18n: I18n) -> Arc<Vec<String>> {
    Arc::new(
        i18n.t(Key::TourFeatureNames)
            .split(',')
            .map(str::to_owned)
            .collect(),
    )
}

/// `labels=` with the five features' names, for a step's "explore" link.
fn labels_param() -> String {
    let names = feature_names(crate::i18n::use_i18n());
    format!("labels={}", url::encode(&names.join(",")))
}

/// The page a step's "explore on your own" link opens, with the step's settings.
pub fn explore_href(slug: &str) -> String {
    let path = match slug {
        "five-in-two" => url::href(&format!("toy?{}&{}", toy::FIVE_IN_TWO, labels_param())),
        "interference" => url::href(&format!(
            "toy?{}&{}",
            interference::SETTINGS,
            labels_param()
        )),
        "sparsity" => url::href(&format!("toy?{}", toy::SPARSITY)),
        "dims-per-feature" => url::href(&format!("geometry?{}", toy::DIMS_CPU)),
        "shapes" => url::href("toy?preset=antiprism"),
        "phase-change" => url::href(&format!("phase?{}", phase::SETTINGS)),
        "computation" => url::href(&format!("toy?{}", toy::COMPUTATION)),
        "decoding" => url::href(&format!("sae?{}", sae::SETTINGS)),
        "scaling" => url::href("sae?source=lm"),
        "polysemantic"
        | "real-model"
        | "god-feature"
        | "splitting"
        | "neurons-vs-features"
        | "universality" => lm::explore_href(slug),
        _ => url::href(""),
    };
    let lang = crate::url::param("lang")
        .filter(|l| l == "zh")
        .map_or(String::new(), |l| format!("lang={l}"));
    if lang.is_empty() {
        path
    } else if path.contains('?') {
        format!("{path}&{lang}")
    } else {
        format!("{path}?{lang}")
    }
}

/// What the tour's "copy embed code" gives: the step alone.
pub fn embed_spec() -> EmbedSpec {
    EmbedSpec {
        panels: &[],
        default: &[],
        title: "Polytope: a step of the guided tour",
    }
}

/// The step's context.
fn step() -> StepCtx {
    expect_context::<StepCtx>()
}

/// The `name=value` pairs of a step's settings, written like an address's query.
fn pairs(query: &str) -> Vec<(&str, &str)> {
    query.split('&').filter_map(|p| p.split_once('=')).collect()
}

/// A toy-model run of `query` (URL-style settings) that starts training as soon as the
/// backend is known.
fn toy_run(query: &str) -> TmsRun {
    let (settings, errors) = TmsSettings::from_pairs(pairs(query));
    debug_assert!(errors.is_empty(), "{query}: {errors:?}");
    let run = TmsRun::for_settings(settings, errors, use_app().prefer_cpu);
    run.start_when_ready(true);
    run
}
