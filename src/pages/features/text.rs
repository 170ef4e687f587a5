//! Custom text: the browser tokenizes it, runs the shipped model (`model-<m>.bin`) window by
//! window and the dictionary's SAE (`weights.bin`) on the MLP activations, all in wasm, then
//! highlights the open feature per token; clicking a token lists its strongest features.

use std::sync::Arc;

use leptos::prelude::*;
use polytope_core::lm::analysis::sae_encode;
use serde_json::json;

use wasm_bindgen::JsCast;

use super::detail::{token_keys, token_view};
use super::{Fx, href};
use crate::browser::{now_ms, yield_task};
use crate::features_data::{self as data, visible};
use crate::i18n::{Key, Lang, text as tr, use_i18n};

/// The most tokens one run takes.
const MAX_TOKENS: usize = 2048;
/// Characters of the text sample the box starts with.
const DEFAULT_CHARS: usize = 500;

/// The result of one run: per token its text and its active features, strongest first.
#[derive(Debug, PartialEq)]
pub struct TextRun {
    pub dict: String,
    pub tokens: Vec<String>,
    pub features: Vec<Vec<(u32, f32)>>,
    pub ms: f64,
}

/// Runs `text` (or the tokens `ids` when given: an example's window, exactly as it was
/// tokenized) through the model and the dictionary.
async fn run_text(
    fx: Fx,
    dict: String,
    text: String,
    ids: Option<Vec<u16>>,
    lang: Lang,
    status: RwSignal<Option<String>>,
) -> Result<TextRun, String> {
    let started = now_ms();
    let m = data::manifest(&dict).await?;
    let index = data::index().await?;
    let model_file = index
        .model(&m.model)
        .map_or_else(String::new, |e| e.file.path.clone());
    status.try_set(Some(format!("{model_file} …")));
    let tok = data::tokenizer().await?;
    let model = data::model(&m.model).await?;
    status.try_set(Some(format!("{dict}/weights.bin …")));
    let w = data::weights(&dict).await?;
    if w.d_in as usize != model.config.d_mlp {
        return Err(format!(
            "{dict}: the SAE reads {} values but model {} has {} MLP neurons",
            w.d_in, m.model, model.config.d_mlp
        ));
    }
    let mut ids = ids.unwrap_or_else(|| tok.encode(&text));
    ids.truncate(MAX_TOKENS);
    if let Some(bad) = ids.iter().find(|t| **t as usize >= model.config.vocab) {
        return Err(format!(
            "token {bad} is outside model {}'s vocabulary",
            m.model
        ));
    }
    let ctx = model.config.ctx.max(1);
    let windows = ids.len().div_ceil(ctx);
    let mut features = Vec::with_capacity(ids.len());
    let d_sae = w.d_sae as usize;
    for (i, window) in ids.chunks(ctx).enumerate() {
        if status
            .try_set(Some(format!(
                "{} {}/{windows}",
                tr(lang, Key::FeaturesWindow),
                i + 1
            )))
            .is_some()
        {
            return Err("the page was closed".into());
        }
        yield_task().await;
        if fx.dict.try_get_untracked().flatten().as_deref() != Some(dict.as_str()) {
            return Err("the dictionary changed".into());
        }
        let acts = model.mlp_activations(window, 1, window.len());
        let codes = sae_encode(&w, &acts);
        for row in codes.chunks_exact(d_sae) {
            let mut active: Vec<(u32, f32)> = row
                .iter()
                .enumerate()
                .filter(|(_, v)| **v > 0.0)
                .map(|(f, v)| (f as u32, *v))
                .collect();
            active.sort_by(|a, b| b.1.total_cmp(&a.1));
            features.push(active);
        }
    }
    let tokens = ids.iter().map(|t| visible(&tok.token_text(*t))).collect();
    Ok(TextRun {
        dict,
        tokens,
        features,
        ms: now_ms() - started,
    })
}

