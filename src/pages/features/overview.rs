//! The open dictionary at a glance: how often its features fire over the evaluation tokens
//! (log10 feature density, the dead ones apart; Towards Monosemanticity's dictionaries show a
//! second, "ultralow" bump at the left), and how readable its features are next to the model's
//! neurons and random directions (`readability`). The quality numbers of every dictionary are
//! in the picker above.

use leptos::prelude::*;

use super::Fx;
use crate::components::plot_card::PlotCard;
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
            </Show>
        </div>
    }
}
