//! `/toy`: train toy models of superposition live and watch every plot of the paper update.

use std::sync::Arc;

use leptos::prelude::*;
use polytope_core::tms::{ModelKind, TmsSettings};
use polytope_plots::Target;

use crate::components::plot_card::PlotCard;
use crate::components::run_frame::RunFrame;
use crate::components::settings_form::Hidden;
use crate::components::share_bar::{EmbedSpec, Export};
use crate::components::status_line::StatusLine;
use crate::components::toy_settings::ToySettingsForm;
use crate::engine::tms::TmsRun;
use crate::i18n::{Key, use_i18n};
use crate::page::{PageParams, set_page};
use crate::plot::PlotSpec;
use crate::state::run_state;
use crate::{download, specs, url, use_app};

/// The panels of the page, by their `panels=` names.
pub const PANELS: [&str; 6] = ["vectors", "wtw", "norms", "loss", "multiples", "neurons"];

/// What an embed of `/toy` shows.
pub const EMBED: EmbedSpec = EmbedSpec {
    panels: &PANELS,
    default: &["vectors", "loss"],
    title: "Polytope: toy model of superposition",
};

/// Reads the run settings from the address (over `default_preset`) and creates the run.
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
    TmsRun::for_settings(settings, errors, use_app().prefer_cpu)
}

/// Keeps the address in step with the settings (settings first, other parameters kept).
pub fn sync_url(run: TmsRun) {
    Effect::new(move |_| {
        let pairs = run.data.settings.with(TmsSettings::to_pairs);
        url::replace_settings::<TmsSettings>(pairs);
    });
}

/// What every toy-model page does first: names the page, reads its parameters and its run from
/// the address (over `default_preset`), applies speed and autoplay, keeps the address in step
/// with the settings, and selects the instance the address names.
pub fn open_toy_run(
    page: &'static str,
    default_preset: &str,
    panels: &[&str],
) -> (PageParams, TmsRun, Selection) {
    set_page(page);
    let params = PageParams::read(panels);
    let run = run_from_url(default_preset);
    params.apply_speed(run);
    run.start_when_ready(params.autoplay);
    sync_url(run);
    let selection = Selection::new(run, params.instance);
    (params, run, selection)
}

/// The selected instance (the sparsest by default) and highlighted feature of a toy page.
#[derive(Clone, Copy)]
pub struct Selection {
    pub instance: RwSignal<usize>,
    pub feature: RwSignal<Option<usize>>,
}

impl Selection {
    /// Starts at `instance` (the last instance when absent) and clamps when the run changes.
    pub fn new(run: TmsRun, instance: Option<usize>) -> Self {
        let s = Self {
            instance: RwSignal::new(instance.unwrap_or(usize::MAX)),
            feature: RwSignal::new(None),
        };
        Effect::new(move |_| {
            let count = run
                .data
                .view
                .with(|v| v.as_ref().map(|v| v.cfg.instance_count()));
            if let Some(count) = count
                && s.instance.get_untracked() >= count
            {
                s.instance.set(count.saturating_sub(1));
            }
        });
        Effect::new(move |_| {
            // A new shape of run clears the highlight.
            run.data.settings.with(|st| (st.n, st.m));
            s.feature.set(None);
        });
        s
    }

    /// What a click on a plot selects.
    pub fn on_select(self) -> Callback<Target> {
        Callback::new(move |t: Target| match t {
            Target::Feature(f)
            | Target::NeuronFeature { feature: f, .. }
            | Target::Cell { row: f, .. } => {
                self.feature
                    .update(|h| *h = if *h == Some(f) { None } else { Some(f) });
            }
            Target::Instance(i) | Target::InstanceFeature { instance: i, .. } => {
                self.instance.set(i);
                url::update(&[("instance", Some(i.to_string()))]);
            }
        })
    }
}

/// A spec of the run's view with its features named by `labels` (the page's `labels=`), or
/// "waiting" before there is one.
fn view_spec(
    run: TmsRun,
    labels: Option<Arc<Vec<String>>>,
    f: impl Fn(&crate::engine::tms::View) -> PlotSpec + Send + Sync + 'static,
) -> Signal<PlotSpec> {
    Signal::from(Memo::new(move |_| {
        run.data.view.with(|v| {
            v.as_ref()
                .map_or_else(specs::waiting, |v| f(v).with_names(labels.clone()))
        })
    }))
}

/// The status line of a toy-model run, with the mean loss.
#[component]
pub fn ToyStatusLine(run: TmsRun) -> impl IntoView {
    let i18n = use_i18n();
    let errors = Signal::derive(move || {
        run.data
            .setting_errors
            .with(|e| e.iter().map(ToString::to_string).collect::<Vec<_>>())
    });
    let loss = move || {
        run.data
            .view
            .with(|v| {
                v.as_ref().and_then(|v| {
                    (!v.last_loss.is_empty()).then(|| {
                        format!(
                            "{:.4e}",
                            v.last_loss.iter().sum::<f32>() / v.last_loss.len() as f32
                        )
                    })
                })
            })
            .unwrap_or_else(|| "—".into())
    };
    view! {
        <StatusLine run setting_errors=errors>
            <span>{i18n.tr(Key::Loss)} " " <strong>{loss}</strong></span>
        </StatusLine>
    }
}

