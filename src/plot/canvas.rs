//! A `<canvas>` bound to a [`PlotSpec`] signal, drawn in the page's language and theme, usable
//! with the keyboard (arrow keys move a cursor over what the plot shows, Enter or Space
//! selects it, Shift with the arrows rotates a 3-D view), and described for screen readers by
//! a caption and a data table kept in step with the plot.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use polytope_plots::{Colors, Hit, PlotText, Summary, Target, Theme, fill, hit_at};

use super::PlotSpec;
use super::text::plot_text;
use crate::download;
use crate::i18n::{Key, use_i18n};
use crate::use_app;

/// Drawing is queued and done a few plots per animation frame, within a time budget, so that
/// a page of many plots never blocks the main thread for long in one go.
mod scheduler {
    use super::{Cell, RefCell, VecDeque};

    type Job = Box<dyn FnOnce()>;
    const FRAME_BUDGET_MS: f64 = 8.0;

    thread_local! {
        static QUEUE: RefCell<VecDeque<(u64, Job)>> = RefCell::new(VecDeque::new());
        static SCHEDULED: Cell<bool> = const { Cell::new(false) };
        static NEXT_ID: Cell<u64> = const { Cell::new(0) };
    }

    pub fn next_id() -> u64 {
        NEXT_ID.with(|n| {
            n.set(n.get() + 1);
            n.get()
        })
    }

    pub fn now_ms() -> f64 {
        web_sys::window()
            .and_then(|w| w.performance())
            .map_or(0.0, |p| p.now())
    }

    /// Queues `job` for plot `id`, replacing a job of the same plot still waiting.
    pub fn schedule(id: u64, job: Job) {
        QUEUE.with(|q| {
            let mut q = q.borrow_mut();
            if let Some(slot) = q.iter_mut().find(|(i, _)| *i == id) {
                slot.1 = job;
            } else {
                q.push_back((id, job));
            }
        });
        if !SCHEDULED.with(|s| s.replace(true)) {
            leptos::prelude::request_animation_frame(run);
        }
    }

    fn run() {
        let start = now_ms();
        loop {
            let Some((_, job)) = QUEUE.with(|q| q.borrow_mut().pop_front()) else {
                break;
            };
            job();
            if now_ms() - start > FRAME_BUDGET_MS {
                break;
            }
        }
        if QUEUE.with(|q| q.borrow().is_empty()) {
            SCHEDULED.with(|s| s.set(false));
        } else {
            leptos::prelude::request_animation_frame(run);
        }
    }
}

fn device_pixel_ratio() -> f64 {
    web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .clamp(1.0, 3.0)
}

/// Text in projector mode: half as large again, and never under 18 CSS pixels, so that the
/// back of a classroom can read tick labels and feature numbers.
const PROJECTOR_TEXT_ZOOM: f64 = 1.5;
const PROJECTOR_MIN_TEXT_CSS_PX: f64 = 18.0;

/// The plot theme for the page's state, at `scale` backend pixels per CSS pixel.
pub fn plot_theme(scale: f64, projector: bool, dark: bool) -> Theme {
    Theme {
        scale,
        text_zoom: if projector { PROJECTOR_TEXT_ZOOM } else { 1.0 },
        min_text: if projector {
            PROJECTOR_MIN_TEXT_CSS_PX * scale
        } else {
            0.0
        },
        colors: Colors::pick(dark, projector),
        ..Theme::default()
    }
}

/// The box a plot must fit when its layout sizes it (an embed: the stylesheet positions the
/// canvas's stage absolutely inside a `.plot-area` whose size comes from the frame), as CSS
/// pixels; `None` when the plot takes its width and its height follows from its aspect.
fn fit_box(canvas: &web_sys::HtmlCanvasElement) -> Option<(f64, f64)> {
    let stage = canvas.parent_element()?;
    let area = stage.parent_element()?;
    let position = web_sys::window()?
        .get_computed_style(&stage)
        .ok()??
        .get_property_value("position")
        .ok()?;
    let (w, h) = (
        f64::from(area.client_width()),
        f64::from(area.client_height()),
    );
    (position == "absolute" && w >= 10.0 && h >= 10.0).then_some((w, h))
}

