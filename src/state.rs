//! The typed sections of `window.polytope.state()`.
//!
//! The state is a public interface: scripts and embedding pages read it, so fields are only
//! ever added. Every section is a `#[derive(Serialize)]` struct here; `tests/state-schema.json`
//! is the checked-in shape (keys and JSON types), and both a native test (below) and the
//! end-to-end test `tests/e2e/schema.mjs` fail when a field disappears or changes type.

use std::collections::BTreeMap;

use leptos::prelude::*;
use polytope_core::sae::{SaeEval, SaeReport};
use polytope_core::tms::{PhaseCell, RunReport};
use serde::Serialize;

use crate::automation;
use crate::engine::sae::{LmProgress, SaeRun};
use crate::engine::tms::TmsRun;
use crate::engine::{Diagnosis, Run, Workload};
use crate::i18n::I18n;
use crate::pages::toy::Selection;

/// A diagnosis as scripts read it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DiagnosisState {
    pub code: String,
    pub message: String,
}

impl DiagnosisState {
    fn of(d: &Diagnosis, i18n: I18n) -> Self {
        Self {
            code: d.code.to_owned(),
            message: d.text(i18n),
        }
    }
}

/// What every run section has.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RunCommon {
    pub status: &'static str,
    pub step: u32,
    pub steps_total: u32,
    pub backend: Option<&'static str>,
    pub steps_per_second: f64,
    /// Training waits because the page is hidden or the widget out of view.
    pub suspended: bool,
    pub message: Option<String>,
    pub diagnosis: Option<DiagnosisState>,
}

impl RunCommon {
    pub fn of<W: Workload>(run: Run<W>) -> Self {
        Self {
            status: run.status.get_untracked().name(),
            step: run.step.get_untracked(),
            steps_total: run.total_steps(),
            backend: run
                .backend
                .get_untracked()
                .map(polytope_gpu::BackendKind::name),
            steps_per_second: run.steps_per_second.get_untracked(),
            suspended: run.suspended.get_untracked(),
            message: run.message.get_untracked().map(|(_, m)| m),
            diagnosis: run
                .diagnosis
                .get_untracked()
                .map(|d| DiagnosisState::of(&d, run.i18n)),
        }
    }
}

/// `toy` and `geometry`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ToyState {
    #[serde(flatten)]
    pub run: RunCommon,
    pub settings: BTreeMap<String, String>,
    pub setting_errors: Vec<String>,
    pub selected_instance: usize,
    pub highlight_feature: Option<usize>,
    /// The same fields as `polytope tms --json`.
    pub report: Option<RunReport>,
    /// Feature names from `labels=`, in feature order (absent without them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
}

/// The section of a toy-model run; `labels` are the page's `labels=`.
pub fn run_state(
    run: TmsRun,
    selection: Selection,
    labels: Option<&std::sync::Arc<Vec<String>>>,
) -> ToyState {
    ToyState {
        run: RunCommon::of(run),
        settings: run
            .data
            .settings
            .with_untracked(polytope_core::tms::TmsSettings::to_pairs)
            .into_iter()
            .collect(),
        setting_errors: errors(&run.data.setting_errors.get_untracked()),
        selected_instance: selection.instance.get_untracked(),
        highlight_feature: selection.feature.get_untracked(),
        report: run.report(),
        labels: labels.map(|l| l.as_ref().clone()),
    }
}

fn errors(e: &[polytope_core::settings::SettingError]) -> Vec<String> {
    e.iter().map(ToString::to_string).collect()
}

/// `phase`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PhaseState {
    #[serde(flatten)]
    pub run: RunCommon,
    pub n: u32,
    pub m: u32,
    pub resolution: u32,
    pub models: u32,
    pub seed: u32,
    pub lr: f64,
    pub batch: u32,
    pub settings: BTreeMap<String, String>,
    pub setting_errors: Vec<String>,
    /// Cells classified so far.
    pub classified: usize,
    pub cells: Vec<PhaseCell>,
}

impl PhaseState {
    pub fn of(
        run: TmsRun,
        spec: &polytope_core::tms::PhaseSettings,
        setting_errors: &[polytope_core::settings::SettingError],
        cells: Vec<PhaseCell>,
    ) -> Self {
        let mut common = RunCommon::of(run);
        common.steps_total = spec.steps;
        Self {
            run: common,
            n: spec.n,
            m: spec.m,
            resolution: spec.resolution,
            models: spec.models,
            seed: spec.seed,
            lr: spec.learning_rate,
            batch: spec.batch,
            settings: spec.to_pairs().into_iter().collect(),
            setting_errors: errors(setting_errors),
            classified: cells.len(),
            cells,
        }
    }
}

