//! Tour widgets on the shipped language model: each runs the model (and a dictionary) in the
//! page over text, measures what its step is about, and shows it. The units they show come
//! from `index.json`'s highlights, never from ids written here, so a rebuilt data set keeps
//! the tour true.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use polytope_core::dict::{DataIndex, DictKind, SaeWeights, UnitScores};
use polytope_core::lm::analysis::sae_encode;
use polytope_core::lm::interp::{
    CONTROL_SEED, CONTROL_UNITS, Corpus as ScoreCorpus, MEASURES, MIN_ACTIVE, UNIVERSALITY,
    control_activations, dense_columns, random_directions, token_rule,
};
use polytope_core::lm::model::LmModel;
use polytope_core::lm::units::{
    self, best_correlations, distinct_top_tokens, median, standardised, top_positions,
};
use serde::Serialize;

use super::step;
use crate::browser::yield_task;
use crate::features_data::{self as data, ScoresOf, TokenTexts};
use crate::i18n::{Key, use_i18n};

/// The model the steps read (the dictionaries' model A) and the other one (universality).
const MODEL: &str = "A";
const OTHER: &str = "B";
/// Tokens per window: the models' context.
const WINDOW: usize = 64;
/// Windows of the text sample the neuron steps read.
const NEURON_WINDOWS: usize = 160;

/// The step's unit: a dictionary (or a model's neurons) and an index.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Unit {
    pub dict: String,
    pub index: u32,
}

/// The unit `index.json` highlights under `tag`.
pub fn highlight(index: &DataIndex, tag: &str) -> Result<Unit, String> {
    index
        .highlight(tag)
        .map(|h| Unit {
            dict: h.unit.dict.clone(),
            index: h.unit.index,
        })
        .ok_or_else(|| format!("index.json highlights no unit tagged {tag:?}"))
}

/// The neuron step 1 shows: the neuron the God feature reads most from (its "made of neurons"
/// list), so the step's neuron is one the later steps come back to.
async fn polysemantic_neuron(index: &DataIndex) -> Result<u32, String> {
    let god = highlight(index, "god")?;
    let detail = data::feature(&god.dict, god.index).await?;
    detail
        .neurons
        .first()
        .map(|n| u32::from(n.neuron))
        .ok_or_else(|| format!("{}/{} lists no neurons", god.dict, god.index))
}

/// Loads every file the language-model steps read (the index, tokenizer and text, both
/// models, the highlighted units and the dictionaries the steps encode with), so that a tour
/// prepared once runs without a network: each file passes its checksum and goes into the
/// offline cache as it arrives (`features_data`). `progress(done, total)` follows the files;
/// returns how many there were.
pub async fn preload(progress: impl Fn(usize, usize)) -> Result<usize, String> {
    let index = data::index().await?;
    let god = highlight(&index, "god")?;
    let m = data::manifest(&god.dict).await?;
    let detail = data::feature(&god.dict, god.index).await?;
    // The dictionaries the steps encode with: the God feature's, those it splits into, the
    // model's smallest (neurons against features) and the other model's match (universality).
    let mut dicts = vec![god.dict.clone()];
    dicts.extend(
        detail
            .splits
            .iter()
            .filter_map(|e| m.related.get(e.dict as usize).cloned()),
    );
    dicts.extend(
        index
            .dictionaries
            .iter()
            .filter(|d| d.model == MODEL)
            .min_by_key(|d| d.d_sae)
            .map(|d| d.id.clone()),
    );
    dicts.extend(m.match_dict.clone());
    let mut seen = std::collections::BTreeSet::new();
    dicts.retain(|d| seen.insert(d.clone()));
    // Files: tokenizer, token texts, text sample, evaluation tokens, two models, then a
    // manifest and weights per dictionary and every highlighted unit's details.
    let total = 6 + 2 * dicts.len() + index.highlights.len();
    let mut done = 0;
    let mut tick = || {
        done += 1;
        progress(done, total);
    };
    data::tokenizer().await?;
    tick();
    data::token_texts().await?;
    tick();
    data::text_sample().await?;
    tick();
    data::eval_tokens().await?;
    tick();
    for model in [MODEL, OTHER] {
        data::model(model).await?;
        tick();
    }
    for dict in &dicts {
        data::manifest(dict).await?;
        tick();
        data::weights(dict).await?;
        tick();
    }
    for h in &index.highlights {
        // Units of dictionaries the index lists (not of a model's neurons, which have none).
        if index.dictionaries.iter().any(|d| d.id == h.unit.dict) {
            data::feature(&h.unit.dict, h.unit.index).await?;
        }
        tick();
    }
    Ok(total)
}

/// The page a step's "explore" link opens.
pub fn explore_href(slug: &str) -> String {
    match slug {
        "polysemantic" | "god-feature" | "splitting" | "universality" => {
            crate::url::href("features")
        }
        _ => crate::url::href("sae?source=lm"),
    }
}

