//! `/toy`: train toy models of superposition live and watch every plot of the paper update.

use std::collections::HashSet;
use std::sync::Arc;

use leptos::prelude::*;
use polytope_core::tms::{SETTING_NAMES, TmsSettings, geometry_graph};
use polytope_plots::{LossSeries, Target};
use serde_json::json;

use crate::automation;
use crate::components::fallback_notice::FallbackNotice;
use crate::components::run_controls::{Hidden, PlayBar, SettingsForm};
use crate::download;
use crate::i18n::{Key, use_i18n};
use crate::plot::{PlotCanvas, PlotSpec};
use crate::run::{RunStatus, Severity, TmsRun, View, start_when_ready};
use crate::url;
use crate::use_app;

/// The panels of the page, by their `panels=` names.
pub const PANELS: [&str; 6] = ["vectors", "wtw", "norms", "loss", "multiples", "neurons"];

/// Page parameters beside the run settings.
pub struct PageParams {
    pub hidden: Hidden,
    pub panels: Arc<HashSet<String>>,
    pub autoplay: bool,
    pub instance: Option<usize>,
    pub speed: Option<usize>,
}

impl PageParams {
    pub fn read() -> Self {
        let list = url::list_param;
        let mut panels = list("panels");
        if panels.is_empty() {
            panels = PANELS.iter().map(|p| (*p).to_owned()).collect();
        }
        Self {
            hidden: Arc::new(list("hide")),
            panels: Arc::new(panels),
            autoplay: url::param("autoplay").is_none_or(|v| v != "0"),
            instance: url::param("instance").and_then(|v| v.parse().ok()),
            speed: url::param("speed").and_then(|v| v.parse().ok()),
        }
    }
}

/// Reads the run settings from the address and creates the session.
pub fn run_from_url(default_preset: &str) -> TmsRun {
    let query = url::query();
    let mut pairs: Vec<(&str, &str)> = query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if !pairs.iter().any(|(k, _)| *k == "preset") {
        pairs.insert(0, ("preset", default_preset));
    }
    let (settings, errors) = TmsSettings::from_pairs(pairs.iter().copied());
    let prefer_cpu = url::param("backend").is_some_and(|b| b == "cpu");
    TmsRun::new(settings, errors, prefer_cpu)
}

/// Keeps the address in step with the settings (settings first, other parameters kept).
pub fn sync_url(run: TmsRun) {
    Effect::new(move |_| {
        let pairs = run.settings.with(TmsSettings::to_pairs);
        let mut query: Vec<(String, String)> = url::query()
            .into_iter()
            .filter(|(k, _)| !SETTING_NAMES.contains(&k.as_str()))
            .collect();
        let mut all = pairs;
        all.append(&mut query);
        url::replace_query(&all);
    });
}

/// The JSON section `window.polytope.state()` shows for a run (shared with `/geometry`).
pub fn run_state(
    run: TmsRun,
    selected: RwSignal<usize>,
    highlight: RwSignal<Option<usize>>,
) -> serde_json::Value {
    let report = run.report();
    let settings: serde_json::Map<String, serde_json::Value> = run
        .settings
        .with_untracked(TmsSettings::to_pairs)
        .into_iter()
        .map(|(k, v)| (k, json!(v)))
        .collect();
    json!({
        "status": run.status.get_untracked().name(),
        "step": run.view.get_untracked().map_or(0, |v| v.step),
        "steps_total": run.settings.with_untracked(|s| s.steps),
        "backend": run.backend.get_untracked().map(polytope_gpu::BackendKind::name),
        "steps_per_second": run.steps_per_second.get_untracked(),
        "settings": settings,
        "setting_errors": run.setting_errors.get_untracked().iter().map(ToString::to_string).collect::<Vec<_>>(),
        "message": run.message.get_untracked().map(|(_, m)| m),
        "selected_instance": selected.get_untracked(),
        "highlight_feature": highlight.get_untracked(),
        "report": report,
    })
}

