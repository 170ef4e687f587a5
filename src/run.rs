//! A live toy-model training session shared by the `/toy` and `/geometry` pages: settings,
//! the trainer on the chosen backend, the play/pause loop that never blocks the page, the
//! history the plots read, and recovery from a lost GPU or a diverging run.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use polytope_core::tms::{
    InstanceMetrics, RunReport, SettingError, Snapshot, TmsConfig, TmsSettings, TrainError,
    TrainState, instance_metrics,
};
use polytope_gpu::{BackendKind, TmsTrainer};
use polytope_plots::EnergyHistory;

use crate::compute::{self, ComputeStatus};
use crate::use_app;

/// Where the run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    /// Waiting for the backend to be known.
    Starting,
    Paused,
    Running,
    /// Reached the configured number of steps.
    Done,
    /// Stopped on an error (see [`TmsRun::message`]).
    Failed,
}

impl RunStatus {
    pub fn name(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Paused => "paused",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

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
    fn new(cfg: Arc<TmsConfig>, state: &TrainState, last_loss: Vec<f32>) -> Self {
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
}

/// Loss of every instance over steps, thinned as it grows (at most about 2,000 rows).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LossLog {
    pub instances: usize,
    pub steps: Vec<u32>,
    /// Row-major `[rows, instances]`.
    pub values: Vec<f32>,
    stride: u32,
}

const LOSS_ROWS_MAX: usize = 2000;

impl LossLog {
    fn new(instances: usize) -> Self {
        Self {
            instances,
            stride: 1,
            ..Self::default()
        }
    }

    fn push(&mut self, first_step: u32, losses: &[f32]) {
        let i = self.instances.max(1);
        for (row, chunk) in losses.chunks(i).enumerate() {
            let step = first_step + row as u32 + 1;
            if step.is_multiple_of(self.stride) || step == 1 {
                self.steps.push(step);
                self.values.extend_from_slice(chunk);
            }
        }
        if self.steps.len() > LOSS_ROWS_MAX {
            // Keep every other row and double the stride.
            self.stride *= 2;
            let keep: Vec<usize> = (0..self.steps.len()).filter(|r| r % 2 == 0).collect();
            self.steps = keep.iter().map(|r| self.steps[*r]).collect();
            self.values = keep
                .iter()
                .flat_map(|r| self.values[r * i..(r + 1) * i].iter().copied())
                .collect();
        }
    }