/// The tokens of the text sample, windowed, and what the page computed on them (kept while
/// the page is open, so moving between the language-model steps does not recompute).
struct Corpus {
    tokens: Vec<u16>,
    texts: Arc<TokenTexts>,
    /// MLP activations per model of the first windows: `[windows * WINDOW, d_mlp]`.
    acts: BTreeMap<String, Rc<Vec<f32>>>,
}

thread_local! {
    static CORPUS: RefCell<Option<Rc<RefCell<Corpus>>>> = const { RefCell::new(None) };
}

async fn corpus() -> Result<Rc<RefCell<Corpus>>, String> {
    if let Some(c) = CORPUS.with(|c| c.borrow().clone()) {
        return Ok(c);
    }
    let tokenizer = data::tokenizer().await?;
    let texts = data::token_texts().await?;
    let text = data::text_sample().await?;
    yield_task().await;
    let tokens = tokenizer.encode(&text);
    let c = Rc::new(RefCell::new(Corpus {
        tokens,
        texts,
        acts: BTreeMap::new(),
    }));
    CORPUS.with(|slot| *slot.borrow_mut() = Some(Rc::clone(&c)));
    Ok(c)
}

/// The MLP activations of `model` on the first `windows` windows, computed a few windows per
/// task so the page stays responsive; `progress` gets the fraction done.
async fn activations(
    model_id: &str,
    windows: usize,
    progress: impl Fn(f64),
) -> Result<(Rc<Vec<f32>>, Vec<u16>, Arc<LmModel>), String> {
    activations_of(model_id, Windows::First(windows), progress).await
}

/// Which windows of the text sample a step runs the model on.
enum Windows {
    /// The first `n`.
    First(usize),
    /// At most `n` windows that contain the token (the passages a reader would look up to see
    /// a token's feature at work).
    With(u16, usize),
}

/// The MLP activations of `model` on the chosen windows (see [`activations`]).
async fn activations_of(
    model_id: &str,
    windows: Windows,
    progress: impl Fn(f64),
) -> Result<(Rc<Vec<f32>>, Vec<u16>, Arc<LmModel>), String> {
    let c = corpus().await?;
    let model = data::model(model_id).await?;
    let d = model.config.d_mlp;
    let (key, tokens): (String, Vec<u16>) = {
        let c = c.borrow();
        match windows {
            Windows::First(n) => {
                let n = (n * WINDOW).min(c.tokens.len() / WINDOW * WINDOW);
                (format!("{model_id}/{n}"), c.tokens[..n].to_vec())
            }
            Windows::With(token, n) => (
                format!("{model_id}/with-{token}/{n}"),
                c.tokens
                    .chunks_exact(WINDOW)
                    .filter(|w| w.contains(&token))
                    .take(n)
                    .flatten()
                    .copied()
                    .collect(),
            ),
        }
    };
    if let Some(acts) = c.borrow().acts.get(&key) {
        return Ok((Rc::clone(acts), tokens, model));
    }
    if let Some(bad) = tokens.iter().find(|t| **t as usize >= model.config.vocab) {
        return Err(format!(
            "token {bad} is outside model {model_id}'s vocabulary"
        ));
    }
    let mut acts = Vec::with_capacity(tokens.len() * d);
    let total = tokens.len() / WINDOW;
    for (i, w) in tokens.chunks_exact(WINDOW).enumerate() {
        acts.extend(model.mlp_activations(w, 1, WINDOW));
        if i % 4 == 3 {
            progress((i + 1) as f64 / total.max(1) as f64);
            yield_task().await;
        }
    }
    let acts = Rc::new(acts);
    c.borrow_mut().acts.insert(key, Rc::clone(&acts));
    Ok((acts, tokens, model))
}

/// The activations of `model` on up to 16 windows of the sample text that contain `token` and
/// on its first 16 windows: a feature of that token is seen at work, and among other text.
async fn activations_around(
    model_id: &str,
    token: u16,
    progress: impl Fn(f64),
) -> Result<(Vec<f32>, Vec<u16>, Arc<LmModel>), String> {
    let mut acts = Vec::new();
    let mut tokens = Vec::new();
    let mut model = None;
    for windows in [Windows::With(token, 16), Windows::First(16)] {
        let (a, t, m) = activations_of(model_id, windows, &progress).await?;
        acts.extend_from_slice(&a);
        tokens.extend_from_slice(&t);
        model = Some(m);
    }
    let model = model.ok_or_else(|| format!("model {model_id} did not load"))?;
    Ok((acts, tokens, model))
}

/// The token of a feature's strongest shipped activation.
async fn top_token(unit: &Unit) -> Result<u16, String> {
    let detail = data::feature(&unit.dict, unit.index).await?;
    let eval = data::eval_tokens().await?;
    detail
        .top
        .first()
        .and_then(|e| eval.get(e.pos as usize).copied())
        .ok_or_else(|| format!("{}/{} has no top activation", unit.dict, unit.index))
}

