//! WGSL sources, composed from the shared pieces. The shader-validation test walks
//! [`ALL`] and checks that every `.wgsl` file in this directory is used by one of them.

/// Counter-based RNG shared with `polytope_core::rng`.
pub const RNG: &str = include_str!("rng.wgsl");
/// The uniform layout and helpers of the toy-model training kernels.
pub const TMS_COMMON: &str = include_str!("tms_common.wgsl");

/// A named, complete shader module source and the `.wgsl` files it is made of.
pub struct ShaderSource {
    pub name: &'static str,
    pub files: &'static [&'static str],
    pub source: fn() -> String,
}

/// Every shader module the crate creates.
pub const ALL: &[ShaderSource] = &[
    ShaderSource {
        name: "tms_sample",
        files: &["rng.wgsl", "tms_common.wgsl", "tms_sample.wgsl"],
        source: crate::tms_sample::source,
    },
    ShaderSource {
        name: "tms_grad",
        files: &["tms_common.wgsl", "tms_grad.wgsl"],
        source: crate::tms_grad::source,
    },
    ShaderSource {
        name: "tms_adam",
        files: &["tms_common.wgsl", "tms_adam.wgsl"],
        source: crate::tms_adam::source,
    },
];
