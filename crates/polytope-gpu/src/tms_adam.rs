//! Kernel 3 of a training step: the Adam/AdamW update and the loss history (`tms_adam.wgsl`).

use crate::kernel::{Binding, ComputeKernel};
use crate::shaders::TMS_COMMON;
use crate::tms_common::STEP_UNIFORM_SIZE;

pub fn source() -> String {
    [TMS_COMMON, include_str!("tms_adam.wgsl")].concat()
}

pub(crate) const BINDINGS: [Binding; 7] = [
    Binding::DynamicUniform {
        size: STEP_UNIFORM_SIZE,
    },
    Binding::StorageRead,      // grad partials [splits, I, P]
    Binding::StorageRead,      // loss partials [splits, I]
    Binding::StorageReadWrite, // params [I, P]
    Binding::StorageReadWrite, // adam_m [I, P]
    Binding::StorageReadWrite, // adam_v [I, P]
    Binding::StorageReadWrite, // loss_history [rows, I]
];

pub(crate) fn kernel(device: &wgpu::Device) -> ComputeKernel {
    ComputeKernel::new(device, "tms_adam", &source(), &BINDINGS)
}
