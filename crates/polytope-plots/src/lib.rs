//! # polytope-plots
//!
//! Every plot of Polytope as a pure function from data to a plotters drawing area, generic
//! over the backend: the app draws on a `<canvas>`, the CLI and the tests write SVG with the
//! very same functions.
