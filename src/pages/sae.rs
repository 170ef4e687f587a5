//! `/sae`: train a sparse autoencoder live on data whose features are known, and watch it
//! recover them; or on the shipped language model's activations, computed in the browser, and
//! compare the dictionary with the shipped one.

use std::collections::HashSet;
use std::sync::Arc;

use leptos::prelude::*;
use polytope_core::sae::{
    ActivationFile, MAX_D_IN, SAE_SETTING_NAMES, SaeSettings, SourceKind, Variant,
};
use polytope_plots::{Curve, Target};
use serde_json::json;

use crate::automation;
use crate::components::fallback_notice::FallbackNotice;
use crate::download;
use crate::i18n::{Key, use_i18n};
use crate::plot::{PlotCanvas, PlotSpec};
use crate::run::{RunStatus, Severity};
use crate::sae_run::{LmProgress, SAE_SPEEDS, SaeRun, SaeView, start_when_ready};
use crate::url;
use crate::use_app;

/// The panels of the page, by their `panels=` names.
pub const SAE_PANELS: [&str; 6] = ["loss", "quality", "l0", "density", "directions", "cosine"];

/// Reads the settings from the address and creates the session.
fn run_from_url() -> SaeRun {
    let query = url::query();
    let pairs: Vec<(&str, &str)> = query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (settings, errors) = SaeSettings::from_pairs(pairs.iter().copied(), false);
    let prefer_cpu = url::param("backend").is_some_and(|b| b == "cpu");
    SaeRun::new(settings, errors, prefer_cpu)
}

/// Keeps the address in step with the settings (settings first, other parameters kept).
fn sync_url(run: SaeRun) {
    Effect::new(move |_| {
        // A picked file cannot travel in a link: the address keeps the last shareable run.
        if run
            .settings
            .with(|s| matches!(s.source, SourceKind::File(_)))
        {
            return;
        }
        let mut all = run.settings.with(SaeSettings::to_pairs);
        let mut rest: Vec<(String, String)> = url::query()
            .into_iter()
            .filter(|(k, _)| !SAE_SETTING_NAMES.contains(&k.as_str()))
            .collect();
        all.append(&mut rest);
        url::replace_query(&all);
    });
}

fn state_json(run: SaeRun) -> serde_json::Value {
    let view = run.view.get_untracked();
    let settings: serde_json::Map<String, serde_json::Value> = run
        .settings
        .with_untracked(SaeSettings::to_pairs)
        .into_iter()
        .map(|(k, v)| (k, json!(v)))
        .collect();
    let last = view.as_ref().and_then(|v| v.last);
    let shipped = view.as_ref().and_then(|v| v.shipped.clone());
    let lm = run.lm.get_untracked();
    let progress = lm.progress.map(|p| match p {
        LmProgress::Loading(file) => json!({"stage": "loading", "file": file}),
        LmProgress::Tokenizing => json!({"stage": "tokenizing"}),
        LmProgress::Computing(f) => json!({"stage": "computing", "fraction": f}),
    });
    let activations = lm.activations.map(|a| {
        json!({"rows": a.rows, "windows": a.windows, "tokens": a.tokens, "compute_ms": a.compute_ms})
    });
    json!({
        "status": run.status.get_untracked().name(),
        "step": view.as_ref().map_or(0, |v| v.step),
        "steps_total": run.total_steps(),
        "backend": run.backend.get_untracked().map(polytope_gpu::BackendKind::name),
        "steps_per_second": run.steps_per_second.get_untracked(),
        "settings": settings,
        "setting_errors": run.setting_errors.get_untracked().iter().map(ToString::to_string).collect::<Vec<_>>(),
        "message": run.message.get_untracked().map(|(_, m)| m),
        "source": run.source_label.get_untracked(),
        "metrics": {
            "mmcs": view.as_ref().and_then(|v| v.mmcs),
            "mmcs_reverse": view.as_ref().and_then(|v| v.mmcs_reverse),
            "loss": last.map(|s| s.loss),
            "explained_variance": last.map(|s| s.explained_variance),
            "l0": last.map(|s| s.l0),
            "dead_fraction": last.map(|s| s.dead_fraction),
            "mmcs_shipped": shipped.as_ref().and_then(|s| s.mmcs),
            "mmcs_shipped_reverse": shipped.as_ref().and_then(|s| s.reverse),
            "mmcs_shipped_step": shipped.as_ref().map(|s| s.step),
            "shipped_dict": shipped.as_ref().map(|s| s.dict.clone()),
        },
        "lm_progress": progress,
        "lm_activations": activations,
        "resamples": run.history.get_untracked().resamples.clone(),
        "held_out": run.eval.get_untracked(),
        "report": run.report(),
    })
}

