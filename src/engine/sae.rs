//! Sparse autoencoders on the run engine (`/sae` and the tour): the data source, built
//! without blocking the page, the trainer on the chosen backend, and what the plots read.
//!
//! The `lm` source fetches the shipped model, tokenizer and text sample through the feature
//! browser's loader (`features_data`: sizes and checksums checked, cached offline), runs the
//! model window by window with a yield in between (`polytope_core::lm::sample`), keeps the
//! sampled rows for every later run of the page, and trains on them like a file; the
//! dictionary is compared with the shipped one of the closest size (MMCS both ways).

use std::sync::Arc;

use leptos::prelude::*;
use polytope_core::lm::model::LmModel;
use polytope_core::lm::sample::{
    self as lm_sample, ActivationSampler, LAB_MODEL, SampleSpec, closest_dictionary, compare_cost,
    mmcs_both, shipped_directions,
};
use polytope_core::sae::{
    ActivationFile, ActivationSource, FileSource, Layout, SaeConfig, SaeEval, SaeReport,
    SaeSettings, SaeSnapshot, SaeTrainer, SettingError, SourceKind, StepStats, ToySource,
    density_histogram, greedy_matching, mmcs, normalized_rows,
};
use polytope_core::tms::CpuTrainer;
use polytope_gpu::{BackendKind, GpuContext, SaeBackendError, SaeBackendTrainer};

use super::history::Thinned;
use super::{Built, Diagnosis, Failure, Run, Trainer, Workload};
use crate::browser::{measure, now_ms, yield_task};
use crate::features_data as data;
use crate::i18n::Key;

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
    pub stats: Thinned<StepStats>,
    pub mmcs: Vec<(f64, f64, f64)>,
    /// `(step, lab -> shipped, shipped -> lab)` for the `lm` source.
    pub shipped: Vec<(f64, f64, f64)>,
    pub resamples: Vec<(u32, u32)>,
    stride: u32,
}

const HISTORY_MAX: usize = 2000;

impl SaeHistory {
    fn push(&mut self, stats: &[StepStats]) {
        for s in stats {
            self.stats.push(s.step + 1, *s);
        }
    }

    /// `(step, value)` of one field of the stats.
    pub fn series(&self, f: impl Fn(&StepStats) -> f32) -> Vec<(f64, f64)> {
        self.stats.series(|s| f64::from(f(s)))
    }

