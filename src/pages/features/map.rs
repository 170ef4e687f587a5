//! The feature map: every feature at its `list.bin` map position on a canvas, coloured by
//! density. Wheel zooms about the pointer, drag pans, hover names the feature, click opens it;
//! with the keyboard, arrows pan, + and − zoom, 0 resets and Enter opens the feature nearest
//! the centre (marked by a cross while the map has focus).

use std::cell::Cell;
use std::rc::Rc;

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::{Fx, tokens_label};
use crate::i18n::{Key, use_i18n};
use crate::use_app;

const PAD: f64 = 12.0;
/// Density colour buckets, from rare (blue) to frequent (red-orange), on a ramp linear in
/// CIELAB (`polytope_plots::density_color`).
const BUCKETS: usize = 6;

fn css(c: (u8, u8, u8)) -> String {
    format!("rgb({}, {}, {})", c.0, c.1, c.2)
}

fn bucket_colors() -> Vec<String> {
    (0..BUCKETS)
        .map(|k| {
            css(polytope_plots::density_color(
                k as f64 / (BUCKETS - 1) as f64,
            ))
        })
        .collect()
}

/// Zoom and centre (in map coordinates).
#[derive(Clone, Copy, PartialEq)]
struct View {
    zoom: f64,
    cx: f64,
    cy: f64,
}

impl View {
    fn scale(self, w: f64, h: f64) -> f64 {
        (w.min(h) - 2.0 * PAD).max(10.0) * self.zoom
    }
    fn to_screen(self, p: [f32; 2], w: f64, h: f64) -> (f64, f64) {
        let s = self.scale(w, h);
        (
            (f64::from(p[0]) - self.cx) * s + w / 2.0,
            (f64::from(p[1]) - self.cy) * s + h / 2.0,
        )
    }
    fn to_map(self, x: f64, y: f64, w: f64, h: f64) -> (f64, f64) {
        let s = self.scale(w, h);
        ((x - w / 2.0) / s + self.cx, (y - h / 2.0) / s + self.cy)
    }
}

const HOME: View = View {
    zoom: 1.0,
    cx: 0.5,
    cy: 0.5,
};

fn bucket(density: f32) -> usize {
    if density <= 0.0 {
        return 0;
    }
    let t = ((f64::from(density).log10() + 6.0) / 6.0).clamp(0.0, 0.999);
    (t * BUCKETS as f64) as usize
}