/// Applies a changed setting: rebuild the run, and keep training if it was.
fn apply_setting(run: SaeRun, error: RwSignal<Option<String>>, name: &str, value: &str) {
    let mut s = run.settings.get_untracked();
    if name == "source" {
        if let Err(e) = s.set("source", value, false) {
            error.set(Some(e.to_string()));
            run.settings.update(|_| {});
            return;
        }
        let variant = s.variant;
        let seed = s.seed;
        s = SaeSettings::for_source(s.source.clone());
        s.variant = variant;
        s.seed = seed;
    } else if let Err(e) = s.set(name, value, false) {
        error.set(Some(e.to_string()));
        run.settings.update(|_| {});
        return;
    }
    let problems = s.repair();
    error.set(problems.first().map(ToString::to_string));
    let was_running = run.status.get_untracked() == RunStatus::Running;
    run.settings.set(s);
    if was_running {
        run.reset_and_play();
    } else {
        run.reset();
    }
}

// Leptos components take their props by value; the set uses the default hasher.
#[allow(clippy::needless_pass_by_value, clippy::implicit_hasher)]
#[component]
fn SaeSettingsForm(run: SaeRun, hidden: Arc<HashSet<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let error = RwSignal::new(None::<String>);
    let value = move |name: &'static str| {
        move || {
            run.settings
                .with(|s| s.get(name).unwrap_or_else(|| "auto".to_owned()))
        }
    };
    let hidden = StoredValue::new(hidden);
    let shown =
        move |name: &str| hidden.with_value(|h| !h.contains(name) && !h.contains("settings"));
    let text_input = move |name: &'static str, label: Key, kind: &'static str| {
        shown(name).then(|| {
            view! {
                <label class="field" data-control=name>
                    <span>{i18n.tr(label)}</span>
                    <input type=kind name=name prop:value=value(name)
                        on:change=move |ev| apply_setting(run, error, name, &event_target_value(&ev)) />
                </label>
            }
        })
    };
    let select = move |name: &'static str, label: Key, options: Vec<(&'static str, Key)>| {
        shown(name).then(|| {
            let options = options
                .into_iter()
                .map(|(v, k)| view! { <option value=v>{move || i18n.t(k)}</option> })
                .collect_view();
            view! {
                <label class="field" data-control=name>
                    <span>{i18n.tr(label)}</span>
                    <select name=name prop:value=value(name)
                        on:change=move |ev| apply_setting(run, error, name, &event_target_value(&ev))>
                        {options}
                    </select>
                </label>
            }
        })
    };
    let is_toy = move || run.settings.with(|s| s.source == SourceKind::Toy);
    let is_lm = move || run.settings.with(|s| s.source == SourceKind::Lm);
    let file_name = move || {
        run.settings.with(|s| match &s.source {
            SourceKind::File(name) => Some(name.clone()),
            _ => None,
        })
    };
    let pick_file = move |ev: leptos::ev::Event| {
        use wasm_bindgen::JsCast;
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        let name = file.name();
        leptos::task::spawn_local(async move {
            let Ok(buffer) = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await else {
                error.set(Some(format!("{name}: the file could not be read")));
                return;
            };
            let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
            match ActivationFile::parse(&bytes) {
                Ok(parsed) if parsed.d_in as u32 > MAX_D_IN => error.set(Some(format!(
                    "{name}: {} values per row; the lab takes at most {MAX_D_IN}",
                    parsed.d_in
                ))),
                Ok(parsed) => {
                    error.set(None);
                    run.use_file(name, parsed);
                }
                Err(e) => error.set(Some(format!("{name}: {e}"))),
            }
        });
    };
    let variant = move || run.settings.with(|s| s.variant);
    let backend_field = shown("backend").then(|| {
        view! {
            <label class="field" data-control="backend">
                <span>{i18n.tr(Key::Backend)}</span>
                <select name="backend"
                    prop:value=move || if run.prefer_cpu.get() { "cpu" } else { "auto" }
                    on:change=move |ev| {
                        let cpu = event_target_value(&ev) == "cpu";
                        url::update(&[("backend", cpu.then(|| "cpu".to_owned()))]);
                        run.switch_backend(cpu);
                    }>
                    <option value="auto">{i18n.tr(Key::BackendAuto)}</option>
                    <option value="cpu">{i18n.tr(Key::BackendCpuOnly)}</option>
                </select>
            </label>
        }
    });
    let seed_field = shown("seed").then(|| {
        view! {
            <div class="field seed" data-control="seed">
                <label>
                    <span>{i18n.tr(Key::Seed)}</span>
                    <input type="number" min="0" name="seed" prop:value=value("seed")
                        on:change=move |ev| apply_setting(run, error, "seed", &event_target_value(&ev)) />
                </label>
                <button class="mini" on:click=move |_| {
                    let next = run.settings.with_untracked(|s| s.seed.wrapping_add(1));
                    apply_setting(run, error, "seed", &next.to_string());
                }>{i18n.tr(Key::NewSeed)}</button>
            </div>
        }
    });
    view! {
        <div class="settings-form">
            {move || error.get().map(|e| view! { <p class="notice notice-error" role="alert">{e}</p> })}
            {select("source", Key::SaeSource, vec![
                ("synthetic", Key::SaeSourceSynthetic),
                ("toy", Key::SaeSourceToy),
                ("lm", Key::SaeSourceLm),
            ])}
            <Show when=is_lm>
                <p class="card-note" data-testid="lm-note">{i18n.tr(Key::SaeLmNote)}</p>
            </Show>
            {shown("source").then(|| view! {
                <label class="field" data-control="file">
                    <span>{i18n.tr(Key::SaeSourceFile)}</span>
                    <input type="file" name="file" data-testid="activation-file" on:change=pick_file />
                </label>
            })}
            {move || file_name().map(|name| view! {
                <p class="card-note" data-testid="file-source">{i18n.tr(Key::SaeFileInUse)} ": " {name}</p>
            })}
            {select("variant", Key::SaeVariant, vec![
                ("l1-2023", Key::SaeVariantL12023),
                ("l1-2024", Key::SaeVariantL12024),
                ("topk", Key::SaeVariantTopK),
                ("jumprelu", Key::SaeVariantJumpRelu),
            ])}
            <Show when=move || !is_lm()>
                <div class="field-row">
                    {text_input("d_in", Key::SaeDIn, "number")}
                    {text_input("features", Key::SaeFeatures, "number")}
                </div>
            </Show>
            <Show when=is_toy>{text_input("density", Key::SaeToyDensity, "text")}</Show>
            <div class="field-row">
                {text_input("d_sae", Key::SaeDictSize, "number")}
                <Show when=move || variant() == Variant::TopK>{text_input("k", Key::SaeK, "number")}</Show>
            </div>
            <Show when=move || variant() != Variant::TopK>{text_input("l1", Key::SaeSparsity, "text")}</Show>
            {text_input("lr", Key::SaeLr, "text")}
            <div class="field-row">
                {text_input("batch", Key::Batch, "number")}
                {text_input("steps", Key::Steps, "number")}
            </div>
            {seed_field}
            {backend_field}
        </div>
    }
}