    /// `(step, loss)` of instance `i`.
    pub fn series(&self, i: usize) -> Vec<(f64, f64)> {
        self.steps
            .iter()
            .enumerate()
            .map(|(r, s)| {
                (
                    f64::from(*s),
                    f64::from(self.values[r * self.instances + i]),
                )
            })
            .collect()
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

/// How urgent a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Info,
    Error,
}

/// Speed levels: steps per animation frame at most (0: as many as fit the frame).
pub const SPEEDS: [u32; 4] = [1, 10, 100, 0];

struct Inner {
    /// The configuration the current trainer was built from.
    cfg: Arc<TmsConfig>,
    trainer: Option<TmsTrainer>,
    /// The last consistent state, for resuming on another backend.
    last_state: Option<TrainState>,
    generation: u64,
    /// GPU steps per submission, adapted to keep each submission near one frame.
    gpu_steps: u32,
    /// CPU sample passes per slice, adapted to keep each slice near 10 ms.
    cpu_budget: u64,
    /// The last loss of a state recorded but not yet shown.
    pending_loss: Option<Vec<f32>>,
}

/// The session; cheap to copy into closures.
#[derive(Clone, Copy)]
pub struct TmsRun {
    pub settings: RwSignal<TmsSettings>,
    pub setting_errors: RwSignal<Vec<SettingError>>,
    pub status: RwSignal<RunStatus>,
    pub message: RwSignal<Option<(Severity, String)>>,
    pub view: RwSignal<Option<Arc<View>>>,
    pub losses: RwSignal<Arc<LossLog>>,
    pub energy: RwSignal<Arc<EnergyLog>>,
    pub backend: RwSignal<Option<BackendKind>>,
    /// The user asked for the CPU even though WebGPU works.
    pub prefer_cpu: RwSignal<bool>,
    pub speed: RwSignal<usize>,
    pub steps_per_second: RwSignal<f64>,
    /// The app's backend status, updated when the GPU is lost.
    compute: RwSignal<ComputeStatus>,
    /// A configuration that is not described by `settings` (phase-diagram grids).
    config_override: RwSignal<Option<Arc<TmsConfig>>>,
    /// Keep loss curves and energy-level records (off for runs of thousands of instances).
    record_history: bool,
    inner: StoredValue<Rc<RefCell<Inner>>, LocalStorage>,
}

pub(crate) fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Records a span in the browser's performance timeline (`performance.measure`).
pub fn measure(name: &str, start_ms: f64, duration_ms: f64) {
    use wasm_bindgen::{JsCast, JsValue};
    // performance.measure(name, { start, duration }) (web-sys marks this form unstable).
    let Some(perf) = web_sys::window().and_then(|w| w.performance()) else {
        return;
    };
    let Ok(f) = js_sys::Reflect::get(&perf, &"measure".into()) else {
        return;
    };
    let Ok(f) = f.dyn_into::<js_sys::Function>() else {
        return;
    };
    let opts = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&opts, &"start".into(), &JsValue::from_f64(start_ms));
    let _ = js_sys::Reflect::set(&opts, &"duration".into(), &JsValue::from_f64(duration_ms));
    let _ = f.call2(&perf, &JsValue::from_str(name), &opts);
}

/// Yields to the browser's event loop (input, rendering) and resumes in a new task, without the
/// 4 ms minimum that nested `setTimeout(0)` calls get.
pub(crate) async fn yield_task() {
    use wasm_bindgen::JsCast;
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let Ok(channel) = web_sys::MessageChannel::new() else {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
            return;
        };
        let port = channel.port1();
        let on_message =
            wasm_bindgen::closure::Closure::once_into_js(move |_: wasm_bindgen::JsValue| {
                let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
            });
        port.set_onmessage(Some(on_message.unchecked_ref()));
        let _ = channel.port2().post_message(&wasm_bindgen::JsValue::NULL);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

pub(crate) async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.request_animation_frame(&resolve);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Steps per second over half-second windows, for a training loop's status line.
pub(crate) struct RateMeter {
    since_ms: f64,
    since_step: u32,
}

impl RateMeter {
    pub(crate) fn new(step: u32) -> Self {
        Self {
            since_ms: now_ms(),
            since_step: step,
        }
    }

    /// The rate since the window began, once it is half a second long (then a new one starts).
    pub(crate) fn update(&mut self, step: u32) -> Option<f64> {
        let now = now_ms();
        if now - self.since_ms <= 500.0 {
            return None;
        }
        let rate =
            f64::from(step.saturating_sub(self.since_step)) / ((now - self.since_ms) / 1000.0);
        *self = Self {
            since_ms: now,
            since_step: step,
        };
        Some(rate)
    }
}

/// Between two slices of a training loop: lets a frame render when one is due (14 ms since
/// the last, or always when the speed is capped), then continues in a task of its own rather
/// than inside the frame's callbacks (which would make that frame a long task).
pub(crate) async fn pace(last_paint_ms: &mut f64, capped: bool) {
    if now_ms() - *last_paint_ms > 14.0 || capped {
        next_frame().await;
        *last_paint_ms = now_ms();
    }
    yield_task().await;
}

/// Calls `start` once, as soon as the app knows which backend it has.
pub(crate) fn once_backend_known(start: impl Fn() + 'static) {
    let app = use_app();
    Effect::new(move |started: Option<bool>| {
        if started == Some(true) {
            return true;
        }
        if matches!(app.compute.get(), ComputeStatus::Detecting) {
            return false;
        }
        start();
        true
    });
}

impl TmsRun {
    /// A session for `settings`; training starts when [`Self::play`] is called.
    pub fn new(settings: TmsSettings, errors: Vec<SettingError>, prefer_cpu: bool) -> Self {
        let settings_cfg = settings.to_config();
        Self {
            settings: RwSignal::new(settings),
            setting_errors: RwSignal::new(errors),
            status: RwSignal::new(RunStatus::Starting),
            message: RwSignal::new(None),
            view: RwSignal::new(None),
            losses: RwSignal::new(Arc::default()),
            energy: RwSignal::new(Arc::default()),
            backend: RwSignal::new(None),
            prefer_cpu: RwSignal::new(prefer_cpu),
            speed: RwSignal::new(3),
            steps_per_second: RwSignal::new(0.0),
            compute: use_app().compute,
            config_override: RwSignal::new(None),
            record_history: true,
            inner: StoredValue::new_local(Rc::new(RefCell::new(Inner {
                cfg: Arc::new(settings_cfg),
                trainer: None,
                last_state: None,
                generation: 0,
                gpu_steps: 1,
                cpu_budget: 4096,
                pending_loss: None,
            }))),
        }
    }

    fn inner(self) -> Rc<RefCell<Inner>> {
        self.inner.get_value()
    }

    /// A session for a configuration built elsewhere (a phase-diagram grid), without loss
    /// curves or energy records.
    pub fn for_config(cfg: TmsConfig, prefer_cpu: bool) -> Self {
        let mut run = Self::new(
            polytope_core::tms::preset_settings("intro").expect("intro exists"),
            Vec::new(),
            prefer_cpu,
        );
        run.record_history = false;
        run.config_override.set(Some(Arc::new(cfg)));
        run
    }

    /// Replaces the configuration of a [`Self::for_config`] session (call [`Self::reset`]).
    pub fn set_config(self, cfg: TmsConfig) {
        self.config_override.set(Some(Arc::new(cfg)));
    }

    pub fn config(self) -> TmsConfig {
        match self.config_override.get_untracked() {
            Some(cfg) => cfg.as_ref().clone(),
            None => self.settings.with_untracked(TmsSettings::to_config),
        }
    }

    /// Steps the run lasts.
    pub fn total_steps(self) -> u32 {
        match self.config_override.get_untracked() {
            Some(cfg) => cfg.steps,
            None => self.settings.with_untracked(|s| s.steps),
        }
    }

    /// Builds a fresh trainer for the current settings on the current backend and shows its
    /// initial state. Any running loop stops (its generation is outdated).
    pub fn reset(self) {
        let cfg = Arc::new(self.config());
        let state = TrainState::initial(&cfg);
        let inner = self.inner();
        let mut inner = inner.borrow_mut();
        inner.generation += 1;
        inner.trainer = None;
        inner.last_state = Some(state.clone());
        inner.gpu_steps = 1;
        inner.cfg = Arc::clone(&cfg);
        drop(inner);
        self.losses
            .set(Arc::new(LossLog::new(if self.record_history {
                cfg.instance_count()
            } else {
                0
            })));
        let view = View::new(Arc::clone(&cfg), &state, Vec::new());
        let mut energy = EnergyLog::new(if self.record_history {
            cfg.instance_count()
        } else {
            0
        });
        energy.record(&view);
        self.energy.set(Arc::new(energy));
        self.view.set(Some(Arc::new(view)));
        self.message.set(None);
        self.steps_per_second.set(0.0);
        if self.status.get_untracked() != RunStatus::Starting {
            self.status.set(RunStatus::Paused);
        }
    }

    /// The trainer for the current state, created on demand on the backend the app and the
    /// user allow.
    fn ensure_trainer(self) -> Result<(), TrainError> {
        let inner = self.inner();
        let mut inner = inner.borrow_mut();
        if inner.trainer.is_some() {
            return Ok(());
        }
        let cfg = self.config();
        let state = inner
            .last_state
            .clone()
            .unwrap_or_else(|| TrainState::initial(&cfg));
        let ctx = if self.prefer_cpu.get_untracked() {
            None
        } else {
            compute::gpu_context()
        };
        let trainer = match TmsTrainer::new(ctx.as_ref(), cfg.clone(), state.clone()) {
            Ok(t) => t,
            Err(TrainError::Device(e)) => {
                // The GPU cannot hold this run (or failed): say so and use the CPU.
                self.message.set(Some((
                    Severity::Info,
                    format!("The GPU could not take this run ({e}); training on the CPU."),
                )));
                TmsTrainer::new(None, cfg, state)?
            }
            Err(e) => return Err(e),
        };
        self.backend.set(Some(trainer.backend()));
        inner.trainer = Some(trainer);
        Ok(())
    }

    /// Moves the run to the other backend at the current state.
    pub fn switch_backend(self, prefer_cpu: bool) {
        self.prefer_cpu.set(prefer_cpu);
        let inner = self.inner();
        let mut inner = inner.borrow_mut();
        inner.generation += 1;
        inner.trainer = None;
        drop(inner);
        let was_running = self.status.get_untracked() == RunStatus::Running;
        if let Err(e) = self.ensure_trainer() {
            self.fail(e.to_string());
            return;
        }
        if was_running {
            self.status.set(RunStatus::Paused);
            self.play();
        }
    }

    pub fn play(self) {
        if matches!(
            self.status.get_untracked(),
            RunStatus::Running | RunStatus::Failed
        ) {
            return;
        }
        if self.status.get_untracked() == RunStatus::Done {
            self.reset();
        }
        if let Err(e) = self.ensure_trainer() {
            self.fail(e.to_string());
            return;
        }
        self.status.set(RunStatus::Running);
        let generation = self.inner().borrow().generation;
        spawn_local(self.run_loop(generation, None));
    }

    pub fn pause(self) {
        if self.status.get_untracked() == RunStatus::Running {
            self.status.set(RunStatus::Paused);
        }
    }

    /// Trains exactly one step (when paused).
    pub fn step_once(self) {
        if !matches!(
            self.status.get_untracked(),
            RunStatus::Paused | RunStatus::Starting
        ) {
            return;
        }
        if let Err(e) = self.ensure_trainer() {
            self.fail(e.to_string());
            return;
        }
        self.status.set(RunStatus::Running);
        let generation = self.inner().borrow().generation;
        spawn_local(self.run_loop(generation, Some(1)));
    }

    fn fail(self, message: String) {
        self.status.set(RunStatus::Failed);
        self.message.set(Some((Severity::Error, message)));
    }

    /// Records a snapshot; shows it (metrics, plots) only when `show`, so that a fast backend
    /// does not redraw every plot for every few steps.
    fn apply(self, snap: Snapshot, show: bool) {
        let cfg = Arc::clone(&self.inner().borrow().cfg);
        let instances = cfg.instance_count();
        if self.record_history {
            self.losses.update_untracked(|log| {
                Arc::make_mut(log).push(snap.first_loss_step, &snap.losses);
            });
        }
        let last_loss = snap.last_losses(instances).to_vec();
        self.inner().borrow_mut().last_state = Some(snap.state);
        if show {
            self.show(last_loss);
        } else {
            self.inner().borrow_mut().pending_loss = Some(last_loss);
        }
    }

    /// Publishes the last recorded state to the plots.
    fn show(self, last_loss: Vec<f32>) {
        let (cfg, state) = {
            let inner = self.inner();
            let mut inner = inner.borrow_mut();
            inner.pending_loss = None;
            (Arc::clone(&inner.cfg), inner.last_state.clone())
        };
        let Some(state) = state else { return };
        let view = View::new(cfg, &state, last_loss);
        if self.record_history {
            self.energy.update(|e| Arc::make_mut(e).record(&view));
            self.losses.notify();
        }
        self.view.set(Some(Arc::new(view)));
    }

    /// Shows a state recorded but not yet shown (when the loop stops).
    fn flush(self) {
        let pending = self.inner().borrow_mut().pending_loss.take();
        if let Some(last_loss) = pending {
            self.show(last_loss);
        }
    }

    /// Handles a failed GPU: the device is marked lost app-wide and the run resumes on the CPU
    /// from its last snapshot.
    fn recover_from_device(self, detail: &str) {
        let resumed_at = self
            .inner()
            .borrow()
            .last_state
            .as_ref()
            .map_or(0, |s| s.step);
        compute::mark_lost(self.compute, detail.to_owned());
        {
            let inner = self.inner();
            let mut inner = inner.borrow_mut();
            inner.trainer = None;
        }
        self.message.set(Some((
            Severity::Info,
            format!("The GPU stopped working ({detail}). Training resumed on the CPU from step {resumed_at}."),
        )));
        if let Err(e) = self.ensure_trainer() {
            self.fail(e.to_string());
        }
    }

    async fn run_loop(self, generation: u64, limit: Option<u32>) {
        let inner = self.inner();
        let mut done_here = 0u32;
        let mut last_paint = now_ms();
        let mut last_shown = 0.0f64;
        let mut rate = RateMeter::new(self.view.get_untracked().map_or(0, |v| v.step));
        loop {
            if inner.borrow().generation != generation {
                return;
            }
            if self.status.get_untracked() != RunStatus::Running {
                self.flush();
                return;
            }
            let total = self.total_steps();
            let Some(mut trainer) = inner.borrow_mut().trainer.take() else {
                return;
            };
            let step = trainer.step();
            if step >= total || limit.is_some_and(|l| done_here >= l) {
                inner.borrow_mut().trainer = Some(trainer);
                self.flush();
                self.status.set(if step >= total {
                    RunStatus::Done
                } else {
                    RunStatus::Paused
                });
                return;
            }
            let cap = match SPEEDS[self.speed.get_untracked().min(SPEEDS.len() - 1)] {
                0 => u32::MAX,
                c => c,
            };
            let mut want = (total - step).min(cap);
            if let Some(l) = limit {
                want = want.min(l - done_here);
            }
            let (gpu_steps, cpu_budget) = {
                let i = inner.borrow();
                (i.gpu_steps, i.cpu_budget)
            };
            let k = if trainer.backend() == BackendKind::Gpu {
                want.min(gpu_steps)
            } else {
                want
            };
            let t0 = now_ms();
            let result = trainer.advance(k, cpu_budget).await;
            let elapsed = now_ms() - t0;
            measure("train", t0, elapsed);
            if inner.borrow().generation != generation {
                return; // reset while we were waiting: drop this trainer.
            }
            inner.borrow_mut().trainer = Some(trainer);
            match result {
                Ok(Some(snap)) => {
                    let before = snap.first_loss_step;
                    let after = snap.state.step;
                    done_here += after - before;
                    {
                        // Aim for 15-40 ms per submission: each one also pays a fixed readback
                        // round trip, so grow while it is cheap and shrink when it is not.
                        let mut i = inner.borrow_mut();
                        if after - before >= i.gpu_steps {
                            if elapsed < 15.0 {
                                i.gpu_steps = (i.gpu_steps * 2).min(256);
                            } else if elapsed > 40.0 {
                                i.gpu_steps = (i.gpu_steps / 2).max(1);
                            }
                        }
                    }
                    let t1 = now_ms();
                    // At most about 30 updates of the plots per second.
                    let show = t1 - last_shown > 33.0 || limit.is_some() || after >= total;
                    if show {
                        last_shown = t1;
                    }
                    self.apply(snap, show);
                    measure("apply", t1, now_ms() - t1);
                }
                Ok(None) => {}
                Err(TrainError::Device(detail)) => {
                    self.recover_from_device(&detail);
                    continue;
                }
                Err(e) => {
                    self.fail(e.to_string());
                    return;
                }
            }
            if elapsed > 0.0 {
                // Aim for 10 ms slices; change by at most a factor of 2 at a time, because a
                // slice that stopped early at a step boundary under-reports the rate.
                let mut i = inner.borrow_mut();
                let current = i.cpu_budget as f64;
                let scaled = (current * 10.0 / elapsed).clamp(current / 2.0, current * 2.0);
                i.cpu_budget = (scaled as u64).clamp(256, 1 << 22);
            }
            if let Some(rate) = rate.update(self.view.get_untracked().map_or(0, |v| v.step)) {
                self.steps_per_second.set(rate);
            }
            pace(&mut last_paint, cap != u32::MAX).await;
        }
    }

    /// The run as the CLI's JSON reports it (for `window.polytope.state()`).
    pub fn report(self) -> Option<RunReport> {
        let view = self.view.get_untracked()?;
        let settings = self.settings.get_untracked();
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

/// Starts the run once the backend is known, if `autoplay`.
pub fn start_when_ready(run: TmsRun, autoplay: bool) {
    once_backend_known(move || {
        run.status.set(RunStatus::Paused);
        run.reset();
        if autoplay {
            run.play();
        }
    });
}
