//! A small badge naming the backend in use (links to the compute page).

use leptos::prelude::*;
use leptos_router::components::A;

use crate::compute::ComputeStatus;
use crate::i18n::{Key, use_i18n};
use crate::use_app;

#[component]
pub fn BackendBadge() -> impl IntoView {
    let i18n = use_i18n();
    let app = use_app();
    let label = move || match app.compute.get() {
        ComputeStatus::Detecting => i18n.t(Key::BackendDetecting).to_owned(),
        ComputeStatus::Webgpu { adapter } => {
            if adapter.name.is_empty() {
                i18n.t(Key::BackendWebGpu).to_owned()
            } else {
                format!("{} · {}", i18n.t(Key::BackendWebGpu), adapter.name)
            }
        }
        ComputeStatus::Cpu { .. } => i18n.t(Key::BackendCpu).to_owned(),
    };
    let class = move || match app.compute.get() {
        ComputeStatus::Detecting => "badge badge-pending",
        ComputeStatus::Webgpu { .. } => "badge badge-gpu",
        ComputeStatus::Cpu { .. } => "badge badge-cpu",
    };
    view! {
        <A href=crate::url::href("compute") attr:class=class attr:data-testid="backend-badge">
            {label}
        </A>
    }
}