/// The slider choosing the instance shown, with its density, loss and dimensions per feature.
#[component]
fn InstancePicker(run: TmsRun, selection: Selection) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        run.data.view.get().map(|view| {
            let count = view.cfg.instance_count();
            let i = specs::instance(&view, selection.instance.get());
            let loss = view
                .last_loss
                .get(i)
                .map_or_else(|| "—".to_owned(), |l| format!("{l:.4e}"));
            let label = format!(
                "{} {} / {} · {} {:.3} · {} {loss} · D* {:.3}",
                i18n.t(Key::Instance),
                i,
                count,
                i18n.t(Key::InstanceDensity),
                view.density(i),
                i18n.t(Key::Loss),
                view.metrics[i].dims_per_feature,
            );
            (count > 1).then(|| {
                view! {
                    <label class="instance-picker">
                        <span class="sr-only">{i18n.tr(Key::Instance)}</span>
                        <input type="range" min="0" max=(count - 1).to_string() step="1"
                            data-testid="instance"
                            prop:value=i.to_string()
                            on:input=move |ev| {
                                if let Ok(v) = event_target_value(&ev).parse::<usize>() {
                                    selection.instance.set(v);
                                    url::update(&[("instance", Some(v.to_string()))]);
                                }
                            } />
                        <span data-testid="instance-label">{label}</span>
                    </label>
                }
            })
        })
    }
}

#[component]
pub fn ToyPage() -> impl IntoView {
    let i18n = use_i18n();
    let (params, run, selection) = open_toy_run("toy", "intro", &PANELS);
    let rotation = RwSignal::new((0.6f64, 0.35f64));
    let labels = params.labels.clone();
    crate::state::provide("toy", move || run_state(run, selection, labels.as_ref()));

    let select = selection.on_select();
    let drag = Callback::new(move |(dx, dy): (f64, f64)| {
        rotation.update(|r| {
            r.0 += dx * 0.01;
            r.1 = (r.1 + dy * 0.01).clamp(-1.5, 1.5);
        });
    });
    let at = move |v: &crate::engine::tms::View| specs::instance(v, selection.instance.get());
    let h = move || selection.feature.get();
    let vectors = view_spec(run, params.labels.clone(), move |v| {
        specs::vectors(v, at(v), h(), rotation.get())
    });
    let gram = view_spec(run, params.labels.clone(), move |v| {
        specs::gram(v, at(v), h())
    });
    let norms = view_spec(run, params.labels.clone(), move |v| {
        specs::norms(v, at(v), h())
    });
    let multiples = view_spec(run, params.labels.clone(), move |v| {
        specs::multiples(v, selection.instance.get(), h())
    });
    let neurons = view_spec(run, params.labels.clone(), move |v| {
        specs::neurons(v, at(v), h())
    });
    let loss = Signal::from(Memo::new(move |_| {
        run.data
            .losses
            .with(|l| specs::loss(l, selection.instance.get()))
    }));

    let shape = move || {
        run.data
            .view
            .with(|v| v.as_ref().map(|v| (v.cfg.m(), v.cfg.model)))
    };
    let has_neurons =
        move || shape().is_some_and(|(_, k)| matches!(k, ModelKind::Privileged | ModelKind::Abs));
    let vectors_title = Signal::derive(move || match shape() {
        Some((3, _)) => i18n.t(Key::PlotVectors3d).to_owned(),
        Some((1 | 2, _)) => i18n.t(Key::PlotVectors).to_owned(),
        _ => format!("{} (|Wᵢ·Wⱼ|)", i18n.t(Key::PlotVectors)),
    });
    let title = move |key: Key| Signal::derive(move || i18n.t(key).to_owned());
    let panels = Arc::clone(&params.panels);
    let show = move |name: &str| panels.contains(name);
    let hidden: Hidden = Arc::clone(&params.hidden);
    let exports = vec![Export {
        label: Key::ExportJson,
        testid: "export-json",
        action: Callback::new(move |()| {
            if let Some(report) = run.report() {
                let text = serde_json::to_string_pretty(&report).unwrap_or_default();
                download::text_file("polytope-snapshot.json", "application/json", &text);
            }
        }),
    }];

    view! {
        <RunFrame run params title=Key::ToyTitle embed=EMBED exports hint=Key::ClickHint
            settings=move || view! { <ToySettingsForm run hidden=Arc::clone(&hidden) /> }.into_any()
            status=view! {
                <ToyStatusLine run />
                <InstancePicker run selection />
                {move || selection.feature.get().map(|f| view! {
                    <p class="highlight-note">
                        {i18n.tr(Key::Highlighted)} ": " {f} " "
                        <button class="mini" on:click=move |_| selection.feature.set(None)>{i18n.tr(Key::ClearHighlight)}</button>
                    </p>
                })}
            }.into_any()>
            <div class="cards">
                {show("vectors").then(|| view! {
                    <PlotCard name="vectors" title=vectors_title spec=vectors aspect=0.8 on_select=select on_drag=drag />
                })}
                {show("neurons").then(|| view! {
                    <Show when=has_neurons>
                        <PlotCard name="neurons" title=title(Key::PlotNeurons) spec=neurons aspect=0.6 on_select=select />
                    </Show>
                })}
                {show("wtw").then(|| view! {
                    <PlotCard name="wtw" title=title(Key::PlotGram) spec=gram aspect=0.9 on_select=select />
                })}
                {show("norms").then(|| view! {
                    <PlotCard name="norms" title=title(Key::PlotNorms) spec=norms aspect=0.8
                        note=title(Key::ColourKey) on_select=select />
                })}
                {show("loss").then(|| view! {
                    <PlotCard name="loss" title=title(Key::PlotLoss) spec=loss aspect=0.6 on_select=select />
                })}
                {show("multiples").then(|| view! {
                    <PlotCard name="multiples" title=title(Key::PlotMultiples) spec=multiples aspect=0.45 wide=true on_select=select />
                })}
            </div>
        </RunFrame>
    }
}