/// Encodes `acts` (`[tokens, d_in]`) with a dictionary, a slice at a time.
async fn encode(w: &SaeWeights, acts: &[f32], progress: impl Fn(f64)) -> Vec<f32> {
    let d = w.d_in as usize;
    let rows = acts.len() / d.max(1);
    let mut out = Vec::with_capacity(rows * w.d_sae as usize);
    let slice = (4_000_000 / (w.d_sae as usize * d).max(1)).max(1);
    for (i, part) in acts.chunks(slice * d).enumerate() {
        out.extend(sae_encode(w, part));
        progress(((i + 1) * slice).min(rows) as f64 / rows.max(1) as f64);
        yield_task().await;
    }
    out
}

/// Windows around the strongest activations of `values`: `(tokens, per-token values, centre)`.
fn snippets(
    values: &[f32],
    tokens: &[u16],
    count: usize,
    around: usize,
) -> Vec<(Vec<u16>, Vec<f32>, usize)> {
    let mut taken: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    for p in top_positions(values, count * 8) {
        // One snippet per window.
        if taken.iter().any(|q| q / WINDOW == p / WINDOW) {
            continue;
        }
        taken.push(p);
        let lo = p.saturating_sub(around).max(p / WINDOW * WINDOW);
        let hi = (p + 3).min(tokens.len()).min((p / WINDOW + 1) * WINDOW);
        out.push((tokens[lo..hi].to_vec(), values[lo..hi].to_vec(), p - lo));
        if out.len() == count {
            break;
        }
    }
    out
}

/// A snippet with every token shaded by its activation (relative to `max`).
fn snippet_view(
    texts: &TokenTexts,
    toks: &[u16],
    vals: &[f32],
    centre: usize,
    max: f32,
) -> impl IntoView + use<> {
    let spans = toks
        .iter()
        .zip(vals)
        .enumerate()
        .map(|(i, (t, v))| {
            let a = if max > 0.0 { (v / max).clamp(0.0, 1.0) } else { 0.0 };
            // Set through the CSSOM (style:), which the page's CSP allows; a style attribute
            // it would block.
            let bg = format!("rgba(252, 141, 89, {:.3})", a * 0.95);
            view! {
                <span class="tok" class:peak=i == centre style:background-color=bg title=format!("{v:.2}")>{texts.get(*t).to_owned()}</span>
            }
        })
        .collect_view();
    view! { <p class="snippet" translate="no">{spans}</p> }
}

/// A small histogram of values in [0, 1], as bars (text alternative included).
fn histogram(label: String, values: &[f32], class: &'static str) -> impl IntoView + use<> {
    let bins = 10;
    let mut counts = vec![0usize; bins];
    for v in values {
        counts[((v.clamp(0.0, 0.999)) * bins as f32) as usize] += 1;
    }
    let max = counts.iter().copied().max().unwrap_or(1).max(1);
    let text = format!("{label}: {counts:?}");
    view! {
        <figure class=format!("hist {class}")>
            <div class="hist-bars" role="img" aria-label=text>
                {counts.iter().map(|c| view! {
                    <div class="hist-bar" style:height=format!("{:.0}%", 100.0 * *c as f32 / max as f32)></div>
                }).collect_view()}
            </div>
            <figcaption>{label}</figcaption>
        </figure>
    }
}

/// Where a language-model widget is.
#[derive(Clone, Debug, PartialEq)]
enum Phase {
    Working(String, f64),
    Failed(String),
    Ready,
}

fn progress_view(phase: RwSignal<Phase>) -> impl IntoView {
    move || match phase.get() {
        Phase::Working(what, f) => view! {
            <p class="progress-note" data-testid="tour-lm-progress">
                <progress max="1" value=f.to_string()></progress> " " {what}
            </p>
        }
        .into_any(),
        Phase::Failed(e) => {
            view! { <p class="notice notice-error" role="alert">{e}</p> }.into_any()
        }
        Phase::Ready => ().into_any(),
    }
}

/// Shaded snippets of text (a unit's strongest activations).
type Shown = Option<(Arc<TokenTexts>, Vec<(Vec<u16>, Vec<f32>, usize)>, f32)>;

/// The progress line and, once computed, the shaded snippets.
fn snippets_panel(phase: RwSignal<Phase>, shown: RwSignal<Shown>) -> impl IntoView {
    view! {
        <div class="tour-run tour-lm">
            {progress_view(phase)}
            {move || shown.get().map(|(texts, snips, max)| view! {
                <div class="snippets" data-testid="tour-snippets">
                    {snips.iter().map(|(t, v, c)| snippet_view(&texts, t, v, *c, max)).collect_view()}
                </div>
            })}
        </div>
    }
}

