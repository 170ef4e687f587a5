//! Step 15: what an SAE of a given width and expansion costs, with the essay's example.

use leptos::prelude::*;

use super::step;
use crate::i18n::{Key, use_i18n};
use crate::tour::goals::sae_scale;

/// Numbers in words a reader can compare: 2.0 × 10^10.
fn sci(v: f64) -> String {
    if v < 1e4 {
        return format!("{v:.0}");
    }
    let e = v.log10().floor();
    format!("{:.2} × 10^{e}", v / 10f64.powf(e))
}

#[component]
pub fn Scaling() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = step();
    let width = RwSignal::new(10_000.0f64);
    let expansion = RwSignal::new(100.0f64);
    let tokens = RwSignal::new(1e9f64);
    let result = Memo::new(move |_| sae_scale(width.get(), expansion.get()));
    Effect::new(move |_| {
        // The essay's example gives about 2 × 10^10 parameters: the calculator must agree.
        let (_, essay, _) = sae_scale(10_000.0, 100.0);
        ctx.goal.set((essay / 2e10 - 1.0).abs() < 0.01 && result.get().1 > 0.0);
    });
    ctx.report(move || {
        let (f, p, flop) = result.get_untracked();
        serde_json::json!({
            "width": width.get_untracked(),
            "expansion": expansion.get_untracked(),
            "features": f,
            "parameters": p,
            "flop_per_activation": flop,
            "training_flop": flop * tokens.get_untracked(),
        })
    });
    let field = move |key: Key, sig: RwSignal<f64>, min: f64, max: f64, testid: &'static str| {
        view! {
            <label class="field">
                <span>{i18n.tr(key)}</span>
                <input type="number" min=min.to_string() max=max.to_string() data-testid=testid
                    prop:value=move || sig.get().to_string()
                    on:change=move |ev| {
                        if let Ok(v) = event_target_value(&ev).trim().parse::<f64>()
                            && v.is_finite() && (min..=max).contains(&v)
                        {
                            sig.set(v);
                        }
                    } />
            </label>
        }
    };
    view! {
        <div class="tour-run tour-calc">
            <div class="field-row">
                {field(Key::TourWidth, width, 1.0, 1e6, "tour-width")}
                {field(Key::TourExpansion, expansion, 1.0, 1e4, "tour-expansion")}
            </div>
            {field(Key::TourTokens, tokens, 1.0, 1e15, "tour-tokens")}
            <dl class="tour-results" data-testid="tour-results">
                <dt>{i18n.tr(Key::TourFeatures)}</dt><dd class="mono">{move || sci(result.get().0)}</dd>
                <dt>{i18n.tr(Key::TourParameters)}</dt><dd class="mono" data-testid="tour-parameters">{move || sci(result.get().1)}</dd>
                <dt>{i18n.tr(Key::TourFlop)}</dt><dd class="mono">{move || sci(result.get().2 * tokens.get())}</dd>
            </dl>
            <p class="card-note">
                {i18n.tr(Key::TourOurModel)} " "
                <button class="mini" on:click=move |_| { width.set(512.0); expansion.set(8.0); }>"512 × 8"</button>
                " "
                <button class="mini" on:click=move |_| { width.set(10_000.0); expansion.set(100.0); }>"10,000 × 100"</button>
            </p>
        </div>
    }
}
