//! The one run engine behind every live computation: toy models (`/toy`, `/geometry`,
//! `/phase`), sparse autoencoders (`/sae`) and the tour's widgets.
//!
//! A [`Run`] owns what every computation shares: its status, message and diagnosis, the
//! backend (and the visitor's choice of it), the speed, the steps-per-second meter, a
//! generation that outdated loops notice, the pacing (GPU steps per submission, CPU work per
//! slice), recovery from a lost GPU, and pausing while the page is hidden or the widget is
//! scrolled out of view. What differs lives in a [`Workload`]: how a trainer is prepared, what
//! a snapshot adds to the histories and views, and how a trainer moves to another backend.
//!
//! The loop (`run_loop`) advances a slice at a time and yields to the browser in between:
//! - on the GPU, a slice is one submission of `gpu_steps` steps, adapted to take 15-40 ms
//!   (each submission also pays a fixed readback round trip);
//! - on the CPU, a slice is `cpu_units` units of work (samples for toy models, steps for SAEs),
//!   adapted to take about 10 ms so the page stays responsive;
//! - views are published at most about 30 times a second; the rest is recorded only.

pub mod history;
pub mod sae;
pub mod tms;

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use polytope_gpu::{BackendKind, GpuContext};

use crate::browser::{RateMeter, measure, now_ms, pace, sleep_ms};
use crate::compute::{self, ComputeStatus};
use crate::i18n::{I18n, Key, use_i18n};
use crate::use_app;

/// Where a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    /// Preparing (waiting for the backend, building the data or the trainer).
    Starting,
    Paused,
    Running,
    /// Reached the configured number of steps.
    Done,
    /// Stopped on an error (see [`Run::message`]).
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

/// How urgent a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Info,
    Error,
}

/// Speed levels: steps per animation frame at most (0: as many as fit the frame).
pub const SPEEDS: [u32; 4] = [1, 10, 100, 0];

/// What went wrong while preparing or advancing a run, classified once so that the loop
/// knows what to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// The GPU device is gone: get a new one once, else continue on the CPU.
    DeviceLost(String),
    /// The run does not fit this device (memory, buffer or binding limits): this run moves to
    /// the CPU, the device stays for the next run.
    TooLargeForDevice(String),
    /// The run stops with this message (bad settings, divergence, too large for any backend).
    Stop(String),
}

/// A trainer on one backend, as the loop drives it.
pub trait Trainer: 'static {
    type Snapshot;
    /// CPU work units per slice: (smallest, first, largest).
    const CPU_UNITS: (u64, u64, u64);
    fn backend(&self) -> BackendKind;
    /// Steps completed.
    fn step(&self) -> u32;
    /// Trains up to `steps` steps (on the CPU, at most `cpu_units` units of work) and returns
    /// a snapshot when it stopped at a step boundary.
    fn advance(
        &mut self,
        steps: u32,
        cpu_units: u64,
    ) -> impl Future<Output = Result<Option<Self::Snapshot>, Failure>>;
    /// Steps the last `advance` completed, from its snapshot.
    fn steps_in(snapshot: &Self::Snapshot) -> u32;
}

