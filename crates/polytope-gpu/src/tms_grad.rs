//! Kernel 2 of a training step: per-parameter gradient sums over a chunk (`tms_grad.wgsl`).

use crate::kernel::{Binding, ComputeKernel};
use crate::shaders::TMS_COMMON;
use crate::tms_common::STEP_UNIFORM_SIZE;

pub fn source() -> String {
    [TMS_COMMON, include_str!("tms_grad.wgsl")].concat()
}

pub(crate) const BINDINGS: [Binding; 7] = [
    Binding::DynamicUniform {
        size: STEP_UNIFORM_SIZE,
    },
    Binding::StorageRead,      // xs
    Binding::StorageRead,      // gs
    Binding::StorageRead,      // hu
    Binding::StorageRead,      // sample_loss
    Binding::StorageReadWrite, // grad partials [splits, I, P]
    Binding::StorageReadWrite, // loss partials [splits, I]
];

pub(crate) fn kernel(device: &wgpu::Device) -> ComputeKernel {
    ComputeKernel::new(device, "tms_grad", &source(), &BINDINGS)
}