fn density_label(view: &View, i: usize) -> String {
    let p = view.cfg.instances[i]
        .feature_probability
        .iter()
        .copied()
        .fold(f32::INFINITY, f32::min);
    format!("{p:.3}")
}

/// The status line: step, loss, speed, backend.
#[component]
pub fn RunStatusLine(run: TmsRun) -> impl IntoView {
    let i18n = use_i18n();
    let status_text = move || match run.status.get() {
        RunStatus::Starting => i18n.t(Key::StatusStarting),
        RunStatus::Paused => i18n.t(Key::StatusPaused),
        RunStatus::Running => i18n.t(Key::StatusRunning),
        RunStatus::Done => i18n.t(Key::StatusDone),
        RunStatus::Failed => i18n.t(Key::StatusFailed),
    };
    view! {
        <div class="status-line" data-testid="status">
            <span class=move || format!("status-pill {}", run.status.get().name())>{status_text}</span>
            <span>
                {i18n.tr(Key::Step)} " "
                <strong data-testid="step">{move || run.view.get().map_or(0, |v| v.step)}</strong>
                " / " {move || run.settings.with(|s| s.steps)}
            </span>
            <span>
                {i18n.tr(Key::Loss)} " "
                <strong>{move || run.view.get().and_then(|v| {
                    (!v.last_loss.is_empty()).then(|| format!("{:.4e}", v.last_loss.iter().sum::<f32>() / v.last_loss.len() as f32))
                }).unwrap_or_else(|| "—".into())}</strong>
            </span>
            <span>{move || format!("{:.0}", run.steps_per_second.get())} " " {i18n.tr(Key::StepsPerSecond)}</span>
            <span class="backend-used">{move || match run.backend.get() {
                Some(polytope_gpu::BackendKind::Gpu) => i18n.t(Key::BackendWebGpu),
                Some(polytope_gpu::BackendKind::Cpu) => i18n.t(Key::BackendCpu),
                None => "—",
            }}</span>
        </div>
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
    }
}