/// What a kind of computation adds to the engine.
pub trait Workload: Sized + 'static {
    type Trainer: Trainer;
    /// The reactive state pages read (settings, views, histories): signals, cheap to copy.
    type Signals: Copy + Send + Sync + 'static;

    /// Steps the current run lasts.
    fn total_steps(&self, signals: &Self::Signals) -> u32;

    /// Builds the run's data and trainer for the current settings on `ctx` (`None`: the CPU;
    /// the CPU too, with the reason, when the device cannot hold the run), yielding to the
    /// browser when it takes long and returning early (with any error) once
    /// `run.is_current(generation)` is false.
    fn prepare(
        run: Run<Self>,
        generation: u64,
        ctx: Option<GpuContext>,
    ) -> impl Future<Output = Result<Built<Self::Trainer>, Failure>>;

    /// Records a snapshot in the histories; publishes views only when `show`.
    fn record(
        &mut self,
        signals: &Self::Signals,
        trainer: &Self::Trainer,
        snapshot: <Self::Trainer as Trainer>::Snapshot,
        show: bool,
    );

    /// Publishes what was recorded but not shown (the loop is stopping).
    fn flush(&mut self, signals: &Self::Signals, trainer: &Self::Trainer);

    /// A trainer at the state of the last recorded snapshot on `ctx` (`None`: the CPU; the
    /// CPU too, with the reason, when the device cannot hold the run), given the previous
    /// trainer (after a lost device only its host-side state is usable).
    fn rebuild(
        &mut self,
        old: Self::Trainer,
        ctx: Option<&GpuContext>,
    ) -> Result<Built<Self::Trainer>, Failure>;

    /// Called when the run reaches its last step (held-out evaluations and the like).
    fn finish(&mut self, _signals: &Self::Signals, _trainer: &mut Self::Trainer) {}

    /// What looks wrong with the run's result, if anything (checked when it is done).
    fn diagnose(&self, _signals: &Self::Signals) -> Option<Diagnosis> {
        None
    }
}

/// A trainer ready to train, and why it is on the CPU when a GPU was offered but could not
/// hold the run (this run only: the device stays for the next).
pub struct Built<T> {
    pub trainer: T,
    pub gpu_refused: Option<String>,
}

impl<T> Built<T> {
    pub fn new(trainer: T) -> Self {
        Self {
            trainer,
            gpu_refused: None,
        }
    }
}

/// A run that trained into a degenerate result, with the likely cause and a fix to try.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnosis {
    /// A stable code for scripts (`sae-collapsed`, `sae-dead`, `sae-dense`, `toy-nothing`,
    /// `phase-unsettled`).
    pub code: &'static str,
    /// The explanation, in the interface's language.
    pub key: Key,
    /// Numbers the explanation names, in order (`{0}`, `{1}`).
    pub values: Vec<String>,
}

impl Diagnosis {
    /// The sentence in the interface language with its numbers filled in.
    pub fn text(&self, i18n: I18n) -> String {
        let mut text = i18n.t(self.key).to_owned();
        for (i, v) in self.values.iter().enumerate() {
            text = text.replace(&format!("{{{i}}}"), v);
        }
        text
    }
}

/// Pacing state of the loop.
struct Pacing {
    /// GPU steps per submission.
    gpu_steps: u32,
    /// CPU work units per slice.
    cpu_units: u64,
}

struct Core<W: Workload> {
    workload: W,
    trainer: Option<W::Trainer>,
    generation: u64,
    pacing: Pacing,
    /// Start training when the trainer is ready (play pressed while preparing).
    play_when_ready: bool,
}

/// A live computation; cheap to copy into closures.
pub struct Run<W: Workload> {
    pub status: RwSignal<RunStatus>,
    pub message: RwSignal<Option<(Severity, String)>>,
    pub diagnosis: RwSignal<Option<Diagnosis>>,
    pub backend: RwSignal<Option<BackendKind>>,
    /// The visitor asked for the CPU even though WebGPU works.
    pub prefer_cpu: RwSignal<bool>,
    pub speed: RwSignal<usize>,
    pub steps_per_second: RwSignal<f64>,
    /// The step of the last published view.
    pub step: RwSignal<u32>,
    /// Training waits because the page is hidden or the widget is out of view.
    pub suspended: RwSignal<bool>,
    /// Whether the widget may compute now (page visible, widget in view); set by the page.
    pub active: RwSignal<bool>,
    /// The workload's signals.
    pub data: W::Signals,
    /// The interface language, for messages written from async tasks.
    pub i18n: I18n,
    compute: RwSignal<ComputeStatus>,
    core: StoredValue<Rc<RefCell<Core<W>>>, LocalStorage>,
}

impl<W: Workload> Clone for Run<W> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<W: Workload> Copy for Run<W> {}

