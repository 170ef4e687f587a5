//! Browser timing and yielding: the clock, performance marks, and the ways a long computation
//! gives the page back to the browser (a new task, the next frame, a timer).

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// Milliseconds since the page started (`performance.now()`).
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Records a span in the browser's performance timeline (`performance.measure`), so the
/// benchmark can see where each frame goes.
pub fn measure(name: &str, start_ms: f64, duration_ms: f64) {
    // performance.measure(name, { start, duration }) (web-sys marks this form unstable).
    let Some(perf) = web_sys::window().and_then(|w| w.performance()) else {
        return;
    };
    let Ok(f) = js_sys::Reflect::get(&perf, &"measure".into()) else {
        return;
    };
    let Ok(f) = f.dyn_into::<js_sys::Function>() else {
        return;
    };
    let opts = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&opts, &"start".into(), &JsValue::from_f64(start_ms));
    let _ = js_sys::Reflect::set(&opts, &"duration".into(), &JsValue::from_f64(duration_ms));
    let _ = f.call2(&perf, &JsValue::from_str(name), &opts);
}

/// Yields to the browser's event loop (input, rendering) and resumes in a new task, without the
/// 4 ms minimum that nested `setTimeout(0)` calls get.
pub async fn yield_task() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let Ok(channel) = web_sys::MessageChannel::new() else {
            let _ = resolve.call0(&JsValue::NULL);
            return;
        };
        let port = channel.port1();
        let on_message = Closure::once_into_js(move |_: JsValue| {
            let _ = resolve.call0(&JsValue::NULL);
        });
        port.set_onmessage(Some(on_message.unchecked_ref()));
        let _ = channel.port2().post_message(&JsValue::NULL);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Resolves at the next animation frame.
pub async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.request_animation_frame(&resolve);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Waits `ms` milliseconds (a timer: it keeps running in hidden tabs, slowed to once a second).
pub async fn sleep_ms(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// Between two slices of a computation: lets a frame render when one is due (14 ms since the
/// last, or always when `capped`), then continues in a task of its own rather than inside the
/// frame's callbacks (which would make that frame a long task).
pub async fn pace(last_paint_ms: &mut f64, capped: bool) {
    if now_ms() - *last_paint_ms > 14.0 || capped {
        next_frame().await;
        *last_paint_ms = now_ms();
    }
    yield_task().await;
}

/// Steps per second over half-second windows, for a status line.
pub struct RateMeter {
    since_ms: f64,
    since_step: u32,
}

impl RateMeter {
    pub fn new(step: u32) -> Self {
        Self {
            since_ms: now_ms(),
            since_step: step,
        }
    }

    /// The rate since the window began, once it is half a second long (then a new one starts).
    pub fn update(&mut self, step: u32) -> Option<f64> {
        let now = now_ms();
        if now - self.since_ms <= 500.0 {
            return None;
        }
        let rate =
            f64::from(step.saturating_sub(self.since_step)) / ((now - self.since_ms) / 1000.0);
        *self = Self {
            since_ms: now,
            since_step: step,
        };
        Some(rate)
    }
}
