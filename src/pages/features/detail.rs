//! One feature: top activations with per-token highlighting, samples per activation interval,
//! the activation histogram, logit effects, neuron alignment, correlated features, splitting
//! across dictionary sizes and the best match in the other model.

use std::sync::Arc;

use leptos::prelude::*;
use polytope_core::dict::{
    DictKind, DictManifest, Example, FeatureDetail, FeatureSummary, Histogram,
};
use wasm_bindgen::JsCast;

use super::{CustomRequest, Fx, href};
use crate::features_data::TokenTexts;
use crate::i18n::{Key, use_i18n};

/// A highlighted token: background intensity from the quantised activation `q` (0-255).
pub fn token_view(text: String, q: u8, value: f32, hit: bool) -> impl IntoView {
    let app = crate::use_app();
    // On a dark page the orange stays dark enough for the light text to keep a contrast of
    // 4.5:1 (WCAG AA) at full activation.
    let bg = move || {
        let top = if app.dark.get() { 0.55 } else { 0.85 };
        let alpha = f32::from(q) / 255.0 * top;
        (q > 0).then(|| format!("rgba(255, 122, 0, {alpha:.3})"))
    };
    let active = q > 0;
    view! {
        <span class="tok" class:hit=hit class:active=active style:background-color=bg
            title=format!("{value:.3}")>{text}</span>
    }
}

/// Keyboard use of a group of focusable tokens (`.tok-focus`, one of them with tabindex 0):
/// Left and Right move between tokens, Home and End to the ends, Up and Down to the marked
/// token (`data-hit`) of the previous or next example. Returns the token Enter or Space was
/// pressed on.
pub fn token_keys(ev: &web_sys::KeyboardEvent) -> Option<web_sys::Element> {
    let target = ev.target()?.dyn_into::<web_sys::Element>().ok()?;
    if !target.class_list().contains("tok-focus") {
        return None;
    }
    let container = ev.current_target()?.dyn_into::<web_sys::Element>().ok()?;
    let key = ev.key();
    if key == "Enter" || key == " " {
        ev.prevent_default();
        return Some(target);
    }
    let list = container.query_selector_all(".tok-focus").ok()?;
    let all: Vec<web_sys::Element> = (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<web_sys::Element>().ok())
        .collect();
    let i = all.iter().position(|e| *e == target)?;
    let hit = |e: &web_sys::Element| e.has_attribute("data-hit");
    let next = match key.as_str() {
        "ArrowRight" => (i + 1 < all.len()).then_some(i + 1),
        "ArrowLeft" => i.checked_sub(1),
        "Home" => Some(0),
        "End" => Some(all.len() - 1),
        "ArrowDown" => (i + 1..all.len()).find(|k| hit(&all[*k])),
        "ArrowUp" => (0..i).rev().find(|k| hit(&all[*k])),
        _ => return None,
    }?;
    ev.prevent_default();
    let _ = target.set_attribute("tabindex", "-1");
    let _ = all[next].set_attribute("tabindex", "0");
    if let Ok(el) = all[next].clone().dyn_into::<web_sys::HtmlElement>() {
        let _ = el.focus();
    }
    None
}

/// Asks the custom-text panel to run an example's window and list the features at one of
/// its tokens (the token element carries `data-eval`, its position in the evaluation text;
/// its example `data-from` and `data-to`).
fn request_custom(fx: Fx, token: &web_sys::Element, eval: &[u16], texts: &TokenTexts) {
    let Some(example) = token.closest(".example").ok().flatten() else {
        return;
    };
    let num = |el: &web_sys::Element, name: &str| {
        el.get_attribute(name).and_then(|v| v.parse::<usize>().ok())
    };
    let (Some(from), Some(to), Some(at)) = (
        num(&example, "data-from"),
        num(&example, "data-to"),
        num(token, "data-eval"),
    ) else {
        return;
    };
    let Some(ids) = eval.get(from..to.min(eval.len())) else {
        return;
    };
    let text: String = ids
        .iter()
        .map(|t| texts.get(*t).replace('⏎', "\n").replace('⇥', "\t"))
        .collect();
    fx.custom_request.set(Some(CustomRequest {
        text,
        ids: ids.to_vec(),
        pick: at.saturating_sub(from),
    }));
}

