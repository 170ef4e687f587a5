//! The service worker (`public/sw.js`, which keeps the app and every data file opened so far
//! available offline): its registration under the site's root, and the banner that offers a
//! reload when a new deploy has taken over an open page.
//!
//! A new deploy changes `sw.js` (the build writes its id into it). The browser looks for a new
//! worker on every navigation; an open single-page app never navigates, so the page also asks
//! when the tab becomes visible again and every 30 minutes. The new worker takes control at once
//! (`skipWaiting`, `clients.claim`), which fires `controllerchange` in the page: when the page was
//! controlled before, that is a new version, and the banner appears.

use std::cell::RefCell;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::i18n::{Key, use_i18n};
use crate::url;

/// How often an open page asks for a new deploy.
const UPDATE_CHECK_MS: i32 = 30 * 60 * 1000;

#[derive(Default)]
struct Update {
    available: bool,
    listener: Option<Box<dyn Fn()>>,
}

thread_local! {
    static UPDATE: RefCell<Update> = RefCell::default();
}

fn notify_update() {
    UPDATE.with(|u| {
        let mut u = u.borrow_mut();
        u.available = true;
        if let Some(f) = &u.listener {
            f();
        }
    });
}

/// Calls `f` once a new version has taken over (at once if it already has).
fn on_update(f: impl Fn() + 'static) {
    UPDATE.with(|u| {
        let mut u = u.borrow_mut();
        if u.available {
            f();
        }
        u.listener = Some(Box::new(f));
    });
}

fn get(target: &JsValue, name: &str) -> Option<JsValue> {
    js_sys::Reflect::get(target, &name.into())
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn call(target: &JsValue, name: &str, args: &[JsValue]) -> Option<JsValue> {
    let f = get(target, name)?.dyn_into::<js_sys::Function>().ok()?;
    let args: js_sys::Array = args.iter().collect();
    f.apply(target, &args).ok()
}

/// Awaits a promise, ignoring its outcome (an update check fails quietly when offline).
async fn settle(promise: Option<JsValue>) -> Option<JsValue> {
    let promise = promise?.dyn_into::<js_sys::Promise>().ok()?;
    JsFuture::from(promise).await.ok()
}

/// Waits (at most `timeout_ms`) until a service worker is active for this site, so that the
/// files a page caches are served when the network is gone; `false` where this browser has
/// none or it did not start in time.
pub async fn worker_ready(timeout_ms: i32) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let navigator: JsValue = window.navigator().into();
    let Some(ready) = get(&navigator, "serviceWorker").and_then(|c| get(&c, "ready")) else {
        return false;
    };
    let timeout = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_1(
                &resolve,
                timeout_ms,
                &JsValue::FALSE,
            );
        }
    });
    let race = js_sys::Promise::race(&js_sys::Array::of2(&ready, &timeout));
    JsFuture::from(race)
        .await
        .is_ok_and(|v| v.as_bool() != Some(false))
}

/// Registers `sw.js` for the site's root. Does nothing where service workers are unavailable.
pub fn register_service_worker() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let navigator: JsValue = window.navigator().into();
    let Some(container) = get(&navigator, "serviceWorker") else {
        return;
    };
    if get(&container, "controller").is_some() {
        let changed = Closure::<dyn Fn()>::new(notify_update);
        if let Some(target) = container.dyn_ref::<web_sys::EventTarget>() {
            let _ = target.add_event_listener_with_callback(
                "controllerchange",
                changed.as_ref().unchecked_ref(),
            );
        }
        // Listens for the page's lifetime.
        changed.forget();
    }
    wasm_bindgen_futures::spawn_local(async move {
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"scope".into(), &url::base().into());
        let registration = settle(call(
            &container,
            "register",
            &[url::href("sw.js").into(), options.into()],
        ))
        .await;
        let Some(registration) = registration else {
            web_sys::console::warn_1(&"service worker not registered".into());
            return;
        };
        let check = Closure::<dyn Fn()>::new(move || {
            let visible = web_sys::window()
                .and_then(|w| w.document())
                .is_none_or(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
            if visible {
                let promise = call(&registration, "update", &[]);
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = settle(promise).await;
                });
            }
        });
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            let _ = document.add_event_listener_with_callback(
                "visibilitychange",
                check.as_ref().unchecked_ref(),
            );
        }
        if let Some(window) = web_sys::window() {
            let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
                check.as_ref().unchecked_ref(),
                UPDATE_CHECK_MS,
            );
        }
        // Checks for the page's lifetime.
        check.forget();
    });
}

/// "A new version is available": a reload button and a dismiss button.
#[component]
pub fn UpdateBanner() -> impl IntoView {
    let i18n = use_i18n();
    let shown = RwSignal::new(false);
    on_update(move || {
        shown.try_set(true);
    });
    let reload = move |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.location().reload();
        }
    };
    view! {
        <Show when=move || shown.get()>
            <div class="update-banner" role="status" data-testid="update-banner">
                <span>{i18n.tr(Key::UpdateAvailable)}</span>
                <button on:click=reload data-testid="update-reload">{i18n.tr(Key::UpdateReload)}</button>
                <button class="dismiss" on:click=move |_| shown.set(false)>{i18n.tr(Key::UpdateDismiss)}</button>
            </div>
        </Show>
    }
}