impl<W: Workload> Run<W> {
    /// A run of `workload`; nothing computes until [`Self::restart`].
    pub fn new(workload: W, data: W::Signals, prefer_cpu: bool) -> Self {
        let (_, cpu_units, _) = <W::Trainer as Trainer>::CPU_UNITS;
        Self {
            status: RwSignal::new(RunStatus::Starting),
            message: RwSignal::new(None),
            diagnosis: RwSignal::new(None),
            backend: RwSignal::new(None),
            prefer_cpu: RwSignal::new(prefer_cpu),
            speed: RwSignal::new(3),
            steps_per_second: RwSignal::new(0.0),
            step: RwSignal::new(0),
            suspended: RwSignal::new(false),
            active: RwSignal::new(true),
            data,
            i18n: use_i18n(),
            compute: use_app().compute,
            core: StoredValue::new_local(Rc::new(RefCell::new(Core {
                workload,
                trainer: None,
                generation: 0,
                pacing: Pacing {
                    gpu_steps: 1,
                    cpu_units,
                },
                play_when_ready: false,
            }))),
        }
    }

    fn core(self) -> Rc<RefCell<Core<W>>> {
        self.core.get_value()
    }

    /// Reads the workload (not reactive).
    pub fn with_workload<R>(self, f: impl FnOnce(&W) -> R) -> R {
        f(&self.core().borrow().workload)
    }

    /// Changes the workload (not reactive).
    pub fn update_workload<R>(self, f: impl FnOnce(&mut W) -> R) -> R {
        f(&mut self.core().borrow_mut().workload)
    }

    /// Reads the trainer, when there is one.
    pub fn with_trainer<R>(self, f: impl FnOnce(&W::Trainer) -> R) -> Option<R> {
        self.core().borrow().trainer.as_ref().map(f)
    }

    /// Whether `generation` is still the current run: a restart makes older ones stale, and
    /// so does the widget leaving the page (its signals are disposed; loops and preparations
    /// waiting on the browser check this first after every await and then stop quietly).
    pub fn is_current(self, generation: u64) -> bool {
        self.core
            .try_get_value()
            .is_some_and(|core| core.borrow().generation == generation)
    }

    /// Steps the current run lasts.
    pub fn total_steps(self) -> u32 {
        let core = self.core();
        let core = core.borrow();
        core.workload.total_steps(&self.data)
    }

    /// The GPU context the run may use: none when the visitor chose the CPU.
    fn context(self) -> Option<GpuContext> {
        if self.prefer_cpu.get_untracked() {
            None
        } else {
            compute::gpu_context()
        }
    }

    /// Stops any loop and preparation in progress and returns the new generation.
    fn next_generation(self) -> u64 {
        let core = self.core();
        let mut core = core.borrow_mut();
        core.generation += 1;
        core.trainer = None;
        core.play_when_ready = false;
        core.generation
    }

    /// Whether new settings should train on at once: the run is training, or it was refused
    /// before it could start while it was asked to play (an address too large for the page: the
    /// visitor's next settings then run as the address would have).
    pub fn training_wanted(self) -> bool {
        match self.status.get_untracked() {
            RunStatus::Running => true,
            RunStatus::Failed => self.core().borrow().play_when_ready,
            _ => false,
        }
    }

    /// Prepares a fresh run of the current settings (anything running stops) and starts it
    /// when `autoplay`.
    pub fn restart(self, autoplay: bool) {
        let generation = self.next_generation();
        self.core().borrow_mut().play_when_ready = autoplay;
        self.status.set(RunStatus::Starting);
        self.message.set(None);
        self.diagnosis.set(None);
        self.steps_per_second.set(0.0);
        let ctx = self.context();
        spawn_local(async move {
            let result = W::prepare(self, generation, ctx).await;
            if !self.is_current(generation) {
                return;
            }
            match result {
                Ok(built) => self.install(built),
                Err(e) => self.fail(failure_text(&e)),
            }
        });
    }

