//! WGSL sources, composed from the shared pieces. The shader-validation test walks
//! [`ALL`] and checks that every `.wgsl` file in this directory is used by one of them.

/// Counter-based RNG shared with `polytope_core::rng`.
pub const RNG: &str = include_str!("rng.wgsl");
/// The uniform layout and helpers of the toy-model training kernels.
pub const TMS_COMMON: &str = include_str!("tms_common.wgsl");
/// The uniform layout and helpers of the SAE training kernels.
pub const SAE_COMMON: &str = include_str!("sae_common.wgsl");
/// The workgroup sum of the 256-thread SAE kernels.
pub const WORKGROUP_REDUCE: &str = include_str!("workgroup_reduce.wgsl");

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
    ShaderSource {
        name: "sae_encode",
        files: &["sae_common.wgsl", "sae_encode.wgsl"],
        source: crate::sae_encode::source,
    },
    ShaderSource {
        name: "sae_activate",
        files: &["sae_common.wgsl", "sae_activate.wgsl"],
        source: crate::sae_activate::source,
    },
    ShaderSource {
        name: "sae_decode",
        files: &["sae_common.wgsl", "sae_decode.wgsl"],
        source: crate::sae_decode::source,
    },
    ShaderSource {
        name: "sae_backward",
        files: &["sae_common.wgsl", "sae_backward.wgsl"],
        source: crate::sae_backward::source,
    },
    ShaderSource {
        name: "sae_grad",
        files: &["sae_common.wgsl", "sae_grad.wgsl"],
        source: crate::sae_grad::source,
    },
    ShaderSource {
        name: "sae_update",
        files: &[
            "sae_common.wgsl",
            "workgroup_reduce.wgsl",
            "sae_update.wgsl",
        ],
        source: crate::sae_update::source,
    },
    ShaderSource {
        name: "sae_firing",
        files: &[
            "sae_common.wgsl",
            "workgroup_reduce.wgsl",
            "sae_firing.wgsl",
        ],
        source: crate::sae_firing::source,
    },
];
