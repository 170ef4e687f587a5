//! Step 3: a trained pentagon, the visitor's switches for its five inputs, and every output
//! `x' = ReLU(WᵀWx + b)` with the signal each feature received before the bias and the ReLU.

use leptos::html::Div;
use leptos::prelude::*;

use super::{step, toy_run};
use crate::components::in_view::pause_out_of_view;
use crate::engine::tms::View;
use crate::i18n::{Key, use_i18n};
use crate::pages::toy::ToyStatusLine;
use crate::tour::goals;

/// Five equally important sparse features in two dimensions, four models: the widget uses
/// the first that settles into a pentagon.
pub const SETTINGS: &str =
    "preset=intro&importance=1&density=0.05,0.05,0.05,0.05&steps=2500&lr=0.01&batch=512";

/// The first instance that is a pentagon.
fn pentagon(v: &View) -> Option<usize> {
    (0..v.cfg.instance_count()).find(|i| goals::is_pentagon(&v.metrics[*i]))
}

#[component]
pub fn Interference() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = step();
    let run = toy_run(SETTINGS);
    let node = NodeRef::<Div>::new();
    pause_out_of_view(run, node);
    let on = RwSignal::new([true, false, false, false, false]);
    let names = super::feature_names(i18n);
    let name = move |i: usize| names.get(i).cloned().unwrap_or_else(|| format!("#{i}"));
    let trained = Memo::new(move |_| {
        run.data.view.with(|v| {
            v.as_ref()
                .and_then(|v| pentagon(v).map(|i| (v.w(i).to_vec(), v.b(i).to_vec())))
        })
    });
    let check = Memo::new(move |_| {
        trained
            .get()
            .map(|(w, b)| goals::interference(&w, &b))
            .unwrap_or_default()
    });
    Effect::new(move |_| {
        let c = check.get();
        ctx.goal.set(c.single_clean && c.pair_misfires);
    });
    ctx.report(move || {
        let x = on.get_untracked().map(|b| if b { 1.0f32 } else { 0.0 });
        let out = trained
            .get_untracked()
            .map(|(w, b)| goals::outputs(&w, &b, 2, 5, &x).0);
        serde_json::json!({
            "pentagon": trained.get_untracked().is_some(),
            "check": check.get_untracked(),
            "inputs": x,
            "outputs": out,
        })
    });
    let bar_name = name.clone();
    let bars = move || {
        let x = on.get().map(|b| if b { 1.0f32 } else { 0.0 });
        trained.get().map(|(w, b)| {
            let (out, pre) = goals::outputs(&w, &b, 2, 5, &x);
            (0..5)
                .map(|i| {
                    let height = |v: f32| format!("{:.0}%", (v.clamp(0.0, 1.5) / 1.5) * 100.0);
                    let wrong = x[i] == 0.0 && out[i] > 0.1;
                    view! {
                        <div class="ibar" class:wrong=wrong data-testid="tour-output">
                            <div class="ibar-track">
                                <div class="ibar-pre" style:height=height(pre[i] - b[i])></div>
                                <div class="ibar-out" style:height=height(out[i])></div>
                            </div>
                            <span class="mono">{format!("{:.2}", out[i])}</span>
                            <span>{bar_name(i)}</span>
                        </div>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <div class="tour-run" node_ref=node>
            <ToyStatusLine run />
            <fieldset class="tour-switches">
                <legend>{i18n.tr(Key::TourInputs)}</legend>
                {(0..5).map(|i| view! {
                    <label class="switch">
                        <input type="checkbox" data-testid="tour-input"
                            prop:checked=move || on.get()[i]
                            on:change=move |_| on.update(|o| o[i] = !o[i]) />
                        {format!(" {}", name(i))}
                    </label>
                }).collect_view()}
            </fieldset>
            <div class="ibars" role="img" aria-label=i18n.tr(Key::TourOutputsLabel)>
                {move || match bars() {
                    Some(b) => b.into_any(),
                    None => view! { <p class="card-note">{i18n.tr(Key::TourTraining)}</p> }.into_any(),
                }}
            </div>
            <p class="card-note">{i18n.tr(Key::TourOutputsKey)}</p>
        </div>
    }
}
