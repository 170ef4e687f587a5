//! Which backend trains models in this tab, and the GPU context when there is one.
//!
//! The app asks for a device once at startup (unless `?backend=cpu`); pages read
//! [`ComputeStatus`] to show the backend and call [`gpu_context`] to get the device. A
//! lost device switches the status to the CPU with the reason, and pages resume there.
//!
//! [`BackendChoice`]: with no choice, a software WebGPU adapter (the browser emulating a GPU on
//! the CPU, as SwiftShader does on machines without one) is put aside and the CPU path trains,
//! because it is several times faster there (docs/benchmarks.md); `backend=webgpu`, or
//! choosing WebGPU in a page's settings ([`force_webgpu`]), uses the adapter anyway.

use std::cell::RefCell;

use leptos::prelude::*;
use leptos::task::spawn_local;
use polytope_gpu::{AdapterPreference, AdapterSummary, GpuContext, request_context};
use serde::Serialize;

/// Where computation happens, as the interface and `window.polytope.state()` report it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "backend", rename_all = "lowercase")]
pub enum ComputeStatus {
    /// Still asking the browser for an adapter.
    Detecting,
    /// WebGPU works on this adapter.
    Webgpu { adapter: AdapterSummary },
    /// Training runs on the CPU, for this reason.
    Cpu { reason: CpuReason, detail: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CpuReason {
    /// `?backend=cpu` in the address.
    Requested,
    /// No WebGPU in this browser, or no adapter, or the device could not be created.
    Unavailable,
    /// The device was lost during the session.
    Lost,
    /// The only adapter is a software one (`device_type` Cpu), slower than the CPU path; put
    /// aside until the visitor asks for WebGPU.
    Software,
}

/// The backend the visitor asked for: `backend=cpu`, `backend=webgpu` (or `gpu`) in the
/// address, else WebGPU when it was chosen in a page's settings before, else automatic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendChoice {
    Auto,
    Cpu,
    Webgpu,
}

/// Where a visitor's choice of WebGPU is remembered between visits.
const CHOICE_KEY: &str = "polytope.backend";

impl BackendChoice {
    /// The value of `backend=` (unknown values mean automatic).
    pub fn from_param(value: Option<&str>) -> Self {
        match value.map(str::to_ascii_lowercase).as_deref() {
            Some("cpu") => Self::Cpu,
            Some("webgpu" | "gpu") => Self::Webgpu,
            _ => Self::Auto,
        }
    }

    /// The address's `backend=`, else a remembered choice of WebGPU, else automatic.
    pub fn current() -> Self {
        match crate::url::param("backend") {
            Some(v) => Self::from_param(Some(&v)),
            None => Self::from_param(
                storage()
                    .and_then(|s| s.get_item(CHOICE_KEY).ok().flatten())
                    .as_deref(),
            ),
        }
    }

