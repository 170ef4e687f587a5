//! Kernel 5 of an SAE step, per micro-batch: parameter gradients and per-latent firing sums, one
//! thread per parameter (`sae_grad.wgsl`).

use crate::kernel::{Binding, ComputeKernel};
use crate::sae_common::SAE_UNIFORM_SIZE;
use crate::shaders::SAE_COMMON;

pub fn source() -> String {
    [SAE_COMMON, include_str!("sae_grad.wgsl")].concat()
}

pub(crate) const BINDINGS: [Binding; 9] = [
    Binding::DynamicUniform {
        size: SAE_UNIFORM_SIZE,
    },
    Binding::StorageRead,      // x [mb_cap, n]
    Binding::StorageRead,      // params [P]
    Binding::StorageRead,      // dz [mb_cap, s]
    Binding::StorageRead,      // f [mb_cap, s]
    Binding::StorageRead,      // side [mb_cap, s]
    Binding::StorageRead,      // dx [mb_cap, 2, n]
    Binding::StorageReadWrite, // grad [P]
    Binding::StorageReadWrite, // col [2, s]
];

pub(crate) fn kernel(device: &wgpu::Device) -> ComputeKernel {
    ComputeKernel::new(device, "sae_grad", &source(), &BINDINGS)
}
