//! The feature map: every feature at its `list.bin` map position on a canvas, coloured by
//! density. Wheel zooms about the pointer, drag pans, hover names the feature, click opens it.

use std::cell::Cell;
use std::rc::Rc;

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::{Fx, tokens_label};
use crate::i18n::{Key, use_i18n};

const PAD: f64 = 12.0;
/// Density colour buckets, from rare (blue) to frequent (orange).
const COLORS: [&str; 6] = [
    "#3b4cc0", "#6282ea", "#8db0fe", "#f5a47b", "#e8694f", "#b40426",
];

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
    (t * COLORS.len() as f64) as usize
}

#[component]
pub fn MapPanel(fx: Fx) -> impl IntoView {
    let i18n = use_i18n();
    let canvas_ref = NodeRef::<Canvas>::new();
    let view_state = RwSignal::new(HOME);
    let hover = RwSignal::new(None::<(u32, f64, f64)>);
    let drag = Rc::new(Cell::new(None::<(f64, f64, f64)>));
    let size = RwSignal::new((600.0f64, 420.0f64));

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
        ctx.set_fill_style_str("#fbfbfd");
        ctx.fill_rect(0.0, 0.0, w, h);
        let Some(list) = list else { return };
        let r = (1.5 * v.zoom.sqrt()).clamp(1.5, 5.0);
        let mut buckets: Vec<Vec<(f64, f64)>> = vec![Vec::new(); COLORS.len()];
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
        ctx.set_fill_style_str("#d5d8de");
        for (x, y) in grey {
            ctx.fill_rect(x - r, y - r, 2.0 * r, 2.0 * r);
        }
        for (color, pts) in COLORS.iter().zip(&buckets) {
            ctx.set_fill_style_str(color);
            for (x, y) in pts {
                ctx.fill_rect(x - r, y - r, 2.0 * r, 2.0 * r);
            }
        }
        if let Some(s) = selected.and_then(|f| list.get(f as usize)) {
            let (x, y) = v.to_screen(s.map, w, h);
            ctx.set_stroke_style_str("#111");
            ctx.set_line_width(2.0);
            ctx.begin_path();
            let _ = ctx.arc(x, y, r + 5.0, 0.0, std::f64::consts::TAU);
            ctx.stroke();
        }
    });

    // The nearest feature within 8 px of (x, y).
    let nearest = move |x: f64, y: f64| -> Option<u32> {
        let list = fx.dict.get_untracked().and_then(|d| {
            fx.lists
                .with_untracked(|l| l.get(&d).and_then(|r| r.as_ref().ok().cloned()))
        })?;
        let v = view_state.get_untracked();
        let (w, h) = size.get_untracked();
        let mut best = None;
        let mut best_d = 64.0;
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
                    data-testid="map-tooltip">{label}</div>
            }
        })
    };
    view! {
        <section class="card map-panel" data-panel="map">
            <h2>{i18n.tr(Key::FeaturesMap)}</h2>
            <p class="card-note">{i18n.tr(Key::FeaturesMapNote)}</p>
            <div class="plot">
                <canvas node_ref=canvas_ref class="plot-canvas map-canvas clickable draggable" data-testid="feature-map"
                    role="img" aria-label=move || i18n.t(Key::FeaturesMap)
                    on:pointerdown=down on:pointermove=moved on:pointerup=up
                    on:pointerleave=move |_| hover.set(None)></canvas>
                {tooltip}
            </div>
            <div class="plot-tools">
                <button class="mini" data-testid="map-reset" on:click=move |_| view_state.set(HOME)>{i18n.tr(Key::FeaturesMapReset)}</button>
            </div>
        </section>
    }
}