fn example_view(
    ex: &Example,
    before: u32,
    eval: &[u16],
    texts: &TokenTexts,
    max_act: f32,
    first: bool,
) -> impl IntoView {
    let start = ex.window_start(before) as usize;
    let hit_at = before.min(ex.pos) as usize;
    let tokens = ex
        .acts
        .iter()
        .enumerate()
        .map(|(j, q)| {
            let text = eval
                .get(start + j)
                .map_or_else(|| "?".to_owned(), |t| texts.get(*t).to_owned());
            let value = f32::from(*q) / 255.0 * max_act;
            let value = if j == hit_at { ex.value } else { value };
            let hit = j == hit_at;
            let label = format!("{text} {value:.3}");
            view! {
                <span class="tok-focus" role="button" data-eval=(start + j).to_string()
                    data-hit=hit.then_some("1") data-value=format!("{value:.3}")
                    tabindex=if hit && first { "0" } else { "-1" } aria-label=label>
                    {token_view(text, *q, value, hit)}
                </span>
            }
        })
        .collect_view();
    view! {
        <div class="example" data-pos=ex.pos.to_string() data-from=start.to_string()
            data-to=(start + ex.acts.len()).to_string()>
            <span class="ex-value">{format!("{:.2}", ex.value)}</span>
            <span class="ex-tokens" translate="no">{tokens}</span>
        </div>
    }
}

/// A histogram as SVG bars (heights on a log scale of counts when `log`), named `label` for
/// screen readers.
pub fn hist_svg(
    h: &Histogram,
    color: &'static str,
    log: bool,
    testid: &'static str,
    label: String,
) -> impl IntoView {
    const W: f64 = 320.0;
    const H: f64 = 90.0;
    let n = h.counts.len().max(1);
    let scale = |c: u32| {
        if log {
            f64::from(c).ln_1p()
        } else {
            f64::from(c)
        }
    };
    let top = h.counts.iter().map(|c| scale(*c)).fold(0.0f64, f64::max);
    let bw = W / n as f64;
    let width = f64::from(h.hi - h.lo) / n as f64;
    let bars = h
        .counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(i, c)| {
            let bh = if top > 0.0 { scale(*c) / top * H } else { 0.0 };
            let lo = f64::from(h.lo) + width * i as f64;
            view! {
                <rect x=format!("{:.2}", bw * i as f64) y=format!("{:.2}", H - bh)
                    width=format!("{:.2}", (bw - 0.5).max(0.5)) height=format!("{bh:.2}") fill=color>
                    <title>{format!("[{lo:.3}, {:.3}): {c}", lo + width)}</title>
                </rect>
            }
        })
        .collect_view();
    let zero = (h.lo < 0.0 && h.hi > 0.0).then(|| {
        let x = f64::from(-h.lo) / f64::from(h.hi - h.lo) * W;
        view! { <line x1=format!("{x:.2}") x2=format!("{x:.2}") y1="0" y2=H.to_string() class="hist-zero" /> }
    });
    view! {
        <svg class="hist" viewBox="0 0 320 106" role="img" data-testid=testid aria-label=label>
            {bars}
            {zero}
            <line x1="0" x2="320" y1="90.5" y2="90.5" class="hist-axis" />
            <text x="0" y="104" class="hist-label">{format!("{:.3}", h.lo)}</text>
            <text x="320" y="104" class="hist-label" text-anchor="end">{format!("{:.3}", h.hi)}</text>
        </svg>
    }
}

/// A histogram's accessible name: its title, bin count and range.
fn hist_label(title: &str, h: &Histogram) -> String {
    let i18n = use_i18n();
    i18n.t(Key::HistogramLabel)
        .replace("{0}", title)
        .replace("{1}", &h.counts.len().to_string())
        .replace("{2}", &format!("{:.3}", h.lo))
        .replace("{3}", &format!("{:.3}", h.hi))
}

fn feature_link(fx: Fx, dict: &str, feature: u32, value: String) -> impl IntoView + use<> {
    let dict = dict.to_owned();
    let d2 = dict.clone();
    let label = move || fx.top_tokens_label(&d2, feature);
    let link = href(&dict, Some(feature));
    view! {
        <li>
            <a href=link data-link-dict=dict.clone() data-link-feature=feature.to_string() translate="no">
                {format!("{dict} #{feature}")}
            </a>
            " " <span class="muted">{value}</span> " " <span class="link-tokens" translate="no">{label}</span>
        </li>
    }
}