fn fmt_opt(v: Option<f32>, digits: usize) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:.digits$}"))
}

#[component]
fn SaeStatusLine(run: SaeRun) -> impl IntoView {
    let i18n = use_i18n();
    let status_text = move || match run.status.get() {
        RunStatus::Starting => i18n.t(Key::SaeBuilding),
        RunStatus::Paused => i18n.t(Key::StatusPaused),
        RunStatus::Running => i18n.t(Key::StatusRunning),
        RunStatus::Done => i18n.t(Key::StatusDone),
        RunStatus::Failed => i18n.t(Key::StatusFailed),
    };
    let last = move || run.view.get().and_then(|v| v.last);
    view! {
        <div class="status-line" data-testid="status">
            <span class=move || format!("status-pill {}", run.status.get().name())>{status_text}</span>
            <span>{i18n.tr(Key::Step)} " "
                <strong data-testid="step">{move || run.view.get().map_or(0, |v| v.step)}</strong>
                " / " {move || run.settings.with(|s| s.steps)}</span>
            <span>{i18n.tr(Key::Loss)} " " <strong>{move || fmt_opt(last().map(|s| s.loss), 4)}</strong></span>
            <span>{i18n.tr(Key::SaeExplainedVariance)} " " <strong data-testid="ev">{move || fmt_opt(last().map(|s| s.explained_variance), 3)}</strong></span>
            <span>"L0 " <strong data-testid="l0">{move || fmt_opt(last().map(|s| s.l0), 2)}</strong></span>
            <span>{i18n.tr(Key::SaeDead)} " " <strong>{move || last().map_or_else(|| "—".to_owned(), |s| format!("{:.1} %", 100.0 * s.dead_fraction))}</strong></span>
            <Show when=move || run.settings.with(|s| s.source != SourceKind::Lm)>
                <span>{i18n.tr(Key::SaeMmcs)} " " <strong data-testid="mmcs">{move || fmt_opt(run.view.get().and_then(|v| v.mmcs), 3)}</strong></span>
            </Show>
            {move || run.view.get().and_then(|v| v.shipped.clone()).map(|s| view! {
                <span data-testid="mmcs-shipped">{i18n.tr(Key::SaeMmcsShipped)} {format!(" {}: ", s.dict)}
                    <strong>{fmt_opt(s.mmcs, 2)}</strong>
                    {format!(" ({} {})", i18n.t(Key::SaeShippedToLab), fmt_opt(s.reverse, 2))}
                </span>
            })}
            <span>{move || format!("{:.0}", run.steps_per_second.get())} " " {i18n.tr(Key::StepsPerSecond)}</span>
            <span class="backend-used">{move || match run.backend.get() {
                Some(polytope_gpu::BackendKind::Gpu) => i18n.t(Key::BackendWebGpu),
                Some(polytope_gpu::BackendKind::Cpu) => i18n.t(Key::BackendCpu),
                None => "—",
            }}</span>
        </div>
        {move || run.lm.with(|l| l.progress.clone()).map(|p| {
            let text = match p {
                LmProgress::Loading(file) => format!("{} {file} …", i18n.t(Key::SaeLmLoading)),
                LmProgress::Tokenizing => format!("{} …", i18n.t(Key::SaeLmTokenizing)),
                LmProgress::Computing(f) => format!("{}: {:.0} %", i18n.t(Key::SaeLmComputing), 100.0 * f),
            };
            view! { <p class="progress-note" data-testid="lm-progress"><progress></progress> " " {text}</p> }
        })}
        {move || run.lm.with(|l| l.activations).filter(|_| run.settings.with(|s| s.source == SourceKind::Lm)).map(|a| view! {
            <p class="card-note" data-testid="lm-activations">
                {format!("{}: {} {} · {} {} · {:.1} s", i18n.t(Key::SaeLmActivations), a.rows, i18n.t(Key::SaeLmRows),
                    a.windows, i18n.t(Key::SaeLmWindows), a.compute_ms / 1000.0)}
            </p>
        })}
        {move || run.message.get().map(|(severity, text)| {
            let class = match severity { Severity::Info => "notice notice-warn", Severity::Error => "notice notice-error" };
            view! { <div class=class role="status" data-testid="run-message">{text}</div> }
        })}
        {move || {
            let errors = run.setting_errors.get();
            (!errors.is_empty()).then(|| view! {
                <div class="notice notice-warn" role="status" data-testid="setting-errors">
                    <strong>{i18n.tr(Key::BadSetting)}</strong>
                    <ul>{errors.into_iter().map(|e| view! { <li>{e.to_string()}</li> }).collect_view()}</ul>
                </div>
            })
        }}
        {move || run.eval.get().map(|e| view! {
            <p class="card-note" data-testid="held-out">
                <strong>{i18n.tr(Key::SaeHeldOut)}</strong> ": "
                {format!("{} {:.4} · L0 {:.2} · {} {:.1} % · MMCS {} / {}",
                    i18n.t(Key::SaeExplainedVariance), e.explained_variance, e.l0,
                    i18n.t(Key::SaeDead), 100.0 * e.dead_fraction,
                    fmt_opt(e.mmcs, 3), fmt_opt(e.mmcs_reverse, 3))}
            </p>
        })}
    }
}

