//! `/phase`: phase diagrams for `n = 2, m = 1` and `n = 3, m = 2`, every cell's models trained
//! together as one batch of instances, cells colouring in as the regimes settle.

use std::sync::Arc;

use leptos::prelude::*;
use polytope_core::settings::Described;
use polytope_core::tms::{PhaseCell, PhaseSettings};
use polytope_plots::PhaseDiagram;

use crate::components::plot_card::PlotCard;
use crate::components::run_frame::RunFrame;
use crate::components::settings_form::{BackendField, Labels, SettingsFields};
use crate::components::share_bar::EmbedSpec;
use crate::components::status_line::StatusLine;
use crate::engine::tms::TmsRun;
use crate::engine::{Diagnosis, RunStatus};
use crate::i18n::{self, I18n, Key, use_i18n};
use crate::page::{PageParams, set_page};
use crate::plot::PlotSpec;
use crate::state::PhaseState;
use crate::{url, use_app};

const PANELS: [&str; 1] = ["phase"];

const EMBED: EmbedSpec = EmbedSpec {
    panels: &PANELS,
    default: &["phase"],
    title: "Polytope: phase diagram",
};

const PHASE_LABELS: Labels = Labels {
    setting: i18n::phase_setting_label,
    choice: i18n::choice_label,
};

/// The diagram with its labels in the interface language.
pub fn diagram(i18n: I18n, spec: &PhaseSettings, cells: &[Option<PhaseCell>]) -> PhaseDiagram {
    let mut d = PhaseDiagram::from_spec(
        spec,
        cells.iter().map(|c| c.as_ref().map(|c| c.regime)).collect(),
    );
    d.x_label = i18n.t(Key::PhaseX).into();
    d.y_label = i18n.t(Key::PhaseY).into();
    d.regime_labels = [
        i18n.t(Key::RegimeNotLearned).into(),
        i18n.t(Key::RegimeDedicated).into(),
        i18n.t(Key::RegimeSuperposition).into(),
        i18n.t(Key::RegimeOther).into(),
    ];
    d.boundary_label = i18n.t(Key::PhaseBoundary).into();
    d
}

/// Cells whose kept models do not agree by a majority: they had not settled.
pub fn unsettled(cells: &[PhaseCell]) -> usize {
    cells
        .iter()
        .filter(|c| {
            let agree = c.votes.iter().filter(|v| **v == c.regime).count();
            agree * 2 <= c.votes.len()
        })
        .count()
}

/// A diagnosis when more than a quarter of the cells did not settle.
pub fn diagnose(cells: &[PhaseCell]) -> Option<Diagnosis> {
    let bad = unsettled(cells);
    (!cells.is_empty() && bad * 4 > cells.len()).then(|| Diagnosis {
        code: "phase-unsettled",
        key: Key::DiagPhaseUnsettled,
        values: vec![bad.to_string(), cells.len().to_string()],
    })
}

/// A phase grid trained live: the run, its settings and its cells.
#[derive(Clone, Copy)]
pub struct PhaseRun {
    pub run: TmsRun,
    pub spec: RwSignal<PhaseSettings>,
    pub cells: Memo<Vec<Option<PhaseCell>>>,
}

impl PhaseRun {
    /// A run of `spec` whose cells colour in once a quarter of the steps are done.
    pub fn new(spec: PhaseSettings, prefer_cpu: bool) -> Self {
        let run = TmsRun::for_config(spec.config(), prefer_cpu);
        let spec = RwSignal::new(spec);
        let cells = Memo::new(move |_| {
            let spec = spec.get();
            let count = (spec.resolution * spec.resolution) as usize;
            let Some(view) = run.data.view.get() else {
                return vec![None; count];
            };
            let done = run.status.get() == RunStatus::Done;
            if view.last_loss.is_empty() || (!done && view.step * 4 < spec.steps) {
                return vec![None; count];
            }
            (0..spec.resolution)
                .flat_map(|row| (0..spec.resolution).map(move |col| (row, col)))
                .map(|(row, col)| Some(spec.cell(row, col, &view.params, &view.last_loss)))
                .collect::<Vec<_>>()
        });
        Effect::new(move |_| {
            if run.status.get() == RunStatus::Done {
                let cells: Vec<PhaseCell> = cells.get().into_iter().flatten().collect();
                run.diagnosis.set(diagnose(&cells));
            }
        });
        Self { run, spec, cells }
    }

