//! A `<canvas>` bound to a [`PlotSpec`] signal.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use polytope_plots::{Hit, Target, Theme, hit_at};

use super::PlotSpec;
use crate::download;
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

/// Draws `spec` on `canvas` at device resolution and returns the hover regions.
fn paint(
    canvas: &web_sys::HtmlCanvasElement,
    spec: &PlotSpec,
    aspect: f64,
    text_zoom: f64,
) -> Vec<Hit> {
    let css_width = f64::from(canvas.client_width());
    if css_width < 10.0 {
        return Vec::new();
    }
    let dpr = device_pixel_ratio();
    let width = (css_width * dpr).round() as u32;
    let height = (css_width * aspect * dpr).round() as u32;
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
    let theme = Theme {
        scale: dpr * text_zoom,
        ..Theme::default()
    };
    let hits = spec.draw(&root, &theme);
    let _ = root.present();
    hits
}

/// A plot card's canvas with hover values, click selection, drag, and export buttons.
#[component]
pub fn PlotCanvas(
    /// What to draw; the canvas redraws (once per animation frame) when it changes.
    spec: Signal<PlotSpec>,
    /// Stem of exported file names and the `data-plot` attribute tests use.
    name: &'static str,
    /// Accessible description.
    #[prop(into)]
    label: Signal<String>,
    /// Height over width.
    #[prop(default = 0.75)]
    aspect: f64,
    /// Called with what was clicked.
    #[prop(optional)]
    on_select: Option<Callback<Target>>,
    /// Called with pointer movement (CSS pixels) while dragging.
    #[prop(optional)]
    on_drag: Option<Callback<(f64, f64)>>,
) -> impl IntoView {
    let app = use_app();
    let canvas_ref = NodeRef::<Canvas>::new();
    let hits: Rc<RefCell<Vec<Hit>>> = Rc::default();
    let tooltip = RwSignal::new(None::<(String, f64, f64)>);
    let plot_id = scheduler::next_id();
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
            if let Some(canvas) = canvas_ref.get_untracked() {
                let zoom = if app.projector.get_untracked() {
                    1.35
                } else {
                    1.0
                };
                let current = spec.get_untracked();
                let t0 = scheduler::now_ms();
                *hits.borrow_mut() = paint(&canvas, &current, aspect, zoom);
                let took = scheduler::now_ms() - t0;
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
        let svg = spec.get_untracked().svg(width, height);
        download::text_file(&format!("polytope-{name}.svg"), "image/svg+xml", &svg);
    };
    let export_csv = move |_| {
        download::text_file(
            &format!("polytope-{name}.csv"),
            "text/csv",
            &spec.get_untracked().csv(),
        );
    };

    view! {
        <div class="plot" data-plot=name>
            <canvas
                node_ref=canvas_ref
                class="plot-canvas"
                class:draggable=on_drag.is_some()
                class:clickable=on_select.is_some()
                role="img"
                aria-label=move || label.get()
                on:pointermove=hover
                on:pointerleave=move |_| tooltip.set(None)
                on:pointerdown=down
                on:pointerup=up
                on:click=click
            ></canvas>
            {move || {
                tooltip
                    .get()
                    .map(|(text, x, y)| {
                        view! {
                            <div class="plot-tooltip" style:left=format!("{}px", x + 12.0) style:top=format!("{}px", y + 12.0)>
                                {text}
                            </div>
                        }
                    })
            }}
            <div class="plot-tools">
                <button class="mini" on:click=export_png title="PNG">"PNG"</button>
                <button class="mini" on:click=export_svg title="SVG" data-export="svg">"SVG"</button>
                <button class="mini" on:click=export_csv title="CSV">"CSV"</button>
            </div>
        </div>
    }
}