    /// Whether any kept row has `f` above zero (a loss term the variant uses).
    pub fn any(&self, f: impl Fn(&StepStats) -> f32) -> bool {
        self.stats.iter().any(|(_, s)| f(s) > 0.0)
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

/// What pages read and set.
#[derive(Clone, Copy)]
pub struct SaeData {
    pub settings: RwSignal<SaeSettings>,
    pub setting_errors: RwSignal<Vec<SettingError>>,
    pub view: RwSignal<Option<Arc<SaeView>>>,
    pub history: RwSignal<Arc<SaeHistory>>,
    /// The held-out evaluation at the end of the run.
    pub eval: RwSignal<Option<SaeEval>>,
    /// What the source is, in words (for reports).
    pub source_label: RwSignal<String>,
    /// The `lm` source's progress and activations.
    pub lm: RwSignal<LmState>,
}

/// The SAE workload: the state behind the signals.
pub struct SaeWorkload {
    truth: Option<Arc<Vec<f32>>>,
    /// The activation file the visitor picked, for the file source.
    file: Option<Arc<ActivationFile>>,
    /// The `lm` source's activations once computed (and the work until then).
    lm: Option<(Arc<ActivationFile>, LmActivations)>,
    lm_work: Option<LmWork>,
    shipped: Option<Shipped>,
    /// The step of the last comparison with the shipped dictionary.
    last_shipped_step: Option<u32>,
    last_mmcs_ms: f64,
    pending: Option<SaeSnapshot>,
}

/// An SAE run.
pub type SaeRun = Run<SaeWorkload>;

/// What an SAE trainer's error means for the loop.
fn failure(e: SaeBackendError) -> Failure {
    super::classify(e)
}

impl Trainer for SaeBackendTrainer {
    type Snapshot = SaeSnapshot;
    /// Training steps per CPU slice.
    const CPU_UNITS: (u64, u64, u64) = (1, 4, 4096);

    fn backend(&self) -> BackendKind {
        SaeBackendTrainer::backend(self)
    }

    fn step(&self) -> u32 {
        SaeBackendTrainer::step(self)
    }

    async fn advance(
        &mut self,
        steps: u32,
        cpu_units: u64,
    ) -> Result<Option<SaeSnapshot>, Failure> {
        let k = if SaeBackendTrainer::backend(self) == BackendKind::Gpu {
            steps
        } else {
            steps.min(u32::try_from(cpu_units).unwrap_or(u32::MAX))
        };
        SaeBackendTrainer::advance(self, k)
            .await
            .map(Some)
            .map_err(failure)
    }

    fn steps_in(snapshot: &SaeSnapshot) -> u32 {
        snapshot.stats.len() as u32
    }
}

/// `trainer`'s run on `ctx`, or on the CPU (with the reason) when the device cannot hold it.
fn on_backend(
    mut trainer: SaeBackendTrainer,
    ctx: Option<&GpuContext>,
) -> Built<SaeBackendTrainer> {
    // On an error the run stays on the CPU, ready to continue there.
    let gpu_refused = trainer.move_to(ctx).err().map(|e| e.to_string());
    Built {
        trainer,
        gpu_refused,
    }
}

impl SaeWorkload {
    /// Publishes a snapshot to the plots. MMCS and the matching are recomputed at most five
    /// times a second (or when `force`).
    fn show(&mut self, data: &SaeData, cfg: &SaeConfig, snap: &SaeSnapshot, force: bool) {
        let cfg = Arc::new(cfg.clone());
        let truth = self.truth.clone();
        let last_mmcs = self.last_mmcs_ms;
        let shipped = self
            .shipped
            .as_ref()
            .map(|s| (s.dict.clone(), Arc::clone(&s.rows)));
        let last_shipped = self.last_shipped_step;
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
        let previous = data.view.get_untracked();
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
                self.last_mmcs_ms = now;
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
            data.history.update_untracked(|h| {
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
                    self.last_shipped_step = Some(step);
                    let (fwd, rev) = mmcs_both(&learned, &rows, n);
                    data.history.update_untracked(|h| {
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
        data.history.notify();
        data.view.set(Some(Arc::new(view)));
    }
}

impl Workload for SaeWorkload {
    type Trainer = SaeBackendTrainer;
    type Signals = SaeData;

    fn total_steps(&self, data: &SaeData) -> u32 {
        data.settings.with_untracked(|s| s.steps)
    }

    async fn prepare(
        run: Run<Self>,
        generation: u64,
        ctx: Option<GpuContext>,
    ) -> Result<Built<SaeBackendTrainer>, Failure> {
        let data = run.data;
        data.history.set(Arc::default());
        data.eval.set(None);
        run.update_workload(|w| w.pending = None);
        let settings = data.settings.get_untracked();
        let source = run.source(generation, &settings).await;
        if !run.is_current(generation) {
            return Err(Failure::Stop("superseded".into()));
        }
        let source = source.map_err(|e| {
            if settings.source == SourceKind::Lm {
                run.set_progress(None);
                Failure::Stop(format!("{} {e}", run.text(Key::SaeLmDataError)))
            } else {
                Failure::Stop(e)
            }
        })?;
        let shipped = if settings.source == SourceKind::Lm {
            Some(run.load_shipped(settings.d_sae).await)
        } else {
            None
        };
        if !run.is_current(generation) {
            return Err(Failure::Stop("superseded".into()));
        }
        let shipped = match shipped {
            Some(Ok(s)) => Some(s),
            Some(Err(e)) => {
                let prefix = run.text(Key::SaeShippedUnavailable);
                run.message
                    .set(Some((super::Severity::Info, format!("{prefix} {e}"))));
                None
            }
            None => None,
        };
        data.source_label.set(source.describe());
        let truth = source.ground_truth().map(|t| Arc::new(t.to_vec()));
        let cfg = settings.to_config(source.d_in() as u32);
        crate::limits::check_sae(&cfg, run.lang())?;
        let host = SaeTrainer::new(cfg, source).map_err(|e| Failure::Stop(e.to_string()))?;
        let built = on_backend(SaeBackendTrainer::on_cpu(host), ctx.as_ref());
        let snapshot = SaeSnapshot {
            state: built.trainer.host().state().clone(),
            stats: Vec::new(),
            resamples: Vec::new(),
        };
        let cfg = built.trainer.config().clone();
        run.update_workload(|w| {
            w.truth = truth;
            w.last_mmcs_ms = 0.0;
            w.shipped = shipped;
            w.last_shipped_step = None;
            w.show(&data, &cfg, &snapshot, true);
        });
        Ok(built)
    }

    fn record(
        &mut self,
        data: &SaeData,
        trainer: &SaeBackendTrainer,
        snap: SaeSnapshot,
        show: bool,
    ) {
        data.history.update_untracked(|h| {
            let h = Arc::make_mut(h);
            h.push(&snap.stats);
            h.resamples.extend_from_slice(&snap.resamples);
        });
        if show {
            self.pending = None;
            self.show(data, trainer.config(), &snap, false);
        } else {
            self.pending = Some(snap);
        }
    }

    fn flush(&mut self, data: &SaeData, trainer: &SaeBackendTrainer) {
        if let Some(snap) = self.pending.take() {
            self.show(data, trainer.config(), &snap, true);
        }
    }

    fn rebuild(
        &mut self,
        old: SaeBackendTrainer,
        ctx: Option<&GpuContext>,
    ) -> Result<Built<SaeBackendTrainer>, Failure> {
        // The host always holds the state of the last completed advance (the last snapshot).
        Ok(on_backend(old, ctx))
    }

    fn finish(&mut self, data: &SaeData, trainer: &mut SaeBackendTrainer) {
        data.eval.set(Some(trainer.evaluate(4)));
    }

    fn diagnose(&self, data: &SaeData) -> Option<Diagnosis> {
        let eval = data.eval.get_untracked()?;
        let d_in = data
            .view
            .with_untracked(|v| v.as_ref().map(|v| v.cfg.d_in))?;
        diagnose_sae(&eval, d_in)
    }
}

/// Thresholds of the SAE diagnoses (docs/robustness.md says where they come from).
pub mod thresholds {
    /// Explained variance below this with L0 below [`COLLAPSED_L0`]: the dictionary collapsed.
    pub const COLLAPSED_EV: f32 = 0.1;
    pub const COLLAPSED_L0: f32 = 1.0;
    /// More than this fraction of latents dead.
    pub const DEAD_FRACTION: f32 = 0.5;
    /// L0 above this fraction of the input size: the code is not sparse.
    pub const DENSE_L0_FRACTION: f32 = 0.5;
}

/// What looks wrong with an SAE's held-out evaluation, if anything.
pub fn diagnose_sae(eval: &SaeEval, d_in: u32) -> Option<Diagnosis> {
    use thresholds::{COLLAPSED_EV, COLLAPSED_L0, DEAD_FRACTION, DENSE_L0_FRACTION};
    let pct = |v: f32| format!("{:.0} %", 100.0 * v);
    if eval.explained_variance < COLLAPSED_EV && eval.l0 < COLLAPSED_L0 {
        return Some(Diagnosis {
            code: "sae-collapsed",
            key: Key::DiagSaeCollapsed,
            values: vec![
                format!("{:.2}", eval.explained_variance),
                format!("{:.2}", eval.l0),
            ],
        });
    }
    if eval.dead_fraction > DEAD_FRACTION {
        return Some(Diagnosis {
            code: "sae-dead",
            key: Key::DiagSaeDead,
            values: vec![pct(eval.dead_fraction)],
        });
    }
    if eval.l0 > DENSE_L0_FRACTION * d_in as f32 {
        return Some(Diagnosis {
            code: "sae-dense",
            key: Key::DiagSaeDense,
            values: vec![format!("{:.1}", eval.l0), d_in.to_string()],
        });
    }
    None
}

impl SaeRun {
    pub fn for_settings(
        settings: SaeSettings,
        errors: Vec<SettingError>,
        prefer_cpu: bool,
    ) -> Self {
        let data = SaeData {
            settings: RwSignal::new(settings),
            setting_errors: RwSignal::new(errors),
            view: RwSignal::new(None),
            history: RwSignal::new(Arc::default()),
            eval: RwSignal::new(None),
            source_label: RwSignal::new(String::new()),
            lm: RwSignal::new(LmState::default()),
        };
        let workload = SaeWorkload {
            truth: None,
            file: None,
            lm: None,
            lm_work: None,
            shipped: None,
            last_shipped_step: None,
            last_mmcs_ms: 0.0,
            pending: None,
        };
        Run::new(workload, data, prefer_cpu)
    }

    /// Shows the `lm` source's progress (nothing once the page has left).
    fn set_progress(self, progress: Option<LmProgress>) {
        self.data.lm.try_update(|l| l.progress = progress);
    }

    /// Uses an activation file the visitor picked (already decoded and checked).
    pub fn use_file(self, name: String, file: ActivationFile) {
        let d_in = file.d_in as u32;
        self.update_workload(|w| w.file = Some(Arc::new(file)));
        self.data.settings.update(|s| {
            s.source = SourceKind::File(name);
            s.d_in = d_in;
        });
        // Picking a file asks for training on it, whether or not the last run had finished.
        self.restart(true);
    }

    /// Applies new settings: restart, training on if it was (or was refused while asked to).
    pub fn restart_with(self, settings: SaeSettings) {
        let train_on = self.training_wanted();
        self.data.settings.set(settings);
        self.restart(train_on);
    }

    /// The data source for `settings`, built without blocking the page.
    async fn source(
        self,
        generation: u64,
        settings: &SaeSettings,
    ) -> Result<Box<dyn ActivationSource>, String> {
        match &settings.source {
            SourceKind::Toy => {
                // Train the toy model in slices so that the page stays responsive.
                let cfg = settings.toy_config();
                let mut toy = CpuTrainer::new(cfg.clone()).map_err(|e| e.to_string())?;
                while toy.state().step < cfg.steps {
                    let k = 100.min(cfg.steps - toy.state().step);
                    toy.run_steps(k).map_err(|e| e.to_string())?;
                    yield_task().await;
                    if !self.is_current(generation) {
                        return Err("superseded".into());
                    }
                }
                Ok(Box::new(ToySource::new(
                    &cfg,
                    toy.state(),
                    0,
                    settings.seed,
                )))
            }
            SourceKind::File(name) => match self.with_workload(|w| w.file.clone()) {
                Some(file) => Ok(Box::new(FileSource::new(
                    file.as_ref().clone(),
                    settings.seed,
                    name.clone(),
                ))),
                None => Err(format!("{name}: pick the activation file again")),
            },
            SourceKind::Lm => self.lm_source(generation, settings.seed).await,
            SourceKind::Synthetic => settings.build_source(),
        }
    }

    /// The `lm` source: the shipped model's MLP activations on the shipped text sample,
    /// computed once per page (a few windows per slice, yielding in between) and reused.
    async fn lm_source(
        self,
        generation: u64,
        seed: u32,
    ) -> Result<Box<dyn ActivationSource>, String> {
        let stale = || !self.is_current(generation);
        let cached = self.with_workload(|w| w.lm.clone());
        let (file, info) = if let Some(done) = cached {
            done
        } else {
            if self.with_workload(|w| w.lm_work.is_none()) {
                let work = self.lm_prepare().await?;
                self.update_workload(|w| {
                    if w.lm_work.is_none() && w.lm.is_none() {
                        w.lm_work = Some(work);
                    }
                });
            }
            let mut per_slice = 1usize;
            loop {
                if stale() {
                    return Err("superseded".into());
                }
                let progress = self.update_workload(|i| {
                    let work = i.lm_work.as_mut()?;
                    if work.sampler.is_done() {
                        return None;
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
                    Some(work.sampler.progress())
                });
                let Some(progress) = progress else {
                    break;
                };
                self.set_progress(Some(LmProgress::Computing(progress)));
                yield_task().await;
            }
            self.update_workload(|i| {
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
            })
            .ok_or_else(|| "the activations were lost".to_owned())?
        };
        self.data.lm.update(|l| {
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

    /// The run as `polytope sae --json` reports it, from the end-of-run evaluation when there
    /// is one and from the live numbers otherwise.
    pub fn report(self) -> Option<SaeReport> {
        let view = self.data.view.get_untracked()?;
        let backend = self
            .backend
            .get_untracked()
            .map_or("none", BackendKind::name);
        let history = self.data.history.get_untracked();
        let eval = self.data.eval.get_untracked().unwrap_or_else(|| {
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
            &self.data.source_label.get_untracked(),
            backend,
            view.step,
            &eval,
            history.resamples.clone(),
        ))
    }

    /// The learned decoder directions, one latent per row, as CSV.
    pub fn decoder_csv(self) -> Option<String> {
        self.with_trainer(|t| {
            let cfg = t.config();
            let l = Layout::new(cfg);
            let mut out = String::new();
            for row in t.host().state().params[l.w_dec..l.b_dec].chunks(cfg.n()) {
                let cells: Vec<String> = row.iter().map(ToString::to_string).collect();
                out.push_str(&cells.join(","));
                out.push('\n');
            }
            out
        })
    }
}
