//! Replays the saved corpus in headless Chromium's wasm32, where `usize` is 32 bits: a size
//! computed from a file that wraps there panics (debug overflow checks) or slices wrongly,
//! which the 64-bit native replay cannot see. Run by `wasm-bindgen-test-runner` with the
//! browser flags in `webdriver.json`.

#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn every_saved_input_parses_within_its_bounds_on_32_bits() {
    assert_eq!(usize::BITS, 32);
    let r = polytope_fuzz::corpus::replay();
    assert!(r.inputs > 0, "the corpus is empty");
    assert!(
        r.failures.is_empty(),
        "{} of {} saved inputs failed:\n{}",
        r.failures.len(),
        r.inputs,
        r.failures.join("\n")
    );
}

/// Inputs per target for [`fuzz_each_target_on_32_bits`], from the environment at build time
/// (`POLYTOPE_FUZZ_WASM=20000 cargo test ... --target wasm32-unknown-unknown`); unset, the
/// test returns at once. A panic aborts in wasm, so the failing input is printed (as hex)
/// before the test fails; save it with `xxd -r -p` into the corpus.
const EXPLORE: Option<&str> = option_env!("POLYTOPE_FUZZ_WASM");

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn print_current_input(size: usize) {
    wasm_bindgen_test::console_log!(
        "the input below asked for {size} bytes at once:\n{}",
        hex(&polytope_fuzz::explore::current_input())
    );
}

#[wasm_bindgen_test]
fn fuzz_each_target_on_32_bits() {
    let Some(count) = EXPLORE.and_then(|c| c.parse::<u32>().ok()) else {
        return;
    };
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        wasm_bindgen_test::console_log!(
            "failing input (hex): {}",
            hex(&polytope_fuzz::explore::current_input())
        );
        previous(info);
    }));
    polytope_fuzz::alloc::set_abort_hook(print_current_input);
    let mut failures = Vec::new();
    for t in polytope_fuzz::targets::ALL {
        let found = polytope_fuzz::explore::explore(t, 32, count);
        wasm_bindgen_test::console_log!(
            "{}: {} inputs, {} kinds of failure",
            t.name,
            found.executions,
            found.failures.len()
        );
        for (what, input) in found.failures {
            failures.push(format!(
                "{}: {what}\n  input (hex): {}",
                t.name,
                hex(&input)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
