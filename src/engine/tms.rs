//! Toy models of superposition on the run engine: the settings (or a configuration built
//! elsewhere, such as a phase-diagram grid), the trainer on the chosen backend, and what the
//! plots read: the latest state with its metrics, the loss of every instance and the
//! energy-level records.

use std::sync::Arc;

use leptos::prelude::*;
use polytope_core::tms::{
    InstanceMetrics, REPRESENTED_NORM, RunReport, SettingError, Snapshot, TmsConfig, TmsSettings,
    TrainState, instance_metrics,
};
use polytope_gpu::{BackendError, BackendKind, GpuContext, TmsBackendError, TmsTrainer};
use polytope_plots::EnergyHistory;

use super::history::Thinned;
use super::{Built, Diagnosis, Failure, Run, Trainer, Workload};
use crate::i18n::Key;

/// What the plots show: the latest consistent state and its metrics.
#[derive(Debug, PartialEq)]
pub struct View {
    pub step: u32,
    pub cfg: Arc<TmsConfig>,
    pub params: Arc<Vec<f32>>,
    pub metrics: Vec<InstanceMetrics>,
    /// Loss of each instance at the last step (empty before the first step).
    pub last_loss: Vec<f32>,
}

impl View {
    pub(crate) fn new(cfg: Arc<TmsConfig>, state: &TrainState, last_loss: Vec<f32>) -> Self {
        let (n, m) = (cfg.n(), cfg.m());
        let per = cfg.params_per_instance();
        let metrics = (0..cfg.instance_count())
            .map(|i| instance_metrics(&state.params[i * per..i * per + m * n], m, n))
            .collect();
        Self {
            step: state.step,
            params: Arc::new(state.params.clone()),
            metrics,
            last_loss,
            cfg,
        }
    }

    /// `W` (`m x n`) of instance `i`.
    pub fn w(&self, i: usize) -> &[f32] {
        let per = self.cfg.params_per_instance();
        let mn = self.cfg.m() * self.cfg.n();
        &self.params[i * per..i * per + mn]
    }

    /// `b` of instance `i`.
    pub fn b(&self, i: usize) -> &[f32] {
        let per = self.cfg.params_per_instance();
        &self.params[(i + 1) * per - self.cfg.n()..(i + 1) * per]
    }

    /// The lowest feature density of instance `i` (its place on a sparsity axis).
    pub fn density(&self, i: usize) -> f32 {
        self.cfg.instances[i]
            .feature_probability
            .iter()
            .copied()
            .fold(f32::INFINITY, f32::min)
    }

    /// Features of instance `i` with `‖W_i‖` above [`REPRESENTED_NORM`].
    pub fn represented(&self, i: usize) -> usize {
        self.metrics[i]
            .norms
            .iter()
            .filter(|x| **x > REPRESENTED_NORM)
            .count()
    }
}

/// Loss of every instance over steps (one row per kept step).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LossLog {
    pub instances: usize,
    pub rows: Thinned<Vec<f32>>,
}

impl LossLog {
    pub(crate) fn new(instances: usize) -> Self {
        Self {
            instances,
            rows: Thinned::default(),
        }
    }

    pub(crate) fn push(&mut self, first_step: u32, losses: &[f32]) {
        if self.instances == 0 {
            return;
        }
        for (row, chunk) in losses.chunks(self.instances).enumerate() {
            self.rows.push(first_step + row as u32 + 1, chunk.to_vec());
        }
    }

    /// `(step, loss)` of instance `i`.
    pub fn series(&self, i: usize) -> Vec<(f64, f64)> {
        self.rows
            .series(|r| r.get(i).copied().map_or(f64::NAN, f64::from))
    }
}

/// Energy-level records: `D_i` of every instance at roughly log-spaced steps.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EnergyLog {
    pub per_instance: Vec<EnergyHistory>,
    next_step: f64,
}

impl EnergyLog {
    fn new(instances: usize) -> Self {
        Self {
            per_instance: vec![EnergyHistory::default(); instances],
            next_step: 1.0,
        }
    }

    fn record(&mut self, view: &View) {
        if f64::from(view.step) < self.next_step {
            return;
        }
        self.next_step = (f64::from(view.step) * 1.04).max(f64::from(view.step) + 1.0);
        for (i, h) in self.per_instance.iter_mut().enumerate() {
            h.steps.push(f64::from(view.step));
            h.dimensionality
                .push(view.metrics[i].dimensionality.clone());
            if let Some(l) = view.last_loss.get(i) {
                h.loss.push((f64::from(view.step), f64::from(*l)));
            }
        }
    }
}

