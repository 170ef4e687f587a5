//! `/compute`: the backend in use, the adapter and its limits, why the app fell back to the
//! CPU if it did, and a self-check that trains the same model on the GPU and the CPU.

use leptos::prelude::*;
use leptos::task::spawn_local;
use polytope_core::tms::{CpuTrainer, TrainError};
use polytope_gpu::parity::{ParityCase, run_case};
use serde::Serialize;
use serde_json::json;

use crate::components::fallback_notice::FallbackNotice;
use crate::compute::{ComputeStatus, gpu_context};
use crate::i18n::{Key, use_i18n};
use crate::{automation, use_app};

/// What the self-check found (also in `window.polytope.state().selfcheck`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SelfCheck {
    pub backend: String,
    pub case: String,
    pub steps: u32,
    /// GPU runs only: whether every weight matched the CPU within tolerance.
    pub passed: Option<bool>,
    pub max_abs_diff: Option<f32>,
    pub tolerance: Option<f32>,
    /// Final loss of each instance on the backend in use.
    pub final_loss: Vec<f32>,
    /// Final loss of each instance on the CPU reference (GPU runs only).
    pub cpu_final_loss: Option<Vec<f32>>,
    pub elapsed_ms: f64,
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Trains the self-check case on the CPU in slices, yielding to the browser between them.
async fn cpu_run(case: &ParityCase) -> Result<Vec<f32>, TrainError> {
    let steps = case.checkpoints.last().map_or(1, |c| c.0);
    let mut trainer = CpuTrainer::new(case.cfg.clone())?;
    while trainer.state().step < steps {
        trainer.run_slice(20_000, steps - trainer.state().step)?;
        gloo_timers::future::TimeoutFuture::new(0).await;
    }
    let snap = trainer.snapshot();
    Ok(snap.last_losses(case.cfg.instance_count()).to_vec())
}

async fn self_check() -> Result<SelfCheck, String> {
    let case = ParityCase::all().swap_remove(0);
    let steps = case.checkpoints.last().map_or(1, |c| c.0);
    let start = now_ms();
    // A software adapter left aside for training is still checked against the CPU.
    if let Some(ctx) = gpu_context().or_else(crate::compute::parked_context) {
        let result = run_case(&ctx, &case).await.map_err(|e| e.to_string())?;
        let last = result.checkpoints.last().cloned();
        Ok(SelfCheck {
            backend: "webgpu".into(),
            case: case.name.into(),
            steps,
            passed: Some(result.passed()),
            max_abs_diff: last.as_ref().map(|c| c.max_abs_diff),
            tolerance: last.as_ref().map(|c| c.tolerance),
            final_loss: result.gpu_final_loss,
            cpu_final_loss: Some(result.cpu_final_loss),
            elapsed_ms: now_ms() - start,
        })
    } else {
        let final_loss = cpu_run(&case).await.map_err(|e| e.to_string())?;
        Ok(SelfCheck {
            backend: "cpu".into(),
            case: case.name.into(),
            steps,
            passed: None,
            max_abs_diff: None,
            tolerance: None,
            final_loss,
            cpu_final_loss: None,
            elapsed_ms: now_ms() - start,
        })
    }
}

fn format_bytes(bytes: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if bytes as f64 >= 1024.0 * MIB {
        format!("{:.1} GiB", bytes as f64 / (1024.0 * MIB))
    } else {
        format!("{:.0} MiB", bytes as f64 / MIB)
    }
}

/// The name of a wgpu device type (`DiscreteGpu`, ...) in the interface language.
fn device_type_name(device_type: &str) -> Option<Key> {
    Some(match device_type {
        "DiscreteGpu" => Key::DeviceDiscrete,
        "IntegratedGpu" => Key::DeviceIntegrated,
        "VirtualGpu" => Key::DeviceVirtual,
        "Cpu" => Key::DeviceCpu,
        "Other" => Key::DeviceOther,
        _ => return None,
    })
}