/// `sae.metrics`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SaeMetrics {
    pub mmcs: Option<f32>,
    pub mmcs_reverse: Option<f32>,
    pub loss: Option<f32>,
    pub explained_variance: Option<f32>,
    pub l0: Option<f32>,
    pub dead_fraction: Option<f32>,
    pub mmcs_shipped: Option<f32>,
    pub mmcs_shipped_reverse: Option<f32>,
    pub mmcs_shipped_step: Option<u32>,
    pub shipped_dict: Option<String>,
}

/// `sae.lm_progress`.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "stage", rename_all = "lowercase")]
pub enum LmProgressState {
    Loading { file: String },
    Tokenizing,
    Computing { fraction: f64 },
}

/// `sae.lm_activations`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LmActivationsState {
    pub rows: usize,
    pub windows: usize,
    pub tokens: usize,
    pub compute_ms: f64,
}

/// `sae`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SaeState {
    #[serde(flatten)]
    pub run: RunCommon,
    pub settings: BTreeMap<String, String>,
    pub setting_errors: Vec<String>,
    pub source: String,
    pub metrics: SaeMetrics,
    pub lm_progress: Option<LmProgressState>,
    pub lm_activations: Option<LmActivationsState>,
    pub resamples: Vec<(u32, u32)>,
    pub held_out: Option<SaeEval>,
    /// The same fields as `polytope sae --json`.
    pub report: Option<SaeReport>,
}

impl SaeState {
    pub fn of(run: SaeRun) -> Self {
        let data = run.data;
        let view = data.view.get_untracked();
        let last = view.as_ref().and_then(|v| v.last);
        let shipped = view.as_ref().and_then(|v| v.shipped.clone());
        let lm = data.lm.get_untracked();
        Self {
            run: RunCommon::of(run),
            settings: data
                .settings
                .with_untracked(polytope_core::sae::SaeSettings::to_pairs)
                .into_iter()
                .collect(),
            setting_errors: errors(&data.setting_errors.get_untracked()),
            source: data.source_label.get_untracked(),
            metrics: SaeMetrics {
                mmcs: view.as_ref().and_then(|v| v.mmcs),
                mmcs_reverse: view.as_ref().and_then(|v| v.mmcs_reverse),
                loss: last.map(|s| s.loss),
                explained_variance: last.map(|s| s.explained_variance),
                l0: last.map(|s| s.l0),
                dead_fraction: last.map(|s| s.dead_fraction),
                mmcs_shipped: shipped.as_ref().and_then(|s| s.mmcs),
                mmcs_shipped_reverse: shipped.as_ref().and_then(|s| s.reverse),
                mmcs_shipped_step: shipped.as_ref().map(|s| s.step),
                shipped_dict: shipped.map(|s| s.dict),
            },
            lm_progress: lm.progress.map(|p| match p {
                LmProgress::Loading(file) => LmProgressState::Loading { file },
                LmProgress::Tokenizing => LmProgressState::Tokenizing,
                LmProgress::Computing(fraction) => LmProgressState::Computing { fraction },
            }),
            lm_activations: lm.activations.map(|a| LmActivationsState {
                rows: a.rows,
                windows: a.windows,
                tokens: a.tokens,
                compute_ms: a.compute_ms,
            }),
            resamples: data.history.get_untracked().resamples.clone(),
            held_out: data.eval.get_untracked(),
            report: run.report(),
        }
    }
}

/// Registers a page's section, computed when `state()` is called, and withdraws it when the
/// page unmounts.
pub fn provide<T: Serialize>(section: &'static str, f: impl Fn() -> T + 'static) {
    automation::provide(
        section,
        Box::new(move || serde_json::to_value(f()).unwrap_or_default()),
    );
    leptos::prelude::on_cleanup(move || automation::withdraw(section));
}

/// Names the current page.
pub fn set_page(name: &'static str) {
    automation::set_common("page", serde_json::Value::from(name));
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// Every top-level field of each section in the checked-in shape is a field of its typed
    /// struct (nested shapes and live types are checked end to end by `tests/e2e/schema.mjs`).
    #[test]
    fn the_typed_sections_keep_every_field_of_the_checked_in_schema() {
        let schema: Value =
            serde_json::from_str(include_str!("../tests/e2e/state-schema.json")).unwrap();
        let sections = [
            ("toy", serde_json::to_value(ToyState::default()).unwrap()),
            (
                "geometry",
                serde_json::to_value(ToyState::default()).unwrap(),
            ),
            (
                "phase",
                serde_json::to_value(PhaseState::default()).unwrap(),
            ),
            ("sae", serde_json::to_value(SaeState::default()).unwrap()),
        ];
        let mut problems = Vec::new();
        for (section, have) in sections {
            let Some(want) = schema[section][section].as_object() else {
                problems.push(format!("{section}: not in the schema"));
                continue;
            };
            for key in want.keys() {
                if have.get(key).is_none() {
                    problems.push(format!("{section}.{key}: missing"));
                }
            }
        }
        assert!(
            problems.is_empty(),
            "state() lost fields:\n{}",
            problems.join("\n")
        );
    }
}