#[component]
pub fn MapPanel(fx: Fx) -> impl IntoView {
    let i18n = use_i18n();
    let app = use_app();
    let canvas_ref = NodeRef::<Canvas>::new();
    let view_state = RwSignal::new(HOME);
    let hover = RwSignal::new(None::<(u32, f64, f64)>);
    let drag = Rc::new(Cell::new(None::<(f64, f64, f64)>));
    let size = RwSignal::new((600.0f64, 420.0f64));
    let focused = RwSignal::new(false);
    let colors = bucket_colors();

    let list = move || fx.dict.get().and_then(|d| fx.list_of(&d));

    // Draw whenever the list, the view, the selection or the search changes.
    Effect::new(move |_| {
        let Some(canvas) = canvas_ref.get() else {
            return;
        };
        let list = list();
        let v = view_state.get();
        let selected = fx.feature.get();
        let matches = fx
            .text_search
            .with(|s| s.as_ref().map(|s| s.matches.clone()));
        let dark = app.dark.get();
        let projector = app.projector.get();
        let has_focus = focused.get();
        let frame = polytope_plots::Colors::pick(dark, projector);
        let rgb = |c: plotters::style::RGBColor| css((c.0, c.1, c.2));
        let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
        let w = f64::from(canvas.client_width().max(200));
        let h = (w * 0.7).round();
        size.set((w, h));
        canvas.set_width((w * dpr) as u32);
        canvas.set_height((h * dpr) as u32);
        let Ok(Some(ctx)) = canvas.get_context("2d") else {
            return;
        };
        let Ok(ctx) = ctx.dyn_into::<web_sys::CanvasRenderingContext2d>() else {
            return;
        };
        let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
        ctx.set_fill_style_str(&rgb(frame.paper));
        ctx.fill_rect(0.0, 0.0, w, h);
        let Some(list) = list else { return };
        let r = (1.5 * v.zoom.sqrt()).clamp(1.5, 5.0);
        let mut buckets: Vec<Vec<(f64, f64)>> = vec![Vec::new(); BUCKETS];
        let mut grey = Vec::new();
        for (i, s) in list.iter().enumerate() {
            let (x, y) = v.to_screen(s.map, w, h);
            if x < -r || y < -r || x > w + r || y > h + r {
                continue;
            }
            let dimmed = s.is_dead() || matches.as_ref().is_some_and(|m| !m.contains(&(i as u32)));
            if dimmed {
                grey.push((x, y));
            } else {
                buckets[bucket(s.density)].push((x, y));
            }
        }
        ctx.set_fill_style_str(&rgb(frame.grid));
        for (x, y) in grey {
            ctx.fill_rect(x - r, y - r, 2.0 * r, 2.0 * r);
        }
        for (color, pts) in colors.iter().zip(&buckets) {
            ctx.set_fill_style_str(color);
            for (x, y) in pts {
                ctx.fill_rect(x - r, y - r, 2.0 * r, 2.0 * r);
            }
        }
        if let Some(s) = selected.and_then(|f| list.get(f as usize)) {
            let (x, y) = v.to_screen(s.map, w, h);
            ctx.set_stroke_style_str(&rgb(frame.ink));
            ctx.set_line_width(2.0);
            ctx.begin_path();
            let _ = ctx.arc(x, y, r + 5.0, 0.0, std::f64::consts::TAU);
            ctx.stroke();
        }
        if has_focus {
            // The keyboard's cross at the centre: Enter opens the feature nearest to it.
            let (cx, cy) = (w / 2.0, h / 2.0);
            ctx.set_stroke_style_str(&rgb(frame.ink));
            ctx.set_line_width(1.5);
            ctx.begin_path();
            ctx.move_to(cx - 10.0, cy);
            ctx.line_to(cx + 10.0, cy);
            ctx.move_to(cx, cy - 10.0);
            ctx.line_to(cx, cy + 10.0);
            ctx.stroke();
        }
    });

    // The nearest feature within `radius` px of (x, y).
    let nearest_within = move |x: f64, y: f64, radius: f64| -> Option<u32> {
        let list = fx.dict.get_untracked().and_then(|d| {
            fx.lists
                .with_untracked(|l| l.get(&d).and_then(|r| r.as_ref().ok().cloned()))
        })?;
        let v = view_state.get_untracked();
        let (w, h) = size.get_untracked();
        let mut best = None;
        let mut best_d = radius * radius;
        for (i, s) in list.iter().enumerate() {
            let (px, py) = v.to_screen(s.map, w, h);
            let d = (px - x).powi(2) + (py - y).powi(2);
            if d < best_d {
                best_d = d;
                best = Some(i as u32);
            }
        }
        best
    };
    let nearest = move |x: f64, y: f64| nearest_within(x, y, 8.0);
    // The feature nearest the centre (any distance), for the keyboard.
    let centre = Memo::new(move |_| {
        view_state.track();
        fx.dict.track();
        fx.lists.track();
        let (w, h) = size.get();
        nearest_within(w / 2.0, h / 2.0, f64::INFINITY)
    });
    let keydown = move |ev: web_sys::KeyboardEvent| {
        let v = view_state.get_untracked();
        let (w, h) = size.get_untracked();
        let step = 0.1 * w.min(h) / v.scale(w, h);
        let next = match ev.key().as_str() {
            "ArrowLeft" => View {
                cx: v.cx - step,
                ..v
            },
            "ArrowRight" => View {
                cx: v.cx + step,
                ..v
            },
            "ArrowUp" => View {
                cy: v.cy - step,
                ..v
            },
            "ArrowDown" => View {
                cy: v.cy + step,
                ..v
            },
            "+" | "=" => View {
                zoom: (v.zoom * 1.5).min(400.0),
                ..v
            },
            "-" | "_" => View {
                zoom: (v.zoom / 1.5).max(0.5),
                ..v
            },
            "0" => HOME,
            "Enter" | " " => {
                ev.prevent_default();
                if let (Some(f), Some(d)) = (centre.get_untracked(), fx.dict.get_untracked()) {
                    fx.go(&d, Some(f));
                }
                return;
            }
            _ => return,
        };
        ev.prevent_default();
        view_state.set(next);
    };
    let centre_line = move || {
        if !focused.get() {
            return None;
        }
        let f = centre.get()?;
        let d = fx.dict.get()?;
        let tokens = fx.list_of(&d).and_then(|l| {
            let texts = fx.texts_now()?;
            l.get(f as usize)
                .map(|s| tokens_label(&s.top_tokens, &texts))
        });
        Some(view! {
            {i18n.tr(Key::FeaturesMapCentre)} " "
            <span translate="no">{format!("#{f} {}", tokens.unwrap_or_default())}</span>
        })
    };

    // Wheel zoom needs a non-passive listener (to keep the page from scrolling).
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) {
            return true;
        }
        let Some(canvas) = canvas_ref.get() else {
            return false;
        };
        let on_wheel =
            Closure::<dyn Fn(web_sys::WheelEvent)>::new(move |ev: web_sys::WheelEvent| {
                ev.prevent_default();
                let (w, h) = size.get_untracked();
                let (x, y) = (f64::from(ev.offset_x()), f64::from(ev.offset_y()));
                let v = view_state.get_untracked();
                let factor = (-ev.delta_y() * 0.0015).exp().clamp(0.5, 2.0);
                let zoom = (v.zoom * factor).clamp(0.5, 400.0);
                let (mx, my) = v.to_map(x, y, w, h);
                let nv = View { zoom, ..v };
                let s = nv.scale(w, h);
                view_state.set(View {
                    zoom,
                    cx: mx - (x - w / 2.0) / s,
                    cy: my - (y - h / 2.0) / s,
                });
            });
        let opts = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&opts, &"passive".into(), &JsValue::FALSE);
        if let Ok(add) = js_sys::Reflect::get(&canvas, &"addEventListener".into())
            .and_then(JsCast::dyn_into::<js_sys::Function>)
        {
            let _ = add.call3(&canvas, &"wheel".into(), on_wheel.as_ref(), &opts);
        }
        // The listener lives as long as the canvas.
        on_wheel.forget();
        true
    });

    let down = {
        let drag = Rc::clone(&drag);
        move |ev: web_sys::PointerEvent| {
            drag.set(Some((
                f64::from(ev.offset_x()),
                f64::from(ev.offset_y()),
                0.0,
            )));
            if let Some(c) = canvas_ref.get_untracked() {
                let _ = c.set_pointer_capture(ev.pointer_id());
            }
        }
    };
    let moved = {
        let drag = Rc::clone(&drag);
        move |ev: web_sys::PointerEvent| {
            let (x, y) = (f64::from(ev.offset_x()), f64::from(ev.offset_y()));
            if let Some((px, py, dist)) = drag.get() {
                let (w, h) = size.get_untracked();
                let v = view_state.get_untracked();
                let s = v.scale(w, h);
                let dist = dist + (x - px).abs() + (y - py).abs();
                drag.set(Some((x, y, dist)));
                if dist > 3.0 {
                    view_state.set(View {
                        cx: v.cx - (x - px) / s,
                        cy: v.cy - (y - py) / s,
                        ..v
                    });
                    hover.set(None);
                    return;
                }
            }
            hover.set(nearest(x, y).map(|f| (f, x, y)));
        }
    };
    let up = {
        let drag = Rc::clone(&drag);
        move |ev: web_sys::PointerEvent| {
            let was = drag.take();
            if was.is_some_and(|(_, _, dist)| dist <= 3.0) {
                let (x, y) = (f64::from(ev.offset_x()), f64::from(ev.offset_y()));
                if let (Some(f), Some(d)) = (nearest(x, y), fx.dict.get_untracked()) {
                    fx.go(&d, Some(f));
                }
            }
        }
    };
    let tooltip = move || {
        hover.get().map(|(f, x, y)| {
            let label = fx.dict.get().map(|d| {
                let tokens = fx.list_of(&d).and_then(|l| {
                    let texts = fx.texts_now()?;
                    l.get(f as usize).map(|s| tokens_label(&s.top_tokens, &texts))
                });
                format!("#{f} {}", tokens.unwrap_or_default())
            });
            view! {
                <div class="plot-tooltip" style:left=format!("{}px", x + 12.0) style:top=format!("{}px", y + 12.0)
                    data-testid="map-tooltip" translate="no">{label}</div>
            }
        })
    };
    view! {
        <section class="card map-panel" data-panel="map">
            <h2>{i18n.tr(Key::FeaturesMap)}</h2>
            <p class="card-note">{i18n.tr(Key::FeaturesMapNote)}</p>
            <p class="card-note map-note-keys" id="map-keys">{i18n.tr(Key::FeaturesMapKeys)}</p>
            <div class="plot">
                <canvas node_ref=canvas_ref class="plot-canvas map-canvas clickable draggable" data-testid="feature-map"
                    role="img" tabindex="0" aria-label=move || i18n.t(Key::FeaturesMap)
                    aria-describedby="map-keys"
                    on:pointerdown=down on:pointermove=moved on:pointerup=up
                    on:keydown=keydown
                    on:focus=move |_| focused.set(true)
                    on:blur=move |_| focused.set(false)
                    on:pointerleave=move |_| hover.set(None)></canvas>
                {tooltip}
            </div>
            <p class="map-centre" aria-live="polite" data-testid="map-centre">{centre_line}</p>
            <div class="plot-tools">
                <button class="mini" data-testid="map-reset" on:click=move |_| view_state.set(HOME)>{i18n.tr(Key::FeaturesMapReset)}</button>
            </div>
        </section>
    }
}