    /// Puts a prepared trainer in place and starts it if play was asked for.
    fn install(self, built: Built<W::Trainer>) {
        if let Some(detail) = &built.gpu_refused {
            self.note_cpu_fallback(detail);
        }
        let trainer = built.trainer;
        self.backend.set(Some(trainer.backend()));
        self.step.set(trainer.step());
        let play = {
            let core = self.core();
            let mut core = core.borrow_mut();
            core.trainer = Some(trainer);
            core.pacing.gpu_steps = 1;
            std::mem::take(&mut core.play_when_ready)
        };
        self.status.set(RunStatus::Paused);
        if play {
            self.play();
        }
    }

    fn note_cpu_fallback(self, detail: &str) {
        let text = self.text(Key::RunGpuTooSmall).replace("{0}", detail);
        self.message.set(Some((Severity::Info, text)));
    }

    pub(crate) fn text(self, key: Key) -> String {
        crate::i18n::text(self.lang(), key).to_owned()
    }

    /// The interface language now (for messages written from async tasks).
    pub(crate) fn lang(self) -> crate::i18n::Lang {
        self.i18n.lang.get_untracked()
    }

    pub fn play(self) {
        match self.status.get_untracked() {
            RunStatus::Running | RunStatus::Failed => {}
            RunStatus::Starting => self.core().borrow_mut().play_when_ready = true,
            RunStatus::Done => self.restart(true),
            RunStatus::Paused => {
                self.status.set(RunStatus::Running);
                let generation = self.core().borrow().generation;
                spawn_local(self.run_loop(generation, None));
            }
        }
    }

    pub fn pause(self) {
        match self.status.get_untracked() {
            RunStatus::Running => self.status.set(RunStatus::Paused),
            RunStatus::Starting => self.core().borrow_mut().play_when_ready = false,
            _ => {}
        }
    }

    /// Trains exactly one step (when paused).
    pub fn step_once(self) {
        if self.status.get_untracked() != RunStatus::Paused {
            return;
        }
        self.status.set(RunStatus::Running);
        let generation = self.core().borrow().generation;
        spawn_local(self.run_loop(generation, Some(1)));
    }

    /// Moves the run to the other backend at its current state, training on if it was.
    pub fn switch_backend(self, prefer_cpu: bool) {
        self.prefer_cpu.set(prefer_cpu);
        let was_running = self.status.get_untracked() == RunStatus::Running;
        let old = {
            let core = self.core();
            let mut core = core.borrow_mut();
            core.generation += 1;
            core.trainer.take()
        };
        let Some(old) = old else {
            // Still preparing: start over on the chosen backend.
            if self.status.get_untracked() == RunStatus::Starting {
                self.restart(true);
            }
            return;
        };
        let ctx = self.context();
        match self.rebuild_on(old, ctx.as_ref()) {
            Ok(()) => {
                if was_running {
                    self.status.set(RunStatus::Paused);
                    self.play();
                }
            }
            Err(e) => self.fail(failure_text(&e)),
        }
    }

    /// Rebuilds the trainer on `ctx` (or on the CPU when the device cannot take the run).
    fn rebuild_on(self, old: W::Trainer, ctx: Option<&GpuContext>) -> Result<(), Failure> {
        let core = self.core();
        let built = core.borrow_mut().workload.rebuild(old, ctx)?;
        if let Some(detail) = &built.gpu_refused {
            self.note_cpu_fallback(detail);
        }
        self.backend.set(Some(built.trainer.backend()));
        let mut core = core.borrow_mut();
        core.trainer = Some(built.trainer);
        core.pacing.gpu_steps = 1;
        Ok(())
    }

    pub fn fail(self, message: String) {
        self.status.set(RunStatus::Failed);
        self.message.set(Some((Severity::Error, message)));
    }

    /// Publishes what was recorded but not shown.
    fn flush(self) {
        let core = self.core();
        let mut core = core.borrow_mut();
        let core = &mut *core;
        if let Some(trainer) = core.trainer.as_ref() {
            core.workload.flush(&self.data, trainer);
            self.step.set(trainer.step());
        }
    }