/// The most true features and latents the cosine matrix shows (4,096 cells draw in about
/// 15 ms in the browser; 16,384 took 50-100 ms, a long task).
const COSINE_ROWS_MAX: usize = 32;
const COSINE_COLS_MAX: usize = 128;

/// The cosine matrix: the first true features (at most 32) against their matched latents in
/// the order of the true features, then other latents, at most 128 columns in all.
fn cosine_spec(view: &SaeView, highlight: Option<usize>) -> PlotSpec {
    let Some(truth) = &view.truth else {
        return PlotSpec::Empty {
            message: "no ground truth for this source".into(),
        };
    };
    let n = view.cfg.n();
    let rows = (truth.len() / n).min(COSINE_ROWS_MAX);
    let latents_total = view.learned.len() / n;
    let mut by_truth: Vec<(usize, usize)> = view
        .matching
        .iter()
        .filter(|(t, _, _)| *t < rows)
        .map(|(t, l, _)| (*t, *l))
        .collect();
    by_truth.sort_unstable();
    let mut latents: Vec<usize> = by_truth.iter().map(|(_, l)| *l).collect();
    let used: HashSet<usize> = latents.iter().copied().collect();
    latents.extend(
        (0..latents_total)
            .filter(|c| !used.contains(c))
            .take(COSINE_COLS_MAX.saturating_sub(latents.len())),
    );
    latents.truncate(COSINE_COLS_MAX);
    let cols = latents.len();
    let mut cos = vec![0.0f32; rows * cols];
    for (r, t) in truth.chunks(n).take(rows).enumerate() {
        for (c, l) in latents.iter().enumerate() {
            let learned = &view.learned[l * n..(l + 1) * n];
            cos[r * cols + c] = t.iter().zip(learned).map(|(a, b)| a * b).sum();
        }
    }
    PlotSpec::Cosine {
        cos: Arc::new(cos),
        rows,
        cols,
        latents: Arc::new(latents),
        highlight,
    }
}

