//! Computing only while visible: a run whose element is scrolled out of view (an embed far
//! down a blog post, a widget below the fold) waits until it is back, so a page with five
//! embeds does not train five models at once. Uses `IntersectionObserver`, which inside an
//! iframe reports the frame's visibility in the top-level page too.

use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::engine::{Run, Workload};

/// Keeps `run.active` equal to "`node` intersects the viewport".
pub fn pause_out_of_view<W: Workload>(run: Run<W>, node: NodeRef<Div>) {
    let observer: StoredValue<Option<web_sys::IntersectionObserver>, LocalStorage> =
        StoredValue::new_local(None);
    Effect::new(move |_| {
        let Some(el) = node.get() else { return };
        if observer.with_value(Option::is_some) {
            return;
        }
        let active = run.active;
        let callback = Closure::<dyn Fn(js_sys::Array)>::new(move |entries: js_sys::Array| {
            for entry in entries.iter() {
                if let Ok(e) = entry.dyn_into::<web_sys::IntersectionObserverEntry>() {
                    active.try_set(e.is_intersecting());
                }
            }
        });
        if let Ok(obs) = web_sys::IntersectionObserver::new(callback.as_ref().unchecked_ref()) {
            obs.observe(&el);
            observer.set_value(Some(obs));
        }
        // The observer holds the callback for as long as the page has the element.
        callback.forget();
    });
    on_cleanup(move || {
        if let Some(obs) = observer.try_with_value(Option::clone).flatten() {
            obs.disconnect();
        }
    });
}