    /// The diagram spec.
    pub fn plot(self, i18n: I18n) -> Signal<PlotSpec> {
        Signal::derive(move || PlotSpec::Phase {
            diagram: Arc::new(diagram(i18n, &self.spec.get(), &self.cells.get())),
        })
    }

    /// Changes the grid and restarts it (training on if it was).
    pub fn apply(self, spec: PhaseSettings) {
        let train_on = self.run.training_wanted();
        self.run.set_config(spec.config());
        self.spec.set(spec);
        self.run.restart(train_on);
    }

    /// Classified cells so far.
    pub fn classified(self) -> Vec<PhaseCell> {
        self.cells.get_untracked().into_iter().flatten().collect()
    }
}

#[component]
pub fn PhasePage() -> impl IntoView {
    let i18n = use_i18n();
    let app = use_app();
    set_page("phase");
    let params = PageParams::read(&PANELS);
    let query = url::query();
    let (initial, setting_errors) =
        PhaseSettings::from_pairs(query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let phase = PhaseRun::new(initial, app.prefer_cpu);
    let run = phase.run;
    run.speed.set(params.speed.unwrap_or(3));
    run.start_when_ready(params.autoplay);
    Effect::new(move |_| {
        let pairs = phase.spec.with(PhaseSettings::to_pairs);
        url::replace_settings::<PhaseSettings>(pairs);
    });
    let errors_text: Vec<String> = setting_errors.iter().map(ToString::to_string).collect();
    let setting_errors = Arc::new(setting_errors);
    {
        let setting_errors = Arc::clone(&setting_errors);
        crate::state::provide("phase", move || {
            PhaseState::of(
                run,
                &phase.spec.get_untracked(),
                &setting_errors,
                phase.classified(),
            )
        });
    }
    let error = RwSignal::new(None::<String>);
    let on_change = Callback::new(move |(name, value): (&'static str, String)| {
        let mut s = phase.spec.get_untracked();
        let result = s
            .set(name, &value)
            .map_err(|e| e.to_string())
            .and_then(|()| s.validate());
        match result {
            Ok(()) => {
                error.set(None);
                phase.apply(s);
            }
            Err(e) => {
                error.set(Some(e));
                phase.spec.update(|_| {});
            }
        }
    });
    let progress = move || {
        let s = phase.spec.get();
        let classified = phase.cells.get().iter().filter(|c| c.is_some()).count();
        format!(
            "{} {} / {} · {} {}/{} · {} {}",
            i18n.t(Key::Step),
            run.step.get(),
            s.steps,
            i18n.t(Key::PhaseCells),
            classified,
            s.resolution * s.resolution,
            s.resolution * s.resolution * s.models,
            i18n.t(Key::PhaseModelsTotal),
        )
    };
    let hidden = Arc::clone(&params.hidden);
    view! {
        <RunFrame run params title=Key::PhaseTitle intro=Key::PhaseIntro embed=EMBED
            settings=move || view! {
                <div class="settings-form">
                    {move || error.get().map(|e| view! { <p class="notice notice-error" role="alert">{e}</p> })}
                    <SettingsFields settings=phase.spec hidden=Arc::clone(&hidden) labels=PHASE_LABELS on_change />
                    <BackendField prefer_cpu=run.prefer_cpu on_change=Callback::new(move |cpu| run.switch_backend(cpu)) />
                    <p class="card-note">{i18n.tr(Key::PhaseBoundaryNote)}</p>
                </div>
            }.into_any()
            status=view! {
                <p class="status-line mono" data-testid="phase-progress">{progress}</p>
                <StatusLine run setting_errors=Signal::derive(move || errors_text.clone()) />
                <p class="card-note">{i18n.tr(Key::PhasePending)}</p>
            }.into_any()>
            <div class="cards single">
                <PlotCard name="phase" plot="phase-diagram" title=Signal::derive(move || i18n.t(Key::PhaseTitle).to_owned())
                    spec=phase.plot(i18n) aspect=0.85 />
            </div>
        </RunFrame>
    }
}
