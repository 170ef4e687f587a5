//! The same parity trials as `parity.rs`, in headless Chromium's WebGPU (SwiftShader), run by
//! `wasm-bindgen-test-runner` with the browser flags in `webdriver.json`. A browser without a
//! WebGPU adapter fails these tests: it never skips them.

#![cfg(target_arch = "wasm32")]

use polytope_core::sae::Variant;
use polytope_gpu::device::{AdapterPreference, request_context};
use polytope_gpu::parity::{ParityCase, run_case};
use polytope_gpu::sae_parity::{SaeParityCase, kernel_cases, run_kernel_case, run_sae_case};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn browser_has_a_webgpu_adapter() {
    let ctx = request_context(AdapterPreference::HighPerformance)
        .await
        .expect("headless Chromium must expose a WebGPU adapter (--enable-unsafe-webgpu)");
    assert_eq!(ctx.adapter.backend, "BrowserWebGpu");
}

#[wasm_bindgen_test]
async fn tms_training_should_match_cpu_reference_in_the_browser() {
    let ctx = request_context(AdapterPreference::HighPerformance)
        .await
        .expect("WebGPU adapter");
    let mut cases = ParityCase::all();
    cases.push(ParityCase::chunked());
    let mut failures = Vec::new();
    for case in cases {
        match run_case(&ctx, &case).await {
            Ok(result) => {
                web_sys_log(&result.to_string());
                if !result.passed() {
                    failures.push(result.to_string());
                }
            }
            Err(e) => failures.push(format!("{}: {e}", case.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "GPU differs from CPU:\n{}",
        failures.join("\n")
    );
}

/// The SAE trainer against the CPU reference (1 and 100 steps; tolerances in
/// `polytope_gpu::sae_parity`): every variant, and TopK with dead latents (so AuxK runs too).
#[wasm_bindgen_test]
async fn sae_training_should_match_cpu_reference_in_the_browser() {
    let ctx = request_context(AdapterPreference::HighPerformance)
        .await
        .expect("WebGPU adapter");
    let cases = [
        SaeParityCase::standard(Variant::L1_2023),
        SaeParityCase::standard(Variant::L1_2024),
        SaeParityCase::standard(Variant::JumpRelu),
        SaeParityCase::topk_with_dead_latents(),
    ];
    let mut failures = Vec::new();
    for case in cases {
        match run_sae_case(&ctx, &case).await {
            Ok(result) => {
                web_sys_log(&result.to_string());
                if !result.passed() {
                    failures.push(result.to_string());
                }
            }
            Err(e) => failures.push(format!("{}: {e}", case.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "SAE GPU differs from CPU:\n{}",
        failures.join("\n")
    );
}

/// Each SAE kernel against its CPU twin in the browser's WebGPU (see the native test).
#[wasm_bindgen_test]
async fn every_sae_kernel_should_match_its_cpu_twin_in_the_browser() {
    let ctx = request_context(AdapterPreference::HighPerformance)
        .await
        .expect("WebGPU adapter");
    let mut failures = Vec::new();
    for (case, step) in kernel_cases() {
        match run_kernel_case(&ctx, &case, step).await {
            Ok(result) => {
                web_sys_log(&result.to_string());
                if !result.passed() {
                    failures.push(result.to_string());
                }
            }
            Err(e) => failures.push(format!("{}: {e}", case.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "SAE kernels differ from their CPU twins:\n{}",
        failures.join("\n")
    );
}

fn web_sys_log(line: &str) {
    wasm_bindgen_test::console_log!("{line}");
}
