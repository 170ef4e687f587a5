//! Plots on the page: [`spec::PlotSpec`] (what to draw) and [`canvas::PlotCanvas`] (a canvas
//! that redraws when its spec changes, shows values on hover, selects on click and exports PNG,
//! SVG and CSV).

pub mod canvas;
pub mod spec;

pub use canvas::PlotCanvas;
pub use spec::PlotSpec;
