//! A live SAE training session for `/sae`: settings, the data source (built without blocking
//! the page), the trainer on the chosen backend, the loop, the history the plots read, and
//! recovery from a lost GPU or a diverging run.
//!
//! The `lm` source fetches the shipped model, tokenizer and text sample through the feature
//! browser's loader (`features_data`: sizes and checksums checked, cached offline), runs the
//! model window by window with a yield in between (`polytope_core::lm::sample`), keeps the
//! sampled rows for every later run of the page, and trains on them like a file; the
//! dictionary is compared with the shipped one of the closest size (MMCS both ways).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use polytope_core::lm::model::LmModel;
use polytope_core::lm::sample::{
    self as lm_sample, ActivationSampler, LAB_MODEL, SampleSpec, closest_dictionary, compare_cost,
    mmcs_both, shipped_directions,
};
use polytope_core::sae::{
    ActivationFile, ActivationSource, FileSource, Layout, SaeConfig, SaeEval, SaeReport,
    SaeSettings, SaeSnapshot, SaeTrainError, SaeTrainer, SettingError, SourceKind, StepStats,
    ToySource, density_histogram, greedy_matching, mmcs, normalized_rows,
};
use polytope_core::tms::CpuTrainer;
use polytope_gpu::{BackendKind, GpuSaeTrainer, SaeBackendTrainer};

use crate::compute::{self, ComputeStatus};
use crate::features_data as data;
use crate::i18n::{I18n, Key, use_i18n};
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
    /// The comparison with the shipped dictionary (`lm` source), when made.
    pub shipped: Option<ShippedMmcs>,
}

/// The lab's dictionary against a shipped one.
#[derive(Clone, Debug, PartialEq)]
pub struct ShippedMmcs {
    /// The shipped dictionary's id (`a-512`).
    pub dict: String,
    /// The step the numbers were computed at.
    pub step: u32,
    /// Lab -> shipped: the mean over the lab's latents of the best cosine with a shipped one.
    pub mmcs: Option<f32>,
    /// Shipped -> lab.
    pub reverse: Option<f32>,
}

/// Where the `lm` source is while it prepares its data.
#[derive(Clone, Debug, PartialEq)]
pub enum LmProgress {
    /// Fetching a file of the data directory.
    Loading(String),
    Tokenizing,
    /// Running the model: the fraction of the windows done.
    Computing(f64),
}

/// The `lm` source's state as the page shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LmState {
    /// Preparing the data (`None` when idle).
    pub progress: Option<LmProgress>,
    /// The activations, once computed.
    pub activations: Option<LmActivations>,
}

/// How the `lm` source's activations were made.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LmActivations {
    pub rows: usize,
    pub windows: usize,
    pub tokens: usize,
    /// Milliseconds from the first window to the last (the model in wasm).
    pub compute_ms: f64,
}

/// Per-step numbers, thinned as they grow (at most about 2,000 rows), and MMCS over steps.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SaeHistory {
    pub stats: Vec<StepStats>,
    pub mmcs: Vec<(f64, f64, f64)>,
    /// `(step, lab -> shipped, shipped -> lab)` for the `lm` source.
    pub shipped: Vec<(f64, f64, f64)>,
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
/// Multiply-adds of the comparison with the shipped dictionary: live (every
/// `SHIPPED_EVERY` steps) up to 512 x 512 latents, at the end up to 2048 x 2048.
const SHIPPED_LIVE_BUDGET: usize = 200_000_000;
const SHIPPED_FINAL_BUDGET: usize = 2_200_000_000;
const SHIPPED_EVERY: u32 = 250;
/// Target length of one slice of the model's windows.
const LM_SLICE_MS: f64 = 25.0;

/// The shipped dictionary the run is compared with.
struct Shipped {
    dict: String,
    /// Unit decoder rows `[d_sae, d_in]`.
    rows: Arc<Vec<f32>>,
}

