//! Plots on the page: `polytope_plots::PlotSpec` (what to draw, shared with the CLI) and
//! [`canvas::PlotCanvas`] (a canvas that redraws when its spec changes, shows values on hover,
//! selects on click and exports PNG, SVG and CSV).

pub mod canvas;
pub mod text;

pub use canvas::PlotCanvas;
pub use polytope_plots::PlotSpec;