    /// Remembers a choice of WebGPU for later visits (the override of the automatic choice on
    /// a software adapter); choosing automatic or the CPU forgets it. The CPU is not
    /// remembered: the notice says it was asked for in the address, and it is.
    pub fn remember(self) {
        if let Some(s) = storage() {
            let _ = match self {
                Self::Webgpu => s.set_item(CHOICE_KEY, "webgpu"),
                Self::Auto | Self::Cpu => s.remove_item(CHOICE_KEY),
            };
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// Whether an adapter is the browser's software emulation of a GPU.
pub fn is_software(adapter: &AdapterSummary) -> bool {
    adapter.device_type.eq_ignore_ascii_case("cpu")
}

impl ComputeStatus {
    pub fn is_gpu(&self) -> bool {
        matches!(self, Self::Webgpu { .. })
    }

    pub fn is_detecting(&self) -> bool {
        matches!(self, Self::Detecting)
    }
}

thread_local! {
    static GPU: RefCell<Option<GpuContext>> = const { RefCell::new(None) };
    /// A software adapter's context, put aside by the automatic choice.
    static PARKED: RefCell<Option<GpuContext>> = const { RefCell::new(None) };
    static RECOVERY: RefCell<Recovery> = const { RefCell::new(Recovery::NotTried) };
}

/// The page asks for a new device at most once after losing one (the WebGPU spec allows
/// requesting a new adapter after a loss); a second loss moves the app to the CPU.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Recovery {
    NotTried,
    InProgress,
    Done,
}

/// The GPU context, when WebGPU is in use.
pub fn gpu_context() -> Option<GpuContext> {
    GPU.with(|g| g.borrow().clone())
}

/// Whether this browser exposes `navigator.gpu` at all (checked before asking wgpu, so that
/// the reason shown to the user is precise).
fn navigator_has_webgpu() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let navigator = window.navigator();
    js_sys::Reflect::get(&navigator, &"gpu".into())
        .is_ok_and(|gpu| !gpu.is_undefined() && !gpu.is_null())
}

/// Starts looking for a GPU (or settles on the CPU for [`BackendChoice::Cpu`]), updating
/// `status`.
pub fn init(status: RwSignal<ComputeStatus>, choice: BackendChoice) {
    if choice == BackendChoice::Cpu {
        status.set(ComputeStatus::Cpu {
            reason: CpuReason::Requested,
            detail: "backend=cpu".into(),
        });
        return;
    }
    if !navigator_has_webgpu() {
        status.set(ComputeStatus::Cpu {
            reason: CpuReason::Unavailable,
            detail: "this browser does not expose WebGPU (navigator.gpu is missing)".into(),
        });
        return;
    }
    spawn_local(async move {
        match request_context(AdapterPreference::HighPerformance).await {
            Ok(ctx) if choice == BackendChoice::Auto && is_software(&ctx.adapter) => {
                let a = &ctx.adapter;
                let kind = format!("{}, device type {}", a.backend, a.device_type);
                let detail = if a.name.is_empty() {
                    kind
                } else {
                    format!("{} ({kind})", a.name)
                };
                PARKED.with(|p| *p.borrow_mut() = Some(ctx));
                status.set(ComputeStatus::Cpu {
                    reason: CpuReason::Software,
                    detail,
                });
            }
            Ok(ctx) => {
                let adapter = ctx.adapter.clone();
                GPU.with(|g| *g.borrow_mut() = Some(ctx));
                status.set(ComputeStatus::Webgpu { adapter });
            }
            Err(e) => status.set(ComputeStatus::Cpu {
                reason: CpuReason::Unavailable,
                detail: e.to_string(),
            }),
        }
    });
}

/// The software adapter's context the automatic choice put aside, if any (the `/compute`
/// self-check still compares it with the CPU).
pub fn parked_context() -> Option<GpuContext> {
    PARKED.with(|p| p.borrow().clone())
}

/// Uses the software adapter the automatic choice put aside (the visitor chose WebGPU);
/// whether there was one.
pub fn force_webgpu(status: RwSignal<ComputeStatus>) -> bool {
    let Some(ctx) = PARKED.with(|p| p.borrow_mut().take()) else {
        return false;
    };
    let adapter = ctx.adapter.clone();
    GPU.with(|g| *g.borrow_mut() = Some(ctx));
    status.set(ComputeStatus::Webgpu { adapter });
    true
}

/// After a lost device: a new device if the page has not asked for one yet and the browser
/// gives one (every run that lost the device gets it), else `None` with the app moved to the
/// CPU. Runs call this from their loops; concurrent callers wait for the first.
pub async fn recover(status: RwSignal<ComputeStatus>, detail: String) -> Option<GpuContext> {
    loop {
        let state = RECOVERY.with(|r| *r.borrow());
        match state {
            Recovery::InProgress => crate::browser::sleep_ms(50).await,
            Recovery::Done => {
                // Recovered already: the new device, unless it was lost too.
                let ctx = gpu_context().filter(|c| c.health.check().is_ok());
                if ctx.is_none() && status.get_untracked().is_gpu() {
                    mark_lost(status, detail);
                }
                return ctx;
            }
            Recovery::NotTried => break,
        }
    }
    RECOVERY.with(|r| *r.borrow_mut() = Recovery::InProgress);
    GPU.with(|g| *g.borrow_mut() = None);
    let result = request_context(AdapterPreference::HighPerformance).await;
    RECOVERY.with(|r| *r.borrow_mut() = Recovery::Done);
    match result {
        Ok(ctx) => {
            let adapter = ctx.adapter.clone();
            GPU.with(|g| *g.borrow_mut() = Some(ctx.clone()));
            status.set(ComputeStatus::Webgpu { adapter });
            Some(ctx)
        }
        Err(e) => {
            mark_lost(status, format!("{detail}; a new device was refused: {e}"));
            None
        }
    }
}

/// Records that the device was lost and moves the app to the CPU.
pub fn mark_lost(status: RwSignal<ComputeStatus>, detail: String) {
    GPU.with(|g| *g.borrow_mut() = None);
    status.set(ComputeStatus::Cpu {
        reason: CpuReason::Lost,
        detail,
    });
}
