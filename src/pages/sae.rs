//! `/sae`: train a sparse autoencoder live on data whose features are known, and watch it
//! recover them; or on the shipped language model's activations, computed in the browser, and
//! compare the dictionary with the shipped one.

use std::sync::Arc;

use leptos::prelude::*;
use polytope_core::sae::{ActivationFile, MAX_D_IN, SaeSettings, SourceKind};
use polytope_core::settings::Described;
use polytope_plots::Target;

use crate::components::plot_card::PlotCard;
use crate::components::run_frame::RunFrame;
use crate::components::settings_form::{BackendField, Hidden, Labels, SeedField, SettingsFields};
use crate::components::share_bar::{EmbedSpec, Export};
use crate::components::status_line::StatusLine;
use crate::engine::sae::{LmProgress, SaeRun};
use crate::i18n::{self, I18n, Key, use_i18n};
use crate::page::{PageParams, set_page};
use crate::plot::PlotSpec;
use crate::specs::{self, SaeCurveNames};
use crate::state::SaeState;
use crate::{download, url, use_app};

/// The panels of the page, by their `panels=` names.
pub const SAE_PANELS: [&str; 6] = ["loss", "quality", "l0", "density", "directions", "cosine"];

const EMBED: EmbedSpec = EmbedSpec {
    panels: &SAE_PANELS,
    default: &["quality", "directions"],
    title: "Polytope: sparse autoencoder",
};

const SAE_LABELS: Labels = Labels {
    setting: i18n::sae_setting_label,
    choice: i18n::choice_label,
};

/// Reads the settings from the address and creates the run.
fn run_from_url() -> SaeRun {
    let query = url::query();
    let pairs: Vec<(&str, &str)> = query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (settings, errors) = SaeSettings::from_pairs(pairs.iter().copied(), false);
    SaeRun::for_settings(settings, errors, use_app().prefer_cpu)
}

/// Keeps the address in step with the settings (settings first, other parameters kept).
fn sync_url(run: SaeRun) {
    Effect::new(move |_| {
        // A picked file cannot travel in a link: the address keeps the last shareable run.
        if run
            .data
            .settings
            .with(|s| matches!(s.source, SourceKind::File(_)))
        {
            return;
        }
        let pairs = run.data.settings.with(SaeSettings::to_pairs);
        url::replace_settings::<SaeSettings>(pairs);
    });
}

/// Applies a changed setting: a new source starts from its defaults (keeping the variant
/// and seed); combinations that cannot run are repaired and said.
fn apply_setting(run: SaeRun, error: RwSignal<Option<String>>, name: &str, value: &str) {
    let settings = run.data.settings;
    let mut s = settings.get_untracked();
    if let Err(e) = s.set(name, value) {
        error.set(Some(e.to_string()));
        settings.update(|_| {});
        return;
    }
    if name == "source" {
        let mut fresh = SaeSettings::for_source(s.source.clone());
        fresh.variant = s.variant;
        fresh.seed = s.seed;
        s = fresh;
    }
    let problems = s.repair();
    error.set(problems.first().map(ToString::to_string));
    run.restart_with(s);
}

/// Reads a picked activation file and trains on it.
fn pick_file(run: SaeRun, error: RwSignal<Option<String>>, ev: &leptos::ev::Event) {
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
    let lang = run.lang();
    let say = move |key: Key, values: &[String]| {
        let mut text = crate::i18n::text(lang, key).replace("{name}", &name);
        for (i, v) in values.iter().enumerate() {
            text = text.replace(&format!("{{{i}}}"), v);
        }
        error.set(Some(text));
    };
    // The whole file is read into the page: refuse what the page cannot hold first.
    if file.size() > crate::limits::MAX_ACTIVATION_FILE_BYTES as f64 {
        say(
            Key::SaeFileTooBig,
            &[
                format!("{:.0}", file.size() / 1e6),
                (crate::limits::MAX_ACTIVATION_FILE_BYTES / 1_000_000).to_string(),
            ],
        );
        return;
    }
    leptos::task::spawn_local(async move {
        let Ok(buffer) = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await else {
            say(Key::SaeFileUnreadable, &[]);
            return;
        };
        let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
        match ActivationFile::parse(&bytes) {
            Ok(parsed) if parsed.d_in as u32 > MAX_D_IN => say(
                Key::SaeFileTooWide,
                &[parsed.d_in.to_string(), MAX_D_IN.to_string()],
            ),
            Ok(parsed) => {
                error.set(None);
                run.use_file(file.name(), parsed);
            }
            Err(e) => say(Key::SaeFileRefused, &[e.to_string()]),
        }
    });
}