/// Runs `work` once the widget is mounted, reporting failures in `phase`.
fn start<F>(phase: RwSignal<Phase>, work: F)
where
    F: std::future::Future<Output = Result<(), String>> + 'static,
{
    leptos::task::spawn_local(async move {
        if let Err(e) = work.await {
            phase.try_set(Phase::Failed(e));
        }
    });
}

#[component]
pub fn LanguageModel(slug: &'static str) -> impl IntoView {
    match slug {
        "polysemantic" => view! { <Polysemantic /> }.into_any(),
        "real-model" => view! { <RealModel /> }.into_any(),
        "god-feature" => view! { <GodFeature /> }.into_any(),
        "splitting" => view! { <Splitting /> }.into_any(),
        "neurons-vs-features" => view! { <NeuronsVsFeatures /> }.into_any(),
        _ => view! { <Universality /> }.into_any(),
    }
}

/// Step 1: a polysemantic neuron's strongest activations over the text sample.
#[component]
fn Polysemantic() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = step();
    let phase = RwSignal::new(Phase::Working(i18n.t(Key::TourLoading).to_owned(), 0.0));
    let shown = RwSignal::new(Shown::None);
    let report = RwSignal::new(serde_json::Value::Null);
    ctx.report(move || report.get_untracked());
    start(phase, async move {
        let index = data::index().await?;
        let neuron = polysemantic_neuron(&index).await?;
        ctx.value("neuron", neuron.to_string());
        let label = i18n.t(Key::TourRunningModel).to_owned();
        let (acts, tokens, model) = activations(MODEL, NEURON_WINDOWS, |f| {
            phase.try_set(Phase::Working(label.clone(), f));
        })
        .await?;
        let d = model.config.d_mlp;
        let col = units::column(&acts, d, neuron as usize);
        let distinct = distinct_top_tokens(&col, &tokens, 20);
        let max = col.iter().copied().fold(0.0, f32::max);
        let texts = corpus().await?.borrow().texts.clone();
        shown.try_set(Some((texts, snippets(&col, &tokens, 8, 12), max)));
        // Polysemantic: its twenty strongest activations fall on at least five different tokens.
        ctx.goal.try_set(distinct >= 5);
        report.try_set(serde_json::json!({
            "neuron": neuron, "tokens": tokens.len(), "distinct_top_tokens": distinct, "max": max,
        }));
        phase.try_set(Phase::Ready);
        Ok(())
    });
    snippets_panel(phase, shown)
}

/// Step 10: the dictionary's quality, recomputed on text in the page.
#[component]
fn RealModel() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = step();
    let phase = RwSignal::new(Phase::Working(i18n.t(Key::TourLoading).to_owned(), 0.0));
    let live = RwSignal::new(None::<(f32, f32)>);
    let report = RwSignal::new(serde_json::Value::Null);
    ctx.report(move || report.get_untracked());
    start(phase, async move {
        let index = data::index().await?;
        let unit = highlight(&index, "god")?;
        let m = data::manifest(&unit.dict).await?;
        let met = &m.metrics;
        ctx.value("dict_size", m.d_sae.to_string());
        ctx.value("ev", format!("{:.0} %", 100.0 * met.explained_variance));
        ctx.value("l0", format!("{:.1}", met.l0));
        ctx.value(
            "loss_recovered",
            format!("{:.0} %", 100.0 * met.loss_recovered),
        );
        ctx.value("dead", met.dead.to_string());
        ctx.value("ultralow", met.ultralow.to_string());
        let label = i18n.t(Key::TourRunningModel).to_owned();
        let (acts, _, model) = activations(&m.model, 16, |f| {
            phase.try_set(Phase::Working(label.clone(), f));
        })
        .await?;
        let w = data::weights(&unit.dict).await?;
        let enc_label = i18n.t(Key::TourEncoding).to_owned();
        let codes = encode(&w, &acts, |f| {
            phase.try_set(Phase::Working(enc_label.clone(), f));
        })
        .await;
        let (ev, l0) = reconstruction(&w, &acts, &codes, model.config.d_mlp);
        live.try_set(Some((ev, l0)));
        // The shipped numbers hold on text the page picked itself.
        ctx.goal
            .try_set((ev - met.explained_variance).abs() < 0.15 && l0 > 0.0);
        report.try_set(serde_json::json!({
            "dict": unit.dict, "live_explained_variance": ev, "live_l0": l0,
            "shipped_explained_variance": met.explained_variance, "shipped_l0": met.l0,
            "loss_recovered": met.loss_recovered,
        }));
        phase.try_set(Phase::Ready);
        Ok(())
    });
    view! {
        <div class="tour-run tour-lm">
            {progress_view(phase)}
            <dl class="tour-results" data-testid="tour-results">
                {move || live.get().map(|(ev, l0)| view! {
                    <dt>{i18n.tr(Key::TourLiveEv)}</dt><dd class="mono">{format!("{:.0} %", 100.0 * ev)}</dd>
                    <dt>{i18n.tr(Key::TourLiveL0)}</dt><dd class="mono">{format!("{l0:.1}")}</dd>
                })}
            </dl>
        </div>
    }
}

