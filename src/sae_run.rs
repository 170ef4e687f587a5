//! A live SAE training session for `/sae`: settings, the data source (built without blocking
//! the page), the trainer on the chosen backend, the loop, the history the plots read, and
//! recovery from a lost GPU or a diverging run.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use polytope_core::sae::{
    ActivationFile, ActivationSource, FileSource, Layout, SaeConfig, SaeEval, SaeReport,
    SaeSettings, SaeSnapshot, SaeTrainError, SaeTrainer, SettingError, SourceKind, StepStats,
    ToySource, density_histogram, greedy_matching, mmcs, normalized_rows,
};
use polytope_core::tms::CpuTrainer;
use polytope_gpu::{BackendKind, GpuSaeTrainer, SaeBackendTrainer};

use crate::compute::{self, ComputeStatus};
use crate::run::{
    RateMeter, RunStatus, Severity, measure, now_ms, once_backend_known, pace, yield_task,
};
use crate::use_app;

/// What the plots show: the latest consistent dictionary and its measures.
#[derive(Debug, PartialEq)]
pub struct SaeView {
    pub step: u32,
    pub cfg: Arc<SaeConfig>,
    /// Decoder rows `[d_sae, d_in]` (unit-normalised for display and matching).
    pub learned: Arc<Vec<f32>>,
    /// True feature directions `[t, d_in]`, when the source knows them.
    pub truth: Option<Arc<Vec<f32>>>,
    /// Latents that fired within the dead window.
    pub alive: Arc<Vec<bool>>,
    /// Latents per log10-density bin (index 0: dead), from the last complete window.
    pub histogram: Arc<Vec<u32>>,
    pub mmcs: Option<f32>,
    pub mmcs_reverse: Option<f32>,
    /// `(true feature, latent, cosine)` pairs of the greedy matching.
    pub matching: Arc<Vec<(usize, usize, f32)>>,
    pub last: Option<StepStats>,
}

/// Per-step numbers, thinned as they grow (at most about 2,000 rows), and MMCS over steps.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SaeHistory {
    pub stats: Vec<StepStats>,
    pub mmcs: Vec<(f64, f64, f64)>,
    pub resamples: Vec<(u32, u32)>,
    stride: u32,
}

const HISTORY_MAX: usize = 2000;

impl SaeHistory {
    fn push(&mut self, stats: &[StepStats]) {
        self.stride = self.stride.max(1);
        for s in stats {
            if (s.step + 1).is_multiple_of(self.stride) || s.step == 0 {
                self.stats.push(*s);
            }
        }
        if self.stats.len() > HISTORY_MAX {
            self.stride *= 2;
            let keep: Vec<StepStats> = self
                .stats
                .iter()
                .enumerate()
                .filter(|(i, _)| i % 2 == 0)
                .map(|(_, s)| *s)
                .collect();
            self.stats = keep;
        }
    }

    /// `(step, value)` of one field of the stats.
    pub fn series(&self, f: impl Fn(&StepStats) -> f32) -> Vec<(f64, f64)> {
        self.stats
            .iter()
            .map(|s| (f64::from(s.step + 1), f64::from(f(s))))
            .collect()
    }
}

/// Multiply-adds of a ground-truth comparison done live, and at the end of a run.
const LIVE_COMPARE_BUDGET: usize = 30_000_000;
const FINAL_COMPARE_BUDGET: usize = 1_000_000_000;
/// Largest true x learned pair count the greedy matching sorts.
const MATCHING_PAIRS_MAX: usize = 4_000_000;

/// Speed levels: steps per animation frame at most (0: as many as fit the frame).
pub const SAE_SPEEDS: [u32; 4] = [1, 10, 100, 0];

struct Inner {
    trainer: Option<SaeBackendTrainer>,
    /// The data source when no trainer holds it (while building or after a failure).
    generation: u64,
    /// Steps per slice on the CPU and per submission on the GPU, adapted to the frame.
    cpu_steps: u32,
    gpu_steps: u32,
    truth: Option<Arc<Vec<f32>>>,
    /// The activation file the user picked, for the file source.
    file: Option<Arc<ActivationFile>>,
    last_mmcs_ms: f64,
    pending: Option<SaeSnapshot>,
}

