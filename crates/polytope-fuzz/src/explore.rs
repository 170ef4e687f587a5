//! Making input `i` of a run, and a small fuzz loop without files or threads that runs in the
//! browser's wasm32 too (`tests/web.rs`, when `POLYTOPE_FUZZ_WASM` is set at build time), where
//! size arithmetic is 32-bit and the native driver cannot see it wrap.

use std::cell::RefCell;
use std::collections::HashSet;

use crate::check::{Target, check};
use crate::corpus::CORPUS;
use crate::mutation::{self, Rng};

/// Input `index` of a run: a pool entry or a fresh valid input, mutated a few times.
pub fn make_input(target: &Target, seed: u32, index: u32, pool: &[Vec<u8>]) -> Vec<u8> {
    let mut rng = Rng::new(seed, index);
    let mut input = if pool.is_empty() || rng.chance(1, 8) {
        (target.generate)(&mut rng)
    } else {
        rng.pick(pool).clone()
    };
    let rounds = if rng.chance(1, 2) { 1 } else { rng.small(8) };
    for _ in 0..rounds {
        if rng.chance(3, 4) {
            (target.mutate)(&mut rng, &mut input, pool);
        } else {
            mutation::mutate_bytes(&mut rng, &mut input, pool);
        }
        input.truncate(target.max_len);
    }
    input
}

/// 32 fresh valid inputs for `target`.
pub fn generated_seeds(target: &Target, seed: u32) -> Vec<Vec<u8>> {
    (0..32)
        .map(|k| (target.generate)(&mut Rng::new(seed ^ 0x5EED_F00D, k)))
        .collect()
}

thread_local! {
    static CURRENT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The input [`explore`] is running now (for a panic hook to print: in wasm a panic aborts).
pub fn current_input() -> Vec<u8> {
    CURRENT.with(|c| c.borrow().clone())
}

/// What [`explore`] found: the first input of each kind of failure.
pub struct Exploration {
    pub executions: u64,
    pub failures: Vec<(String, Vec<u8>)>,
}

/// Runs `count` inputs of `target`, seeded from the embedded corpus and generated inputs.
pub fn explore(target: &Target, seed: u32, count: u32) -> Exploration {
    crate::targets::warm_up();
    let mut pool: Vec<Vec<u8>> = CORPUS
        .iter()
        .filter(|e| e.target == target.name)
        .map(|e| e.bytes.to_vec())
        .collect();
    pool.extend(generated_seeds(target, seed));
    let mut classes = HashSet::new();
    let mut kinds = HashSet::new();
    let mut failures = Vec::new();
    for index in 0..count {
        let input = make_input(target, seed, index, &pool);
        CURRENT.with(|c| c.borrow_mut().clone_from(&input));
        let out = check(target, &input);
        match out.failure {
            Some(f) => {
                if kinds.insert(f.kind()) {
                    failures.push((f.to_string(), input));
                }
            }
            None => {
                if classes.insert(out.class) && pool.len() < 1024 {
                    pool.push(input);
                }
            }
        }
    }
    Exploration {
        executions: u64::from(count),
        failures,
    }
}