/// Explained variance and L0 of a dictionary's reconstruction of `acts`.
fn reconstruction(w: &SaeWeights, acts: &[f32], codes: &[f32], d: usize) -> (f32, f32) {
    let s = w.d_sae as usize;
    let rows = acts.len() / d.max(1);
    let mut mean = vec![0.0f64; d];
    for row in acts.chunks_exact(d) {
        for (m, x) in mean.iter_mut().zip(row) {
            *m += f64::from(*x) / rows.max(1) as f64;
        }
    }
    let (mut err, mut var, mut active) = (0.0f64, 0.0f64, 0usize);
    let scale = f64::from(w.normalize_scale).max(1e-12);
    for (row, z) in acts.chunks_exact(d).zip(codes.chunks_exact(s)) {
        let mut recon: Vec<f64> = w.b_dec.iter().map(|b| f64::from(*b)).collect();
        for (f, a) in z.iter().enumerate() {
            if *a != 0.0 {
                active += 1;
                for (r, dv) in recon.iter_mut().zip(&w.w_dec[f * d..(f + 1) * d]) {
                    *r += f64::from(*a) * f64::from(*dv);
                }
            }
        }
        for j in 0..d {
            let x = f64::from(row[j]);
            err += (x - recon[j] / scale).powi(2);
            var += (x - mean[j]).powi(2);
        }
    }
    let ev = if var > 0.0 { 1.0 - err / var } else { 0.0 };
    (ev as f32, active as f32 / rows.max(1) as f32)
}

/// Step 11: the God feature: its shipped top activations, what it promotes, its neurons, and
/// its activations recomputed in the page.
#[component]
fn GodFeature() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = step();
    let phase = RwSignal::new(Phase::Working(i18n.t(Key::TourLoading).to_owned(), 0.0));
    let shown = RwSignal::new(Shown::None);
    let report = RwSignal::new(serde_json::Value::Null);
    ctx.report(move || report.get_untracked());
    start(phase, async move {
        let index = data::index().await?;
        let unit = highlight(&index, "god")?;
        let detail = data::feature(&unit.dict, unit.index).await?;
        let texts = data::token_texts().await?;
        let top_token = top_token(&unit).await?;
        ctx.value("god_feature", format!("{}/{}", unit.dict, unit.index));
        ctx.value("god_token", texts.get(top_token).to_owned());
        if let Some((t, _)) = detail.logits_top.first() {
            ctx.value("god_promoted", texts.get(*t).to_owned());
        }
        if let Some(n) = detail.neurons.first() {
            ctx.value("god_neuron", n.neuron.to_string());
            ctx.value("god_top_share", format!("{:.0}", 100.0 * n.share));
        }
        let m = data::manifest(&unit.dict).await?;
        let label = i18n.t(Key::TourRunningModel).to_owned();
        let (acts, tokens, _) = activations_around(&m.model, top_token, |f| {
            phase.try_set(Phase::Working(label.clone(), f));
        })
        .await?;
        let w = data::weights(&unit.dict).await?;
        let enc_label = i18n.t(Key::TourEncoding).to_owned();
        let codes = encode(&w, &acts, |f| {
            phase.try_set(Phase::Working(enc_label.clone(), f));
        })
        .await;
        let col = units::column(&codes, w.d_sae as usize, unit.index as usize);
        // Its strongest activations (those above a tenth of its maximum) on that text.
        let max = col.iter().copied().fold(0.0, f32::max);
        let top: Vec<usize> = top_positions(&col, 10)
            .into_iter()
            .filter(|p| col[*p] > 0.1 * max)
            .collect();
        let on_token = top.iter().filter(|p| tokens[**p] == top_token).count();
        shown.try_set(Some((texts, snippets(&col, &tokens, 6, 12), max)));
        // In text the page picked itself, the feature's strongest firing is on its token.
        ctx.goal
            .try_set(!top.is_empty() && on_token * 10 >= top.len() * 8);
        report.try_set(serde_json::json!({
            "feature": unit, "top_token": top_token, "live_top": top.len(), "live_on_top_token": on_token,
        }));
        phase.try_set(Phase::Ready);
        Ok(())
    });
    snippets_panel(phase, shown)
}

/// A member of a feature family, with its strongest tokens on the page's text.
#[derive(Clone, Debug, PartialEq, Serialize)]
struct Member {
    dict: String,
    feature: u32,
    similarity: f32,
    top_tokens: Vec<String>,
}