    /// A lost GPU: ask for a new device once per page, resume there from the last snapshot,
    /// else resume on the CPU; say which.
    async fn recover_from_device(self, generation: u64, old: W::Trainer, detail: String) {
        let ctx = if self.prefer_cpu.get_untracked() {
            None
        } else {
            compute::recover(self.compute, detail.clone()).await
        };
        if !self.is_current(generation) {
            return;
        }
        let on_gpu = ctx.is_some();
        match self.rebuild_on(old, ctx.as_ref()) {
            Ok(()) => {
                let step = self.with_trainer(Trainer::step).unwrap_or(0);
                let key = if on_gpu {
                    Key::RunResumedNewDevice
                } else {
                    Key::RunResumedCpu
                };
                let text = self
                    .text(key)
                    .replace("{0}", &detail)
                    .replace("{1}", &step.to_string());
                self.message.set(Some((Severity::Info, text)));
            }
            Err(e) => self.fail(failure_text(&e)),
        }
    }

    /// Waits while the page is hidden or the widget out of view; `true` when the loop may go
    /// on (the run was not restarted meanwhile).
    async fn wait_until_active(self, generation: u64) -> bool {
        if self.active.get_untracked() && page_visible() {
            return true;
        }
        self.flush();
        self.suspended.set(true);
        self.steps_per_second.set(0.0);
        while !(self.active.get_untracked() && page_visible()) {
            sleep_ms(200).await;
            if !self.is_current(generation) || self.status.get_untracked() != RunStatus::Running {
                self.suspended.set(false);
                return false;
            }
        }
        self.suspended.set(false);
        true
    }

