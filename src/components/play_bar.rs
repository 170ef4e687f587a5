//! Play, pause, single step, reset and speed: the same bar for every live computation.

use leptos::prelude::*;

use crate::engine::{Run, RunStatus, SPEEDS, Workload};
use crate::i18n::{Key, use_i18n};

#[component]
pub fn PlayBar<W: Workload>(
    run: Run<W>,
    /// Hide the speed slider (`hide=speed`).
    #[prop(optional)]
    hide_speed: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let running = move || run.status.get() == RunStatus::Running;
    let toggle = move |_| {
        if running() {
            run.pause();
        } else {
            run.play();
        }
    };
    view! {
        <div class="playbar" role="group" aria-label=i18n.tr(Key::TrainingControls)>
            <button class="button play" data-testid="play" on:click=toggle
                aria-keyshortcuts="Space"
                disabled=move || run.status.get() == RunStatus::Failed>
                {move || if running() { i18n.t(Key::Pause) } else { i18n.t(Key::Play) }}
            </button>
            <button class="button secondary" data-testid="step" on:click=move |_| run.step_once()
                disabled=move || run.status.get() != RunStatus::Paused>
                {i18n.tr(Key::StepOnce)}
            </button>
            <button class="button secondary" data-testid="reset" on:click=move |_| run.restart(false)>
                {i18n.tr(Key::Reset)}
            </button>
            {(!hide_speed).then(|| view! {
                <label class="speed">
                    <span>{i18n.tr(Key::Speed)}</span>
                    <input type="range" min="0" max=(SPEEDS.len() - 1).to_string() step="1"
                        data-testid="speed"
                        prop:value=move || run.speed.get().to_string()
                        on:input=move |ev| {
                            if let Ok(v) = event_target_value(&ev).parse::<usize>() {
                                run.speed.set(v.min(SPEEDS.len() - 1));
                            }
                        } />
                </label>
            })}
        </div>
    }
}