/// Step 13: the God family across dictionary sizes, each member run on the same text.
#[component]
fn Splitting() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = step();
    let phase = RwSignal::new(Phase::Working(i18n.t(Key::TourLoading).to_owned(), 0.0));
    let family = RwSignal::new(Vec::<Member>::new());
    let god = RwSignal::new(None::<(String, u32)>);
    ctx.report(move || family.get_untracked());
    start(phase, async move {
        let index = data::index().await?;
        let unit = highlight(&index, "god")?;
        god.try_set(Some((unit.dict.clone(), unit.index)));
        let m = data::manifest(&unit.dict).await?;
        let detail = data::feature(&unit.dict, unit.index).await?;
        let mut members = vec![(unit.dict.clone(), unit.index, 1.0f32)];
        for e in &detail.splits {
            if let Some(d) = m.related.get(e.dict as usize) {
                members.push((d.clone(), e.feature, e.similarity));
            }
        }
        let label = i18n.t(Key::TourRunningModel).to_owned();
        let token = top_token(&unit).await?;
        let (acts, tokens, _) = activations_around(&m.model, token, |f| {
            phase.try_set(Phase::Working(label.clone(), f));
        })
        .await?;
        let texts = data::token_texts().await?;
        let mut out = Vec::new();
        let count = members.len();
        for (k, (dict, feature, similarity)) in members.into_iter().enumerate() {
            let w = data::weights(&dict).await?;
            let enc = format!("{} {}/{count}", i18n.t(Key::TourEncoding), k + 1);
            let codes = encode(&w, &acts, |f| {
                phase.try_set(Phase::Working(enc.clone(), f));
            })
            .await;
            let col = units::column(&codes, w.d_sae as usize, feature as usize);
            let mut tops: Vec<String> = Vec::new();
            for p in top_positions(&col, 30) {
                let t = texts.get(tokens[p]).to_owned();
                if !tops.contains(&t) && tops.len() < 4 {
                    tops.push(t);
                }
            }
            out.push(Member {
                dict,
                feature,
                similarity,
                top_tokens: tops,
            });
        }
        let larger = out
            .iter()
            .filter(|mm| {
                index
                    .dictionaries
                    .iter()
                    .find(|d| d.id == mm.dict)
                    .is_some_and(|d| d.d_sae > m.d_sae)
            })
            .count();
        // A family: the feature has at least two relatives in a larger dictionary.
        ctx.goal.try_set(larger >= 2);
        family.try_set(out);
        phase.try_set(Phase::Ready);
        Ok(())
    });
    view! {
        <div class="tour-run tour-lm">
            {progress_view(phase)}
            <ul class="family" data-testid="tour-family">
                {move || family.get().into_iter().map(|mm| view! {
                    <li>
                        <a href=crate::url::href(&format!("features/{}/{}", mm.dict, mm.feature)) translate="no">{format!("{}/{}", mm.dict, mm.feature)}</a>
                        {format!(" · cos {:.2} · ", mm.similarity)}
                        {mm.top_tokens.into_iter().map(|t| view! { <span class="token" translate="no">{t}</span> " " }).collect_view()}
                    </li>
                }).collect_view()}
            </ul>
            // Once the tree above is drawn: the other way to draw it.
            {move || god.get().filter(|_| family.with(|f| !f.is_empty())).map(|(dict, feature)| view! {
                <p class="card-note" data-testid="tour-family-tree">
                    {i18n.tr(Key::TourFamilyTreeNote)} " "
                    <a href=crate::url::href(&format!("features/{dict}/{feature}#family"))>{i18n.tr(Key::TourFamilyTreeLink)}</a>
                </p>
            })}
        </div>
    }
}

/// The dictionary's, its model's neurons' and its control's medians of measure `measure`
/// (`MEASURES` order) over every evaluation token, where the data ships them.
async fn shipped_medians(dict: &str, measure: usize) -> Result<[Option<f32>; 3], String> {
    let model = data::index()
        .await?
        .dictionaries
        .iter()
        .find(|d| d.id == dict)
        .map_or_else(|| MODEL.to_owned(), |d| d.model.clone());
    let full = |s: Option<Arc<UnitScores>>| {
        s.map(|s| median(&s.scored(measure)))
            .filter(|m| m.is_finite() && *m > 0.0)
    };
    Ok([
        full(data::scores(ScoresOf::Dict(dict)).await?),
        full(data::scores(ScoresOf::Neurons(&model)).await?),
        full(data::scores(ScoresOf::Control(&model)).await?),
    ])
}

/// [`shipped_medians`] as a line under a step's live result, with a link to the overview
/// (nothing while they load, or where the data ships none).
#[component]
fn ShippedLine(shipped: RwSignal<Option<(String, [Option<f32>; 3])>>) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        shipped.get().and_then(|(dict, [f, n, r])| {
            let (f, n, r) = (f?, n?, r?);
            Some(view! {
                <p class="card-note" data-testid="tour-shipped">
                    {i18n.tr(Key::TourShippedScores)} " "
                    {format!("{} {f:.2} · {} {n:.2} · {} {r:.2} · ", i18n.t(Key::TourFeaturesLabel), i18n.t(Key::TourNeurons), i18n.t(Key::TourRandom))}
                    <a href=crate::url::href(&format!("features/{dict}?panels=overview,list"))>{i18n.tr(Key::TourShippedScoresLink)}</a>
                </p>
            })
        })
    }
}