    async fn run_loop(self, generation: u64, limit: Option<u32>) {
        let core = self.core();
        let mut done_here = 0u32;
        let mut last_paint = now_ms();
        let mut last_shown = 0.0f64;
        let mut rate = RateMeter::new(self.with_trainer(Trainer::step).unwrap_or(0));
        loop {
            if !self.is_current(generation) {
                return;
            }
            if self.status.get_untracked() != RunStatus::Running {
                self.flush();
                return;
            }
            if !self.wait_until_active(generation).await {
                return;
            }
            let total = self.total_steps();
            let Some(mut trainer) = core.borrow_mut().trainer.take() else {
                return;
            };
            let step = trainer.step();
            if step >= total || limit.is_some_and(|l| done_here >= l) {
                let finished = step >= total;
                {
                    let mut c = core.borrow_mut();
                    let c = &mut *c;
                    if finished {
                        c.workload.finish(&self.data, &mut trainer);
                    }
                    c.trainer = Some(trainer);
                }
                self.flush();
                if finished {
                    let diagnosis = core.borrow().workload.diagnose(&self.data);
                    self.diagnosis.set(diagnosis);
                }
                self.status.set(if finished {
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
            let gpu = trainer.backend() == BackendKind::Gpu;
            let (gpu_steps, cpu_units) = {
                let c = core.borrow();
                (c.pacing.gpu_steps, c.pacing.cpu_units)
            };
            let k = if gpu { want.min(gpu_steps) } else { want };
            let t0 = now_ms();
            let result = trainer.advance(k, cpu_units).await;
            let elapsed = now_ms() - t0;
            measure("train", t0, elapsed);
            if !self.is_current(generation) {
                return; // restarted while we were waiting: drop this trainer.
            }
            match result {
                Ok(snapshot) => {
                    if let Some(snap) = snapshot {
                        let done = <W::Trainer as Trainer>::steps_in(&snap);
                        done_here += done;
                        if gpu && done >= gpu_steps {
                            let mut c = core.borrow_mut();
                            adapt_gpu_steps(&mut c.pacing, elapsed);
                        }
                        let t1 = now_ms();
                        let finished = trainer.step() >= total;
                        let show = t1 - last_shown > 33.0 || limit.is_some() || finished;
                        if show {
                            last_shown = t1;
                        }
                        {
                            let mut c = core.borrow_mut();
                            let c = &mut *c;
                            c.workload.record(&self.data, &trainer, snap, show);
                        }
                        if show {
                            self.step.set(trainer.step());
                        }
                        measure("apply", t1, now_ms() - t1);
                    }
                    if !gpu {
                        adapt_cpu_units::<W::Trainer>(&mut core.borrow_mut().pacing, elapsed);
                    }
                    core.borrow_mut().trainer = Some(trainer);
                }
                Err(Failure::DeviceLost(detail)) => {
                    self.flush_with(&trainer);
                    self.recover_from_device(generation, trainer, detail).await;
                    continue;
                }
                Err(Failure::TooLargeForDevice(detail)) => {
                    self.note_cpu_fallback(&detail);
                    if let Err(e) = self.rebuild_on(trainer, None) {
                        self.fail(failure_text(&e));
                        return;
                    }
                    continue;
                }
                Err(Failure::Stop(message)) => {
                    core.borrow_mut().trainer = Some(trainer);
                    self.flush();
                    self.fail(message);
                    return;
                }
            }
            if let Some(rate) = rate.update(self.step.get_untracked()) {
                self.steps_per_second.set(rate);
            }
            pace(&mut last_paint, cap != u32::MAX).await;
        }
    }

    /// Publishes what was recorded with a trainer that is out of the core.
    fn flush_with(self, trainer: &W::Trainer) {
        let core = self.core();
        core.borrow_mut().workload.flush(&self.data, trainer);
        self.step.set(trainer.step());
    }

    /// Starts the run once the app knows which backend it has; trains if `autoplay`.
    pub fn start_when_ready(self, autoplay: bool) {
        let app = use_app();
        Effect::new(move |started: Option<bool>| {
            if started == Some(true) {
                return true;
            }
            if matches!(app.compute.get(), ComputeStatus::Detecting) {
                return false;
            }
            self.restart(autoplay);
            true
        });
    }

    /// Stops computing for good (the widget is leaving the page).
    pub fn stop(self) {
        self.next_generation();
        if self.status.get_untracked() == RunStatus::Running {
            self.status.set(RunStatus::Paused);
        }
    }
}

/// GPU submissions near 15-40 ms: each one also pays a fixed readback round trip, so grow
/// while it is cheap and shrink when it is not.
fn adapt_gpu_steps(p: &mut Pacing, elapsed_ms: f64) {
    if elapsed_ms < 15.0 {
        p.gpu_steps = (p.gpu_steps * 2).min(256);
    } else if elapsed_ms > 40.0 {
        p.gpu_steps = (p.gpu_steps / 2).max(1);
    }
}

/// CPU slices near 10 ms; by at most a factor of 2 at a time, because a slice that stopped
/// early at a step boundary under-reports the rate.
fn adapt_cpu_units<T: Trainer>(p: &mut Pacing, elapsed_ms: f64) {
    if elapsed_ms <= 0.0 {
        return;
    }
    let (min, _, max) = T::CPU_UNITS;
    let current = p.cpu_units as f64;
    let scaled = (current * 10.0 / elapsed_ms).clamp(current / 2.0, current * 2.0);
    p.cpu_units = (scaled as u64).clamp(min, max);
}

/// What a trainer's error means for the loop: a lost or hung device is recovered, a run the
/// device cannot hold moves to the CPU, anything else stops the run with its message.
pub fn classify<E: std::fmt::Display>(e: polytope_gpu::BackendError<E>) -> Failure {
    match e {
        polytope_gpu::BackendError::Gpu(g) if g.needs_new_device() => {
            Failure::DeviceLost(g.to_string())
        }
        polytope_gpu::BackendError::Gpu(g) if g.fails_this_run_only() => {
            Failure::TooLargeForDevice(g.to_string())
        }
        other => Failure::Stop(other.to_string()),
    }
}

/// The text shown for a failure.
pub fn failure_text(f: &Failure) -> String {
    match f {
        Failure::DeviceLost(m) | Failure::TooLargeForDevice(m) | Failure::Stop(m) => m.clone(),
    }
}

/// Whether the page is visible (`document.visibilityState`).
pub fn page_visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| d.visibility_state() != web_sys::VisibilityState::Hidden)
}
