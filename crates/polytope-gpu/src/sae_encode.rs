//! Kernel 1 of an SAE step, per micro-batch: the encoder pre-activations (`sae_encode.wgsl`).

use crate::kernel::{Binding, ComputeKernel};
use crate::sae_common::SAE_UNIFORM_SIZE;
use crate::shaders::SAE_COMMON;

pub fn source() -> String {
    [SAE_COMMON, include_str!("sae_encode.wgsl")].concat()
}

pub(crate) const BINDINGS: [Binding; 4] = [
    Binding::DynamicUniform {
        size: SAE_UNIFORM_SIZE,
    },
    Binding::StorageRead,      // x [mb_cap, n]
    Binding::StorageRead,      // params [P]
    Binding::StorageReadWrite, // z [mb_cap, s]
];

pub(crate) fn kernel(device: &wgpu::Device) -> ComputeKernel {
    ComputeKernel::new(device, "sae_encode", &source(), &BINDINGS)
}
