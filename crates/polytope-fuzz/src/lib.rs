//! # polytope-fuzz
//!
//! A fuzz harness for every parser of untrusted input in Polytope, on the stable toolchain:
//! structure-aware generators seeded from valid files ([`gen`], [`targets`]), a counting
//! global allocator ([`alloc`]) so that an input whose parser allocates beyond its stated
//! bound fails, a time bound per input ([`check`]), a driver that runs a target for a time or
//! a count and minimises what fails (`driver`, native only), and the saved corpus
//! ([`corpus`]) that `cargo test` replays natively and in the browser's 32-bit wasm.
//! See `docs/robustness.md`.

pub mod alloc;
pub mod check;
pub mod corpus;
#[cfg(not(target_arch = "wasm32"))]
pub mod driver;
pub mod explore;
pub mod mutation;
pub mod targets;

pub use check::{Bound, Failure, Outcome, Target, check, check_steady};

/// Every program that links the harness counts its allocations (outside an armed input the
/// cost is one thread-local read).
#[global_allocator]
static ALLOCATOR: alloc::CountingAlloc = alloc::CountingAlloc;