/// The session; cheap to copy into closures.
#[derive(Clone, Copy)]
pub struct SaeRun {
    pub settings: RwSignal<SaeSettings>,
    pub setting_errors: RwSignal<Vec<SettingError>>,
    pub status: RwSignal<RunStatus>,
    pub message: RwSignal<Option<(Severity, String)>>,
    pub view: RwSignal<Option<Arc<SaeView>>>,
    pub history: RwSignal<Arc<SaeHistory>>,
    /// The held-out evaluation at the end of the run.
    pub eval: RwSignal<Option<SaeEval>>,
    pub backend: RwSignal<Option<BackendKind>>,
    pub prefer_cpu: RwSignal<bool>,
    pub speed: RwSignal<usize>,
    pub steps_per_second: RwSignal<f64>,
    /// What the source is, in words (for reports).
    pub source_label: RwSignal<String>,
    compute: RwSignal<ComputeStatus>,
    inner: StoredValue<Rc<RefCell<Inner>>, LocalStorage>,
}

impl SaeRun {
    pub fn new(settings: SaeSettings, errors: Vec<SettingError>, prefer_cpu: bool) -> Self {
        Self {
            settings: RwSignal::new(settings),
            setting_errors: RwSignal::new(errors),
            status: RwSignal::new(RunStatus::Starting),
            message: RwSignal::new(None),
            view: RwSignal::new(None),
            history: RwSignal::new(Arc::default()),
            eval: RwSignal::new(None),
            backend: RwSignal::new(None),
            prefer_cpu: RwSignal::new(prefer_cpu),
            speed: RwSignal::new(3),
            steps_per_second: RwSignal::new(0.0),
            source_label: RwSignal::new(String::new()),
            compute: use_app().compute,
            inner: StoredValue::new_local(Rc::new(RefCell::new(Inner {
                trainer: None,
                generation: 0,
                cpu_steps: 4,
                gpu_steps: 4,
                truth: None,
                file: None,
                last_mmcs_ms: 0.0,
                pending: None,
            }))),
        }
    }

    fn inner(self) -> Rc<RefCell<Inner>> {
        self.inner.get_value()
    }

    /// Uses an activation file the user picked (already decoded and checked).
    pub fn use_file(self, name: String, file: ActivationFile) {
        let d_in = file.d_in as u32;
        self.inner().borrow_mut().file = Some(Arc::new(file));
        let was_running = self.status.get_untracked() == RunStatus::Running;
        self.settings.update(|s| {
            s.source = SourceKind::File(name);
            s.d_in = d_in;
        });
        if was_running {
            self.reset_and_play();
        } else {
            self.reset();
        }
    }

    pub fn total_steps(self) -> u32 {
        self.settings.with_untracked(|s| s.steps)
    }

    /// Builds the data source (training the toy model in slices first, for the `toy` source)
    /// and a fresh trainer, then shows the initial dictionary. Any running loop stops.
    pub fn reset(self) {
        let generation = {
            let inner = self.inner();
            let mut inner = inner.borrow_mut();
            inner.generation += 1;
            inner.trainer = None;
            inner.pending = None;
            inner.generation
        };
        self.history.set(Arc::default());
        self.eval.set(None);
        self.message.set(None);
        self.steps_per_second.set(0.0);
        self.status.set(RunStatus::Starting);
        spawn_local(self.build(generation, false));
    }

    /// Resets and starts training once the source is ready.
    pub fn reset_and_play(self) {
        let generation = {
            let inner = self.inner();
            let mut inner = inner.borrow_mut();
            inner.generation += 1;
            inner.trainer = None;
            inner.pending = None;
            inner.generation
        };
        self.history.set(Arc::default());
        self.eval.set(None);
        self.message.set(None);
        self.status.set(RunStatus::Starting);
        spawn_local(self.build(generation, true));
    }

