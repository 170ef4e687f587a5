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
            // Headline, lead and reason: a software adapter is explained in the visitor's
            // language (its name quoted); otherwise the reason is the browser's own message.
            let (headline, lead, sep, why) = match reason {
                CpuReason::Software => (Key::FallbackNoticeSoftware, Key::CpuSoftware, " ", detail),
                CpuReason::Requested => (
                    Key::FallbackNotice,
                    Key::FallbackReason,
                    ": ",
                    i18n.t(Key::CpuRequested).to_owned(),
                ),
                CpuReason::Unavailable | CpuReason::Lost => {
                    (Key::FallbackNotice, Key::FallbackReason, ": ", detail)
                }
            };
            Some(view! {
                <div class="notice notice-warn" role="status" data-testid="fallback-notice">
                    <strong>{i18n.tr(headline)}</strong>
                    " "
                    // The reason is the browser's or the driver's own message, quoted as it came.
                    <span class="notice-reason" data-reason=format!("{reason:?}").to_lowercase()>{i18n.tr(lead)} {sep} <span translate="no">{why}</span></span>
                </div>
            })
        }
        _ => None,
    }
}
