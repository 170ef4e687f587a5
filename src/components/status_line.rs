//! The line under the play bar: status, step, the workload's own numbers, speed and backend,
//! then the run's message, the settings that could not be used, and a diagnosis when the
//! result looks degenerate.

use leptos::prelude::*;
use polytope_gpu::BackendKind;

use crate::engine::{Run, RunStatus, Severity, Workload};
use crate::i18n::{Key, use_i18n};

#[component]
pub fn StatusLine<W: Workload>(
    run: Run<W>,
    /// The settings that could not be used, as sentences.
    #[prop(into)]
    setting_errors: Signal<Vec<String>>,
    /// What the starting state is called (`Starting`, `Building the data`).
    #[prop(default = Key::StatusStarting)]
    starting: Key,
    /// The workload's own numbers (loss, explained variance, ...).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let i18n = use_i18n();
    let status_text = move || match run.status.get() {
        RunStatus::Starting => i18n.t(starting),
        RunStatus::Paused => i18n.t(Key::StatusPaused),
        RunStatus::Running if run.suspended.get() => i18n.t(Key::StatusSuspended),
        RunStatus::Running => i18n.t(Key::StatusRunning),
        RunStatus::Done => i18n.t(Key::StatusDone),
        RunStatus::Failed => i18n.t(Key::StatusFailed),
    };
    view! {
        <div class="status-line" data-testid="status" aria-live="polite">
            <span class=move || format!("status-pill {}", run.status.get().name())>{status_text}</span>
            <span>
                {i18n.tr(Key::Step)} " "
                <strong data-testid="step">{move || run.step.get()}</strong>
                " / " {move || { run.status.track(); run.total_steps() }}
            </span>
            {children.map(|c| c())}
            <span>{move || format!("{:.0}", run.steps_per_second.get())} " " {i18n.tr(Key::StepsPerSecond)}</span>
            <span class="backend-used">{move || match run.backend.get() {
                Some(BackendKind::Gpu) => i18n.t(Key::BackendWebGpu),
                Some(BackendKind::Cpu) => i18n.t(Key::BackendCpu),
                None => "—",
            }}</span>
        </div>
        {move || run.suspended.get().then(|| view! {
            <p class="card-note" data-testid="suspended">{i18n.tr(Key::SuspendedNote)}</p>
        })}
        {move || run.message.get().map(|(severity, text)| {
            let class = match severity { Severity::Info => "notice notice-warn", Severity::Error => "notice notice-error" };
            view! { <div class=class role="status" data-testid="run-message">{text}</div> }
        })}
        {move || run.diagnosis.get().map(|d| view! {
            <div class="notice notice-warn" role="status" data-testid="diagnosis" data-code=d.code>
                <strong>{i18n.tr(Key::DiagnosisTitle)}</strong> " " {d.text(i18n)}
            </div>
        })}
        {move || {
            let errors = setting_errors.get();
            (!errors.is_empty()).then(|| view! {
                <div class="notice notice-warn" role="status" data-testid="setting-errors">
                    <strong>{i18n.tr(Key::BadSetting)}</strong>
                    <ul>{errors.into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}</ul>
                </div>
            })
        }}
    }
}