// Leptos components take their props by value.
#[allow(clippy::needless_pass_by_value)]
#[component]
fn SaeSettingsForm(run: SaeRun, hidden: Hidden) -> impl IntoView {
    let i18n = use_i18n();
    let settings = run.data.settings;
    let error = RwSignal::new(None::<String>);
    let on_change = Callback::new(move |(name, value): (&'static str, String)| {
        apply_setting(run, error, name, &value);
    });
    let shown = |name: &str| !hidden.contains(name) && !hidden.contains("settings");
    let is_lm = move || settings.with(|s| s.source == SourceKind::Lm);
    let file_name = move || {
        settings.with(|s| match &s.source {
            SourceKind::File(name) => Some(name.clone()),
            _ => None,
        })
    };
    view! {
        <div class="settings-form">
            {move || error.get().map(|e| view! { <p class="notice notice-error" role="alert">{e}</p> })}
            <SettingsFields settings hidden=hidden.clone() labels=SAE_LABELS on_change skip=&["seed"] />
            <Show when=is_lm>
                <p class="card-note" data-testid="lm-note">{i18n.tr(Key::SaeLmNote)}</p>
            </Show>
            {shown("source").then(|| view! {
                <label class="field" data-control="file">
                    <span>{i18n.tr(Key::SaeSourceFile)}</span>
                    <input type="file" name="file" data-testid="activation-file"
                        on:change=move |ev| pick_file(run, error, &ev) />
                </label>
            })}
            {move || file_name().map(|name| view! {
                <p class="card-note" data-testid="file-source">{i18n.tr(Key::SaeFileInUse)} ": " {name}</p>
            })}
            {shown("seed").then(|| view! { <SeedField settings on_change /> })}
            {shown("backend").then(|| view! {
                <BackendField prefer_cpu=run.prefer_cpu on_change=Callback::new(move |cpu| run.switch_backend(cpu)) />
            })}
        </div>
    }
}

fn fmt_opt(v: Option<f32>, digits: usize) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:.digits$}"))
}