/// The `lm` source's work in progress (kept across runs, so a changed setting resumes it).
struct LmWork {
    sampler: ActivationSampler,
    model: Arc<LmModel>,
    tokens: usize,
    compute_ms: f64,
}

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
    /// The `lm` source's activations once computed (and the work until then).
    lm: Option<(Arc<ActivationFile>, LmActivations)>,
    lm_work: Option<LmWork>,
    shipped: Option<Shipped>,
    /// The step of the last comparison with the shipped dictionary.
    last_shipped_step: Option<u32>,
    /// The interface language, for messages.
    i18n: I18n,
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
    /// The `lm` source's progress and activations.
    pub lm: RwSignal<LmState>,
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
            lm: RwSignal::new(LmState::default()),
            compute: use_app().compute,
            inner: StoredValue::new_local(Rc::new(RefCell::new(Inner {
                trainer: None,
                generation: 0,
                cpu_steps: 4,
                gpu_steps: 4,
                truth: None,
                file: None,
                lm: None,
                lm_work: None,
                shipped: None,
                last_shipped_step: None,
                i18n: use_i18n(),
                last_mmcs_ms: 0.0,
                pending: None,
            }))),
        }
    }

    fn inner(self) -> Rc<RefCell<Inner>> {
        self.inner.get_value()
    }

    fn set_progress(self, progress: Option<LmProgress>) {
        self.lm.update(|l| l.progress = progress);
    }

    /// A text in the current language, for messages.
    fn text(self, key: Key) -> &'static str {
        let lang = self.inner().borrow().i18n.lang.get_untracked();
        crate::i18n::text(lang, key)
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
            SourceKind::Lm => self.lm_source(generation, settings.seed).await,
            SourceKind::Synthetic => settings.build_source(),
        };
        if self.inner().borrow().generation != generation {
            return;
        }
        let source = match source {
            Ok(s) => s,
            Err(e) => {
                if settings.source == SourceKind::Lm {
                    self.set_progress(None);
                    let prefix = self.text(Key::SaeLmDataError);
                    self.fail(format!("{prefix} {e}"));
                } else {
                    self.fail(e);
                }
                return;
            }
        };
        let shipped = if settings.source == SourceKind::Lm {
            match self.load_shipped(settings.d_sae).await {
                Ok(s) => Some(s),
                Err(e) => {
                    let prefix = self.text(Key::SaeShippedUnavailable);
                    self.message
                        .set(Some((Severity::Info, format!("{prefix} {e}"))));
                    None
                }
            }
        } else {
            None
        };
        if self.inner().borrow().generation != generation {
            return;
        }
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
            inner.shipped = shipped;
            inner.last_shipped_step = None;
        }
        self.show(&snapshot, true);
        self.status.set(RunStatus::Paused);
        if autoplay {
            self.play();
        }
    }

    /// The `lm` source: the shipped model's MLP activations on the shipped text sample,
    /// computed once per page (a few windows per slice, yielding in between) and reused.
    async fn lm_source(
        self,
        generation: u64,
        seed: u32,
    ) -> Result<Box<dyn ActivationSource>, String> {
        let inner = self.inner();
        let stale = || inner.borrow().generation != generation;
        let cached = inner.borrow().lm.clone();
        let (file, info) = if let Some(done) = cached {
            done
        } else {
            if inner.borrow().lm_work.is_none() {
                let work = self.lm_prepare().await?;
                if inner.borrow().lm_work.is_none() && inner.borrow().lm.is_none() {
                    inner.borrow_mut().lm_work = Some(work);
                }
            }
            let mut per_slice = 1usize;
            loop {
                if stale() {
                    return Err("superseded".into());
                }
                let progress = {
                    let mut i = inner.borrow_mut();
                    let Some(work) = i.lm_work.as_mut() else {
                        break;
                    };
                    if work.sampler.is_done() {
                        break;
                    }
                    let t0 = now_ms();
                    let ran = work.sampler.advance(&work.model, per_slice);
                    let elapsed = now_ms() - t0;
                    work.compute_ms += elapsed;
                    measure("sae-lm-windows", t0, elapsed);
                    if ran >= per_slice {
                        let per_window = elapsed / ran.max(1) as f64;
                        let target = (LM_SLICE_MS / per_window.max(0.1)).clamp(1.0, 64.0);
                        per_slice = (target as usize).clamp(per_slice / 2 + 1, per_slice * 2);
                    }
                    work.sampler.progress()
                };
                self.set_progress(Some(LmProgress::Computing(progress)));
                yield_task().await;
            }
            let mut i = inner.borrow_mut();
            if let Some(work) = i.lm_work.take() {
                let info = LmActivations {
                    rows: work.sampler.rows(),
                    windows: work.sampler.done(),
                    tokens: work.tokens,
                    compute_ms: work.compute_ms,
                };
                let file = Arc::new(work.sampler.finish(LAB_MODEL));
                i.lm = Some((Arc::clone(&file), info));
            }
            i.lm.clone()
                .ok_or_else(|| "the activations were lost".to_owned())?
        };
        self.lm.update(|l| {
            l.progress = None;
            l.activations = Some(info);
        });
        let description = lm_sample::describe(&file, LAB_MODEL);
        Ok(Box::new(
            FileSource::shared(file, seed, "lm").with_description(description),
        ))
    }

    /// Fetches the model, the tokenizer and the text sample and tokenizes the text.
    async fn lm_prepare(self) -> Result<LmWork, String> {
        let progress = |name: &str| {
            self.set_progress(Some(LmProgress::Loading(name.to_owned())));
        };
        progress("index.json");
        let index = data::index().await?;
        let entry = index
            .model(LAB_MODEL)
            .ok_or_else(|| format!("index.json lists no model {LAB_MODEL:?}"))?
            .clone();
        progress(&index.tokenizer.path);
        let tokenizer = data::tokenizer().await?;
        progress(&index.text_sample.path);
        let text = data::text_sample().await?;
        progress(&entry.file.path);
        let model = data::model(LAB_MODEL).await?;
        self.set_progress(Some(LmProgress::Tokenizing));
        yield_task().await;
        let tokens = tokenizer.encode(&text);
        let count = tokens.len();
        let sampler = ActivationSampler::new(&model.config, tokens, SampleSpec::default())
            .map_err(|e| format!("{}: {e}", index.text_sample.path))?;
        Ok(LmWork {
            sampler,
            model,
            tokens: count,
            compute_ms: 0.0,
        })
    }

    /// The shipped dictionary of the lab's model closest in size to `d_sae`, as unit rows.
    async fn load_shipped(self, d_sae: u32) -> Result<Shipped, String> {
        let index = data::index().await?;
        let entry = closest_dictionary(&index, LAB_MODEL, d_sae)
            .ok_or_else(|| format!("index.json lists no dictionary of model {LAB_MODEL}"))?
            .clone();
        self.set_progress(Some(LmProgress::Loading(format!(
            "{}/weights.bin",
            entry.id
        ))));
        let weights = data::weights(&entry.id).await;
        self.set_progress(None);
        let w = weights?;
        Ok(Shipped {
            dict: entry.id,
            rows: Arc::new(shipped_directions(&w)),
        })
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
        let (cfg, truth, last_mmcs, shipped, last_shipped) = {
            let i = inner.borrow();
            let Some(t) = i.trainer.as_ref() else { return };
            (
                Arc::new(t.config().clone()),
                i.truth.clone(),
                i.last_mmcs_ms,
                i.shipped
                    .as_ref()
                    .map(|s| (s.dict.clone(), Arc::clone(&s.rows))),
                i.last_shipped_step,
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
        let shipped = match shipped {
            Some((dict, rows)) => {
                let cost = compare_cost(learned.len() / n.max(1), rows.len() / n.max(1), n);
                // The end of the run counts as forced: its numbers are the ones reported.
                let force = force || step >= cfg.steps;
                let budget = if force {
                    SHIPPED_FINAL_BUDGET
                } else {
                    SHIPPED_LIVE_BUDGET
                };
                let due = last_shipped
                    .is_none_or(|last| step != last && (force || step >= last + SHIPPED_EVERY));
                if due && cost <= budget && rows.len() / n.max(1) > 0 {
                    inner.borrow_mut().last_shipped_step = Some(step);
                    let (fwd, rev) = mmcs_both(&learned, &rows, n);
                    self.history.update_untracked(|h| {
                        let h = Arc::make_mut(h);
                        if h.shipped
                            .last()
                            .is_none_or(|(s, _, _)| *s < f64::from(step))
                        {
                            h.shipped
                                .push((f64::from(step), f64::from(fwd), f64::from(rev)));
                        }
                    });
                    Some(ShippedMmcs {
                        dict,
                        step,
                        mmcs: Some(fwd),
                        reverse: Some(rev),
                    })
                } else {
                    previous
                        .as_ref()
                        .and_then(|v| v.shipped.clone())
                        .filter(|p| p.dict == dict)
                        .or(Some(ShippedMmcs {
                            dict,
                            step,
                            mmcs: None,
                            reverse: None,
                        }))
                }
            }
            None => None,
        };
        let view = SaeView {
            shipped,
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
