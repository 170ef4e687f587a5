//! Kernel 2 of an SAE step, per micro-batch: ReLU, JumpReLU or TopK (with the AuxK selection),
//! one workgroup per row (`sae_activate.wgsl`).

use crate::kernel::{Binding, ComputeKernel};
use crate::sae_common::SAE_UNIFORM_SIZE;
use crate::shaders::SAE_COMMON;

pub fn source() -> String {
    [SAE_COMMON, include_str!("sae_activate.wgsl")].concat()
}

pub(crate) const BINDINGS: [Binding; 7] = [
    Binding::DynamicUniform {
        size: SAE_UNIFORM_SIZE,
    },
    Binding::StorageRead,      // z [mb_cap, s]
    Binding::StorageRead,      // params [P]
    Binding::StorageRead,      // last_fired [s]
    Binding::StorageRead,      // flags [4]
    Binding::StorageReadWrite, // f [mb_cap, s]
    Binding::StorageReadWrite, // side (AuxK activations) [mb_cap, s]
];

pub(crate) fn kernel(device: &wgpu::Device) -> ComputeKernel {
    ComputeKernel::new(device, "sae_activate", &source(), &BINDINGS)
}