/// Draws `spec` on `canvas` at device resolution and returns the hover regions.
fn paint(
    canvas: &web_sys::HtmlCanvasElement,
    spec: &PlotSpec,
    aspect: f64,
    projector: bool,
    dark: bool,
    text: &PlotText,
) -> Vec<Hit> {
    let element: &web_sys::HtmlElement = canvas;
    let style = element.style();
    let (css_width, css_height) = if let Some((box_width, box_height)) = fit_box(canvas) {
        // An embed: the plot fills the box its frame gives it, keeping its aspect.
        let w = box_width.min(box_height / aspect).floor().max(10.0);
        let h = (w * aspect).floor();
        let _ = style.set_property("width", &format!("{w}px"));
        let _ = style.set_property("height", &format!("{h}px"));
        (w, h)
    } else {
        let _ = style.remove_property("width");
        let _ = style.remove_property("height");
        let w = f64::from(canvas.client_width());
        (w, w * aspect)
    };
    if css_width < 10.0 {
        return Vec::new();
    }
    let dpr = device_pixel_ratio();
    let width = (css_width * dpr).round() as u32;
    let height = (css_height * dpr).round() as u32;
    if canvas.width() != width {
        canvas.set_width(width);
    }
    if canvas.height() != height {
        canvas.set_height(height);
    }
    let Some(backend) = CanvasBackend::with_canvas_object(canvas.clone()) else {
        return Vec::new();
    };
    let root = backend.into_drawing_area();
    let hits = spec.draw(&root, &plot_theme(dpr, projector, dark), text);
    let _ = root.present();
    hits
}

/// The order the keyboard walks a plot in: instances, then features, then the rest.
fn walk_key(t: &Target) -> (u8, usize, usize) {
    match *t {
        Target::Instance(i) => (0, i, 0),
        Target::Feature(f) => (1, f, 0),
        Target::InstanceFeature { instance, feature } => (2, instance, feature),
        Target::NeuronFeature { neuron, feature } => (3, neuron, feature),
        Target::Cell { row, col } => (4, row, col),
    }
}

/// One region per target, in walking order.
fn walk_targets(hits: &[Hit]) -> Vec<&Hit> {
    let mut out: Vec<&Hit> = Vec::with_capacity(hits.len());
    for h in hits {
        if !out.iter().any(|o| o.target == h.target) {
            out.push(h);
        }
    }
    out.sort_by_key(|h| walk_key(&h.target));
    out
}

/// Where the cursor goes from `current` on `key` (`None`: the key does not move it).
fn step_cursor(hits: &[Hit], current: Option<Target>, key: &str) -> Option<Target> {
    let targets = walk_targets(hits);
    if targets.is_empty() {
        return None;
    }
    let at = current.and_then(|c| targets.iter().position(|h| h.target == c));
    let last = targets.len() - 1;
    // In a grid of cells, up and down change the row.
    if let (Some(Target::Cell { row, col }), "ArrowUp" | "ArrowDown") = (current, key) {
        let row = if key == "ArrowUp" {
            row.checked_sub(1)?
        } else {
            row + 1
        };
        let t = Target::Cell { row, col };
        return targets.iter().any(|h| h.target == t).then_some(t);
    }
    let next = match (key, at) {
        ("Home", _) | ("ArrowRight" | "ArrowDown", None) => 0,
        ("End", _) | ("ArrowLeft" | "ArrowUp", None) => last,
        ("ArrowRight" | "ArrowDown", Some(i)) => (i + 1).min(last),
        ("ArrowLeft" | "ArrowUp", Some(i)) => i.saturating_sub(1),
        _ => return None,
    };
    Some(targets[next].target)
}

