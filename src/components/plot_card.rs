//! A plot in a card: its title, an optional note, and the canvas.

use leptos::prelude::*;
use polytope_plots::Target;

use crate::plot::{PlotCanvas, PlotSpec};

#[component]
pub fn PlotCard(
    /// The `panels=` name (also `data-panel` for tests).
    name: &'static str,
    #[prop(into)] title: Signal<String>,
    spec: Signal<PlotSpec>,
    #[prop(default = 0.75)] aspect: f64,
    /// A line under the title.
    #[prop(optional, into)]
    note: Option<Signal<String>>,
    /// Spans both columns.
    #[prop(optional)]
    wide: bool,
    /// Stem of exported files and the canvas's `data-plot` (default: `name`).
    #[prop(optional)]
    plot: Option<&'static str>,
    #[prop(optional)] on_select: Option<Callback<Target>>,
    #[prop(optional)] on_drag: Option<Callback<(f64, f64)>>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let class = if wide { "card wide" } else { "card" };
    let select = on_select.unwrap_or(Callback::new(|_| {}));
    let drag = on_drag.unwrap_or(Callback::new(|_| {}));
    view! {
        <section class=class data-panel=name>
            <h2>{move || title.get()}</h2>
            {note.map(|n| view! { <p class="card-note">{move || n.get()}</p> })}
            {children.map(|c| c())}
            <PlotCanvas spec name=plot.unwrap_or(name) label=title aspect on_select=select on_drag=drag />
        </section>
    }
}