/// What pages read and set.
#[derive(Clone, Copy)]
pub struct TmsData {
    pub settings: RwSignal<TmsSettings>,
    pub setting_errors: RwSignal<Vec<SettingError>>,
    pub view: RwSignal<Option<Arc<View>>>,
    pub losses: RwSignal<Arc<LossLog>>,
    pub energy: RwSignal<Arc<EnergyLog>>,
    /// A configuration that `settings` does not describe (phase-diagram grids).
    pub config_override: RwSignal<Option<Arc<TmsConfig>>>,
}

/// The toy-model workload: the state behind the signals.
pub struct TmsWorkload {
    cfg: Arc<TmsConfig>,
    /// The last consistent state, to resume on another backend.
    last_state: Option<TrainState>,
    /// The last loss of a state recorded but not yet shown.
    pending_loss: Option<Vec<f32>>,
    /// Keep loss curves and energy-level records (off for runs of thousands of instances).
    record_history: bool,
}

/// A toy-model run.
pub type TmsRun = Run<TmsWorkload>;

impl TmsData {
    /// The configuration the settings (or the override) describe.
    pub fn config(self) -> TmsConfig {
        match self.config_override.get_untracked() {
            Some(cfg) => cfg.as_ref().clone(),
            None => self.settings.with_untracked(TmsSettings::to_config),
        }
    }
}

/// What a toy-model trainer's error means for the loop.
fn failure(e: TmsBackendError) -> Failure {
    super::classify(e)
}

impl Trainer for TmsTrainer {
    type Snapshot = Snapshot;
    /// Sample passes per CPU slice.
    const CPU_UNITS: (u64, u64, u64) = (256, 4096, 1 << 22);

    fn backend(&self) -> BackendKind {
        TmsTrainer::backend(self)
    }

    fn step(&self) -> u32 {
        TmsTrainer::step(self)
    }

    async fn advance(&mut self, steps: u32, cpu_units: u64) -> Result<Option<Snapshot>, Failure> {
        TmsTrainer::advance(self, steps, cpu_units)
            .await
            .map_err(failure)
    }

    fn steps_in(snapshot: &Snapshot) -> u32 {
        snapshot.state.step - snapshot.first_loss_step
    }
}

/// A trainer for `cfg` at `state` on `ctx`, or on the CPU (with the reason) when the device
/// cannot hold the run, or when `ctx` is `None`.
fn build_trainer(
    ctx: Option<&GpuContext>,
    cfg: TmsConfig,
    state: TrainState,
) -> Result<Built<TmsTrainer>, Failure> {
    match TmsTrainer::new(ctx, cfg.clone(), state.clone()) {
        Ok(t) => Ok(Built::new(t)),
        // The device cannot hold this run (or failed while building it): the CPU takes it.
        Err(BackendError::Gpu(e)) if ctx.is_some() => Ok(Built {
            trainer: TmsTrainer::new(None, cfg, state).map_err(failure)?,
            gpu_refused: Some(e.to_string()),
        }),
        Err(e) => Err(failure(e)),
    }
}

impl TmsWorkload {
    /// Publishes the last recorded state to the plots.
    fn show(&mut self, data: &TmsData, last_loss: Vec<f32>) {
        self.pending_loss = None;
        let Some(state) = self.last_state.as_ref() else {
            return;
        };
        let view = View::new(Arc::clone(&self.cfg), state, last_loss);
        if self.record_history {
            data.energy.update(|e| Arc::make_mut(e).record(&view));
            data.losses.notify();
        }
        data.view.set(Some(Arc::new(view)));
    }
}

impl Workload for TmsWorkload {
    type Trainer = TmsTrainer;
    type Signals = TmsData;

    fn total_steps(&self, _: &TmsData) -> u32 {
        self.cfg.steps
    }

    async fn prepare(
        run: Run<Self>,
        _generation: u64,
        ctx: Option<GpuContext>,
    ) -> Result<Built<TmsTrainer>, Failure> {
        let data = run.data;
        let cfg = Arc::new(data.config());
        cfg.validate().map_err(|e| Failure::Stop(e.to_string()))?;
        crate::limits::check_tms(&cfg, run.lang())?;
        let state = TrainState::initial(&cfg);
        let record = run.with_workload(|w| w.record_history);
        let instances = if record { cfg.instance_count() } else { 0 };
        data.losses.set(Arc::new(LossLog::new(instances)));
        let view = View::new(Arc::clone(&cfg), &state, Vec::new());
        let mut energy = EnergyLog::new(instances);
        energy.record(&view);
        data.energy.set(Arc::new(energy));
        data.view.set(Some(Arc::new(view)));
        run.update_workload(|w| {
            w.cfg = Arc::clone(&cfg);
            w.last_state = Some(state.clone());
            w.pending_loss = None;
        });
        build_trainer(ctx.as_ref(), cfg.as_ref().clone(), state)
    }