/// The `shipped` object of a step's state: the three medians of [`shipped_medians`].
fn shipped_json(s: Option<(String, [Option<f32>; 3])>) -> serde_json::Value {
    s.map_or(serde_json::Value::Null, |(_, [f, n, r])| {
        serde_json::json!({ "median_features": f, "median_neurons": n, "median_random": r })
    })
}

/// Step 12: the shipped interpretability measure (`token_rule`, docs/interpretability.md)
/// computed in the page on this text, identically for the model's neurons, its smallest
/// dictionary's features and random directions (the control); the medians the data ships
/// over every evaluation token beside them.
#[component]
fn NeuronsVsFeatures() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = step();
    let phase = RwSignal::new(Phase::Working(i18n.t(Key::TourLoading).to_owned(), 0.0));
    let scores = RwSignal::new(None::<[Vec<f32>; 3]>);
    // The dictionary and the shipped medians (features, neurons, random directions).
    let shipped = RwSignal::new(None::<(String, [Option<f32>; 3])>);
    ctx.report(move || {
        scores.get_untracked().map(|[n, f, r]| {
            let full = shipped.get_untracked();
            serde_json::json!({
                "measure": MEASURES[0],
                "median_neurons": median(&n),
                "median_features": median(&f),
                "median_random": median(&r),
                "scored": [n.len(), f.len(), r.len()],
                "shipped": shipped_json(full),
            })
        })
    });
    start(phase, async move {
        let index = data::index().await?;
        // The smallest dictionary of the model: the measure needs every unit encoded.
        let dict = index
            .dictionaries
            .iter()
            .filter(|d| d.model == MODEL && d.kind == DictKind::Sae)
            .min_by_key(|d| d.d_sae)
            .ok_or("index.json lists no dictionary of model A")?
            .id
            .clone();
        let label = i18n.t(Key::TourRunningModel).to_owned();
        let (acts, tokens, model) = activations(MODEL, 48, |f| {
            phase.try_set(Phase::Working(label.clone(), f));
        })
        .await?;
        let d = model.config.d_mlp;
        let w = data::weights(&dict).await?;
        let enc = i18n.t(Key::TourEncoding).to_owned();
        let codes = encode(&w, &acts, |f| {
            phase.try_set(Phase::Working(enc.clone(), f));
        })
        .await;
        let corpus = ScoreCorpus::new(&tokens, model.config.vocab, WINDOW);
        // Scored units only: those active on at least MIN_ACTIVE tokens of this text.
        let rule = |a: &[f32], width: usize| -> Vec<f32> {
            dense_columns(a, width)
                .iter()
                .filter(|c| c.positions.len() >= MIN_ACTIVE)
                .map(|c| token_rule(&corpus, c))
                .filter(|v| v.is_finite())
                .collect()
        };
        let neurons = rule(&acts, d);
        yield_task().await;
        let features = rule(&codes, w.d_sae as usize);
        yield_task().await;
        let dirs = random_directions(d, CONTROL_UNITS, CONTROL_SEED);
        let random = rule(&control_activations(&acts, d, &dirs), CONTROL_UNITS);
        let (mn, mf, mr) = (median(&neurons), median(&features), median(&random));
        ctx.value("interp_neurons", format!("{mn:.2}"));
        ctx.value("interp_features", format!("{mf:.2}"));
        ctx.value("interp_random", format!("{mr:.2}"));
        ctx.goal.try_set(
            !features.is_empty()
                && !neurons.is_empty()
                && !random.is_empty()
                && mf > mn + 0.1
                && mf > mr + 0.1,
        );
        scores.try_set(Some([neurons, features, random]));
        phase.try_set(Phase::Ready);
        let medians = shipped_medians(&dict, 0).await?;
        shipped.try_set(Some((dict, medians)));
        Ok(())
    });
    view! {
        <div class="tour-run tour-lm">
            {progress_view(phase)}
            {move || scores.get().map(|[n, f, r]| view! {
                <div class="hists" data-testid="tour-hists">
                    {histogram(format!("{} · {} {:.2}", i18n.t(Key::TourNeurons), i18n.t(Key::TourMedian), median(&n)), &n, "neurons")}
                    {histogram(format!("{} · {} {:.2}", i18n.t(Key::TourFeaturesLabel), i18n.t(Key::TourMedian), median(&f)), &f, "features")}
                    {histogram(format!("{} · {} {:.2}", i18n.t(Key::TourRandom), i18n.t(Key::TourMedian), median(&r)), &r, "random")}
                </div>
                <p class="card-note">{i18n.tr(Key::TourTokenRuleNote)}</p>
            })}
            <ShippedLine shipped />
        </div>
    }
}