/// The lab's status line: loss, explained variance, L0, dead fraction, MMCS.
#[component]
fn SaeStatusLine(run: SaeRun) -> impl IntoView {
    let i18n = use_i18n();
    let data = run.data;
    let last = move || data.view.get().and_then(|v| v.last);
    let errors = Signal::derive(move || {
        data.setting_errors
            .with(|e| e.iter().map(ToString::to_string).collect::<Vec<_>>())
    });
    view! {
        <StatusLine run setting_errors=errors starting=Key::SaeBuilding>
            <span>{i18n.tr(Key::Loss)} " " <strong>{move || fmt_opt(last().map(|s| s.loss), 4)}</strong></span>
            <span>{i18n.tr(Key::SaeExplainedVariance)} " " <strong data-testid="ev">{move || fmt_opt(last().map(|s| s.explained_variance), 3)}</strong></span>
            <span>"L0 " <strong data-testid="l0">{move || fmt_opt(last().map(|s| s.l0), 2)}</strong></span>
            <span>{i18n.tr(Key::SaeDead)} " " <strong>{move || last().map_or_else(|| "—".to_owned(), |s| format!("{:.1} %", 100.0 * s.dead_fraction))}</strong></span>
            <Show when=move || data.settings.with(|s| s.source != SourceKind::Lm)>
                <span>{i18n.tr(Key::SaeMmcs)} " " <strong data-testid="mmcs">{move || fmt_opt(data.view.get().and_then(|v| v.mmcs), 3)}</strong></span>
            </Show>
            {move || data.view.get().and_then(|v| v.shipped.clone()).map(|s| view! {
                <span data-testid="mmcs-shipped">{i18n.tr(Key::SaeMmcsShipped)} {format!(" {}: ", s.dict)}
                    <strong>{fmt_opt(s.mmcs, 2)}</strong>
                    {format!(" ({} {})", i18n.t(Key::SaeShippedToLab), fmt_opt(s.reverse, 2))}
                </span>
            })}
        </StatusLine>
        {move || data.lm.with(|l| l.progress.clone()).map(|p| {
            let text = match p {
                LmProgress::Loading(file) => format!("{} {file} …", i18n.t(Key::SaeLmLoading)),
                LmProgress::Tokenizing => format!("{} …", i18n.t(Key::SaeLmTokenizing)),
                LmProgress::Computing(f) => format!("{}: {:.0} %", i18n.t(Key::SaeLmComputing), 100.0 * f),
            };
            view! { <p class="progress-note" data-testid="lm-progress"><progress></progress> " " {text}</p> }
        })}
        {move || data.lm.with(|l| l.activations).filter(|_| data.settings.with(|s| s.source == SourceKind::Lm)).map(|a| view! {
            <p class="card-note" data-testid="lm-activations">
                {format!("{}: {} {} · {} {} · {:.1} s", i18n.t(Key::SaeLmActivations), a.rows, i18n.t(Key::SaeLmRows),
                    a.windows, i18n.t(Key::SaeLmWindows), a.compute_ms / 1000.0)}
            </p>
        })}
        {move || data.eval.get().map(|e| view! {
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

/// The curves' names in the interface language.
pub fn curve_names(i18n: I18n) -> SaeCurveNames {
    SaeCurveNames {
        recon: i18n.t(Key::SaeRecon).into(),
        sparsity: i18n.t(Key::SaeSparsityTerm).into(),
        explained_variance: i18n.t(Key::SaeExplainedVariance).into(),
        dead: i18n.t(Key::SaeDead).into(),
        mmcs: i18n.t(Key::SaeMmcs).into(),
        mmcs_reverse: i18n.t(Key::SaeMmcsReverse).into(),
        shipped: i18n.t(Key::SaeMmcsShippedCurve).into(),
        shipped_reverse: i18n.t(Key::SaeMmcsShippedReverseCurve).into(),
    }
}

#[component]
pub fn SaePage() -> impl IntoView {
    let i18n = use_i18n();
    set_page("sae");
    let params = PageParams::read(&SAE_PANELS);
    let run = run_from_url();
    params.apply_speed(run);
    run.start_when_ready(params.autoplay);
    sync_url(run);
    crate::state::provide("sae", move || SaeState::of(run));
    let data = run.data;

    let highlight = RwSignal::new(None::<usize>);
    let rotation = RwSignal::new((0.6f64, 0.35f64));
    let select = Callback::new(move |t: Target| {
        if let Target::Feature(f) | Target::Cell { row: f, .. } = t {
            highlight.update(|h| *h = if *h == Some(f) { None } else { Some(f) });
        }
    });
    let drag = Callback::new(move |(dx, dy): (f64, f64)| {
        rotation.update(|r| {
            r.0 += dx * 0.01;
            r.1 = (r.1 + dy * 0.01).clamp(-1.5, 1.5);
        });
    });
    let history_spec = move |f: fn(&crate::engine::sae::SaeHistory, &SaeCurveNames) -> PlotSpec| {
        Signal::from(Memo::new(move |_| {
            data.history.with(|h| f(h, &curve_names(i18n)))
        }))
    };
    let loss = history_spec(specs::sae_loss);
    let quality = history_spec(specs::sae_quality);
    let l0 = history_spec(|h, _| specs::sae_l0(h));
    let view_spec =
        move |f: Box<dyn Fn(&crate::engine::sae::SaeView) -> PlotSpec + Send + Sync>| {
            Signal::from(Memo::new(move |_| {
                data.view
                    .with(|v| v.as_ref().map_or_else(specs::waiting, |v| f(v)))
            }))
        };
    let density = view_spec(Box::new(specs::sae_density));
    let directions = view_spec(Box::new(move |v| {
        specs::sae_directions(
            v,
            rotation.get(),
            highlight.get(),
            i18n.t(Key::SaeDirectionsUnavailable),
        )
    }));
    let cosine = view_spec(Box::new(move |v| {
        specs::sae_cosine(v, highlight.get(), i18n.t(Key::SaeNoGroundTruth))
    }));

    let show = {
        let panels = Arc::clone(&params.panels);
        move |name: &str| panels.contains(name)
    };
    let hidden = Arc::clone(&params.hidden);
    let title = move |key: Key| Signal::derive(move || i18n.t(key).to_owned());
    let note = move |key: Key| Signal::derive(move || i18n.t(key).to_owned());
    let exports = vec![
        Export {
            label: Key::SaeExportReport,
            testid: "export-json",
            action: Callback::new(move |()| {
                if let Some(report) = run.report() {
                    let text = serde_json::to_string_pretty(&report).unwrap_or_default();
                    download::text_file("polytope-sae-report.json", "application/json", &text);
                }
            }),
        },
        Export {
            label: Key::SaeExportDecoder,
            testid: "export-decoder",
            action: Callback::new(move |()| {
                if let Some(csv) = run.decoder_csv() {
                    download::text_file("polytope-sae-decoder.csv", "text/csv", &csv);
                }
            }),
        },
    ];
    let toy_2d_3d = move || {
        data.settings
            .with(|s| s.source == SourceKind::Toy && (2..=3).contains(&s.d_in))
    };

    view! {
        <RunFrame run params title=Key::SaeTitle intro=Key::SaeIntro class="sae-page" embed=EMBED exports
            settings=move || view! { <SaeSettingsForm run hidden=Arc::clone(&hidden) /> }.into_any()
            status=view! { <SaeStatusLine run /> }.into_any()>
            <div class="cards">
                {show("quality").then(|| view! {
                    <PlotCard name="quality" title=title(Key::PlotSaeQuality) spec=quality aspect=0.6 on_select=select />
                })}
                {show("loss").then(|| view! {
                    <PlotCard name="loss" title=title(Key::PlotSaeLoss) spec=loss aspect=0.6 on_select=select />
                })}
                {show("directions").then(|| view! {
                    <Show when=toy_2d_3d>
                        <PlotCard name="directions" title=title(Key::PlotSaeDirections) spec=directions aspect=0.8
                            note=note(Key::SaeDirectionsNote) on_select=select on_drag=drag />
                    </Show>
                })}
                {show("cosine").then(|| view! {
                    <PlotCard name="cosine" title=title(Key::PlotSaeCosine) spec=cosine aspect=0.6 on_select=select />
                })}
                {show("l0").then(|| view! {
                    <PlotCard name="l0" title=title(Key::PlotSaeL0) spec=l0 aspect=0.6 on_select=select />
                })}
                {show("density").then(|| view! {
                    <PlotCard name="density" title=title(Key::PlotSaeDensity) spec=density aspect=0.6 on_select=select />
                })}
            </div>
        </RunFrame>
    }
}
