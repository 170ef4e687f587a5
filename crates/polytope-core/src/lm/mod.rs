//! The language model whose MLP the dictionaries read: a byte-level BPE tokenizer and a
//! one-layer transformer (attention + one ReLU MLP), as in Towards Monosemanticity, with its
//! CPU training. Pure Rust, so the browser runs the very same forward pass.

pub mod analysis;
pub mod family;
pub mod file;
pub mod interp;
pub mod model;
pub mod sample;
pub mod tokenizer;
pub mod train;
pub mod units;