/// Step 14: the same feature in model B, and best correlations of features against neurons
/// between the two models, computed over the same tokens in the page.
#[component]
fn Universality() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = step();
    let phase = RwSignal::new(Phase::Working(i18n.t(Key::TourLoading).to_owned(), 0.0));
    let result = RwSignal::new(None::<(f32, Vec<f32>, Vec<f32>)>);
    let shipped = RwSignal::new(None::<(String, [Option<f32>; 3])>);
    ctx.report(move || {
        result.get_untracked().map(|(r, f, n)| {
            serde_json::json!({
                "pair_correlation": r, "median_features": median(&f), "median_neurons": median(&n),
                "measure": MEASURES[UNIVERSALITY], "shipped": shipped_json(shipped.get_untracked()),
            })
        })
    });
    start(phase, async move {
        let index = data::index().await?;
        let unit = highlight(&index, "god")?;
        let m = data::manifest(&unit.dict).await?;
        let other_dict = m
            .match_dict
            .clone()
            .ok_or_else(|| format!("{} has no matching dictionary in model B", unit.dict))?;
        let detail = data::feature(&unit.dict, unit.index).await?;
        let (partner, _) = detail
            .best_match
            .ok_or_else(|| format!("{}/{} has no match in model B", unit.dict, unit.index))?;
        let label = i18n.t(Key::TourRunningModel).to_owned();
        let token = top_token(&unit).await?;
        let (a, _, model) = activations_around(MODEL, token, |f| {
            phase.try_set(Phase::Working(format!("{label} A"), f));
        })
        .await?;
        let (b, _, _) = activations_around(OTHER, token, |f| {
            phase.try_set(Phase::Working(format!("{label} B"), f));
        })
        .await?;
        let d = model.config.d_mlp;
        let wa = data::weights(&unit.dict).await?;
        let wb = data::weights(&other_dict).await?;
        let enc = i18n.t(Key::TourEncoding).to_owned();
        let ca = encode(&wa, &a, |f| {
            phase.try_set(Phase::Working(format!("{enc} A"), f));
        })
        .await;
        let cb = encode(&wb, &b, |f| {
            phase.try_set(Phase::Working(format!("{enc} B"), f));
        })
        .await;
        let sa = wa.d_sae as usize;
        let sb = wb.d_sae as usize;
        let r = units::pearson(
            &units::column(&ca, sa, unit.index as usize),
            &units::column(&cb, sb, partner as usize),
        );
        ctx.value("univ_pair", format!("{r:.2}"));
        phase.try_set(Phase::Working(i18n.t(Key::TourCorrelating).to_owned(), 0.0));
        yield_task().await;
        let all: Vec<usize> = (0..d).collect();
        let neurons = best_correlations(&standardised(&a, d, &all), &standardised(&b, d, &all));
        yield_task().await;
        // Live features of A (a sample of 256, every other one) against every feature of B.
        let live_a: Vec<usize> = (0..sa)
            .filter(|f| units::column(&ca, sa, *f).iter().any(|v| *v > 0.0))
            .step_by(2)
            .take(256)
            .collect();
        let live_b: Vec<usize> = (0..sb)
            .filter(|f| units::column(&cb, sb, *f).iter().any(|v| *v > 0.0))
            .collect();
        let features = best_correlations(
            &standardised(&ca, sa, &live_a),
            &standardised(&cb, sb, &live_b),
        );
        let (mf, mn) = (median(&features), median(&neurons));
        ctx.value("univ_features", format!("{mf:.2}"));
        ctx.value("univ_neurons", format!("{mn:.2}"));
        ctx.goal.try_set(mf > mn + 0.1 && r > 0.5);
        result.try_set(Some((r, features, neurons)));
        phase.try_set(Phase::Ready);
        let medians = shipped_medians(&unit.dict, UNIVERSALITY).await?;
        shipped.try_set(Some((unit.dict.clone(), medians)));
        Ok(())
    });
    view! {
        <div class="tour-run tour-lm">
            {progress_view(phase)}
            {move || result.get().map(|(r, f, n)| view! {
                <p class="status-line" data-testid="tour-pair">{i18n.tr(Key::TourPairCorrelation)} " " <strong>{format!("{r:.2}")}</strong></p>
                <div class="hists" data-testid="tour-hists">
                    {histogram(format!("{} · {} {:.2}", i18n.t(Key::TourFeaturesLabel), i18n.t(Key::TourMedian), median(&f)), &f, "features")}
                    {histogram(format!("{} · {} {:.2}", i18n.t(Key::TourNeurons), i18n.t(Key::TourMedian), median(&n)), &n, "neurons")}
                </div>
            })}
            <ShippedLine shipped />
        </div>
    }
}