    fn record(&mut self, data: &TmsData, _: &TmsTrainer, snap: Snapshot, show: bool) {
        let instances = self.cfg.instance_count();
        if self.record_history {
            data.losses.update_untracked(|log| {
                Arc::make_mut(log).push(snap.first_loss_step, &snap.losses);
            });
        }
        let last_loss = snap.last_losses(instances).to_vec();
        self.last_state = Some(snap.state);
        if show {
            self.show(data, last_loss);
        } else {
            self.pending_loss = Some(last_loss);
        }
    }

    fn flush(&mut self, data: &TmsData, _: &TmsTrainer) {
        if let Some(last_loss) = self.pending_loss.take() {
            self.show(data, last_loss);
        }
    }

    fn rebuild(
        &mut self,
        _old: TmsTrainer,
        ctx: Option<&GpuContext>,
    ) -> Result<Built<TmsTrainer>, Failure> {
        let state = self
            .last_state
            .clone()
            .unwrap_or_else(|| TrainState::initial(&self.cfg));
        build_trainer(ctx, self.cfg.as_ref().clone(), state)
    }

    fn diagnose(&self, data: &TmsData) -> Option<Diagnosis> {
        if !self.record_history {
            return None; // Phase grids judge their cells themselves.
        }
        let view = data.view.get_untracked()?;
        let count = view.cfg.instance_count();
        let empty = (0..count).filter(|i| view.represented(*i) == 0).count();
        // Half the instances or more learned nothing: not an interesting result.
        (count > 0 && empty * 2 >= count).then(|| Diagnosis {
            code: "toy-nothing",
            key: Key::DiagToyNothing,
            values: vec![empty.to_string(), count.to_string()],
        })
    }
}

impl TmsRun {
    /// A run of `settings` (with the errors reading them produced).
    pub fn for_settings(
        settings: TmsSettings,
        errors: Vec<SettingError>,
        prefer_cpu: bool,
    ) -> Self {
        let cfg = Arc::new(settings.to_config());
        Self::with_data(settings, errors, None, cfg, true, prefer_cpu)
    }

    /// A run of a configuration built elsewhere (a phase-diagram grid), without loss curves
    /// or energy records.
    pub fn for_config(cfg: TmsConfig, prefer_cpu: bool) -> Self {
        let settings = polytope_core::tms::preset_settings("intro").expect("intro exists");
        let cfg = Arc::new(cfg);
        Self::with_data(
            settings,
            Vec::new(),
            Some(Arc::clone(&cfg)),
            cfg,
            false,
            prefer_cpu,
        )
    }

    fn with_data(
        settings: TmsSettings,
        errors: Vec<SettingError>,
        config_override: Option<Arc<TmsConfig>>,
        cfg: Arc<TmsConfig>,
        record_history: bool,
        prefer_cpu: bool,
    ) -> Self {
        let data = TmsData {
            settings: RwSignal::new(settings),
            setting_errors: RwSignal::new(errors),
            view: RwSignal::new(None),
            losses: RwSignal::new(Arc::default()),
            energy: RwSignal::new(Arc::default()),
            config_override: RwSignal::new(config_override),
        };
        let workload = TmsWorkload {
            cfg,
            last_state: None,
            pending_loss: None,
            record_history,
        };
        Run::new(workload, data, prefer_cpu)
    }

    /// Replaces the configuration of a [`Self::for_config`] run (then call `restart`).
    pub fn set_config(self, cfg: TmsConfig) {
        self.data.config_override.set(Some(Arc::new(cfg)));
    }

    /// Applies new settings: restart, training on if it was (or was refused while asked to).
    pub fn restart_with(self, settings: TmsSettings) {
        let train_on = self.training_wanted();
        self.data.settings.set(settings);
        self.restart(train_on);
    }

    /// The run as the CLI's JSON reports it (for `window.polytope.state()` and exports).
    pub fn report(self) -> Option<RunReport> {
        let view = self.data.view.get_untracked()?;
        let settings = self.data.settings.get_untracked();
        let state = TrainState {
            step: view.step,
            params: view.params.as_ref().clone(),
            adam_m: Vec::new(),
            adam_v: Vec::new(),
        };
        let backend = self
            .backend
            .get_untracked()
            .map_or("none", BackendKind::name);
        Some(RunReport::new(
            &view.cfg,
            settings.preset.as_deref(),
            backend,
            &state,
            &view.last_loss,
        ))
    }
}
