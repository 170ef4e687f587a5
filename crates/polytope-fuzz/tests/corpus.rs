//! Replays the saved corpus (every minimised crasher and the seeds) through every target,
//! with the targets' allocation and time bounds, in plain `cargo test`.

#![cfg(not(target_arch = "wasm32"))]

#[test]
fn every_saved_input_parses_within_its_bounds() {
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