fn body(
    fx: Fx,
    dict: &str,
    d: &Arc<FeatureDetail>,
    m: &Arc<DictManifest>,
    summary: Option<&FeatureSummary>,
    texts: &Arc<TokenTexts>,
    eval: &Arc<Vec<u16>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let before = m.context.before;
    // Enter (or a click) on a token of an example runs its window in "Your text" and lists
    // the features active at that token.
    let tokens_keydown = {
        let eval = Arc::clone(eval);
        let texts = Arc::clone(texts);
        move |ev: web_sys::KeyboardEvent| {
            if let Some(token) = token_keys(&ev) {
                request_custom(fx, &token, &eval, &texts);
            }
        }
    };
    let tokens_click = {
        let eval = Arc::clone(eval);
        let texts = Arc::clone(texts);
        move |ev: web_sys::MouseEvent| {
            let token = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|e| e.closest(".tok-focus").ok().flatten());
            if let Some(token) = token {
                request_custom(fx, &token, &eval, &texts);
            }
        }
    };
    let max_act = summary.map_or_else(
        || d.top.first().map_or(1.0, |e| e.value),
        |s| s.max_act.max(1e-12),
    );
    let stats = summary.map(|s| {
        let one_in = if s.density > 0.0 {
            format!(" (1 / {:.0})", 1.0 / s.density)
        } else {
            String::new()
        };
        view! {
            <p class="feature-stats">
                {i18n.tr(Key::FeaturesDensity)} {format!(" {:.3e}{one_in} · ", s.density)}
                {i18n.tr(Key::FeaturesMaxAct)} {format!(" {:.3} · ", s.max_act)}
                {i18n.tr(Key::FeaturesMeanAct)} {format!(" {:.3}", s.mean_act)}
                {s.is_dead().then(|| view! { " · " <span class="fflag">{i18n.tr(Key::SaeDead)}</span> })}
                {s.is_ultralow().then(|| view! { " · " <span class="fflag">{i18n.tr(Key::FeaturesUltralow)}</span> })}
            </p>
        }
    });
    let top = d
        .top
        .iter()
        .enumerate()
        .map(|(k, ex)| example_view(ex, before, eval, texts, max_act, k == 0))
        .collect_view();
    let quantiles = d
        .quantiles
        .iter()
        .map(|q| {
            let examples = q
                .examples
                .iter()
                .enumerate()
                .map(|(k, ex)| example_view(ex, before, eval, texts, max_act, k == 0))
                .collect_view();
            view! {
                <div class="quantile" on:keydown=tokens_keydown.clone() on:click=tokens_click.clone()>
                    <h4>{format!("[{:.3}, {:.3}] · {} ", q.lo, q.hi, q.count)} {i18n.tr(Key::FeaturesTokens)}</h4>
                    {examples}
                </div>
            }
        })
        .collect_view();
    let logit_rows = |v: &[(u16, f32)]| {
        v.iter()
            .map(|(t, w)| {
                view! { <tr><td class="tok-cell"><span class="tok" translate="no">{texts.get(*t).to_owned()}</span></td><td class="num">{format!("{w:+.3}")}</td></tr> }
            })
            .collect_view()
    };
    let promoted = logit_rows(&d.logits_top);
    let suppressed = logit_rows(&d.logits_bottom);
    // Each neuron links to its own page where the data ships the model's neurons.
    let neuron_dict = fx.neurons_of(&m.model);
    let neurons = (!d.neurons.is_empty()).then(|| {
        d.neurons
            .iter()
            .enumerate()
            .map(|(k, n)| {
                let sep = if k == 0 { "" } else { ", " };
                let label = n.neuron.to_string();
                let unit = match &neuron_dict {
                    Some(nd) if nd != dict => view! {
                        <a href=super::href(nd, Some(u32::from(n.neuron))) data-neuron=label.clone()>{label.clone()}</a>
                    }
                    .into_any(),
                    _ => view! { <span>{label.clone()}</span> }.into_any(),
                };
                view! { {sep} {unit} {format!(" ({:+.2}, {:.0} %)", n.weight, 100.0 * n.share)} }
            })
            .collect_view()
    });
    let dict_s = dict.to_owned();
    let correlated = d
        .correlated
        .iter()
        .map(|(f, s)| feature_link(fx, &dict_s, *f, format!("{s:.2}")))
        .collect_view();
    let splits = d
        .splits
        .iter()
        .filter_map(|e| {
            let target = m.related.get(e.dict as usize)?;
            Some(feature_link(
                fx,
                target,
                e.feature,
                format!("{:.2}", e.similarity),
            ))
        })
        .collect_view();
    let best = match (&m.match_dict, d.best_match) {
        (Some(md), Some((f, c))) => Some(feature_link(fx, md, f, format!("r = {c:.2}")).into_any()),
        (Some(_), None) => {
            Some(view! { <li class="muted">{i18n.tr(Key::FeaturesNoMatch)}</li> }.into_any())
        }
        (None, _) => {
            Some(view! { <li class="muted">{i18n.tr(Key::FeaturesNoMatchDict)}</li> }.into_any())
        }
    };
    let related_note = (!m.related.is_empty()).then(|| m.related.join(", "));
    // Features of a model with dictionaries of several sizes have a family across them.
    let family = (!m.related.is_empty()).then(|| {
        view! { <super::family::FamilySection fx dict=dict.to_owned() feature=d.id /> }
    });
    let want = |name: &str| fx.shows_section(name);
    let top = want("top").then(|| {
        view! {
            <section class="fsec" data-section="top">
                <h3>{i18n.tr(Key::FeaturesTopActs)}</h3>
                <p class="card-note">{i18n.tr(Key::FeaturesTopTokenKeys)}</p>
                <div class="examples" data-testid="top-examples" on:keydown=tokens_keydown.clone() on:click=tokens_click.clone()>{top}</div>
            </section>
        }
    });
    let histograms = want("histogram").then(|| {
        view! {
            <div class="fsec-row">
                <section class="fsec" data-section="histogram">
                    <h3>{i18n.tr(Key::FeaturesActHistogram)}</h3>
                    {hist_svg(&d.histogram, "#e07a00", true, "act-histogram", hist_label(i18n.t(Key::FeaturesActHistogram), &d.histogram))}
                </section>
                <section class="fsec" data-section="logit-histogram">
                    <h3>{i18n.tr(Key::FeaturesLogitHistogram)}</h3>
                    {hist_svg(&d.logit_histogram, "#3a6fd8", true, "logit-histogram", hist_label(i18n.t(Key::FeaturesLogitHistogram), &d.logit_histogram))}
                </section>
            </div>
        }
    });
    let logits = want("logits").then(|| {
        view! {
            <section class="fsec" data-section="logits">
                <h3>{i18n.tr(Key::FeaturesLogits)}</h3>
                <div class="logit-tables">
                    <table class="logits" data-testid="logits-top">
                        <caption>{i18n.tr(Key::FeaturesPromoted)}</caption>
                        <tbody>{promoted}</tbody>
                    </table>
                    <table class="logits" data-testid="logits-bottom">
                        <caption>{i18n.tr(Key::FeaturesSuppressed)}</caption>
                        <tbody>{suppressed}</tbody>
                    </table>
                </div>
            </section>
        }
    });
    let neurons = want("neurons").then(|| {
        view! {
            <section class="fsec" data-section="neurons">
                <h3>{i18n.tr(Key::FeaturesNeurons)}</h3>
                <p data-testid="neurons">{neurons.map(|n| view! { {i18n.tr(Key::FeaturesMadeOf)} " " {n} })}</p>
            </section>
        }
    });
    let scores = want("scores").then(
        || view! { <super::readability::ScoresSection fx dict=dict.to_owned() feature=d.id /> },
    );
    let links = want("links").then(|| {
        view! {
            <div class="fsec-row">
                <section class="fsec" data-section="correlated">
                    <h3>{i18n.tr(Key::FeaturesCorrelated)}</h3>
                    <ul class="links">{correlated}</ul>
                </section>
                <section class="fsec" data-section="splits">
                    <h3>{i18n.tr(Key::FeaturesSplits)}</h3>
                    {related_note.map(|r| view! { <p class="card-note">{i18n.tr(Key::FeaturesSplitsNote)} " " <span translate="no">{r}</span></p> })}
                    <ul class="links" data-testid="splits">{splits}</ul>
                </section>
                <section class="fsec" data-section="match">
                    <h3>{i18n.tr(Key::FeaturesBestMatch)}</h3>
                    <ul class="links" data-testid="best-match">{best}</ul>
                </section>
            </div>
        }
    });
    let family = family.filter(|_| want("family"));
    let quantiles = want("quantiles").then(|| {
        view! {
            <section class="fsec" data-section="quantiles">
                <h3>{i18n.tr(Key::FeaturesQuantiles)}</h3>
                {quantiles}
            </section>
        }
    });
    view! {
        {stats}
        {top}
        {histograms}
        {logits}
        {neurons}
        {scores}
        {links}
        {family}
        {quantiles}
    }
}

