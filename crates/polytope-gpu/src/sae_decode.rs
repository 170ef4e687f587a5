//! Kernel 3 of an SAE step, per micro-batch: reconstruction, its gradient, AuxK, and the row's loss
//! terms, one workgroup per row (`sae_decode.wgsl`).

use crate::kernel::{Binding, ComputeKernel};
use crate::sae_common::SAE_UNIFORM_SIZE;
use crate::shaders::SAE_COMMON;

pub fn source() -> String {
    [SAE_COMMON, include_str!("sae_decode.wgsl")].concat()
}

pub(crate) const BINDINGS: [Binding; 9] = [
    Binding::DynamicUniform {
        size: SAE_UNIFORM_SIZE,
    },
    Binding::StorageRead,      // x [mb_cap, n]
    Binding::StorageRead,      // params [P]
    Binding::StorageRead,      // f [mb_cap, s]
    Binding::StorageRead,      // side [mb_cap, s]
    Binding::StorageRead,      // flags [4]
    Binding::StorageRead,      // norms [s]
    Binding::StorageReadWrite, // dx [mb_cap, 2, n]
    Binding::StorageReadWrite, // row_stats [batch, ROW_STATS]
];

pub(crate) fn kernel(device: &wgpu::Device) -> ComputeKernel {
    ComputeKernel::new(device, "sae_decode", &source(), &BINDINGS)
}
