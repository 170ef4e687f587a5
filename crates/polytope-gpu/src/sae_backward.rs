//! Kernel 4 of an SAE step, per micro-batch: d_f, d_z and the JumpReLU threshold terms, one thread
//! per (row, latent) (`sae_backward.wgsl`).

use crate::kernel::{Binding, ComputeKernel};
use crate::sae_common::SAE_UNIFORM_SIZE;
use crate::shaders::SAE_COMMON;

pub fn source() -> String {
    [SAE_COMMON, include_str!("sae_backward.wgsl")].concat()
}

pub(crate) const BINDINGS: [Binding; 8] = [
    Binding::DynamicUniform {
        size: SAE_UNIFORM_SIZE,
    },
    Binding::StorageRead,      // dx [mb_cap, 2, n]
    Binding::StorageRead,      // params [P]
    Binding::StorageRead,      // f [mb_cap, s]
    Binding::StorageRead,      // z [mb_cap, s]
    Binding::StorageRead,      // norms [s]
    Binding::StorageReadWrite, // side [mb_cap, s]
    Binding::StorageReadWrite, // dz [mb_cap, s]
];

pub(crate) fn kernel(device: &wgpu::Device) -> ComputeKernel {
    ComputeKernel::new(device, "sae_backward", &source(), &BINDINGS)
}