#[component]
pub fn TextPanel(fx: Fx) -> impl IntoView {
    let i18n = use_i18n();
    let text = RwSignal::new(String::new());
    let result = RwSignal::new(None::<Result<Arc<TextRun>, String>>);
    let status = RwSignal::new(None::<String>);
    let running = RwSignal::new(false);
    let picked = RwSignal::new(None::<usize>);

    // The box starts with the beginning of the text sample.
    leptos::task::spawn_local(async move {
        if let Ok(sample) = data::text_sample().await
            && text.try_with_untracked(String::is_empty).unwrap_or(false)
        {
            let mut end = sample.len().min(DEFAULT_CHARS);
            while !sample.is_char_boundary(end) {
                end -= 1;
            }
            if let Some(space) = sample[..end].rfind(char::is_whitespace)
                && space > DEFAULT_CHARS / 2
            {
                end = space;
            }
            text.try_set(sample[..end].to_owned());
        }
    });

    let publish = move || {
        let dict = fx.dict.get_untracked();
        let feature = fx.feature.get_untracked();
        let value = result.with_untracked(|r| match r {
            Some(Ok(run)) => {
                let highlighted = feature.map_or(0, |f| {
                    run.features
                        .iter()
                        .filter(|a| a.iter().any(|(g, _)| *g == f))
                        .count()
                });
                json!({"status": "done", "dict": run.dict, "tokens": run.tokens.len(),
                       "highlighted": highlighted, "ms": run.ms,
                       "current": Some(&run.dict) == dict.as_ref()})
            }
            Some(Err(e)) => json!({"status": "error", "error": e}),
            None if running.get_untracked() => json!({"status": "running"}),
            None => json!({"status": "idle"}),
        });
        fx.custom.set(value);
    };
    Effect::new(move |_| {
        result.track();
        running.track();
        fx.feature.track();
        fx.dict.track();
        publish();
    });

    // Runs the box's text, or given tokens, and then picks (and focuses) a token.
    let run_with = move |ids: Option<Vec<u16>>, pick: Option<usize>| {
        let Some(dict) = fx.dict.get_untracked() else {
            return;
        };
        if running.get_untracked() {
            return;
        }
        running.set(true);
        result.set(None);
        picked.set(None);
        let t = text.get_untracked();
        let lang = i18n.lang.get_untracked();
        leptos::task::spawn_local(async move {
            let r = run_text(fx, dict, t, ids, lang, status).await;
            status.try_set(None);
            running.try_set(false);
            let ok = r.is_ok();
            result.try_set(Some(r.map(Arc::new)));
            if let (true, Some(i)) = (ok, pick) {
                picked.try_set(Some(i));
                // Focus the token once it is drawn, so the keyboard continues from there.
                crate::browser::next_frame().await;
                if let Some(el) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| {
                        d.query_selector(&format!(
                            "[data-testid=custom-tokens] [data-token=\"{i}\"]"
                        ))
                        .ok()
                        .flatten()
                    })
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    let _ = el.focus();
                }
            }
        });
    };
    let run = move || run_with(None, None);
    // Another panel asks for a run (a token of a top activation).
    Effect::new(move |_| {
        let Some(req) = fx.custom_request.get() else {
            return;
        };
        fx.custom_request.set(None);
        text.set(req.text);
        run_with(Some(req.ids), Some(req.pick));
    });

    let tokens_view = move || {
        let r = result.get()?;
        let run = match r {
            Err(e) => {
                return Some(
                    view! { <div class="notice notice-error" role="alert" data-testid="custom-error">{e}</div> }
                        .into_any(),
                );
            }
            Ok(run) => run,
        };
        let dict = fx.dict.get();
        if dict.as_deref() != Some(run.dict.as_str()) {
            return Some(
                view! { <p class="card-note">{i18n.tr(Key::FeaturesRunAgain)}</p> }.into_any(),
            );
        }
        let feature = fx.feature.get();
        let max = feature
            .and_then(|f| {
                let from_list = fx
                    .list_of(&run.dict)
                    .and_then(|l| l.get(f as usize).map(|s| s.max_act));
                from_list.filter(|m| *m > 0.0)
            })
            .unwrap_or(1.0);
        let sel = picked.get();
        let focus_at = sel.unwrap_or(0);
        let spans = run
            .tokens
            .iter()
            .zip(&run.features)
            .enumerate()
            .map(|(i, (t, acts))| {
                let value = feature
                    .and_then(|f| acts.iter().find(|(g, _)| *g == f).map(|(_, v)| *v))
                    .unwrap_or(0.0);
                let q = ((value / max).clamp(0.0, 1.0) * 255.0).round() as u8;
                let q = if value > 0.0 { q.max(1) } else { 0 };
                view! {
                    <span class="tok-click tok-focus" class:picked=sel == Some(i) data-token=i.to_string()
                        role="button" tabindex=if i == focus_at { "0" } else { "-1" }
                        aria-pressed=(sel == Some(i)).to_string()
                        on:click=move |_| picked.set(Some(i))>
                        {token_view(t.clone(), q, value, false)}
                    </span>
                }
            })
            .collect_view();
        Some(
            view! {
                <p class="card-note">{format!("{} · {:.0} ms", run.tokens.len(), run.ms)} " " {i18n.tr(Key::FeaturesTokens)}</p>
                <p class="card-note">{i18n.tr(Key::FeaturesTokenKeys)}</p>
                <div class="custom-tokens" data-testid="custom-tokens" translate="no"
                    on:keydown=move |ev: web_sys::KeyboardEvent| {
                        let index = token_keys(&ev)
                            .and_then(|t| t.get_attribute("data-token"))
                            .and_then(|v| v.parse::<usize>().ok());
                        if let Some(i) = index {
                            picked.set(Some(i));
                        }
                    }>{spans}</div>
            }
            .into_any(),
        )
    };
    let picked_view = move || {
        let i = picked.get()?;
        let Some(Ok(run)) = result.get() else {
            return None;
        };
        let token = run.tokens.get(i)?.clone();
        let dict = run.dict.clone();
        let items = run
            .features
            .get(i)?
            .iter()
            .take(12)
            .map(|(f, v)| {
                let link = href(&dict, Some(*f));
                let d2 = dict.clone();
                let f = *f;
                view! {
                    <li>
                        <a href=link data-link-feature=f.to_string()>{format!("#{f}")}</a>
                        " " <span class="muted">{format!("{v:.3}")}</span>
                        " " <span class="link-tokens" translate="no">{move || fx.top_tokens_label(&d2, f)}</span>
                    </li>
                }
            })
            .collect_view();
        Some(view! {
            <div class="token-features" data-testid="token-features">
                <h3>{i18n.tr(Key::FeaturesTopAtToken)} " " <span translate="no">{format!("“{token}”")}</span></h3>
                <ul class="links">{items}</ul>
            </div>
        })
    };

    view! {
        <section class="card text-panel" data-panel="text">
            <h2>{i18n.tr(Key::FeaturesCustomText)}</h2>
            <p class="card-note">{i18n.tr(Key::FeaturesCustomNote)}</p>
            <textarea class="custom-text" rows="5" data-testid="custom-text"
                aria-label=move || i18n.t(Key::FeaturesCustomText)
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            <div class="inline-row">
                <button class="button" data-testid="custom-run" disabled=move || running.get()
                    on:click=move |_| run()>{i18n.tr(Key::FeaturesRun)}</button>
                {move || status.get().map(|s| view! { <span class="progress-note" data-testid="custom-status"><progress></progress> " " {s}</span> })}
            </div>
            {tokens_view}
            <div aria-live="polite">{picked_view}</div>
        </section>
    }
}