#[component]
pub fn DetailPanel(fx: Fx) -> impl IntoView {
    let i18n = use_i18n();
    let content = move || {
        let (Some(dict), Some(f)) = (fx.dict.get(), fx.feature.get()) else {
            return view! { <p class="card-note">{i18n.tr(Key::FeaturesPick)}</p> }.into_any();
        };
        let detail = fx.detail.with(|d| {
            d.as_ref()
                .filter(|(dd, ff, _)| *dd == dict && *ff == f)
                .map(|(_, _, r)| r.clone())
        });
        let chunk_note = fx.manifest_of(&dict).and_then(|m| {
            m.chunk_for(f).map(|(c, file)| {
                let cached = crate::features_data::has_chunk(&dict, c);
                (file.path.clone(), file.bytes, cached)
            })
        });
        match detail {
            None => {
                let note =
                    chunk_note.map(|(p, b, _)| format!("{dict}/{p} ({:.0} KB)", b as f64 / 1024.0));
                view! {
                    <p class="progress-note" data-testid="detail-loading">
                        <progress></progress> " " {i18n.tr(Key::FeaturesLoadingFeature)} " " {note}
                    </p>
                }
                .into_any()
            }
            Some(Err(e)) => view! {
                <div class="notice notice-error" role="alert" data-testid="detail-error">
                    <strong>{i18n.tr(Key::FeaturesDetailError)}</strong>
                    <p class="mono">{e}</p>
                </div>
            }
            .into_any(),
            Some(Ok(d)) => {
                let (Some(m), Some(texts)) = (fx.manifest_of(&dict), fx.texts_now()) else {
                    return view! { <p class="progress-note"><progress></progress> " " {i18n.tr(Key::Loading)}</p> }.into_any();
                };
                let eval = fx.eval.get();
                let eval = match eval {
                    None => return view! { <p class="progress-note"><progress></progress> " " {i18n.tr(Key::Loading)}</p> }.into_any(),
                    Some(Err(e)) => return view! {
                        <div class="notice notice-error" role="alert" data-testid="detail-error"><p class="mono">{e}</p></div>
                    }.into_any(),
                    Some(Ok(e)) => e,
                };
                let summary = fx.list_of(&dict).and_then(|l| l.get(f as usize).cloned());
                body(fx, &dict, &d, &m, summary.as_ref(), &texts, &eval).into_any()
            }
        }
    };
    // The dictionary id is data (never translated).
    let title = move || match (fx.dict.get(), fx.feature.get()) {
        (Some(d), Some(f)) => view! {
            {format!("{} {f} · ", i18n.t(unit_name(fx.kind_of(&d))))}
            <span translate="no">{d}</span>
        }
        .into_any(),
        _ => i18n.t(Key::FeaturesFeature).into_any(),
    };
    let tokens = move || match (fx.dict.get(), fx.feature.get()) {
        (Some(d), Some(f)) => fx.top_tokens_label(&d, f),
        _ => String::new(),
    };
    view! {
        <section class="card detail-panel" data-panel="detail" data-testid="detail">
            <h2 data-testid="detail-title">{title}</h2>
            <p class="detail-tokens" translate="no">{tokens}</p>
            {content}
        </section>
    }
}

/// What a unit of a dictionary of this kind is called.
pub fn unit_name(kind: DictKind) -> Key {
    match kind {
        DictKind::Sae => Key::FeaturesFeature,
        DictKind::Neurons => Key::FeaturesNeuron,
    }
}