#[component]
pub fn SaePage() -> impl IntoView {
    let i18n = use_i18n();
    let app = use_app();
    automation::set_common("page", json!("sae"));
    let hidden = Arc::new(url::list_param("hide"));
    let mut panels = url::list_param("panels");
    if panels.is_empty() {
        panels = SAE_PANELS.iter().map(|p| (*p).to_owned()).collect();
    }
    let panels = Arc::new(panels);
    let autoplay = url::param("autoplay").is_none_or(|v| v != "0");
    let run = run_from_url();
    if let Some(speed) = url::param("speed").and_then(|v| v.parse::<usize>().ok()) {
        run.speed.set(speed.min(SAE_SPEEDS.len() - 1));
    }
    start_when_ready(run, autoplay);
    sync_url(run);
    automation::provide("sae", Box::new(move || state_json(run)));
    on_cleanup(|| automation::withdraw("sae"));

    let highlight = RwSignal::new(None::<usize>);
    let rotation = RwSignal::new((0.6f64, 0.35f64));
    let select = Callback::new(move |t: Target| match t {
        Target::Feature(f) | Target::Cell { row: f, .. } => {
            highlight.update(|h| *h = if *h == Some(f) { None } else { Some(f) });
        }
        _ => {}
    });
    let drag = Callback::new(move |(dx, dy): (f64, f64)| {
        rotation.update(|r| {
            r.0 += dx * 0.01;
            r.1 = (r.1 + dy * 0.01).clamp(-1.5, 1.5);
        });
    });

    let events = move || {
        Arc::new(run.history.with(|h| {
            h.resamples
                .iter()
                .map(|(s, c)| (f64::from(*s), *c))
                .collect::<Vec<_>>()
        }))
    };
    let loss_spec = Signal::from(Memo::new(move |_| {
        let h = run.history.get();
        let mut curves = vec![Curve {
            name: i18n.t(Key::SaeRecon).into(),
            color: 0,
            points: h.series(|s| s.recon),
        }];
        if h.stats.iter().any(|s| s.sparsity > 0.0) {
            curves.push(Curve {
                name: i18n.t(Key::SaeSparsityTerm).into(),
                color: 1,
                points: h.series(|s| s.sparsity),
            });
        }
        if h.stats.iter().any(|s| s.aux > 0.0) {
            curves.push(Curve {
                name: "AuxK".into(),
                color: 3,
                points: h.series(|s| s.aux),
            });
        }
        PlotSpec::Curves {
            curves: Arc::new(curves),
            events: events(),
            log_y: true,
            y_range: None,
        }
    }));
    let quality_spec = Signal::from(Memo::new(move |_| {
        let h = run.history.get();
        let mut curves = vec![
            Curve {
                name: i18n.t(Key::SaeExplainedVariance).into(),
                color: 0,
                points: h.series(|s| s.explained_variance),
            },
            Curve {
                name: i18n.t(Key::SaeDead).into(),
                color: 3,
                points: h.series(|s| s.dead_fraction),
            },
        ];
        if !h.mmcs.is_empty() {
            curves.push(Curve {
                name: "MMCS".into(),
                color: 2,
                points: h.mmcs.iter().map(|(s, m, _)| (*s, *m)).collect(),
            });
            curves.push(Curve {
                name: i18n.t(Key::SaeMmcsReverse).into(),
                color: 4,
                points: h.mmcs.iter().map(|(s, _, r)| (*s, *r)).collect(),
            });
        }
        if !h.shipped.is_empty() {
            curves.push(Curve {
                name: i18n.t(Key::SaeMmcsShippedCurve).into(),
                color: 2,
                points: h.shipped.iter().map(|(s, m, _)| (*s, *m)).collect(),
            });
            curves.push(Curve {
                name: i18n.t(Key::SaeMmcsShippedReverseCurve).into(),
                color: 4,
                points: h.shipped.iter().map(|(s, _, r)| (*s, *r)).collect(),
            });
        }
        PlotSpec::Curves {
            curves: Arc::new(curves),
            events: events(),
            log_y: false,
            y_range: Some((0.0, 1.02)),
        }
    }));
    let l0_spec = Signal::from(Memo::new(move |_| {
        let h = run.history.get();
        let curves = vec![Curve {
            name: "L0".into(),
            color: 1,
            points: h.series(|s| s.l0),
        }];
        PlotSpec::Curves {
            curves: Arc::new(curves),
            events: events(),
            log_y: false,
            y_range: None,
        }
    }));
    let density_spec = Signal::from(Memo::new(move |_| {
        let Some(view) = run.view.get() else {
            return PlotSpec::Empty {
                message: "…".into(),
            };
        };
        PlotSpec::Density {
            counts: Arc::new(view.histogram[1..].to_vec()),
            first_edge: -7.0,
            dead: view.histogram[0],
        }
    }));
    let directions_spec = Signal::from(Memo::new(move |_| {
        let Some(view) = run.view.get() else {
            return PlotSpec::Empty {
                message: "…".into(),
            };
        };
        let n = view.cfg.n();
        match (&view.truth, n) {
            (Some(truth), 2 | 3) => {
                let mut matched = vec![None; view.learned.len() / n];
                for (t, l, c) in view.matching.iter() {
                    if *c > 0.5 {
                        matched[*l] = Some(*t);
                    }
                }
                PlotSpec::Dictionary {
                    truth: Arc::clone(truth),
                    learned: Arc::clone(&view.learned),
                    dim: n,
                    matched: Arc::new(matched),
                    alive: Arc::clone(&view.alive),
                    rotation: rotation.get(),
                    highlight: highlight.get(),
                }
            }
            _ => PlotSpec::Empty {
                message: i18n.t(Key::SaeDirectionsUnavailable).into(),
            },
        }
    }));
    let cosine = Signal::from(Memo::new(move |_| {
        run.view.get().map_or(
            PlotSpec::Empty {
                message: "…".into(),
            },
            |v| cosine_spec(&v, highlight.get()),
        )
    }));

    let show = {
        let panels = Arc::clone(&panels);
        move |name: &str| panels.contains(name)
    };
    let hide_settings =
        hidden.contains("settings") || (app.embed && !hidden.contains("show-settings"));
    let card = move |name: &'static str,
                     title: Key,
                     spec: Signal<PlotSpec>,
                     aspect: f64,
                     note: Option<Key>,
                     drag: Option<Callback<(f64, f64)>>| {
        let label = Signal::derive(move || i18n.t(title).to_owned());
        view! {
            <section class="card" data-panel=name>
                <h2>{i18n.tr(title)}</h2>
                {note.map(|k| view! { <p class="card-note">{i18n.tr(k)}</p> })}
                <PlotCanvas spec name label aspect on_select=select on_drag=drag.unwrap_or(Callback::new(|_| {})) />
            </section>
        }
    };
    let running = move || run.status.get() == RunStatus::Running;
    let show_speed = !hidden.contains("speed");
    let copied = RwSignal::new(None::<&'static str>);
    let embed_panels = Arc::clone(&panels);
    let embed = move |_| {
        let href = url::current_href();
        let sep = if href.contains('?') { '&' } else { '?' };
        let mut chosen: Vec<&str> = SAE_PANELS
            .iter()
            .copied()
            .filter(|p| embed_panels.contains(*p))
            .collect();
        if chosen.len() == SAE_PANELS.len() {
            chosen = vec!["quality", "directions"];
        }
        let src = format!("{href}{sep}embed=1&panels={}", chosen.join(","));
        let snippet = format!(
            "<iframe src=\"{}\" width=\"100%\" height=\"560\" style=\"border:0\" loading=\"lazy\" title=\"Polytope: sparse autoencoder\"></iframe>",
            src.replace('&', "&amp;").replace('"', "&quot;")
        );
        download::copy_text(&snippet);
        automation::publish("embed_code", json!(snippet));
        copied.set(Some("embed"));
    };
    let full_link = move || url::current_href().replace("embed=1", "embed=0");

    view! {
        <div class="toy-page sae-page" class:embedded=app.embed>
            <Show when=move || !app.embed>
                <h1 class="page-title">{i18n.tr(Key::SaeTitle)}</h1>
                <p class="lead-small">{i18n.tr(Key::SaeIntro)}</p>
            </Show>
            <FallbackNotice />
            <div class="run-layout" class:no-sidebar=hide_settings>
                {(!hide_settings).then(|| view! {
                    <aside class="sidebar">
                        <h2 class="sr-only">{i18n.tr(Key::Controls)}</h2>
                        <SaeSettingsForm run hidden=Arc::clone(&hidden) />
                    </aside>
                })}
                <div class="run-main">
                    <div class="run-top">
                        <div class="playbar" role="group" aria-label="training">
                            <button class="button play" data-testid="play"
                                on:click=move |_| if running() { run.pause() } else { run.play() }
                                disabled=move || matches!(run.status.get(), RunStatus::Starting | RunStatus::Failed)>
                                {move || if running() { i18n.t(Key::Pause) } else { i18n.t(Key::Play) }}
                            </button>
                            <button class="button secondary" data-testid="step" on:click=move |_| run.step_once()
                                disabled=move || run.status.get() != RunStatus::Paused>
                                {i18n.tr(Key::StepOnce)}
                            </button>
                            <button class="button secondary" data-testid="reset" on:click=move |_| run.reset()>
                                {i18n.tr(Key::Reset)}
                            </button>
                            <Show when=move || show_speed>
                                <label class="speed">
                                    <span>{i18n.tr(Key::Speed)}</span>
                                    <input type="range" min="0" max=(SAE_SPEEDS.len() - 1).to_string() step="1"
                                        data-testid="speed"
                                        prop:value=move || run.speed.get().to_string()
                                        on:input=move |ev| {
                                            if let Ok(v) = event_target_value(&ev).parse::<usize>() {
                                                run.speed.set(v.min(SAE_SPEEDS.len() - 1));
                                            }
                                        } />
                                </label>
                            </Show>
                        </div>
                        <SaeStatusLine run />
                    </div>
                    <div class="cards">
                        {show("quality").then(|| card("quality", Key::PlotSaeQuality, quality_spec, 0.6, None, None))}
                        {show("loss").then(|| card("loss", Key::PlotSaeLoss, loss_spec, 0.6, None, None))}
                        {show("directions").then(|| view! {
                            <Show when=move || run.settings.with(|s| s.source == SourceKind::Toy && (2..=3).contains(&s.d_in))>
                                {card("directions", Key::PlotSaeDirections, directions_spec, 0.8, Some(Key::SaeDirectionsNote), Some(drag))}
                            </Show>
                        })}
                        {show("cosine").then(|| card("cosine", Key::PlotSaeCosine, cosine, 0.6, None, None))}
                        {show("l0").then(|| card("l0", Key::PlotSaeL0, l0_spec, 0.6, None, None))}
                        {show("density").then(|| card("density", Key::PlotSaeDensity, density_spec, 0.6, None, None))}
                    </div>
                    <Show when=move || !app.embed>
                        <div class="share-bar">
                            <button class="mini" data-testid="copy-link" on:click=move |_| {
                                download::copy_text(&url::current_href());
                                copied.set(Some("link"));
                            }>
                                {move || if copied.get() == Some("link") { i18n.t(Key::Copied) } else { i18n.t(Key::ShareLink) }}
                            </button>
                            <button class="mini" data-testid="copy-embed" on:click=embed.clone()>
                                {move || if copied.get() == Some("embed") { i18n.t(Key::Copied) } else { i18n.t(Key::EmbedCode) }}
                            </button>
                            <button class="mini" data-testid="export-json" on:click=move |_| {
                                if let Some(report) = run.report() {
                                    let text = serde_json::to_string_pretty(&report).unwrap_or_default();
                                    download::text_file("polytope-sae-report.json", "application/json", &text);
                                }
                            }>{i18n.tr(Key::SaeExportReport)}</button>
                            <button class="mini" data-testid="export-decoder" on:click=move |_| {
                                if let Some(csv) = run.decoder_csv() {
                                    download::text_file("polytope-sae-decoder.csv", "text/csv", &csv);
                                }
                            }>{i18n.tr(Key::SaeExportDecoder)}</button>
                        </div>
                    </Show>
                    <Show when=move || app.embed>
                        <p class="embed-link"><a href=full_link target="_blank" rel="noopener">{i18n.tr(Key::OpenFull)}</a></p>
                    </Show>
                </div>
            </div>
        </div>
    }
}
