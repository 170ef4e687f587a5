//! The open dictionary at a glance: how often its features fire over the evaluation tokens
//! (log10 feature density, the dead ones apart; Towards Monosemanticity's dictionaries show a
//! second, "ultralow" bump at the left), and how readable its features are next to the model's
//! neurons and random directions (`readability`), and how the quality of the model's
//! dictionaries changes with their size. Each dictionary's own numbers are in the picker above.

use leptos::prelude::*;
use polytope_core::dict::DictKind;

use super::Fx;
use crate::components::plot_card::PlotCard;
use crate::features_data::ScoresOf;
use crate::i18n::{Key, use_i18n};
use crate::specs;

#[component]
pub fn OverviewPanel(fx: Fx) -> impl IntoView {
    let i18n = use_i18n();
    let spec = Signal::from(Memo::new(move |_| {
        let Some(dict) = fx.dict.get() else {
            return specs::waiting();
        };
        fx.lists.with(|lists| match lists.get(&dict) {
            Some(Ok(list)) => specs::dict_density(list),
            _ => specs::waiting(),
        })
    }));
    // A list that cannot load (an unknown dictionary, a damaged file) is said here too: this
    // panel may be the only one shown (`panels=overview`).
    let error = Memo::new(move |_| {
        let dict = fx.dict.get()?;
        fx.lists
            .with(|lists| lists.get(&dict).and_then(|r| r.as_ref().err().cloned()))
    });
    let title = Signal::derive(move || i18n.t(Key::FeaturesDensityTitle).to_owned());
    let note = Signal::derive(move || i18n.t(Key::FeaturesDensityNote).to_owned());
    view! {
        <div class="features-overview">
            {move || error.get().map(|e| view! {
                <div class="notice notice-error" role="alert" data-testid="overview-error">
                    <strong>{i18n.tr(Key::FeaturesDataError)}</strong> " " <span translate="no">{e}</span>
                </div>
            })}
            <Show when=move || error.with(Option::is_none)>
                <PlotCard name="overview" plot="feature-density" title spec aspect=0.4 note />
                <super::readability::ScorePlots fx />
                <SizesPlot fx />
            </Show>
        </div>
    }
}

/// The open dictionary's model's dictionaries (features, not neurons), smallest first, when
/// there are two or more.
fn sizes(fx: Fx) -> Option<(String, Vec<String>)> {
    let dict = fx.dict.get()?;
    let model = fx.model_of(&dict)?;
    let ids: Vec<String> = fx.index.with(|i| {
        i.as_ref()
            .and_then(|r| r.as_ref().ok())
            .map(|i| i.sizes_of(&model).iter().map(|d| d.id.clone()).collect())
            .unwrap_or_default()
    });
    (ids.len() >= 2 && fx.kind_of(&dict) == DictKind::Sae).then_some((dict, ids))
}

/// Quality against size: explained variance, loss recovered, the share of dead features and
/// the median token rule of each of the model's dictionaries.
#[component]
fn SizesPlot(fx: Fx) -> impl IntoView {
    let i18n = use_i18n();
    let spec = Signal::from(Memo::new(move |_| {
        let Some((dict, ids)) = sizes(fx) else {
            return specs::waiting();
        };
        for id in &ids {
            fx.ensure_scores(ScoresOf::Dict(id));
        }
        // Each dictionary whose manifest has loaded, with its scores when they have.
        let loaded: Vec<_> = ids
            .iter()
            .filter_map(|id| Some((fx.manifest_of(id)?, fx.scores_of(ScoresOf::Dict(id)))))
            .collect();
        let points: Vec<specs::SizePoint<'_>> = loaded
            .iter()
            .map(|(m, s)| specs::SizePoint {
                d_sae: m.d_sae,
                metrics: &m.metrics,
                token_rule: s.as_ref().and_then(|s| super::readability::median(s, 0)),
            })
            .collect();
        let Some(current) = loaded
            .iter()
            .find(|(m, _)| m.id == dict)
            .map(|(m, _)| m.d_sae)
        else {
            return specs::waiting();
        };
        let names = specs::SizeNames {
            explained_variance: i18n.t(Key::SaeExplainedVariance).to_owned(),
            loss_recovered: i18n.t(Key::FeaturesLossRecovered).to_owned(),
            dead: i18n.t(Key::FeaturesSizesDead).to_owned(),
            token_rule: i18n.t(Key::FeaturesSizesTokenRule).to_owned(),
        };
        specs::quality_by_size(&points, &names, current)
    }));
    let shown = Memo::new(move |_| sizes(fx).is_some());
    let title = Signal::derive(move || i18n.t(Key::FeaturesSizesTitle).to_owned());
    let note = Signal::derive(move || i18n.t(Key::FeaturesSizesNote).to_owned());
    view! {
        <Show when=move || shown.get()>
            <PlotCard name="sizes" plot="quality-by-size" title spec aspect=0.45 note />
        </Show>
    }
}