    async fn build(self, generation: u64, autoplay: bool) {
        let settings = self.settings.get_untracked();
        let source: Result<Box<dyn ActivationSource>, String> = match &settings.source {
            SourceKind::Toy => {
                // Train the toy model in slices so that the page stays responsive.
                let cfg = settings.toy_config();
                match CpuTrainer::new(cfg.clone()) {
                    Ok(mut toy) => {
                        let mut failed = None;
                        while toy.state().step < cfg.steps {
                            let k = 100.min(cfg.steps - toy.state().step);
                            if let Err(e) = toy.run_steps(k) {
                                failed = Some(e.to_string());
                                break;
                            }
                            yield_task().await;
                            if self.inner().borrow().generation != generation {
                                return;
                            }
                        }
                        match failed {
                            Some(e) => Err(e),
                            None => Ok(
                                Box::new(ToySource::new(&cfg, toy.state(), 0, settings.seed))
                                    as Box<dyn ActivationSource>,
                            ),
                        }
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
            SourceKind::File(name) => match self.inner().borrow().file.clone() {
                Some(file) => Ok(Box::new(FileSource::new(
                    file.as_ref().clone(),
                    settings.seed,
                    name.clone(),
                )) as Box<dyn ActivationSource>),
                None => Err(format!("{name}: pick the activation file again")),
            },
            SourceKind::Synthetic => settings.build_source(),
        };
        if self.inner().borrow().generation != generation {
            return;
        }
        let source = match source {
            Ok(s) => s,
            Err(e) => {
                self.fail(e);
                return;
            }
        };
        self.source_label.set(source.describe());
        let truth = source.ground_truth().map(|t| Arc::new(t.to_vec()));
        let cfg = settings.to_config(source.d_in() as u32);
        let host = match SaeTrainer::new(cfg, source) {
            Ok(h) => h,
            Err(e) => {
                self.fail(e.to_string());
                return;
            }
        };
        let trainer = self.on_backend(host);
        self.backend.set(Some(trainer.backend()));
        let snapshot = SaeSnapshot {
            state: trainer.host().state().clone(),
            stats: Vec::new(),
            resamples: Vec::new(),
        };
        {
            let inner = self.inner();
            let mut inner = inner.borrow_mut();
            inner.truth = truth;
            inner.trainer = Some(trainer);
            inner.last_mmcs_ms = 0.0;
        }
        self.show(&snapshot, true);
        self.status.set(RunStatus::Paused);
        if autoplay {
            self.play();
        }
    }

    /// The trainer for `host` on the backend the app and the user allow; the CPU if the GPU
    /// cannot take the run (with a notice).
    fn on_backend(self, host: SaeTrainer) -> SaeBackendTrainer {
        let ctx = if self.prefer_cpu.get_untracked() {
            None
        } else {
            compute::gpu_context()
        };
        let Some(ctx) = ctx else {
            return SaeBackendTrainer::Cpu(host);
        };
        match GpuSaeTrainer::new(&ctx, host.config().clone(), host.state()) {
            Ok(gpu) => SaeBackendTrainer::Gpu { host, gpu },
            Err(e) => {
                self.message.set(Some((
                    Severity::Info,
                    format!("The GPU could not take this run ({e}); training on the CPU."),
                )));
                SaeBackendTrainer::Cpu(host)
            }
        }
    }

    /// Moves the run to the other backend at the current state.
    pub fn switch_backend(self, prefer_cpu: bool) {
        self.prefer_cpu.set(prefer_cpu);
        let was_running = self.status.get_untracked() == RunStatus::Running;
        let inner = self.inner();
        let taken = {
            let mut inner = inner.borrow_mut();
            inner.generation += 1;
            inner.trainer.take()
        };
        let Some(trainer) = taken else {
            // Still building: the new preference applies when it is done.
            return;
        };
        let moved = self.on_backend(trainer.into_cpu());
        self.backend.set(Some(moved.backend()));
        inner.borrow_mut().trainer = Some(moved);
        if was_running {
            self.status.set(RunStatus::Paused);
            self.play();
        }
    }

    pub fn play(self) {
        match self.status.get_untracked() {
            RunStatus::Running | RunStatus::Failed | RunStatus::Starting => return,
            RunStatus::Done => {
                self.reset_and_play();
                return;
            }
            RunStatus::Paused => {}
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

    pub fn step_once(self) {
        if self.status.get_untracked() != RunStatus::Paused {
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

    /// Publishes a snapshot to the plots. MMCS and the matching are recomputed at most five
    /// times a second (or when `force`).
    fn show(self, snap: &SaeSnapshot, force: bool) {
        let inner = self.inner();
        let (cfg, truth, last_mmcs) = {
            let i = inner.borrow();
            let Some(t) = i.trainer.as_ref() else { return };
            (
                Arc::new(t.config().clone()),
                i.truth.clone(),
                i.last_mmcs_ms,
            )
        };
        let l = Layout::new(&cfg);
        let n = cfg.n();
        let learned = normalized_rows(&snap.state.params[l.w_dec..l.b_dec], n);
        let step = snap.state.step;
        let alive: Vec<bool> = (0..snap.state.last_fired.len())
            .map(|i| !snap.state.is_dead(i, cfg.dead_window))
            .collect();
        let densities: Vec<f64> = if snap.state.densities.is_empty() {
            let inputs = snap.state.window_inputs.max(1) as f64;
            snap.state
                .window_fired
                .iter()
                .map(|c| *c as f64 / inputs)
                .collect()
        } else {
            snap.state.densities.clone()
        };
        let previous = self.view.get_untracked();
        let now = now_ms();
        // Comparing with the ground truth costs `t * s * n` multiply-adds per direction: live
        // (at most five times a second) for small runs, only when the run stops for large
        // ones, never beyond what a page can do without freezing.
        let cost = truth
            .as_ref()
            .map_or(0, |t| t.len() / n.max(1) * learned.len());
        let due = if cost <= LIVE_COMPARE_BUDGET {
            force || now - last_mmcs > 200.0
        } else {
            force && cost <= FINAL_COMPARE_BUDGET
        };
        let (m_fwd, m_rev, matching) = match (&truth, due) {
            (Some(t), true) => {
                inner.borrow_mut().last_mmcs_ms = now;
                let pairs = (t.len() / n.max(1)) * (learned.len() / n.max(1));
                (
                    Some(mmcs(t, &learned, n)),
                    Some(mmcs(&learned, t, n)),
                    Arc::new(if pairs <= MATCHING_PAIRS_MAX {
                        greedy_matching(t, &learned, n)
                    } else {
                        Vec::new()
                    }),
                )
            }
            _ => previous.as_ref().map_or((None, None, Arc::default()), |v| {
                (v.mmcs, v.mmcs_reverse, Arc::clone(&v.matching))
            }),
        };
        if let Some(m) = m_fwd
            && step > 0
        {
            let rev = f64::from(m_rev.unwrap_or(0.0));
            self.history.update_untracked(|h| {
                let h = Arc::make_mut(h);
                if h.mmcs.last().is_none_or(|(s, _, _)| *s < f64::from(step)) {
                    h.mmcs.push((f64::from(step), f64::from(m), rev));
                    if h.mmcs.len() > HISTORY_MAX {
                        h.mmcs = h.mmcs.iter().step_by(2).copied().collect();
                    }
                }
            });
        }
        let view = SaeView {
            step,
            cfg,
            learned: Arc::new(learned),
            truth,
            alive: Arc::new(alive),
            histogram: Arc::new(density_histogram(&densities)),
            mmcs: m_fwd,
            mmcs_reverse: m_rev,
            matching,
            last: snap.stats.last().copied().or(previous.and_then(|v| v.last)),
        };
        self.history.notify();
        self.view.set(Some(Arc::new(view)));
    }

    fn record(self, snap: SaeSnapshot, show: bool) {
        self.history.update_untracked(|h| {
            let h = Arc::make_mut(h);
            h.push(&snap.stats);
            h.resamples.extend_from_slice(&snap.resamples);
        });
        if show {
            self.inner().borrow_mut().pending = None;
            self.show(&snap, false);
        } else {
            self.inner().borrow_mut().pending = Some(snap);
        }
    }

    fn flush(self) {
        let pending = self.inner().borrow_mut().pending.take();
        if let Some(snap) = pending {
            self.show(&snap, true);
        }
    }

    /// A lost or failing GPU: continue on the CPU from the last completed advance.
    fn recover_from_device(self, trainer: SaeBackendTrainer, detail: &str) {
        compute::mark_lost(self.compute, detail.to_owned());
        let host = trainer.into_cpu();
        let step = host.state().step;
        self.inner().borrow_mut().trainer = Some(SaeBackendTrainer::Cpu(host));
        self.backend.set(Some(BackendKind::Cpu));
        self.message.set(Some((
            Severity::Info,
            format!(
                "The GPU stopped working ({detail}). Training resumed on the CPU from step {step}."
            ),
        )));
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
                if step >= total {
                    let eval = trainer.evaluate(4);
                    self.eval.set(Some(eval));
                }
                inner.borrow_mut().trainer = Some(trainer);
                self.flush();
                self.status.set(if step >= total {
                    RunStatus::Done
                } else {
                    RunStatus::Paused
                });
                return;
            }
            let cap = match SAE_SPEEDS[self.speed.get_untracked().min(SAE_SPEEDS.len() - 1)] {
                0 => u32::MAX,
                c => c,
            };
            let mut want = (total - step).min(cap);
            if let Some(l) = limit {
                want = want.min(l - done_here);
            }
            let gpu = trainer.backend() == BackendKind::Gpu;
            let k = {
                let i = inner.borrow();
                want.min(if gpu { i.gpu_steps } else { i.cpu_steps })
            };
            let t0 = now_ms();
            let result = trainer.advance(k).await;
            let elapsed = now_ms() - t0;
            measure("sae-train", t0, elapsed);
            if inner.borrow().generation != generation {
                return;
            }
            match result {
                Ok(snap) => {
                    inner.borrow_mut().trainer = Some(trainer);
                    let done = snap.stats.len() as u32;
                    done_here += done;
                    {
                        // CPU slices near 10 ms; GPU submissions near 15-40 ms.
                        let mut i = inner.borrow_mut();
                        if done >= k && k > 0 {
                            if gpu {
                                if elapsed < 15.0 {
                                    i.gpu_steps = (i.gpu_steps * 2).min(256);
                                } else if elapsed > 40.0 {
                                    i.gpu_steps = (i.gpu_steps / 2).max(1);
                                }
                            } else {
                                let per_step = elapsed / f64::from(done.max(1));
                                let target = (10.0 / per_step.max(0.01)).clamp(1.0, 4096.0);
                                let current = f64::from(i.cpu_steps);
                                i.cpu_steps =
                                    target.clamp(current / 2.0, current * 2.0).max(1.0) as u32;
                            }
                        }
                    }
                    let t1 = now_ms();
                    let finished = snap.state.step >= total;
                    let show = t1 - last_shown > 33.0 || limit.is_some() || finished;
                    if show {
                        last_shown = t1;
                    }
                    self.record(snap, show);
                    measure("sae-apply", t1, now_ms() - t1);
                }
                Err(SaeTrainError::Device(detail)) => {
                    self.recover_from_device(trainer, &detail);
                    continue;
                }
                Err(e) => {
                    inner.borrow_mut().trainer = Some(trainer);
                    self.flush();
                    self.fail(e.to_string());
                    return;
                }
            }
            if let Some(rate) = rate.update(self.view.get_untracked().map_or(0, |v| v.step)) {
                self.steps_per_second.set(rate);
            }
            pace(&mut last_paint, cap != u32::MAX).await;
        }
    }

    /// The run as `polytope sae --json` reports it, from the end-of-run evaluation when there
    /// is one and from the live numbers otherwise.
    pub fn report(self) -> Option<SaeReport> {
        let view = self.view.get_untracked()?;
        let backend = self
            .backend
            .get_untracked()
            .map_or("none", BackendKind::name);
        let history = self.history.get_untracked();
        let eval = self.eval.get_untracked().unwrap_or_else(|| {
            let last = view.last.unwrap_or(StepStats {
                step: 0,
                loss: 0.0,
                recon: 0.0,
                sparsity: 0.0,
                aux: 0.0,
                mse: 0.0,
                explained_variance: 0.0,
                l0: 0.0,
                l1: 0.0,
                dead_fraction: 0.0,
            });
            SaeEval {
                mse: last.mse,
                nmse: 1.0 - last.explained_variance,
                explained_variance: last.explained_variance,
                l0: last.l0,
                l1: last.l1,
                dead_fraction: last.dead_fraction,
                dead: view.histogram.first().copied().unwrap_or(0),
                density_histogram: view.histogram.as_ref().clone(),
                mmcs: view.mmcs,
                mmcs_reverse: view.mmcs_reverse,
            }
        });
        Some(SaeReport::new(
            &view.cfg,
            &self.source_label.get_untracked(),
            backend,
            view.step,
            &eval,
            history.resamples.clone(),
        ))
    }

    /// The learned decoder directions, one latent per row, as CSV.
    pub fn decoder_csv(self) -> Option<String> {
        let inner = self.inner();
        let inner = inner.borrow();
        let t = inner.trainer.as_ref()?;
        let cfg = t.config();
        let l = Layout::new(cfg);
        let mut out = String::new();
        for row in t.host().state().params[l.w_dec..l.b_dec].chunks(cfg.n()) {
            let cells: Vec<String> = row.iter().map(ToString::to_string).collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        Some(out)
    }
}

/// Builds the source and the trainer once the backend is known; trains if `autoplay`.
pub fn start_when_ready(run: SaeRun, autoplay: bool) {
    once_backend_known(move || {
        if autoplay {
            run.reset_and_play();
        } else {
            run.reset();
        }
    });
}