/// A plot card's canvas with hover values, click selection, drag, keyboard use, a text
/// alternative and export buttons.
#[component]
pub fn PlotCanvas(
    /// What to draw; the canvas redraws (once per animation frame) when it changes.
    spec: Signal<PlotSpec>,
    /// Stem of exported file names and the `data-plot` attribute tests use.
    name: &'static str,
    /// Accessible name (the card's title).
    #[prop(into)]
    label: Signal<String>,
    /// Height over width.
    #[prop(default = 0.75)]
    aspect: f64,
    /// Called with what was clicked (or chosen with Enter).
    #[prop(optional)]
    on_select: Option<Callback<Target>>,
    /// Called with pointer movement (CSS pixels) while dragging (or with Shift and an arrow).
    #[prop(optional)]
    on_drag: Option<Callback<(f64, f64)>>,
) -> impl IntoView {
    let app = use_app();
    let i18n = use_i18n();
    let canvas_ref = NodeRef::<Canvas>::new();
    let hits: Rc<RefCell<Vec<Hit>>> = Rc::default();
    // Bumped after every drawing, so what depends on the hover regions follows them.
    let drawn = RwSignal::new(0u64);
    let tooltip = RwSignal::new(None::<(String, f64, f64)>);
    let cursor = RwSignal::new(None::<Target>);
    let focused = RwSignal::new(false);
    let announce = RwSignal::new(String::new());
    let summary = RwSignal::new(Summary::default());
    let plot_id = scheduler::next_id();
    let desc_id = format!("plot-{plot_id}-desc");
    // A plot that takes d ms to draw is redrawn at most every 8 d ms while data streams in,
    // so heavy plots (hundreds of features) cost at most about an eighth of the main thread.
    let next_allowed = Rc::new(Cell::new(0.0f64));
    let deferred = Rc::new(Cell::new(false));
    let resize_tick = RwSignal::new(0u32);

    let handle = window_event_listener(leptos::ev::resize, move |_| {
        resize_tick.update(|t| *t = t.wrapping_add(1));
    });
    on_cleanup(move || handle.remove());

    {
        let hits = Rc::clone(&hits);
        let next_allowed_draw = Rc::clone(&next_allowed);
        let draw = Rc::new(move || {
            // A draw scheduled just before the plot was removed (a tour step left mid-run)
            // finds its signals gone: nothing to draw then.
            let (Some(Some(canvas)), Some(projector), Some(dark), Some(lang), Some(current)) = (
                canvas_ref.try_get_untracked(),
                app.projector.try_get_untracked(),
                app.dark.try_get_untracked(),
                i18n.lang.try_get_untracked(),
                spec.try_get_untracked(),
            ) else {
                return;
            };
            {
                let text = plot_text(lang);
                let t0 = scheduler::now_ms();
                *hits.borrow_mut() = paint(&canvas, &current, aspect, projector, dark, &text);
                let took = scheduler::now_ms() - t0;
                drawn.try_update(|d| *d = d.wrapping_add(1));
                // Visible in the browser's performance panel and to the benchmark script.
                crate::browser::measure(&format!("plot:{name}"), t0, took);
                // Never wait more than a fifth of a second for the next redraw.
                next_allowed_draw.set(scheduler::now_ms() + (7.0 * took).min(200.0));
            }
        });
        Effect::new(move |_| {
            // Track what the drawing depends on.
            spec.track();
            app.projector.track();
            app.dark.track();
            i18n.lang.track();
            resize_tick.track();
            let wait = next_allowed.get() - scheduler::now_ms();
            if wait <= 0.0 {
                let draw = Rc::clone(&draw);
                scheduler::schedule(plot_id, Box::new(move || draw()));
            } else if !deferred.replace(true) {
                let draw = Rc::clone(&draw);
                let deferred = Rc::clone(&deferred);
                set_timeout(
                    move || {
                        deferred.set(false);
                        scheduler::schedule(plot_id, Box::new(move || draw()));
                    },
                    std::time::Duration::from_millis(wait.ceil() as u64),
                );
            }
        });
    }

    // The text alternative follows the plot at most once a second (a table is costly to
    // rebuild at 30 frames a second) and always catches up with the last state.
    {
        let pending = Rc::new(Cell::new(false));
        let last = Rc::new(Cell::new(f64::NEG_INFINITY));
        Effect::new(move |_| {
            spec.track();
            i18n.lang.track();
            if pending.replace(true) {
                return;
            }
            let wait = (last.get() + 1000.0 - scheduler::now_ms()).max(0.0);
            let pending = Rc::clone(&pending);
            let last = Rc::clone(&last);
            set_timeout(
                move || {
                    pending.set(false);
                    last.set(scheduler::now_ms());
                    let (Some(current), Some(lang)) =
                        (spec.try_get_untracked(), i18n.lang.try_get_untracked())
                    else {
                        return;
                    };
                    summary.try_set(current.summary(&plot_text(lang)));
                },
                std::time::Duration::from_millis(wait.ceil() as u64),
            );
        });
    }

    let dragging = Rc::new(Cell::new(None::<(f64, f64)>));
    let hover = {
        let hits = Rc::clone(&hits);
        let dragging = Rc::clone(&dragging);
        move |ev: web_sys::PointerEvent| {
            let (x, y) = (f64::from(ev.offset_x()), f64::from(ev.offset_y()));
            if let (Some(start), Some(cb)) = (dragging.get(), on_drag) {
                cb.run((x - start.0, y - start.1));
                dragging.set(Some((x, y)));
                return;
            }
            let dpr = device_pixel_ratio();
            let found =
                hit_at(&hits.borrow(), (x * dpr) as i32, (y * dpr) as i32).map(|h| h.label.clone());
            tooltip.set(found.map(|label| (label, x, y)));
        }
    };
    let click = {
        let hits = Rc::clone(&hits);
        move |ev: web_sys::MouseEvent| {
            let Some(cb) = on_select else { return };
            let dpr = device_pixel_ratio();
            let (x, y) = (
                f64::from(ev.offset_x()) * dpr,
                f64::from(ev.offset_y()) * dpr,
            );
            if let Some(hit) = hit_at(&hits.borrow(), x as i32, y as i32) {
                cb.run(hit.target);
            }
        }
    };
    let down = {
        let dragging = Rc::clone(&dragging);
        move |ev: web_sys::PointerEvent| {
            if on_drag.is_some() {
                dragging.set(Some((f64::from(ev.offset_x()), f64::from(ev.offset_y()))));
                if let Some(canvas) = canvas_ref.get_untracked() {
                    let _ = canvas.set_pointer_capture(ev.pointer_id());
                }
            }
        }
    };
    let up = {
        let dragging = Rc::clone(&dragging);
        move |_: web_sys::PointerEvent| dragging.set(None)
    };

    // The keyboard cursor: a frame over the region of the current target, with its value.
    let cursor_hit = RwSignal::new(None::<Hit>);
    {
        let hits = Rc::clone(&hits);
        Effect::new(move |_| {
            drawn.track();
            let found = cursor
                .get()
                .and_then(|t| hits.borrow().iter().find(|h| h.target == t).cloned());
            if cursor_hit.get_untracked() != found {
                cursor_hit.set(found);
            }
        });
    }
    Effect::new(move |_| {
        // Say what the cursor is on; show it as the tooltip while the plot has focus.
        let hit = cursor_hit.get();
        if !focused.get() {
            return;
        }
        if let Some(h) = hit {
            let dpr = device_pixel_ratio();
            announce.set(h.label.clone());
            tooltip.set(Some((
                h.label,
                f64::from(h.x1) / dpr,
                f64::from(h.y1) / dpr,
            )));
        }
    });
    let keydown = {
        let hits = Rc::clone(&hits);
        move |ev: web_sys::KeyboardEvent| {
            let key = ev.key();
            if ev.shift_key() && key.starts_with("Arrow") {
                if let Some(cb) = on_drag {
                    let step = 24.0;
                    let d = match key.as_str() {
                        "ArrowLeft" => (-step, 0.0),
                        "ArrowRight" => (step, 0.0),
                        "ArrowUp" => (0.0, -step),
                        _ => (0.0, step),
                    };
                    ev.prevent_default();
                    cb.run(d);
                }
                return;
            }
            match key.as_str() {
                "Enter" | " " => {
                    if let (Some(cb), Some(t)) = (on_select, cursor.get_untracked()) {
                        ev.prevent_default();
                        cb.run(t);
                    }
                }
                "Escape" => {
                    cursor.set(None);
                    tooltip.set(None);
                }
                _ => {
                    if let Some(t) = step_cursor(&hits.borrow(), cursor.get_untracked(), &key) {
                        ev.prevent_default();
                        cursor.set(Some(t));
                    }
                }
            }
        }
    };
    let cursor_box = move || {
        if !focused.get() {
            return None;
        }
        let h = cursor_hit.get()?;
        let dpr = device_pixel_ratio();
        let pad = 3.0;
        Some(view! {
            <div class="plot-cursor" aria-hidden="true"
                style:left=format!("{:.1}px", f64::from(h.x0) / dpr - pad)
                style:top=format!("{:.1}px", f64::from(h.y0) / dpr - pad)
                style:width=format!("{:.1}px", f64::from(h.x1 - h.x0) / dpr + 2.0 * pad)
                style:height=format!("{:.1}px", f64::from(h.y1 - h.y0) / dpr + 2.0 * pad)></div>
        })
    };

    let export_png = move |_| {
        if let Some(canvas) = canvas_ref.get_untracked() {
            download::canvas_png(&canvas, &format!("polytope-{name}.png"));
        }
    };
    let export_svg = move |_| {
        let width = canvas_ref
            .get_untracked()
            .map_or(640, |c| c.client_width().max(100) as u32);
        let height = (f64::from(width) * aspect).round() as u32;
        let theme = plot_theme(1.0, app.projector.get_untracked(), app.dark.get_untracked());
        let text = plot_text(i18n.lang.get_untracked());
        let svg = spec
            .get_untracked()
            .render_svg(width, height, &theme, &text)
            .svg;
        download::text_file(&format!("polytope-{name}.svg"), "image/svg+xml", &svg);
    };
    let export_csv = move |_| {
        download::text_file(
            &format!("polytope-{name}.csv"),
            "text/csv",
            &spec.get_untracked().csv(),
        );
    };

    let caption_id = format!("{desc_id}-caption");
    let interactive = on_select.is_some() || on_drag.is_some();
    let table = move || {
        summary.with(|s| {
            (!s.headers.is_empty()).then(|| {
                let headers = s
                    .headers
                    .iter()
                    .map(|h| view! { <th scope="col">{h.clone()}</th> })
                    .collect_view();
                // Cells are data (values, dictionary ids, names the visitor gave); the caption
                // and the headers are the interface's words, in its language.
                let rows = s
                    .rows
                    .iter()
                    .map(|r| {
                        let cells = r
                            .iter()
                            .map(|c| view! { <td translate="no">{c.clone()}</td> })
                            .collect_view();
                        view! { <tr>{cells}</tr> }
                    })
                    .collect_view();
                let more = (s.more > 0).then(|| {
                    let text = plot_text(i18n.lang.get());
                    view! { <p>{fill(text.more_rows, &[("count", &s.more)])}</p> }
                });
                view! {
                    <table>
                        <caption>{i18n.tr(Key::PlotDataTable)}</caption>
                        <thead><tr>{headers}</tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                    {more}
                }
            })
        })
    };

    view! {
        <div class="plot" data-plot=name>
            <div class="plot-area"><div class="plot-stage">
            <canvas
                node_ref=canvas_ref
                class="plot-canvas"
                class:draggable=on_drag.is_some()
                class:clickable=on_select.is_some()
                role="img"
                tabindex="0"
                aria-label=move || label.get()
                aria-describedby=caption_id.clone()
                on:pointermove=hover
                on:pointerleave=move |_| tooltip.set(None)
                on:pointerdown=down
                on:pointerup=up
                on:click=click
                on:keydown=keydown
                on:focus=move |_| focused.set(true)
                on:blur=move |_| {
                    focused.set(false);
                    tooltip.set(None);
                }
            ></canvas>
            {cursor_box}
            {move || {
                tooltip
                    .get()
                    .map(|(text, x, y)| {
                        view! {
                            <div class="plot-tooltip" aria-hidden="true" style:left=format!("{}px", x + 12.0) style:top=format!("{}px", y + 12.0)>
                                {text}
                            </div>
                        }
                    })
            }}
            </div></div>
            <div class="sr-only" id=desc_id.clone() data-testid="plot-text">
                <p id=caption_id.clone() data-testid="plot-caption">
                    {move || summary.with(|s| s.caption.clone())}
                    {interactive.then(|| view! { " " {i18n.tr(Key::PlotKeys)} })}
                </p>
                {table}
                <p aria-live="polite">{move || announce.get()}</p>
            </div>
            <div class="plot-tools">
                <button class="mini" on:click=export_png translate="no"
                    title=i18n.tr(Key::ExportPng) aria-label=i18n.tr(Key::ExportPng)>"PNG"</button>
                <button class="mini" on:click=export_svg data-export="svg" translate="no"
                    title=i18n.tr(Key::ExportSvg) aria-label=i18n.tr(Key::ExportSvg)>"SVG"</button>
                <button class="mini" on:click=export_csv translate="no"
                    title=i18n.tr(Key::ExportCsv) aria-label=i18n.tr(Key::ExportCsv)>"CSV"</button>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(target: Target) -> Hit {
        Hit {
            target,
            x0: 0,
            y0: 0,
            x1: 1,
            y1: 1,
            label: String::new(),
        }
    }

    #[test]
    fn arrow_keys_walk_targets_in_order_and_rows_of_cells() {
        let hits = vec![
            hit(Target::Feature(2)),
            hit(Target::Feature(0)),
            hit(Target::Feature(1)),
            hit(Target::Feature(0)),
        ];
        assert_eq!(
            step_cursor(&hits, None, "ArrowRight"),
            Some(Target::Feature(0))
        );
        assert_eq!(
            step_cursor(&hits, Some(Target::Feature(0)), "ArrowRight"),
            Some(Target::Feature(1))
        );
        assert_eq!(
            step_cursor(&hits, Some(Target::Feature(2)), "ArrowRight"),
            Some(Target::Feature(2)),
            "stays at the end"
        );
        assert_eq!(step_cursor(&hits, None, "End"), Some(Target::Feature(2)));
        assert_eq!(step_cursor(&hits, Some(Target::Feature(1)), "a"), None);
        let cells: Vec<Hit> = (0..3)
            .flat_map(|r| (0..3).map(move |c| hit(Target::Cell { row: r, col: c })))
            .collect();
        assert_eq!(
            step_cursor(&cells, Some(Target::Cell { row: 1, col: 2 }), "ArrowDown"),
            Some(Target::Cell { row: 2, col: 2 })
        );
        assert_eq!(
            step_cursor(&cells, Some(Target::Cell { row: 0, col: 2 }), "ArrowUp"),
            None
        );
        // Instances come before the features drawn for them.
        let mixed = vec![
            hit(Target::InstanceFeature {
                instance: 0,
                feature: 1,
            }),
            hit(Target::Instance(3)),
        ];
        assert_eq!(step_cursor(&mixed, None, "Home"), Some(Target::Instance(3)));
    }

    #[test]
    fn projector_theme_enlarges_text_to_at_least_18_css_pixels() {
        let t = plot_theme(2.0, true, false);
        assert!(t.font_px(9.0) >= 36.0);
        assert_eq!(t.colors, Colors::LIGHT_HIGH_CONTRAST);
        let t = plot_theme(1.0, true, true);
        assert_eq!(t.colors, Colors::DARK_HIGH_CONTRAST);
        let t = plot_theme(1.0, false, true);
        assert_eq!(t.colors, Colors::DARK);
        assert!((t.font_px(10.0) - 10.0).abs() < 1e-9);
    }
}
