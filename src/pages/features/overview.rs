//! The open dictionary at a glance: how often its features fire over the evaluation tokens
//! (log10 feature density, the dead ones apart). Towards Monosemanticity's dictionaries show a
//! second, "ultralow" bump at the left; the quality numbers of every dictionary are in the
//! picker above.

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
    let title = Signal::derive(move || i18n.t(Key::FeaturesDensityTitle).to_owned());
    let note = Signal::derive(move || i18n.t(Key::FeaturesDensityNote).to_owned());
    view! {
        <div class="features-overview">
            <PlotCard name="overview" plot="feature-density" title spec aspect=0.4 note />
        </div>
    }
}
