//! `window.polytope`: the small automation API that tests and embedding pages use.
//!
//! ```js
//! window.polytope.version   // API version (1)
//! window.polytope.state()   // a JSON object: page, lang, projector, embed, compute, and the
//!                           // page's own section (for example `toy` with step and metrics)
//! window.polytope.loseDevice()  // destroys the WebGPU device, as a lost GPU would: pages
//!                               // resume on the CPU from their last snapshot (for tests)
//! window.polytope.panicForTest(message)  // panics with `message`, as a bug would: the page
//!                               // shows the crash card (src/panic.rs) (for tests)
//! ```
//! The shape is a public interface: fields are added, never renamed or removed.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

pub const API_VERSION: u32 = 1;

/// Computes a section when `state()` is called (so large runs are serialised on demand only).
pub type Provider = Box<dyn Fn() -> Value>;

#[derive(Default)]
struct Store {
    common: Map<String, Value>,
    sections: BTreeMap<String, Value>,
    providers: BTreeMap<String, Provider>,
}

thread_local! {
    static STORE: RefCell<Store> = RefCell::new(Store::default());
}

/// Sets a top-level field (`page`, `lang`, `compute`, ...).
pub fn set_common(key: &str, value: Value) {
    STORE.with(|s| {
        s.borrow_mut().common.insert(key.to_owned(), value);
    });
}

/// Publishes a page's section (replacing the previous one).
pub fn publish(section: &str, value: Value) {
    STORE.with(|s| {
        s.borrow_mut().sections.insert(section.to_owned(), value);
    });
}

/// Registers a section computed on demand (replacing any previous one of that name).
pub fn provide(section: &str, provider: Provider) {
    STORE.with(|s| {
        s.borrow_mut()
            .providers
            .insert(section.to_owned(), provider);
    });
}

/// Removes a section (a page unmounting).
pub fn withdraw(section: &str) {
    STORE.with(|s| {
        let mut s = s.borrow_mut();
        s.providers.remove(section);
        s.sections.remove(section);
    });
}

/// The whole state as JSON.
pub fn snapshot() -> Value {
    STORE.with(|s| {
        let s = s.borrow();
        let mut out = s.common.clone();
        out.insert("version".into(), json!(API_VERSION));
        for (k, v) in &s.sections {
            out.insert(k.clone(), v.clone());
        }
        for (k, f) in &s.providers {
            out.insert(k.clone(), f());
        }
        Value::Object(out)
    })
}

/// Defines `window.polytope` (once).
pub fn install() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let api = js_sys::Object::new();
    let state = Closure::<dyn Fn() -> JsValue>::new(|| {
        let text = snapshot().to_string();
        js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL)
    });
    let lose = Closure::<dyn Fn() -> JsValue>::new(|| {
        let had_device = crate::compute::gpu_context()
            .map(|ctx| ctx.device.destroy())
            .is_some();
        JsValue::from(had_device)
    });
    // A visitor can only crash their own page with it, as the console can anyway.
    let panic_for_test = Closure::<dyn Fn(JsValue)>::new(|message: JsValue| {
        let message = message
            .as_string()
            .unwrap_or_else(|| "panicForTest".to_owned());
        panic!("{message}");
    });
    let _ = js_sys::Reflect::set(&api, &"version".into(), &JsValue::from(API_VERSION));
    let _ = js_sys::Reflect::set(
        &api,
        &"panicForTest".into(),
        panic_for_test.as_ref().unchecked_ref(),
    );
    let _ = js_sys::Reflect::set(&api, &"state".into(), state.as_ref().unchecked_ref());
    let _ = js_sys::Reflect::set(&api, &"loseDevice".into(), lose.as_ref().unchecked_ref());
    // The API lives as long as the page.
    state.forget();
    lose.forget();
    panic_for_test.forget();
    let _ = js_sys::Reflect::set(&window, &"polytope".into(), &api);
}
