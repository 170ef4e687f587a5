//! Step 9: a sparse autoencoder trained on a toy model's hidden layer recovers the toy
//! model's feature directions: the learned decoder directions drawn over the true ones.

use leptos::html::Div;
use leptos::prelude::*;
use polytope_core::sae::SaeSettings;

use super::step;
use crate::components::in_view::pause_out_of_view;
use crate::components::play_bar::PlayBar;
use crate::components::plot_card::PlotCard;
use crate::engine::sae::SaeRun;
use crate::i18n::{Key, use_i18n};
use crate::{specs, use_app};

/// The lab's toy source: five features in two dimensions, 16 latents, TopK k = 4.
pub const SETTINGS: &str = "source=toy&variant=topk";

/// MMCS (true features to learned latents) at which the dictionary has found the features.
pub const MMCS_GOAL: f32 = 0.9;

#[component]
pub fn Decoding() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = step();
    let (settings, errors) = SaeSettings::from_pairs(super::pairs(SETTINGS), false);
    let run = SaeRun::for_settings(settings, errors, use_app().prefer_cpu);
    run.start_when_ready(true);
    let node = NodeRef::<Div>::new();
    pause_out_of_view(run, node);
    Effect::new(move |_| {
        let mmcs = run.data.view.with(|v| v.as_ref().and_then(|v| v.mmcs));
        ctx.goal.set(mmcs.is_some_and(|m| m >= MMCS_GOAL));
    });
    ctx.report(move || {
        run.data.view.with_untracked(|v| {
            serde_json::json!({
                "step": v.as_ref().map(|v| v.step),
                "mmcs": v.as_ref().and_then(|v| v.mmcs),
                "mmcs_reverse": v.as_ref().and_then(|v| v.mmcs_reverse),
            })
        })
    });
    let rotation = RwSignal::new((0.6f64, 0.35f64));
    let directions = Signal::from(Memo::new(move |_| {
        run.data.view.with(|v| {
            v.as_ref().map_or_else(specs::waiting, |v| {
                specs::sae_directions(
                    v,
                    rotation.get(),
                    None,
                    i18n.t(Key::SaeDirectionsUnavailable),
                )
            })
        })
    }));
    let mmcs = move || {
        run.data
            .view
            .with(|v| v.as_ref().and_then(|v| v.mmcs))
            .map_or_else(|| "—".to_owned(), |m| format!("{m:.3}"))
    };
    view! {
        <div class="tour-run" node_ref=node>
            <PlayBar run hide_speed=true />
            <p class="status-line"><span>{i18n.tr(Key::SaeMmcs)} " " <strong data-testid="mmcs">{mmcs}</strong></span></p>
            <PlotCard name="directions" title=Signal::derive(move || i18n.t(Key::PlotSaeDirections).to_owned())
                spec=directions aspect=0.8 note=Signal::derive(move || i18n.t(Key::SaeDirectionsNote).to_owned()) />
        </div>
    }
}
