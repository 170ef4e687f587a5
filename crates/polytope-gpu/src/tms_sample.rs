//! Kernel 1 of a training step: per-sample forward and backward pass (`tms_sample.wgsl`).

use crate::kernel::{Binding, ComputeKernel};
use crate::shaders::{RNG, TMS_COMMON};
use crate::tms_common::STEP_UNIFORM_SIZE;

pub fn source() -> String {
    [RNG, TMS_COMMON, include_str!("tms_sample.wgsl")].concat()
}

pub(crate) const BINDINGS: [Binding; 7] = [
    Binding::DynamicUniform {
        size: STEP_UNIFORM_SIZE,
    },
    Binding::StorageRead,      // spec [I, n, 2]
    Binding::StorageRead,      // params [I, P]
    Binding::StorageReadWrite, // xs [I, chunk_cap, n]
    Binding::StorageReadWrite, // gs [I, chunk_cap, n]
    Binding::StorageReadWrite, // hu [I, chunk_cap, 2m]
    Binding::StorageReadWrite, // sample_loss [I, chunk_cap]
];

pub(crate) fn kernel(device: &wgpu::Device) -> ComputeKernel {
    ComputeKernel::new(device, "tms_sample", &source(), &BINDINGS)
}