#[component]
pub fn ComputePage() -> impl IntoView {
    let i18n = use_i18n();
    let app = use_app();
    crate::page::set_page("compute");
    let check = RwSignal::new(None::<Result<SelfCheck, String>>);
    let running = RwSignal::new(false);

    let run = move || {
        if running.get_untracked() || app.compute.get_untracked().is_detecting() {
            return;
        }
        running.set(true);
        spawn_local(async move {
            let result = self_check().await;
            automation::publish(
                "selfcheck",
                match &result {
                    Ok(c) => serde_json::to_value(c).unwrap_or_default(),
                    Err(e) => json!({ "error": e }),
                },
            );
            check.set(Some(result));
            running.set(false);
        });
    };
    // Run once as soon as the backend is known.
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) {
            return true;
        }
        if app.compute.get().is_detecting() {
            false
        } else {
            run();
            true
        }
    });

    let adapter_rows = move || match app.compute.get() {
        ComputeStatus::Webgpu { adapter } => {
            let name = if adapter.name.is_empty() {
                view! { <span>{i18n.tr(Key::ComputeNotDisclosed)}</span> }.into_any()
            } else {
                view! { <span translate="no">{adapter.name.clone()}</span> }.into_any()
            };
            let device_type = device_type_name(&adapter.device_type);
            Some(view! {
                <dl class="facts" data-testid="adapter-facts">
                    <dt>{i18n.tr(Key::ComputeAdapter)}</dt>
                    <dd data-testid="adapter-name">{name}</dd>
                    <dt>{i18n.tr(Key::ComputeDeviceType)}</dt>
                    <dd>{match device_type {
                        Some(key) => view! { <span>{i18n.tr(key)}</span> }.into_any(),
                        None => view! { <span translate="no">{adapter.device_type.clone()}</span> }.into_any(),
                    }}</dd>
                    <dt>{i18n.tr(Key::ComputeApi)}</dt>
                    <dd translate="no">{adapter.backend.clone()}</dd>
                    <dt>{i18n.tr(Key::ComputeDriver)}</dt>
                    <dd translate="no">{if adapter.driver.is_empty() { "—".to_owned() } else { adapter.driver.clone() }}</dd>
                </dl>
                <h2>{i18n.tr(Key::ComputeLimits)}</h2>
                <dl class="facts">
                    <dt>{i18n.tr(Key::LimitStorageBinding)}</dt>
                    <dd>{format_bytes(adapter.max_storage_buffer_binding_size)}</dd>
                    <dt>{i18n.tr(Key::LimitBuffer)}</dt>
                    <dd>{format_bytes(adapter.max_buffer_size)}</dd>
                    <dt>{i18n.tr(Key::LimitWorkgroups)}</dt>
                    <dd>{adapter.max_compute_workgroups_per_dimension}</dd>
                    <dt>{i18n.tr(Key::LimitInvocations)}</dt>
                    <dd>{adapter.max_compute_invocations_per_workgroup}</dd>
                </dl>
            })
        }
        _ => None,
    };

    let backend_name = move || match app.compute.get() {
        ComputeStatus::Detecting => i18n.t(Key::BackendDetecting),
        ComputeStatus::Webgpu { .. } => i18n.t(Key::BackendWebGpu),
        ComputeStatus::Cpu { .. } => i18n.t(Key::BackendCpu),
    };

    let result_view = move || {
        check.get().map(|r| match r {
            Ok(c) => {
                let mean_loss = c.final_loss.iter().sum::<f32>() / c.final_loss.len().max(1) as f32;
                let verdict = c.passed.map(|ok| {
                    let (class, key) = if ok {
                        ("verdict ok", Key::SelfCheckPassed)
                    } else {
                        ("verdict bad", Key::SelfCheckFailed)
                    };
                    view! { <p class=class data-testid="selfcheck-verdict">{i18n.tr(key)}</p> }
                });
                let diff = c.max_abs_diff.map(|d| {
                    view! {
                        <dt>{i18n.tr(Key::SelfCheckMaxDiff)}</dt>
                        <dd data-testid="selfcheck-diff">
                            {format!("{d:.2e} (≤ {:.0e})", c.tolerance.unwrap_or(0.0))}
                        </dd>
                    }
                });
                let cpu_only = c
                    .passed
                    .is_none()
                    .then(|| view! { <p>{i18n.tr(Key::SelfCheckCpuOnly)}</p> });
                view! {
                    <div class="selfcheck-result">
                        {verdict}
                        {cpu_only}
                        <dl class="facts">
                            {diff}
                            <dt>{i18n.tr(Key::SelfCheckLoss)}</dt>
                            <dd data-testid="selfcheck-loss">{format!("{mean_loss:.6}")}</dd>
                            <dt>{i18n.tr(Key::ComputeElapsed)}</dt>
                            <dd>{format!("{:.0}", c.elapsed_ms)}</dd>
                        </dl>
                    </div>
                }
                .into_any()
            }
            Err(e) => view! {
                <p class="notice notice-error" role="alert">{i18n.tr(Key::Error)} ": " {e}</p>
            }
            .into_any(),
        })
    };

    view! {
        <section class="page narrow">
            <h1>{i18n.tr(Key::ComputeTitle)}</h1>
            <p>{i18n.tr(Key::ComputeIntro)}</p>
            <FallbackNotice />
            <dl class="facts">
                <dt>{i18n.tr(Key::ComputeBackend)}</dt>
                <dd data-testid="backend-name">{backend_name}</dd>
            </dl>
            {adapter_rows}
            <h2>{i18n.tr(Key::SelfCheckTitle)}</h2>
            <p>{i18n.tr(Key::SelfCheckExplain)}</p>
            <button class="button" on:click=move |_| run() disabled=move || running.get()>
                {move || if running.get() { i18n.t(Key::SelfCheckRunning) } else { i18n.t(Key::SelfCheckRun) }}
            </button>
            {result_view}
        </section>
    }
}
