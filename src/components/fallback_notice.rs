//! The visible notice shown wherever training falls back to the CPU.

use leptos::prelude::*;

use crate::compute::{ComputeStatus, CpuReason};
use crate::i18n::{Key, use_i18n};
use crate::use_app;

#[component]
pub fn FallbackNotice() -> impl IntoView {
    let i18n = use_i18n();
    let app = use_app();
    move || match app.compute.get() {
        ComputeStatus::Cpu { reason, detail } => {
            let why = match reason {
                CpuReason::Requested => i18n.t(Key::CpuRequested).to_owned(),
                CpuReason::Unavailable | CpuReason::Lost => detail,
            };
            Some(view! {
                <div class="notice notice-warn" role="status" data-testid="fallback-notice">
                    <strong>{i18n.tr(Key::FallbackNotice)}</strong>
                    " "
                    // The reason is the browser's or the driver's own message, quoted as it came.
                    <span class="notice-reason">{i18n.tr(Key::FallbackReason)} ": " <span translate="no">{why}</span></span>
                </div>
            })
        }
        _ => None,
    }
}
