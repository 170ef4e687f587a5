//! Step 7: a small phase diagram for two features in one dimension, filling in live.

use leptos::html::Div;
use leptos::prelude::*;
use polytope_core::tms::PhaseSettings;

use super::step;
use crate::components::in_view::pause_out_of_view;
use crate::components::play_bar::PlayBar;
use crate::components::plot_card::PlotCard;
use crate::engine::RunStatus;
use crate::i18n::{Key, use_i18n};
use crate::pages::phase::PhaseRun;
use crate::tour::goals;
use crate::use_app;

/// 8 x 8 cells of 4 models, 1500 steps: the dense row without superposition and the sparse
/// rows in it, in seconds on a CPU.
pub const SETTINGS: &str = "n=2&resolution=8&models=4&steps=1500";

#[component]
pub fn PhaseChange() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = step();
    let (spec, _) = PhaseSettings::from_pairs(super::pairs(SETTINGS));
    let phase = PhaseRun::new(spec, use_app().prefer_cpu);
    let run = phase.run;
    run.start_when_ready(true);
    let node = NodeRef::<Div>::new();
    pause_out_of_view(run, node);
    Effect::new(move |_| {
        let done = run.status.get() == RunStatus::Done;
        let cells: Vec<_> = phase.cells.get().into_iter().flatten().collect();
        let res = phase.spec.with(|s| s.resolution as usize);
        ctx.goal
            .set(done && goals::phase_made_its_point(&cells, res));
    });
    ctx.report(move || {
        crate::state::PhaseState::of(run, &phase.spec.get_untracked(), &[], phase.classified())
    });
    view! {
        <div class="tour-run" node_ref=node>
            <PlayBar run hide_speed=true />
            <PlotCard name="phase" plot="phase-diagram" title=Signal::derive(move || i18n.t(Key::PhaseTitle).to_owned())
                spec=phase.plot(i18n) aspect=0.85 />
            <p class="card-note">{i18n.tr(Key::PhasePending)}</p>
        </div>
    }
}