/// Share and embed buttons.
// Leptos components take their props by value; the set uses the default hasher.
#[allow(clippy::needless_pass_by_value, clippy::implicit_hasher)]
#[component]
pub fn ShareBar(run: TmsRun, panels: Arc<HashSet<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let copied = RwSignal::new(None::<&'static str>);
    let copy_link = move |_| {
        download::copy_text(&url::current_href());
        copied.set(Some("link"));
    };
    let embed = move |_| {
        let href = url::current_href();
        let sep = if href.contains('?') { '&' } else { '?' };
        let mut chosen: Vec<&str> = PANELS
            .iter()
            .copied()
            .filter(|p| panels.contains(*p))
            .collect();
        if chosen.len() == PANELS.len() {
            chosen = vec!["vectors", "loss"];
        }
        let src = format!("{href}{sep}embed=1&panels={}", chosen.join(","));
        let snippet = format!(
            "<iframe src=\"{}\" width=\"100%\" height=\"520\" style=\"border:0\" loading=\"lazy\" title=\"Polytope: toy model of superposition\"></iframe>",
            src.replace('&', "&amp;").replace('"', "&quot;")
        );
        download::copy_text(&snippet);
        crate::automation::publish("embed_code", json!(snippet));
        copied.set(Some("embed"));
    };
    let export = move |_| {
        if let Some(report) = run.report() {
            let text = serde_json::to_string_pretty(&report).unwrap_or_default();
            download::text_file("polytope-snapshot.json", "application/json", &text);
        }
    };
    view! {
        <div class="share-bar">
            <button class="mini" on:click=copy_link data-testid="copy-link">
                {move || if copied.get() == Some("link") { i18n.t(Key::Copied) } else { i18n.t(Key::ShareLink) }}
            </button>
            <button class="mini" on:click=embed data-testid="copy-embed">
                {move || if copied.get() == Some("embed") { i18n.t(Key::Copied) } else { i18n.t(Key::EmbedCode) }}
            </button>
            <button class="mini" on:click=export data-testid="export-json">{i18n.tr(Key::ExportJson)}</button>
        </div>
    }
}

#[component]
pub fn ToyPage() -> impl IntoView {
    let i18n = use_i18n();
    let app = use_app();
    automation::set_common("page", json!("toy"));
    let params = PageParams::read();
    let run = run_from_url("intro");
    if let Some(speed) = params.speed {
        run.speed.set(speed.min(crate::run::SPEEDS.len() - 1));
    }
    start_when_ready(run, params.autoplay);
    sync_url(run);

    let instances = move || {
        run.view
            .with(|v| v.as_ref().map_or(1, |v| v.cfg.instance_count()))
    };
    let selected = RwSignal::new(params.instance.unwrap_or(usize::MAX));
    // Default to the sparsest instance (the last), clamp when the run changes.
    Effect::new(move |_| {
        if run.view.with(Option::is_none) {
            return;
        }
        let count = instances();
        if selected.get_untracked() >= count {
            selected.set(count.saturating_sub(1));
        }
    });
    let highlight = RwSignal::new(None::<usize>);
    let rotation = RwSignal::new((0.6f64, 0.35f64));
    Effect::new(move |_| {
        // A new shape of run clears the highlight.
        run.settings.with(|s| (s.n, s.m));
        highlight.set(None);
    });

    automation::provide("toy", Box::new(move || run_state(run, selected, highlight)));
    on_cleanup(|| automation::withdraw("toy"));

    let select = Callback::new(move |t: Target| match t {
        Target::Feature(f) | Target::NeuronFeature { feature: f, .. } => {
            highlight.update(|h| *h = if *h == Some(f) { None } else { Some(f) });
        }
        Target::Cell { row, .. } => highlight.set(Some(row)),
        Target::Instance(i) | Target::InstanceFeature { instance: i, .. } => selected.set(i),
    });

    let shape = move || {
        run.view
            .with(|v| v.as_ref().map(|v| (v.cfg.m(), v.cfg.n(), v.cfg.model)))
    };
    let vectors_spec = Signal::from(Memo::new(move |_| {
        let Some(view) = run.view.get() else {
            return PlotSpec::Empty {
                message: "…".into(),
            };
        };
        let i = selected.get().min(view.cfg.instance_count() - 1);
        let (m, n) = (view.cfg.m(), view.cfg.n());
        let w = Arc::new(view.w(i).to_vec());
        match m {
            1 => {
                // One hidden dimension: draw it as the x axis of the plane.
                let mut padded = w.as_ref().clone();
                padded.extend(std::iter::repeat_n(0.0, n));
                PlotSpec::Vectors2d {
                    w: Arc::new(padded),
                    n,
                    highlight: highlight.get(),
                }
            }
            2 => PlotSpec::Vectors2d {
                w,
                n,
                highlight: highlight.get(),
            },
            3 => PlotSpec::Vectors3d {
                w,
                n,
                rotation: rotation.get(),
                highlight: highlight.get(),
            },
            _ => {
                let g = geometry_graph(&w, m, n, 0.1);
                PlotSpec::Graph {
                    graph: Arc::new(g),
                    n,
                    highlight: highlight.get(),
                }
            }
        }
    }));
    let gram_spec = Signal::from(Memo::new(move |_| {
        let Some(view) = run.view.get() else {
            return PlotSpec::Empty {
                message: "…".into(),
            };
        };
        let i = selected.get().min(view.cfg.instance_count() - 1);
        PlotSpec::Gram {
            w: Arc::new(view.w(i).to_vec()),
            m: view.cfg.m(),
            n: view.cfg.n(),
            b: Arc::new(view.b(i).to_vec()),
            highlight: highlight.get(),
        }
    }));
    let norms_spec = Signal::from(Memo::new(move |_| {
        let Some(view) = run.view.get() else {
            return PlotSpec::Empty {
                message: "…".into(),
            };
        };
        let i = selected.get().min(view.cfg.instance_count() - 1);
        PlotSpec::Norms {
            norms: Arc::new(view.metrics[i].norms.clone()),
            superposition: Arc::new(view.metrics[i].superposition.clone()),
            highlight: highlight.get(),
        }
    }));
    let loss_spec = Signal::from(Memo::new(move |_| {
        let log = run.losses.get();
        let series = (0..log.instances)
            .map(|i| LossSeries {
                instance: i,
                points: log.series(i),
            })
            .collect();
        PlotSpec::Loss {
            series: Arc::new(series),
            instances: log.instances,
            highlight: Some(selected.get()),
        }
    }));
    let multiples_spec = Signal::from(Memo::new(move |_| {
        let Some(view) = run.view.get() else {
            return PlotSpec::Empty {
                message: "…".into(),
            };
        };
        let panels = (0..view.cfg.instance_count())
            .map(|i| {
                (
                    i,
                    format!("p = {}", density_label(&view, i)),
                    Arc::new(view.w(i).to_vec()),
                    Arc::new(view.b(i).to_vec()),
                )
            })
            .collect();
        PlotSpec::Multiples {
            panels: Arc::new(panels),
            m: view.cfg.m(),
            n: view.cfg.n(),
            selected: Some(selected.get()),
            highlight: highlight.get(),
        }
    }));
    let neurons_spec = Signal::from(Memo::new(move |_| {
        let Some(view) = run.view.get() else {
            return PlotSpec::Empty {
                message: "…".into(),
            };
        };
        let i = selected.get().min(view.cfg.instance_count() - 1);
        PlotSpec::Neurons {
            w: Arc::new(view.w(i).to_vec()),
            m: view.cfg.m(),
            n: view.cfg.n(),
            highlight: highlight.get(),
        }
    }));

    let panels = Arc::clone(&params.panels);
    let show = move |name: &str| panels.contains(name);
    let is_privileged =
        move || shape().is_some_and(|(_, _, k)| k == polytope_core::tms::ModelKind::Privileged);
    let vectors_title = move || match shape() {
        Some((3, _, _)) => i18n.t(Key::PlotVectors3d).to_owned(),
        Some((2, _, _)) => i18n.t(Key::PlotVectors).to_owned(),
        _ => format!("{} (|Wᵢ·Wⱼ|)", i18n.t(Key::PlotVectors)),
    };
    let drag = Callback::new(move |(dx, dy): (f64, f64)| {
        rotation.update(|r| {
            r.0 += dx * 0.01;
            r.1 = (r.1 + dy * 0.01).clamp(-1.5, 1.5);
        });
    });

    let instance_picker = move || {
        run.view.get().map(|view| {
            let count = view.cfg.instance_count();
            let i = selected.get().min(count - 1);
            let loss = view
                .last_loss
                .get(i)
                .map_or_else(|| "—".to_owned(), |l| format!("{l:.4e}"));
            let label = format!(
                "{} {} / {} · {} {} · {} {loss} · D* {:.3}",
                i18n.t(Key::Instance),
                i,
                count,
                i18n.t(Key::InstanceDensity),
                density_label(&view, i),
                i18n.t(Key::Loss),
                view.metrics[i].dims_per_feature,
            );
            view! {
                <label class="instance-picker">
                    <input type="range" min="0" max=(count - 1).to_string() step="1"
                        data-testid="instance"
                        prop:value=i.to_string()
                        on:input=move |ev| {
                            if let Ok(v) = event_target_value(&ev).parse::<usize>() {
                                selected.set(v);
                                url::update(&[("instance", Some(v.to_string()))]);
                            }
                        } />
                    <span data-testid="instance-label">{label}</span>
                </label>
            }
        })
    };

    let hidden = Arc::clone(&params.hidden);
    let hide_settings =
        hidden.contains("settings") || (app.embed && !hidden.contains("show-settings"));
    let share_panels = Arc::clone(&params.panels);
    let card = move |name: &'static str,
                     title: Signal<String>,
                     spec: Signal<PlotSpec>,
                     aspect: f64,
                     extra: Option<AnyView>,
                     drag: Option<Callback<(f64, f64)>>| {
        view! {
            <section class="card" data-panel=name>
                <h2>{move || title.get()}</h2>
                {extra}
                <PlotCanvas spec name label=title aspect on_select=select on_drag=drag.unwrap_or(Callback::new(|_| {})) />
            </section>
        }
    };
    let full_link = move || {
        let href = url::current_href();
        href.replace("embed=1", "embed=0")
    };

    view! {
        <div class="toy-page" class:embedded=app.embed>
            <Show when=move || !app.embed>
                <h1 class="page-title">{i18n.tr(Key::ToyTitle)}</h1>
            </Show>
            <FallbackNotice />
            <div class="run-layout" class:no-sidebar=hide_settings>
                {(!hide_settings).then(|| view! {
                    <aside class="sidebar">
                        <h2 class="sr-only">{i18n.tr(Key::Controls)}</h2>
                        <SettingsForm run hidden=Arc::clone(&hidden) />
                    </aside>
                })}
                <div class="run-main">
                    <div class="run-top">
                        <PlayBar run hidden=Arc::clone(&params.hidden) />
                        <RunStatusLine run />
                        {instance_picker}
                        {move || highlight.get().map(|f| view! {
                            <p class="highlight-note">
                                {i18n.tr(Key::Highlighted)} ": " {f} " "
                                <button class="mini" on:click=move |_| highlight.set(None)>{i18n.tr(Key::ClearHighlight)}</button>
                            </p>
                        })}
                    </div>
                    <div class="cards">
                        {show("vectors").then(|| card(
                            "vectors",
                            Signal::derive(vectors_title),
                            vectors_spec,
                            0.8,
                            None,
                            // Rotates the 3-D view; the 2-D view ignores it.
                            Some(drag),
                        ))}
                        {show("neurons").then(|| view! {
                            <Show when=is_privileged>
                                {card("neurons", Signal::derive(move || i18n.t(Key::PlotNeurons).to_owned()), neurons_spec, 0.6, None, None)}
                            </Show>
                        })}
                        {show("wtw").then(|| card("wtw", Signal::derive(move || i18n.t(Key::PlotGram).to_owned()), gram_spec, 0.9, None, None))}
                        {show("norms").then(|| card(
                            "norms",
                            Signal::derive(move || i18n.t(Key::PlotNorms).to_owned()),
                            norms_spec,
                            0.8,
                            Some(view! { <p class="card-note">{i18n.tr(Key::ColourKey)}</p> }.into_any()),
                            None,
                        ))}
                        {show("loss").then(|| card("loss", Signal::derive(move || i18n.t(Key::PlotLoss).to_owned()), loss_spec, 0.6, None, None))}
                        {show("multiples").then(|| view! {
                            <section class="card wide" data-panel="multiples">
                                <h2>{i18n.tr(Key::PlotMultiples)}</h2>
                                <PlotCanvas spec=multiples_spec name="multiples" label=Signal::derive(move || i18n.t(Key::PlotMultiples).to_owned()) aspect=0.45 on_select=select />
                            </section>
                        })}
                    </div>
                    <Show when=move || !app.embed>
                        <p class="card-note">{i18n.tr(Key::ClickHint)}</p>
                        <ShareBar run panels=Arc::clone(&share_panels) />
                    </Show>
                    <Show when=move || app.embed>
                        <p class="embed-link"><a href=full_link target="_blank" rel="noopener">{i18n.tr(Key::OpenFull)}</a></p>
                    </Show>
                </div>
            </div>
        </div>
    }
}
